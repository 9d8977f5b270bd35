#!/usr/bin/env bats
# The login life of an account: refresh with rotation and reuse detection, logout, permissions, public config,
# change-password, self-registration, API keys, login throttling, and the revocation matrix.

load helpers

setup_file() {
	start_instance --set refresh_reuse_grace=1 --set registration=on --set login_failures_per_account=3 \
		--set login_failures_per_address=12 --set login_block_time=2
}
teardown_file() { stop_instance; }

me_with() { req GET /auth/me/ -H "Authorization: Bearer $1"; }
me_with_key() { req GET /auth/me/ -H "X-Api-Key: $1"; }

@test "refresh rotates: a new pair, the old refresh token still works inside the grace" {
	create_user rota 'rota-pass-1' viewer
	login_pair rota rota-pass-1
	refresh "$REFRESH"
	expect 200
	new_access=$(jq -r .access_token <<<"$body")
	[ "$(jq -r 'keys_unsorted|join(",")' <<<"$body")" = "access_token,refresh_token,token_type,expires_in" ]
	me_with "$new_access"
	expect 200
	refresh "$REFRESH"
	expect 200
}

@test "a rotated refresh token used after the grace revokes every session of that login, not others" {
	create_user reuse 'reuse-pass-1' viewer
	login_pair reuse reuse-pass-1
	other_access=$ACCESS
	login_pair reuse reuse-pass-1
	old=$REFRESH
	refresh "$old"
	new_access=$(jq -r .access_token <<<"$body")
	new_refresh=$(jq -r .refresh_token <<<"$body")
	sleep 1.2
	refresh "$old"
	problem 401 "Invalid or expired refresh token"
	[ -z "$(header WWW-Authenticate)" ]
	me_with "$new_access"
	problem 401 "Could not validate credentials"
	refresh "$new_refresh"
	problem 401 "Invalid or expired refresh token"
	me_with "$other_access"
	expect 200
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.refresh.reuse_detected'")" -ge 1 ]
}

@test "refresh errors: no body, bad token, an access token, a disabled owner are 401; {} is 422" {
	req POST /auth/refresh/
	problem 401 "Invalid or expired refresh token"
	refresh "grt_nonsense"
	problem 401 "Invalid or expired refresh token"
	create_user refr 'refr-pass-1' viewer
	login_pair refr refr-pass-1
	refresh "$ACCESS"
	problem 401 "Invalid or expired refresh token"
	req POST /auth/refresh -H 'Content-Type: application/json' --data '{}'
	invalid '[{"type":"missing","loc":["body","refresh_token"],"msg":"Field required","input":{}}]'
	db "UPDATE users SET status = 'disabled' WHERE username = 'refr'"
	refresh "$REFRESH"
	problem 401 "Invalid or expired refresh token"
}

@test "logout revokes every session of the user; API keys survive" {
	create_user leaver 'leaver-pass-1' viewer
	login_pair leaver leaver-pass-1
	a1=$ACCESS r1=$REFRESH
	login_pair leaver leaver-pass-1
	key=$(new_key "$ACCESS")
	req POST /auth/logout/ -H "Authorization: Bearer $ACCESS"
	expect 204
	[ -z "$body" ]
	me_with "$a1"
	problem 401 "Could not validate credentials"
	refresh "$r1"
	problem 401 "Invalid or expired refresh token"
	me_with_key "$key"
	expect 200
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.logout' AND actor_username = 'leaver'")" = 1 ]
}

@test "logout accepts an expired access token, or a refresh token in the body; nothing is 401 Not authenticated" {
	create_user leaver2 'leaver-pass-2' viewer
	login_pair leaver2 leaver-pass-2
	db "UPDATE sessions SET access_expires_at = 0 WHERE uid = (SELECT uid FROM users WHERE username = 'leaver2')"
	me_with "$ACCESS"
	problem 401 "The access token expired"
	req POST /auth/logout -H "Authorization: Bearer $ACCESS"
	[ "$code" = 204 ]
	login_pair leaver2 leaver-pass-2
	req POST /auth/logout/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$REFRESH\"}"
	[ "$code" = 204 ]
	req POST /auth/logout/
	problem 401 "Not authenticated"
	[ "$(header WWW-Authenticate)" = Bearer ]
	req POST /auth/logout/ -H 'Content-Type: application/json' --data '{}'
	invalid '[{"type":"missing","loc":["body","refresh_token"],"msg":"Field required","input":{}}]'
}

