#!/usr/bin/env bash
# Validates the SARIF archc writes for every example with the Microsoft
# SARIF Multitool (`@microsoft/sarif-multitool` from npm, pinned), the
# validator code-scanning services follow, in addition to the schema test
# in `cargo test`. Each example is checked by relative path (locations
# relative to %SRCROOT%), by absolute path (file: URIs) and all together
# as a folder. Any error-level result fails the stage.
#
# Usage: .ci/stages/sarif.sh   (ARCHC=path/to/archc to pick the binary)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
archc_binary

MULTITOOL_VERSION=5.7.0
mt_dir="$tools/sarif-multitool-$MULTITOOL_VERSION"
multitool="$mt_dir/node_modules/.bin/sarif-multitool"
if [ ! -x "$multitool" ]; then
  command -v npm >/dev/null || die "npm is needed to install the SARIF Multitool"
  echo "installing @microsoft/sarif-multitool@$MULTITOOL_VERSION into $mt_dir"
  mkdir -p "$mt_dir"
  npm install --prefix "$mt_dir" --no-audit --no-fund --silent \
    "@microsoft/sarif-multitool@$MULTITOOL_VERSION" || die "npm could not install the SARIF Multitool"
fi
"$multitool" --version | head -1

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

cd "$root"
n=0
sarif_of() { # NAME ARGS...: archc check --format sarif ARGS > $out/NAME.sarif
  local name="$1"
  shift
  local rc=0
  "$archc" check --format sarif "$@" >"$out/$name.sarif" || rc=$?
  # 0: clean, 1: findings at the denied level; anything else is a failure.
  [ "$rc" -le 1 ] || die "archc check --format sarif $* exited $rc"
  n=$((n + 1))
}
for design in examples/*.arch; do
  name="$(basename "$design" .arch)"
  sarif_of "$name-relative" "$design"
  sarif_of "$name-absolute" "$root/$design"
done
sarif_of all-examples examples
# Designs of several files: one artifact per file, related locations in
# another file's artifact.
sarif_of split-relative examples/split/photo-share.arch
sarif_of split-absolute "$root/examples/split/photo-share.arch"
sarif_of templated "$root/tests/fixtures/multi/suppression-templated/main.arch"

failed=0
for f in "$out"/*.sarif; do
  report="${f%.sarif}.validation.sarif"
  # The Multitool exits non-zero when it reports anything, warnings too;
  # the verdict is read from its own SARIF output instead.
  "$multitool" validate "$f" -o "$report" --log ForceOverwrite --quiet >/dev/null 2>&1 || true
  [ -s "$report" ] || die "the SARIF Multitool wrote no report for $f"
  errors="$(python3 - "$report" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
for run in log["runs"]:
    for r in run.get("results", []):
        if r.get("level", "warning") == "error":
            print(f'{r["ruleId"]}: {r["message"].get("text", "")}')
PY
)"
  if [ -n "$errors" ]; then
    echo "error-level results for $(basename "$f"):" >&2
    echo "$errors" | head -20 >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || die "the SARIF Multitool found errors"
echo "sarif-multitool: $n SARIF logs valid, no error-level result"
