#!/usr/bin/env bash
# Gives every generated compose project to the programs that will read it:
#
#   compose.yaml (+ .env)    Compose v2            docker compose config -q
#   haproxy/*.cfg            HAProxy               haproxy -c -f
#   nginx/*.conf             nginx                 nginx -t
#   prometheus.yml           Prometheus            promtool check config
#   alerts.yml               Prometheus            promtool check rules
#   alertmanager.yml         Alertmanager          amtool check-config
#
# over the compose build of every example, of the kitchen design
# (tests/backends_common/kitchen.arch) and of the engines design
# (tests/backends_common/engines.arch). A tool that is missing is installed
# (Debian packages; Compose v2 from Debian 13, see need_compose in
# .ci/lib.sh), and one
# that cannot be had fails the stage: nothing here is skipped.
#
# The configs are checked as the containers see them: in a private mount
# namespace (unshare, needs root) each file is bind-mounted where the
# compose project mounts it, and /etc/hosts names every service of the
# project, as Docker's DNS does inside the project network. So nginx finds
# its upstreams and promtool finds the rule file at /etc/prometheus.
#
# Usage: .ci/stages/compose-tools.sh   (ARCHC=path/to/archc to pick the binary)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

started=$SECONDS
archc_binary
need_apt unshare util-linux
need_apt haproxy haproxy
need_apt nginx nginx
need_apt promtool prometheus
need_apt amtool prometheus-alertmanager

need_compose

echo "tools:"
echo "  docker compose $compose_version (Debian $COMPOSE_SUITE, run from $compose)"
echo "  $(haproxy -v | head -n1)"
echo "  $(nginx -v 2>&1)"
echo "  $(promtool --version 2>&1 | head -n1)"
echo "  $(amtool --version 2>&1 | head -n1)"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

designs=("$root"/examples/*.arch "$root/tests/backends_common/kitchen.arch" "$root/tests/backends_common/engines.arch")
for design in "${designs[@]}"; do
  name="$(basename "$design" .arch)"
  "$archc" build "$design" --target compose -o "$out/$name" >/dev/null ||
    die "archc build $design --target compose failed"
done
mapfile -t projects < <(find "$out" -name compose.yaml -printf '%h\n' | sort)
[ "${#projects[@]}" -gt 0 ] || die "no compose.yaml was generated"

failures=0
declare -A checked=()
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# ran TOOL: counts one file given to TOOL.
ran() { checked[$1]=$((${checked[$1]:-0} + 1)); }

# in_project DIR COMMAND...: runs COMMAND in a private mount namespace
# where /etc/hosts names every service of the project in DIR, as
# Docker's DNS does for the containers. $TMPFS names folders that get an
# empty tmpfs first, $MKDIRS folders to make in them (so the host's own files there are neither read nor
# written), and $MOUNTS holds "SOURCE:TARGET" pairs to bind-mount, the
# target made as an empty file in such a tmpfs. Nothing outside the
# namespace changes.
in_project() {
  local dir="$1"
  shift
  local hosts="$dir/.ci-hosts"
  {
    echo "127.0.0.1 localhost"
    (cd "$dir" && "$compose" config --services) | sed 's/^/127.0.0.1 /'
  } >"$hosts"
  unshare --mount --propagation private -- bash -c '
    set -e
    mount --bind "$1" /etc/hosts
    shift
    for d in ${TMPFS:-}; do
      mount -t tmpfs tmpfs "$d"
    done
    for d in ${MKDIRS:-}; do
      mkdir -p "$d"
    done
    for m in ${MOUNTS:-}; do
      src="${m%%:*}" dst="${m#*:}"
      [ -e "$dst" ] || : >"$dst"
      mount --bind "$src" "$dst"
    done
    exec "$@"
  ' in_project "$hosts" "$@"
}

for dir in "${projects[@]}"; do
  rel="${dir#"$out"/}"
  # A user copies .env.example to .env and fills it in.
  sed -E 's/^([A-Za-z_][A-Za-z0-9_]*)=.*/\1=ci-dummy-s3cret/' "$dir/.env.example" >"$dir/.env"
  if ! (cd "$dir" && "$compose" config -q); then
    fail "$rel/compose.yaml: docker compose config"
  fi
  ran "docker compose config"

  for cfg in "$dir"/haproxy/*.cfg; do
    [ -e "$cfg" ] || continue
    if ! log="$(in_project "$dir" haproxy -c -f "$cfg" 2>&1)"; then
      fail "${cfg#"$out"/}: haproxy -c"$'\n'"$log"
    fi
    ran haproxy
  done

  for conf in "$dir"/nginx/*.conf; do
    [ -e "$conf" ] || continue
    # The image's /etc/nginx/nginx.conf, reduced to what -t needs: the
    # server block goes into http {} as /etc/nginx/conf.d/default.conf.
    # The image has /var/cache/nginx, where the cache zones live; Debian's
    # nginx does not, so the namespace gets an empty /var/cache.
    main="$dir/.ci-nginx.conf"
    cat >"$main" <<EOF
worker_processes 1;
pid $dir/.ci-nginx.pid;
error_log stderr;
events {}
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  include /etc/nginx/conf.d/default.conf;
}
EOF
    if ! log="$(TMPFS="/var/cache /etc/nginx/conf.d" MKDIRS=/var/cache/nginx MOUNTS="$conf:/etc/nginx/conf.d/default.conf" \
      in_project "$dir" nginx -q -t -e stderr -c "$main" 2>&1)"; then
      fail "${conf#"$out"/}: nginx -t"$'\n'"$log"
    fi
    ran nginx
  done

  prom="$dir/prometheus/prometheus.yml"
  if [ -e "$prom" ]; then
    mounts="$prom:/etc/prometheus/prometheus.yml"
    [ -e "$dir/prometheus/alerts.yml" ] &&
      mounts="$mounts $dir/prometheus/alerts.yml:/etc/prometheus/alerts.yml"
    if ! log="$(TMPFS=/etc/prometheus MOUNTS="$mounts" in_project "$dir" \
      promtool check config /etc/prometheus/prometheus.yml 2>&1)"; then
      fail "${prom#"$out"/}: promtool check config"$'\n'"$log"
    fi
    ran "promtool check config"
  fi
  rules="$dir/prometheus/alerts.yml"
  if [ -e "$rules" ]; then
    if ! log="$(promtool check rules "$rules" 2>&1)"; then
      fail "${rules#"$out"/}: promtool check rules"$'\n'"$log"
    fi
    ran "promtool check rules"
  fi
  am="$dir/alertmanager/alertmanager.yml"
  if [ -e "$am" ]; then
    if ! log="$(amtool check-config "$am" 2>&1)"; then
      fail "${am#"$out"/}: amtool check-config"$'\n'"$log"
    fi
    ran "amtool check-config"
  fi
done

for tool in "docker compose config" haproxy nginx "promtool check config" \
  "promtool check rules" "amtool check-config"; do
  [ "${checked[$tool]:-0}" -gt 0 ] || fail "no file was given to $tool: the designs no longer cover it"
  echo "  $tool: ${checked[$tool]:-0} file(s)"
done
[ "$failures" -eq 0 ] || die "$failures check(s) failed"
echo "compose-tools: ${#projects[@]} projects from ${#designs[@]} designs pass every tool ($((SECONDS - started))s)"
