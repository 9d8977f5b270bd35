#!/usr/bin/env bats
# The keyed audit chain: HMAC-SHA-256 under a 0600 key file outside the database, made by gatehousectl init;
# a forger who recomputes the chain without the key is caught; a truncated tail is caught against an anchor;
# the head is logged at intervals; a chain written before keying is re-keyed once, with the migration recorded.

load helpers

setup_file() {
	start_instance --set audit_anchor_interval=1
}
teardown_file() { stop_instance; }

ctl() { "$GATEHOUSE_BIN/gatehousectl" "$@"; }
forge() { "$GATEHOUSE_BIN/tests/audit-forge" "$@"; }

# copy_db: a consistent copy of the instance's database in $C, with a configuration using the instance's key.
copy_db() {
	C=$BATS_TEST_TMPDIR/copy
	mkdir -p "$C"
	CDB=$(db_copy "$C/g.db")
	printf 'database = %s\naudit_key_file = %s\n' "$CDB" "$INST/gatehouse-audit.key" >"$C/g.conf"
}

# some_activity: a few audited writes.
some_activity() {
	create_user "act-$RANDOM-$RANDOM" 'activity-pass-1' viewer >/dev/null
	req POST /auth/login --data-urlencode username=nobody --data-urlencode password=wrong-password
}

@test "init makes the audit key 0600 beside the configuration, once; errors name the path" {
	D=$BATS_TEST_TMPDIR/fresh
	mkdir -p "$D"
	DBV=$(new_database "$D/g.db")
	printf 'database = %s\n' "$DBV" >"$D/g.conf"
	run ctl -c "$D/g.conf" init
	[ "$status" -eq 0 ]
	[[ $output == *"audit key $D/gatehouse-audit.key created (0600)"* ]]
	[ "$(stat -c %a "$D/gatehouse-audit.key")" = 600 ]
	grep -Eq '^[0-9a-f]{64}$' "$D/gatehouse-audit.key"
	key=$(cat "$D/gatehouse-audit.key")
	run ctl -c "$D/g.conf" init
	[ "$status" -eq 0 ]
	[[ $output != *created* ]]
	[ "$(cat "$D/gatehouse-audit.key")" = "$key" ]
	run ctl -c "$D/g.conf" verify-audit
	[ "$status" -eq 0 ]
	[[ $output == *"audit trail intact: 0 rows"* ]]
	[[ $output == *"head: 0:"* ]]

	# what goes wrong => what the error says (each names the key's path)
	printf 'database = %s\naudit_key_file = %s\n' "$DBV" "$D/no/such/dir/k" >"$D/bad.conf"
	run ctl -c "$D/bad.conf" init
	[ "$status" -eq 1 ]
	[[ $output == *"cannot create the audit key $D/no/such/dir/k: No such file or directory"* ]]
	run ctl -c "$D/bad.conf" verify-audit
	[ "$status" -eq 1 ]
	[[ $output == *"cannot read the audit key $D/no/such/dir/k: No such file or directory; create it with: gatehousectl init"* ]]
	run "$GATEHOUSE_BIN/gatehouse" -t -c "$D/bad.conf"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot read the audit key $D/no/such/dir/k"* ]]
	chmod 644 "$D/gatehouse-audit.key"
	run ctl -c "$D/g.conf" verify-audit
	[ "$status" -eq 1 ]
	[[ $output == *"the audit key $D/gatehouse-audit.key is readable or writable by others (mode 0644)"* ]]
	chmod 600 "$D/gatehouse-audit.key"
	echo not-a-key >"$D/gatehouse-audit.key"
	run ctl -c "$D/g.conf" verify-audit
	[ "$status" -eq 1 ]
	[[ $output == *"the audit key $D/gatehouse-audit.key is not 64 hexadecimal digits"* ]]
}

@test "a row edited and the chain recomputed with plain SHA-256 (no key) is caught" {
	sqlite_only "tests/audit-forge rewrites a SQLite file"
	some_activity
	copy_db
	run ctl -c "$C/g.conf" verify-audit
	[ "$status" -eq 0 ]
	[[ $output == *"audit trail intact"* ]]
	forge edit "$C/g.db" 2 user.read
	run ctl -c "$C/g.conf" verify-audit
	[ "$status" -eq 1 ]
	[[ $output == *"audit row 1: its contents do not match its keyed digest"* ]]
	# the same forgery under the key it does not have: another key is no better
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$C/other.key"
	echo >>"$C/other.key"
	chmod 600 "$C/other.key"
	printf 'database = %s\naudit_key_file = %s\n' "$C/g.db" "$C/other.key" >"$C/other.conf"
	run ctl -c "$C/other.conf" verify-audit
	[ "$status" -eq 1 ]
}

@test "a truncated tail is caught against an anchor taken before; a rewritten one too" {
	some_activity
	run ctl -c "$INST/gatehouse.conf" verify-audit
	[ "$status" -eq 0 ]
	anchor=$(sed -n 's/^head: //p' <<<"$output")
	[[ $anchor =~ ^[0-9]+:[0-9a-f]{64}$ ]]
	some_activity
	some_activity
	run ctl -c "$INST/gatehouse.conf" verify-audit --anchor "$anchor"
	[ "$status" -eq 0 ]
	[[ $output == *"anchor $anchor: held by the chain"* ]]
	copy_db
	row=${anchor%%:*}
	db_at "$CDB" "DELETE FROM audit WHERE id >= $((row - 1))"
	run ctl -c "$C/g.conf" verify-audit	# without the anchor, a shorter chain looks whole
	[ "$status" -eq 0 ]
	run ctl -c "$C/g.conf" verify-audit --anchor "$anchor"
	[ "$status" -eq 1 ]
	[[ $output == *"rows were removed from the end of the chain (truncated)"* ]]
	run ctl -c "$INST/gatehouse.conf" verify-audit --anchor "$row:$(printf '%064d' 0)"
	[ "$status" -eq 1 ]
	[[ $output == *"the chain was rewritten"* ]]
	run ctl -c "$INST/gatehouse.conf" verify-audit --anchor "not-an-anchor"
	[ "$status" -eq 1 ]
	[[ $output == *"the anchor must be ROW:DIGEST"* ]]
}

