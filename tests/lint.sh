#!/bin/sh
# lint.sh: refuses unbounded or unchecked C calls and SQL built with format strings in src/, and, in the bats
# suite, assertions that cannot fail. Part of make check; prints TAP.
set -u
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}/src
n=0 failed=0
check() {
	n=$((n + 1))
	hits=$(grep -nE "$2" "$src"/*.c "$src"/*.h "$src"/*/*.c "$src"/*/*.h 2>/dev/null | grep -v '^[^:]*:[0-9]*:\s*/\?\*' || true)
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

# The bats suite. bats runs each test under `set -e`, which ignores the status of a command negated with `!` and of
# every command of an `a && b` list but the last: such a line that is not the test's last checks nothing. And a
# `!= null` comparison of a jq result passes on a reply that is not JSON at all (a 502 page). Use `run` with
# assert_status / assert_output_has, refute_grep, refute_contains, login_ok / login_refused (helpers.bash), or an
# `if`. Allowed: `if ! ...`, `while a && b; do`, `[[ a && b ]]`, and an && list that ends in an action
# (`[ -f pid ] && kill ...`, `... && break`, `&& ok=1`), not in a check.
bats_dir=$(dirname "$src")/tests/bats
# The commands that check something: the last command of an && list that is one of these is refused.
checks='^(\[|\[\[|test|!|grep|jq|cmp|diff|expect|problem|invalid|shape|detail_is|assert_[a-z_]*|refute_[a-z_]*|login_ok|login_refused|no_500|fail|false|true)([ \t;]|$)'
bats_check() {
	n=$((n + 1))
	hits=$(awk -v rule="$2" -v CHECK="$checks" '
		{
			line = $0
			gsub(/\\./, "", line)                         # escaped characters
			gsub(/'"'"'[^'"'"']*'"'"'/, "\047\047", line)      # single-quoted strings
			gsub(/"[^"]*"/, "\"\"", line)                   # double-quoted strings
			sub(/(^|[ \t])#.*$/, "", line)                  # comments
			gsub(/\[\[[^]]*\]\]/, "[[ ]]", line)             # [[ ... ]]: && inside is one test
			bad = 0
			# Cut the line into simple lists at ; and at the keywords that start one; an if/while condition is
			# exempt (set -e does not apply there, and the condition is meant to be tested).
			gsub(/(^|[ \t;])(then|do|else)[ \t]/, ";", line)
			k = split(line, seg, ";")
			for (i = 1; i <= k; i++) {
				t = seg[i]
				sub(/^[ \t]+/, "", t)
				if (t ~ /^(if|elif|while|until)[ \t]/) continue
				if (rule == "not") {
					# A negated command on its own, after ||, or closing an && list (one that only
					# continues a condition, "a && ! b && break", is a condition).
					if (t ~ /(^|\|\||\{|\()[ \t]*![ \t]/) bad = 1
					if (t ~ /&&[ \t]*![ \t]/ && t !~ /&&[ \t]*![ \t][^&]*(&&|\|\|)/) bad = 1
				} else if (rule == "and" && t ~ /&&/) {
					# An && list whose last command is a check: the checks before it are ignored. A list
					# ending in an action ("[ -f pid ] && kill ...", "... && break", "&& ok=1") is a
					# conditional action, and one followed by || handles its own failure.
					last = t
					sub(/.*&&/, "", last)
					if (last ~ /\|\|/) continue
					sub(/^[ \t]+/, "", last)
					if (last ~ CHECK) bad = 1
				}
			}
			if (rule == "null") {
				bad = ($0 ~ /!=[ \t]*"?null"?[ \t]*\]/ || $0 ~ /login_token[^)]*\)"? *= *"?null/)
			}
			if (bad) printf "%s:%d: %s\n", FILENAME, FNR, $0
		}' "$bats_dir"/*.bats "$bats_dir"/*.bash)
	if [ -z "$hits" ]; then
		echo "ok $n - bats: $1"
	else
		echo "not ok $n - bats: $1"
		echo "$hits" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}
bats_check "no '! cmd' line (set -e ignores a negated command)" not
bats_check "no 'a && b' list outside a condition (set -e ignores all but its last command)" and
bats_check "no '!= null' check (it passes on a reply that is not JSON), no login_token = null (use login_refused)" null
echo "1..$n"
[ $failed -eq 0 ]
