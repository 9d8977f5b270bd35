#!/usr/bin/env bats
# A login has an absolute lifetime (login_absolute_lifetime, seconds): refreshing slides the refresh token, but
# never past the end of the password login that began the chain; no token of that chain outlives it.

load helpers

setup_file() {
	start_instance --set login_absolute_lifetime=4 --set refresh_token_lifetime=2 --set access_token_lifetime=3 \
		--set refresh_reuse_grace=0
}
teardown_file() { stop_instance; }

@test "refresh slides within the absolute lifetime, then fails although the last token has not expired" {
	create_user life 'life-pass-long' viewer >/dev/null
	req POST /auth/login --data-urlencode username=life --data-urlencode password=life-pass-long
	[ "$code" = 200 ]
	t0=$(date +%s.%N)
	rt=$(jq -r .refresh_token <<<"$body")
	n=0 last=0
	# Refresh every 0.7 s: each new refresh token would live 2 s more; the login's 4 s stop the chain.
	while :; do
		sleep 0.7
		refresh "$rt"
		now=$(date +%s.%N)
		[ "$code" = 200 ] || break
		n=$((n + 1))
		last=$(awk -v t0="$t0" -v now="$now" 'BEGIN { printf "%.2f", now - t0 }')
		rt=$(jq -r .refresh_token <<<"$body")
		at=$(jq -r .access_token <<<"$body")
		[ "$(awk -v l="$last" 'BEGIN { print (l < 8) }')" = 1 ] || break	# never ends: the check below fails
		# expires_in tells the truth: at most the time left of the login (rounded up).
		[ "$(jq -r .expires_in <<<"$body")" -le "$(awk -v t0="$t0" -v now="$now" 'BEGIN { printf "%d", 4 - (now - t0) + 1 }')" ]
	done
	problem 401 "Invalid or expired refresh token"
	elapsed=$(awk -v t0="$t0" -v now="$now" 'BEGIN { printf "%.2f", now - t0 }')
	echo "# refreshed $n times, the last at ${last} s; refused at ${elapsed} s" >&3
	# It slid past the 2 s one refresh token lives, and was refused only once the login's 4 s were over.
	[ "$(awk -v l="$last" 'BEGIN { print (l > 2) }')" = 1 ]
	[ "$(awk -v e="$elapsed" 'BEGIN { print (e >= 3.9) }')" = 1 ]
	# No token of the chain was stored to outlive the login.
	[ "$(db "SELECT count(*) FROM sessions WHERE login_at IS NULL OR refresh_expires_at > login_at + 4000000 OR access_expires_at > login_at + 4000000")" = 0 ]
	# The last access token of the chain is dead too.
	req GET /auth/me/ -H "Authorization: Bearer $at"
	[ "$code" = 401 ]
	# A new password login starts a new lifetime.
	req POST /auth/login --data-urlencode username=life --data-urlencode password=life-pass-long
	[ "$code" = 200 ]
	refresh "$(jq -r .refresh_token <<<"$body")"
	[ "$code" = 200 ]
}

@test "login_absolute_lifetime is checked at start-up: out of range stops it with the file and line" {
	printf 'database = %s\nlogin_absolute_lifetime = 0\n' "$DATABASE" >"$BATS_TEST_TMPDIR/bad.conf"
	run "$GATEHOUSE_BIN/gatehouse" -t -c "$BATS_TEST_TMPDIR/bad.conf"
	[ "$status" -ne 0 ]
	[[ $output == *"bad.conf:2: login_absolute_lifetime must be a whole number from 1 to 315360000"* ]]
}
