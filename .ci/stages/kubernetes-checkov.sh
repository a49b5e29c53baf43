#!/usr/bin/env bash
# Builds the Kubernetes manifests of every example, the kitchen-sink design,
# tests/backends_common/engines.arch (the engines the kitchen lacks) and tests/backends_common/replicated.arch (every replicated engine),
# renders every datacenter's overlay with `kubectl kustomize`, and scans
# each rendering with checkov's full Kubernetes check set. Any failed check
# fails the stage, except the few in SKIP, each justified in
# docs/backends.md ("checkov: checks that do not apply").
#
# Usage: .ci/stages/kubernetes-checkov.sh   (ARCHC=path/to/archc to pick the
# binary, default target/debug/archc)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

# Keep in step with docs/backends.md.
SKIP=(
  CKV_K8S_35 # secrets as files: services are handed `<X>_PASSWORD` variables
  CKV_K8S_40 # UID >= 10000: engines run as their image's documented user
  CKV_K8S_43 # image digests: the catalogue pins tags; digests are per platform
)

archc_binary
need_checkov
command -v kubectl >/dev/null 2>&1 || need_apt kubectl kubectl
kubectl kustomize --help >/dev/null 2>&1 || die "kubectl has no kustomize"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT



designs=("$root"/examples/*.arch "$root/tests/backends_common/kitchen.arch" "$root/tests/backends_common/engines.arch" "$root/tests/backends_common/replicated.arch")
scanned=0
for design in "${designs[@]}"; do
  name="$(basename "$design" .arch)"
  "$archc" build "$design" --target kubernetes -o "$out/$name" >/dev/null ||
    die "archc could not build $design"
  for overlay in "$out/$name"/overlays/*/; do
    dc="$(basename "$overlay")"
    mkdir -p "$out/rendered/$name"
    kubectl kustomize "$overlay" >"$out/rendered/$name/$dc.yaml" ||
      die "kubectl kustomize failed on $name/overlays/$dc"
    scanned=$((scanned + 1))
  done
done
[ "$scanned" -gt 0 ] || die "no overlay was rendered"

skip="$(IFS=,; echo "${SKIP[*]}")"
status=0
for dir in "$out"/rendered/*/; do
  name="$(basename "$dir")"
  if ! "$checkov" --directory "$dir" --framework kubernetes --skip-check "$skip" \
    --compact --quiet --output cli >"$out/$name.checkov" 2>&1; then
    echo "checkov: $name fails:" >&2
    cat "$out/$name.checkov" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] || die "checkov found failures (skipped: $skip)"
echo "checkov $("$checkov" --version): ${#designs[@]} designs, $scanned rendered overlays pass the Kubernetes checks (skipped: $skip)"
