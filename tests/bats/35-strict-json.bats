#!/usr/bin/env bats
# JSON bodies are read no more loosely than Python's json.loads reads them (issue 14 §2): what json-c took and
# Python refuses is a 422 json_invalid at ["body", <byte offset>] with Python's message, before any field is read
# and before authentication, and creates nothing. The whole JSONTestSuite runs in tests/unit/test-jsonstrict.c;
# this file checks the same path through nginx.

load helpers

setup_file() { start_instance; }
teardown_file() { stop_instance; }

# post BODY [curl args]: POST /admin/users/ with BODY as JSON, as the admin.
post() {
	local b=$1
	shift
	printf '%s' "$b" >"$BATS_TEST_TMPDIR/in"
	req POST /admin/users/ -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/in" "$@"
}

# json_invalid OFFSET ERROR: the whole 422, one entry.
json_invalid() {
	invalid "$(jq -nc --argjson o "$1" --arg e "$2" \
		'[{type:"json_invalid",loc:["body",$o],msg:"JSON decode error",input:{},ctx:{error:$e}}]')"
}

@test "Python's refusals: control characters, number shapes, NaN and Infinity, escapes (table)" {
	tab=$(printf '\t')
	nl=$(printf '\nx')
	nl=${nl%x}
	while IFS='|' read -r offset error body; do
		body=${body//<TAB>/$tab}
		body=${body//<LF>/$nl}
		post "$body" -H "Authorization: Bearer $ADMIN_TOKEN"
		json_invalid "$offset" "$error" || { echo "body: $body" >&2; return 1; }
	done <<'EOF'
41|Invalid control character at|{"password":"longenough","username":"long<TAB>enough1"}
41|Invalid control character at|{"password":"longenough","username":"long<LF>enough1"}
14|Expecting ',' delimiter|{"is_active":1.}
14|Expecting ',' delimiter|{"is_active":1.e5}
15|Expecting ',' delimiter|{"is_active":-01}
12|Expecting value|{"username":NaN,"password":"longenough"}
12|Expecting value|{"username":Infinity,"password":"longenough"}
12|Expecting value|{"username":-Infinity,"password":"longenough"}
0|Expecting value|NaN
12|Expecting value|{"username":+1}
13|Invalid \escape|{"username":"\x41bc","password":"longenough"}
14|Invalid \uXXXX escape|{"username":"\u12","password":"longenough"}
15|Unpaired surrogate in \uXXXX escape|{"username":"ab\ud800c","password":"longenough"}
EOF
	[ "$(db "SELECT count(*) FROM users WHERE username LIKE 'long%'")" = 0 ]
}

@test "json_invalid comes before authentication and before any field is read" {
	post '{"username":"ab","password":1.}'
	json_invalid 29 "Expecting ',' delimiter"
	req POST /auth/login -H 'Content-Type: application/json' --data-binary '{"username":"admin","password":NaN}'
	json_invalid 31 "Expecting value"
}

@test "what Python accepts still works: escapes, a surrogate pair, exponents, duplicate keys (last wins)" {
	post '{"username":"dup","username":"py\u00e9\ud83d\ude00","password":"long\/enough","role":"viewer","x":[1E+2,-0.0e-0,123456789012345678901234567890,1e400]}' \
		-H "Authorization: Bearer $ADMIN_TOKEN"
	[ "$code" = 201 ] || { echo "$code $body" >&2; return 1; }
	[ "$(jq -r .username <<<"$body")" = "pyé😀" ]
	# A failing field's echo of a huge number stays valid JSON (the number as it was sent).
	post '{"username":1e400,"password":"longenough"}' -H "Authorization: Bearer $ADMIN_TOKEN"
	invalid '[{"type":"string_type","loc":["body","username"],"msg":"Input should be a valid string","input":1e400}]'
	grep -q '"input":1e400' "$BATS_TEST_TMPDIR/body"
}
