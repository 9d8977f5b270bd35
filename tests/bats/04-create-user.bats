#!/usr/bin/env bats
# POST /admin/users/: the seed's endpoint, every status and every 422 body in full.

load helpers

setup_file() { start_instance; }
teardown_file() { stop_instance; }

post_user() {
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data "$1"
}

@test "the seed's own curl example: its password \"example\" is 7 characters, so 422" {
	curl_out=$(curl -sS --max-time 20 -w '\n%{http_code}' --request POST \
		--url "$BASE/admin/users/" \
		--header "Authorization: Bearer $ADMIN_TOKEN" \
		--header 'Content-Type: application/json' \
		--data '{ "username": "example", "password": "example", "email": "user@example.com", "role": "viewer" }')
	code=$(tail -n 1 <<<"$curl_out")
	body=$(sed '$d' <<<"$curl_out")
	invalid '[{"type":"string_too_short","loc":["body","password"],"msg":"String should have at least 8 characters","input":"********","ctx":{"min_length":8}}]'
}

@test "the seed's example with a valid password: 201 and the full UserResponse" {
	post_user '{ "username": "example", "password": "example-password", "email": "user@example.com", "role": "viewer" }'
	expect 201
	[ "$(header Content-Type)" = application/json ]
	[ "$(jq -r 'keys_unsorted|join(",")' <<<"$body")" = "id,username,email,is_active,status,last_login_at,created_at,roles,quota_usage" ]
	[ "$(jq -c '[.username,.email,.is_active,.status,.last_login_at,.roles,.quota_usage]' <<<"$body")" = \
		'["example","user@example.com",true,"active",null,["viewer"],null]' ]
	[[ $(jq -r .id <<<"$body") =~ ^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	[[ $(jq -r .created_at <<<"$body") =~ ^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{6})?Z$ ]]
	[ "$(jq -r '.is_active|type' <<<"$body")" = boolean ]
	[ "$(jq -r '.roles|type' <<<"$body")" = array ]
}

@test "the new user can log in at once and sees the same record" {
	id=$(create_user newbie 'newbie-password' editor)
	token=$(login_token newbie 'newbie-password')
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
	[ "$(jq -r .id <<<"$body")" = "$id" ]
	[ "$(jq -c .roles <<<"$body")" = '["editor"]' ]
}

@test "role defaults to viewer and email to null" {
	post_user '{"username":"defaulted","password":"longenough1"}'
	expect 201
	[ "$(jq -c '[.email,.roles]' <<<"$body")" = '[null,["viewer"]]' ]
}

@test "the email is normalised: domain lower-cased, display name dropped" {
	post_user '{"username":"norma","password":"longenough1","email":"Norma Jean <Norma@Example.COM>"}'
	expect 201
	[ "$(jq -r .email <<<"$body")" = "Norma@example.com" ]
}

@test "409 Username already taken, case-insensitively" {
	create_user takenname 'longenough1' viewer
	post_user '{"username":"TakenName","password":"longenough1"}'
	problem 409 "Username already taken"
}

@test "409 Email already registered, case-insensitively" {
	post_user '{"username":"mailer1","password":"longenough1","email":"same@example.com"}'
	expect 201
	post_user '{"username":"mailer2","password":"longenough1","email":"SAME@example.com"}'
	problem 409 "Email already registered"
}

@test "a username is checked before an email" {
	post_user '{"username":"MAILER1","password":"longenough1","email":"same@example.com"}'
	problem 409 "Username already taken"
}

@test "two simultaneous creates of one name in different case: one 201, one 409" {
	for i in 1 2 3 4 5; do
		for name in "racer$i" "RACER$i"; do
			curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 -X POST "$BASE/admin/users/" \
				-H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
				--data "{\"username\":\"$name\",\"password\":\"longenough1\"}" >"$BATS_TEST_TMPDIR/$name" &
		done
		wait
		[ "$(cat "$BATS_TEST_TMPDIR/racer$i" "$BATS_TEST_TMPDIR/RACER$i" | sort | tr '\n' ' ')" = "201 409 " ]
		[ "$(db "SELECT count(*) FROM users WHERE username_key = 'racer$i'")" = 1 ]
	done
}

@test "no token: 401 Could not validate credentials" {
	req POST /admin/users/ -H 'Content-Type: application/json' --data '{"username":"x1x","password":"longenough1"}'
	problem 401 "Could not validate credentials"
	[ "$(header WWW-Authenticate)" = Bearer ]
}

@test "a bad token: 401" {
	req POST /admin/users/ -H 'Authorization: Bearer gat_not-a-real-token-at-all-not-a-real-token-a' \
		-H 'Content-Type: application/json' --data '{"username":"x1x","password":"longenough1"}'
	problem 401 "Could not validate credentials"
}

@test "an editor or a viewer: 403 Missing permission: manage_users" {
	create_user eddy 'eddy-password-1' editor
	create_user vivi 'vivi-password-1' viewer
	for u in eddy vivi; do
		token=$(login_token $u "$u-password-1")
		req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
			--data '{"username":"nope","password":"longenough1"}'
		problem 403 "Missing permission: manage_users"
	done
	[ "$(db "SELECT count(*) FROM users WHERE username = 'nope'")" = 0 ]
}

@test "401 comes before validation: an anonymous invalid body is 401" {
	req POST /admin/users/ -H 'Content-Type: application/json' --data '{"username":"a"}'
	problem 401 "Could not validate credentials"
}

@test "malformed JSON is 422 even before authentication" {
	req POST /admin/users/ -H 'Content-Type: application/json' --data '{"username": "abc",'
	# Python's json.loads: a comma then the end is a missing property name.
	invalid '[{"type":"json_invalid","loc":["body",19],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting property name enclosed in double quotes"}}]'
}

@test "422: empty object reports both required fields" {
	post_user '{}'
	invalid '[{"type":"missing","loc":["body","username"],"msg":"Field required","input":{}},
		{"type":"missing","loc":["body","password"],"msg":"Field required","input":{}}]'
}

