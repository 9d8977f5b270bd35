#!/usr/bin/env bats
# Revocation that sticks: disabling revokes every credential so re-enabling revives none; keys cannot mint keys;
# an admin cannot reset their own password through the admin route; a login has an absolute lifetime.

load helpers

setup_file() { start_instance --set registration=on; }
teardown_file() { stop_instance; }

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
	login_ok admin "$ADMIN_PASSWORD"
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.reset_password' AND resource_id = '$self'")" = 0 ]
	other=$(create_user other-admin 'other-admin-pass' admin)
	json_as "$ADMIN_TOKEN" POST "/admin/users/$other/reset-password/" '{"password":"reset-by-admin"}'
	[ "$code" = 204 ]
}

rand43() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=' | head -c 43; }
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
# creds NAME PASSWORD: a fresh login pair and an API key: sets ACCESS, REFRESH, KEY.
creds() { login_pair "$1" "$2"; KEY=$(new_key "$ACCESS"); }
# alive: three of 1/0 for the access token, the refresh token, the API key.
alive() {
	local a r k
	a=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" -H "Authorization: Bearer $ACCESS")
	k=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" -H "X-Api-Key: $KEY")
	r=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/refresh/" -H 'Content-Type: application/json' \
		--data "{\"refresh_token\":\"$REFRESH\"}")
	echo "$([ "$a" = 200 ] && echo 1 || echo 0)$([ "$r" = 200 ] && echo 1 || echo 0)$([ "$k" = 200 ] && echo 1 || echo 0)"
}

@test "disabling revokes every credential kind, and re-enabling revives none (table)" {
	# event | how the account is disabled | how it is enabled again
	for event in deactivate patch-status patch-is-active; do
		name="dis-$event"
		id=$(create_user "$name" "$name-pass" editor)
		creds "$name" "$name-pass"
		[ "$(alive)" = 111 ] || { echo "$event: not alive before" >&2; return 1; }
		# Fresh credentials again: the refresh above rotated the pair.
		creds "$name" "$name-pass"
		case $event in
		deactivate) req POST "/admin/users/$id/deactivate/" -H "Authorization: Bearer $ADMIN_TOKEN" ;;
		patch-status) json_as "$ADMIN_TOKEN" PATCH "/admin/users/$id" '{"status":"disabled"}' ;;
		patch-is-active) json_as "$ADMIN_TOKEN" PATCH "/admin/users/$id" '{"is_active":false}' ;;
		esac
		[ "$code" = 200 ] || { echo "$event: $code $body" >&2; return 1; }
		[ "$(db "SELECT count(*) FROM sessions s JOIN users u ON u.uid = s.uid WHERE u.id = '$id' AND s.revoked_at IS NULL")" = 0 ]
		json_as "$ADMIN_TOKEN" PATCH "/admin/users/$id" '{"status":"active"}'
		[ "$code" = 200 ]
		got=$(alive)
		[ "$got" = 000 ] || { echo "$event then re-enable: access/refresh/key = $got, want 000" >&2; return 1; }
		# The password still works: a new login gets new credentials.
		creds "$name" "$name-pass"
		[ "$(alive)" = 111 ]
	done
}

@test "an API key is refused while its owner is not active even where no disabling retired it (a database edited by hand or by an older release)" {
	# Every disabling through the API retires the keys (the table above); the owner's status is checked as well,
	# so that an account made inactive any other way, with its keys' epoch never moved, opens nothing. Each
	# status that is not active, on its own.
	for st in disabled pending; do
		name="inert-$st"
		id=$(create_user "$name" "$name-pass" editor)
		creds "$name" "$name-pass"
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" -H "X-Api-Key: $KEY")" = 200 ]
		db "UPDATE users SET status = '$st' WHERE id = '$id'"
		got=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" -H "X-Api-Key: $KEY")
		[ "$got" = 401 ] || { echo "$st: the key answers $got" >&2; return 1; }
	done
}

@test "delete and reject leave nothing behind; a new account of the same name inherits nothing (table)" {
	for event in delete reject; do
		name="gone-$event"
		if [ $event = delete ]; then
			id=$(create_user "$name" "$name-pass" editor)
			creds "$name" "$name-pass"
			req DELETE "/admin/users/$id" -H "Authorization: Bearer $ADMIN_TOKEN"
		else
			req POST /auth/register/ -H 'Content-Type: application/json' --data "{\"username\":\"$name\",\"password\":\"$name-pass\"}"
			[ "$code" = 201 ]
			id=$(db "SELECT id FROM users WHERE username = '$name'")
			# A pending account has no credential to leave behind: its login is refused after the password.
			req POST /auth/login --data-urlencode "username=$name" --data-urlencode "password=$name-pass"
			problem 403 "Your account is awaiting approval"
			# Credentials planted in the database as if it had had some; they must go with the row.
			ACCESS=gat_$(rand43) REFRESH=grt_$(rand43) KEY=gak_$(rand43)
			far=$((($(date +%s) + 3600) * 1000000))
			db "INSERT INTO sessions (uid, access_digest, access_expires_at, refresh_digest, refresh_expires_at, created_at, login_at)
				SELECT uid, $(sql_blob "$(sha "$ACCESS")"), $far, $(sql_blob "$(sha "$REFRESH")"), $far, 0, $far - 3600000000 FROM users WHERE id = '$id';
				INSERT INTO api_keys (id, uid, name, digest, fingerprint, scope, key_epoch, created_at)
				SELECT 'planted-$event', uid, 'k', $(sql_blob "$(sha "$KEY")"), 'f', 'full', key_epoch, 0 FROM users WHERE id = '$id'"
			req POST "/admin/users/$id/reject/" -H "Authorization: Bearer $ADMIN_TOKEN"
		fi
		[ "$code" = 204 ] || { echo "$event: $code $body" >&2; return 1; }
		[ "$(db "SELECT count(*) FROM users WHERE id = '$id'")" = 0 ]
		[ "$(db "SELECT count(*) FROM sessions WHERE uid NOT IN (SELECT uid FROM users)")" = 0 ]
		[ "$(db "SELECT count(*) FROM api_keys WHERE uid NOT IN (SELECT uid FROM users)")" = 0 ]
		create_user "$name" "$name-pass" editor >/dev/null
		got=$(alive)
		[ "$got" = 000 ] || { echo "$event then re-create: access/refresh/key = $got, want 000" >&2; return 1; }
	done
}
