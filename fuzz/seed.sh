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
