#!/usr/bin/env bats
# Process models: pre-forked workers (restart, SIGTERM finishing the request in flight), spawn-fcgi, and a
# database that cannot be opened.

load helpers

setup_file() { start_instance --set hash_cost=10; }
teardown_file() {
	local f
	for f in spawn.pid nginx2.pid; do
		if [ -f "$INST/$f" ]; then kill "$(cat "$INST/$f")" 2>/dev/null || true; fi
	done
	stop_instance
}

workers() { pgrep -P "$(cat "$INST/gatehouse.pid")" | sort; }

@test "a worker killed with SIGKILL is replaced and service continues" {
	before=$(workers)
	[ "$(wc -l <<<"$before")" = 2 ]
	kill -9 "$(head -n 1 <<<"$before")"
	for i in $(seq 50); do if [ "$(workers | wc -l)" = 2 ] && [ "$(workers)" != "$before" ]; then break; fi; sleep 0.1; done
	[ "$(workers | wc -l)" = 2 ]
	[ "$(workers)" != "$before" ]
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	grep -q "killed by signal 9 (Killed); starting a new one" "$INST/logs/gatehouse.log"
}

@test "SIGTERM lets the request in flight finish, then everything exits" {
	# A login at yescrypt cost 10 takes long enough to be in flight when the signal comes.
	curl -s -o "$BATS_TEST_TMPDIR/slow" -w '%{http_code}' --max-time 30 -X POST "$BASE/auth/login" \
		--data-urlencode username=admin --data-urlencode "password=$ADMIN_PASSWORD" >"$BATS_TEST_TMPDIR/slow.code" &
	sleep 0.3
	master=$(cat "$INST/gatehouse.pid")
	kids=$(workers)
	kill -TERM "$master"
	wait
	[ "$(cat "$BATS_TEST_TMPDIR/slow.code")" = 200 ]
	[ "$(jq -r .token_type "$BATS_TEST_TMPDIR/slow")" = bearer ]
	for i in $(seq 50); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
	[ -n "$kids" ] || fail "no workers seen before SIGTERM"
	for p in $master $kids; do
		if kill -0 "$p" 2>/dev/null; then fail "process $p is still running after SIGTERM"; fi
	done
	[ ! -e "$INST/gatehouse.sock" ]
	# Start it again for the tests that follow.
	"$RUN" --bin "$GATEHOUSE_BIN" --port "$PORT" "$INST" >/dev/null
}

@test "under spawn-fcgi, with the socket on standard input" {
	need_tool spawn-fcgi
	sport=$(free_port)
	spawn-fcgi -s "$INST/spawn.sock" -P "$INST/spawn.pid" -F 1 -- \
		/usr/bin/env GATEHOUSE_CONFIG="$INST/gatehouse.conf" "$GATEHOUSE_BIN/gatehouse" --allow-root >/dev/null 3>&-
	sed -e "s|$INST/gatehouse.sock|$INST/spawn.sock|" -e "s|127.0.0.1:$PORT|127.0.0.1:$sport|" \
		-e "s|$INST/nginx.pid|$INST/nginx2.pid|" "$INST/nginx.conf" >"$INST/nginx2.conf"
	nginx -p "$INST" -c "$INST/nginx2.conf" -e "$INST/logs/nginx-error.log" </dev/null >/dev/null 2>&1 3>&-
	for i in $(seq 50); do if curl -s -o /dev/null "http://127.0.0.1:$sport/api/auth/me"; then break; fi; sleep 0.1; done
	out=$(curl -sS --max-time 20 -w '\n%{http_code}' "http://127.0.0.1:$sport/api/auth/me/" \
		-H "Authorization: Bearer $ADMIN_TOKEN")
	[ "$(tail -n 1 <<<"$out")" = 200 ]
	[ "$(sed '$d' <<<"$out" | jq -r .username)" = admin ]
}

@test "a database missing at start stops the start with the reason; one lost later gives 503, then service returns" {
	sqlite_only "the database file moved away (PostgreSQL's outage: tests/bats/73-pg-down.bats)"
	stop_gatehouse
	mv "$INST/gatehouse.db" "$INST/gatehouse.db.away"
	run "$GATEHOUSE_BIN/gatehouse" -c "$INST/gatehouse.conf" -l "$INST/gatehouse.sock" --allow-root
	[ "$status" -eq 1 ]
	[[ $output == *"database $INST/gatehouse.db does not exist; create it with: gatehousectl init"* ]]
	[ ! -e "$INST/gatehouse.pid" ]
	mv "$INST/gatehouse.db.away" "$INST/gatehouse.db"
	start_gatehouse
	# Lost while running: a worker that starts now cannot open it and answers 503 until it is back.
	mv "$INST/gatehouse.db" "$INST/gatehouse.db.away"
	for w in $(workers); do kill -KILL "$w"; done
	for i in $(seq 50); do [ "$(workers | wc -w)" -eq 2 ] && break; sleep 0.1; done
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	[ "$code" = 503 ]
	[ -n "$(header Retry-After)" ]
	[ "$(jq -r .status <<<"$body")" = 503 ]
	mv "$INST/gatehouse.db.away" "$INST/gatehouse.db"
	req GET /auth/me/ -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	grep -q "does not exist; create it with: gatehousectl init" "$INST/logs/gatehouse.log"
}
