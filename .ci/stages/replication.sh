#!/usr/bin/env bash
# Proves that the replication archc generates replicates: real servers on
# 127.0.0.1, no containers. For each (backend, engine) a function takes
# the primary and replica set-up the backend wrote for a small design with
# a replicated PostgreSQL and a replicated Redis — the same rendered
# scripts, commands and arguments, read back through the real tool that
# would run them (`docker compose config`; for Kubernetes the manifests'
# ConfigMap scripts, args and env, read with PyYAML), with only host paths,
# 127.0.0.1 and free ports substituted for the container's — starts a
# primary and a replica, writes on the primary, reads the row or key back
# from the replica (polled, bounded), and checks that the replica refuses
# writes.
#
# MySQL's GTID set-up is not run: Debian ships MariaDB, whose GTIDs and
# `CHANGE REPLICATION SOURCE` syntax differ from MySQL 8.4's, so a pass
# here would prove nothing about the generated scripts. The stage says so
# in its output (see docs/backends.md).
#
# Kubernetes also substitutes the Secrets' values (test values), HOSTNAME
# (the StatefulSet's pod name) and PGPORT for the readiness probes, and runs
# each role's ready.sh once; what only a pod does (entrypoint, mounts,
# securityContext, DNS, NetworkPolicy, the kubelet) it names in its output.
#
# Adding a backend's proof is a function
# `<backend>_<engine>` that builds with --target <backend>, reads the set-up
# out of its files, and calls the shared helpers below (pg_*, redis_*,
# poll, expect_refused); then one entry in `proofs`.
#
# Usage: .ci/stages/replication.sh   (ARCHC=path/to/archc to pick the binary)
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

started=$SECONDS
archc_binary
need_apt python3 python3
need_apt redis-server redis-server
need_apt redis-cli redis-tools
need_compose
# PyYAML reads the Kubernetes manifests: the system's, or a pinned venv's.
k8s_python=python3
if ! python3 -c 'import yaml' 2>/dev/null; then
  need_venv pyyaml "pyyaml==6.0.2"
  k8s_python="$venv/bin/python3"
fi
pg_bin="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
if [ ! -x "$pg_bin/postgres" ]; then
  need_apt pg_ctlcluster postgresql
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
fi
[ -x "$pg_bin/postgres" ] || die "no PostgreSQL server binaries under /usr/lib/postgresql"
# The postgres servers run as this user (the Debian package's).
pg_user="${PG_USER:-postgres}"
id "$pg_user" >/dev/null 2>&1 || die "no user $pg_user to run postgres as"
# A bound on every wait.
timeout_s="${REPLICATION_TIMEOUT:-30}"

echo "tools:"
echo "  docker compose $compose_version"
echo "  $("$pg_bin/postgres" --version)"
echo "  $(redis-server --version)"

