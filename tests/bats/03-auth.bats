#!/usr/bin/env bats
# Bearer authentication on protected routes: GET /auth/me/, 401 texts and headers, live status and roles.

load helpers

setup_file() { start_instance --set access_token_lifetime=2; }
teardown_file() { stop_instance; }
# Access tokens live two seconds here, so each test logs the admin in afresh.
setup() { ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD"); }

@test "GET /auth/me/ returns the caller's UserResponse" {
	token=$(login_token admin "$ADMIN_PASSWORD")
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
	[ "$(jq -r 'keys_unsorted|join(",")' <<<"$body")" = "id,username,email,is_active,status,last_login_at,created_at,roles,quota_usage" ]
	[ "$(jq -c '[.username,.is_active,.status,.roles,.quota_usage]' <<<"$body")" = '["admin",true,"active",["admin"],null]' ]
}

@test "no credential is 401 Could not validate credentials with WWW-Authenticate: Bearer" {
	req GET /auth/me/
	problem 401 "Could not validate credentials"
	[ "$(header WWW-Authenticate)" = Bearer ]
}

@test "a malformed, unknown or wrong-scheme credential is the same 401" {
	for h in "Authorization: Bearer" "Authorization: Bearer nonsense" "Authorization: Basic YWRtaW46eA==" \
		"Authorization: Bearer gat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "Authorization: Bearerx y"; do
		req GET /auth/me/ -H "$h"
		problem 401 "Could not validate credentials"
	done
}

@test "a refresh token is not an access token" {
	refresh=$(curl -s -X POST "$BASE/auth/login" --data-urlencode username=admin \
		--data-urlencode "password=$ADMIN_PASSWORD" | jq -r .refresh_token)
	req GET /auth/me/ -H "Authorization: Bearer $refresh"
	problem 401 "Could not validate credentials"
}

@test "an expired access token is 401 The access token expired" {
	token=$(login_token admin "$ADMIN_PASSWORD")
	sleep 2.2
	req GET /auth/me/ -H "Authorization: Bearer $token"
	problem 401 "The access token expired"
	[ "$(header WWW-Authenticate)" = 'Bearer error="invalid_token", error_description="The access token expired"' ]
}

@test "disabling a user takes effect on the very next request" {
	create_user dora 'dora-password-1' viewer
	token=$(login_token dora 'dora-password-1')
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
	db "UPDATE users SET status = 'disabled' WHERE username = 'dora'"
	req GET /auth/me/ -H "Authorization: Bearer $token"
	problem 401 "Could not validate credentials"
}

@test "a role change takes effect on the very next request" {
	create_user eddie 'eddie-password-1' admin
	token=$(login_token eddie 'eddie-password-1')
	req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data '{"username":"made-by-eddie","password":"longenough1"}'
	expect 201
	db "UPDATE user_roles SET role_id = 3 WHERE uid = (SELECT uid FROM users WHERE username = 'eddie')"
	req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data '{"username":"made-by-eddie-2","password":"longenough1"}'
	problem 403 "Missing permission: manage_users"
}

@test "pending and disabled accounts cannot log in, with the reference's texts" {
	create_user penny 'penny-password-1' viewer
	db "UPDATE users SET status = 'pending' WHERE username = 'penny'"
	req POST /auth/login --data-urlencode username=penny --data-urlencode password=penny-password-1
	problem 403 "Your account is awaiting approval"
	req POST /auth/login --data-urlencode username=penny --data-urlencode password=wrong-password
	problem 401 "Incorrect username or password"
	db "UPDATE users SET status = 'disabled' WHERE username = 'penny'"
	req POST /auth/login --data-urlencode username=penny --data-urlencode password=penny-password-1
	problem 403 "Account not active"
}

@test "the schema enforces is_active == (status == active)" {
	[ "$(db "SELECT count(*) FROM users WHERE CAST(is_active AS INTEGER) != CASE WHEN status = 'active' THEN 1 ELSE 0 END")" = 0 ]
	if pg_mode; then
		run db "UPDATE users SET is_active = false"
		assert_status 1
		assert_output_has 'column "is_active" can only be updated to DEFAULT'
	else
		run db "UPDATE users SET is_active = 0"
		assert_status 1
		assert_output_has 'cannot UPDATE generated column "is_active"'
	fi
}

@test "tokens are stored only as digests" {
	token=$(login_token admin "$ADMIN_PASSWORD")
	[ "$(db "SELECT count(*) FROM sessions WHERE access_digest = $(sql_blob "$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)")")" = 1 ]
	dump=$(db_dump)
	[[ $dump =~ CREATE\ TABLE\ (public\.)?sessions ]] || fail "no sessions table in the dump"
	refute_contains "$dump" "$token"
}

@test "a password hash made with another cost is upgraded at the next login" {
	create_user hugo 'hugo-password-1' viewer
	before=$(db "SELECT password_hash FROM users WHERE username = 'hugo'")
	[[ $before == '$y$j75$'* ]] || [[ $before == '$y$'* ]]
	sed -i 's/^hash_cost = 1$/hash_cost = 2/' "$INST/gatehouse.conf"
	grep -q '^hash_cost = 2$' "$INST/gatehouse.conf"
	"$RUN" --bin "$GATEHOUSE_BIN" --port "$PORT" "$INST" >/dev/null
	login_ok hugo 'hugo-password-1'
	after=$(db "SELECT password_hash FROM users WHERE username = 'hugo'")
	[[ $after == '$y$'* ]]
	[ "$before" != "$after" ]
	login_ok hugo 'hugo-password-1'
}
