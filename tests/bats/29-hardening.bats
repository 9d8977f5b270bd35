#!/usr/bin/env bats
# Hardening found by the security review: the client address is read from one header only (a proxy that sets
# X-Real-IP passes a client's own X-Forwarded-For through), bracketed and port forms parse, malformed entries
# end the walk; API keys are capped and rate limited; refresh-token reuse inside the grace cannot multiply
# sessions; a failed guess is counted before the hash, and a guess that cannot be counted is refused.

load helpers

setup_file() {
	start_instance --set trusted_proxies=127.0.0.1,10.0.0.0/8
}
teardown_file() { stop_instance; }

last_audit_ip() { db "SELECT coalesce(ip_address, '-') FROM audit ORDER BY id DESC LIMIT 1"; }

# with_setting KEY VALUE: restarts gatehouse (nginx and the database stay) with KEY = VALUE.
with_setting() {
	stop_gatehouse
	sed -i "/^$1 *=/d" "$INST/gatehouse.conf"
	echo "$1 = $2" >>"$INST/gatehouse.conf"
	start_gatehouse
}
with_header() { with_setting client_address_header "$1"; }

@test "the client address comes from the configured header only; bracketed and port forms parse; malformed entries end the walk" {
	# setting | request headers (;-separated) | the address audited (nginx's own peer is 127.0.0.1, trusted)
	n=0 cur=
	while IFS='|' read -r setting hdrs want; do
		[ -n "$setting" ] || continue
		if [ "$setting" != "$cur" ]; then with_header "$setting"; cur=$setting; fi
		n=$((n + 1))
		args=()
		IFS=';' read -ra hs <<<"$hdrs"
		for h in "${hs[@]}"; do args+=(-H "$h"); done
		code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/login" "${args[@]}" \
			--data-urlencode "username=hdr-probe-$n" --data-urlencode password=wrong-password)
		[ "$code" = 401 ] || { echo "$setting $hdrs: status $code" >&2; return 1; }
		got=$(last_audit_ip)
		[ "$got" = "$want" ] || { echo "$setting [$hdrs]: audited $got, want $want" >&2; return 1; }
	done <<-'TABLE'
	x-forwarded-for|X-Forwarded-For: 198.51.100.1|198.51.100.1
	x-forwarded-for|X-Real-IP: 198.51.100.2|127.0.0.1
	x-forwarded-for|X-Real-IP: 198.51.100.3;X-Forwarded-For: 203.0.113.3|203.0.113.3
	x-forwarded-for|X-Forwarded-For: [2001:db8:1:2::5]|2001:db8:1:2::5
	x-forwarded-for|X-Forwarded-For: [2001:db8:1:2::6]:4711|2001:db8:1:2::6
	x-forwarded-for|X-Forwarded-For: 198.51.100.7:4711|198.51.100.7
	x-forwarded-for|X-Forwarded-For: 192.0.2.8, [2001:db8::8]:80, 10.0.0.8|2001:db8::8
	x-forwarded-for|X-Forwarded-For: 192.0.2.9, [10.0.0.9]|127.0.0.1
	x-forwarded-for|X-Forwarded-For: 192.0.2.10, [2001:db8::10|127.0.0.1
	x-forwarded-for|X-Forwarded-For: 192.0.2.11, 198.51.100.11:|127.0.0.1
	x-forwarded-for|X-Forwarded-For: 192.0.2.12, 198.51.100.12:x|127.0.0.1
	x-forwarded-for|X-Forwarded-For: 192.0.2.13, [2001:db8::13/64]|127.0.0.1
	x-forwarded-for|X-Forwarded-For: 192.0.2.14, 198.51.100.14/32|127.0.0.1
	x-forwarded-for|X-Forwarded-For: 192.0.2.15, junk, 10.0.0.15|10.0.0.15
	x-forwarded-for|X-Forwarded-For: 192.0.2.16, [2001:db8::16]x|127.0.0.1
	x-real-ip|X-Real-IP: 198.51.100.20|198.51.100.20
	x-real-ip|X-Real-IP: 198.51.100.21;X-Forwarded-For: 203.0.113.21|198.51.100.21
	x-real-ip|X-Forwarded-For: 203.0.113.22|127.0.0.1
	x-real-ip|X-Real-IP: [2001:db8::23]|2001:db8::23
	x-real-ip|X-Real-IP: junk;X-Forwarded-For: 203.0.113.24|127.0.0.1
	X-Real-IP|X-Real-IP: 198.51.100.25|198.51.100.25
	TABLE
	with_header x-forwarded-for
}

@test "client_address_header refuses an unknown header, naming the file, line and setting" {
	printf 'database = %s\nclient_address_header = forwarded\n' "$BATS_TEST_TMPDIR/x.db" >"$BATS_TEST_TMPDIR/bad.conf"
	run "$GATEHOUSE_BIN/gatehouse" -t -c "$BATS_TEST_TMPDIR/bad.conf"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"bad.conf:2: client_address_header must be x-forwarded-for or x-real-ip"* ]]
}