work="$(mktemp -d)"
chmod 0755 "$work"
pg_dirs=()
pids=()
cleanup() {
  local d p
  for d in "${pg_dirs[@]}"; do
    [ -e "$d/postmaster.pid" ] &&
      runuser -u "$pg_user" -- "$pg_bin/pg_ctl" -D "$d" -m immediate stop >/dev/null 2>&1
  done
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# poll WHAT EXPECTED COMMAND...: runs COMMAND until it prints EXPECTED, at
# most $timeout_s seconds.
poll() {
  local what="$1" expected="$2" got=""
  shift 2
  local deadline=$((SECONDS + timeout_s))
  while [ "$SECONDS" -lt "$deadline" ]; do
    got="$("$@" 2>/dev/null || true)"
    [ "$got" = "$expected" ] && return 0
    sleep 0.5
  done
  die "$what: expected \"$expected\" within ${timeout_s}s, last got \"$got\""
}

# expect_refused WHAT PATTERN COMMAND...: COMMAND must fail, saying PATTERN.
expect_refused() {
  local what="$1" pattern="$2" out
  shift 2
  if out="$("$@" 2>&1)"; then
    die "$what: the replica accepted a write: $out"
  fi
  grep -qi -- "$pattern" <<<"$out" || die "$what: refused, but not as read-only: $out"
}

# compose_project DESIGN DIR: the compose build of DESIGN in DIR, with an
# .env from .env.example as a user makes it, and the project as Compose v2
# reads it (resolved, in JSON) in DIR/config.json.
compose_project() {
  local design="$1" dir="$2"
  "$archc" build "$design" --target compose -o "$dir" >/dev/null
  sed -E 's/^([A-Za-z_][A-Za-z0-9_]*)=.*/\1=proof-\1-s3cret/' "$dir/.env.example" >"$dir/.env"
  (cd "$dir" && "$compose" config --format json) >"$dir/config.json" ||
    die "docker compose config failed on $dir"
}

# compose_field DIR SERVICE KEY [INDEX]: one field of a service in the
# resolved project, as the container gets it (Compose's `$$` is `$`).
# A list prints one item per line, or item INDEX.
compose_field() {
  python3 - "$@" <<'PY'
import json, sys
dir, service, key = sys.argv[1:4]
index = int(sys.argv[4]) if len(sys.argv) > 4 else None
svc = json.load(open(f"{dir}/config.json"))["services"][service]
value = svc
for part in key.split("."):
    value = value[part]
def plain(s):
    return str(s).replace("$$", "$")
if isinstance(value, list):
    if index is not None:
        print(plain(value[index]))
    else:
        for v in value:
            print(plain(v))
else:
    print(plain(value))
PY
}

# The design every compose proof builds: a replicated PostgreSQL and a
# replicated Redis.
design="$work/replication.arch"
cat >"$design" <<'EOF'
system replication-proof

traffic {
  rate = 10/s
}

service app

database orders {
  engine   = postgres
  replicas = 1
}

cache sessions {
  engine   = redis
  replicas = 2
}

app -> orders [read, write]
app -> sessions
EOF

# ---- PostgreSQL helpers: the postgres image's entrypoint, on the host.

# pg_run ENV... -- COMMAND...: COMMAND as the postgres user with the
# server binaries on PATH.
pg_run() {
  local envs=()
  while [ "$1" != "--" ]; do
    envs+=("$1")
    shift
  done
  shift
  runuser -u "$pg_user" -- env PATH="$pg_bin:$PATH" "${envs[@]}" "$@"
}

# pg_init_primary DATA SOCKET USER DB PASSWORD INIT_SCRIPT ENV...: what the
# image does on a first start: initdb, the pg_hba.conf line it adds
# (`host all all all scram-sha-256`; the loopback lines initdb writes are
# dropped, so connections are judged as from another container), the
# database (unless it is `postgres`), then the init script, sourced with the service's environment,
# against a server that listens on its socket only.
pg_init_primary() {
  local data="$1" sock="$2" user="$3" db="$4" password="$5" script="$6"
  shift 6
  pg_dirs+=("$data")
  install -d -o "$pg_user" -m 0700 "$data"
  install -d -o "$pg_user" "$sock"
  local pwfile="$work/pw.$$"
  printf '%s\n' "$password" >"$pwfile"
  chown "$pg_user" "$pwfile"
  pg_run -- initdb -D "$data" --username="$user" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  printf 'local all all trust\nhost all all all scram-sha-256\n' >"$data/pg_hba.conf"
  chown "$pg_user" "$data/pg_hba.conf"
  pg_run -- pg_ctl -D "$data" -w -o "-c listen_addresses='' -k $sock" start >/dev/null
  # The image creates POSTGRES_DB unless it is `postgres` (initdb's own).
  if [ "$db" != postgres ]; then
    pg_run PGHOST="$sock" -- psql -v ON_ERROR_STOP=1 -q -U "$user" -d postgres \
      -c "CREATE DATABASE \"$db\"" >/dev/null
  fi
  pg_run PGHOST="$sock" PGDATA="$data" POSTGRES_USER="$user" POSTGRES_DB="$db" "$@" -- \
    bash "$script" >/dev/null
  pg_run -- pg_ctl -D "$data" -w -m fast stop >/dev/null
}

# pg_psql PORT USER DB PASSWORD SQL: one statement over TCP, with
# password authentication, printing bare rows.
pg_psql() {
  PGPASSWORD="$4" "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -tAc "$5"
}

# ---- Redis helpers.

# redis_start DIR SCRIPT PASSWORD PORT: the command's script, run by sh
# with the password in REDISCLI_AUTH as Compose sets it, on 127.0.0.1:PORT
# with its files in DIR. The script ends with `exec redis-server ARGS`;
# the host's port, address and folder are appended to ARGS.
redis_start() {
  local dir="$1" script="$2" password="$3" port="$4"
  mkdir -p "$dir"
  REDISCLI_AUTH="$password" sh -c "$script --port $port --bind 127.0.0.1 --dir $dir --save '' --appendonly no" \
    >"$dir/redis.log" 2>&1 &
  pids+=("$!")
  poll "redis on $port" PONG env REDISCLI_AUTH="$password" redis-cli -p "$port" ping
}

# ---- Kubernetes helpers: the manifests as archc wrote them.

# k8s_build DESIGN DIR: the kubernetes build of DESIGN in DIR.
k8s_build() {
  "$archc" build "$1" --target kubernetes -o "$2" >/dev/null
}

# k8s_field DIR KIND NAME PATH: one field of the object KIND/NAME in
# DIR/base/*.yaml. PATH is dotted; a number indexes a list, `name=X` picks
# the list item named X. A list prints one item per line (an `env` list as
# NAME=VALUE lines), a mapping as JSON. An env value from a Secret
# (valueFrom.secretKeyRef) prints as the test value proof-<secret>-<key>,
# as the user's Secret would hold it. Fails if the field is absent.
k8s_field() {
  "$k8s_python" -c '
import glob, json, sys, yaml
dir, kind, name, path = sys.argv[1:5]
objs = [o for f in sorted(glob.glob(dir + "/base/*.yaml"))
        for o in yaml.safe_load_all(open(f)) if o]
found = [o for o in objs if o.get("kind") == kind and o["metadata"]["name"] == name]
if len(found) != 1:
    sys.exit("%s/%s: %d objects in %s/base" % (kind, name, len(found), dir))
def env_value(e):
    if "valueFrom" in e:
        ref = e["valueFrom"]["secretKeyRef"]
        return "proof-%s-%s" % (ref["name"], ref["key"])
    return str(e["value"])
value = found[0]
for part in path.split("."):
    if isinstance(value, list) and part.isdigit():
        value = value[int(part)]
    elif isinstance(value, list) and "=" in part:
        k, v = part.split("=", 1)
        items = [i for i in value if isinstance(i, dict) and str(i.get(k)) == v]
        if len(items) != 1:
            sys.exit("%s/%s: %s: no single item %s" % (kind, name, path, part))
        value = items[0]
    elif isinstance(value, dict) and part in value:
        value = value[part]
    else:
        sys.exit("%s/%s: no %s" % (kind, name, path))
if isinstance(value, dict) and "name" in value and ("value" in value or "valueFrom" in value):
    value = env_value(value)
if isinstance(value, list):
    for v in value:
        if isinstance(v, dict) and "name" in v and ("value" in v or "valueFrom" in v):
            print("%s=%s" % (v["name"], env_value(v)))
        else:
            print(v if isinstance(v, str) else json.dumps(v))
elif isinstance(value, dict):
    print(json.dumps(value))
else:
    print(value)
' "$@"
}

# k8s_script DIR CONFIGMAP KEY FILE: a ConfigMap's script, written to FILE
# with the mode the mounted ConfigMap gives it (0644).
k8s_script() {
  "$k8s_python" -c '
import glob, sys, yaml
dir, name, key, out = sys.argv[1:5]
objs = [o for f in sorted(glob.glob(dir + "/base/*.yaml"))
        for o in yaml.safe_load_all(open(f)) if o]
cm = [o for o in objs if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == name]
if len(cm) != 1 or key not in cm[0].get("data", {}):
    sys.exit("no ConfigMap %s with %s in %s/base" % (name, key, dir))
open(out, "w").write(cm[0]["data"][key])
' "$@"
  chmod 0644 "$4"
}

# k8s_expect WHAT EXPECTED ACTUAL: a field of the manifests is what the
# proof assumes.
k8s_expect() {
  [ "$2" = "$3" ] || die "kubernetes: $1: expected \"$2\", got \"$3\""
}

# k8s_probe WHAT ROLE COMMAND...: the readiness probe COMMAND (run once,
# as the kubelet would) succeeds for the pod's own ROLE and fails for the
# other one. COMMAND's last word is the role; it is swapped.
k8s_probe() {
  local what="$1" role="$2" other
  shift 2
  case "$role" in primary) other=replica ;; *) other=primary ;; esac
  local cmd=("$@")
  k8s_expect "$what's probe role" "$role" "${cmd[-1]}"
  local deadline=$((SECONDS + timeout_s))
  until "${cmd[@]}" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "$what: readiness probe (${cmd[*]}) failed for ${timeout_s}s"
    sleep 0.5
  done
  cmd[-1]="$other"
  if "${cmd[@]}" >/dev/null 2>&1; then
    die "$what: readiness probe passed as $other too (${cmd[*]})"
  fi
}

