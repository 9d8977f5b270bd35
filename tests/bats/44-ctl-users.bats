#!/usr/bin/env bats
# gatehousectl as the operator's tool: user list/show/add/disable/enable/set-role/reset-password/delete/revoke,
# backup, prune, export. Every change goes through the API's rules and audit trail, actor cli:<unix user>.

load helpers

setup_file() {
	start_instance
}

teardown_file() {
	stop_instance
}

ctl() { "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" "$@"; }
me() { id -un; }
last_audit() { db "SELECT action || '|' || coalesce(actor_id, '') || '|' || actor_username FROM audit ORDER BY id DESC LIMIT 1"; }

@test "--help for every command, and each command in gatehousectl(8)" {
	for c in init create-admin verify-audit user backup prune import export; do
		run ctl "$c" --help
		[ "$status" -eq 0 ]
		[[ ${lines[0]} == "usage: gatehousectl"*" $c"* ]]
		grep -q "^\.It Cm $c" "$GATEHOUSE_SRC/man/gatehousectl.8.in"
	done
	for s in list show add disable enable set-role reset-password delete revoke; do
		grep -q "^\.It Cm user $s\|^\.It Cm user.*$s" "$GATEHOUSE_SRC/man/gatehousectl.8.in"
	done
	run ctl user frobnicate x
	[ "$status" -eq 2 ]
	[[ $output == *"unknown subcommand or wrong arguments: frobnicate"* ]]
}

@test "user add: a generated password printed once works; stdin and file passwords too; audited as cli:<user>" {
	run ctl user add alice -e alice@example.com -r editor
	[ "$status" -eq 0 ]
	pw=$(sed -n 's/^password: //p' <<<"$output")
	[ ${#pw} -eq 20 ]
	[ "$(last_audit)" = "user.create||cli:$(me)" ]
	login_ok alice "$pw"
	run ctl user add bobby -s <<<"bobby-password-1"
	[ "$status" -eq 0 ]
	[[ $output != *"password:"* ]]
	printf 'carol-password-1\n' >"$BATS_TEST_TMPDIR/pw"
	run ctl user add carol -f "$BATS_TEST_TMPDIR/pw" -r viewer
	[ "$status" -eq 0 ]
	login_ok carol carol-password-1
	req GET /auth/me/ -H "Authorization: Bearer $(login_token bobby bobby-password-1)"
	[ "$(jq -r .roles[0] <<<"$body")" = viewer ]
}

@test "user add refuses what the API refuses, with the API's messages" {
	run ctl user add alice -s <<<"another-password-1"
	[ "$status" -eq 1 ]
	[[ $output == *"user add: Username already taken"* ]]
	run ctl user add ALICE -s <<<"another-password-1"
	[ "$status" -eq 1 ]
	[[ $output == *"Username already taken"* ]]
	run ctl user add dave -e alice@EXAMPLE.com -s <<<"another-password-1"
	[[ $output == *"Email already registered"* ]]
	run ctl user add eve -s <<<"short"
	[ "$status" -eq 1 ]
	[[ $output == *"user add: password: String should have at least 8 characters"* ]]
	run ctl user add eve -e not-an-email -r overlord -s <<<"long-enough-pw-1"
	[ "$status" -eq 1 ]
	[[ $output == *"email: value is not a valid email address"* ]]
	[[ $output == *"role:"* ]]
	run ctl user show eve
	[ "$status" -eq 1 ]
	[[ $output == *'no user named "eve"'* ]]
}

@test "user list: every user, filters, --json" {
	run ctl user list
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == ID*USERNAME*EMAIL*STATUS*ROLE* ]]
	[[ $output == *alice*alice@example.com*active*editor* ]]
	run ctl user list --json
	[ "$status" -eq 0 ]
	n=$(jq length <<<"$output")
	as_admin GET "/admin/users/?limit=1"
	[ "$n" -eq "$(jq .total <<<"$body")" ]
	run ctl user list --search ALI --json
	[ "$(jq -r '.[].username' <<<"$output")" = alice ]
	run ctl user list --status disabled --json
	[ "$(jq length <<<"$output")" -eq 0 ]
	run ctl user list --sort username --desc --json
	[ "$(jq -r '.[0].username' <<<"$output")" = carol ]
	run ctl user list --sort bogus
	[ "$status" -eq 1 ]
	[[ $output == *"user list: sort:"* ]]
}

@test "user list pages through more than one page of 200" {
	# 210 users through the API's own import route, fast: the hash is an existing one.
	h=$(db "SELECT password_hash FROM users WHERE username = 'carol'")
	jq -n --arg h "$h" '[range(1;211) | {username: ("page\(.)"), password_hash: $h}]' >"$BATS_TEST_TMPDIR/many.json"
	run ctl import "$BATS_TEST_TMPDIR/many.json"
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == "210 imported, 0 refused" ]]
	run ctl user list --json
	total=$(db "SELECT count(*) FROM users")
	[ "$(jq length <<<"$output")" -eq "$total" ]
	[ "$(jq '[.[].id] | unique | length' <<<"$output")" -eq "$total" ]
}

