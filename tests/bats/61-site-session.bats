#!/usr/bin/env bats
# Site sessions (the gatehouse_session cookie of X-Gatehouse-Auth-Mode: session) and GET /auth/verify: each
# credential kind, requirements, revocation on the very next request, lifetimes, and the same-origin check.

load helpers

setup_file() { start_instance --set refresh_reuse_grace=0; }
teardown_file() { stop_instance; }

ORIGIN_OK() { echo "http://127.0.0.1:$PORT"; }

verify() { req GET "/auth/verify$1" "${@:2}"; }

@test "session-mode login: the cookie's attributes; the body carries no token; only a digest is stored" {
	site_login admin "$ADMIN_PASSWORD"
	expect 200
	[[ $SID =~ ^gss_[A-Za-z0-9_-]{43}$ ]]
	line=$(grep -i '^Set-Cookie: gatehouse_session=' "$BATS_TEST_TMPDIR/headers" | tr -d '\r')
	[ "${line#*;}" = " HttpOnly; Max-Age=604800; Path=/; SameSite=Lax" ]
	[ "$(jq -c '[.token_type, .expires_in, .user.username]' <<<"$body")" = '["session",604800,"admin"]' ]
	run grep -c -E '(gat|grt|gss)_' "$BATS_TEST_TMPDIR/body"
	[ "$output" = 0 ]
	digest=$(printf '%s' "$SID" | sha256sum | cut -d' ' -f1)
	[ "$(db "SELECT count(*) FROM sessions WHERE site = 1 AND access_digest = $(sql_blob "$digest")")" = 1 ]
	refute_contains "$(db_dump)" "$SID"
	[ -z "$(grep -i '^Set-Cookie: geolens' "$BATS_TEST_TMPDIR/headers")" ]
}

@test "verify: 200 with the identity headers for the cookie, a bearer token and an API key; with and without slash" {
	id=$(create_user vera 'vera-pass-1' editor)
	site_login vera vera-pass-1
	token=$(login_token vera vera-pass-1)
	req POST /auth/api-keys/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data '{"name":"k"}'
	key=$(jq -r .key <<<"$body")
	for cred in "Cookie: gatehouse_session=$SID" "Authorization: Bearer $token" "X-Api-Key: $key"; do
		for path in /auth/verify /auth/verify/; do
			echo "credential ${cred%%:*} on $path" >&2
			req GET "$path" -H "$cred"
			expect 200
			[ "$(header X-Auth-User)" = vera ]
			[ "$(header X-Auth-User-Id)" = "$id" ]
			[ "$(header X-Auth-Email)" = "" ]
			[ "$(header X-Auth-Roles)" = editor ]
			[ "$(header X-Auth-Request-Id)" = "$(header X-Request-ID)" ]
			[ "$(jq -r .username <<<"$body")" = vera ]
		done
	done
	# No audit row for a verification.
	before=$(db "SELECT count(*) FROM audit")
	verify "" -H "Cookie: gatehouse_session=$SID"
	[ "$(db "SELECT count(*) FROM audit")" = "$before" ]
}