@test "GET /auth/me/permissions/: the eight capabilities in order, from the role matrix" {
	create_user permv 'permv-pass-1' viewer
	login_pair permv permv-pass-1
	req GET /auth/me/permissions/ -H "Authorization: Bearer $ACCESS"
	expect 200 '{"permissions":{"upload":false,"create_layers":false,"export":true,"edit_metadata":false,"manage_collections":false,"use_ai_chat":false,"manage_users":false,"manage_settings":false}}'
	[ "$(jq -r '.permissions|keys_unsorted|join(",")' <<<"$body")" = "upload,create_layers,export,edit_metadata,manage_collections,use_ai_chat,manage_users,manage_settings" ]
	as_admin GET /auth/me/permissions
	[ "$(jq '[.permissions[]]|all' <<<"$body")" = true ]
}

@test "GET /auth/config/ is public" {
	req GET /auth/config/
	expect 200 '{"registration_enabled":true,"allow_signup":true,"email_verification_required":false,"auth_methods":[],"landing_first":false,"banner_enabled":false,"banner_text":"","banner_color":"warning","password_login_enabled":true}'
}

@test "change-password: the current one proven; afterwards every session and API key is dead" {
	create_user changer 'changer-pass-1' viewer
	login_pair changer changer-pass-1
	key=$(new_key "$ACCESS")
	req POST /auth/change-password/ -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
		--data '{"current_password":"wrong-one","new_password":"changer-pass-2"}'
	problem 400 "Current password is incorrect"
	req POST /auth/change-password/ -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
		--data '{"current_password":"","new_password":"short"}'
	invalid '[{"type":"string_too_short","loc":["body","current_password"],"msg":"String should have at least 1 character","input":"********","ctx":{"min_length":1}},
		{"type":"string_too_short","loc":["body","new_password"],"msg":"String should have at least 8 characters","input":"********","ctx":{"min_length":8}}]'
	req POST /auth/change-password -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
		--data '{"current_password":"changer-pass-1","new_password":"changer-pass-2"}'
	[ "$code" = 204 ]
	me_with "$ACCESS"
	problem 401 "Could not validate credentials"
	refresh "$REFRESH"
	problem 401 "Invalid or expired refresh token"
	me_with_key "$key"
	problem 401 "Could not validate credentials"
	login_refused changer changer-pass-1
	login_ok changer changer-pass-2
}

@test "register: a pending user with no role; the same answer when the name is taken; approve lets it in" {
	req POST /auth/register/ -H 'Content-Type: application/json' --data '{"username":"newcomer","password":"newcomer-pass"}'
	expect 201 '{"message":"Registration submitted. Your account is awaiting admin approval.","next_step":"await_approval"}'
	first=$body
	req POST /auth/register -H 'Content-Type: application/json' --data '{"username":"NEWCOMER","password":"other-pass-1"}'
	expect 201
	[ "$body" = "$first" ]
	[ "$(db "SELECT status || ':' || (SELECT count(*) FROM user_roles r WHERE r.uid = u.uid) FROM users u WHERE username_key = 'newcomer'")" = "pending:0" ]
	req POST /auth/login --data-urlencode username=newcomer --data-urlencode password=newcomer-pass
	problem 403 "Your account is awaiting approval"
	id=$(db "SELECT id FROM users WHERE username = 'newcomer'")
	as_admin POST "/admin/users/$id/approve/" -H 'Content-Type: application/json' --data '{"role":"viewer"}'
	expect 200
	login_ok newcomer newcomer-pass
	req POST /auth/register/ -H 'Content-Type: application/json' --data '{"username":"ab","password":"x"}'
	[ "$code" = 422 ]
}

