#!/bin/sh
# openapi-coverage.sh: part of make check, after the bats suite (tests/run-bats.sh records every response the
# tests receive in tests/responses/). tests/openapi-check.py validates each recorded body against the OpenAPI
# document's schema for its route and status, and lists every (method, path, documented status) no test produced
# that tests/openapi-allow.txt does not name with a reason. Prints TAP. Skipped (77) without python3-jsonschema or
# without a record; under CI=true both fail instead.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
record=$top_builddir/tests/responses
give_up() {
	if [ "${CI:-}" = true ]; then
		echo "Bail out! $1 (CI=true: the check cannot be skipped)"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 77
}
python3 -c 'import jsonschema' 2>/dev/null || give_up "python3-jsonschema is not installed (apt-get install python3-jsonschema)"
ls "$record"/*.rec >/dev/null 2>&1 || give_up "no responses recorded in $record (run tests/run-bats.sh first)"
doc=$(mktemp "${TMPDIR:-/tmp}/gatehouse-openapi.XXXXXX") || exit 1
trap 'rm -f "$doc"' EXIT
# The document of a default configuration, as the package installs it.
"$top_builddir/gatehouse" --openapi -c /dev/null >"$doc" || { echo "Bail out! gatehouse --openapi failed"; exit 1; }
python3 "$here/openapi-check.py" --tap --coverage --allow "$here/openapi-allow.txt" "$doc" "$record"
