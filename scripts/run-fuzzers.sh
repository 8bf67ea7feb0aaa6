#!/usr/bin/env bash
# run-fuzzers.sh BUILD_DIR SECONDS: every fuzz target in BUILD_DIR for SECONDS each (make fuzz).
set -euo pipefail
build=$1 seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
for binary in "$build"/tests/fuzz/*_fuzz; do
  name=$(basename "$binary")
  echo "== $name for ${seconds}s"
  "$root/scripts/run-fuzzer.sh" "$binary" "$name" "$root/tests/data" "$seconds"
done
