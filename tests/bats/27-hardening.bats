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

# with_header VALUE: restarts gatehouse (nginx stays) with client_address_header = VALUE.
with_header() {
	stop_gatehouse
	sed -i '/^client_address_header/d' "$INST/gatehouse.conf"
	echo "client_address_header = $1" >>"$INST/gatehouse.conf"
	start_gatehouse
}

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