@test "API keys: create shows the key once; list, X-Api-Key, ?api_key=, revoke" {
	create_user keyer 'keyer-pass-1' editor
	login_pair keyer keyer-pass-1
	req POST /auth/api-keys/ -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
		--data '{"name":"ci","expires_at":"2999-01-01T00:00:00Z"}'
	expect 201
	[ "$(jq -r 'keys_unsorted|join(",")' <<<"$body")" = "id,key,fingerprint,name,expires_at,scope,created_at" ]
	key=$(jq -r .key <<<"$body")
	kid=$(jq -r .id <<<"$body")
	[[ $key =~ ^gak_[A-Za-z0-9_-]{43}$ ]]
	[ "$(jq -r .fingerprint <<<"$body")" = "${key:0:8}…${key: -4}" ]
	[ "$(jq -r '[.scope,.expires_at]|join(" ")' <<<"$body")" = "full 2999-01-01T00:00:00Z" ]
	req GET /auth/api-keys/ -H "Authorization: Bearer $ACCESS"
	expect 200
	[ "$(jq -r .total <<<"$body")" = 1 ]
	[ "$(jq -r '.items[0]|keys_unsorted|join(",")' <<<"$body")" = "id,name,fingerprint,is_active,expires_at,scope,created_at,last_used_at" ]
	refute_contains "$body" "$key"
	me_with_key "$key"
	expect 200
	[ "$(jq -r .username <<<"$body")" = keyer ]
	req GET "/auth/me/?api_key=$key"
	expect 200
	me_with_key "gak_junkjunkjunkjunkjunkjunkjunkjunkjunkjunkjun"
	problem 401 "Could not validate credentials"
	req GET /auth/me/ -H "X-Api-Key: gak_junk" -H "Authorization: Bearer $ACCESS"
	expect 200
	[ "$(db "SELECT count(*) FROM api_keys WHERE id = '$kid' AND last_used_at IS NOT NULL")" = 1 ]
	rows=$(db "SELECT * FROM api_keys")
	assert_contains "$rows" "$kid"
	refute_contains "$rows" "$key"
	req DELETE "/auth/api-keys/$kid" -H "Authorization: Bearer $ACCESS"
	[ "$code" = 204 ]
	me_with_key "$key"
	problem 401 "Could not validate credentials"
	as_admin DELETE "/auth/api-keys/$kid"
	problem 404 "API key not found"
}

@test "API keys: a read-only key reads but every write is 403, even with a bearer token beside it" {
	create_user reader 'reader-pass-1' admin
	login_pair reader reader-pass-1
	key=$(new_key "$ACCESS" '{"name":"ro","scope":"read_only"}')
	req GET /admin/users/ -H "X-Api-Key: $key"
	expect 200
	req POST /admin/users/ -H "X-Api-Key: $key" -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
		--data '{"username":"by-ro-key","password":"longenough1"}'
	problem 403 "This API key is read-only"
	req POST /auth/logout/ -H "X-Api-Key: $key"
	problem 403 "This API key is read-only"
}

@test "API keys: validation texts" {
	create_user keyv 'keyv-pass-1' viewer
	login_pair keyv keyv-pass-1
	req POST /auth/api-keys/ -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
		--data '{"name":"","expires_at":"2000-01-01T00:00:00Z","scope":"all"}'
	invalid '[{"type":"string_too_short","loc":["body","name"],"msg":"String should have at least 1 character","input":"","ctx":{"min_length":1}},
		{"type":"value_error","loc":["body","expires_at"],"msg":"Value error, expires_at must be in the future","input":"2000-01-01T00:00:00Z","ctx":{"error":{}}},
		{"type":"literal_error","loc":["body","scope"],"msg":"Input should be '"'full' or 'read_only'"'","input":"all","ctx":{"expected":"'"'full' or 'read_only'"'"}}]'
	req POST /auth/api-keys/ -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
		--data '{"name":"n","expires_at":"2999-01-01T00:00:00"}'
	invalid '[{"type":"timezone_aware","loc":["body","expires_at"],"msg":"Input should have timezone info","input":"2999-01-01T00:00:00"}]'
}

@test "admin API keys: for another user, listed with user_id, revoked; 404 and 409" {
	id=$(create_user keyowner 'keyowner-pass-1' viewer)
	as_admin POST /admin/api-keys/ -H 'Content-Type: application/json' --data "{\"name\":\"svc\",\"user_id\":\"$id\"}"
	expect 201
	key=$(jq -r .key <<<"$body")
	kid=$(jq -r .id <<<"$body")
	me_with_key "$key"
	[ "$(jq -r .username <<<"$body")" = keyowner ]
	as_admin GET "/admin/api-keys/?user_id=$id"
	[ "$(jq -r '.total' <<<"$body")" = 1 ]
	[ "$(jq -r '.items[0].user_id' <<<"$body")" = "$id" ]
	as_admin POST /admin/api-keys/ -H 'Content-Type: application/json' --data '{"name":"svc","user_id":"0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d5e"}'
	problem 404 "User not found"
	db "UPDATE users SET status = 'disabled' WHERE id = '$id'"
	as_admin POST /admin/api-keys/ -H 'Content-Type: application/json' --data "{\"name\":\"svc\",\"user_id\":\"$id\"}"
	problem 409 "API keys can only be created for active users"
	as_admin DELETE "/admin/api-keys/$kid"
	[ "$code" = 204 ]
	[ "$(db "SELECT details FROM audit WHERE action = 'api_key.revoke' ORDER BY id DESC LIMIT 1" | jq -r .target_user_id)" = "$id" ]
}