@test "the head is logged at intervals, as an anchor verify-audit accepts" {
	for i in 1 2 3 4 5 6; do
		some_activity
		sleep 0.4
	done
	anchor=$(grep -o 'audit anchor [0-9]*:[0-9a-f]*' "$INST/logs/gatehouse.log" | tail -n 1 | cut -d' ' -f3)
	[ -n "$anchor" ]
	run ctl -c "$INST/gatehouse.conf" verify-audit --anchor "$anchor"
	[ "$status" -eq 0 ]
}

@test "a chain written before keying is re-keyed once from the start; the migration point is recorded" {
	sqlite_only "tests/audit-forge rewrites a SQLite file, and chains before keying are SQLite's alone"
	some_activity
	copy_db
	forge unkey "$C/g.db"
	rows=$(sqlite3 "$C/g.db" "SELECT count(*) FROM audit")
	run ctl -c "$C/g.conf" verify-audit	# opening with the key re-keys it
	[ "$status" -eq 0 ]
	[[ $output == *"audit trail intact: $((rows + 1)) rows"* ]]
	[ "$(sqlite3 "$C/g.db" "SELECT value FROM audit_meta WHERE key = 'chain'")" = hmac-sha256 ]
	[ "$(sqlite3 "$C/g.db" "SELECT value FROM audit_meta WHERE key = 'rekeyed_rows'")" = "$rows" ]
	old_head=$(sqlite3 "$C/g.db" "SELECT value FROM audit_meta WHERE key = 'unkeyed_head'")
	[[ $old_head =~ ^[0-9a-f]{64}$ ]]
	last=$(sqlite3 "$C/g.db" "SELECT action || ' ' || details FROM audit ORDER BY id DESC LIMIT 1")
	[ "$last" = "audit.rekey {\"rows\":$rows,\"unkeyed_head\":\"$old_head\",\"unkeyed_chain_intact\":true}" ]
	run ctl -c "$C/g.conf" verify-audit --anchor "$rows:$old_head"	# an anchor from before keying
	[ "$status" -eq 0 ]
	run ctl -c "$C/g.conf" init	# once: nothing more happens
	[ "$(sqlite3 "$C/g.db" "SELECT count(*) FROM audit WHERE action = 'audit.rekey'")" = 1 ]

	# an unkeyed chain that was already broken: re-keyed, but the break stays reported
	forge unkey "$C/g.db"
	sqlite3 "$C/g.db" "UPDATE audit SET action = 'user.read' WHERE id = 2"
	run ctl -c "$C/g.conf" verify-audit
	[ "$status" -eq 1 ]
	[[ $output == *"audit row 2: before it was keyed, the unkeyed chain was already broken here: its contents do not match its digest"* ]]
}

@test "audit_retention: old rows pruned with a keyed audit.prune row; the rest verifies; a start cut by hand is caught, never pruned over" {
	some_activity
	some_activity
	copy_db
	echo 'audit_retention = 1' >>"$C/g.conf"
	run ctl -c "$C/g.conf" verify-audit
	[ "$status" -eq 0 ]
	before=$(db_at "$CDB" 'SELECT count(*) FROM audit')
	sleep 1.2
	run ctl -c "$C/g.conf" prune
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"pruned $((before - 1)) audit rows older than audit_retention (1 s)"* ]]
	# Left: the head it could not remove, and the audit.prune row naming the new start.
	[ "$(db_at "$CDB" 'SELECT count(*) FROM audit')" = 2 ]
	[ "$(db_at "$CDB" "SELECT action FROM audit ORDER BY id DESC LIMIT 1")" = audit.prune ]
	base=$(db_at "$CDB" "SELECT details FROM audit WHERE action = 'audit.prune'" | jq -r .base)
	[ "${base%%:*}" = $((before - 1)) ]
	run ctl -c "$C/g.conf" verify-audit
	echo "$output"
	[ "$status" -eq 0 ]
	# An anchor older than what is kept says so; the last row pruned is still a valid anchor.
	run ctl -c "$C/g.conf" verify-audit --anchor "$base"
	[ "$status" -eq 0 ]
	run ctl -c "$C/g.conf" verify-audit --anchor "1:$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
	[ "$status" -eq 1 ]
	[[ $output == *"removed by audit_retention"* ]]
	# Rows cut from the start by hand (without the key, no audit.prune row can name the new start).
	for i in 1 2 3; do
		printf 'cut-pass-%s-long\n' "$i" | ctl -c "$C/g.conf" user add "cut$i" -r viewer -s >/dev/null
	done
	db_at "$CDB" 'DELETE FROM audit WHERE id <= (SELECT min(id) + 1 FROM audit)'
	run ctl -c "$C/g.conf" verify-audit
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"removed from the start of the chain"* ]]
	# And the prune refuses to remove the evidence.
	sleep 1.2
	run ctl -c "$C/g.conf" prune
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"no genuine audit.prune row records"* ]]
}
