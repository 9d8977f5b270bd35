#!/usr/bin/env bats
# What bounds a client that is allowed in: the reference's per-route limits (admin writes, refresh, register),
# the cap on live logins per user, the bound on a login's rotated sessions, and pruning without an operator.

load helpers

setup_file() {
	start_instance --set registration=on --set trusted_proxies=127.0.0.1 --set rate_limit_admin_writes=3 \
		--set rate_limit_refresh=2 --set rate_limit_register=2 --set max_sessions_per_user=3 \
		--set prune_interval=1
}
teardown_file() { stop_instance; }
# max_sessions_per_user = 3 ends older admin logins too: each test logs in afresh.
setup() { ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD"); }

# login_pair NAME PASSWORD [ADDR]: sets ACCESS and REFRESH.
login_pair() {
	local out
	out=$(curl -s --max-time 20 -X POST "$BASE/auth/login" -H "X-Forwarded-For: ${3:-192.0.2.1}" \
		--data-urlencode "username=$1" --data-urlencode "password=$2")
	ACCESS=$(jq -r .access_token <<<"$out")
	REFRESH=$(jq -r .refresh_token <<<"$out")
	[[ $ACCESS =~ ^gat_[A-Za-z0-9_-]{43}$ ]] || fail "login $1: $out"
}

# write CLASS ADDR N: the Nth request of a route class from client ADDR; sets $code.
write() {
	local a=(-H "X-Forwarded-For: $2")
	case $1 in
	admin) as_admin POST /admin/users/ "${a[@]}" -H 'Content-Type: application/json' \
		--data "{\"username\":\"lim-$2-$3\",\"password\":\"limit-pass-1\",\"role\":\"viewer\"}" ;;
	register) req POST /auth/register/ "${a[@]}" -H 'Content-Type: application/json' \
		--data "{\"username\":\"reg-$2-$3\",\"password\":\"limit-pass-1\"}" ;;
	refresh) login_pair admin "$ADMIN_PASSWORD" 192.0.2.250
		req POST /auth/refresh/ "${a[@]}" -H 'Content-Type: application/json' \
			--data "{\"refresh_token\":\"$REFRESH\"}" ;;
	esac
}

@test "per-route limits: admin writes, refresh and register get 429 with Retry-After past their limit, per client" {
	while read -r class limit ok; do
		for i in $(seq "$limit"); do
			write "$class" 198.51.100.1 "$i"
			[ "$code" = "$ok" ] || { echo "$class #$i: $code $body" >&2; return 1; }
		done
		write "$class" 198.51.100.1 over
		[ "$code" = 429 ] || { echo "$class over the limit: $code" >&2; return 1; }
		[ "$(jq -r .title <<<"$body")" = "Too Many Requests" ]
		wait=$(header Retry-After)
		[ "$wait" -ge 1 ]
		[ "$wait" -le 60 ]
		write "$class" 198.51.100.2 1	# another client has its own count
		[ "$code" = "$ok" ] || { echo "$class from another address: $code" >&2; return 1; }
	done <<-'TABLE'
	admin 3 201
	register 2 201
	refresh 2 200
	TABLE
	ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD")	# the refresh rows' logins ended the older ones
	as_admin GET /admin/users/ -H "X-Forwarded-For: 198.51.100.1"	# reads are not limited
	expect 200
}

@test "a loop of logins keeps at most max_sessions_per_user sessions; the oldest logins end" {
	create_user looper 'looper-pass-1' viewer
	login_pair looper looper-pass-1
	first=$ACCESS
	for i in $(seq 40); do login_pair looper looper-pass-1; done
	n=$(db "SELECT count(*) FROM sessions s JOIN users u ON u.uid = s.uid WHERE u.username = 'looper'")
	[ "$n" = 3 ]
	req GET /auth/me/ -H "Authorization: Bearer $ACCESS"
	expect 200
	req GET /auth/me/ -H "Authorization: Bearer $first"
	[ "$code" = 401 ]
	# logins and logouts: revoked sessions do not pile up either
	for i in $(seq 10); do
		login_pair looper looper-pass-1
		req POST /auth/logout/ -H "Authorization: Bearer $ACCESS"
		expect 204
	done
	login_pair looper looper-pass-1
	n=$(db "SELECT count(*) FROM sessions s JOIN users u ON u.uid = s.uid WHERE u.username = 'looper'")
	[ "$n" -le 3 ]
}

