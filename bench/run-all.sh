#!/usr/bin/env bash
# Runs every benchmark against one build folder. `make bench` calls it as
#   bench/run-all.sh build/release
# Results print to stdout; copy the figures into docs/performance.md with the date.
set -euo pipefail

build=${1:-build/release}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
status=0

echo "== $(date -Is) on $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# SIP parse micro-benchmark (Google Benchmark), owned by the parser; optional until it exists.
if [[ -x "$build/bench/parse_bench" ]]; then
  echo "== SIP parse micro-benchmark: $build/bench/parse_bench"
  "$build/bench/parse_bench" || status=1
else
  echo "== SIP parse micro-benchmark: $build/bench/parse_bench not built; skipped"
fi

# Load benchmarks: every bench/<name>/run.py takes BUILD_DIR and --json FILE. OPTIONS first
# (Parley vs Kamailio, about 5-10 minutes), then the others in name order.
for script in "$here/options/run.py" $(ls "$here"/*/run.py | grep -v '/options/run.py$'); do
  name=$(basename "$(dirname "$script")")
  echo "== $name: $script"
  python3 "$script" "$build" --json "$build/bench-$name.json" || status=1
done

exit $status
