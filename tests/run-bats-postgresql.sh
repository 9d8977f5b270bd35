#!/bin/sh
# run-bats-postgresql.sh: the whole bats suite again, every instance on PostgreSQL (tests/run-bats.sh with
# GATEHOUSE_TEST_DATABASE=postgresql: a throwaway cluster for the run, a fresh database per instance). Needs
# Debian's postgresql (initdb, pg_ctl) and postgresql-client (psql, createdb, pg_dump). Prints TAP.
# GATEHOUSE_SKIP_POSTGRESQL=1 prints a plan of nothing with the reason instead (CI's sanitizer build runs the
# suite on SQLite alone, to stay within its time).
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${GATEHOUSE_SKIP_POSTGRESQL:-}" ]; then
	echo "1..0 # SKIP the PostgreSQL run, by GATEHOUSE_SKIP_POSTGRESQL"
	exit 0
fi
GATEHOUSE_TEST_DATABASE=postgresql
export GATEHOUSE_TEST_DATABASE
exec "$here/run-bats.sh" "$@"