@test "a loop of refreshes keeps a bounded number of a login's rotated sessions" {
	create_user refresher 'refresher-pass-1' viewer
	login_pair refresher refresher-pass-1
	for i in $(seq 30); do
		out=$(curl -s -X POST "$BASE/auth/refresh/" -H "X-Forwarded-For: 198.51.100.$((100 + i))" \
			-H 'Content-Type: application/json' --data "{\"refresh_token\":\"$REFRESH\"}")
		REFRESH=$(jq -r .refresh_token <<<"$out")
		[[ $REFRESH =~ ^grt_[A-Za-z0-9_-]{43}$ ]] || { echo "refresh $i: $out" >&2; return 1; }
	done
	n=$(db "SELECT count(*) FROM sessions s JOIN users u ON u.uid = s.uid WHERE u.username = 'refresher'")
	[ "$n" -le 9 ]
	req GET /auth/me/ -H "Authorization: Bearer $(jq -r .access_token <<<"$out")"
	expect 200
}

@test "expired sessions and stale throttle rows are pruned by the workers, without an operator" {
	uid=$(db "SELECT uid FROM users WHERE username = 'admin'")
	db "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700)
	    INSERT INTO sessions (uid, access_digest, access_expires_at, refresh_digest, refresh_expires_at, created_at)
	    SELECT $uid, $(sql_random_bytes 32), 1, $(sql_random_bytes 32), 2, 1 FROM n;
	    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600)
	    INSERT INTO throttle (key, failures, window_start, blocked_until, expires_at)
	    SELECT 'address:stale-' || i, 1, 1, 0, 2 FROM n;"
	for i in $(seq 60); do
		sleep 0.3
		req GET /auth/config/
		left=$(db "SELECT (SELECT count(*) FROM sessions WHERE refresh_expires_at = 2) +
			(SELECT count(*) FROM throttle WHERE key LIKE 'address:stale-%')")
		[ "$left" != 0 ] || break
	done
	[ "$left" = 0 ]
	grep -q 'pruned [0-9]* sessions and [0-9]* throttle rows' "$INST/logs/gatehouse.log"
}

@test "the per-route limits switch off with 0" {
	sed -i 's/^rate_limit_admin_writes = 3/rate_limit_admin_writes = 0/' "$INST/gatehouse.conf"
	stop_gatehouse
	start_gatehouse
	for i in 1 2 3 4 5; do
		write admin 198.51.100.9 "$i"
		[ "$code" = 201 ] || { echo "#$i: $code" >&2; return 1; }
	done
}