# new_key TOKEN ADDR [ROUTE-ARGS]: POST /auth/api-keys/ as TOKEN from client ADDR; sets $code and $body.
new_key() {
	req POST /auth/api-keys/ -H "Authorization: Bearer $1" -H "X-Forwarded-For: $2" \
		-H 'Content-Type: application/json' --data '{"name":"k"}'
}

@test "max_api_keys_per_user: past it both create routes answer 409 naming the setting; revoked keys free a place" {
	with_setting max_api_keys_per_user 3
	uid=$(create_user keycap 'keycap-pass-1' viewer)
	tok=$(login_token keycap keycap-pass-1)
	for i in 1 2 3; do
		new_key "$tok" "198.51.100.$i"
		[ "$code" = 201 ] || { echo "key $i: $code $body" >&2; return 1; }
	done
	kid=$(jq -r .id <<<"$body")
	new_key "$tok" 198.51.100.4
	problem 409 "You already have 3 live API keys, the most max_api_keys_per_user allows; revoke one first"
	as_admin POST /admin/api-keys/ -H 'Content-Type: application/json' \
		--data "{\"name\":\"k\",\"user_id\":\"$uid\"}"
	problem 409 "The user already has 3 live API keys, the most max_api_keys_per_user allows; revoke one first"
	[ "$(db "SELECT count(*) FROM api_keys k JOIN users u ON u.uid = k.uid WHERE u.username = 'keycap'")" = 3 ]
	req DELETE "/auth/api-keys/$kid" -H "Authorization: Bearer $tok"
	[ "$code" = 204 ] || [ "$code" = 200 ]
	new_key "$tok" 198.51.100.5
	[ "$code" = 201 ]
}

@test "max_api_keys_per_user holds under parallel creates" {
	with_setting max_api_keys_per_user 3
	create_user keyrace 'keyrace-pass-1' viewer >/dev/null
	tok=$(login_token keyrace keyrace-pass-1)
	pids=()
	for i in $(seq 12); do
		curl -s -o /dev/null -w '%{http_code}\n' -X POST "$BASE/auth/api-keys/" -H "Authorization: Bearer $tok" \
			-H "X-Forwarded-For: 203.0.113.$i" -H 'Content-Type: application/json' --data '{"name":"k"}' \
			>"$BATS_TEST_TMPDIR/code.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"	# not gatehouse, which with_setting started from this shell
	codes=$(cat "$BATS_TEST_TMPDIR"/code.* | sort | uniq -c | tr -s ' ')
	echo "$codes"
	[ "$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c '^201$')" = 3 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/code.* | grep -c -v -E '^(201|409)$')" = 0 ]
	[ "$(db "SELECT count(*) FROM api_keys k JOIN users u ON u.uid = k.uid WHERE u.username = 'keyrace'")" = 3 ]
}

@test "creating API keys is rate limited per client on both routes, like other admin writes" {
	with_setting max_api_keys_per_user 100
	with_setting rate_limit_admin_writes 2
	uid=$(db "SELECT id FROM users WHERE username = 'keycap'")
	tok=$(login_token keycap keycap-pass-1)
	for i in 1 2; do
		new_key "$tok" 192.0.2.77
		[ "$code" = 201 ] || { echo "key $i: $code $body" >&2; return 1; }
	done
	new_key "$tok" 192.0.2.77
	[ "$code" = 429 ]
	[ "$(jq -r .title <<<"$body")" = "Too Many Requests" ]
	[ -n "$(header Retry-After)" ]
	for i in 1 2 3; do
		as_admin POST /admin/api-keys/ -H "X-Forwarded-For: 192.0.2.78" -H 'Content-Type: application/json' \
			--data "{\"name\":\"k\",\"user_id\":\"$uid\"}"
	done
	[ "$code" = 429 ]
	new_key "$tok" 192.0.2.79	# another client has its own count
	[ "$code" = 201 ]
	with_setting rate_limit_admin_writes 0
}

