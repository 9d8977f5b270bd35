#!/usr/bin/env bats
# Crash safety: workers killed with SIGKILL at random moments under a write load lose no answered write and
# leave no half-written user; a full disk and a read-only database give 503 with Retry-After and recover.

load helpers

setup_file() { start_instance --workers 2 --set busy_timeout_ms=400; }
teardown_file() {
	chattr -i "$INST/gatehouse.db" 2>/dev/null
	stop_instance
	# A test's variables do not reach this function: small_disk leaves the mount point's name in a file.
	if [ -f "$BATS_FILE_TMPDIR/small" ]; then
		SMALL=$(cat "$BATS_FILE_TMPDIR/small")
		umount "$SMALL" 2>/dev/null
		rmdir "$SMALL"
	fi
}

@test "SIGKILL under a write load: every 201 is stored, nothing half-written, integrity and audit chain hold" {
	token=$ADMIN_TOKEN
	: >"$BATS_TEST_TMPDIR/answers"
	# Four writers, 60 creates each, recording the answer to every request.
	for w in 1 2 3 4; do
		(
			for i in $(seq 60); do
				n="crash-$w-$i"
				c=$(curl -s -o "$BATS_TEST_TMPDIR/b-$w" -w '%{http_code}' --max-time 20 -X POST "$BASE/admin/users/" \
					-H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
					--data "{\"username\":\"$n\",\"password\":\"longenough1\",\"email\":\"$n@example.com\"}")
				echo "$c $n" >>"$BATS_TEST_TMPDIR/answers"
			done
		) 3>&- &
	done
	# Meanwhile, kill a random worker every 150 ms; the master starts a new one.
	kills=0
	while [ "$(jobs -r | wc -l)" -gt 0 ] && [ $kills -lt 40 ]; do
		sleep 0.15
		victim=$(pgrep -P "$(cat "$INST/gatehouse.pid")" | shuf -n 1)
		if [ -n "$victim" ] && kill -9 "$victim" 2>/dev/null; then kills=$((kills + 1)); fi
	done
	wait
	answered=$(grep -c '^201 ' "$BATS_TEST_TMPDIR/answers")
	echo "# $kills workers killed; $answered of 240 creates answered 201" >&3
	[ "$kills" -ge 5 ]
	[ "$answered" -ge 1 ]
	# Every create answered 201 is there.
	while read -r c n; do
		[ "$c" = 201 ] || continue
		[ "$(db "SELECT count(*) FROM users WHERE username = '$n'")" = 1 ] || { echo "lost: $n" >&2; return 1; }
	done <"$BATS_TEST_TMPDIR/answers"
	# No user without its role, its hash or its audit row; no audit row without its user.
	[ "$(db "SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.uid = u.uid)")" = 0 ]
	[ "$(db "SELECT count(*) FROM users WHERE password_hash IS NULL OR password_hash NOT LIKE '\$y\$%'")" = 0 ]
	[ "$(db "SELECT count(*) FROM users u WHERE u.username LIKE 'crash-%' AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.action = 'user.create' AND a.resource_id = u.id)")" = 0 ]
	[ "$(db "SELECT count(*) FROM audit a WHERE a.action = 'user.create' AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.resource_id)")" = 0 ]
	[ "$(db_integrity)" = ok ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	[ "$status" -eq 0 ]
	# And the service still answers.
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
}

@test "a read-only database file gives 503, not a crash, and service recovers when it is writable again" {
	sqlite_only "a read-only database file (PostgreSQL's outage: tests/bats/73-pg-down.bats)"
	stop_gatehouse
	chattr +i "$INST/gatehouse.db" 2>/dev/null || ci_skip "cannot make a file immutable here"
	start_gatehouse
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data '{"username":"read-only","password":"longenough1"}'
	chattr -i "$INST/gatehouse.db"
	[ "$code" = 503 ]
	[ -n "$(header Retry-After)" ]
	as_admin GET /auth/me/
	expect 200
	# Each worker reopens the database after a write found it read-only.
	for i in 1 2 3 4; do
		as_admin POST /admin/users/ -H 'Content-Type: application/json' --data '{"username":"writable-again","password":"longenough1"}'
		if [ "$code" = 201 ]; then break; fi
	done
	expect 201
	grep -q "read-only" "$INST/logs/gatehouse.log"
	no_500 "$INST/logs/access.log"
}

@test "a database locked past busy_timeout_ms gives 503 with Retry-After; a shorter lock is waited out" {
	sqlite_only "SQLite's database-wide write lock and busy_timeout_ms"
	# Another process holds the write lock for 1.5 s; the configured wait is 0.4 s.
	printf 'BEGIN IMMEDIATE;\n.shell sleep 1.5\nCOMMIT;\n' | sqlite3 "$INST/gatehouse.db" 3>&- &
	sleep 0.2
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data '{"username":"while-locked","password":"longenough1"}'
	[ "$code" = 503 ]
	[ "$(header Retry-After)" = 1 ]
	[ "$(jq -r .detail <<<"$body")" = "The database could not serve this request. Please retry." ]
	wait
	# A lock held for 0.1 s is waited out.
	printf 'BEGIN IMMEDIATE;\n.shell sleep 0.1\nCOMMIT;\n' | sqlite3 "$INST/gatehouse.db" 3>&- &
	sleep 0.02
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data '{"username":"after-lock","password":"longenough1"}'
	wait
	expect 201
	grep -q "database busy" "$INST/logs/gatehouse.log"
}

# Moves the instance's database onto a small tmpfs of its own (skips where mounting is not allowed).
small_disk() {
	SMALL=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-small.XXXXXX")
	mount -t tmpfs -o size=4m tmpfs "$SMALL" 2>/dev/null || { rmdir "$SMALL"; ci_skip "cannot mount a tmpfs here"; }
	echo "$SMALL" >"$BATS_FILE_TMPDIR/small"
	stop_gatehouse
	db ".backup '$SMALL/gatehouse.db'"
	sed -i "s|^database = .*|database = $SMALL/gatehouse.db|" "$INST/gatehouse.conf"
	start_gatehouse
	ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD")
}

@test "a full disk gives 503 with Retry-After, reads still work, and writes recover when space returns" {
	sqlite_only "the database file on a full disk"
	small_disk
	dd if=/dev/zero of="$SMALL/filler" bs=64k 2>/dev/null || true
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data '{"username":"no-space","password":"longenough1","email":"no-space@example.com"}'
	[ "$code" = 503 ]
	[ -n "$(header Retry-After)" ]
	[ "$(jq -r .title <<<"$body")" = "Service Unavailable" ]
	as_admin GET /auth/me/
	expect 200
	rm -f "$SMALL/filler"
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data '{"username":"space-again","password":"longenough1"}'
	expect 201
	[ "$(sqlite3 "$SMALL/gatehouse.db" 'PRAGMA integrity_check')" = ok ]
	no_500 "$INST/logs/access.log"
}