@test "user show by name or id, --json" {
	id=$(db "SELECT id FROM users WHERE username = 'alice'")
	run ctl user show alice --json
	[ "$status" -eq 0 ]
	[ "$(jq -r .id <<<"$output")" = "$id" ]
	run ctl user show "$id"
	[[ $output == "$id"*alice* ]]
	run ctl user show "${id^^}" --json
	[ "$(jq -r .username <<<"$output")" = alice ]
}

@test "user disable and enable: the token dies on disable, the change audited; enable brings the account back" {
	token=$(login_token bobby bobby-password-1)
	run ctl user disable bobby
	[ "$status" -eq 0 ]
	[[ $output == *bobby*disabled* ]]
	[ "$(last_audit)" = "user.deactivate||cli:$(me)" ]
	req GET /auth/me/ -H "Authorization: Bearer $token"
	[ "$code" = 401 ]
	run ctl user enable bobby
	[ "$status" -eq 0 ]
	[[ $output == *bobby*active* ]]
	[ "$(last_audit)" = "user.update||cli:$(me)" ]
	login_ok bobby bobby-password-1
}

@test "user set-role, through the API's rules" {
	run ctl user set-role carol editor
	[ "$status" -eq 0 ]
	[[ $output == *carol*editor* ]]
	[ "$(last_audit)" = "user.update||cli:$(me)" ]
	run ctl user set-role carol emperor
	[ "$status" -eq 1 ]
	[[ $output == *"user set-role: role:"* ]]
}

# last_admin_stays: disabling, demoting and deleting the admin from the command line are each refused as the last
# admin, and the admin is still an active admin afterwards.
last_admin_stays() {
	run ctl user disable admin
	[ "$status" -eq 1 ]
	[[ $output == *"Cannot deactivate the last admin user"* ]]
	run ctl user set-role admin viewer
	[ "$status" -eq 1 ]
	[[ $output == *"last admin"* ]]
	run ctl user delete admin
	[ "$status" -eq 1 ]
	[[ $output == *"last admin"* ]]
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	[ "$(jq -r .status <<<"$body")" = active ]
	[ "$(jq -r .roles[0] <<<"$body")" = admin ]
}

@test "the last active admin can be neither disabled, demoted nor deleted from the command line" {
	last_admin_stays
}

@test "admins who are disabled or pending do not count: the last active admin still stays" {
	# One admin of each status that cannot act; with either counted, the guard would let the active one go.
	run ctl user add admin-off -r admin -s <<<"admin-off-password-1"
	[ "$status" -eq 0 ]
	run ctl user disable admin-off
	[ "$status" -eq 0 ]
	hash=$(db "SELECT password_hash FROM users WHERE username = 'admin-off'")
	run ctl import --format json - <<<"[{\"username\":\"admin-wait\",\"password_hash\":\"$hash\",\"role\":\"admin\",\"status\":\"pending\"}]"
	[ "$status" -eq 0 ]
	run db "SELECT u.username || ':' || u.status FROM users u JOIN user_roles r ON r.uid = u.uid
		WHERE r.role_id = 1 ORDER BY u.username"
	[ "$output" = $'admin:active\nadmin-off:disabled\nadmin-wait:pending' ]
	last_admin_stays
	run ctl user delete admin-off
	[ "$status" -eq 0 ]
	run ctl user delete admin-wait
	[ "$status" -eq 0 ]
}

@test "user reset-password: stdin, file or generated; sessions revoked; audited" {
	token=$(login_token carol carol-password-1)
	run ctl user reset-password carol -s <<<"carol-new-password-2"
	[ "$status" -eq 0 ]
	[ "$(last_audit)" = "user.reset_password||cli:$(me)" ]
	req GET /auth/me/ -H "Authorization: Bearer $token"
	[ "$code" = 401 ]
	login_refused carol carol-password-1
	login_ok carol carol-new-password-2
	run ctl user reset-password carol
	pw=$(sed -n 's/^password: //p' <<<"$output")
	login_ok carol "$pw"
}