# What the Kubernetes proofs cannot run outside a pod: said, not skipped.
k8s_not_run() {
  echo "    not run outside a pod (left to the kubernetes tests, checkov and the rendered-"
  echo "    overlay validation): the image's entrypoint (emulated as for compose), the"
  echo "    securityContext (runAsUser 999, read-only root file system), the ConfigMap,"
  echo "    Secret and PVC mounts (files, test values and folders stand in), Service DNS,"
  echo "    the StatefulSet's pod names (HOSTNAME set by hand), the NetworkPolicy, and the"
  echo "    kubelet's probe schedule (ready.sh is run once per role, by hand)"
}

# ---- The proofs, one per (backend, engine).

compose_postgres() {
  local dir="$work/compose-postgres"
  compose_project "$design" "$dir"
  local primary=orders replica=orders-replica-1
  local user db password repl_password slots
  user="$(compose_field "$dir" "$primary" environment.POSTGRES_USER)"
  db="$(compose_field "$dir" "$primary" environment.POSTGRES_DB)"
  password="$(compose_field "$dir" "$primary" environment.POSTGRES_PASSWORD)"
  repl_password="$(compose_field "$dir" "$primary" environment.REPLICATION_PASSWORD)"
  slots="$(compose_field "$dir" "$primary" environment.REPLICATION_SLOTS)"
  local init="$dir/postgres/primary-init.sh" sock="$work/pg-sock"
  local command replica_script
  mapfile -t command < <(compose_field "$dir" "$primary" command)
  replica_script="$(compose_field "$dir" "$replica" entrypoint 2)"
  [ "$(compose_field "$dir" "$replica" user)" = postgres ] ||
    die "$replica does not run as the postgres user"
  [ "$(compose_field "$dir" "$replica" environment.PGPASSWORD)" = "$repl_password" ] ||
    die "$replica does not get the replication password"

  local p_port r_port
  p_port="$(free_port)"
  r_port="$(free_port)"
  local p_data="$work/pg-primary" r_data="$work/pg-replica"
  chmod 0700 "$init"
  chmod a+r "$init"
  pg_init_primary "$p_data" "$sock" "$user" "$db" "$password" "$init" \
    REPLICATION_PASSWORD="$repl_password" REPLICATION_SLOTS="$slots"

  # The primary, with the generated command (`postgres -c …`).
  pg_run -- "${command[@]}" -D "$p_data" -p "$p_port" -k "$sock" \
    -c listen_addresses=127.0.0.1 >"$work/pg-primary.log" 2>&1 &
  pids+=("$!")
  poll "postgres primary" "$db" pg_psql "$p_port" "$user" "$db" "$password" "SELECT current_database()"

  # The replica, with the generated entrypoint: the primary's host name
  # becomes 127.0.0.1 with its port, and the server it finally execs gets
  # the host's port, socket folder and address.
  local script="$replica_script"
  script="${script//-h $primary /-h 127.0.0.1 -p $p_port }"
  [ "$script" != "$replica_script" ] || die "the replica script does not name its primary as \`-h $primary\`"
  script="$script -p $r_port -k $sock -c listen_addresses=127.0.0.1"
  install -d -o "$pg_user" -m 0700 "$r_data"
  pg_dirs+=("$r_data")
  pg_run PGDATA="$r_data" PGPASSWORD="$repl_password" -- sh -c "$script" >"$work/pg-replica.log" 2>&1 &
  pids+=("$!")
  poll "postgres replica" t pg_psql "$r_port" "$user" "$db" "$password" "SELECT pg_is_in_recovery()"

  local value="written-on-the-primary-$RANDOM"
  pg_psql "$p_port" "$user" "$db" "$password" \
    "CREATE TABLE proof (v text); INSERT INTO proof VALUES ('$value')" >/dev/null
  poll "the row on the replica" "$value" pg_psql "$r_port" "$user" "$db" "$password" "SELECT v FROM proof"
  poll "the replica's slot on the primary" t pg_psql "$p_port" "$user" "$db" "$password" \
    "SELECT active FROM pg_replication_slots WHERE slot_name = '${slots%%,*}'"
  expect_refused "postgres replica" "read-only" \
    pg_psql "$r_port" "$user" "$db" "$password" "INSERT INTO proof VALUES ('no')"
  echo "  compose postgres: $replica streams from $primary (slot ${slots%%,*}): the row arrived, writes are refused"
}

