#!/usr/bin/env bash
# Builds the `parley` binary of the release preset twice, from copies of one commit in two
# different folders, and compares their SHA-256. Exit 0 when bit-identical, 1 when they differ
# (with a hint of where), 2 on usage or build errors.
#
#   scripts/check-reproducible.sh [--working-tree] [--no-ccache] [--keep] [--workdir DIR]
#
# --working-tree  copy the working tree (tracked and untracked, not ignored files) instead of
#                 the committed HEAD: to try a fix before committing it
# --no-ccache     compile both sides from scratch (by default side A may use ccache; side B
#                 never does, so a path or clock leaking into an object file still shows)
# --keep          keep the two trees and builds (default: removed)
# --workdir DIR   where the two copies go (default: a new folder under /tmp)
#
# Both builds get SOURCE_DATE_EPOCH from the commit and PARLEY_SOURCE_COMMIT, since the copies
# have no .git. Paths differ in length on purpose (a/ vs bbbbbbbb/), to catch padding effects.
set -euo pipefail

working_tree=0
no_ccache=0
keep=0
workdir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --working-tree) working_tree=1 ;;
    --no-ccache) no_ccache=1 ;;
    --keep) keep=1 ;;
    --workdir) workdir="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "check-reproducible: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$root" rev-parse HEAD)"
SOURCE_DATE_EPOCH="$(git -C "$root" log -1 --format=%ct HEAD)"
export SOURCE_DATE_EPOCH
if [[ $working_tree -eq 1 ]] && ! git -C "$root" diff --quiet HEAD --; then
  commit="$commit-dirty"
fi

if [[ -z "$workdir" ]]; then
  workdir="$(mktemp -d /tmp/parley-repro.XXXXXX)"
fi
mkdir -p "$workdir"
cleanup() {
  if [[ $keep -eq 0 ]]; then rm -rf "$workdir"; else echo "kept $workdir"; fi
}
trap cleanup EXIT

copy_tree() {
  local dest="$1"
  rm -rf "$dest"
  mkdir -p "$dest"
  if [[ $working_tree -eq 1 ]]; then
    # Files git would commit; ls-files reads the index without changing anything.
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
       while IFS= read -r -d '' f; do [[ -e "$f" || -L "$f" ]] && printf '%s\0' "$f"; done |
       tar --null -T - -cf -) | tar -C "$dest" -xf -
  else
    git -C "$root" archive --format=tar HEAD | tar -C "$dest" -xf -
  fi
}

build() {
  local src="$1" use_ccache="$2"
  local -a env_vars=()
  if [[ $use_ccache -eq 0 ]]; then env_vars=(CCACHE_DISABLE=1); fi
  (cd "$src" &&
     env "${env_vars[@]}" cmake --preset release -DPARLEY_SOURCE_COMMIT="$commit" >"$src.configure.log" 2>&1 &&
     env "${env_vars[@]}" cmake --build build/release --target parley -j "$(nproc)" >"$src.build.log" 2>&1) || {
    echo "check-reproducible: build in $src failed; log:" >&2
    tail -n 30 "$src.configure.log" "$src.build.log" >&2 2>/dev/null || true
    exit 2
  }
}

start=$(date +%s)
side_a="$workdir/a"
side_b="$workdir/bbbbbbbb"
copy_tree "$side_a"
copy_tree "$side_b"
build "$side_a" $((1 - no_ccache))
mid=$(date +%s)
build "$side_b" 0
end=$(date +%s)

bin_a="$side_a/build/release/src/app/parley"
bin_b="$side_b/build/release/src/app/parley"
hash_a="$(sha256sum "$bin_a" | cut -d' ' -f1)"
hash_b="$(sha256sum "$bin_b" | cut -d' ' -f1)"
echo "commit $commit, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
echo "A $hash_a  ($((mid - start)) s)  $bin_a"
echo "B $hash_b  ($((end - mid)) s)  $bin_b"
if [[ "$hash_a" == "$hash_b" ]]; then
  echo "reproducible: the two parley binaries are bit-identical"
  exit 0
fi
echo "NOT reproducible: the parley binaries differ" >&2
echo "  differing bytes: $(cmp -l "$bin_a" "$bin_b" | wc -l)" >&2
for side in "$side_a" "$side_b"; do
  if grep -q -a -F "$side" "$bin_a" "$bin_b"; then
    echo "  a binary embeds the build folder path $side" >&2
  fi
done
if command -v diffoscope >/dev/null; then
  diffoscope "$bin_a" "$bin_b" | head -n 60 >&2 || true
else
  echo "  (install diffoscope for a structured comparison; run with --keep to inspect)" >&2
fi
exit 1
