#!/usr/bin/env bats
# POST /auth/login: the OAuth2 password form (and JSON), tokens, failures and their texts.

load helpers

setup_file() { start_instance; }
teardown_file() { stop_instance; }

@test "login with the form returns a TokenResponse" {
	req POST /auth/login -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	expect 200
	[ "$(jq -r 'keys_unsorted|join(",")' <<<"$body")" = "access_token,refresh_token,token_type,expires_in" ]
	[[ $(jq -r .access_token <<<"$body") =~ ^gat_[A-Za-z0-9_-]{43}$ ]]
	[[ $(jq -r .refresh_token <<<"$body") =~ ^grt_[A-Za-z0-9_-]{43}$ ]]
	[ "$(jq -r .token_type <<<"$body")" = bearer ]
	[ "$(jq -r .expires_in <<<"$body")" = 900 ]
	[ "$(header Cache-Control)" = no-store ]
}

@test "login with a JSON body works too" {
	req POST /auth/login -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg p "$ADMIN_PASSWORD" '{username:"admin",password:$p}')"
	expect 200
	[ "$(jq -r .token_type <<<"$body")" = bearer ]
}

@test "the username matches case-insensitively" {
	req POST /auth/login --data-urlencode username=ADMIN --data-urlencode "password=$ADMIN_PASSWORD"
	expect 200
}

@test "a wrong password is 401 with WWW-Authenticate" {
	req POST /auth/login --data-urlencode username=admin --data-urlencode password=wrong-password
	problem 401 "Incorrect username or password"
	[ "$(header WWW-Authenticate)" = Bearer ]
}

@test "an unknown user gets the same 401 as a wrong password" {
	req POST /auth/login --data-urlencode username=nobody-here --data-urlencode password=whatever1
	problem 401 "Incorrect username or password"
	[ "$(header WWW-Authenticate)" = Bearer ]
}

@test "missing and empty form fields are 422 Field required" {
	req POST /auth/login --data 'username=&password='
	invalid '[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},
		{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]'
	req POST /auth/login
	invalid '[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},
		{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]'
}

@test "a wrong grant_type is 422 string_pattern_mismatch" {
	req POST /auth/login --data 'username=admin&password=x&grant_type=implicit'
	invalid '[{"type":"string_pattern_mismatch","loc":["body","grant_type"],"msg":"String should match pattern '"'^password\$'"'","input":"implicit","ctx":{"pattern":"^password$"}}]'
}

@test "grant_type=password and the OAuth2 extras are accepted" {
	req POST /auth/login --data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD" \
		--data 'grant_type=password&scope=&client_id=x'
	expect 200
}

@test "a password is never echoed in a 422" {
	req POST /auth/login -H 'Content-Type: application/json' --data '{"password":"s3cret-value"}'
	[ "$code" = 422 ]
	refute_contains "$body" s3cret-value
	assert_contains "$body" '"password":"********"'
}

@test "login sets last_login_at" {
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	[[ $(jq -r .last_login_at <<<"$body") =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]{6})?Z$ ]]
}

@test "a login with the token's scheme in another case still works" {
	req GET /auth/me/ -H "Authorization: bEaReR $ADMIN_TOKEN"
	expect 200
}

@test "failed logins leave no password in the log" {
	req POST /auth/login --data-urlencode username=admin --data-urlencode password=leaky-secret-42
	problem 401 "Incorrect username or password"
	refute_grep -r leaky-secret-42 "$INST/logs"
}

@test "a NUL inside the username is an unknown user, not a shortened name" {
	req POST /auth/login --data "username=admin%00zz" --data-urlencode "password=$ADMIN_PASSWORD"
	problem 401 "Incorrect username or password"
}

@test "a form of tens of thousands of pairs still finds its fields" {
	{ printf '=&%.0s' $(seq 25000); printf 'x=1&%.0s' $(seq 1000); } >"$BATS_TEST_TMPDIR/form"
	printf 'username=admin&password=%s' "$ADMIN_PASSWORD" >>"$BATS_TEST_TMPDIR/form"
	req POST /auth/login -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$BATS_TEST_TMPDIR/form"
	expect 200
}

@test "a long password is pre-hashed with a label: its plain SHA-512 is not a password" {
	long=$(printf 'ü%.0s' $(seq 200))
	create_user prehash "$long" viewer
	login_ok prehash "$long"
	hex=$(printf '%s' "$long" | sha512sum | cut -d' ' -f1)
	plain=$(printf '%b' "$(sed 's/../\\x&/g' <<<"$hex")" | base64 -w0 | tr -d '=')
	[ ${#plain} -eq 86 ]
	login_refused prehash "$plain"
	login_refused prehash "gh-prehash:$plain"
}

@test "registration is off by default: 403 Registration is disabled, and /auth/config/ says so" {
	req POST /auth/register/ -H 'Content-Type: application/json' --data '{"username":"hopeful","password":"hopeful-pass"}'
	problem 403 "Registration is disabled"
	req GET /auth/config
	[ "$(jq -c '[.registration_enabled,.allow_signup]' <<<"$body")" = '[false,false]' ]
	[ "$(db "SELECT count(*) FROM users WHERE username = 'hopeful'")" = 0 ]
}

@test "login as multipart/form-data, as a browser's FormData sends it" {
	req POST /auth/login -F username=admin -F "password=$ADMIN_PASSWORD"
	expect 200
	[ "$(jq -r .token_type <<<"$body")" = bearer ]
	req POST /auth/login/ -F username=admin -F 'password=wrong-one'
	problem 401 "Incorrect username or password"
	req POST /auth/login -F username= -F password=
	invalid '[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},
		{"type":"missing","loc":["body","password"],"msg":"Field required","input":null}]'
}
