#!/usr/bin/env bats
# The same binary as plain CGI: run directly with a CGI environment, and behind lighttpd's mod_cgi.

load helpers
load lighttpd

setup_file() { start_instance; }
teardown_file() {
	lighttpd_stop "$INST"
	stop_instance
}

# cgi METHOD REQUEST_URI [BODY [CONTENT_TYPE [AUTHORIZATION]]]: one request as CGI, without PATH_INFO.
cgi() {
	local input=${3:-}
	printf '%s' "$input" | env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" \
		REQUEST_METHOD="$1" SCRIPT_NAME=/api REQUEST_URI="$2" QUERY_STRING= REMOTE_ADDR=127.0.0.1 \
		CONTENT_LENGTH="${#input}" CONTENT_TYPE="${4:-}" HTTP_AUTHORIZATION="${5:-}" \
		"$GATEHOUSE_BIN/gatehouse" >"$BATS_TEST_TMPDIR/cgi.out"
	code=$(head -n 1 "$BATS_TEST_TMPDIR/cgi.out" | sed -n 's/^Status: \([0-9]*\).*/\1/p')
	body=$(sed '1,/^\r$/d' "$BATS_TEST_TMPDIR/cgi.out")
}

@test "as CGI: login, routed on REQUEST_URI minus SCRIPT_NAME" {
	cgi POST /api/auth/login "username=admin&password=$ADMIN_PASSWORD" application/x-www-form-urlencoded
	expect 200
	[ "$(jq -r .token_type <<<"$body")" = bearer ]
}

@test "as CGI: create a user, then it exists through nginx too" {
	cgi POST /api/admin/users/ '{"username":"cgi-user","password":"longenough1"}' application/json \
		"Bearer $ADMIN_TOKEN"
	expect 201
	[ "$(jq -r .username <<<"$body")" = cgi-user ]
	login_ok cgi-user longenough1
}

@test "as CGI without its audit key: /health answers 503 and names it, as every audited write would" {
	cgi GET /api/health
	expect 200
	key=$(sed -n 's/^audit_key_file = //p' "$INST/gatehouse.conf")
	[ -n "$key" ] || key=$INST/gatehouse-audit.key
	mv "$key" "$key.away"
	cgi GET /api/health
	mv "$key.away" "$key"
	[ "$code" = 503 ]
	[ "$(jq -r .detail <<<"$body")" = 'The audit key cannot be read' ]
	cgi POST /api/auth/login "username=admin&password=$ADMIN_PASSWORD" application/x-www-form-urlencoded
	expect 200
}

@test "as CGI: errors keep the contract's shape" {
	cgi GET /api/nothing
	problem_body=$(jq -c . <<<"$body")
	[ "$code" = 404 ]
	[ "$problem_body" = '{"type":"about:blank","title":"Not Found","status":404,"detail":"Not Found"}' ]
	cgi POST /api/admin/users/ '{' application/json
	[ "$code" = 422 ]
}

@test "as CGI: a query string without = is not taken for options" {
	out=$(env -i GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" REQUEST_METHOD=GET \
		SCRIPT_NAME=/api REQUEST_URI=/api/auth/me?--help QUERY_STRING=--help "$GATEHOUSE_BIN/gatehouse" --help </dev/null)
	[[ $out == "Status: 401"* ]]
}

@test "behind lighttpd's mod_cgi, with PATH_INFO" {
	need_tool lighttpd
	mkdir -p "$INST/www/cgi-bin"
	ln -sf "$GATEHOUSE_BIN/gatehouse" "$INST/www/cgi-bin/gatehouse"
	lighttpd_start "$INST" '"mod_cgi", "mod_setenv"' "$(cat <<CONF
setenv.add-environment = ("GATEHOUSE_CONFIG" => "$INST/gatehouse.conf")
\$HTTP["url"] =~ "^/cgi-bin/" { cgi.assign = ("" => "") }
CONF
)"
	lport=$LIGHTTPD_PORT
	out=$(curl -sS --max-time 20 -w '\n%{http_code}' "http://127.0.0.1:$lport/cgi-bin/gatehouse/auth/me/" \
		-H "Authorization: Bearer $ADMIN_TOKEN")
	[ "$(tail -n 1 <<<"$out")" = 200 ]
	[ "$(sed '$d' <<<"$out" | jq -r .username)" = admin ]
	out=$(curl -sS --max-time 20 -w '\n%{http_code}' -X POST "http://127.0.0.1:$lport/cgi-bin/gatehouse/admin/users" \
		-H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		--data '{"username":"via-lighttpd","password":"longenough1","role":"editor"}')
	[ "$(tail -n 1 <<<"$out")" = 201 ]
	[ "$(sed '$d' <<<"$out" | jq -c .roles)" = '["editor"]' ]
}

@test "as CGI: a decoded NUL or control character in the path is 400, as nginx and lighttpd answer it" {
	cgi GET '/api/auth/me%00junk' '' '' "Bearer $ADMIN_TOKEN"
	[ "$code" = 400 ]
	cgi GET '/api/auth/me%0a' '' '' "Bearer $ADMIN_TOKEN"
	[ "$code" = 400 ]
	[ "$(jq -r .detail <<<"$body")" = "Invalid request path" ]
}

@test "as CGI: an invalid or lying Content-Length is a 400 in the contract's shape" {
	out=$(printf 'abc' | env -i GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" REQUEST_METHOD=POST \
		SCRIPT_NAME=/api REQUEST_URI=/api/auth/login CONTENT_LENGTH=abc "$GATEHOUSE_BIN/gatehouse")
	[[ $out == "Status: 400"* ]] || fail "want Status: 400, got: $out"
	[[ $out == *'"detail":"Invalid Content-Length"}' ]] || fail "want the detail Invalid Content-Length, got: $out"
	out=$(printf 'abc' | env -i GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" REQUEST_METHOD=POST \
		SCRIPT_NAME=/api REQUEST_URI=/api/auth/login CONTENT_LENGTH=10 "$GATEHOUSE_BIN/gatehouse")
	[[ $out == "Status: 400"* ]] || fail "want Status: 400, got: $out"
	[[ $out == *'"detail":"The request body is shorter than its Content-Length"}' ]] || fail "want the short-body detail, got: $out"
}
