#!/usr/bin/env bats
# status_names = published | current (issue 14 §6). Inputs "suspended" and "deactivated" (PATCH, ?status=) are
# accepted in both modes and mean a disabled account; which was asked is stored. Answers say "disabled" under
# published (the default), "suspended" or "deactivated" under current (a plain deactivate is "deactivated").
# The same users are read in both modes (the setting is switched and gatehouse restarted on the same database),
# through every endpoint that reads or writes a status: PATCH, deactivate, GET one, the list and its filter,
# stats, the CSV export and the audit log.

load helpers

setup_file() { start_instance; }
teardown_file() { stop_instance; }

# mode published|current: rewrites the setting and restarts gatehouse on the same database.
mode() {
	sed -i '/^status_names/d' "$INST/gatehouse.conf"
	echo "status_names = $1" >>"$INST/gatehouse.conf"
	stop_gatehouse
	start_gatehouse
}

json() {
	as_admin "$1" "$2" -H 'Content-Type: application/json' --data "$3"
}

status_of() {
	as_admin GET "/admin/users/$(cat "$INST/id.$1")"
	[ "$code" = 200 ] || { echo "GET $1: $code $body" >&2; return 1; }
	jq -r .status <<<"$body"
}

# listed FILTER: the usernames (of ours: st-*) that ?status=FILTER lists, sorted, space-separated.
listed() {
	as_admin GET "/admin/users/?status=$1&limit=200&sort=username"
	[ "$code" = 200 ] || { echo "list $1: $code $body" >&2; return 1; }
	jq -r '[.users[].username | select(startswith("st-"))] | join(" ")' <<<"$body"
}

exported() {
	as_admin GET /admin/users/export.csv
	[ "$code" = 200 ] || return 1
	tr -d '\r"' <<<"$body" | awk -F, -v u="$1" '$2 == u { print $4 }'
}

@test "published (default): the inputs are accepted, every answer says disabled, and which was asked is kept" {
	for u in st-susp st-deact st-plain st-dis st-inactive; do
		create_user "$u" longenough1 viewer >"$INST/id.$u"
	done
	# PATCH with each input, and a plain deactivate: every answer is "disabled".
	json PATCH "/admin/users/$(cat "$INST/id.st-susp")" '{"status":"suspended"}'
	[ "$code" = 200 ]
	[ "$(jq -c '[.status,.is_active]' <<<"$body")" = '["disabled",false]' ]
	as_admin POST "/admin/users/$(cat "$INST/id.st-deact")/deactivate/"
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = disabled ]
	json PATCH "/admin/users/$(cat "$INST/id.st-plain")" '{"status":"deactivated"}'
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = disabled ]
	json PATCH "/admin/users/$(cat "$INST/id.st-dis")" '{"status":"disabled"}'
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = disabled ]
	json PATCH "/admin/users/$(cat "$INST/id.st-inactive")" '{"is_active":false}'
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = disabled ]
	# Stored: the kind asked, only where a kind was named.
	[ "$(db "SELECT username || '=' || coalesce(disabled_as, '-') FROM users WHERE username LIKE 'st-%' ORDER BY username" | paste -sd' ')" = \
		"st-deact=deactivated st-dis=- st-inactive=- st-plain=deactivated st-susp=suspended" ]
	for u in st-susp st-deact st-plain st-dis st-inactive; do
		[ "$(status_of "$u")" = disabled ]
		[ "$(exported "$u")" = disabled ]
	done
	# Every disabled name finds every disabled account here.
	all="st-deact st-dis st-inactive st-plain st-susp"
	[ "$(listed disabled)" = "$all" ]
	[ "$(listed suspended)" = "$all" ]
	[ "$(listed deactivated)" = "$all" ]
	as_admin GET /admin/stats/
	[ "$(jq -c '.users_by_status | {disabled, suspended, deactivated}' <<<"$body")" = '{"disabled":5,"suspended":null,"deactivated":null}' ]
	# The error names the published vocabulary.
	json PATCH "/admin/users/$(cat "$INST/id.st-susp")" '{"status":"frozen"}'
	invalid '[{"type":"literal_error","loc":["body","status"],"msg":"Input should be '"'active' or 'disabled'"'","input":"frozen","ctx":{"expected":"'"'active' or 'disabled'"'"}}]'
	as_admin GET '/admin/audit-logs/?action=user.update&limit=1'
	[ "$(jq -r '.logs[0].details.after.status' <<<"$body")" = disabled ]
}

