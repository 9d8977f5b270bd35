#!/usr/bin/env bats
# lighttpd's FastCGI authorizer mode in front of protected folders, from the shipped conf/lighttpd-authorizer.conf
# (only the socket and folders substituted): each credential kind, the redirect to sign in, requirements,
# identity passed on to a CGI program, revocation on the very next request, CSRF.

load helpers
load lighttpd

setup_file() {
	need_tool lighttpd
	start_instance
	L=$INST/l
	mkdir -p "$L/www/protected/cgi" "$L/www/admin-only"
	echo 'protected by lighttpd' >"$L/www/protected/index.html"
	echo 'admins only' >"$L/www/admin-only/index.html"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\nenv | grep "^X_AUTH_" | sort\necho "REQUEST_METHOD=$REQUEST_METHOD"\n' \
		>"$L/www/protected/cgi/env.sh"
	chmod +x "$L/www/protected/cgi/env.sh"
	lighttpd_authorizer_fragment "$L"
	# Beside what a system's lighttpd.conf holds (lighttpd_start): the fragment, and a CGI program inside the
	# protected folder.
	lighttpd_start "$L" '"mod_cgi"' "$(cat <<CONF
mimetype.assign = (".html" => "text/html", ".css" => "text/css", ".js" => "text/javascript")
include "$L/gatehouse.conf"
\$HTTP["url"] =~ "^/protected/cgi/" {
	cgi.assign = (".sh" => "")
}
CONF
)"
	LPORT=$LIGHTTPD_PORT
	export LPORT L
}

teardown_file() {
	lighttpd_stop "$L"
	stop_instance
}

# lt METHOD PATH [curl args...]: req, sent to lighttpd instead of the API.
lt() { BASE="http://127.0.0.1:$LPORT" req "$@"; }

HTML='Accept: text/html,application/xhtml+xml,*/*;q=0.8'

@test "the shipped file: the substitutions touched only the socket and the folders" {
	run diff "$GATEHOUSE_BIN/conf/lighttpd-authorizer.conf" "$L/gatehouse.conf"
	[ "$(grep -c '^[<>]' <<<"$output")" -eq 12 ]
}

@test "without credentials: a browser is sent to the sign-in page, an API client gets gatehouse's 401" {
	lt GET '/protected/index.html?a=1&b=%2F' -H "$HTML"
	[ "$code" = 302 ]
	[ "$(header Location)" = '/gatehouse/signin.html?rd=/protected/index.html%3Fa%3D1%26b%3D%252F' ]
	[ -z "$(header WWW-Authenticate)" ]
	lt GET /protected/
	problem 401 'Could not validate credentials'
	[ "$(header WWW-Authenticate)" = Bearer ]
	# The sign-in pages themselves are open, with their Content-Security-Policy.
	lt GET /gatehouse/signin.html
	[ "$code" = 200 ]
	[[ $(header Content-Security-Policy) == *"script-src 'self'"* ]]
}

@test "every credential kind opens the folder: session cookie, bearer token, API key" {
	site_login admin "$ADMIN_PASSWORD"
	req POST /auth/api-keys/ -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' --data '{"name":"k"}'
	key=$(jq -r .key <<<"$body")
	for cred in "Cookie: gatehouse_session=$SID" "Authorization: Bearer $ADMIN_TOKEN" "X-Api-Key: $key"; do
		echo "credential ${cred%%:*}" >&2
		lt GET /protected/ -H "$cred"
		[ "$code" = 200 ]
		[ "$body" = 'protected by lighttpd' ]
	done
}

@test "the identity reaches the program behind the authorizer (Variable-X-Auth-* headers)" {
	id=$(create_user lara 'lara-pass-1' editor)
	site_login lara lara-pass-1
	lt GET /protected/cgi/env.sh -H "Cookie: gatehouse_session=$SID" -H 'X-Auth-User: admin'
	[ "$code" = 200 ]
	grep -q '^X_AUTH_USER=lara$' "$BATS_TEST_TMPDIR/body"
	grep -q "^X_AUTH_USER_ID=$id\$" "$BATS_TEST_TMPDIR/body"
	grep -q '^X_AUTH_ROLES=editor$' "$BATS_TEST_TMPDIR/body"
	grep -q '^X_AUTH_REQUEST_ID=.' "$BATS_TEST_TMPDIR/body"
}

@test "requirements from the folder's environment: admin-only refuses a viewer (403), admits an admin" {
	create_user vito 'vito-pass-1' viewer >/dev/null
	site_login vito vito-pass-1
	lt GET /admin-only/ -H "Cookie: gatehouse_session=$SID"
	problem 403 'Missing role: admin'
	lt GET /protected/ -H "Cookie: gatehouse_session=$SID"
	[ "$code" = 200 ]
	site_login admin "$ADMIN_PASSWORD"
	lt GET /admin-only/ -H "Cookie: gatehouse_session=$SID"
	[ "$code" = 200 ]
	[ "$body" = 'admins only' ]
}

@test "revocation applies on the very next request: logout, disable, password change, reset, delete" {
	revoked_on_next_request lt /protected/ lt
}

@test "CSRF: an unsafe method with the cookie must come from this origin" {
	site_login admin "$ADMIN_PASSWORD"
	lt POST /protected/cgi/env.sh -H "Cookie: gatehouse_session=$SID" -H 'Origin: http://evil.example' --data x=1
	problem 403 'Cross-origin request refused'
	lt POST /protected/cgi/env.sh -H "Cookie: gatehouse_session=$SID" -H 'Sec-Fetch-Site: same-site' --data x=1
	[ "$code" = 403 ]
	lt POST /protected/cgi/env.sh -H "Cookie: gatehouse_session=$SID" -H "Origin: http://127.0.0.1:$LPORT" --data x=1
	[ "$code" = 200 ]
	grep -q '^REQUEST_METHOD=POST$' "$BATS_TEST_TMPDIR/body"
}
