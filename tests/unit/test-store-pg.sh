#!/bin/sh
# test-store-pg.sh: tests/unit/test-store against a throwaway PostgreSQL cluster (tests/pg-cluster.sh): the
# engine's write lock with several processes writing at once (audit chain, case-insensitive names, the
# last-admin guard's write skew). Skips (exit 77) where PostgreSQL's server or the engine is not built in;
# under CI=true a missing server fails. Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${top_builddir:-$top}
if [ -n "${GATEHOUSE_SKIP_POSTGRESQL:-}" ]; then
	echo "1..0 # SKIP the PostgreSQL run, by GATEHOUSE_SKIP_POSTGRESQL"
	exit 0
fi
if ! grep -q '^#define HAVE_LIBPQ 1' "$build/config.h" 2>/dev/null; then
	echo "1..0 # SKIP built without PostgreSQL"
	exit 77
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then
		echo "Bail out! PostgreSQL's initdb is not installed (apt-get install postgresql)"
		exit 1
	fi
	echo "1..0 # SKIP PostgreSQL's initdb is not installed"
	exit 77
fi
dir=$(mktemp -u "${TMPDIR:-/tmp}/gatehouse-test-store.XXXXXX")
trap '"$top/tests/pg-cluster.sh" stop "$dir" >/dev/null 2>&1' EXIT INT TERM
"$top/tests/pg-cluster.sh" start "$dir" >/dev/null || { echo "Bail out! no throwaway cluster"; exit 1; }
createdb -h "$dir" -U gatehouse store || { echo "Bail out! createdb failed"; exit 1; }
GATEHOUSE_TEST_PG_URI="postgresql:///store?host=$dir&user=gatehouse" "$build/tests/unit/test-store"
