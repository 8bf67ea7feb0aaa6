#!/usr/bin/env bash
# Builds the web app twice, from two copies of web/ in folders of different path lengths, each
# with its own `npm ci` from the lockfile, and compares the two bundles byte for byte.
# Exit 0 when identical, 1 when they differ (the differing files are named), 2 on build errors.
#   web/scripts/check-reproducible.sh [--keep]
set -euo pipefail
keep=0
[[ "${1:-}" == "--keep" ]] && keep=1
web="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/parley-web-repro.XXXXXX)"
cleanup() { if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "kept $work"; fi; }
trap cleanup EXIT

build() {
  local dest="$1"
  mkdir -p "$dest"
  (cd "$web" && tar --exclude=./node_modules --exclude=./dist -cf - .) | tar -C "$dest" -xf -
  (cd "$dest" &&
     npm ci --ignore-scripts --prefer-offline --no-audit --no-fund >"$dest.log" 2>&1 &&
     PARLEY_WEB_OUT_DIR="$dest/out" npm run --silent build >>"$dest.log" 2>&1) || {
    echo "check-reproducible: build in $dest failed:" >&2
    tail -n 30 "$dest.log" >&2
    exit 2
  }
}

build "$work/a/web"
build "$work/bbbbbbbbbbbb/src/web"
if diff -r "$work/a/web/out" "$work/bbbbbbbbbbbb/src/web/out" >"$work/diff.txt"; then
  echo "reproducible: $(find "$work/a/web/out" -type f | wc -l) files of the web bundle are identical:"
  (cd "$work/a/web/out" && find . -type f | sort | xargs sha256sum)
  exit 0
fi
echo "NOT reproducible: the web bundles differ:" >&2
head -n 20 "$work/diff.txt" >&2
exit 1
