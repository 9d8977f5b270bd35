#!/usr/bin/env bats
# Bodies of unknown length (issue 14 §3): nginx with fastcgi_request_buffering off passes a chunked request body
# on without CONTENT_LENGTH; gatehouse reads FastCGI stdin to its end, with the same limit as a counted body (413
# past it, in the contract's shape). lighttpd 1.4.69, even with server.stream-request-body = 2, collects a
# chunked body and sends CONTENT_LENGTH to FastCGI: the same requests must work there too. (Without the fix the
# nginx test fails: the login is read as empty, 422 "Field required".)

load helpers
load lighttpd

setup_file() {
	start_instance --nginx 'fastcgi_request_buffering off;' --set body_limit=32768
}
teardown_file() {
	lighttpd_stop "$INST"
	stop_instance
}

# pad N: N bytes of x.
pad() { head -c "$1" /dev/zero | tr '\0' x; }

# chunked BASE METHOD PATH CONTENT_TYPE FILE [curl args]: the file sent with Transfer-Encoding: chunked.
chunked() {
	local base=$1 method=$2 path=$3 ctype=$4 file=$5
	shift 5
	code=$(curl -sS --max-time 20 -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/headers" -w "%{http_code}" -X "$method" "$base$path" \
		-H 'Transfer-Encoding: chunked' -H "Content-Type: $ctype" --data-binary "@$file" "$@")
	body=$(cat "$BATS_TEST_TMPDIR/body")
}

# the same requests against BASE: a 20 KB login, a created user, a body past the limit, and one just at it.
streamed_requests() {
	local base=$1 tag=$2
	{ printf 'username=admin&password=%s&filler=' "$ADMIN_PASSWORD"; pad 20000; } >"$BATS_TEST_TMPDIR/login"
	chunked "$base" POST /auth/login application/x-www-form-urlencoded "$BATS_TEST_TMPDIR/login"
	[ "$code" = 200 ] || { echo "$tag login: $code $body" >&2; return 1; }
	[ "$(jq -r .token_type <<<"$body")" = bearer ]

	{ printf '{"username":"streamed-%s","password":"longenough1","role":"viewer","x":"' "$tag"; pad 20000
	  printf '"}'; } >"$BATS_TEST_TMPDIR/create"
	chunked "$base" POST /admin/users/ application/json "$BATS_TEST_TMPDIR/create" -H "Authorization: Bearer $ADMIN_TOKEN"
	[ "$code" = 201 ] || { echo "$tag create: $code $body" >&2; return 1; }
	[ "$(jq -r .username <<<"$body")" = "streamed-$tag" ]

	# Past body_limit (32768): 413 in the contract's shape, whoever sends it, never a 422 "Field required".
	{ printf 'username=admin&password=x&filler='; pad 40000; } >"$BATS_TEST_TMPDIR/big"
	chunked "$base" POST /auth/login application/x-www-form-urlencoded "$BATS_TEST_TMPDIR/big"
	problem 413 "Request body too large" || { echo "$tag: over the limit" >&2; return 1; }

	# Exactly at the limit is read whole: the JSON is parsed (its last byte is the closing brace).
	{ printf '{"username":"ab","password":"x","x":"'; pad $((32768 - 39)); printf '"}'; } >"$BATS_TEST_TMPDIR/edge"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/edge")" = 32768 ]
	chunked "$base" POST /admin/users/ application/json "$BATS_TEST_TMPDIR/edge" -H "Authorization: Bearer $ADMIN_TOKEN"
	[ "$code" = 422 ] || { echo "$tag edge: $code $body" >&2; return 1; }
	[ "$(jq -c '[.detail[].type]' <<<"$body")" = '["string_too_short","string_too_short"]' ]

	# A GET and an empty chunked POST still work: no body is an empty body.
	code=$(curl -sS --max-time 20 -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$base/auth/me/" \
		-H "Authorization: Bearer $ADMIN_TOKEN")
	[ "$code" = 200 ]
	: >"$BATS_TEST_TMPDIR/empty"
	chunked "$base" POST /admin/users/ application/json "$BATS_TEST_TMPDIR/empty" -H "Authorization: Bearer $ADMIN_TOKEN"
	[ "$code" = 422 ]
	[ "$(jq -c .detail <<<"$body")" = '[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]' ]
}

@test "nginx, fastcgi_request_buffering off: the body arrives without CONTENT_LENGTH" {
	grep -q 'fastcgi_request_buffering off;' "$INST/nginx.conf"
	streamed_requests "$BASE" nginx
}

@test "lighttpd mod_fastcgi, streaming the request body" {
	command -v lighttpd >/dev/null || [ -x /usr/sbin/lighttpd ] || skip "lighttpd is not installed"
	lighttpd_start "$INST" '"mod_fastcgi"' "$(cat <<CONF
server.stream-request-body = 2
server.max-request-size = 1024
fastcgi.server = ("/api" => (("socket" => "$INST/gatehouse.sock", "check-local" => "disable")))
CONF
)"
	lport=$LIGHTTPD_PORT
	streamed_requests "http://127.0.0.1:$lport/api" lighttpd
}
