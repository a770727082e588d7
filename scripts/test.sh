#!/usr/bin/env bash
# `npm test`: install test dependencies if missing, start PostgreSQL and Redis, typecheck, check the format
# (`npm run format` fixes it), then run the whole suite twice: on SQLite with in-memory limits, and on
# PostgreSQL with Redis limits.
# Exits non-zero when either run fails; stops only the servers it started itself.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-deps.sh || exit 1
servers="$(bash scripts/test-servers.sh start)" || exit 1
eval "$servers"
started="${PRINCIPAL_MFA_TEST_SERVERS_STARTED:-}"
stop_servers() {
  # shellcheck disable=SC2086 # a list of names
  if [ -n "$started" ]; then bash scripts/test-servers.sh stop $started; fi
}
trap stop_servers EXIT

npx tsc -p tsconfig.json --noEmit || exit 1
npm run format:check || exit 1

mapfile -t files < <(find test -name '*.test.ts' | sort)
# The runner's own reporter (TAP when piped, as in CI) prints the closing "# tests/# pass/# fail" lines.
run_suite() {
  node --import tsx --test --test-concurrency=1 "${files[@]}"
}

echo "== test run 1/2: SQLite store, in-memory limits"
(unset PRINCIPAL_MFA_TEST_DATABASE_URL PRINCIPAL_MFA_TEST_REDIS_URL; run_suite)
sqlite_status=$?

echo "== test run 2/2: PostgreSQL store ($PRINCIPAL_MFA_TEST_PG_SERVER_URL), Redis limits ($PRINCIPAL_MFA_TEST_REDIS_SERVER_URL)"
PRINCIPAL_MFA_TEST_DATABASE_URL="$PRINCIPAL_MFA_TEST_PG_SERVER_URL" PRINCIPAL_MFA_TEST_REDIS_URL="$PRINCIPAL_MFA_TEST_REDIS_SERVER_URL" run_suite
postgres_status=$?

echo "== results: SQLite run exit $sqlite_status, PostgreSQL+Redis run exit $postgres_status"
[ "$sqlite_status" = 0 ] && [ "$postgres_status" = 0 ]
