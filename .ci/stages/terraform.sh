#!/usr/bin/env bash
# Builds every example (and the kitchen-sink and engines test designs) for
# the terraform target, then for each output: `terraform fmt -check`, `terraform init
# -backend=false` and `terraform validate` against the real AWS provider,
# installed from a filesystem mirror (no network), and checkov with the skip
# list of docs/backends.md. Any finding outside that list fails the stage.
#
# Usage: .ci/stages/terraform.sh   (ARCHC=path/to/archc to pick the binary;
# TF_PLUGIN_MIRROR=dir for the mirror, default: found under / or /opt)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

# Checks that do not apply to what archc generates; docs/backends.md gives
# the reason for each. Keep the two lists in step.
SKIP=(
  CKV_AWS_18   # S3 access logging
  CKV2_AWS_62  # S3 event notifications
  CKV_AWS_144  # S3 cross-region replication
  CKV_AWS_145  # S3 SSE-KMS
  CKV_AWS_119  # DynamoDB with a customer-managed key
  CKV_AWS_191  # ElastiCache with a customer-managed key
  CKV_AWS_354  # Performance Insights with a customer-managed key
  CKV_AWS_182  # DocumentDB with a customer-managed key
  CKV_AWS_247  # OpenSearch Service with a customer-managed key
  CKV_AWS_142  # Redshift with a customer-managed key
  CKV_AWS_158  # CloudWatch log groups with a customer-managed key
  CKV2_AWS_28  # WAF on public load balancers
  CKV_AWS_68   # WAF on CloudFront
  CKV2_AWS_47  # WAF Log4j rule on CloudFront
  CKV_AWS_86   # CloudFront access logging
  CKV_AWS_305  # CloudFront default root object
  CKV_AWS_374  # CloudFront geo restriction
  CKV2_AWS_30  # PostgreSQL query logging
  CKV_AWS_394  # availability zones pinned by name
)

archc_binary
need_checkov
command -v terraform >/dev/null 2>&1 || die "terraform is not on PATH; install Terraform >= 1.5"

mirror="${TF_PLUGIN_MIRROR:-}"
if [ -z "$mirror" ]; then
  provider="$(find /opt / -maxdepth 5 -path '*registry.terraform.io/hashicorp/aws' -print -quit 2>/dev/null || true)"
  [ -n "$provider" ] && mirror="${provider%/registry.terraform.io/hashicorp/aws}"
fi
[ -n "$mirror" ] && [ -d "$mirror/registry.terraform.io/hashicorp/aws" ] ||
  die "no filesystem mirror of registry.terraform.io/hashicorp/aws found (set TF_PLUGIN_MIRROR)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# Only the mirror, only the AWS provider: a design needing any other
# provider fails `terraform init`.
cat >"$out/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$out/terraformrc"
export TF_PLUGIN_CACHE_DIR="$tools/terraform-plugins"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
mkdir -p "$TF_PLUGIN_CACHE_DIR"

designs=("$root"/examples/*.arch "$root/tests/backends_common/kitchen.arch" "$root/tests/backends_common/engines.arch" "$root/tests/backends_common/routes.arch")
skip="$(IFS=,; echo "${SKIP[*]}")"
failed=0
for design in "${designs[@]}"; do
  name="$(basename "$design" .arch)"
  dir="$out/$name"
  "$archc" build "$design" --target terraform -o "$dir" >/dev/null
  terraform -chdir="$dir" fmt -check -diff >"$out/$name.fmt" 2>&1 ||
    { echo "$name: terraform fmt -check"; cat "$out/$name.fmt"; failed=1; continue; }
  terraform -chdir="$dir" init -backend=false -input=false -no-color >"$out/$name.init" 2>&1 ||
    { echo "$name: terraform init"; cat "$out/$name.init"; failed=1; continue; }
  terraform -chdir="$dir" validate -no-color >"$out/$name.validate" 2>&1 ||
    { echo "$name: terraform validate"; cat "$out/$name.validate"; failed=1; continue; }
  # checkov reads only the .tf files, not the provider it would otherwise
  # scan inside .terraform.
  rm -rf "$dir/.terraform" "$dir/.terraform.lock.hcl"
  if ! "$checkov" -d "$dir" --framework terraform --skip-check "$skip" \
    --quiet --compact >"$out/$name.checkov" 2>&1; then
    echo "$name: checkov"
    cat "$out/$name.checkov"
    failed=1
    continue
  fi
  echo "$name: fmt, init, validate, checkov clean"
done
[ "$failed" -eq 0 ] || die "terraform stage failed"
echo "terraform $(terraform version -json | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])'), checkov $("$checkov" --version): ${#designs[@]} designs pass"
