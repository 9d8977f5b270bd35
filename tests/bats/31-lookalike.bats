#!/usr/bin/env bats
# Look-alike usernames (issue 9, item 9): white space at either end and invisible or format characters are a
# 422 value_error on every path that creates a user: POST /admin/users/, POST /auth/register/, gatehousectl
# create-admin, and gatehousectl user add and import (through the API's own routes). No path renames a user.

load helpers

setup_file() { start_instance --set registration=on; }
teardown_file() { stop_instance; }

# name (printf format) | the code point the message names; "" when the name is accepted
CASES=(
	'admin\u200b|U+200B ZERO WIDTH SPACE'
	' admin|U+0020 SPACE'
	'admin |U+0020 SPACE'
	'\u00a0admin|U+00A0 NO-BREAK SPACE'
	'admin\u3000|U+3000 IDEOGRAPHIC SPACE'
	'\tadmin|'
	'ad\u00admin|U+00AD SOFT HYPHEN'
	'\u202eadmin|U+202E RIGHT-TO-LEFT OVERRIDE'
	'ad\u2066min\u2069|U+2066 LEFT-TO-RIGHT ISOLATE'
	'adm\u200din|U+200D ZERO WIDTH JOINER'
	'adm\u200cin|U+200C ZERO WIDTH NON-JOINER'
	'\ufeffadmin|U+FEFF ZERO WIDTH NO-BREAK SPACE'
	'admin\u2028x|U+2028 LINE SEPARATOR'
	'admin\u2029x|U+2029 PARAGRAPH SEPARATOR'
	'admin\u2060|U+2060 WORD JOINER'
	'admin\ufe0f|U+FE0F VARIATION SELECTOR-16'
	'a\u034fdmin|U+034F COMBINING GRAPHEME JOINER'
	'admin\u3164|U+3164 HANGUL FILLER'
	'admin\U000E0041|U+E0041 TAG LATIN CAPITAL LETTER A'
	'admin\ue000|U+E000'
	'admin\u2800|U+2800 BRAILLE PATTERN BLANK'
	'admin\u180e|U+180E MONGOLIAN VOWEL SEPARATOR'
	'ad min|'
	'Zo\u00eb M\u00fcller|'
	'\u0416\u0435\u043d\u044f|'
	'\u738b\u5c0f\u660e|'
	'user\U0001F600|'
)

# body NAME: the JSON body of a create or a registration.
body() { jq -nc --arg u "$1" '{username:$u,password:"longenough1"}'; }

# check_one ROUTE NAME WANT: the answer is 422 with the look-alike message naming WANT, or 201 when WANT is empty
# (a tab is a control character: its own, older message).
check_one() {
	local route=$1 name=$2 want=$3
	if [ "$route" = admin ]; then
		as_admin POST /admin/users/ -H 'Content-Type: application/json' --data "$(body "$name")"
	else
		req POST /auth/register/ -H 'Content-Type: application/json' --data "$(body "$name")"
	fi
	case "$name" in
	*$'\t'*)
		[ "$code" = 422 ] || return 1
		[ "$(jq -r '.detail[0].msg' <<<"$body")" = "Value error, must not contain control characters" ]
		return ;;
	esac
	if [ -z "$want" ]; then
		[ "$code" = 201 ]
		return
	fi
	[ "$code" = 422 ] || return 1
	local msg
	msg=$(jq -r '.detail[0] | [.type, (.loc|join(".")), .msg] | join("|")' <<<"$body")
	case "$msg" in
	"value_error|body.username|Value error, must not start or end with white space ($want)") ;;
	"value_error|body.username|Value error, must not contain invisible or format characters ($want)") ;;
	*) return 1 ;;
	esac
}

run_table() {
	local route=$1 c fmt want name failed=0 i=0
	for c in "${CASES[@]}"; do
		fmt=${c%%|*} want=${c#*|}
		i=$((i + 1))
		name=$(printf "$fmt")$route$i	# unique per route, and never ending in white space or an invisible
		case "$fmt" in *' '|*'\u3000') name=$route$i$(printf "$fmt") ;; esac
		if ! check_one "$route" "$name" "$want"; then
			echo "$route [$fmt]: want [$want], got $code $body" >&2
			failed=1
		fi
	done
	[ "$failed" = 0 ]
}

@test "POST /admin/users/ refuses look-alike names with value_error, accepts the rest" {
	run_table admin
}

@test "POST /auth/register/ refuses them the same way (before the answer that hides taken names)" {
	run_table register
}

@test "gatehousectl create-admin refuses them, naming the character" {
	local D=$BATS_TEST_TMPDIR
	printf 'database = %s/g.db\nhash_cost = 1\n' "$D" >"$D/g.conf"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$D/g.conf" init
	[ "$status" -eq 0 ]
	run bash -c "printf 'long-enough-pw\n' | '$GATEHOUSE_BIN/gatehousectl' -c '$D/g.conf' create-admin -s \"\$(printf 'root\u200b')\""
	[ "$status" -ne 0 ]
	[[ $output == *"must not contain invisible or format characters (U+200B ZERO WIDTH SPACE)"* ]]
	run bash -c "printf 'long-enough-pw\n' | '$GATEHOUSE_BIN/gatehousectl' -c '$D/g.conf' create-admin -s ' root'"
	[ "$status" -ne 0 ]
	[[ $output == *"must not start or end with white space (U+0020 SPACE)"* ]]
	run bash -c "printf 'long-enough-pw\n' | '$GATEHOUSE_BIN/gatehousectl' -c '$D/g.conf' create-admin -s 'root two'"
	[ "$status" -eq 0 ]
}

@test "gatehousectl user add and import refuse them through the API's own rules" {
	ctl() { "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" "$@"; }
	run ctl user add "$(printf 'carol\u2060')" -s <<<"carol-password-1"
	[ "$status" -ne 0 ]
	[[ $output == *"must not contain invisible or format characters (U+2060 WORD JOINER)"* ]]
	run ctl user add "carol " -s <<<"carol-password-1"
	[ "$status" -ne 0 ]
	[[ $output == *"must not start or end with white space (U+0020 SPACE)"* ]]
	h=$(db "SELECT password_hash FROM users WHERE username = 'admin'")
	jq -n --arg h "$h" --arg a "$(printf 'imp\u200bone')" --arg b "$(printf '\u202eimptwo')" \
		'[{username: $a, password_hash: $h}, {username: $b, password_hash: $h}, {username: "impthree", password_hash: $h}]' \
		>"$BATS_TEST_TMPDIR/imp.json"
	run ctl import "$BATS_TEST_TMPDIR/imp.json"
	[[ $output == *"U+200B ZERO WIDTH SPACE"* ]]
	[[ $output == *"U+202E RIGHT-TO-LEFT OVERRIDE"* ]]
	[[ ${lines[-1]} == "1 imported, 2 refused" ]]
}
