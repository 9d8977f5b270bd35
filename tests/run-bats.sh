#!/bin/sh
# run-bats.sh: the integration suite. Every file starts its own nginx and gatehouse on a free loopback port with
# a fresh database, and drives them with curl. Prints TAP.
# GATEHOUSE_TEST_DATABASE=postgresql runs it on PostgreSQL: one throwaway cluster for the run (tests/pg-cluster.sh,
# a Unix socket in a folder of its own, no TCP), a fresh database in it for each instance, all gone at the end.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export GATEHOUSE_SRC="$top_srcdir" GATEHOUSE_BIN="$top_builddir"
for tool in bats nginx curl jq sqlite3; do
	if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
		echo "Bail out! $tool is not installed (apt-get install bats nginx curl jq sqlite3)"
		exit 1
	fi
done
PATH="$PATH:/usr/sbin:/sbin"
export PATH
# make check runs the suite on both engines at once: without a range of the caller's, each draws its ports from
# its own half of the default range, so neither takes a port the other found free a moment before.
case ${GATEHOUSE_TEST_DATABASE:=sqlite} in
sqlite)
	: "${GATEHOUSE_TEST_PORTS:=20000-25999}"
	export GATEHOUSE_TEST_PORTS
	;;
postgresql)
	: "${GATEHOUSE_TEST_PORTS:=26000-31999}"
	export GATEHOUSE_TEST_PORTS
	for tool in psql createdb dropdb pg_dump; do
		command -v "$tool" >/dev/null 2>&1 || { echo "Bail out! $tool is not installed (apt-get install postgresql)"; exit 1; }
	done
	GATEHOUSE_TEST_PGHOST=$(mktemp -u "${TMPDIR:-/tmp}/gatehouse-pg.XXXXXX")
	if ! "$here/pg-cluster.sh" start "$GATEHOUSE_TEST_PGHOST" >/dev/null; then
		echo "Bail out! could not start a PostgreSQL cluster in $GATEHOUSE_TEST_PGHOST"
		exit 1
	fi
	trap '"$here/pg-cluster.sh" stop "$GATEHOUSE_TEST_PGHOST"' EXIT
	trap 'exit 130' INT TERM
	# The server's own programs (pg_ctl, pg_amcheck) beside the client's.
	PATH="$PATH:$(sed -n 's|^\(/[^ ]*\)/postgres .*|\1|p' "$GATEHOUSE_TEST_PGHOST/data/postmaster.opts")"
	export GATEHOUSE_TEST_PGHOST PATH
	;;
*)
	echo "Bail out! GATEHOUSE_TEST_DATABASE=$GATEHOUSE_TEST_DATABASE: want sqlite or postgresql"
	exit 1
	;;
esac
export GATEHOUSE_TEST_DATABASE
# In a sanitizer build, reports go to each instance's log; stop_instance (helpers.bash) keeps any it finds in
# one folder, which tests/bats/99-sanitizers.bats reads last. Leaks are checked by the valgrind run instead.
GATEHOUSE_SANITIZER_LOGS=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-sanitizers.XXXXXX")
ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export GATEHOUSE_SANITIZER_LOGS ASAN_OPTIONS UBSAN_OPTIONS
# Every response the tests receive is recorded there (record_response, helpers.bash), one file per test process;
# tests/openapi-coverage.sh checks the record against the OpenAPI document after the suite. A whole run starts
# from an empty record; a run of some files replaces only theirs. The PostgreSQL run records apart
# (tests/responses-postgresql), so that the two runs never mix or clear each other's.
GATEHOUSE_RESPONSES=$top_builddir/tests/responses
[ "$GATEHOUSE_TEST_DATABASE" = sqlite ] || GATEHOUSE_RESPONSES=$GATEHOUSE_RESPONSES-$GATEHOUSE_TEST_DATABASE
export GATEHOUSE_RESPONSES
mkdir -p "$GATEHOUSE_RESPONSES"
if [ $# -gt 0 ]; then
	for f in "$@"; do rm -f "$GATEHOUSE_RESPONSES/${f##*/}".*.rec; done
else
	find "$GATEHOUSE_RESPONSES" -name '*.rec' -delete
fi
if [ $# -gt 0 ]; then
	bats --tap "$@"
else
	bats --tap "$top_srcdir/tests/bats"
fi
rc=$?
[ $rc -ne 0 ] || rm -rf "$GATEHOUSE_SANITIZER_LOGS"
exit $rc