compose_redis() {
  local dir="$work/compose-redis"
  compose_project "$design" "$dir"
  local primary=sessions replica=sessions-replica-1
  local password p_script r_script
  password="$(compose_field "$dir" "$primary" environment.REDISCLI_AUTH)"
  [ "$(compose_field "$dir" "$replica" environment.REDISCLI_AUTH)" = "$password" ] ||
    die "$replica does not get its primary's password"
  [ "$(compose_field "$dir" "$primary" command 0)" = sh ] || die "$primary does not run its command with sh"
  p_script="$(compose_field "$dir" "$primary" command 2)"
  r_script="$(compose_field "$dir" "$replica" command 2)"

  local p_port r_port
  p_port="$(free_port)"
  r_port="$(free_port)"
  # The replica follows its primary by service name and the image's port.
  local script="${r_script//--replicaof $primary 6379/--replicaof 127.0.0.1 $p_port}"
  [ "$script" != "$r_script" ] || die "the replica command does not say \`--replicaof $primary 6379\`"

  redis_start "$work/redis-primary" "$p_script" "$password" "$p_port"
  redis_start "$work/redis-replica" "$script" "$password" "$r_port"
  poll "redis replica link" up sh -c \
    "REDISCLI_AUTH='$password' redis-cli -p $r_port info replication | tr -d '\r' | sed -n 's/^master_link_status://p'"

  local value="written-on-the-primary-$RANDOM"
  REDISCLI_AUTH="$password" redis-cli -p "$p_port" set proof "$value" >/dev/null
  poll "the key on the replica" "$value" env REDISCLI_AUTH="$password" redis-cli -p "$r_port" get proof
  # redis-cli exits 0 on a server error: the reply says READONLY.
  local reply
  reply="$(REDISCLI_AUTH="$password" redis-cli -p "$r_port" set proof no 2>&1)"
  grep -q READONLY <<<"$reply" || die "redis replica: a write was not refused: $reply"
  reply="$(redis-cli -p "$p_port" set proof no 2>&1)"
  grep -q NOAUTH <<<"$reply" || die "redis primary: a write without the password was not refused: $reply"
  echo "  compose redis: $replica follows $primary: the key arrived, writes are refused"
}

