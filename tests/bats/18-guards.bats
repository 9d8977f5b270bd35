#!/usr/bin/env bats
# Guards that small, plausible bugs slipped past before (issue 16): each test names what it protects.

load helpers

setup_file() {
	start_instance --set login_failures_per_account=3 --set login_failures_per_address=1000 --set login_block_time=30 \
		--set body_limit=1024
}
teardown_file() { stop_instance; }

NOBODY=0192f0c1-7b7e-7cc4-9d1e-3f1c2b3a4d5e

@test "throttle: an unknown name is blocked after as many failures as a real one, so 429 tells nothing apart" {
	create_user realname 'realname-pass-1' viewer
	for name in realname ghost-name-never-made; do
		for i in 1 2 3; do
			login_refused "$name" "wrong-guess-$i"
		done
		req POST /auth/login --data-urlencode "username=$name" --data-urlencode password=wrong-guess-4
		[ "$code" = 429 ] || fail "$name: the 4th failure got $code, want 429: $body"
		[ "$(jq -r .title <<<"$body")" = "Too Many Requests" ]
		[[ $(header Retry-After) =~ ^[0-9]+$ ]]
	done
}

@test "Cache-Control: no-store on every streamed export (users CSV, audit CSV and JSON)" {
	for path in /admin/users/export.csv /admin/audit-logs/export/csv /admin/audit-logs/export/json; do
		as_admin GET "$path"
		[ "$code" = 200 ] || fail "$path: $code"
		[ "$(header Cache-Control)" = no-store ] || fail "$path: Cache-Control \"$(header Cache-Control)\""
		[ "$(header X-Content-Type-Options)" = nosniff ] || fail "$path: no nosniff"
	done
}

# padded N: a JSON body of exactly N bytes (a valid AdminUserCreate padded with spaces).
padded() {
	local json='{"username":"padded-'"$2"'","password":"longenough1"}'
	printf '%s%*s' "$json" $(($1 - ${#json})) ''
}

@test "body limit: a body of exactly body_limit bytes is read; one byte more is 413" {
	padded 1024 a >"$BATS_TEST_TMPDIR/exact"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/exact")" = 1024 ]
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/exact"
	expect 201
	padded 1025 b >"$BATS_TEST_TMPDIR/over"
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data-binary "@$BATS_TEST_TMPDIR/over"
	problem 413 "Request body too large"
	[ "$(db "SELECT count(*) FROM users WHERE username = 'padded-b'")" = 0 ]
}

@test "DELETE /admin/users/{id} writes its user.delete audit row: actor, target and name" {
	id=$(create_user doomed 'doomed-pass-1' viewer)
	as_admin DELETE "/admin/users/$id"
	expect 204
	[ "$(db "SELECT actor_username || ' ' || resource_type || ' ' || details FROM audit WHERE action = 'user.delete' AND resource_id = '$id'")" = 'admin user {"username":"doomed"}' ]
}

@test "the audit chain: an edit of any field of a row (details, actor, action, target, address, time) is detected" {
	create_user chained 'chained-pass-1' viewer
	ctl="$GATEHOUSE_BIN/gatehousectl"
	run "$ctl" -c "$INST/gatehouse.conf" verify-audit
	assert_status 0
	row=$(db "SELECT id FROM audit WHERE action = 'user.create' ORDER BY id DESC LIMIT 1")
	for edit in "details = '{\"username\":\"forged\"}'" "actor_id = '$NOBODY'" "actor_username = 'someone-else'" \
		"action = 'user.update'" "resource_id = '$NOBODY'" "ip_address = '10.9.8.7'" "created_at = created_at + 1"; do
		copy=$(db_copy "$BATS_TEST_TMPDIR/copy.db")
		printf 'database = %s\naudit_key_file = %s\n' "$copy" "$INST/gatehouse-audit.key" >"$BATS_TEST_TMPDIR/copy.conf"
		db_at "$copy" "UPDATE audit SET $edit WHERE id = $row"
		run "$ctl" -c "$BATS_TEST_TMPDIR/copy.conf" verify-audit
		[ "$status" -eq 1 ] || fail "edit \"$edit\" not detected: $output"
		[ "${lines[0]}" = "audit row $row: its contents do not match its keyed digest (the row was edited, or the chain recomputed without the key)" ] ||
			fail "edit \"$edit\": $output"
	done
}

# The protected routes that take a body, from the web's route table of src/routes.c (cli_routes, which the web
# cannot reach, left out): "METHOD PATH CAP".
body_routes() {
	sed '/cli_routes\[\]/,$d' "$GATEHOUSE_SRC/src/routes.c" | grep -E '\{ *M_[A-Z]+, *"[^"]+", *h_[a-z_]+, *[A-Z_]+, *&schema_' |
		sed -E 's/.*\{ *M_([A-Z]+), *"([^"]+)", *h_[a-z_]+, *([A-Z_]+),.*/\1 \2 \3/' | grep -v ' CAP_NONE$'
}

@test "authorization comes before validation: an invalid body from a caller without the right gets 401/403, not 422" {
	create_user lowly 'lowly-pass-1' editor >/dev/null
	t=$(login_token lowly 'lowly-pass-1')
	routes=$(body_routes)
	[ "$(wc -l <<<"$routes")" -ge 7 ] || fail "could not read the routes with a body: $routes"
	while read -r method path cap; do
		path=${path//\{\}/$NOBODY}
		for data in '{}' '[]' '{"role":7,"password":[],"name":{}}'; do
			req "$method" "$path" -H 'Content-Type: application/json' --data "$data"
			[ "$code" = 401 ] || fail "$method $path with $data and no credential: $code $body"
			if [ "$cap" != CAP_USER ]; then
				req "$method" "$path" -H "Authorization: Bearer $t" -H 'Content-Type: application/json' --data "$data"
				[ "$code" = 403 ] || fail "$method $path with $data as an editor: $code $body"
				[[ $(jq -r .detail <<<"$body") == "Missing permission: "* ]] || fail "$method $path: $body"
			fi
		done
	done <<<"$routes"
}
