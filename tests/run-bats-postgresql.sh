#!/bin/sh
# run-bats-postgresql.sh: the whole bats suite again, every instance on PostgreSQL (tests/run-bats.sh with
# GATEHOUSE_TEST_DATABASE=postgresql: a throwaway cluster for the run, a fresh database per instance). Needs
# Debian's postgresql (initdb, pg_ctl, pg_amcheck) and postgresql-client (psql, createdb, pg_dump). Prints TAP.
# Without the server it skips (exit 77), except under CI=true, where it fails: CI installs it.
# GATEHOUSE_SKIP_POSTGRESQL=1 prints a plan of nothing with the reason instead (CI's sanitizer build runs the
# suite on SQLite alone, to stay within its time).
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${GATEHOUSE_SKIP_POSTGRESQL:-}" ]; then
	echo "1..0 # SKIP the PostgreSQL run, by GATEHOUSE_SKIP_POSTGRESQL"
	exit 0
fi
if [ -z "${GATEHOUSE_PG_BINDIR:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
	! command -v initdb >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! PostgreSQL's initdb is not installed (apt-get install postgresql)"
		exit 1
	fi
	echo "1..0 # SKIP PostgreSQL's initdb is not installed (apt-get install postgresql)"
	exit 77
fi
GATEHOUSE_TEST_DATABASE=postgresql
export GATEHOUSE_TEST_DATABASE
exec "$here/run-bats.sh" "$@"
