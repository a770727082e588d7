#!/usr/bin/env bash
# Starts a throw-away PostgreSQL and Redis on loopback ports for the tests (idempotent: a server
# already answering is reused), and prints their URLs as `export` lines for `eval`.
#   eval "$(bash scripts/test-servers.sh start)"   → PRINCIPAL_MFA_TEST_PG_SERVER_URL, PRINCIPAL_MFA_TEST_REDIS_SERVER_URL,
#                                                    PRINCIPAL_MFA_TEST_SERVERS_STARTED (what this call started)
# (scripts/test.sh then points PRINCIPAL_MFA_TEST_DATABASE_URL / PRINCIPAL_MFA_TEST_REDIS_URL at them for the second run.)
#   bash scripts/test-servers.sh stop [postgres] [redis]   (no names: both)
# Data lives in $PRINCIPAL_MFA_TEST_SERVERS_DIR (default /tmp/principal-mfa-test-servers); nothing is durable.
set -euo pipefail

dir="${PRINCIPAL_MFA_TEST_SERVERS_DIR:-/tmp/principal-mfa-test-servers}"
pg_port="${PRINCIPAL_MFA_TEST_PG_PORT:-55432}"
redis_port="${PRINCIPAL_MFA_TEST_REDIS_PORT:-56379}"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
pg_home="$dir/pg" # owned by the postgres user when we are root
pg_data="$pg_home/data"
pg_socket="$pg_home/socket"
pg_log="$pg_home/postgres.log"
redis_dir="$dir/redis"
log() { echo "test-servers: $*" >&2; }

# PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() { "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" >/dev/null 2>&1; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]; }

start_postgres() {
  if pg_up; then return 1; fi
  [ -x "$pg_bin/postgres" ] || { log "PostgreSQL is not installed (run scripts/test-deps.sh)"; exit 1; }
  mkdir -p "$dir" && chmod 755 "$dir"
  if [ ! -f "$pg_data/PG_VERSION" ]; then
    rm -rf "$pg_home" && mkdir -p "$pg_data" "$pg_socket"
    if [ "$(id -u)" = 0 ]; then chown -R postgres:postgres "$pg_home"; fi
    as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # Test settings: no durability (fsync off), loopback only, room for many per-test databases.
  as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_log" -w -t 30 start \
    -o "-p $pg_port -k $pg_socket -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null ||
    { tail -20 "$pg_log" >&2; exit 1; }
  return 0
}

start_redis() {
  if redis_up; then return 1; fi
  command -v redis-server >/dev/null || { log "redis-server is not installed (run scripts/test-deps.sh)"; exit 1; }
  mkdir -p "$redis_dir"
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save '' --appendonly no \
    --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" >/dev/null
  for _ in $(seq 50); do redis_up && return 0; sleep 0.1; done
  log "redis-server did not start"; tail -20 "$redis_dir/redis.log" >&2; exit 1
}

stop_postgres() {
  if [ -f "$pg_data/postmaster.pid" ]; then as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null 2>&1 || true; fi
}

stop_redis() {
  if [ -f "$redis_dir/redis.pid" ]; then
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true
    rm -f "$redis_dir/redis.pid"
  fi
}

case "${1:-start}" in
  start)
    started=()
    if start_postgres; then started+=(postgres); log "PostgreSQL started on 127.0.0.1:$pg_port"; fi
    if start_redis; then started+=(redis); log "Redis started on 127.0.0.1:$redis_port"; fi
    echo "export PRINCIPAL_MFA_TEST_PG_SERVER_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
    echo "export PRINCIPAL_MFA_TEST_REDIS_SERVER_URL=redis://127.0.0.1:$redis_port"
    echo "export PRINCIPAL_MFA_TEST_SERVERS_STARTED='${started[*]:-}'"
    ;;
  stop)
    shift
    names=("$@")
    [ ${#names[@]} -gt 0 ] || names=(postgres redis)
    for name in "${names[@]}"; do
      case "$name" in
        postgres) stop_postgres ;;
        redis) stop_redis ;;
        *) log "unknown server $name"; exit 2 ;;
      esac
    done
    ;;
  *) echo "usage: $0 start|stop [postgres] [redis]" >&2; exit 2 ;;
esac
