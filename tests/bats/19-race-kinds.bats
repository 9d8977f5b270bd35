#!/usr/bin/env bats
# Races of kinds issue 9 did not list, tried as its author would: refresh racing disabling, deletion and
# demotion; API key creation racing its creator's demotion; site sessions racing a disabling; an email change
# racing creation and registration with the same address; change-password racing logout and its own sessions'
# refresh. Four workers on one SQLite file, many rounds. Each loser gets the answer it would get a moment later,
# never a 5xx, and no credential outlives a revocation or keeps a right its owner lost. ROUNDS overrides the
# round counts.

load helpers

setup_file() { start_instance --workers 4 --set registration=on --set login_failures_per_account=1000 \
	--set login_failures_per_address=100000 --set login_failures_per_account_total=100000; }
teardown_file() { stop_instance; }

: "${ROUNDS:=12}"

setup() { T=$BATS_TEST_TMPDIR; }

# call NAME METHOD PATH [curl args...]: in the background; the status goes to $T/NAME.code, the body to $T/NAME,
# the headers to $T/NAME.h.
call() {
	local n=$1 m=$2 p=$3
	shift 3
	curl -s --max-time 30 -o "$T/$n" -D "$T/$n.h" -w '%{http_code}' -X "$m" "$BASE$p" "$@" >"$T/$n.code" &
}
code_of() { cat "$T/$1.code"; }
jcall() { local n=$1 m=$2 p=$3 tok=$4 data=$5; call "$n" "$m" "$p" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' --data "$data"; }

no_5xx() { local f; for f in "$T"/*.code; do [[ $(cat "$f") != 5* ]] || fail "$(basename "$f" .code): $(cat "$f") $(cat "${f%.code}")"; done; }
one_of() { local n=$1 c; c=$(code_of "$n"); shift; [[ " $* " == *" $c "* ]] || fail "round $i: $n answered $c $(cat "$T/$n"), want one of $*"; }
# status_with HEADER PATH: the status of a GET with that one credential header.
status_with() { curl -s -o /dev/null -w '%{http_code}' "$BASE$2" -H "$1"; }
live_sessions() { db "SELECT count(*) FROM sessions s JOIN users u ON u.uid = s.uid WHERE u.id = '$1' AND s.revoked_at IS NULL"; }
site_cookie() { grep -i '^Set-Cookie: gatehouse_session=' "$T/$1.h" | head -n 1 | sed 's/^[^=]*=//; s/;.*//' | tr -d '\r'; }

@test "refresh racing a disabling, a deletion or a demotion: no minted token outlives it or keeps the lost right" {
	minted=0 late=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "rk$i" "rk-pass-$i" admin)
		login_pair "rk$i" "rk-pass-$i"
		for w in 1 2 3; do
			call "refresh$w" POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$REFRESH\"}"
		done
		case $((i % 3)) in
		0) call act POST "/admin/users/$id/deactivate/" -H "Authorization: Bearer $ADMIN_TOKEN" ;;
		1) call act DELETE "/admin/users/$id" -H "Authorization: Bearer $ADMIN_TOKEN" ;;
		2) jcall act PATCH "/admin/users/$id" "$ADMIN_TOKEN" '{"role":"viewer"}' ;;
		esac
		wait
		no_5xx
		one_of act 200 204
		for w in 1 2 3; do
			one_of "refresh$w" 200 401
			[ "$(code_of "refresh$w")" = 200 ] || { late=$((late + 1)); continue; }
			minted=$((minted + 1))
			tok=$(jq -r .access_token "$T/refresh$w")
			c=$(status_with "Authorization: Bearer $tok" /admin/users/)
			if ((i % 3 == 2)); then
				[[ $c == 401 || $c == 403 ]] || fail "round $i: a token refreshed around the demotion answers $c on an admin route"
			else
				[ "$c" = 401 ] || fail "round $i: a token refreshed around the revocation answers $c"
			fi
		done
		((i % 3 == 2)) || [ "$(live_sessions "$id")" = 0 ] || fail "round $i: a session outlived the revocation"
	done
	echo "# refreshes: $minted minted before the change (all dead or without the right after it), $late refused (401)" >&3
}

