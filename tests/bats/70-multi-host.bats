#!/usr/bin/env bats
# Several hosts, one user base: two gatehouse instances, each behind its own nginx on its own port, serve one
# database with one audit key, as two hosts behind a load balancer do. On PostgreSQL (GATEHOUSE_TEST_DATABASE=
# postgresql) that is the deployment of README "Several hosts"; on SQLite the two instances share one file on
# one host, and the same invariants must hold between their processes. Nothing a host keeps in memory may
# outlive a write made through the other: a disable, a role change, a name, the last admin, the audit chain.

load helpers

ROUNDS=15

setup_file() {
	start_instance --workers 3
	A_INST=$INST A_PORT=$PORT A_BASE=$BASE A_DATABASE=$DATABASE A_OWN=$OWN_DATABASE
	export A_INST A_PORT A_BASE A_DATABASE A_OWN
	# The second host: the same database and the same audit key, its own folder, workers and nginx.
	start_instance --workers 3 --database "$A_DATABASE" --set "audit_key_file=$A_INST/gatehouse-audit.key"
	B_INST=$INST B_PORT=$PORT B_BASE=$BASE B_OWN=$OWN_DATABASE
	export B_INST B_PORT B_BASE B_OWN
}

teardown_file() {
	INST=${B_INST:-} OWN_DATABASE=0 stop_instance
	INST=${A_INST:-} DATABASE=${A_DATABASE:-} OWN_DATABASE=${A_OWN:-1} stop_instance
}

# on A|B: the requests that follow (req, as_admin, login_token, create_user) go to that host.
on() {
	case $1 in
	A) INST=$A_INST PORT=$A_PORT BASE=$A_BASE ;;
	B) INST=$B_INST PORT=$B_PORT BASE=$B_BASE ;;
	esac
	DATABASE=$A_DATABASE
}

setup() { on A; }

ctl() { "$GATEHOUSE_BIN/gatehousectl" -c "$A_INST/gatehouse.conf" "$@"; }

@test "the two hosts serve one database: what one creates, the other sees and logs in" {
	on A
	id=$(create_user both-hosts 'both-hosts-pass-1' viewer)
	on B
	[ "$A_BASE" != "$B_BASE" ]
	as_admin GET "/admin/users/$id"
	expect 200
	[ "$(jq -r .username <<<"$body")" = both-hosts ]
	login_ok both-hosts 'both-hosts-pass-1'
}

@test "a user disabled through one host is refused by the other on the very next request, both ways" {
	for i in $(seq 6); do
		if [ $((i % 2)) -eq 1 ]; then from=A to=B; else from=B to=A; fi
		on "$from"
		id=$(create_user "dis-$i" "dis-pass-$i-long" editor)
		on "$to"
		token=$(login_token "dis-$i" "dis-pass-$i-long")
		req GET /auth/me/ -H "Authorization: Bearer $token"
		expect 200
		on "$from"
		as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"is_active":false}'
		expect 200
		on "$to"
		req GET /auth/me/ -H "Authorization: Bearer $token"
		problem 401 "Could not validate credentials"
		req POST /auth/login --data-urlencode "username=dis-$i" --data-urlencode "password=dis-pass-$i-long"
		problem 403 "Account not active"
	done
}

@test "a role taken away through one host is gone on the other on the very next request" {
	on A
	id=$(create_user demoted-x 'demoted-x-pass-1' admin)
	on B
	token=$(login_token demoted-x 'demoted-x-pass-1')
	req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data '{"username":"by-demoted-1","password":"longenough1"}'
	expect 201
	on A
	as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"role":"viewer"}'
	expect 200
	on B
	req POST /admin/users/ -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
		--data '{"username":"by-demoted-2","password":"longenough1"}'
	problem 403 "Missing permission: manage_users"
}

