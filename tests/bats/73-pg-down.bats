#!/usr/bin/env bats
# PostgreSQL going away under a running service: while the server is down every request that needs the database
# answers 503 with Retry-After in the contract's shape (never a 500, a hang or a crash loop); once it is back,
# the same workers reconnect and serve, without a restart. The file's own cluster (tests/pg-cluster.sh), so that
# stopping it touches no other test.

load helpers

setup_file() {
	pg_mode || return 0	# every test skips (setup)
	OWN_PG=$(mktemp -u "${TMPDIR:-/tmp}/gatehouse-pgdown.XXXXXX")
	export OWN_PG
	"$GATEHOUSE_SRC/tests/pg-cluster.sh" start "$OWN_PG" >/dev/null
	createdb -h "$OWN_PG" -U gatehouse down
	start_instance --workers 2 --database "postgresql:///down?host=$OWN_PG&user=gatehouse"
}

teardown_file() {
	pg_mode || return 0
	OWN_DATABASE=0 stop_instance
	"$GATEHOUSE_SRC/tests/pg-cluster.sh" stop "$OWN_PG"
}

setup() {
	pg_only "an outage of the PostgreSQL server"
}

workers() { pgrep -P "$(cat "$INST/gatehouse.pid")" | sort; }

@test "PostgreSQL stopped: 503 with Retry-After on every kind of request; started again: the same workers serve" {
	create_user downer 'downer-pass-1' viewer >/dev/null
	token=$(login_token downer 'downer-pass-1')
	before=$(workers)
	[ -n "$before" ]
	"$GATEHOUSE_SRC/tests/pg-cluster.sh" halt "$OWN_PG"
	# Each worker meets the outage on its own connection: enough requests of each kind that both do.
	for i in 1 2 3 4; do
		req GET /auth/me/ -H "Authorization: Bearer $token"
		[ "$code" = 503 ] || fail "while down: $code $body"
		jq -e '.type == "about:blank" and .title == "Service Unavailable" and .status == 503 and (.detail | type) == "string"' \
			<<<"$body" >/dev/null || fail "not the contract's shape: $body"
		[ "$(header Content-Type)" = application/json ]
		[[ $(header Retry-After) =~ ^[1-9][0-9]*$ ]] || fail "Retry-After: '$(header Retry-After)'"
		req POST /auth/login --data-urlencode username=downer --data-urlencode password=downer-pass-1
		[ "$code" = 503 ] || fail "login while down: $code $body"
		as_admin POST /admin/users/ -H 'Content-Type: application/json' --data "{\"username\":\"while-down-$i\",\"password\":\"longenough1\"}"
		[ "$code" = 503 ] || fail "create while down: $code $body"
		req GET /health
		[ "$code" = 503 ] || fail "health while down: $code $body"
	done
	# No worker died of it.
	[ "$(workers)" = "$before" ] || fail "workers changed while the database was down: $before -> $(workers)"
	"$GATEHOUSE_SRC/tests/pg-cluster.sh" resume "$OWN_PG"
	# Back: the first request of each worker may still find its old connection dead; within a few it is served.
	for i in $(seq 10); do
		req GET /auth/me/ -H "Authorization: Bearer $token"
		[ "$code" = 200 ] && break
		[ "$code" = 503 ] || fail "after the restart: $code $body"
		sleep 0.2
	done
	expect 200
	for i in 1 2 3 4 5 6; do
		req GET /auth/me/ -H "Authorization: Bearer $token"
		expect 200
	done
	login_ok downer 'downer-pass-1'
	create_user after-down 'after-down-pass-1' viewer >/dev/null
	[ "$(workers)" = "$before" ] || fail "workers were restarted: $before -> $(workers)"
	[ "$(db "SELECT count(*) FROM users WHERE username LIKE 'while-down-%'")" = 0 ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	assert_status 0
	no_500 "$INST/logs/access.log"
}

@test "a start while PostgreSQL is down says so and names the server; none is left half-started" {
	stop_gatehouse
	"$GATEHOUSE_SRC/tests/pg-cluster.sh" halt "$OWN_PG"
	run timeout 20 "$GATEHOUSE_BIN/gatehouse" -t -c "$INST/gatehouse.conf"
	"$GATEHOUSE_SRC/tests/pg-cluster.sh" resume "$OWN_PG"
	[ "$status" -eq 1 ] || fail "gatehouse -t with the server down: status $status, $output"
	[[ $output == *"$OWN_PG"* ]] || fail "the error does not name the server: $output"
	start_gatehouse
	req GET /health
	expect 200 '{"status":"ok"}'
}
