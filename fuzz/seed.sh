#!/usr/bin/env bash
# Seeds every fuzz target's corpus with the examples and fixtures.
set -euo pipefail
cd "$(dirname "$0")"
for target in parse check check_build; do
  mkdir -p "corpus/$target"
  cp ../examples/*.arch ../tests/fixtures/parse/*.arch ../tests/fixtures/compile/*.arch "corpus/$target/"
  # Rule fixtures share file names across folders; keep the folder in the name.
  find ../tests/rules -name '*.arch' 2>/dev/null | while read -r f; do
    cp "$f" "corpus/$target/$(echo "${f#../tests/rules/}" | tr / _)"
  done
done
# Multi-file seeds for parse and check: each case of tests/fixtures/multi/
# (and the split flagship) as one input, every file after a `%%% PATH` line,
# the root first (see fuzz_targets/multi.rs).
cat_line() { cat "$1"; [ -z "$(tail -c1 "$1")" ] || echo; }
multi_seed() { # CASE_DIR ROOT OUT
  local dir=$1 root=$2 out=$3
  {
    printf '%%%%%% %s\n' "$root"
    cat_line "$dir/$root"
    (cd "$dir" && find . -name '*.arch' | sed 's|^\./||' | sort) | while read -r f; do
      [ "$f" = "$root" ] && continue
      printf '%%%%%% %s\n' "$f"
      cat_line "$dir/$f"
    done
  } > "$out"
}
for target in parse check; do
  for dir in ../tests/fixtures/multi/*/; do
    dir=${dir%/}
    root=main.arch
    [ -f "$dir/team/main.arch" ] && root=team/main.arch
    multi_seed "$dir" "$root" "corpus/$target/multi_$(basename "$dir").arch"
  done
  multi_seed ../examples/split photo-share.arch "corpus/$target/multi_split-flagship.arch"
done
