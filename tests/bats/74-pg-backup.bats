#!/usr/bin/env bats
# Backup and restore on PostgreSQL, as the README tells an operator: pg_dump -Fc while gatehouse serves writes,
# pg_restore into an empty database, and the restored database serves the same users with an intact audit chain
# that still holds the anchor taken before the backup.

load helpers

setup_file() {
	pg_mode || return 0	# every test skips (setup)
	start_instance --workers 2
}

teardown_file() {
	pg_mode || return 0
	[ ! -f "$BATS_FILE_TMPDIR/restored.env" ] || . "$BATS_FILE_TMPDIR/restored.env"
	stop_instance
	[ -z "${R_INST:-}" ] || INST=$R_INST OWN_DATABASE=0 stop_instance
	[ -z "${R_DB:-}" ] || drop_database "$R_DB"
}

setup() {
	pg_only "pg_dump and pg_restore of a PostgreSQL database"
}

@test "pg_dump under write load restores to a database that serves the same users and verifies its chain" {
	create_user kept 'kept-password-1' editor >/dev/null
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	assert_status 0
	anchor=${lines[1]#head: }
	before=$(db "SELECT count(*) FROM users")
	# Writers through nginx while the dump runs.
	(
		for i in $(seq 1 25); do
			curl -s -o /dev/null -X POST "$BASE/admin/users/" -H "Authorization: Bearer $ADMIN_TOKEN" \
				-H 'Content-Type: application/json' \
				--data "{\"username\":\"load-$i\",\"password\":\"load-password-$i\",\"role\":\"viewer\"}"
		done
	) 3>&- &
	writer=$!
	sleep 0.2
	pg_dump -Fc -d "$DATABASE" -f "$BATS_TEST_TMPDIR/gatehouse.dump"
	wait $writer
	after=$(db "SELECT count(*) FROM users")
	R_DB=$(new_database unused)
	echo "export R_DB='$R_DB'" >"$BATS_FILE_TMPDIR/restored.env"
	pg_restore --no-owner --exit-on-error -d "$R_DB" "$BATS_TEST_TMPDIR/gatehouse.dump"
	inbackup=$(db_at "$R_DB" "SELECT count(*) FROM users")
	[ "$inbackup" -ge "$before" ]
	[ "$inbackup" -le "$after" ]
	[ "$(db_integrity_at "$R_DB")" = ok ]
	# The restored database, served with the same audit key: the chain is whole and holds the earlier anchor.
	key=$INST/gatehouse-audit.key
	start_instance --database "$R_DB" --set "audit_key_file=$key"
	echo "export R_INST='$INST'" >>"$BATS_FILE_TMPDIR/restored.env"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit --anchor "$anchor"
	assert_status 0
	assert_output_has "anchor $anchor: held by the chain"
	login_ok kept 'kept-password-1'
	[ "$(db_at "$R_DB" "SELECT count(*) FROM users")" -eq "$inbackup" ]
	no_500 "$INST/logs/access.log"
}
