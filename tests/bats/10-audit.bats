#!/usr/bin/env bats
# The audit trail: rows for every mutation and login, the hash chain and its verifier, the list and exports.

load helpers

setup_file() { start_instance; }
teardown_file() { stop_instance; }

@test "mutations and logins write audit rows with the reference's actions and details, no secret" {
	id=$(create_user audited 'secret-pass-1' viewer)
	login_token audited secret-pass-1 >/dev/null
	curl -s -o /dev/null -X POST "$BASE/auth/login" --data-urlencode username=audited --data-urlencode password=wrong-pass-9
	curl -s -o /dev/null -X POST "$BASE/auth/login" --data-urlencode username=nobody --data-urlencode password=wrong-pass-9
	[ "$(db "SELECT details FROM audit WHERE action = 'user.create' AND resource_id = '$id'")" = '{"username":"audited","role":"viewer"}' ]
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.login.success' AND actor_username = 'audited'")" = 1 ]
	[ "$(db "SELECT details FROM audit WHERE action = 'user.login.failure' ORDER BY id DESC LIMIT 1")" = '{"username":"nobody","reason":"invalid_credentials"}' ]
	[ "$(db "SELECT CAST(actor_id IS NULL AS INTEGER) FROM audit WHERE action = 'user.login.failure' ORDER BY id DESC LIMIT 1")" = 1 ]
	[ "$(db "SELECT ip_address FROM audit ORDER BY id DESC LIMIT 1")" = 127.0.0.1 ]
	rows=$(db "SELECT * FROM audit")
	assert_contains "$rows" user.login.failure
	refute_contains "$rows" secret-pass-1 wrong-pass-9 '$y$'
}

@test "GET /admin/audit-logs/: newest first, filters, total, the reference's shape" {
	as_admin GET '/admin/audit-logs/?action=user.create'
	expect 200
	[ "$(jq -r '.logs[0]|keys_unsorted|join(",")' <<<"$body")" = "id,user_id,username,action,resource_type,resource_id,resource_name,details,ip_address,created_at" ]
	[ "$(jq -r '.logs[0].resource_name' <<<"$body")" = audited ]
	[ "$(jq -r '.logs[0].username' <<<"$body")" = admin ]
	[ "$(jq -c '.logs[0].details' <<<"$body")" = '{"username":"audited","role":"viewer"}' ]
	[ "$(jq -r .total <<<"$body")" = "$(db "SELECT count(*) FROM audit WHERE action = 'user.create'")" ]
	as_admin GET '/admin/audit-logs/?limit=200'
	times=$(jq -r '.logs[].created_at' <<<"$body")
	[ "$times" = "$(sort -r <<<"$times")" ]
	as_admin GET '/admin/audit-logs/?search=LOGIN.FAIL&sort=action&order=asc'
	[ "$(jq -r '[.logs[].action]|unique|join(",")' <<<"$body")" = user.login.failure ]
	as_admin GET "/admin/audit-logs/?date_from=2000-01-01T00:00:00Z&date_to=2000-01-02"
	[ "$(jq -c . <<<"$body")" = '{"logs":[],"total":0}' ]
}

@test "audit list query errors are 422" {
	as_admin GET '/admin/audit-logs/?user_id=nope&date_from=yesterday&sort=when'
	[ "$code" = 422 ]
	[ "$(jq -c '[.detail[].type]' <<<"$body")" = '["uuid_parsing","datetime_from_date_parsing","literal_error"]' ]
	[ "$(jq -r '.detail[1].msg' <<<"$body")" = "Input should be a valid datetime or date, input is too short" ]
}

@test "audit export as CSV and as JSON, the export's own rows excluded; other formats 404" {
	as_admin GET /admin/audit-logs/export/csv
	[ "$code" = 200 ]
	[ "$(header Content-Type)" = "text/csv; charset=utf-8" ]
	[[ $(header Content-Disposition) == 'attachment; filename="audit-export-'*'.csv"; filename*=UTF-8'"''"'audit-export-'*'.csv' ]]
	[ "$(head -n 1 <<<"$body" | tr -d '\r')" = "timestamp,username,action,resource_type,resource_id,ip_address,details,resource_name" ]
	refute_grep -q audit.export "$BATS_TEST_TMPDIR/body"
	grep -q '"{""username"": ""audited"", ""role"": ""viewer""}"' "$BATS_TEST_TMPDIR/body"
	as_admin GET '/admin/audit-logs/export/json?max_rows=2'
	[ "$code" = 200 ]
	[ "$(jq -r length <<<"$body")" = 2 ]
	[ "$(jq -r '.[0].action' <<<"$body")" = audit.export ]
	[[ $body == '[{"id": "'* ]]
	[[ $(jq -r '.[0].timestamp' <<<"$body") == *+00:00 ]]
	as_admin GET /admin/audit-logs/export/xml
	problem 404 "Not Found"
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'audit.export'")" = 4 ]
}

@test "verify-audit passes on an intact chain and names the first edited or deleted row" {
	ctl="$GATEHOUSE_BIN/gatehousectl -c $INST/gatehouse.conf"
	run $ctl verify-audit
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "audit trail intact: "*" rows" ]]
	[[ ${lines[1]} =~ ^head:\ [0-9]+:[0-9a-f]{64}$ ]]
	copy=$(db_copy "$BATS_TEST_TMPDIR/copy.db")
	printf 'database = %s\naudit_key_file = %s\n' "$copy" "$INST/gatehouse-audit.key" >"$BATS_TEST_TMPDIR/copy.conf"
	db_at "$copy" "UPDATE audit SET details = '{\"username\":\"forged\"}' WHERE id = 3"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$BATS_TEST_TMPDIR/copy.conf" verify-audit
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "audit row 3: its contents do not match its keyed digest (the row was edited, or the chain recomputed without the key)" ]
	copy=$(db_copy "$BATS_TEST_TMPDIR/copy2.db")
	printf 'database = %s\naudit_key_file = %s\n' "$copy" "$INST/gatehouse-audit.key" >"$BATS_TEST_TMPDIR/copy.conf"
	db_at "$copy" "DELETE FROM audit WHERE id = 4"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$BATS_TEST_TMPDIR/copy.conf" verify-audit
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "audit row 5: rows are missing before this one" ]
}