@test "verify: 401 for nothing, a forged, malformed or doubled cookie, and a session token sent as bearer" {
	site_login admin "$ADMIN_PASSWORD"
	forged="gss_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | cut -c1-43)"
	while IFS= read -r cookie; do
		echo "cookie: $cookie" >&2
		if [ -n "$cookie" ]; then verify "" -H "Cookie: $cookie"; else verify ""; fi
		problem 401 'Could not validate credentials'
		[ "$(header WWW-Authenticate)" = Bearer ]
		[ -z "$(header X-Auth-User)" ]
	done <<ROWS

gatehouse_session=$forged
gatehouse_session=${SID}x
gatehouse_session=${SID:0:46}
gatehouse_session=$SID; gatehouse_session=$SID
gatehouse_session=gat_${SID#gss_}
Gatehouse_Session=$SID
ROWS
	verify "" -H "Authorization: Bearer $SID"
	problem 401 'Could not validate credentials'
	# A bad bearer token next to a good cookie: the bearer is what was presented, and it fails.
	verify "" -H "Authorization: Bearer gat_nothing" -H "Cookie: gatehouse_session=$SID"
	expect 401
	verify "" -H "Cookie: other=1; gatehouse_session=$SID; more=2"
	expect 200
}

@test "verify: role (any of a list) and cap requirements, as a table" {
	create_user rolf 'rolf-pass-1' viewer >/dev/null
	site_login rolf rolf-pass-1
	viewer=$SID
	site_login admin "$ADMIN_PASSWORD"
	admin=$SID
	# who | query | status | detail
	while IFS='|' read -r who query status detail; do
		sid=$viewer
		[ "$who" = admin ] && sid=$admin
		echo "$who $query" >&2
		verify "$query" -H "Cookie: gatehouse_session=$sid"
		if [ "$status" = 200 ]; then expect 200; else problem "$status" "$detail"; fi
	done <<'ROWS'
viewer|?role=admin|403|Missing role: admin
admin|?role=admin|200|
viewer|?role=editor,admin|403|Missing role: editor,admin
viewer|?role=editor,viewer|200|
viewer|?role=%20admin%20,%20viewer%20|200|
viewer|?role=,,viewer|200|
viewer|?role=|200|
viewer|?role=superuser|403|Unknown role in the requirement
admin|?role=admin,superuser|403|Unknown role in the requirement
viewer|?cap=export|200|
viewer|?cap=manage_users|403|Missing permission: manage_users
admin|?cap=manage_users|200|
admin|?cap=manage_everything|403|Unknown capability in the requirement
viewer|?role=viewer&cap=manage_users|403|Missing permission: manage_users
admin|?role=viewer&cap=manage_users|403|Missing role: viewer
ROWS
	grep -q 'unknown role "superuser"' "$INST/logs/gatehouse.log"
}

@test "the session dies on the very next request after logout, disable, password change, reset, delete, reuse" {
	for how in logout disable change reset delete reuse; do
		echo "revoked by $how" >&2
		id=$(create_user "rev-$how" 'rev-pass-1' viewer)
		site_login "rev-$how" rev-pass-1
		verify "" -H "Cookie: gatehouse_session=$SID"
		expect 200
		revoke_by "$how" "$id" "rev-$how" rev-pass-1
		if [ "$how" = logout ]; then
			grep -q '^Set-Cookie: gatehouse_session=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Max-Age=0; Path=/; SameSite=Lax' \
				"$BATS_TEST_TMPDIR/headers"
		fi
		verify "" -H "Cookie: gatehouse_session=$SID"
		problem 401 'Could not validate credentials'
		req GET /auth/me/ -H "Cookie: gatehouse_session=$SID"
		expect 401
	done
}

@test "idle and absolute lifetimes: a session unused too long, or too old, is refused; use slides the idle end" {
	site_login admin "$ADMIN_PASSWORD"
	digest=$(printf '%s' "$SID" | sha256sum | cut -d' ' -f1)
	where="access_digest = $(sql_blob "$digest")"
	# Used 120 s ago: well inside 8 hours, and old enough that this use is written.
	db "UPDATE sessions SET used_at = used_at - 120000000 WHERE $where"
	before=$(db "SELECT used_at FROM sessions WHERE $where")
	verify "" -H "Cookie: gatehouse_session=$SID"
	expect 200
	[ "$(db "SELECT used_at FROM sessions WHERE $where")" -gt "$before" ]
	# Unused for 8 hours and a second: idle.
	db "UPDATE sessions SET used_at = used_at - 28801000000 WHERE $where"
	verify "" -H "Cookie: gatehouse_session=$SID"
	expect 401
	# Recently used, but past its absolute end.
	site_login admin "$ADMIN_PASSWORD"
	digest=$(printf '%s' "$SID" | sha256sum | cut -d' ' -f1)
	db "UPDATE sessions SET access_expires_at = used_at - 1 WHERE access_digest = $(sql_blob "$digest")"
	verify "" -H "Cookie: gatehouse_session=$SID"
	expect 401
}

@test "unsafe methods with the cookie must come from the same origin (Sec-Fetch-Site, else Origin)" {
	site_login admin "$ADMIN_PASSWORD"
	c="Cookie: gatehouse_session=$SID"
	# headers (;-separated) | status
	while IFS='|' read -r hdrs status; do
		args=()
		IFS=';' read -ra hs <<<"$hdrs"
		for h in "${hs[@]}"; do args+=(-H "$h"); done
		echo "headers: $hdrs" >&2
		req GET /auth/verify -H "$c" -H 'X-Original-Method: POST' "${args[@]}"
		if [ "$status" = 200 ]; then expect 200; else problem 403 'Cross-origin request refused'; fi
	done <<ROWS
|403
Origin: http://evil.example|403
Origin: null|403
Origin: http://127.0.0.1.evil.example|403
Origin: http://127.0.0.1:$PORT.evil.example|403
Origin: http://127.0.0.1:$PORT/|403
Origin: ftp://127.0.0.1:$PORT|403
Origin: http://127.0.0.2:$PORT|403
Origin: http://127.0.0.1:$PORT|200
Origin: https://127.0.0.1:$PORT|200
Origin: HTTP://127.0.0.1|200
Sec-Fetch-Site: cross-site|403
Sec-Fetch-Site: same-site|403
Sec-Fetch-Site: none|403
Sec-Fetch-Site: cross-site;Origin: http://127.0.0.1:$PORT|403
Sec-Fetch-Site: same-origin|200
ROWS
	# A cross-site navigation (GET) to a protected page is fine: links from elsewhere work.
	req GET /auth/verify -H "$c" -H 'X-Original-Method: GET' -H 'Sec-Fetch-Site: cross-site'
	expect 200
	# The API's own unsafe routes: logout from another origin is refused, and signs nobody out.
	req POST /auth/logout/ -H "$c" -H 'Origin: http://evil.example'
	problem 403 'Cross-origin request refused'
	req POST /auth/logout/ -H "$c"
	problem 403 'Cross-origin request refused'
	verify "" -H "$c"
	expect 200
}

@test "the cookie opens only the routes that accept it: not the admin API" {
	site_login admin "$ADMIN_PASSWORD"
	req GET /admin/users/ -H "Cookie: gatehouse_session=$SID"
	problem 401 'Could not validate credentials'
	req POST /auth/api-keys/ -H "Cookie: gatehouse_session=$SID" -H "Origin: $(ORIGIN_OK)" \
		-H 'Content-Type: application/json' --data '{"name":"k"}'
	expect 401
	req GET /auth/me/ -H "Cookie: gatehouse_session=$SID"
	expect 200
	req GET /auth/me/permissions/ -H "Cookie: gatehouse_session=$SID"
	expect 200
}

@test "change-password with the cookie: same origin required; the session ends and its cookie is deleted" {
	create_user cpw 'cpw-pass-1' viewer >/dev/null
	site_login cpw cpw-pass-1
	data='{"current_password":"cpw-pass-1","new_password":"cpw-pass-2"}'
	req POST /auth/change-password/ -H "Cookie: gatehouse_session=$SID" -H 'Content-Type: application/json' --data "$data"
	problem 403 'Cross-origin request refused'
	req POST /auth/change-password/ -H "Cookie: gatehouse_session=$SID" -H "Origin: $(ORIGIN_OK)" \
		-H 'Content-Type: application/json' --data "$data"
	expect 204
	grep -q '^Set-Cookie: gatehouse_session=""' "$BATS_TEST_TMPDIR/headers"
	verify "" -H "Cookie: gatehouse_session=$SID"
	expect 401
	login_ok cpw cpw-pass-2
}

@test "a 401 of verify carries the original URI, percent-encoded, for the sign-in page" {
	verify "" -H 'X-Original-URI: /protected/a b/é?x=1&y=//evil'
	expect 401
	[ "$(header X-Auth-Return-To)" = '/protected/a%20b/%C3%A9%3Fx%3D1%26y%3D//evil' ]
	verify "" -H 'X-Original-URI: http://evil.example/'
	[ -z "$(header X-Auth-Return-To)" ]
}

@test "session mode over https: the cookie is Secure" {
	input="username=admin&password=$ADMIN_PASSWORD"
	printf '%s' "$input" | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" \
		REQUEST_METHOD=POST SCRIPT_NAME=/api PATH_INFO=/auth/login REMOTE_ADDR=127.0.0.1 HTTPS=on \
		CONTENT_LENGTH="${#input}" CONTENT_TYPE=application/x-www-form-urlencoded HTTP_X_GATEHOUSE_AUTH_MODE=session \
		"$GATEHOUSE_BIN/gatehouse" | tr -d '\r' >"$BATS_TEST_TMPDIR/out"
	grep -q -E '^Set-Cookie: gatehouse_session=gss_[A-Za-z0-9_-]{43}; HttpOnly; Max-Age=604800; Path=/; SameSite=Lax; Secure$' \
		"$BATS_TEST_TMPDIR/out"
}
