#!/bin/sh
# lint.sh: refuses unbounded or unchecked C calls and SQL built with format strings in src/.
# Part of make check; prints TAP.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/src
n=0 failed=0
check() {
	n=$((n + 1))
	hits=$(grep -nE "$2" "$src"/*.c "$src"/*.h | grep -v '^[^:]*:[0-9]*:\s*/\?\*' || true)
	if [ -z "$hits" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$hits" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}
check "no strcpy" '\bstrcpy[[:space:]]*\('
check "no sprintf or vsprintf" '\bv?sprintf[[:space:]]*\('
check "no strcat" '\bstrcat[[:space:]]*\('
check "no atoi, atol or atoll" '\bato(i|l|ll)[[:space:]]*\('
check "no gets" '\bgets[[:space:]]*\('
check "no SQL from format strings" '(printf|sqlite3_mprintf|sqlite3_snprintf)\([^;]*"[[:space:]]*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN)\b'
echo "1..$n"
[ $failed -eq 0 ]