@test "API keys created racing their creator's demotion: none keeps an admin right, none made before it lives" {
	other=$(create_user keytarget 'keytarget-pass-1' viewer)
	before=0 after=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "kd$i" "kd-pass-$i" admin)
		login_pair "kd$i" "kd-pass-$i"
		for w in 1 2 3; do jcall "own$w" POST /auth/api-keys/ "$ACCESS" '{"name":"racing"}'; done
		jcall admin POST /admin/api-keys/ "$ACCESS" "{\"name\":\"racing\",\"user_id\":\"$other\"}"
		jcall demote PATCH "/admin/users/$id" "$ADMIN_TOKEN" '{"role":"viewer"}'
		wait
		no_5xx
		one_of demote 200
		# Audit rows are written in their change's transaction, so their order is the commit order: a key made
		# before the demotion is retired by it (401), one made after acts as the viewer its owner now is (403).
		demoted=$(db "SELECT max(id) FROM audit WHERE action = 'user.update' AND resource_id = '$id'")
		for w in 1 2 3; do
			one_of "own$w" 201 401
			[ "$(code_of "own$w")" = 201 ] || continue
			made=$(db "SELECT id FROM audit WHERE action = 'api_key.create' AND resource_id = '$(jq -r .id "$T/own$w")'")
			want=403
			((made > demoted)) || want=401
			if [ $want = 401 ]; then before=$((before + 1)); else after=$((after + 1)); fi
			c=$(status_with "X-Api-Key: $(jq -r .key "$T/own$w")" /admin/users/)
			[ "$c" = $want ] || fail "round $i: a key made $( ((made > demoted)) && echo after || echo before) the demotion answers $c on an admin route"
		done
		# The admin route is refused once the demotion committed (403) or its key belongs to the viewer it named.
		one_of admin 201 403 401
		if [ "$(code_of admin)" = 201 ]; then
			c=$(status_with "X-Api-Key: $(jq -r .key "$T/admin")" /admin/users/)
			[ "$c" = 403 ] || fail "round $i: the key made for a viewer answers $c on an admin route"
		fi
		# The demoted user can still make keys; they act as a viewer.
		[ "$(status_with "Authorization: Bearer $ACCESS" /auth/me/)" = 200 ] || login_pair "kd$i" "kd-pass-$i"
		req POST /auth/api-keys/ -H "Authorization: Bearer $ACCESS" -H 'Content-Type: application/json' --data '{"name":"after"}'
		[ "$code" = 201 ] || fail "round $i: a key after the demotion: $code $body"
		c=$(status_with "X-Api-Key: $(jq -r .key <<<"$body")" /admin/users/)
		[ "$c" = 403 ]
	done
	echo "# keys created around the demotion: $before before it (now 401), $after after it (403 on admin routes)" >&3
}

@test "site logins racing a disabling: no cookie outlives it, and re-enabling revives none" {
	got=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "sd$i" "sd-pass-$i" editor)
		for w in 1 2 3; do
			call "site$w" POST /auth/login -H 'X-Gatehouse-Auth-Mode: session' --data-urlencode "username=sd$i" \
				--data-urlencode "password=sd-pass-$i"
		done
		call disable POST "/admin/users/$id/deactivate/" -H "Authorization: Bearer $ADMIN_TOKEN"
		wait
		no_5xx
		one_of disable 200
		for w in 1 2 3; do one_of "site$w" 200 403; done
		[ "$(live_sessions "$id")" = 0 ] || fail "round $i: a site session outlived the disabling"
		as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"status":"active"}'
		[ "$code" = 200 ]
		for w in 1 2 3; do
			[ "$(code_of "site$w")" = 200 ] || continue
			got=$((got + 1))
			c=$(status_with "Cookie: gatehouse_session=$(site_cookie "site$w")" /auth/verify)
			[ "$c" = 401 ] || fail "round $i: a cookie from around the disabling answers $c after re-enabling"
		done
	done
	echo "# site logins that got a cookie before the disabling, all dead after re-enabling: $got of $((3 * ROUNDS))" >&3
}

