#!/usr/bin/env bats
# Failed-login throttling as an attacker meets it: per account and address, per account from any address, per
# address with IPv6 counted by /64; the owner's known address; unknown names; client addresses read through
# trusted proxies only. nginx is the trusted proxy here, so X-Forwarded-For stands for many client addresses.

load helpers

setup_file() {
	start_instance --set trusted_proxies=127.0.0.1,10.0.0.0/8 --set login_failures_per_account=3 \
		--set login_failures_per_account_total=6 --set login_failures_per_address=8 --set login_block_time=120
}
teardown_file() { stop_instance; }

# from ADDR NAME PASSWORD: a login as a client at ADDR (through the trusted proxy).
from() {
	req POST /auth/login -H "X-Forwarded-For: $1" --data-urlencode "username=$2" --data-urlencode "password=$3"
}

last_audit_ip() { db "SELECT coalesce(ip_address, '-') FROM audit ORDER BY id DESC LIMIT 1"; }

@test "the client address: X-Forwarded-For right to left past trusted hops, X-Real-IP not read by default, malformed entries" {
	# header value => the address audited (nginx's own peer is 127.0.0.1, trusted)
	n=0
	while IFS='|' read -r hdr want; do
		[ -n "$hdr" ] || continue
		n=$((n + 1))
		code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/login" -H "$hdr" \
			--data-urlencode "username=addr-probe-$n" --data-urlencode password=wrong-password)
		[ "$code" = 401 ] || { echo "$hdr: status $code" >&2; return 1; }
		got=$(last_audit_ip)
		[ "$got" = "$want" ] || { echo "$hdr: audited $got, want $want" >&2; return 1; }
	done <<-'TABLE'
	X-Forwarded-For: 198.51.100.1|198.51.100.1
	X-Forwarded-For: 203.0.113.9, 10.1.2.3|203.0.113.9
	X-Forwarded-For: 203.0.113.9,10.1.2.3, 127.0.0.1|203.0.113.9
	X-Forwarded-For: 192.0.2.50, 198.51.100.2|198.51.100.2
	X-Forwarded-For: not-an-address, 10.9.9.9|10.9.9.9
	X-Forwarded-For: 198.51.100.3, 2001:db8::1/64|127.0.0.1
	X-Forwarded-For: 2001:DB8:0:0::7|2001:db8::7
	X-Forwarded-For: ::ffff:198.51.100.4|198.51.100.4
	X-Forwarded-For: 10.0.0.1, 10.0.0.2|10.0.0.1
	X-Real-IP: 198.51.100.5|127.0.0.1
	X-Real-IP: junk|127.0.0.1
	TABLE
}

@test "a pair block stops that address only: the right password from another address gets in" {
	create_user pairvictim 'pairvictim-pass-1' viewer
	for i in 1 2 3; do
		from 198.51.100.10 pairvictim "guess-$i"
		problem 401 "Incorrect username or password"
	done
	from 198.51.100.10 pairvictim pairvictim-pass-1
	[ "$code" = 429 ]
	[ "$(jq -r .title <<<"$body")" = "Too Many Requests" ]
	wait=$(header Retry-After)
	[ "$wait" -ge 119 ]
	[ "$wait" -le 120 ]
	from 198.51.100.11 pairvictim pairvictim-pass-1
	expect 200
}

@test "the per-account limit across many addresses: unknown addresses get 429, the owner's known one gets in" {
	create_user owner 'owner-pass-1' viewer
	from 192.0.2.200 owner owner-pass-1	# the owner's usual address becomes known
	expect 200
	for i in 1 2 3 4 5 6; do	# one guess from each of six addresses: no pair and no address limit reached
		from "203.0.113.$i" owner "guess-$i"
		problem 401 "Incorrect username or password"
	done
	from 203.0.113.99 owner owner-pass-1	# a new address, even with the right password
	[ "$code" = 429 ]
	[ "$(header Retry-After)" -ge 119 ]
	from 203.0.113.1 owner "guess-again"	# the attacker's addresses too
	[ "$code" = 429 ]
	from 192.0.2.200 owner owner-pass-1	# the owner, from the address that logged in before
	expect 200
	n=$(db "SELECT count(*) FROM throttle WHERE key = 'account:owner' AND blocked_until > 0")
	[ "$n" = 1 ]
}

@test "a name that does not exist reaches 429 exactly as a real one does" {
	create_user realname 'realname-pass-1' viewer
	for name in realname ghostname; do
		codes=""
		for i in 1 2 3 4 5 6 7; do
			from "198.18.$((${#name})).$i" "$name" "guess-$i"
			codes="$codes $code"
		done
		[ "$codes" = " 401 401 401 401 401 401 429" ] || { echo "$name: $codes" >&2; return 1; }
	done
}

@test "IPv6: every address of a /64 counts as one; the next /64 is another client" {
	for i in 1 2 3 4 5 6 7 8; do	# eight names, one guess each, eight addresses of 2001:db8:1:2::/64
		from "2001:db8:1:2::$i" "spray6-$i" guess
		problem 401 "Incorrect username or password"
	done
	from 2001:db8:1:2:ffff:ffff:ffff:ffff spray6-new guess
	[ "$code" = 429 ]
	from 2001:db8:1:3::1 spray6-new guess
	problem 401 "Incorrect username or password"
	n=$(db "SELECT count(*) FROM throttle WHERE key = 'address:2001:db8:1:2::/64' AND blocked_until > 0")
	[ "$n" = 1 ]
}

@test "IPv4: the per-address limit spans accounts; an IPv4-mapped IPv6 address is the same client" {
	for i in 1 2 3 4; do
		from 198.51.100.77 "spray4-$i" guess
		from ::ffff:198.51.100.77 "spray4m-$i" guess
	done
	from 198.51.100.77 spray4-new guess
	[ "$code" = 429 ]
	from 198.51.100.78 spray4-new guess
	problem 401 "Incorrect username or password"
}

@test "without trusted_proxies, X-Forwarded-For and X-Real-IP are ignored" {
	sed -i 's/^trusted_proxies = .*/trusted_proxies = none/' "$INST/gatehouse.conf"
	stop_gatehouse
	start_gatehouse
	for hdr in "X-Forwarded-For: 198.51.100.200" "X-Real-IP: 198.51.100.201"; do
		code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/login" -H "$hdr" \
			--data-urlencode username=addr-probe2 --data-urlencode password=wrong-password)
		[ "$code" = 401 ]
		[ "$(last_audit_ip)" = 127.0.0.1 ]
	done
}

@test "a successful login clears its pair's failures: wrong, wrong, right, wrong, wrong, right all answer as such" {
	# login_failures_per_account = 3 here: without the clearing, the fourth and fifth failures would make five
	# on the pair and the second right password would meet a block.
	create_user clearer 'clearer-pass-1' viewer >/dev/null
	for pw in wrong-1 wrong-2 clearer-pass-1 wrong-3 wrong-4 clearer-pass-1 wrong-5 wrong-6 clearer-pass-1; do
		from 203.0.113.77 clearer "$pw"
		want=401
		[ "$pw" != clearer-pass-1 ] || want=200
		[ "$code" = "$want" ] || fail "password $pw: want $want, got $code $body"
	done
}
