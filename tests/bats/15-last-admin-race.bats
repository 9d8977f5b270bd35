#!/usr/bin/env bats
# The last-admin rule on every endpoint that can reach it. An admin cannot act on his own account, so the last
# active admin can only be demoted, disabled or deleted by another admin acting at the same moment as the last
# but one: two admins, each aiming at the other, at once, with four workers on one SQLite file. Each round must
# leave an active admin, with exactly one of the two requests done; the loser is refused by the rule with the
# contract's status and text, or as a caller who is no longer an admin (401 disabled or deleted, 403 demoted).
# Since every write re-checks its caller under the write lock (tx_begin), the loser is always refused the second
# way over HTTP; the rule itself is reached from the command line, whose operator has no account
# (44-ctl-users.bats).
# (09-invariants.bats races deactivate for thirty rounds without the lock; here every endpoint, six rounds each.)

load helpers

setup_file() { start_instance --workers 4; }
teardown_file() { stop_instance; }

ROUNDS=6

# race NAME METHOD SUFFIX BODY OK_STATUS RULE_STATUS RULE_DETAIL LATE_STATUSES
race() {
	local name=$1 method=$2 suffix=$3 data=$4 ok=$5 rule=$6 detail=$7 late=$8
	local ctl="$GATEHOUSE_BIN/gatehousectl -c $INST/gatehouse.conf" i ta tb ida idb codes active c both=0 args
	for i in $(seq "$ROUNDS"); do
		printf 'pw-a-%s-long\n' "$i" | $ctl create-admin -s "$name-a$i" >/dev/null
		printf 'pw-b-%s-long\n' "$i" | $ctl create-admin -s "$name-b$i" >/dev/null
		ta=$(login_token "$name-a$i" "pw-a-$i-long")
		tb=$(login_token "$name-b$i" "pw-b-$i-long")
		ida=$(db "SELECT id FROM users WHERE username = '$name-a$i'")
		idb=$(db "SELECT id FROM users WHERE username = '$name-b$i'")
		# Only these two are active admins now.
		db "UPDATE users SET status = 'disabled' WHERE username NOT IN ('$name-a$i', '$name-b$i')"
		# Another process holds the write lock for 0.4 s (under the busy timeout): both requests authenticate (WAL
		# readers are not blocked) and then queue for the write, so the rule, not the order of arrival, decides.
		hold_write_lock 0.4
		sleep 0.1
		args=(-X "$method")
		[ "$data" = - ] || args+=(-H 'Content-Type: application/json' --data "$data")
		curl -s -o "$BATS_TEST_TMPDIR/ra" -w '%{http_code}' --max-time 20 "${args[@]}" "$BASE/admin/users/$idb$suffix" \
			-H "Authorization: Bearer $ta" >"$BATS_TEST_TMPDIR/ca" &
		curl -s -o "$BATS_TEST_TMPDIR/rb" -w '%{http_code}' --max-time 20 "${args[@]}" "$BASE/admin/users/$ida$suffix" \
			-H "Authorization: Bearer $tb" >"$BATS_TEST_TMPDIR/cb" &
		wait
		codes="$(cat "$BATS_TEST_TMPDIR/ca") $(cat "$BATS_TEST_TMPDIR/cb")"
		active=$(db "SELECT count(*) FROM users u JOIN user_roles r ON r.uid = u.uid WHERE r.role_id = 1 AND u.status = 'active'")
		[ "$active" -ge 1 ] || fail "$name round $i: no active admin left ($codes)"
		[ "$codes" != "$ok $ok" ] || fail "$name round $i: both succeeded"
		[[ " $codes " == *" $ok "* ]] || fail "$name round $i: neither succeeded ($codes)"
		for c in $codes; do
			[[ " $ok $rule $late " == *" $c "* ]] || fail "$name round $i: unexpected status in $codes: $(cat "$BATS_TEST_TMPDIR/ra" "$BATS_TEST_TMPDIR/rb")"
		done
		if [[ " $codes " == *" $rule "* ]]; then
			for f in ra rb; do
				if [ "$(cat "$BATS_TEST_TMPDIR/c${f#r}")" = "$rule" ]; then
					[ "$(jq -r .detail "$BATS_TEST_TMPDIR/$f")" = "$detail" ] ||
						fail "$name round $i: want \"$detail\", got $(cat "$BATS_TEST_TMPDIR/$f")"
				fi
			done
			both=$((both + 1))
		fi
	done
	echo "# $name: rounds where the rule refused one of two admins acting at once: $both of $ROUNDS" >&3
	# Put the suite's admin back for the next race.
	db "UPDATE users SET status = 'active' WHERE username = 'admin'"
}

@test "last admin: PATCH role to viewer by two admins at once leaves an admin, one request done" {
	race demote PATCH "" '{"role":"viewer"}' 200 409 "Cannot demote the last admin user" "401 403"
}

@test "last admin: PATCH status disabled by two admins at once leaves an admin, one request done" {
	race pstatus PATCH "" '{"status":"disabled"}' 200 409 "Cannot deactivate the last admin user" 401
}

@test "last admin: PATCH is_active false by two admins at once leaves an admin, one request done" {
	race pactive PATCH "" '{"is_active":false}' 200 409 "Cannot deactivate the last admin user" 401
}

@test "last admin: deactivate by two admins at once leaves an admin, one request done" {
	race deact POST /deactivate/ - 200 400 "Cannot deactivate the last admin user" 401
}

@test "last admin: DELETE by two admins at once leaves an admin, one request done" {
	race delete DELETE "" - 204 400 "Cannot delete the last admin user" 401
}

@test "after the races: no request answered 500, the database and the audit chain are intact" {
	no_500 "$INST/logs/access.log"
	[ "$(db_integrity)" = ok ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	assert_status 0
}
