#!/usr/bin/env bats
# GET /health: 200 {"status":"ok"} when the database answers a read, 503 otherwise; no credentials, no audit.

load helpers

setup_file() {
	start_instance
}

teardown_file() {
	stop_instance
}

workers() { pgrep -P "$(cat "$INST/gatehouse.pid")" | sort; }

# restart_workers: new workers open the database as it is now.
restart_workers() {
	local old
	old=$(workers)
	for w in $old; do kill -KILL "$w"; done
	for i in $(seq 100); do
		[ "$(workers | wc -l)" -eq 2 ] && [ -z "$(comm -12 <(echo "$old") <(workers))" ] && break
		sleep 0.05
	done
}

audit_rows() { db 'SELECT count(*) FROM audit'; }

@test "GET /health answers 200 {\"status\":\"ok\"} without credentials, with and without a slash" {
	for p in /health /health/; do
		req GET "$p"
		expect 200 '{"status":"ok"}'
		[ "$(header Content-Type)" = application/json ]
		[ "$(header Cache-Control)" = no-store ]
	done
	# Credentials, even bad ones, change nothing: nothing is resolved.
	req GET /health -H 'Authorization: Bearer gat_not-a-token'
	expect 200 '{"status":"ok"}'
	req POST /health
	[ "$code" = 405 ]
	[ "$(header Allow)" = GET ]
}

@test "GET /health writes no audit row" {
	before=$(audit_rows)
	for i in 1 2 3; do req GET /health; done
	[ "$(audit_rows)" = "$before" ]
}

@test "a database that is gone or is not a database gives 503, and 200 once it is back" {
	sqlite_only "the database file moved away or overwritten (PostgreSQL's outage: tests/bats/73-pg-down.bats)"
	mv "$INST/gatehouse.db" "$INST/gatehouse.db.away"
	restart_workers
	req GET /health
	[ "$code" = 503 ]
	[ "$(jq -r .status <<<"$body")" = 503 ]
	[ -n "$(header Retry-After)" ]
	# Not a database at all.
	head -c 8192 /dev/urandom >"$INST/gatehouse.db"
	restart_workers
	req GET /health
	[ "$code" = 503 ]
	[ "$(jq -r .title <<<"$body")" = "Service Unavailable" ]
	mv -f "$INST/gatehouse.db.away" "$INST/gatehouse.db"
	restart_workers
	req GET /health
	expect 200 '{"status":"ok"}'
}

@test "a read that fails in a running worker gives 503 from /health itself" {
	# The table /health reads is renamed away under the running workers, then back.
	db 'ALTER TABLE users RENAME TO users_away'
	req GET /health
	db 'ALTER TABLE users_away RENAME TO users'
	[ "$code" = 503 ]
	[ "$(jq -r .detail <<<"$body")" = "The database does not answer" ]
	req GET /health
	expect 200 '{"status":"ok"}'
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	[ "$code" = 200 ]
}
