#!/usr/bin/env bash
# The pre-commit hooks of .pre-commit-hooks.yaml, run the way a user's
# repository runs them: `pre-commit try-repo` against this checkout, in a
# scratch git repository holding one clean design, one badly laid out and
# one with an error. archc-fmt must rewrite the badly laid out one (and so
# fail, as pre-commit does when a hook changes files) and leave the clean
# one alone; archc-check must pass the clean one and fail the broken one.
#
# Usage: .ci/stages/pre-commit.sh
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

PRE_COMMIT_VERSION=4.7.0
archc_binary
need_venv pre-commit "pre-commit==$PRE_COMMIT_VERSION"
pre_commit="$venv/bin/pre-commit"
"$pre_commit" --version >/dev/null || die "pre-commit does not run"
command -v cargo >/dev/null 2>&1 || die "cargo is needed: the hooks build archc with it"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# pre-commit's own cache (the hook's cargo build) stays with the tools, so
# a rerun on this machine does not rebuild archc unless the sources changed.
export PRE_COMMIT_HOME="$tools/pre-commit-home"

cd "$work"
git init -q .
git config user.email ci@example.invalid
git config user.name ci
cp "$root/examples/09-sharded-db.arch" clean.arch
"$archc" fmt clean.arch >/dev/null || die "archc fmt failed on an example"
# The same design, its attributes run together and indented oddly.
sed -e 's/^  \([a-z_]*\) *= */      \1=/' clean.arch >messy.arch
cmp -s clean.arch messy.arch && die "the messy copy is not messier"
printf 'system broken\nservice web { capacty = 100/s }\n' >broken.arch
git add clean.arch messy.arch broken.arch

try() { "$pre_commit" try-repo "$root" "$@" 2>&1; }

out="$(try archc-fmt --files clean.arch)" || die "archc-fmt failed on a formatted file:
$out"
git diff --quiet -- clean.arch || die "archc-fmt changed a formatted file"

if out="$(try archc-fmt --files messy.arch)"; then
  die "archc-fmt passed a badly laid out file:
$out"
fi
cmp -s clean.arch messy.arch || die "archc-fmt did not lay out messy.arch as archc fmt does:
$(diff clean.arch messy.arch)"

out="$(try archc-check --files clean.arch)" || die "archc-check failed on a clean design:
$out"
if out="$(try archc-check --files broken.arch)"; then
  die "archc-check passed a design with an unknown attribute:
$out"
fi
echo "$out" | grep -q "capacty" || die "archc-check's output does not name the problem:
$out"
echo "pre-commit $PRE_COMMIT_VERSION try-repo: archc-fmt rewrites and archc-check fails exactly when they should"
