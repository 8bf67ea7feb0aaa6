#!/usr/bin/env bash
# run-fuzzer.sh BINARY NAME DATA_DIR SECONDS
# Replays the regression inputs, then fuzzes for SECONDS from the seed corpus. The working corpus
# lives in a temporary folder so the source tree only changes by hand (a crash file to keep).
set -euo pipefail
binary=$1 name=$2 data=$3 seconds=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

regressions="$data/regressions/$name"
if [[ -d "$regressions" ]] && compgen -G "$regressions/*" >/dev/null; then
  "$binary" -runs=0 "$regressions"/*
fi

seeds=()
[[ -d "$data/fuzz/$name" ]] && seeds+=("$data/fuzz/$name")
[[ -d "$data/rfc4475" ]] && seeds+=("$data/rfc4475")
[[ -d "$data/rfc5118" ]] && seeds+=("$data/rfc5118")
mkdir -p "$work/corpus"
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" "${seeds[@]}" 2>"$work/log" || {
  tail -n 60 "$work/log"
  for crash in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
    [[ -f "$crash" ]] && { echo "--- $crash (base64)"; base64 "$crash"; }
  done
  exit 1
}
grep -E '^(stat::number_of_executed_units|Done)' "$work/log" || true
