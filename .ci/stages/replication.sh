#!/usr/bin/env bash
# Proves that the replication archc generates replicates: real servers on
# 127.0.0.1, no containers. For each (backend, engine) a function takes
# the primary and replica set-up the backend wrote for a small design with
# a replicated PostgreSQL and a replicated Redis — the same rendered
# scripts, commands and arguments, read back through the real tool that
# would run them (`docker compose config`), with only host paths,
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
# Adding a backend's proof (Kubernetes, say) is a function
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
# database, then the init script, sourced with the service's environment,
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
  pg_run PGHOST="$sock" -- psql -v ON_ERROR_STOP=1 -q -U "$user" -d postgres \
    -c "CREATE DATABASE \"$db\"" >/dev/null
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

proofs=(compose_postgres compose_redis compose_mysql)
echo "proofs:"
for proof in "${proofs[@]}"; do
  "$proof"
done
echo "replication: ${#proofs[@]} proofs ($((SECONDS - started))s)"