@test "parallel wrong guesses: at most login_failures_per_account get 401, the rest 429, none 5xx" {
	with_setting workers 8	# more workers, more guesses that could pass the check before any is counted
	# The account's hash at the default cost (5), so each wrong guess takes a while to verify: counted only after
	# the hash, the guesses of all eight workers would pass the check before any was counted.
	{ cat "$INST/gatehouse.conf"; echo 'hash_cost = 5'; } >"$BATS_TEST_TMPDIR/cost5.conf"
	printf 'guessed-pass-1\n' | "$GATEHOUSE_BIN/gatehousectl" -c "$BATS_TEST_TMPDIR/cost5.conf" create-admin -s guessed >/dev/null
	cfg=$BATS_TEST_TMPDIR/guesses.curl
	for i in $(seq 30); do
		[ "$i" = 1 ] || echo next
		printf 'url = "%s/auth/login"\nheader = "X-Forwarded-For: 198.51.100.99"\ndata-urlencode = "username=guessed"\n' "$BASE"
		printf 'data-urlencode = "password=wrong-%s"\noutput = "/dev/null"\nmax-time = 60\nwrite-out = "%%{http_code}\\n"\n' "$i"
	done >"$cfg"
	curl -s --parallel --parallel-immediate --parallel-max 30 -K "$cfg" >"$BATS_TEST_TMPDIR/guess.codes"
	sort "$BATS_TEST_TMPDIR/guess.codes" | uniq -c
	[ "$(grep -c '^401$' "$BATS_TEST_TMPDIR/guess.codes")" = 5 ]	# login_failures_per_account (5)
	[ "$(grep -c '^429$' "$BATS_TEST_TMPDIR/guess.codes")" = 25 ]
	# a success gives its count back: four wrong and one right leave room for four more wrong from there
	create_user guessed2 'guessed2-pass-1' viewer >/dev/null
	for i in 1 2 3 4; do
		req POST /auth/login -H "X-Forwarded-For: 198.51.100.98" --data-urlencode username=guessed2 \
			--data-urlencode "password=wrong-$i"
		[ "$code" = 401 ]
	done
	req POST /auth/login -H "X-Forwarded-For: 198.51.100.98" --data-urlencode username=guessed2 \
		--data-urlencode password=guessed2-pass-1
	[ "$code" = 200 ]
	with_setting workers 2
}

@test "a guess that cannot be counted (database locked) answers 503 with Retry-After, never 401" {
	with_setting busy_timeout_ms 200
	create_user lockedout 'lockedout-pass-1' viewer >/dev/null
	hold_db_lock
	sleep 0.2
	req POST /auth/login -H "X-Forwarded-For: 198.51.100.97" --data-urlencode username=lockedout \
		--data-urlencode password=wrong-password
	release_db_lock
	echo "$code $body"
	[ "$code" = 503 ]
	[ -n "$(header Retry-After)" ]
	with_setting busy_timeout_ms 5000
	req POST /auth/login -H "X-Forwarded-For: 198.51.100.97" --data-urlencode username=lockedout \
		--data-urlencode password=wrong-password
	[ "$code" = 401 ]
}

@test "change-password authenticated before a reset that commits before it reads the user: 401, never 400" {
	# Deterministic: the request authenticates while another writer holds the lock, waits for the lock to count
	# its guess, and meanwhile that writer commits a reset (a new hash, the credential epoch moved).
	create_user cpreset 'cpreset-old-1' viewer >/dev/null
	tok=$(login_token cpreset 'cpreset-old-1')
	hold_db_lock
	curl -s -o "$BATS_TEST_TMPDIR/cp.body" -w '%{http_code}' -X POST "$BASE/auth/change-password/" \
		-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -H "X-Forwarded-For: 198.51.100.96" \
		--data '{"current_password":"cpreset-old-1","new_password":"cpreset-new-1"}' >"$BATS_TEST_TMPDIR/cp.code" &
	cp=$!
	sleep 0.5
	echo "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'admin'),
		token_version = token_version + 1 WHERE username = 'cpreset';" >&5
	release_db_lock
	wait "$cp"
	echo "$(cat "$BATS_TEST_TMPDIR/cp.code") $(cat "$BATS_TEST_TMPDIR/cp.body")"
	[ "$(cat "$BATS_TEST_TMPDIR/cp.code")" = 401 ]
}
