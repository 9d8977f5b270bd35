#!/usr/bin/env bats
# The admin console's users page and overview in a real browser (tests/browser/console-users.mjs): create with
# every 422 and 409 at its field, search, filter, sort and pages, edit, deactivate, the approval queue, password
# resets, delete, the guards on oneself, the CSV export and the overview's counts. After each action the scenario
# asks the API what it holds. No console error, no CSP violation, no serious axe finding, both widths.

load helpers
load console

setup_file() {
	console_setup
	start_instance --set registration=on
	# More than a page of users, a few with accents, some disabled, two waiting for approval.
	for i in $(seq -w 1 30); do create_user "member-$i" "member-pass-$i" viewer >/dev/null; done
	create_user 'Zoë Müller' 'zoe-pass-1' viewer >/dev/null
	create_user edit-me 'edit-pass-1' viewer >/dev/null
	create_user reset-me 'reset-pass-1' viewer >/dev/null
	for i in 01 02 03; do
		id=$(api_json GET "/admin/users/?search=member-$i" | jq -r '.users[0].id')
		api_json POST "/admin/users/$id/deactivate/" >/dev/null
	done
	for u in pend-one pend-two; do
		req POST /auth/register/ -H 'Content-Type: application/json' --data "{\"username\":\"$u\",\"password\":\"$u-pass-1\"}"
	done
}

teardown_file() { stop_instance; }
# A test that started an instance of its own (in its own process: setup_file's stays for the others) stops it.
teardown() { [ "${OWN_TEST_INSTANCE:-0}" -eq 0 ] || stop_instance; }

@test "console users: create shows every 422 entry and each 409 at its field; a good one is what the API holds" {
	console_run console-users.mjs create
}

@test "console users: debounced accent-insensitive search, status filter, sortable columns, pages with the total" {
	console_run console-users.mjs browse
}

@test "console users: edit email, role and status; deactivate; the guards on oneself read as sentences" {
	console_run console-users.mjs edit
}

@test "console users: the approval queue with its count; approve with a role, reject after confirming" {
	console_run console-users.mjs queue
}

@test "console users: reset a password typed or generated (shown once, copied); delete after a confirmation naming the user" {
	console_run console-users.mjs reset
}

# Its own instance, raised above the console's 20 generated characters; the admin's password must then be 24 long.
@test "console users: with password_min_length = 24, a generated password (new user, reset) is 24 long and accepted" {
	ADMIN_PASSWORD='Adm1n-correct-horse-battery-staple'
	OWN_TEST_INSTANCE=1
	start_instance --set password_min_length=24
	console_run console-users.mjs minimum
}

@test "console users: CSV export downloads every user; the overview shows /admin/stats/" {
	console_run console-users.mjs export
}

@test "gatehouse-run (what contrib/setup runs) prints the console's address and the first admin's password, which signs in" {
	local dir port out pw url
	dir=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-console-run.XXXXXX")
	port=$(free_port)
	run "$RUN" --bin "$GATEHOUSE_BIN" --port "$port" --set hash_cost=1 "$dir"
	out=$output
	"$RUN" --stop "$dir" >/dev/null 2>&1 || true
	run "$RUN" --bin "$GATEHOUSE_BIN" --port "$port" --set hash_cost=1 "$dir"
	assert_status 0
	pw=$(sed -n 's/^password: //p' <<<"$out")
	url=$(sed -n 's/^console: \(http[^ ]*\) (sign in as admin with the password printed above)$/\1/p' <<<"$out")
	[ "$url" = "http://127.0.0.1:$port/console/" ] || fail "no console line in: $out"
	[ -n "$pw" ] || fail "no password in: $out"
	assert_output_has "console: http://127.0.0.1:$port/console/ (sign in as admin)"
	page=$(curl -sS --max-time 20 -w '%{http_code}' "$url")
	code=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/auth/login" \
		-H 'X-GeoLens-Auth-Mode: cookie' --data-urlencode username=admin --data-urlencode "password=$pw")
	"$RUN" --stop "$dir" >/dev/null 2>&1 || true
	rm -rf "$dir"
	[[ $page == *'<title>gatehouse console</title>'*200 ]] || fail "the console page: $page"
	[ "$code" = 200 ] || fail "the printed password: login answered $code"
}