@test "current: the same accounts read as suspended or deactivated, everywhere" {
	mode current
	[ "$(status_of st-susp)" = suspended ]
	for u in st-deact st-plain st-dis st-inactive; do
		[ "$(status_of "$u")" = deactivated ]
		[ "$(exported "$u")" = deactivated ]
	done
	[ "$(exported st-susp)" = suspended ]
	[ "$(listed suspended)" = "st-susp" ]
	[ "$(listed deactivated)" = "st-deact st-dis st-inactive st-plain" ]
	[ "$(listed disabled)" = "st-deact st-dis st-inactive st-plain st-susp" ]
	as_admin GET /admin/stats/
	[ "$(jq -c '.users_by_status | {disabled, suspended, deactivated}' <<<"$body")" = '{"disabled":null,"suspended":1,"deactivated":4}' ]
	[ "$(jq '.users_by_status | add' <<<"$body")" = "$(jq .total_users <<<"$body")" ]
	# The user list's own entries say the same.
	as_admin GET '/admin/users/?status=suspended'
	[ "$(jq -r '.users[0].status' <<<"$body")" = suspended ]
}

@test "current: PATCH and deactivate write the asked kind; disabled is refused as the reference refuses it" {
	json PATCH "/admin/users/$(cat "$INST/id.st-deact")" '{"status":"suspended"}'
	[ "$code" = 200 ]
	[ "$(jq -c '[.status,.is_active]' <<<"$body")" = '["suspended",false]' ]
	as_admin GET '/admin/audit-logs/?action=user.update&limit=1'
	[ "$(jq -c '[.logs[0].details.before.status, .logs[0].details.after.status]' <<<"$body")" = '["deactivated","suspended"]' ]
	as_admin GET /admin/stats/
	[ "$(jq -c '.users_by_status | [.suspended, .deactivated]' <<<"$body")" = '[2,3]' ]
	# Back to active, then is_active false: a plain disable, so "deactivated".
	json PATCH "/admin/users/$(cat "$INST/id.st-susp")" '{"status":"active"}'
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = active ]
	[ "$(db "SELECT coalesce(disabled_as, '-') FROM users WHERE username = 'st-susp'")" = - ]
	json PATCH "/admin/users/$(cat "$INST/id.st-susp")" '{"is_active":false}'
	[ "$(jq -r .status <<<"$body")" = deactivated ]
	as_admin POST "/admin/users/$(cat "$INST/id.st-susp")/deactivate/"
	[ "$code" = 200 ]
	[ "$(jq -r .status <<<"$body")" = deactivated ]
	for bad in disabled frozen Suspended; do
		json PATCH "/admin/users/$(cat "$INST/id.st-susp")" "{\"status\":\"$bad\"}"
		invalid '[{"type":"literal_error","loc":["body","status"],"msg":"Input should be '"'active', 'suspended' or 'deactivated'"'","input":"'"$bad"'","ctx":{"expected":"'"'active', 'suspended' or 'deactivated'"'"}}]'
	done
	json PATCH "/admin/users/$(cat "$INST/id.st-susp")" '{"status":"suspended","is_active":true}'
	[ "$code" = 422 ]
	[ "$(jq -r '.detail[0].msg' <<<"$body")" = "Value error, status and is_active describe conflicting states" ]
	admin=$(db "SELECT id FROM users WHERE username = 'admin'")
	json PATCH "/admin/users/$admin" '{"status":"suspended"}'
	expect 422 '{"type":"about:blank","title":"Validation Error","status":422,"detail":"Cannot change your own role or disable your own account"}'
}

@test "published again: the kinds stay stored, the answers say disabled" {
	mode published
	for u in st-susp st-deact st-plain st-dis st-inactive; do
		[ "$(status_of "$u")" = disabled ]
	done
	[ "$(db "SELECT disabled_as FROM users WHERE username = 'st-deact'")" = suspended ]
	as_admin GET /admin/stats/
	[ "$(jq -c '.users_by_status | {disabled, suspended, deactivated}' <<<"$body")" = '{"disabled":5,"suspended":null,"deactivated":null}' ]
}

@test "status_names takes only published or current" {
	run "$GATEHOUSE_BIN/gatehouse" -t -c <(printf 'database = %s\nstatus_names = modern\n' "$DATABASE")
	[ "$status" -ne 0 ]
	[[ $output == *"status_names must be published or current"* ]]
}
