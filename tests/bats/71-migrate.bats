#!/usr/bin/env bats
# Moving over: gatehousectl migrate --to postgresql://... copies a SQLite database (users, roles, sessions, API
# keys, throttle, the audit chain) into an empty PostgreSQL database; afterwards the chain verifies there with
# the same head, and the same passwords, tokens and keys work against it. A database that is not empty is
# refused and left as it was.

load helpers

setup_file() {
	pg_mode || return 0	# every test skips (setup)
	# The source: an instance on a SQLite file, whatever engine the suite runs on.
	start_instance --database "$BATS_FILE_TMPDIR/source.db"
	S_INST=$INST S_BASE=$BASE S_DB=$DATABASE
	export S_INST S_BASE S_DB
}

teardown_file() {
	pg_mode || return 0
	[ ! -f "$BATS_FILE_TMPDIR/target.env" ] || . "$BATS_FILE_TMPDIR/target.env"
	INST=${T_INST:-} OWN_DATABASE=0 stop_instance
	[ -z "${T_DB:-}" ] || drop_database "$T_DB"
	INST=${S_INST:-} OWN_DATABASE=0 stop_instance
}

setup() {
	pg_only "the target of gatehousectl migrate --to is a PostgreSQL database"
}

TABLES="users user_roles sessions api_keys audit throttle"

@test "migrate --to copies every table and the chain into an empty PostgreSQL database" {
	BASE=$S_BASE
	# Some of everything: users of each role and status, sessions, an API key, failed logins, audit rows.
	create_user mig-admin 'mig-admin-pass-1' admin >/dev/null
	create_user mig-editor 'mig-editor-pass-1' editor >/dev/null
	id=$(create_user mig-viewer 'mig-viewer-pass-1' viewer)
	create_user mig-off 'mig-off-pass-1' viewer >/dev/null
	as_admin PATCH "/admin/users/$(db "SELECT id FROM users WHERE username = 'mig-off'")" \
		-H 'Content-Type: application/json' --data '{"is_active":false}'
	expect 200
	token=$(login_token mig-viewer 'mig-viewer-pass-1')
	req POST /auth/api-keys/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data '{"name":"moved"}'
	expect 201
	key=$(jq -r .key <<<"$body")
	req POST /auth/login --data-urlencode username=mig-editor --data-urlencode password=wrong-password
	[ "$code" = 401 ]
	echo "$token" >"$BATS_FILE_TMPDIR/token"
	echo "$key" >"$BATS_FILE_TMPDIR/key"
	echo "$id" >"$BATS_FILE_TMPDIR/id"

	run "$GATEHOUSE_BIN/gatehousectl" -c "$S_INST/gatehouse.conf" verify-audit
	assert_status 0
	source_head=${lines[1]}
	stop_gatehouse	# no write may land between the copy and the counts
	T_DB=$(new_database unused)
	echo "export T_DB='$T_DB'" >"$BATS_FILE_TMPDIR/target.env"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$S_INST/gatehouse.conf" migrate --to "$T_DB"
	echo "$output" >&3
	assert_status 0
	for t in $TABLES; do
		src=$(db_at "$S_DB" "SELECT count(*) FROM $t")
		dst=$(db_at "$T_DB" "SELECT count(*) FROM $t")
		[ "$src" = "$dst" ] || fail "$t: $src rows in SQLite, $dst in PostgreSQL"
	done
	[ "$(db_at "$T_DB" "SELECT count(*) FROM users")" -ge 5 ]
	# The same rows, not only as many: users with their hashes, roles and statuses; the audit rows in order.
	q="SELECT u.id || ' ' || u.username || ' ' || u.status || ' ' || u.password_hash || ' ' || r.role_id FROM users u JOIN user_roles r ON r.uid = u.uid ORDER BY u.id"
	[ "$(db_at "$S_DB" "$q")" = "$(db_at "$T_DB" "$q")" ]
	q="SELECT id || ' ' || action || ' ' || coalesce(details, '') FROM audit ORDER BY id"
	[ "$(db_at "$S_DB" "$q")" = "$(db_at "$T_DB" "$q")" ]

	# The chain verifies on PostgreSQL, with the same key, to the same head.
	printf 'database = %s\naudit_key_file = %s\n' "$T_DB" "$S_INST/gatehouse-audit.key" >"$BATS_FILE_TMPDIR/target.conf"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$BATS_FILE_TMPDIR/target.conf" verify-audit
	assert_status 0
	[ "${lines[1]}" = "$source_head" ] || fail "head on PostgreSQL ${lines[1]}, on SQLite $source_head"
	start_gatehouse
}

@test "after the move, an instance on PostgreSQL logs the same users in; their tokens and keys still work" {
	. "$BATS_FILE_TMPDIR/target.env"
	start_instance --database "$T_DB" --set "audit_key_file=$S_INST/gatehouse-audit.key"
	T_INST=$INST
	echo "export T_INST='$T_INST'" >>"$BATS_FILE_TMPDIR/target.env"
	login_ok mig-editor 'mig-editor-pass-1'
	login_ok mig-admin 'mig-admin-pass-1'
	req POST /auth/login --data-urlencode username=mig-off --data-urlencode password=mig-off-pass-1
	problem 403 "Account not active"
	req GET /auth/me/ -H "Authorization: Bearer $(cat "$BATS_FILE_TMPDIR/token")"
	expect 200
	[ "$(jq -r .username <<<"$body")" = mig-viewer ]
	req GET /auth/me/ -H "X-API-Key: $(cat "$BATS_FILE_TMPDIR/key")"
	expect 200
	[ "$(jq -r .username <<<"$body")" = mig-viewer ]
	# New writes continue the chain.
	create_user after-move 'after-move-pass-1' viewer >/dev/null
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	assert_status 0
	no_500 "$INST/logs/access.log"
}

@test "migrate --to a database that is not empty is refused and changes nothing" {
	. "$BATS_FILE_TMPDIR/target.env"
	before=$(for t in $TABLES; do db_at "$T_DB" "SELECT count(*) FROM $t"; done)
	run "$GATEHOUSE_BIN/gatehousectl" -c "$S_INST/gatehouse.conf" migrate --to "$T_DB"
	[ "$status" -ne 0 ] || fail "a second migrate into a used database succeeded: $output"
	[[ $output == *"not empty"* ]] || fail "the refusal does not say why: $output"
	after=$(for t in $TABLES; do db_at "$T_DB" "SELECT count(*) FROM $t"; done)
	[ "$before" = "$after" ]
	# Nor is a target that is not PostgreSQL's taken for one.
	run "$GATEHOUSE_BIN/gatehousectl" -c "$S_INST/gatehouse.conf" migrate --to "$BATS_FILE_TMPDIR/other.db"
	[ "$status" -ne 0 ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$S_INST/gatehouse.conf" migrate --to "postgresql:///no_such_db?host=$GATEHOUSE_TEST_PGHOST&user=gatehouse"
	[ "$status" -ne 0 ]
	[[ $output == *no_such_db* ]] || fail "the error does not name the database: $output"
}
