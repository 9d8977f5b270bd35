#!/usr/bin/env bats
# Revocation that sticks: disabling revokes every credential so re-enabling revives none; keys cannot mint keys;
# an admin cannot reset their own password through the admin route; a login has an absolute lifetime.

load helpers

setup_file() { start_instance --set registration=on; }
teardown_file() { stop_instance; }

login_pair() {
	local out
	out=$(curl -s --max-time 20 -X POST "$BASE/auth/login" --data-urlencode "username=$1" --data-urlencode "password=$2")
	ACCESS=$(jq -r .access_token <<<"$out")
	REFRESH=$(jq -r .refresh_token <<<"$out")
	[ "$ACCESS" != null ]
}
refresh() { req POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$1\"}"; }
new_key() {
	req POST /auth/api-keys/ -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data '{"name":"k"}'
	[ "$code" = 201 ] || { echo "new_key: $code $body" >&2; return 1; }
	jq -r .key <<<"$body"
}
json_as() { local t=$1 m=$2 p=$3; shift 3; req "$m" "$p" -H "Authorization: Bearer $t" -H 'Content-Type: application/json' --data "$1"; }

@test "a key cannot create a key, on either route, whatever its scope or expiry (403); a session can" {
	id=$(create_user keyminter 'keyminter-pass' admin)
	login_pair keyminter keyminter-pass
	key=$(new_key "$ACCESS")
	req POST /auth/api-keys/ -H "X-Api-Key: $key" -H 'Content-Type: application/json' --data '{"name":"child"}'
	problem 403 "API keys cannot create API keys; sign in with a password"
	req POST /auth/api-keys/ -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
		--data '{"name":"child","expires_at":"2999-01-01T00:00:00Z"}'
	problem 403 "API keys cannot create API keys; sign in with a password"
	req POST /admin/api-keys/ -H "X-Api-Key: $key" -H 'Content-Type: application/json' \
		--data "{\"name\":\"child\",\"user_id\":\"$id\"}"
	problem 403 "API keys cannot create API keys; sign in with a password"
	# The deprecated query parameter is a key too.
	req POST "/auth/api-keys/?api_key=$key" -H 'Content-Type: application/json' --data '{"name":"child"}'
	problem 403 "API keys cannot create API keys; sign in with a password"
	[ "$(db "SELECT count(*) FROM api_keys WHERE uid = (SELECT uid FROM users WHERE id = '$id')")" = 1 ]
	# A key still reads, and the session still mints.
	req GET /auth/api-keys/ -H "X-Api-Key: $key"
	expect 200
	new_key "$ACCESS" >/dev/null
}

@test "an admin cannot reset their own password through the admin route (422); another admin's works" {
	self=$(db "SELECT id FROM users WHERE username = 'admin'")
	json_as "$ADMIN_TOKEN" POST "/admin/users/$self/reset-password/" '{"password":"hijacked-pass-1"}'
	expect 422 '{"type":"about:blank","title":"Validation Error","status":422,"detail":"Cannot reset your own password; use /auth/change-password/ with your current password"}'
	# Nothing changed: the old password logs in, the caller's session lives, no audit row.
	[ "$(login_token admin "$ADMIN_PASSWORD")" != null ]
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.reset_password' AND resource_id = '$self'")" = 0 ]
	other=$(create_user other-admin 'other-admin-pass' admin)
	json_as "$ADMIN_TOKEN" POST "/admin/users/$other/reset-password/" '{"password":"reset-by-admin"}'
	[ "$code" = 204 ]
}
