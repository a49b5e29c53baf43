#!/usr/bin/env bash
# Builds the Kubernetes manifests of every example with the archc binary and
# validates each generated manifest (not the kustomization files, which are
# not Kubernetes resources) against the Kubernetes JSON schemas with
# kubernetes-validate (`pip install kubernetes-validate`), strictly: an
# unknown field is an error.
#
# Usage: .ci/stages/kubernetes-schema.sh   (ARCHC=path/to/archc to pick the
# binary, default target/debug/archc; K8S_VERSION to pick the schemas,
# default 1.30.0)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
archc="${ARCHC:-$root/target/debug/archc}"
version="${K8S_VERSION:-1.30.0}"

[ -x "$archc" ] || cargo build --quiet --manifest-path "$root/Cargo.toml"
if [ ! -x "$archc" ]; then
  echo "error: $archc is not an executable; run \`cargo build\` or set ARCHC" >&2
  exit 2
fi
# CI installs its own validator, so a fresh machine passes too; it runs as
# a module so no freshly installed shim has to be on PATH.
if ! python3 -m kubernetes_validate --version >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for design in "$root"/examples/*.arch; do
  name="$(basename "$design" .arch)"
  "$archc" build "$design" --target kubernetes -o "$out/$name" >/dev/null
done

mapfile -t files < <(find "$out" -name '*.yaml' ! -name kustomization.yaml | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "error: no manifest was generated" >&2
  exit 1
fi

python3 -m kubernetes_validate --strict --quiet -k "$version" "${files[@]}"
echo "kubernetes-validate: ${#files[@]} manifest files valid against Kubernetes $version"