compose_mysql() {
  echo "  compose mysql: NOT RUN — Debian ships MariaDB, not MySQL 8.4, and the generated"
  echo "    GTID set-up (CHANGE REPLICATION SOURCE … SOURCE_AUTO_POSITION=1) is MySQL's;"
  echo "    it is checked by the compose tests and Compose v2 only (docs/backends.md)"
}

kubernetes_postgres() {
  local dir="$work/kubernetes-postgres"
  k8s_build "$design" "$dir"
  local primary=orders replica=orders-replica cm=orders-replication
  local pc="spec.template.spec.containers.name=database"
  local ic="spec.template.spec.initContainers.name=bootstrap"
  local scripts="$work/k8s-pg-scripts" sock="$work/k8s-pg-sock"
  mkdir -p "$scripts"
  chmod 0755 "$scripts"
  local key sts
  for key in primary.sh replica.sh ready.sh; do
    k8s_script "$dir" "$cm" "$key" "$scripts/$key"
  done
  # The ConfigMap is what both StatefulSets mount at /scripts; the
  # primary's primary.sh is the image's init script.
  for sts in "$primary" "$replica"; do
    k8s_expect "$sts's scripts volume" "$cm" \
      "$(k8s_field "$dir" StatefulSet "$sts" spec.template.spec.volumes.name=scripts.configMap.name)"
  done
  k8s_field "$dir" StatefulSet "$primary" "$pc.volumeMounts" |
    grep -F '"/docker-entrypoint-initdb.d/' | grep -qF '"subPath": "primary.sh"' ||
    die "kubernetes: $primary does not mount primary.sh into /docker-entrypoint-initdb.d"

  # The primary's environment; POSTGRES_USER and POSTGRES_DB are unset, so
  # the image's defaults (postgres, postgres) hold.
  local -A penv renv
  local line
  while IFS= read -r line; do penv["${line%%=*}"]="${line#*=}"; done \
    < <(k8s_field "$dir" StatefulSet "$primary" "$pc.env")
  [ -z "${penv[POSTGRES_USER]:-}${penv[POSTGRES_DB]:-}" ] ||
    die "kubernetes: $primary sets POSTGRES_USER/POSTGRES_DB; the proof assumes the image's defaults"
  local user=postgres db=postgres
  local password="${penv[POSTGRES_PASSWORD]}" repl_password="${penv[REPLICATION_PASSWORD]}"
  local slots="${penv[REPLICATION_SLOTS]}"
  local p_args r_args init_cmd
  mapfile -t p_args < <(k8s_field "$dir" StatefulSet "$primary" "$pc.args")
  mapfile -t r_args < <(k8s_field "$dir" StatefulSet "$replica" "$pc.args")
  mapfile -t init_cmd < <(k8s_field "$dir" StatefulSet "$replica" "$ic.command")
  k8s_expect "$primary's args" postgres "${p_args[0]}"
  k8s_expect "$replica's args" postgres "${r_args[0]}"
  k8s_expect "$replica's init container" "sh /scripts/replica.sh" "${init_cmd[*]}"

  local p_port r_port
  p_port="$(free_port)"
  r_port="$(free_port)"
  # The volumes' folders: PGDATA is a folder inside the PVC's mount.
  local p_data="$work/k8s-pg-primary/pgdata" r_data="$work/k8s-pg-replica/pgdata"
  k8s_expect "$primary's PGDATA" /var/lib/postgresql/data/pgdata "${penv[PGDATA]}"
  install -d -o "$pg_user" -m 0700 "$work/k8s-pg-replica"
  install -d -o "$pg_user" "$sock"

  # The primary: the image's first start with primary.sh, then its args.
  pg_init_primary "$p_data" "$sock" "$user" "$db" "$password" "$scripts/primary.sh" \
    POSTGRES_PASSWORD="$password" REPLICATION_PASSWORD="$repl_password" REPLICATION_SLOTS="$slots"
  pg_run PGDATA="$p_data" -- "${p_args[@]}" -p "$p_port" -k "$sock" \
    -c listen_addresses=127.0.0.1 >"$work/k8s-pg-primary.log" 2>&1 &
  pids+=("$!")
  poll "kubernetes postgres primary" "$db" pg_psql "$p_port" "$user" "$db" "$password" "SELECT current_database()"

  # The replica pod: its init container's replica.sh with its env, then
  # its args. The primary's Service name becomes 127.0.0.1 and its port,
  # HOSTNAME the StatefulSet's first pod name (<name>-0), PGDATA a folder.
  local envs=() name value
  while IFS= read -r line; do
    name="${line%%=*}"
    value="${line#*=}"
    case "$name" in
      PRIMARY_HOST) k8s_expect "$replica's PRIMARY_HOST" "$primary" "$value"; value=127.0.0.1 ;;
      PRIMARY_PORT) k8s_expect "$replica's PRIMARY_PORT" 5432 "$value"; value="$p_port" ;;
      PGDATA) k8s_expect "$replica's PGDATA" /var/lib/postgresql/data/pgdata "$value"; value="$r_data" ;;
    esac
    renv["$name"]="$value"
    envs+=("$name=$value")
  done < <(k8s_field "$dir" StatefulSet "$replica" "$ic.env")
  [ -n "${renv[PRIMARY_HOST]:-}" ] || die "kubernetes: $replica's init container has no PRIMARY_HOST"
  k8s_expect "$replica's replication password" "$repl_password" "${renv[REPLICATION_PASSWORD]:-}"
  pg_dirs+=("$r_data")
  pg_run "${envs[@]}" HOSTNAME="$replica-0" -- timeout "$timeout_s" sh "$scripts/replica.sh" \
    >"$work/k8s-pg-bootstrap.log" 2>&1 ||
    die "kubernetes: $replica's init container (replica.sh) failed: $(tail -n 5 "$work/k8s-pg-bootstrap.log")"
  pg_run PGDATA="$r_data" -- "${r_args[@]}" -p "$r_port" -k "$sock" \
    -c listen_addresses=127.0.0.1 >"$work/k8s-pg-replica.log" 2>&1 &
  pids+=("$!")
  poll "kubernetes postgres replica" t pg_psql "$r_port" "$user" "$db" "$password" "SELECT pg_is_in_recovery()"

  local value="written-on-the-primary-$RANDOM"
  pg_psql "$p_port" "$user" "$db" "$password" \
    "CREATE TABLE proof (v text); INSERT INTO proof VALUES ('$value')" >/dev/null
  poll "the row on the kubernetes replica" "$value" pg_psql "$r_port" "$user" "$db" "$password" "SELECT v FROM proof"
  poll "the kubernetes replica's slot on the primary" t pg_psql "$p_port" "$user" "$db" "$password" \
    "SELECT active FROM pg_replication_slots WHERE slot_name = 'replica_0'"
  expect_refused "kubernetes postgres replica" "read-only" \
    pg_psql "$r_port" "$user" "$db" "$password" "INSERT INTO proof VALUES ('no')"

  # ready.sh as each pod's probe runs it: its socket folder (the emptyDir
  # at /var/run/postgresql) is the host's, the port PGPORT.
  local probe
  sed "s#/var/run/postgresql#$sock#g" "$scripts/ready.sh" >"$scripts/ready.host.sh"
  chmod 0644 "$scripts/ready.host.sh"
  for sts in "$primary" "$replica"; do
    mapfile -t probe < <(k8s_field "$dir" StatefulSet "$sts" "$pc.readinessProbe.exec.command")
    k8s_expect "$sts's probe script" "sh /scripts/ready.sh" "${probe[*]:0:2}"
    probe[1]="$scripts/ready.host.sh"
    local port="$p_port" role=primary
    [ "$sts" = "$primary" ] || { port="$r_port"; role=replica; }
    k8s_probe "kubernetes $sts" "$role" pg_run PGPORT="$port" -- "${probe[@]}"
  done
  echo "  kubernetes postgres: $replica-0 bootstrapped by replica.sh (pg_basebackup, slot replica_0)"
  echo "    streams from $primary: the row arrived, writes are refused, ready.sh passes per role only"
  k8s_not_run
}

