#!/usr/bin/env bash
# Builds the compose projects of every example with the archc binary and
# validates each generated compose.yaml against the Compose Specification
# with check-jsonschema (`pip install check-jsonschema`).
#
# Usage: .ci/stages/compose-schema.sh   (ARCHC=path/to/archc to pick the binary;
# default target/debug/archc)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
archc="${ARCHC:-$root/target/debug/archc}"

[ -x "$archc" ] || cargo build --quiet --manifest-path "$root/Cargo.toml"
if [ ! -x "$archc" ]; then
  echo "error: $archc is not an executable; run \`cargo build\` or set ARCHC" >&2
  exit 2
fi
# CI installs its own validator, so a fresh machine passes too; it runs as
# a module so no freshly installed shim has to be on PATH.
if ! python3 -m check_jsonschema --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check check-jsonschema
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for design in "$root"/examples/*.arch; do
  name="$(basename "$design" .arch)"
  "$archc" build "$design" --target compose -o "$out/$name" >/dev/null
done

mapfile -t files < <(find "$out" -name compose.yaml | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "error: no compose.yaml was generated" >&2
  exit 1
fi

python3 -m check_jsonschema --builtin-schema vendor.compose-spec "${files[@]}"
echo "check-jsonschema: ${#files[@]} compose files valid"
