#!/usr/bin/env bats
# Check-then-write races on credentials, with four workers on one SQLite file and many rounds (never one lucky
# run). Every write that mints, extends or rewrites a credential re-reads, inside its BEGIN IMMEDIATE, what it
# relied on: the credential epoch (password, status, roles), the user's existence, the caller's own credential.
# Losers get the answer they would get a moment later, never a 5xx. ROUNDS overrides the round counts.

load helpers

setup_file() { start_instance --workers 4 --set registration=on --set login_failures_per_account=1000 \
	--set login_failures_per_address=100000; }
teardown_file() { stop_instance; }

: "${ROUNDS:=20}"

# call NAME METHOD PATH [curl args...]: in the background; the status goes to $T/NAME.code, the body to $T/NAME.
call() {
	local n=$1 m=$2 p=$3
	shift 3
	curl -s --max-time 30 -o "$T/$n" -w '%{http_code}' -X "$m" "$BASE$p" "$@" >"$T/$n.code" &
}
code_of() { cat "$T/$1.code"; }
jpost() { local n=$1 p=$2 tok=$3 data=$4; call "$n" POST "$p" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' --data "$data"; }

# change_or_reset ROUND ID: the password of user ID, old-pass-ROUND, becomes new-pass-ROUND in the background
# (call "change"): in odd rounds the user changes it with $ACCESS, in even rounds the admin resets it.
change_or_reset() {
	if (($1 % 2)); then
		jpost change /auth/change-password/ "$ACCESS" "{\"current_password\":\"old-pass-$1\",\"new_password\":\"new-pass-$1\"}"
	else
		jpost change "/admin/users/$2/reset-password/" "$ADMIN_TOKEN" "{\"password\":\"new-pass-$1\"}"
	fi
}
live_sessions() { db "SELECT count(*) FROM sessions s JOIN users u ON u.uid = s.uid WHERE u.id = '$1' AND s.revoked_at IS NULL"; }
live_keys() { db "SELECT count(*) FROM api_keys k JOIN users u ON u.uid = k.uid WHERE u.id = '$1' AND CAST(k.is_active AS INTEGER) = 1 AND k.key_epoch = u.key_epoch"; }
no_5xx() { local f; for f in "$T"/*.code; do [[ $(cat "$f") != 5* ]] || { echo "$(basename "$f" .code): $(cat "$f") $(cat "${f%.code}")" >&2; return 1; }; done; }

setup() { T=$BATS_TEST_TMPDIR; }

@test "login racing a password change or an admin reset never keeps a live session" {
	lost=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "lr$i" "old-pass-$i" viewer)
		login_pair "lr$i" "old-pass-$i"
		for w in 1 2 3; do call "login$w" POST /auth/login --data-urlencode "username=lr$i" --data-urlencode "password=old-pass-$i"; done
		call refresh POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$REFRESH\"}"
		change_or_reset "$i" "$id"
		wait
		no_5xx
		[ "$(code_of change)" = 204 ] || { echo "round $i: change $(code_of change) $(cat "$T/change")" >&2; return 1; }
		for w in 1 2 3; do [[ $(code_of "login$w") == 200 || $(code_of "login$w") == 401 ]]; done
		[ "$(live_sessions "$id")" = 0 ] || { echo "round $i: a session outlived the password change" >&2; return 1; }
		# And over HTTP: every token a racing login or refresh got is dead now.
		for f in login1 login2 login3 refresh; do
			[ "$(code_of $f)" = 200 ] || continue
			lost=$((lost + 1))
			tok=$(jq -r .access_token "$T/$f")
			code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" -H "Authorization: Bearer $tok")
			[ "$code" = 401 ] || { echo "round $i: $f's token answers $code" >&2; return 1; }
		done
	done
	echo "# tokens minted by racing logins/refreshes before the change, all revoked: $lost" >&3
}

@test "login, refresh and key creation racing a disabling never leave a credential alive" {
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "dr$i" "dr-pass-$i" editor)
		login_pair "dr$i" "dr-pass-$i"
		for w in 1 2; do call "login$w" POST /auth/login --data-urlencode "username=dr$i" --data-urlencode "password=dr-pass-$i"; done
		call refresh POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$REFRESH\"}"
		jpost key /auth/api-keys/ "$ACCESS" '{"name":"racing"}'
		call disable POST "/admin/users/$id/deactivate/" -H "Authorization: Bearer $ADMIN_TOKEN"
		wait
		no_5xx
		[ "$(code_of disable)" = 200 ]
		[ "$(live_sessions "$id")" = 0 ] || { echo "round $i: a session outlived the disabling" >&2; return 1; }
		[ "$(live_keys "$id")" = 0 ] || { echo "round $i: a key outlived the disabling" >&2; return 1; }
		# Re-enabled, nothing minted during the race works.
		call enable PATCH "/admin/users/$id" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' --data '{"status":"active"}'
		wait
		[ "$(code_of enable)" = 200 ]
		[ "$(live_sessions "$id")" = 0 ]
		[ "$(live_keys "$id")" = 0 ]
	done
}

@test "change-password racing an admin reset never overwrites the reset: the reset's password is the one left" {
	overwritten=0 lost=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "cr$i" "cr-old-$i" viewer)
		login_pair "cr$i" "cr-old-$i"
		jpost change /auth/change-password/ "$ACCESS" "{\"current_password\":\"cr-old-$i\",\"new_password\":\"cr-user-$i\"}"
		jpost reset "/admin/users/$id/reset-password/" "$ADMIN_TOKEN" "{\"password\":\"cr-admin-$i\"}"
		wait
		no_5xx
		[ "$(code_of reset)" = 204 ]
		c=$(code_of change)
		[[ $c == 204 || $c == 401 ]] || { echo "round $i: change $c $(cat "$T/change")" >&2; return 1; }
		[ "$c" = 401 ] && lost=$((lost + 1))
		# Whatever the order, the reset came last or won: its password works, the user's does not.
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/login" --data-urlencode "username=cr$i" --data-urlencode "password=cr-admin-$i")
		[ "$code" = 200 ] || { echo "round $i: the reset's password answers $code (change: $c)" >&2; return 1; }
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/login" --data-urlencode "username=cr$i" --data-urlencode "password=cr-user-$i")
		[ "$code" = 401 ] || { echo "round $i: the user's password answers $code" >&2; return 1; }
	done
	echo "# changes that lost to the reset (401): $lost of $ROUNDS" >&3
}

@test "an API key minted with a token racing a password change or reset never survives it" {
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "kr$i" "old-pass-$i" editor)
		login_pair "kr$i" "old-pass-$i"
		for w in 1 2 3 4; do jpost "key$w" /auth/api-keys/ "$ACCESS" '{"name":"racing"}'; done
		change_or_reset "$i" "$id"
		wait
		no_5xx
		[ "$(code_of change)" = 204 ]
		[ "$(live_keys "$id")" = 0 ] || { echo "round $i: a key outlived the password change" >&2; return 1; }
		for w in 1 2 3 4; do
			c=$(code_of "key$w")
			[[ $c == 201 || $c == 401 ]] || { echo "round $i: key$w $c $(cat "$T/key$w")" >&2; return 1; }
			[ "$c" = 201 ] || continue
			code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/auth/me/" -H "X-Api-Key: $(jq -r .key "$T/key$w")")
			[ "$code" = 401 ] || { echo "round $i: key$w answers $code" >&2; return 1; }
		done
	done
}

@test "an admin's write racing the admin's own demotion: nothing is written after the demotion commits" {
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		printf 'dm-pass-%s-long\n' "$i" | "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" create-admin -s "dm$i" >/dev/null
		login_pair "dm$i" "dm-pass-$i-long"
		dm=$(db "SELECT id FROM users WHERE username = 'dm$i'")
		target=$(create_user "dmt$i" "dmt-pass-$i" viewer)
		for w in 1 2 3; do jpost "w$w" /admin/api-keys/ "$ACCESS" "{\"name\":\"by-dm$i\",\"user_id\":\"$target\"}"; done
		call demote PATCH "/admin/users/$dm" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' --data '{"role":"viewer"}'
		wait
		no_5xx
		[ "$(code_of demote)" = 200 ]
		for w in 1 2 3; do c=$(code_of "w$w"); [[ $c == 201 || $c == 403 ]] || { echo "round $i: w$w $c $(cat "$T/w$w")" >&2; return 1; }; done
		# Every key row the demoted admin wrote precedes the demotion in the audit chain.
		late=$(db "SELECT count(*) FROM audit WHERE action = 'api_key.create' AND actor_id = '$dm' AND id > (SELECT id FROM audit WHERE action = 'user.update' AND resource_id = '$dm')")
		[ "$late" = 0 ] || { echo "round $i: $late keys created after the demotion" >&2; return 1; }
	done
}

@test "a login that upgrades an old-cost hash never writes it over a reset made meanwhile" {
	# Users hashed at cost 3 (gatehousectl with a copy of the configuration), served at cost 1: every first
	# login upgrades the hash.
	{ cat "$INST/gatehouse.conf"; echo 'hash_cost = 3'; } >"$T/cost3.conf"
	for i in $(seq "$ROUNDS"); do
		printf 'rh-old-%s-long\n' "$i" | "$GATEHOUSE_BIN/gatehousectl" -c "$T/cost3.conf" create-admin -s "rh$i" >/dev/null
	done
	upgraded=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*.code
		id=$(db "SELECT id FROM users WHERE username = 'rh$i'")
		# Made at another cost than the admin's (cost 1): the login will upgrade it.
		[ "$(db "SELECT password_hash FROM users WHERE id = '$id'" | cut -d'$' -f3)" != "$(db "SELECT password_hash FROM users WHERE username = 'admin'" | cut -d'$' -f3)" ]
		for w in 1 2 3; do call "login$w" POST /auth/login --data-urlencode "username=rh$i" --data-urlencode "password=rh-old-$i-long"; done
		jpost reset "/admin/users/$id/reset-password/" "$ADMIN_TOKEN" "{\"password\":\"rh-new-$i-long\"}"
		wait
		no_5xx
		[ "$(code_of reset)" = 204 ]
		for w in 1 2 3; do [ "$(code_of "login$w")" = 200 ] && upgraded=$((upgraded + 1)); done
		# The reset's password is the one that works; the old one never comes back.
		req POST /auth/login --data-urlencode "username=rh$i" --data-urlencode "password=rh-old-$i-long"
		[ "$code" = 401 ] || { echo "round $i: the old password works again ($code)" >&2; return 1; }
		req POST /auth/login --data-urlencode "username=rh$i" --data-urlencode "password=rh-new-$i-long"
		[ "$code" = 200 ]
		[ "$(live_sessions "$id")" = 1 ]
	done
	echo "# logins that got in before the reset: $upgraded" >&3
}

@test "register, approve, reject and admin create racing each other: one winner, consistent state, no 5xx" {
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		for w in 1 2 3; do
			call "reg$w" POST /auth/register/ -H 'Content-Type: application/json' --data "{\"username\":\"Reg$i\",\"password\":\"reg-pass-$w-long\"}"
		done
		jpost create /admin/users/ "$ADMIN_TOKEN" "{\"username\":\"reg$i\",\"password\":\"adm-pass-$i-long\"}"
		wait
		no_5xx
		[ "$(db "SELECT count(*) FROM users WHERE username_key = 'reg$i'")" = 1 ]
		id=$(db "SELECT id FROM users WHERE username_key = 'reg$i'")
		status=$(db "SELECT status FROM users WHERE id = '$id'")
		[[ $(code_of create) == 201 && $status == active || $(code_of create) == 409 && $status == pending ]] ||
			{ echo "round $i: create $(code_of create), status $status" >&2; return 1; }
		[ "$status" = pending ] || continue
		rm -f "$T"/*
		jpost approve "/admin/users/$id/approve/" "$ADMIN_TOKEN" '{"role":"viewer"}'
		jpost approve2 "/admin/users/$id/approve/" "$ADMIN_TOKEN" '{"role":"editor"}'
		jpost reject "/admin/users/$id/reject/" "$ADMIN_TOKEN" '{}'
		wait
		no_5xx
		codes="$(code_of approve) $(code_of approve2) $(code_of reject)"
		# Exactly one decision wins; the others are told it is no longer available (409) or the user is gone (404).
		wins=$(tr ' ' '\n' <<<"$codes" | grep -c '^20[04]$' || true)
		[ "$wins" = 1 ] || { echo "round $i: approve/approve/reject $codes" >&2; return 1; }
		case $codes in
		"200 "*) [ "$(db "SELECT status || ':' || role_bits FROM users WHERE id = '$id'")" = active:4 ] ;;
		*" 200 "*) [ "$(db "SELECT status || ':' || role_bits FROM users WHERE id = '$id'")" = active:2 ] ;;
		*) [ "$(db "SELECT count(*) FROM users WHERE id = '$id'")" = 0 ] ;;
		esac
	done
}

@test "a login racing the deletion of its user gets 200 or 401, never 5xx (a FOREIGN KEY failure)" {
	# Hashed at cost 3 so the deletion has time to land while the password is checked.
	{ cat "$INST/gatehouse.conf"; echo 'hash_cost = 3'; } >"$T/cost3.conf"
	late=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*.code
		printf 'ld-pass-%s-long\n' "$i" | "$GATEHOUSE_BIN/gatehousectl" -c "$T/cost3.conf" create-admin -s "ld$i" >/dev/null
		id=$(db "SELECT id FROM users WHERE username = 'ld$i'")
		for w in 1 2 3; do call "login$w" POST /auth/login --data-urlencode "username=ld$i" --data-urlencode "password=ld-pass-$i-long"; done
		call delete DELETE "/admin/users/$id" -H "Authorization: Bearer $ADMIN_TOKEN"
		wait
		no_5xx
		[ "$(code_of delete)" = 204 ]
		for w in 1 2 3; do
			c=$(code_of "login$w")
			[[ $c == 200 || $c == 401 ]] || { echo "round $i: login$w $c $(cat "$T/login$w")" >&2; return 1; }
			[ "$c" = 401 ] && late=$((late + 1))
		done
	done
	echo "# logins that lost to the deletion (401): $late" >&3
}

@test "every write racing the deletion of its user answers as a moment later (401/404), never 5xx" {
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "del$i" "del-pass-$i" editor)
		login_pair "del$i" "del-pass-$i"
		pend=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/register/" -H 'Content-Type: application/json' \
			--data "{\"username\":\"pdel$i\",\"password\":\"pdel-pass-$i\"}")
		[ "$pend" = 201 ]
		pid=$(db "SELECT id FROM users WHERE username = 'pdel$i'")
		call login POST /auth/login --data-urlencode "username=del$i" --data-urlencode "password=del-pass-$i"
		call login2 POST /auth/login --data-urlencode "username=del$i" --data-urlencode "password=del-pass-$i"
		call refresh POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$REFRESH\"}"
		jpost key /auth/api-keys/ "$ACCESS" '{"name":"racing"}'
		jpost akey /admin/api-keys/ "$ADMIN_TOKEN" "{\"name\":\"racing\",\"user_id\":\"$id\"}"
		jpost change /auth/change-password/ "$ACCESS" "{\"current_password\":\"del-pass-$i\",\"new_password\":\"del-new-$i\"}"
		jpost reset "/admin/users/$id/reset-password/" "$ADMIN_TOKEN" '{"password":"reset-pass-1"}'
		call patch PATCH "/admin/users/$id" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' --data '{"role":"viewer"}'
		jpost approve "/admin/users/$pid/approve/" "$ADMIN_TOKEN" '{"role":"viewer"}'
		call delete DELETE "/admin/users/$id" -H "Authorization: Bearer $ADMIN_TOKEN"
		call pdelete DELETE "/admin/users/$pid" -H "Authorization: Bearer $ADMIN_TOKEN"
		wait
		no_5xx
		[ "$(code_of delete)" = 204 ]
		[ "$(code_of pdelete)" = 204 ]
		[ "$(db "SELECT count(*) FROM users WHERE id IN ('$id', '$pid')")" = 0 ]
		[ "$(db "SELECT count(*) FROM sessions WHERE uid NOT IN (SELECT uid FROM users)")" = 0 ]
		[ "$(db "SELECT count(*) FROM api_keys WHERE uid NOT IN (SELECT uid FROM users)")" = 0 ]
	done
	refute_grep -q 'FOREIGN KEY' "$INST/logs/gatehouse.log"
}

@test "no request in these runs answered 5xx, and the database and its audit chain are intact" {
	run grep -E '" 5[0-9][0-9] ' "$INST/logs/access.log"
	[ "$status" -eq 1 ]
	run grep -c 'FOREIGN KEY' "$INST/logs/gatehouse.log"
	[ "$output" = 0 ]
	[ "$(db_integrity)" = ok ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	[ "$status" -eq 0 ]
}