kubernetes_redis() {
  local dir="$work/kubernetes-redis"
  k8s_build "$design" "$dir"
  local primary=sessions replica=sessions-replica cm=sessions-replication
  local pc="spec.template.spec.containers.name=cache"
  local scripts="$work/k8s-redis-scripts"
  mkdir -p "$scripts"
  k8s_script "$dir" "$cm" ready.sh "$scripts/ready.sh"
  local sts
  for sts in "$primary" "$replica"; do
    k8s_expect "$sts's scripts volume" "$cm" \
      "$(k8s_field "$dir" StatefulSet "$sts" spec.template.spec.volumes.name=scripts.configMap.name)"
    # No Secret and no password: the proof says so rather than invent one.
    if k8s_field "$dir" StatefulSet "$sts" "$pc.env" >/dev/null 2>&1 ||
      k8s_field "$dir" StatefulSet "$sts" "$pc.command" >/dev/null 2>&1; then
      die "kubernetes: $sts has an env or command the proof does not run"
    fi
  done
  # The primary has no args: the image's CMD, `redis-server`, runs.
  local p_args r_args
  if k8s_field "$dir" StatefulSet "$primary" "$pc.args" >/dev/null 2>&1; then
    mapfile -t p_args < <(k8s_field "$dir" StatefulSet "$primary" "$pc.args")
  else
    p_args=(redis-server)
  fi
  mapfile -t r_args < <(k8s_field "$dir" StatefulSet "$replica" "$pc.args")

  local p_port r_port
  p_port="$(free_port)"
  r_port="$(free_port)"
  # The replica follows the primary's Service name and the image's port.
  local i found=
  for i in "${!r_args[@]}"; do
    if [ "${r_args[$i]}" = --replicaof ]; then
      k8s_expect "$replica's --replicaof" "$primary 6379" "${r_args[$((i + 1))]} ${r_args[$((i + 2))]}"
      r_args[$((i + 1))]=127.0.0.1
      r_args[$((i + 2))]="$p_port"
      found=1
    fi
  done
  [ -n "$found" ] || die "kubernetes: $replica's args have no --replicaof"

  local host=(--bind 127.0.0.1 --save '' --appendonly no)
  mkdir -p "$work/k8s-redis-primary" "$work/k8s-redis-replica"
  env -u REDISCLI_AUTH "${p_args[@]}" --port "$p_port" --dir "$work/k8s-redis-primary" "${host[@]}" \
    >"$work/k8s-redis-primary/redis.log" 2>&1 &
  pids+=("$!")
  poll "kubernetes redis primary" PONG env -u REDISCLI_AUTH redis-cli -p "$p_port" ping
  env -u REDISCLI_AUTH "${r_args[@]}" --port "$r_port" --dir "$work/k8s-redis-replica" "${host[@]}" \
    >"$work/k8s-redis-replica/redis.log" 2>&1 &
  pids+=("$!")
  poll "kubernetes redis replica" PONG env -u REDISCLI_AUTH redis-cli -p "$r_port" ping
  poll "kubernetes redis replica link" up sh -c \
    "redis-cli -p $r_port info replication | tr -d '\r' | sed -n 's/^master_link_status://p'"

  local value="written-on-the-primary-$RANDOM"
  env -u REDISCLI_AUTH redis-cli -p "$p_port" set proof "$value" >/dev/null
  poll "the key on the kubernetes replica" "$value" env -u REDISCLI_AUTH redis-cli -p "$r_port" get proof
  local reply
  reply="$(env -u REDISCLI_AUTH redis-cli -p "$r_port" set proof no 2>&1)"
  grep -q READONLY <<<"$reply" || die "kubernetes redis replica: a write was not refused: $reply"

  # ready.sh as each pod's probe runs it, with the host's port for 6379.
  grep -qF -- '-p 6379 ' "$scripts/ready.sh" || die "kubernetes: redis ready.sh does not use -p 6379"
  local probe port role
  for sts in "$primary" "$replica"; do
    port="$p_port" role=primary
    [ "$sts" = "$primary" ] || { port="$r_port"; role=replica; }
    sed "s#-p 6379 #-p $port #g" "$scripts/ready.sh" >"$scripts/ready.$role.sh"
    mapfile -t probe < <(k8s_field "$dir" StatefulSet "$sts" "$pc.readinessProbe.exec.command")
    k8s_expect "$sts's probe script" "sh /scripts/ready.sh" "${probe[*]:0:2}"
    probe[1]="$scripts/ready.$role.sh"
    k8s_probe "kubernetes $sts" "$role" env -u REDISCLI_AUTH "${probe[@]}"
  done
  echo "  kubernetes redis: $replica-0 follows $primary (--replicaof): the key arrived, writes"
  echo "    are refused, ready.sh passes per role only"
  echo "    the generated Redis has no password (no requirepass, no Secret; unlike compose):"
  echo "    only the NetworkPolicy limits who connects, so none is checked here"
  k8s_not_run
}

proofs=(compose_postgres compose_redis compose_mysql kubernetes_postgres kubernetes_redis)
echo "proofs:"
for proof in "${proofs[@]}"; do
  "$proof"
done
echo "replication: ${#proofs[@]} proofs ($((SECONDS - started))s)"
