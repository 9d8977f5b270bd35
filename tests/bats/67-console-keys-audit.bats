#!/usr/bin/env bats
# The admin console's API keys page and audit log in a real browser (tests/browser/console-admin.mjs), each
# action checked against what the API then holds.

load helpers
load console

setup_file() {
	console_setup
	start_instance
	create_user key-owner 'key-owner-pass-1' editor >/dev/null
	# More than a page of audit entries: users created (and logged in) make rows of several actions.
	for i in $(seq 1 60); do create_user "audited-$i" "audited-pass-$i" viewer >/dev/null; done
	for i in 1 2 3; do login_ok key-owner 'key-owner-pass-1'; done
	id=$(api_json GET '/admin/users/?search=key-owner' | jq -r '.users[0].id')
	api_json POST /admin/api-keys/ "{\"user_id\":\"$id\",\"name\":\"first key\",\"scope\":\"read_only\"}" >/dev/null
}

teardown_file() { stop_instance; }

@test "console keys: everyone's keys, create for a user (past expiry refused at its field), shown once, filter, revoke" {
	console_run console-admin.mjs keys
}

@test "console audit: pages, filters (action, user, search, dates), sort, CSV and JSON exports with the filters" {
	console_run console-admin.mjs audit
}

# Last: it edits a row of this file's audit trail.
@test "audit chain: GET /admin/audit-logs/verify says valid, then names the edited row; the console shows both" {
	run api_json GET /admin/audit-logs/verify
	assert_status 0
	[ "$(jq -c '[.valid, .broken_at_row, .reason]' <<<"$output")" = '[true,null,null]' ]
	rows=$(jq .rows <<<"$output")
	[[ $(jq -r .head <<<"$output") =~ ^$rows:[0-9a-f]{64}$ ]]
	[ "$rows" = "$(db 'SELECT count(*) FROM audit')" ]
	console_run console-admin.mjs chain-ok
	db "UPDATE audit SET action = 'user.forged' WHERE id = 7"
	run api_json GET /admin/audit-logs/verify
	assert_status 0
	[ "$(jq -c '[.valid, .broken_at_row]' <<<"$output")" = '[false,7]' ]
	assert_output_has 'do not match its keyed digest'
	console_run console-admin.mjs chain-broken
}
