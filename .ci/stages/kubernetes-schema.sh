#!/usr/bin/env bash
# Builds the Kubernetes manifests of every example, the kitchen-sink design
# and the engines design with the archc binary and validates, strictly (an unknown field is
# an error), against the Kubernetes JSON schemas with kubernetes-validate:
# each generated base manifest (not the kustomization files, which are not
# Kubernetes resources), and each datacenter's overlay as `kubectl
# kustomize` renders it (the objects a cluster is actually sent).
#
# Usage: .ci/stages/kubernetes-schema.sh   (ARCHC=path/to/archc to pick the
# binary, default target/debug/archc; K8S_VERSION to pick the schemas,
# default 1.30.0)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

version="${K8S_VERSION:-1.30.0}"

archc_binary
command -v kubectl >/dev/null 2>&1 || need_apt kubectl kubectl
kubectl kustomize --help >/dev/null 2>&1 || die "kubectl has no kustomize"
need_venv kubernetes-validate "kubernetes-validate==1.37.0"
validate="$venv/bin/kubernetes-validate"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

mkdir -p "$out/rendered"
for design in "$root"/examples/*.arch "$root/tests/backends_common/kitchen.arch" "$root/tests/backends_common/engines.arch"; do
  name="$(basename "$design" .arch)"
  "$archc" build "$design" --target kubernetes -o "$out/$name" >/dev/null ||
    die "archc could not build $design"
  for overlay in "$out/$name"/overlays/*/; do
    dc="$(basename "$overlay")"
    kubectl kustomize "$overlay" >"$out/rendered/$name-$dc.yaml" ||
      die "kubectl kustomize failed on $name/overlays/$dc"
  done
done

mapfile -t files < <(find "$out" -path "$out/rendered" -prune -o -name '*.yaml' ! -name kustomization.yaml -print | sort)
mapfile -t rendered < <(find "$out/rendered" -name '*.yaml' | sort)
[ "${#files[@]}" -gt 0 ] || die "no manifest was generated"
[ "${#rendered[@]}" -gt 0 ] || die "no overlay was rendered"

"$validate" --strict --quiet -k "$version" "${files[@]}"
echo "kubernetes-validate: ${#files[@]} manifest files valid against Kubernetes $version"
"$validate" --strict --quiet -k "$version" "${rendered[@]}"
echo "kubernetes-validate: ${#rendered[@]} rendered overlays valid against Kubernetes $version"