@test "an email set by PATCH racing a create, a registration and another PATCH with it: one holder, 409s, no 5xx" {
	a=$(create_user emailer-a 'emailer-a-pass' viewer)
	b=$(create_user emailer-b 'emailer-b-pass' viewer)
	wins=""
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		# The same address in three spellings: addresses compare case-folded.
		jcall patchA PATCH "/admin/users/$a" "$ADMIN_TOKEN" "{\"email\":\"race$i@example.com\"}"
		jcall patchB PATCH "/admin/users/$b" "$ADMIN_TOKEN" "{\"email\":\"Race$i@Example.com\"}"
		jcall create POST /admin/users/ "$ADMIN_TOKEN" \
			"{\"username\":\"em$i\",\"password\":\"em-pass-$i-long\",\"email\":\"RACE$i@example.com\"}"
		call register POST /auth/register/ -H 'Content-Type: application/json' \
			--data "{\"username\":\"emr$i\",\"password\":\"emr-pass-$i-long\",\"email\":\"race$i@EXAMPLE.com\"}"
		wait
		no_5xx
		one_of patchA 200 409
		one_of patchB 200 409
		one_of create 201 409
		one_of register 201
		holders=$(db "SELECT count(*) FROM users WHERE lower(email) = 'race$i@example.com'")
		[ "$holders" = 1 ] || fail "round $i: $holders users hold the address"
		won=$(( $(grep -c '^20[01]$' "$T/patchA.code" "$T/patchB.code" "$T/create.code" | awk -F: '{s += $2} END {print s}') ))
		reg=$(db "SELECT count(*) FROM users WHERE username = 'emr$i'")
		[ $((won + reg)) = 1 ] || fail "round $i: $won API winners and $reg registrations for one address"
		for n in patchA patchB create; do [[ $(code_of $n) != 20[01] ]] || wins="$wins $n"; done
		[ "$reg" = 0 ] || wins="$wins register"
		# The address is free for the next round: whoever holds it lets it go.
		db "UPDATE users SET email = NULL, email_key = NULL WHERE lower(email) = 'race$i@example.com'"
	done
	echo "# the address went to:$(tr ' ' '\n' <<<"$wins" | sed '/^$/d' | sort | uniq -c | tr -s ' \n' ' ')" >&3
}

@test "change-password racing logout and a refresh of the same user: no session survives; the password is the one the answers say" {
	changed=0
	for i in $(seq "$ROUNDS"); do
		rm -f "$T"/*
		id=$(create_user "cl$i" "cl-old-$i" viewer)
		login_pair "cl$i" "cl-old-$i"
		a1=$ACCESS r1=$REFRESH
		login_pair "cl$i" "cl-old-$i"
		jcall change POST /auth/change-password/ "$a1" "{\"current_password\":\"cl-old-$i\",\"new_password\":\"cl-new-$i\"}"
		call logout POST /auth/logout/ -H "Authorization: Bearer $ACCESS"
		call refresh POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$r1\"}"
		wait
		no_5xx
		# Whichever commits first ends the other's session: the other answers 401, as it would a moment later.
		one_of change 204 401
		one_of logout 204 401
		[ "$(code_of change)$(code_of logout)" != 401401 ] || fail "round $i: both lost"
		one_of refresh 200 401
		[ "$(live_sessions "$id")" = 0 ] || fail "round $i: a session outlived the logout and the change"
		if [ "$(code_of refresh)" = 200 ]; then
			c=$(status_with "Authorization: Bearer $(jq -r .access_token "$T/refresh")" /auth/me/)
			[ "$c" = 401 ] || fail "round $i: the refreshed token answers $c"
		fi
		if [ "$(code_of change)" = 204 ]; then new=200 old=401 changed=$((changed + 1)); else new=401 old=200; fi
		c=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/login" --data-urlencode "username=cl$i" --data-urlencode "password=cl-new-$i")
		[ "$c" = $new ] || fail "round $i: change $(code_of change), the new password answers $c"
		c=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/auth/login" --data-urlencode "username=cl$i" --data-urlencode "password=cl-old-$i")
		[ "$c" = $old ] || fail "round $i: change $(code_of change), the old password answers $c"
	done
	echo "# changes that won (204): $changed of $ROUNDS; the others lost to the logout (401)" >&3
}

@test "afterwards: no 5xx in the log, the database and its audit chain intact" {
	refute_grep -q 'FOREIGN KEY\|UNIQUE constraint' "$INST/logs/gatehouse.log"
	[ "$(db_integrity)" = ok ]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$INST/gatehouse.conf" verify-audit
	[ "$status" -eq 0 ]
}
