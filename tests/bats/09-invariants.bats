#!/usr/bin/env bats
# Invariants under concurrency, with several workers on one SQLite file: the last active admin survives two
# admins disabling each other at the same moment; one name created twice at once gives one 201 and one 409.

load helpers

setup_file() { start_instance --workers 4; }
teardown_file() { stop_instance; }

@test "two admins disabling each other at the same moment always leave an active admin (30 rounds)" {
	ctl="$GATEHOUSE_BIN/gatehousectl -c $INST/gatehouse.conf"
	both=0
	for i in $(seq 30); do
		printf 'pw-a-%s-long\n' "$i" | $ctl create-admin -s "adm-a$i" >/dev/null
		printf 'pw-b-%s-long\n' "$i" | $ctl create-admin -s "adm-b$i" >/dev/null
		ta=$(login_token "adm-a$i" "pw-a-$i-long")
		tb=$(login_token "adm-b$i" "pw-b-$i-long")
		ida=$(db "SELECT id FROM users WHERE username = 'adm-a$i'")
		idb=$(db "SELECT id FROM users WHERE username = 'adm-b$i'")
		# Only these two are active admins now.
		db "UPDATE users SET status = 'disabled' WHERE username NOT IN ('adm-a$i', 'adm-b$i')"
		curl -s -o "$BATS_TEST_TMPDIR/ra" -w '%{http_code}' --max-time 20 -X POST "$BASE/admin/users/$idb/deactivate/" \
			-H "Authorization: Bearer $ta" >"$BATS_TEST_TMPDIR/ca" &
		curl -s -o "$BATS_TEST_TMPDIR/rb" -w '%{http_code}' --max-time 20 -X POST "$BASE/admin/users/$ida/deactivate/" \
			-H "Authorization: Bearer $tb" >"$BATS_TEST_TMPDIR/cb" &
		wait
		codes="$(cat "$BATS_TEST_TMPDIR/ca") $(cat "$BATS_TEST_TMPDIR/cb")"
		active=$(db "SELECT count(*) FROM users u JOIN user_roles r ON r.uid = u.uid WHERE r.role_id = 1 AND u.status = 'active'")
		[ "$active" -ge 1 ] || { echo "round $i: no active admin left ($codes)" >&2; return 1; }
		[ "$codes" != "200 200" ] || { echo "round $i: both succeeded" >&2; return 1; }
		# The loser is refused by the rule (400) or, if it came later still, as a disabled caller (401).
		for c in $codes; do [[ $c == 200 || $c == 400 || $c == 401 ]] || { echo "round $i: $codes" >&2; return 1; }; done
		if [[ $codes == *400* ]]; then
			grep -h -q '"Cannot deactivate the last admin user"' "$BATS_TEST_TMPDIR/ra" "$BATS_TEST_TMPDIR/rb"
			both=$((both + 1))
		fi
	done
	echo "# rounds where both passed authentication and the rule refused one: $both" >&3
}

@test "the same name created at once in different cases: one 201, one 409, twenty times" {
	db "UPDATE users SET status = 'active' WHERE username = 'admin'"
	token=$(login_token admin "$ADMIN_PASSWORD")
	for i in $(seq 20); do
		for name in "dup$i" "DUP$i" "Dup$i"; do
			curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 -X POST "$BASE/admin/users/" \
				-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
				--data "{\"username\":\"$name\",\"password\":\"longenough1\"}" >"$BATS_TEST_TMPDIR/$name" &
		done
		wait
		[ "$(cat "$BATS_TEST_TMPDIR/dup$i" "$BATS_TEST_TMPDIR/DUP$i" "$BATS_TEST_TMPDIR/Dup$i" | sort | tr '\n' ' ')" = "201 409 409 " ]
		[ "$(db "SELECT count(*) FROM users WHERE username_key = 'dup$i'")" = 1 ]
	done
}

@test "no request in these runs answered 500, and the database is intact" {
	no_500 "$INST/logs/access.log"
	[ "$(db_integrity)" = ok ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	[ "$status" -eq 0 ]
}