# ok_or_401: prints 1 for a 200, 0 for a 401; anything else (a 500, a 502 page) is printed as itself, so it can
# never match an expected pattern of ones and zeros.
ok_or_401() {
	case $code in 200) echo 1 ;; 401) echo 0 ;; *) echo "[$code]" ;; esac
}

# The revocation matrix of SPEC §4: each event against each credential kind, on the very next request.
check_credentials() {	# EXPECT: three of 1/0 for access token, refresh token, API key
	local want=$1 got=""
	me_with "$ACCESS"; got+=$(ok_or_401)
	refresh "$REFRESH"; got+=$(ok_or_401)
	me_with_key "$KEY"; got+=$(ok_or_401)
	[ "$got" = "$want" ] || { echo "want access/refresh/key = $want, got $got" >&2; return 1; }
}

@test "revocation matrix: disable, delete, role change, password change, reset, logout, reuse" {
	for event in disable delete role password reset logout reuse; do
		name="rev-$event"
		id=$(create_user "$name" "$name-pass" editor)
		login_pair "$name" "$name-pass"
		KEY=$(new_key "$ACCESS")
		case $event in
		disable) as_admin POST "/admin/users/$id/deactivate/"; want=000 ;;
		delete) as_admin DELETE "/admin/users/$id"; want=000 ;;
		role) as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"role":"viewer"}'; want=110 ;;
		password) req POST /auth/change-password/ -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' \
			--data "{\"current_password\":\"$name-pass\",\"new_password\":\"$name-new-pass\"}"; want=000 ;;
		reset) as_admin POST "/admin/users/$id/reset-password/" -H 'Content-Type: application/json' \
			--data '{"password":"another-pass-1"}'; want=000 ;;
		logout) req POST /auth/logout/ -H "Authorization: Bearer $ACCESS"; want=001 ;;
		reuse) old=$REFRESH; refresh "$old"; ACCESS=$(jq -r .access_token <<<"$body")
			REFRESH=$(jq -r .refresh_token <<<"$body"); sleep 1.2; refresh "$old"; want=001 ;;
		esac
		[[ $code == 20[04] || $event == reuse ]] || { echo "$event: $code $body" >&2; return 1; }
		check_credentials "$want" || { echo "event $event" >&2; return 1; }
	done
}

@test "a role change applies to the very next request with the same token" {
	id=$(create_user promo 'promo-pass-1' viewer)
	login_pair promo promo-pass-1
	req GET /admin/users/ -H "Authorization: Bearer $ACCESS"
	problem 403 "Missing permission: manage_users"
	as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"role":"admin"}'
	req GET /admin/users/ -H "Authorization: Bearer $ACCESS"
	expect 200
}

@test "throttling: failures per account and address give 429 with Retry-After, and the block lifts" {
	create_user victim 'victim-pass-1' viewer
	for i in 1 2 3; do
		req POST /auth/login --data-urlencode username=victim --data-urlencode password=guess-$i
		problem 401 "Incorrect username or password"
	done
	req POST /auth/login --data-urlencode username=victim --data-urlencode password=victim-pass-1
	[ "$code" = 429 ]
	[ "$(jq -r .title <<<"$body")" = "Too Many Requests" ]
	retry=$(header Retry-After)
	[[ $retry == [12] ]] || fail "Retry-After: want 1 or 2, got \"$retry\""
	sleep 2.1
	req POST /auth/login --data-urlencode username=victim --data-urlencode password=victim-pass-1
	expect 200
	# The address counter: twelve failures across names from one address block it for every name that never
	# logged in from there; victim did, so victim still gets in (tests/bats/25-throttle.bats has the rest).
	create_user latecomer 'latecomer-pass-1' viewer
	for i in $(seq 12); do
		req POST /auth/login --data-urlencode "username=spray$i" --data-urlencode password=guess
	done
	req POST /auth/login --data-urlencode username=latecomer --data-urlencode password=latecomer-pass-1
	[ "$code" = 429 ]
	req POST /auth/login --data-urlencode username=victim --data-urlencode password=victim-pass-1
	expect 200
	sleep 2.1
	req POST /auth/login --data-urlencode username=latecomer --data-urlencode password=latecomer-pass-1
	expect 200
}