@test "422: every problem of a body together, in field order" {
	post_user '{"username":"ab","password":"short","email":"nope","role":"boss"}'
	invalid '[{"type":"string_too_short","loc":["body","username"],"msg":"String should have at least 3 characters","input":"ab","ctx":{"min_length":3}},
		{"type":"string_too_short","loc":["body","password"],"msg":"String should have at least 8 characters","input":"********","ctx":{"min_length":8}},
		{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: An email address must have an @-sign.","input":"nope","ctx":{"reason":"An email address must have an @-sign."}},
		{"type":"value_error","loc":["body","role"],"msg":"Value error, Role must be one of: admin, editor, viewer","input":"boss","ctx":{"error":{}}}]'
}

@test "422: username too long (151 code points)" {
	long=$(printf 'é%.0s' $(seq 151))
	post_user "{\"username\":\"$long\",\"password\":\"longenough1\"}"
	invalid "[{\"type\":\"string_too_long\",\"loc\":[\"body\",\"username\"],\"msg\":\"String should have at most 150 characters\",\"input\":\"$long\",\"ctx\":{\"max_length\":150}}]"
}

@test "150 code points of a multi-byte username are accepted" {
	long=$(printf 'é%.0s' $(seq 150))
	post_user "{\"username\":\"$long\",\"password\":\"longenough1\"}"
	expect 201
}

@test "422: password too long (257 code points), masked" {
	long=$(printf 'p%.0s' $(seq 257))
	post_user "{\"username\":\"longpw\",\"password\":\"$long\"}"
	invalid '[{"type":"string_too_long","loc":["body","password"],"msg":"String should have at most 256 characters","input":"********","ctx":{"max_length":256}}]'
}

@test "a 256-character password (more than bcrypt's 72 bytes) works end to end" {
	long=$(printf 'ü%.0s' $(seq 256))
	post_user "{\"username\":\"longpw2\",\"password\":\"$long\"}"
	expect 201
	login_ok longpw2 "$long"
}