@test "a logout through one host ends the session on the other" {
	on A
	create_user leaver-x 'leaver-x-pass-1' viewer >/dev/null
	token=$(login_token leaver-x 'leaver-x-pass-1')
	on B
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
	on A
	req POST /auth/logout/ -H "Authorization: Bearer $token"
	expect 204
	on B
	req GET /auth/me/ -H "Authorization: Bearer $token"
	[ "$code" = 401 ]
}

@test "two admins on different hosts disabling each other at once always leave an active admin ($ROUNDS rounds)" {
	both=0
	for i in $(seq "$ROUNDS"); do
		printf 'pw-a-%s-long\n' "$i" | ctl create-admin -s "mh-a$i" >/dev/null
		printf 'pw-b-%s-long\n' "$i" | ctl create-admin -s "mh-b$i" >/dev/null
		on A
		ta=$(login_token "mh-a$i" "pw-a-$i-long")
		on B
		tb=$(login_token "mh-b$i" "pw-b-$i-long")
		ida=$(db "SELECT id FROM users WHERE username = 'mh-a$i'")
		idb=$(db "SELECT id FROM users WHERE username = 'mh-b$i'")
		# Only these two are active admins now.
		db "UPDATE users SET status = 'disabled' WHERE username NOT IN ('mh-a$i', 'mh-b$i')"
		# Both requests are sent while another process holds the write lock: each host authenticates its caller
		# and then waits for the write, so the two checks-then-writes meet as closely as they can.
		hold_write_lock 0.3
		sleep 0.1
		curl -s -o "$BATS_TEST_TMPDIR/ra" -w '%{http_code}' --max-time 20 -X PATCH "$A_BASE/admin/users/$idb" \
			-H "Authorization: Bearer $ta" -H 'Content-Type: application/json' --data '{"is_active":false}' \
			>"$BATS_TEST_TMPDIR/ca" &
		curl -s -o "$BATS_TEST_TMPDIR/rb" -w '%{http_code}' --max-time 20 -X PATCH "$B_BASE/admin/users/$ida" \
			-H "Authorization: Bearer $tb" -H 'Content-Type: application/json' --data '{"is_active":false}' \
			>"$BATS_TEST_TMPDIR/cb" &
		wait
		codes="$(cat "$BATS_TEST_TMPDIR/ca") $(cat "$BATS_TEST_TMPDIR/cb")"
		active=$(db "SELECT count(*) FROM users u JOIN user_roles r ON r.uid = u.uid WHERE r.role_id = 1 AND u.status = 'active'")
		[ "$active" -ge 1 ] || fail "round $i: no active admin left ($codes)"
		[ "$codes" != "200 200" ] || fail "round $i: both succeeded"
		[[ " $codes " == *" 200 "* ]] || fail "round $i: neither succeeded ($codes): $(cat "$BATS_TEST_TMPDIR/ra" "$BATS_TEST_TMPDIR/rb")"
		# The loser is refused by the rule (409) or, checked after the winner's commit, as a disabled caller (401).
		for c in $codes; do
			[[ $c == 200 || $c == 409 || $c == 401 ]] ||
				fail "round $i: $codes: $(cat "$BATS_TEST_TMPDIR/ra" "$BATS_TEST_TMPDIR/rb")"
		done
		if [[ $codes == *409* ]]; then
			grep -h -q '"Cannot deactivate the last admin user"' "$BATS_TEST_TMPDIR/ra" "$BATS_TEST_TMPDIR/rb"
			both=$((both + 1))
		fi
	done
	echo "# rounds where the rule itself refused one of the two: $both of $ROUNDS" >&3
	db "UPDATE users SET status = 'active' WHERE username = 'admin'"
}

