# smoke.bash: the same short sequence against gatehouse behind each documented server (tests/bats/5*.bats).
# smoke_sequence URL: URL is the mount point (http://127.0.0.1:PORT/api); ADMIN_PASSWORD is the admin's.
# Sets BASE for helpers.bash's req/expect; fails with the step that did not hold.

smoke_sequence() {
	BASE=$1
	local token id name
	# login (the OAuth2 password form)
	req POST /auth/login --data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD"
	expect 200 || { echo "smoke: login"; return 1; }
	token=$(jq -r .access_token <<<"$body")
	[ "$(jq -r .token_type <<<"$body")" = bearer ] || { echo "smoke: token_type"; return 1; }
	# create
	name=smoke-$RANDOM$RANDOM
	req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data "{\"username\":\"$name\",\"password\":\"longenough1\",\"email\":\"$name@example.com\",\"role\":\"viewer\"}"
	expect 201 || { echo "smoke: create"; return 1; }
	id=$(jq -r .id <<<"$body")
	# list: the new user is there, found by search
	req GET "/admin/users/?search=$name" -H "Authorization: Bearer $token"
	expect 200 || { echo "smoke: list"; return 1; }
	[ "$(jq -r '.total, .users[0].id' <<<"$body" | paste -sd' ')" = "1 $id" ] || { echo "smoke: list body $body"; return 1; }
	# 404 and 405 in the contract's shape
	req GET /no/such/route -H "Authorization: Bearer $token"
	problem 404 "Not Found" || { echo "smoke: 404"; return 1; }
	req DELETE /auth/login
	problem 405 "Method Not Allowed" || { echo "smoke: 405"; return 1; }
	[ -n "$(header Allow)" ] || { echo "smoke: 405 without Allow"; return 1; }
	# 413 from gatehouse (over its body_limit, under the server's)
	head -c 70000 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
	req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data-binary @"$BATS_TEST_TMPDIR/big"
	[ "$code" = 413 ] || { echo "smoke: 413 from gatehouse: $code $body"; return 1; }
	[ "$(jq -r .status <<<"$body")" = 413 ] || { echo "smoke: 413 body $body"; return 1; }
	# 413 from the server itself (over its own limit, 1 MiB in every shipped file), in the same shape
	head -c 1100000 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
	req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data-binary @"$BATS_TEST_TMPDIR/big"
	[ "$code" = 413 ] || { echo "smoke: 413 from the server: $code $body"; return 1; }
	jq -e '.type == "about:blank" and .status == 413 and (.title | type) == "string"' <<<"$body" >/dev/null ||
		{ echo "smoke: the server's 413 is not the contract's shape: $body"; return 1; }
	[ "$(header Content-Type)" = application/json ] || { echo "smoke: 413 content type $(header Content-Type)"; return 1; }
}

# server_error_shape CODE...: the last req answered one of CODE with the contract's JSON error body.
server_error_shape() {
	local c ok=0
	for c in "$@"; do [ "$code" = "$c" ] && ok=1; done
	[ $ok -eq 1 ] || { echo "want one of $*, got $code: $body"; return 1; }
	jq -e --argjson s "$code" '.type == "about:blank" and .status == $s and (.title | type) == "string"' \
		<<<"$body" >/dev/null || { echo "not the contract's shape: $body"; return 1; }
	[ "$(header Content-Type)" = application/json ] || { echo "content type $(header Content-Type)"; return 1; }
}
