#!/usr/bin/env bats
# Routing through nginx: unknown routes, wrong methods, trailing slashes, the headers on every response.

load helpers

setup_file() { start_instance; }
teardown_file() { stop_instance; }

@test "an unknown route is 404 Not Found in the contract's shape" {
	req GET /nope
	problem 404 "Not Found"
	req GET /admin/users/names/extra/deep
	problem 404 "Not Found"
}

@test "an unknown route is 404 before authentication" {
	req POST /admin/nothing -H 'Content-Type: application/json' --data '{'
	problem 404 "Not Found"
}

@test "a known path with the wrong method is 405 with Allow" {
	req PUT /admin/users/
	problem 405 "Method Not Allowed"
	[ "$(header Allow)" = "GET, POST" ]
	req PUT /admin/users/0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d5e
	problem 405 "Method Not Allowed"
	[ "$(header Allow)" = "GET, PATCH, DELETE" ]
	req DELETE /auth/login
	problem 405 "Method Not Allowed"
	[ "$(header Allow)" = "POST" ]
}

@test "HEAD is not added automatically" {
	code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -I "$BASE/auth/me/")
	[ "$code" = 405 ]
}

@test "every route answers with and without a trailing slash, without a redirect" {
	req GET /auth/me -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	req POST /auth/login --data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	expect 200
	req POST /auth/login/ --data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	expect 200
}

@test "every response carries a fresh X-Request-ID, nosniff and no-store" {
	req GET /nope
	a=$(header X-Request-ID)
	[ "$(header X-Content-Type-Options)" = nosniff ]
	[ "$(header Cache-Control)" = no-store ]
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	b=$(header X-Request-ID)
	[ "$(header X-Content-Type-Options)" = nosniff ]
	[ "$(header Cache-Control)" = no-store ]
	# nginx's $request_id (32 hex digits, passed as REQUEST_ID); gatehouse's own UUIDv4 without it (CGI).
	[[ $a =~ ^[0-9a-f]{32}$ ]]
	[ "$a" != "$b" ]
}

@test "a request header named X-Request-ID is not echoed" {
	req GET /nope -H 'X-Request-ID: attacker-chosen'
	[ "$(header X-Request-ID)" != attacker-chosen ]
}

@test "without setup_token POST /setup does not exist: 404 for every method and body, nothing validated" {
	while IFS='|' read -r method body; do
		if [ -n "$body" ]; then
			req "$method" /setup -H 'Content-Type: application/json' --data "$body"
		else
			req "$method" /setup
		fi
		problem 404 'Not Found' || fail "$method /setup $body"
		[ -z "$(header Allow)" ]
	done <<'ROWS'
GET|
DELETE|
POST|
POST|{}
POST|{"setup_token":"x"}
POST|{"setup_token":"0123456789abcdef0123456789abcdef","username":"root","password":"longenough1"}
ROWS
}