@test "the same name created at once through both hosts in different cases: one 201, one 409 ($ROUNDS rounds)" {
	db "UPDATE users SET status = 'active' WHERE username = 'admin'"
	for i in $(seq "$ROUNDS"); do
		curl -s -o "$BATS_TEST_TMPDIR/ba" -w '%{http_code}' --max-time 20 -X POST "$A_BASE/admin/users/" \
			-H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
			--data "{\"username\":\"same$i\",\"password\":\"longenough1\"}" >"$BATS_TEST_TMPDIR/a" &
		curl -s -o "$BATS_TEST_TMPDIR/bb" -w '%{http_code}' --max-time 20 -X POST "$B_BASE/admin/users/" \
			-H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
			--data "{\"username\":\"SAME$i\",\"password\":\"longenough1\"}" >"$BATS_TEST_TMPDIR/b" &
		wait
		codes=$(printf '%s\n' "$(cat "$BATS_TEST_TMPDIR/a")" "$(cat "$BATS_TEST_TMPDIR/b")" | sort | tr '\n' ' ')
		[ "$codes" = "201 409 " ] || fail "round $i: $codes: $(cat "$BATS_TEST_TMPDIR/ba" "$BATS_TEST_TMPDIR/bb")"
		[ "$(db "SELECT count(*) FROM users WHERE username_key = 'same$i'")" = 1 ]
	done
	# An email too: the same address in another case through the other host is taken.
	on A
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data '{"username":"mail-a","password":"longenough1","email":"shared@example.com"}'
	expect 201
	on B
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data '{"username":"mail-b","password":"longenough1","email":"Shared@EXAMPLE.com"}'
	[ "$code" = 409 ] || fail "email taken through the other host: $code $body"
}

@test "failed logins through both hosts count toward one throttle" {
	on A
	create_user throttled-x 'throttled-x-pass-1' viewer >/dev/null
	# Wrong passwords alternately through each host until the account is locked; a lock seen by one host alone
	# would let the attacker double his guesses by spreading them.
	locked=""
	for i in $(seq 40); do
		if [ $((i % 2)) -eq 1 ]; then on A; else on B; fi
		req POST /auth/login --data-urlencode username=throttled-x --data-urlencode "password=wrong-$i"
		if [ "$code" = 429 ]; then locked=$i; break; fi
		[ "$code" = 401 ] || fail "attempt $i: $code $body"
	done
	[ -n "$locked" ] || fail "40 failed logins through two hosts never locked the account"
	# Locked for both hosts now.
	for h in A B; do
		on "$h"
		req POST /auth/login --data-urlencode username=throttled-x --data-urlencode password=throttled-x-pass-1
		[ "$code" = 429 ] || fail "host $h: after the lock, $code $body"
		[ -n "$(header Retry-After)" ]
	done
	echo "# locked at attempt $locked, the attempts spread over both hosts" >&3
}

@test "the audit chain verifies after concurrent writes through both hosts, and both hosts read one head" {
	for w in 1 2 3 4; do
		(
			if [ $((w % 2)) -eq 1 ]; then b=$A_BASE; else b=$B_BASE; fi
			for i in $(seq 12); do
				curl -s -o /dev/null --max-time 20 -X POST "$b/admin/users/" -H "Authorization: Bearer $ADMIN_TOKEN" \
					-H 'Content-Type: application/json' --data "{\"username\":\"chain-$w-$i\",\"password\":\"longenough1\"}"
				curl -s -o /dev/null --max-time 20 -X POST "$b/auth/login" --data-urlencode "username=chain-$w-$i" \
					--data-urlencode password=wrong-password
			done
		) 3>&- &
	done
	wait
	[ "$(db "SELECT count(*) FROM users WHERE username LIKE 'chain-%'")" = 48 ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$A_INST/gatehouse.conf" verify-audit
	assert_status 0
	head_a=${lines[1]}
	run "$GATEHOUSE_BIN/gatehousectl" -c "$B_INST/gatehouse.conf" verify-audit
	assert_status 0
	[ "${lines[1]}" = "$head_a" ]
	# Each create has its audit row, once.
	[ "$(db "SELECT count(*) FROM audit a JOIN users u ON u.id = a.resource_id WHERE a.action = 'user.create' AND u.username LIKE 'chain-%'")" = 48 ]
}

@test "no request through either host answered 500, and the database is intact" {
	no_500 "$A_INST/logs/access.log"
	no_500 "$B_INST/logs/access.log"
	[ "$(db_integrity)" = ok ]
}
