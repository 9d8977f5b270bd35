#!/usr/bin/env bats
# The reference's browser mode (contract §2.12, §5.1-5.3): X-GeoLens-Auth-Mode: cookie on login and refresh, the
# refresh cookie with its double-submit CSRF check, logout's deletions, and Strict-Transport-Security over https.

load helpers

setup_file() { start_instance --set refresh_token_lifetime=172800; }
teardown_file() { stop_instance; }

# cookie_login NAME PASSWORD [MODE]: a cookie-mode login; sets RT (the refresh cookie) and CSRF.
cookie_login() {
	req POST /auth/login -H "X-GeoLens-Auth-Mode: ${3-cookie}" --data-urlencode "username=$1" \
		--data-urlencode "password=$2"
	RT=$(set_cookie geolens_refresh | sed 's/;.*//; s/^[^=]*=//')
	CSRF=$(set_cookie geolens_csrf | sed 's/;.*//; s/^[^=]*=//')
}

# set_cookie NAME: the Set-Cookie line of the last response for that cookie, without the header name.
set_cookie() {
	grep -i "^Set-Cookie: $1=" "$BATS_TEST_TMPDIR/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

cookie_refresh() { req POST /auth/refresh/ -H 'X-GeoLens-Auth-Mode: cookie' "$@"; }

@test "cookie-mode login: refresh_token null in the body, the two cookies with the reference's attributes" {
	cookie_login admin "$ADMIN_PASSWORD"
	expect 200
	[ "$(jq -r .refresh_token <<<"$body")" = null ]
	[[ $(jq -r .access_token <<<"$body") == gat_* ]]
	[[ $RT =~ ^grt_[A-Za-z0-9_-]{43}$ ]]
	[[ $CSRF =~ ^[A-Za-z0-9_-]{43}$ ]]
	run set_cookie geolens_refresh
	[ "${output#*;}" = " HttpOnly; Max-Age=172800; Path=/api/auth; SameSite=lax" ]
	run set_cookie geolens_csrf
	[ "${output#*;}" = " Max-Age=172800; Path=/; SameSite=lax" ]
	# Plain http: no Secure, no HSTS.
	[ -z "$(header Strict-Transport-Security)" ]
	[ "$(header Cache-Control)" = no-store ]
}

@test "the mode header is trimmed and case-folded; anything else is the plain login" {
	for mode in cookie ' COOKIE ' 'Cookie'; do
		cookie_login admin "$ADMIN_PASSWORD" "$mode"
		expect 200
		[ "$(jq -r .refresh_token <<<"$body")" = null ] || { echo "mode '$mode'" >&2; return 1; }
		[ -n "$RT" ]
	done
	for mode in cookies bearer '' 'cook ie'; do
		cookie_login admin "$ADMIN_PASSWORD" "$mode"
		expect 200
		[[ $(jq -r .refresh_token <<<"$body") == grt_* ]] || { echo "mode '$mode'" >&2; return 1; }
		[ -z "$RT" ] || fail "mode '$mode': a refresh cookie was set"
		[ -z "$CSRF" ] || fail "mode '$mode': a CSRF cookie was set"
	done
}

@test "cookie-mode refresh: the cookie and a matching X-CSRF-Token give a new pair and new cookies" {
	cookie_login admin "$ADMIN_PASSWORD"
	cookie_refresh -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	expect 200
	[ "$(jq -r .refresh_token <<<"$body")" = null ]
	new=$(set_cookie geolens_refresh | sed 's/;.*//; s/^[^=]*=//')
	[[ $new == grt_* ]]
	[ "$new" != "$RT" ]
	newcsrf=$(set_cookie geolens_csrf | sed 's/;.*//; s/^[^=]*=//')
	[ -n "$newcsrf" ]
	[ "$newcsrf" != "$CSRF" ]
	# The new access token works.
	req GET /auth/me/ -H "Authorization: Bearer $(jq -r .access_token <<<"$body")"
	expect 200
}

@test "cookie-mode refresh: every CSRF failure is a 403 with the reference's text, and nothing rotates" {
	cookie_login admin "$ADMIN_PASSWORD"
	other=$(printf 'x%.0s' $(seq 43))
	# cookie header | X-CSRF-Token | status | detail
	while IFS='|' read -r cookies token status detail; do
		args=(-H "Cookie: $cookies")
		[ -z "$token" ] || args+=(-H "X-CSRF-Token: $token")
		echo "case: $cookies | $token" >&2
		cookie_refresh "${args[@]}"
		problem "$status" "$detail"
	done <<ROWS
geolens_refresh=$RT; geolens_csrf=$CSRF||403|Missing CSRF token
geolens_refresh=$RT|$CSRF|403|Missing CSRF token
geolens_refresh=$RT; geolens_csrf=|$CSRF|403|Missing CSRF token
geolens_refresh=$RT; geolens_csrf=$CSRF; geolens_csrf=$CSRF|$CSRF|403|Missing CSRF token
geolens_refresh=$RT; geolens_csrf=$CSRF|$other|403|Invalid CSRF token
geolens_refresh=$RT; geolens_csrf=$CSRF|${CSRF}x|403|Invalid CSRF token
geolens_refresh=$RT; geolens_csrf=$CSRF|${CSRF:0:42}|403|Invalid CSRF token
geolens_refresh=$RT; geolens_csrf=$other|$CSRF|403|Invalid CSRF token
ROWS
	# The refresh token was never used: it still refreshes once.
	cookie_refresh -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	expect 200
}

@test "cookie-mode refresh: two refresh cookies count as none; then the body token, without CSRF" {
	cookie_login admin "$ADMIN_PASSWORD"
	first=$RT
	cookie_login admin "$ADMIN_PASSWORD"
	cookie_refresh -H "Cookie: geolens_refresh=$first; geolens_refresh=$RT; geolens_csrf=$CSRF" \
		-H "X-CSRF-Token: $CSRF"
	problem 401 'Invalid or expired refresh token'
	# Two cookies, no CSRF header, a live body token: the body is used.
	req POST /auth/login --data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	bodytok=$(jq -r .refresh_token <<<"$body")
	cookie_refresh -H "Cookie: geolens_refresh=$first; geolens_refresh=$RT" -H 'Content-Type: application/json' \
		--data "{\"refresh_token\":\"$bodytok\"}"
	expect 200
	[ "$(jq -r .refresh_token <<<"$body")" = null ]
}

@test "without the mode header the refresh cookie is not read" {
	cookie_login admin "$ADMIN_PASSWORD"
	req POST /auth/refresh/ -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	problem 401 'Invalid or expired refresh token'
	# A quoted cookie value is the same cookie (RFC 6265 allows DQUOTEs around it).
	cookie_refresh -H "Cookie: geolens_refresh=\"$RT\"; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	expect 200
}

@test "logout with the refresh cookie: CSRF enforced, then 204 with both deletions; the cookie is dead" {
	cookie_login admin "$ADMIN_PASSWORD"
	req POST /auth/logout/ -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF"
	problem 403 'Missing CSRF token'
	req POST /auth/logout/ -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: nope"
	problem 403 'Invalid CSRF token'
	req POST /auth/logout/ -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	expect 204
	[ "$(set_cookie geolens_refresh)" = 'geolens_refresh=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Max-Age=0; Path=/api/auth; SameSite=lax' ]
	[ "$(set_cookie geolens_csrf)" = 'geolens_csrf=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=lax' ]
	cookie_refresh -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	problem 401 'Invalid or expired refresh token'
	req POST /auth/logout/ -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	problem 401 'Not authenticated'
}

@test "logout: a dead cookie does not shadow a live body token; a bearer caller gets the deletions too" {
	cookie_login admin "$ADMIN_PASSWORD"
	dead=$RT
	req POST /auth/logout/ -H "Cookie: geolens_refresh=$RT; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF"
	expect 204
	req POST /auth/login --data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	live=$(jq -r .refresh_token <<<"$body")
	access=$(jq -r .access_token <<<"$body")
	req POST /auth/logout/ -H "Cookie: geolens_refresh=$dead; geolens_csrf=$CSRF" -H "X-CSRF-Token: $CSRF" \
		-H 'Content-Type: application/json' --data "{\"refresh_token\":\"$live\"}"
	expect 204
	req GET /auth/me/ -H "Authorization: Bearer $access"
	expect 401
	token=$(login_token admin "$ADMIN_PASSWORD")
	req POST /auth/logout/ -H "Authorization: Bearer $token"
	expect 204
	[ -n "$(set_cookie geolens_refresh)" ]
	[ -n "$(set_cookie geolens_csrf)" ]
	ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD")
}

# cgi_https HTTPS_VALUE: a cookie-mode login as CGI, with the server's HTTPS variable.
cgi_login() {
	local input="username=admin&password=$ADMIN_PASSWORD"
	printf '%s' "$input" | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" \
		REQUEST_METHOD=POST SCRIPT_NAME=/api REQUEST_URI=/api/auth/login QUERY_STRING= REMOTE_ADDR=127.0.0.1 \
		CONTENT_LENGTH="${#input}" CONTENT_TYPE=application/x-www-form-urlencoded HTTP_X_GEOLENS_AUTH_MODE=cookie \
		"$@" "$GATEHOUSE_BIN/gatehouse" | tr -d '\r' >"$BATS_TEST_TMPDIR/headers"
}

@test "over https (HTTPS=on from the server): Strict-Transport-Security and Secure cookies" {
	cgi_login HTTPS=on
	grep -q '^Status: 200' "$BATS_TEST_TMPDIR/headers"
	[ "$(header Strict-Transport-Security)" = 'max-age=63072000; includeSubDomains' ]
	[[ $(set_cookie geolens_refresh) == *'; HttpOnly; Max-Age=172800; Path=/api/auth; SameSite=lax; Secure' ]]
	[[ $(set_cookie geolens_csrf) == *'; Max-Age=172800; Path=/; SameSite=lax; Secure' ]]
	cgi_login HTTPS=off
	[ -z "$(header Strict-Transport-Security)" ]
	[[ $(set_cookie geolens_refresh) == *'; SameSite=lax' ]]
}

@test "X-Forwarded-Proto from a client that is no trusted proxy is ignored" {
	req POST /auth/login -H 'X-GeoLens-Auth-Mode: cookie' -H 'X-Forwarded-Proto: https' \
		--data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	expect 200
	[ -z "$(header Strict-Transport-Security)" ]
	[[ $(set_cookie geolens_refresh) != *Secure* ]]
	cgi_login HTTP_X_FORWARDED_PROTO=https
	[ -z "$(header Strict-Transport-Security)" ]
}

@test "a mount point with characters a cookie path cannot carry falls back to /auth" {
	cgi_login SCRIPT_NAME='/a;b' REQUEST_URI='/a;b/auth/login' PATH_INFO=/auth/login
	[[ $(set_cookie geolens_refresh) == *'; Path=/auth; SameSite=lax' ]]
}

@test "a rewritten URL (Apache's .htaccess: /api/... runs /api.cgi): the cookie path is the one the browser used" {
	cgi_login SCRIPT_NAME=/api.cgi REQUEST_URI='/api/auth/login?x=1' PATH_INFO=/auth/login
	[[ $(set_cookie geolens_refresh) == *'; Path=/api/auth; SameSite=lax' ]]
	# A request URI that does not end with PATH_INFO tells nothing: SCRIPT_NAME stays.
	cgi_login SCRIPT_NAME=/api.cgi REQUEST_URI=/elsewhere PATH_INFO=/auth/login
	[[ $(set_cookie geolens_refresh) == *'; Path=/api.cgi/auth; SameSite=lax' ]]
	# Nor can the request URI carry a character a cookie path cannot.
	cgi_login SCRIPT_NAME=/api.cgi REQUEST_URI='/a;b/auth/login' PATH_INFO=/auth/login
	[[ $(set_cookie geolens_refresh) == *'; Path=/auth; SameSite=lax' ]]
}

@test "X-Forwarded-Proto: https counts only from a trusted proxy (trusted_proxies)" {
	cp "$INST/gatehouse.conf" "$BATS_TEST_TMPDIR/trusting.conf"
	echo 'trusted_proxies = 10.0.0.1' >>"$BATS_TEST_TMPDIR/trusting.conf"
	# remote address | X-Forwarded-Proto | HSTS expected
	while IFS='|' read -r peer proto want; do
		echo "peer $peer, X-Forwarded-Proto '$proto'" >&2
		cgi_login GATEHOUSE_CONFIG="$BATS_TEST_TMPDIR/trusting.conf" REMOTE_ADDR="$peer" \
			HTTP_X_FORWARDED_PROTO="$proto"
		grep -q '^Status: 200' "$BATS_TEST_TMPDIR/headers"
		if [ "$want" = yes ]; then
			[ "$(header Strict-Transport-Security)" = 'max-age=63072000; includeSubDomains' ]
			[[ $(set_cookie geolens_refresh) == *'; Secure' ]]
		else
			[ -z "$(header Strict-Transport-Security)" ]
			[[ $(set_cookie geolens_refresh) != *Secure* ]]
		fi
	done <<'ROWS'
10.0.0.1|https|yes
10.0.0.1| HTTPS |yes
10.0.0.1|http|no
10.0.0.1|https, http|no
10.0.0.2|https|no
127.0.0.1|https|no
ROWS
}