@test "422: wrong types" {
	post_user '{"username":123,"password":true,"email":5,"role":null}'
	invalid '[{"type":"string_type","loc":["body","username"],"msg":"Input should be a valid string","input":123},
		{"type":"string_type","loc":["body","password"],"msg":"Input should be a valid string","input":"********"},
		{"type":"string_type","loc":["body","email"],"msg":"Input should be a valid string","input":5},
		{"type":"string_type","loc":["body","role"],"msg":"Input should be a valid string","input":null}]'
}

@test "422: a missing field echoes the body with the password masked" {
	post_user '{"password":"super-secret-pw","extra":[1,{"password":"nested-secret"}]}'
	invalid '[{"type":"missing","loc":["body","username"],"msg":"Field required","input":{"password":"********","extra":[1,{"password":"********"}]}}]'
}

@test "422: control characters in a username" {
	post_user '{"username":"bad\u0000name","password":"longenough1"}'
	invalid '[{"type":"value_error","loc":["body","username"],"msg":"Value error, must not contain control characters","input":"bad\u0000name","ctx":{"error":{}}}]'
}

@test "422: a special-use email domain" {
	post_user '{"username":"tester","password":"longenough1","email":"a@host.local"}'
	invalid '[{"type":"value_error","loc":["body","email"],"msg":"value is not a valid email address: The part after the @-sign is a special-use or reserved name that cannot be used with email.","input":"a@host.local","ctx":{"reason":"The part after the @-sign is a special-use or reserved name that cannot be used with email."}}]'
}

@test "422: the body is not an object" {
	post_user '[{"username":"x"}]'
	invalid '[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":[{"username":"x"}]}]'
}

@test "422: no body, or JSON null" {
	as_admin POST /admin/users/ -H 'Content-Type: application/json'
	invalid '[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]'
	post_user 'null'
	invalid '[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]'
}

@test "422: a non-JSON content type, or none, is model_attributes_type and echoes no secret" {
	as_admin POST /admin/users/ -H 'Content-Type: text/plain' --data '{"username":"plain","password":"longenough1"}'
	invalid '[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"********"}]'
	as_admin POST /admin/users/ --data-urlencode 'username=plain' --data-urlencode 'password=longenough1'
	invalid '[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from","input":"********"}]'
}

@test "422: invalid UTF-8 is json_invalid at its byte offset" {
	printf '{"username":"a\xff","password":"longenough1"}' >"$BATS_TEST_TMPDIR/bad.json"
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/bad.json"
	invalid '[{"type":"json_invalid","loc":["body",14],"msg":"JSON decode error","input":{},"ctx":{"error":"Invalid UTF-8"}}]'
}

@test "413: a body over the configured limit (64 KiB)" {
	head -c 70000 /dev/zero | tr '\0' 'a' | sed 's/^/{"username":"/; s/$/"}/' >"$BATS_TEST_TMPDIR/big.json"
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/big.json"
	problem 413 "Request body too large"
}

@test "413: a body over nginx's own limit still gets the contract's shape" {
	head -c 2000000 /dev/zero | tr '\0' 'a' >"$BATS_TEST_TMPDIR/huge.json"
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/huge.json"
	problem 413 "Request body too large"
}

@test "the database holds only yescrypt hashes, never a password" {
	create_user hashcheck 'plain-text-never-stored' viewer
	[[ $(db "SELECT password_hash FROM users WHERE username = 'hashcheck'") == '$y$'* ]]
	dump=$(db_dump)
	[[ $dump =~ CREATE\ TABLE\ (public\.)?users ]] || fail "no users table in the dump"
	refute_contains "$dump" plain-text-never-stored
	refute_grep -r plain-text-never-stored "$INST/logs"
}

@test "the database file is 0600" {
	sqlite_only "the permissions of the database file"
	[ "$(stat -c %a "$INST/gatehouse.db")" = 600 ]
}