@test "refresh-token reuse within the grace, logins and site logins in parallel never pass max_sessions_per_user" {
	# Each refresh of one token within refresh_reuse_grace forks the login into another live session; those,
	# password logins and site logins all count toward the cap, in the transaction that creates them.
	sed -i '/^workers *=/d' "$INST/gatehouse.conf"
	echo 'workers = 4' >>"$INST/gatehouse.conf"
	stop_gatehouse
	start_gatehouse
	create_user forker 'forker-pass-1' viewer
	T=$BATS_TEST_TMPDIR
	live() {
		db "SELECT count(*) FROM sessions s JOIN users u ON u.uid = s.uid WHERE u.username = 'forker'
			AND s.revoked_at IS NULL AND s.rotated_at IS NULL AND s.refresh_expires_at > $(date +%s%6N)"
	}
	# One after another first: five refreshes of one token within the grace, then five site logins.
	login_pair forker forker-pass-1 192.0.2.99
	for w in 1 2 3 4 5; do
		req POST /auth/refresh/ -H "X-Forwarded-For: 198.51.100.$((200 + w))" -H 'Content-Type: application/json' \
			--data "{\"refresh_token\":\"$REFRESH\"}"
		[ "$code" = 200 ] || fail "refresh $w: $code $body"
	done
	[ "$(live)" = 3 ] || fail "after five refreshes of one token: $(live) live sessions"
	for w in 1 2 3 4 5; do
		req POST /auth/login -H "X-Forwarded-For: 192.0.2.99" -H 'X-Gatehouse-Auth-Mode: session' \
			--data-urlencode username=forker --data-urlencode password=forker-pass-1
		[ "$code" = 200 ] || fail "site login $w: $code $body"
	done
	[ "$(live)" = 3 ] || fail "after five site logins: $(live) live sessions"
	for round in $(seq 8); do
		rm -f "$T"/out.*
		login_pair forker forker-pass-1 "192.0.2.$round"
		pids=()
		for w in 1 2 3 4 5 6; do
			curl -s --max-time 20 -o "$T/out.refresh$w" -w '%{http_code}' -X POST "$BASE/auth/refresh/" \
				-H "X-Forwarded-For: 198.51.100.$((round * 10 + w))" -H 'Content-Type: application/json' \
				--data "{\"refresh_token\":\"$REFRESH\"}" >"$T/out.refresh$w.code" &
			pids+=($!)
		done
		for w in 1 2; do
			curl -s --max-time 20 -o "$T/out.login$w" -w '%{http_code}' -X POST "$BASE/auth/login" \
				-H "X-Forwarded-For: 192.0.2.$round" --data-urlencode username=forker \
				--data-urlencode password=forker-pass-1 >"$T/out.login$w.code" &
			pids+=($!)
			curl -s --max-time 20 -o /dev/null -D "$T/out.site$w" -w '%{http_code}' -X POST "$BASE/auth/login" \
				-H "X-Forwarded-For: 192.0.2.$round" -H 'X-Gatehouse-Auth-Mode: session' \
				--data-urlencode username=forker --data-urlencode password=forker-pass-1 >"$T/out.site$w.code" &
			pids+=($!)
		done
		wait "${pids[@]}"	# not a bare wait: the gatehouse restarted above is this shell's child too
		# Logins get in; a refresh may find its login already ended by the cap (401), never anything else.
		for f in "$T"/out.*.code; do
			c=$(cat "$f")
			[[ $c == 200 || $c == 401 && $f == */out.refresh* ]] || fail "round $round: $(basename "$f" .code) answered $c"
		done
		n=$(live)
		[ "$n" -le 3 ] || fail "round $round: $n live sessions"
		# Over HTTP: of the ten credentials this round minted, at most three still work.
		working=0
		for w in 1 2 3 4 5 6; do
			[ "$(cat "$T/out.refresh$w.code")" = 200 ] || continue
			c=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" \
				-H "Authorization: Bearer $(jq -r .access_token "$T/out.refresh$w")")
			[ "$c" != 200 ] || working=$((working + 1))
		done
		for w in 1 2; do
			c=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" \
				-H "Authorization: Bearer $(jq -r .access_token "$T/out.login$w")")
			[ "$c" != 200 ] || working=$((working + 1))
			sid=$(grep -i '^Set-Cookie: gatehouse_session=' "$T/out.site$w" | sed 's/^[^=]*=//; s/;.*//' | tr -d '\r')
			c=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/verify" -H "Cookie: gatehouse_session=$sid")
			[ "$c" != 200 ] || working=$((working + 1))
		done
		[ "$working" -le 3 ] || fail "round $round: $working of the credentials minted in parallel work"
	done
}

@test "audit_retention bounds the audit trail without an operator; what is kept still verifies" {
	# Each login adds its audit row (about 340 bytes); with audit_retention the workers remove the older ones.
	sed -i '/^audit_retention *=/d' "$INST/gatehouse.conf"
	echo 'audit_retention = 2' >>"$INST/gatehouse.conf"
	stop_gatehouse
	start_gatehouse
	create_user retained 'retained-pass-1' viewer
	for i in $(seq 30); do login_pair retained retained-pass-1; done
	n=$(db 'SELECT count(*) FROM audit')
	sleep 2.2
	for i in $(seq 40); do
		login_pair retained retained-pass-1
		if grep -q 'pruned [0-9]* audit rows older than audit_retention' "$INST/logs/gatehouse.log"; then break; fi
		sleep 0.3
	done
	grep 'pruned [0-9]* audit rows' "$INST/logs/gatehouse.log"
	left=$(db 'SELECT count(*) FROM audit')
	[ "$left" -lt "$n" ] || fail "audit rows: $n before, $left after"
	echo "# audit rows: $n right after 31 logins (pruned as they went), $left once 2 s passed (audit_retention = 2)" >&3
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'audit.prune'")" -ge 1 ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	echo "$output"
	[ "$status" -eq 0 ]
	sed -i '/^audit_retention *=/d' "$INST/gatehouse.conf"
	stop_gatehouse
	start_gatehouse
}