@test "user revoke ends every session and retires every API key of the user" {
	token=$(login_token alice "$(ctl user reset-password alice -s <<<"alice-password-9" >/dev/null; echo alice-password-9)")
	req POST /auth/api-keys/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data '{"name":"k"}'
	[ "$code" = 201 ]
	key=$(jq -r .key <<<"$body")
	req GET /auth/me/ -H "X-Api-Key: $key"
	[ "$code" = 200 ]
	run ctl user revoke alice
	[ "$status" -eq 0 ]
	[ "$(last_audit)" = "user.revoke||cli:$(me)" ]
	req GET /auth/me/ -H "Authorization: Bearer $token"
	[ "$code" = 401 ]
	req GET /auth/me/ -H "X-Api-Key: $key"
	[ "$code" = 401 ]
	# The password still works: revoke ends what was issued, not the account.
	login_ok alice alice-password-9
	# Not reachable over HTTP: the route exists for the command line only.
	id=$(db "SELECT id FROM users WHERE username = 'alice'")
	as_admin POST "/admin/users/$id/revoke"
	[ "$code" = 404 ]
}

@test "user delete, audited; the name is free again" {
	run ctl user delete bobby
	[ "$status" -eq 0 ]
	[ "$(last_audit)" = "user.delete||cli:$(me)" ]
	run ctl user show bobby
	[ "$status" -eq 1 ]
	run ctl user add bobby -s <<<"bobby-password-2"
	[ "$status" -eq 0 ]
}

@test "the audit trail of the command line's changes verifies" {
	run ctl verify-audit
	[ "$status" -eq 0 ]
	[[ $output == "audit trail intact"* ]]
}

@test "prune deletes expired and revoked sessions and expired throttle rows, and nothing live" {
	live=$(login_token carol "$(ctl user reset-password carol -s <<<"carol-pw-prune-1" >/dev/null; echo carol-pw-prune-1)")
	db "UPDATE sessions SET refresh_expires_at = 1 WHERE uid = (SELECT uid FROM users WHERE username = 'alice');
		INSERT INTO throttle (key, failures, window_start, blocked_until, expires_at) VALUES ('address:192.0.2.99', 3, 1, 0, 1);
		INSERT INTO throttle (key, failures, window_start, blocked_until, expires_at) VALUES ('address:192.0.2.98', 0, 1, 0, 9999999999999999);"
	dead="refresh_expires_at <= 1 OR revoked_at IS NOT NULL"
	[ "$(db "SELECT count(*) FROM sessions WHERE $dead")" -gt 0 ]
	run ctl prune
	[ "$status" -eq 0 ]
	[[ $output =~ ^pruned\ [0-9]+\ expired\ sessions\ and\ [0-9]+\ throttle\ rows$ ]]
	[ "$(db "SELECT count(*) FROM sessions WHERE $dead")" -eq 0 ]
	[ "$(db "SELECT key FROM throttle WHERE key LIKE 'address:192.0.2.9%'" | paste -sd,)" = address:192.0.2.98 ]
	req GET /auth/me/ -H "Authorization: Bearer $live"
	[ "$code" = 200 ]
}

@test "export writes every user with its hash, 0600, and import reads it back elsewhere" {
	run ctl export -o "$BATS_TEST_TMPDIR/users.json"
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/users.json")" = 600 ]
	total=$(db "SELECT count(*) FROM users")
	[ "$(jq length "$BATS_TEST_TMPDIR/users.json")" -eq "$total" ]
	[ "$(jq -r '.[] | select(.username == "carol") | .password_hash' "$BATS_TEST_TMPDIR/users.json")" = \
		"$(db "SELECT password_hash FROM users WHERE username = 'carol'")" ]
	# The trail says who copied the hashes out, before the file was written.
	[ "$(last_audit)" = "user.export||cli:$(me)" ]
	[ "$(db "SELECT details FROM audit ORDER BY id DESC LIMIT 1" | jq -r '"\(.password_hashes) \(.format)"')" = "true json" ]
	rows=$(db "SELECT count(*) FROM audit")
	run ctl export -o "$BATS_TEST_TMPDIR/users.json"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot create $BATS_TEST_TMPDIR/users.json"*"File exists"* ]]
	# Nothing was exported, so nothing is recorded; the file already there is left alone.
	[ "$(db "SELECT count(*) FROM audit")" -eq "$rows" ]
	[ "$(jq length "$BATS_TEST_TMPDIR/users.json")" -eq "$total" ]
	# Into a fresh database: the same users, carol's password works there.
	mkdir "$BATS_TEST_TMPDIR/other"
	other_db=$(new_database "$BATS_TEST_TMPDIR/other/gatehouse.db")
	{ sed "s|$INST|$BATS_TEST_TMPDIR/other|g" "$INST/gatehouse.conf"; echo "database = $other_db"; } \
		>"$BATS_TEST_TMPDIR/other/gatehouse.conf"
	mkdir -p "$BATS_TEST_TMPDIR/other/logs"
	"$GATEHOUSE_BIN/gatehousectl" -c "$BATS_TEST_TMPDIR/other/gatehouse.conf" init >/dev/null
	run "$GATEHOUSE_BIN/gatehousectl" -c "$BATS_TEST_TMPDIR/other/gatehouse.conf" import "$BATS_TEST_TMPDIR/users.json"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "$total imported, 0 refused" ]
}
