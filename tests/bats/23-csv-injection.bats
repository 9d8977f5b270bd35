#!/usr/bin/env bats
# CSV injection (OWASP "CSV Injection"), both exports: every cell quoted; a cell starting with = + - @ TAB CR, and
# any such character right after a separator inside a cell (, ; TAB CR LF), gets a single quote before it, so no
# spreadsheet, in any locale, reads a formula. Table-tested over user names, which reach both exports.

load helpers

setup_file() { start_instance; }
teardown_file() { stop_instance; }

# name -> the cell the exports must carry for it (CSV-quoted).
names=(
	"=cmd|' /C calc'!A0"	"\"'=cmd|' /C calc'!A0\""
	"+plus-one"		"\"'+plus-one\""
	"-minus-one"		"\"'-minus-one\""
	"@at-sign"		"\"'@at-sign\""
	"x;=cmd|calc"		"\"x;'=cmd|calc\""
	"x,+comma"		"\"x,'+comma\""
	"y;@z;-w"		"\"y;'@z;'-w\""
	'say "=hi"'		'"say ""=hi"""'
	"plain=name"		"\"plain=name\""
)

@test "users CSV: every cell quoted, formula starts neutralised at the start and after separators (table)" {
	for ((i = 0; i < ${#names[@]}; i += 2)); do
		as_admin POST /admin/users/ -H 'Content-Type: application/json' \
			--data "$(jq -nc --arg u "${names[i]}" '{username:$u,password:"longenough1"}')"
		[ "$code" = 201 ] || { echo "create ${names[i]}: $code $body" >&2; return 1; }
	done
	as_admin GET /admin/users/export.csv
	[ "$code" = 200 ]
	for ((i = 0; i < ${#names[@]}; i += 2)); do
		grep -q -F ",${names[i + 1]},\"local\",\"active\",\"20" "$BATS_TEST_TMPDIR/body" ||
			{ echo "users CSV: no cell ${names[i + 1]} for ${names[i]}" >&2; return 1; }
	done
	# Every data line is all quoted cells; no unquoted text anywhere.
	run awk 'NR > 1 && $0 !~ /^("([^"]|"")*",)*"([^"]|"")*"\r$/' "$BATS_TEST_TMPDIR/body"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# Read with ";" or "," as the separator and quotes ignored: no fragment starts a formula.
	run grep -E '(^|[,;])"?[=+@-]' "$BATS_TEST_TMPDIR/body"
	[ "$status" -eq 1 ]
}

@test "audit CSV: the same guard on every cell, names inside the JSON details too (table)" {
	as_admin GET '/admin/audit-logs/export/csv?max_rows=100000'
	[ "$code" = 200 ]
	for ((i = 0; i < ${#names[@]}; i += 2)); do
		# resource_name, the last cell of a user.create row
		grep -q -F ",${names[i + 1]}"$'\r' "$BATS_TEST_TMPDIR/body" ||
			{ echo "audit CSV: no cell ${names[i + 1]} for ${names[i]}" >&2; return 1; }
	done
	grep -q -F 'x;'"'"'=cmd|calc' "$BATS_TEST_TMPDIR/body"
	run grep -E '(^|[,;])"?[=+@-]' <(tail -n +2 "$BATS_TEST_TMPDIR/body")
	[ "$status" -eq 1 ]
	run awk 'NR > 1 && $0 !~ /^("([^"]|"")*",)*"([^"]|"")*"\r$/' "$BATS_TEST_TMPDIR/body"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
