#!/bin/sh
# run-bats.sh: the integration suite. Every file starts its own nginx and gatehouse on a free loopback port with
# a fresh database, and drives them with curl. Prints TAP.
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
if [ $# -gt 0 ]; then
	exec bats --tap "$@"
fi
exec bats --tap "$top_srcdir/tests/bats"
