#!/usr/bin/env bats
# POST /auth/change-password/ with a wrong current_password is a password guess: throttled with login's own
# counters (per account and address, per address), shared by every worker, 429 with Retry-After; each failure
# leaves an audit row; a success clears the account's counter.

load helpers

setup_file() {
	start_instance --workers 2 --set login_failures_per_account=3 --set login_failures_per_address=50 \
		--set login_block_time=2
}
teardown_file() { stop_instance; }

change() { req POST /auth/change-password/ -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
	--data "$(jq -nc --arg c "$2" --arg n "$3" '{current_password:$c,new_password:$n}')"; }

@test "wrong current passwords: 400 and one audit row each, then 429 with Retry-After, even for the right one" {
	id=$(create_user cp1 'cp1-pass-long' viewer)
	tok=$(login_token cp1 cp1-pass-long)
	for i in 1 2 3; do
		change "$tok" "guess-$i-long" 'cp1-new-pass'
		problem 400 "Current password is incorrect"
	done
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.change_password.failure' AND resource_id = '$id' AND actor_id = '$id'")" = 3 ]
	[ "$(db "SELECT details FROM audit WHERE action = 'user.change_password.failure' ORDER BY id DESC LIMIT 1")" = '{"reason":"invalid_current_password"}' ]
	run db "SELECT * FROM audit"
	[[ $output != *guess-* && $output != *cp1-new-pass* ]]
	change "$tok" 'cp1-pass-long' 'cp1-new-pass'
	[ "$code" = 429 ]
	[ "$(jq -r .title <<<"$body")" = "Too Many Requests" ]
	[ "$(header Retry-After)" -ge 1 ]
	[ "$(header Retry-After)" -le 2 ]
	# The block is login's: the same account cannot log in from here either.
	req POST /auth/login --data-urlencode username=cp1 --data-urlencode password=cp1-pass-long
	[ "$code" = 429 ]
	sleep 2.1
	change "$tok" 'cp1-pass-long' 'cp1-new-pass'
	[ "$code" = 204 ]
	login_ok cp1 cp1-new-pass
}

@test "login failures and change-password failures count together; a success clears the account counter" {
	create_user cp2 'cp2-pass-long' viewer
	tok=$(login_token cp2 cp2-pass-long)
	req POST /auth/login --data-urlencode username=cp2 --data-urlencode password=wrong-1-long
	[ "$code" = 401 ]
	change "$tok" 'wrong-2-long' 'cp2-new-pass'
	[ "$code" = 400 ]
	change "$tok" 'cp2-pass-long' 'cp2-new-pass'
	[ "$code" = 204 ]
	# Cleared: two more failures do not block.
	tok=$(login_token cp2 cp2-new-pass)
	change "$tok" 'wrong-3-long' 'cp2-newer-pass'
	change "$tok" 'wrong-4-long' 'cp2-newer-pass'
	[ "$code" = 400 ]
	req POST /auth/login --data-urlencode username=cp2 --data-urlencode password=wrong-5-long
	[ "$code" = 401 ]
	req POST /auth/login --data-urlencode username=cp2 --data-urlencode password=cp2-new-pass
	[ "$code" = 429 ]
}

@test "twenty-five guesses from one token: at most the configured few are tried, every one audited" {
	id=$(create_user cp3 'cp3-pass-long' viewer)
	tok=$(login_token cp3 cp3-pass-long)
	n400=0 n429=0
	for i in $(seq 25); do
		change "$tok" "guess-$i-long" 'cp3-new-pass'
		case $code in 400) n400=$((n400 + 1)) ;; 429) n429=$((n429 + 1)) ;; *) echo "$code $body" >&2; return 1 ;; esac
	done
	[ "$n400" -le 6 ]
	[ "$n429" -ge 19 ]
	[ "$(db "SELECT count(*) FROM audit WHERE action = 'user.change_password.failure' AND resource_id = '$id'")" = "$n400" ]
	echo "# 25 guesses: $n400 tried (400), $n429 refused (429)" >&3
}
