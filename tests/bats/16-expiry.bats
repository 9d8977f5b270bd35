#!/usr/bin/env bats
# Expiry of every credential kind under a short clock: lifetimes in seconds (access 2 s, refresh 4 s) and an API
# key whose expires_at is 4 s ahead. Each credential is shown working while young and refused once old, next to a
# control of the same kind made later that still works, so no check here passes whether or not expiry is checked.

load helpers

setup_file() { start_instance --set access_token_lifetime=2 --set refresh_token_lifetime=4 --set refresh_reuse_grace=0; }
teardown_file() { stop_instance; }
# Access tokens live two seconds here, so each test logs the admin in afresh.
setup() { ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD"); }

# pair NAME: "access refresh" of a new login.
pair() {
	req POST /auth/login --data-urlencode "username=$1" --data-urlencode "password=$1-pass-1"
	[ "$code" = 200 ] || fail "login $1: $code $body"
	jq -r '.access_token + " " + .refresh_token' <<<"$body"
}
me() { req GET /auth/me/ "$@"; }

# until_elapsed T0 SECONDS: sleeps until SECONDS (fractional) have passed since T0 (date +%s.%N).
until_elapsed() {
	local left
	left=$(awk -v t0="$1" -v s="$2" -v now="$(date +%s.%N)" 'BEGIN { d = t0 + s - now; print (d > 0 ? d : 0) }')
	sleep "$left"
}

@test "access token, refresh token and API key each expire on time, and only then" {
	create_user clock 'clock-pass-1' viewer
	create_user ctrl 'ctrl-pass-1' viewer
	t0=$(date +%s.%N)
	read -r access refresh <<<"$(pair clock)"
	read -r _ young_refresh <<<"$(pair ctrl)"
	expires=$(date -u -d '@'"$(awk -v t="$t0" 'BEGIN { printf "%d", t + 4 }')" +%Y-%m-%dT%H:%M:%SZ)
	req POST /auth/api-keys/ -H "Authorization: Bearer $access" -H 'Content-Type: application/json' \
		--data "{\"name\":\"short\",\"expires_at\":\"$expires\"}"
	expect 201
	key=$(jq -r .key <<<"$body")
	# Young: everything works.
	me -H "Authorization: Bearer $access"
	expect 200
	me -H "X-Api-Key: $key"
	expect 200
	# 2.3 s: the access token has expired (2 s); the key (up to 4 s) and refresh tokens (4 s) have not.
	until_elapsed "$t0" 2.3
	me -H "Authorization: Bearer $access"
	problem 401 "The access token expired"
	me -H "X-Api-Key: $key"
	expect 200
	refresh "$young_refresh"
	expect 200
	# 4.6 s: the refresh token and the key are past their end; a refresh token made now still works.
	read -r _ late_refresh <<<"$(pair ctrl)"
	until_elapsed "$t0" 4.6
	refresh "$refresh"
	problem 401 "Invalid or expired refresh token"
	me -H "X-Api-Key: $key"
	problem 401 "Could not validate credentials"
	refresh "$late_refresh"
	expect 200
	# A fresh access token of the same user works: the refusals above were expiry, not the account.
	me -H "Authorization: Bearer $(jq -r .access_token <<<"$body")"
	expect 200
}

@test "an API key's expires_at must be in the future, to the second" {
	create_user clock2 'clock2-pass-1' viewer
	read -r access _ <<<"$(pair clock2)"
	past=$(date -u -d '-1 seconds' +%Y-%m-%dT%H:%M:%SZ)
	req POST /auth/api-keys/ -H "Authorization: Bearer $access" -H 'Content-Type: application/json' \
		--data "{\"name\":\"late\",\"expires_at\":\"$past\"}"
	[ "$code" = 422 ]
	[ "$(jq -r '.detail[0].msg' <<<"$body")" = "Value error, expires_at must be in the future" ]
}
