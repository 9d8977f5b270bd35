#!/usr/bin/env bats
# The authorization matrix (tests/bats/authz-matrix.txt), walked through nginx: every route x every kind of
# caller gives the status and detail the contract names; the self rules through a token and a key; and the
# matrix covers every route of src/routes.c.

load helpers

MATRIX="$BATS_TEST_DIRNAME/authz-matrix.txt"
PASS='matrix-pass-1'
CALLERS=(none expired viewer editor admin disabled ro_key full_key exp_key other_key)

# Boss logs in for every caller kind and every login cell: no session cap may end the ones in use.
setup_file() { start_instance --set registration=on --set max_sessions_per_user=100000; }
teardown_file() { stop_instance; }

# new_key TOKEN BODY: prints "id key" of a new API key made with TOKEN.
new_key() {
	req POST /auth/api-keys/ -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data "$2"
	[ "$code" = 201 ] || fail "new_key: $code $body"
	jq -r '.id + " " + .key' <<<"$body"
}

# make_callers: fresh credentials for every caller (a password login each, keys made with a login).
make_callers() {
	local k
	CRED_admin=$(login_token boss "$PASS")
	CRED_viewer=$(login_token vic "$PASS")
	CRED_editor=$(login_token edi "$PASS")
	CRED_expired=$(login_token boss "$PASS")
	db "UPDATE sessions SET access_expires_at = 0 WHERE access_digest = $(sql_blob "$(printf '%s' "$CRED_expired" | sha256sum | cut -d' ' -f1)")"
	db "UPDATE users SET status = 'active' WHERE username = 'gone'"
	CRED_disabled=$(login_token gone "$PASS")
	db "UPDATE users SET status = 'disabled' WHERE username = 'gone'"
	k=$(new_key "$CRED_admin" '{"name":"ro","scope":"read_only"}')
	CRED_ro_key=${k#* }
	k=$(new_key "$CRED_admin" '{"name":"full"}')
	CRED_full_key=${k#* }
	k=$(new_key "$CRED_admin" '{"name":"soon-expired"}')
	CRED_exp_key=${k#* }
	db "UPDATE api_keys SET expires_at = 1 WHERE id = '${k%% *}'"
	k=$(new_key "$CRED_viewer" '{"name":"vic"}')
	CRED_other_key=${k#* }
}

# caller_args CALLER: the curl arguments that present CALLER's credential, in CARGS.
caller_args() {
	local v="CRED_$1"
	case $1 in
	none) CARGS=() ;;
	*_key) CARGS=(-H "X-Api-Key: ${!v}") ;;
	*) CARGS=(-H "Authorization: Bearer ${!v}") ;;
	esac
}

# fill TEXT FRESH: TEXT with the placeholders of the matrix replaced (see authz-matrix.txt). With FRESH=1 every
# object is new; with FRESH=0 (a cell refused before its handler runs) the objects made once by make_shared serve,
# which still catches a bug that lets the request through (a 2xx, or a 404/409 on an object a wrong request used).
# Runs inside $(...), where set -e does not reach: every step that can fail says so and returns 1.
fill() {
	local s=$1 fresh=$2 id k seq
	seq=$(($(cat "$BATS_FILE_TMPDIR/seq" 2>/dev/null || echo 0) + 1))
	echo "$seq" >"$BATS_FILE_TMPDIR/seq"
	s=${s//PASS/$PASS}
	s=${s//\{n\}/$seq}
	if [[ $s == *"{victim"* ]]; then
		id=$SHARED_victim
		[ "$fresh" = 0 ] || id=$(create_user "victim-$seq" longenough1 viewer) || return 1
		s=${s//\{victim_id\}/$id}
		s=${s//\{victim\}/$id}
	fi
	if [[ $s == *"{pending}"* ]]; then
		id=$SHARED_pending
		[ "$fresh" = 0 ] || id=$(new_pending "pending-$seq") || return 1
		s=${s//\{pending\}/$id}
	fi
	if [[ $s == *"{key}"* ]]; then
		k=$SHARED_key
		[ "$fresh" = 0 ] || k=$(new_key "$CRED_admin" '{"name":"target"}') || return 1
		s=${s//\{key\}/${k%% *}}
	fi
	if [[ $s == *"{vkey}"* ]]; then
		k=$SHARED_vkey
		[ "$fresh" = 0 ] || k=$(new_key "$CRED_viewer" '{"name":"vtarget"}') || return 1
		s=${s//\{vkey\}/${k%% *}}
	fi
	if [[ $s == *"{refresh}"* ]]; then
		req POST /auth/login --data-urlencode username=vic --data-urlencode "password=$PASS"
		[ "$code" = 200 ] || return 1
		s=${s//\{refresh\}/$(jq -r .refresh_token <<<"$body")}
	fi
	if [[ $s == *"{hash}"* ]]; then
		s=${s//\{hash\}/$(db "SELECT password_hash FROM users WHERE username = 'vic'")}
	fi
	s=${s//\{self\}/$BOSS_ID}
	printf '%s' "$s"
}

# new_pending NAME: prints the id of a new user in the pending state, as self-registration leaves it.
new_pending() {
	local id
	id=$(create_user "$1" longenough1 viewer) || return 1
	db "UPDATE users SET status = 'pending' WHERE id = '$id'; DELETE FROM user_roles WHERE uid = (SELECT uid FROM users WHERE id = '$id')"
	echo "$id"
}

# make_shared: the objects that refused cells point at.
make_shared() {
	SHARED_victim=$(create_user "bystander-$RANDOM$RANDOM" longenough1 viewer)
	SHARED_pending=$(new_pending "waiting-$RANDOM$RANDOM")
	SHARED_key=$(new_key "$CRED_admin" '{"name":"shared"}')
	SHARED_vkey=$(new_key "$CRED_viewer" '{"name":"vshared"}')
}

# legend LETTER: "STATUS DETAIL" of a legend letter.
legend() {
	sed -n "s/^= $1 //p" "$MATRIX"
}

# cell METHOD PATH BODY CALLER WANT_STATUS WANT_DETAIL: one request; prints a line for a mismatch. Objects are
# fresh when the cell expects success or a 404 about the object (which must then exist).
cell() {
	local method=$1 path=$2 data=$3 who=$4 want=$5 detail=$6 p b fresh=0
	caller_args "$who"
	if [[ $want == 2* || $want == 404 ]]; then fresh=1; fi
	p=$(fill "$path" $fresh) || { echo "$method $path as $who: could not make the path's objects"; return; }
	b=-
	if [ "$data" != - ]; then
		b=$(fill "$data" $fresh) || { echo "$method $path as $who: could not make the body's objects"; return; }
	fi
	if [ "$b" = - ]; then
		req "$method" "$p" "${CARGS[@]}"
	else
		req "$method" "$p" "${CARGS[@]}" -H 'Content-Type: application/json' --data "$b"
	fi
	if [ "$code" != "$want" ]; then
		echo "$method $path as $who: want $want${detail:+ \"$detail\"}, got $code $(head -c 200 <<<"$body")"
	elif [ -n "$detail" ] && [ "$(jq -r .detail <<<"$body" 2>/dev/null)" != "$detail" ]; then
		echo "$method $path as $who: want detail \"$detail\", got $(head -c 200 <<<"$body")"
	fi
}

# The callers' accounts, made once (each test runs in its own process; the database persists).
setup() {
	BOSS_ID=$(db "SELECT id FROM users WHERE username = 'boss'")
	if [ -z "$BOSS_ID" ]; then
		BOSS_ID=$(create_user boss "$PASS" admin)
		create_user vic "$PASS" viewer >/dev/null
		create_user edi "$PASS" editor >/dev/null
		create_user gone "$PASS" admin >/dev/null
	fi
}

@test "every route x every caller: the status and detail of the authorization matrix" {
	local method path ok data cells renew i who want detail out bad="" rows=0 n=0
	make_callers
	make_shared
	while read -r method path ok data cells; do
		[[ $method =~ ^(GET|POST|PATCH|DELETE|PUT)$ ]] || continue
		read -r -a c <<<"$cells"
		renew=0
		[ "${c[${#CALLERS[@]}]:-}" != renew ] || renew=1
		[ ${#c[@]} -ge ${#CALLERS[@]} ] || fail "matrix row $method $path: ${#c[@]} cells for ${#CALLERS[@]} callers"
		rows=$((rows + 1))
		for i in "${!CALLERS[@]}"; do
			who=${CALLERS[i]}
			if [ "${c[i]}" = ok ]; then
				want=$ok detail=""
			else
				read -r want detail <<<"$(legend "${c[i]}")"
				[ -n "$want" ] || fail "matrix row $method $path: no legend line for \"${c[i]}\""
			fi
			out=$(cell "$method" "$path" "$data" "$who" "$want" "$detail")
			[ -z "$out" ] || bad+="$out"$'\n'
			n=$((n + 1))
			# A logout or password change that went through revoked the caller's credentials: make new ones.
			if [ $renew = 1 ] && [[ $code == 2* ]]; then make_callers; fi
		done
	done <"$MATRIX"
	echo "# $rows routes, $n cells" >&3
	[ "$rows" -ge 28 ] || fail "only $rows matrix rows read"
	[ -z "$bad" ] || fail "$bad"
}

@test "the self rules: an admin cannot demote, disable, deactivate, delete or reset himself, by token or by key" {
	local method path data want detail out bad="" n=0
	make_callers
	while read -r mark method path data want detail; do
		[ "$mark" = '!' ] || continue
		for who in admin full_key; do
			out=$(cell "$method" "$path" "$data" "$who" "$want" "$detail")
			[ -z "$out" ] || bad+="$out"$'\n'
			n=$((n + 1))
		done
	done <"$MATRIX"
	[ "$n" -ge 14 ] || fail "only $n self-rule cells read"
	[ -z "$bad" ] || fail "$bad"
	# Nothing changed: boss is still an active admin with the same password.
	as_admin GET "/admin/users/$BOSS_ID"
	[ "$(jq -c '[.status,.is_active,.roles]' <<<"$body")" = '["active",true,["admin"]]' ]
	login_ok boss "$PASS"
}

# The routes of src/routes.c as "METHOD /path" with {} for a parameter, one a line, sorted.
code_routes() {
	grep -oE '\{ *M_[A-Z]+, *"[^"]+"' "$GATEHOUSE_SRC/src/routes.c" | sed -E 's/\{ *M_([A-Z]+), *"([^"]+)"/\1 \2/' | sort -u
}
matrix_routes() {
	awk '$1 ~ /^(GET|POST|PATCH|DELETE|PUT)$/ { print $1, $2 }' "$MATRIX" |
		sed -E 's/\{[a-z_]+\}/{}/g; s|/export/csv$|/export/{}|' | sort -u
}

@test "the matrix has a row for every route of src/routes.c, and no row for a route that does not exist" {
	code=$(code_routes)
	[ "$(wc -l <<<"$code")" -ge 28 ] || fail "could not read the route table of src/routes.c: $code"
	missing=$(comm -23 <(echo "$code") <(matrix_routes))
	stale=$(comm -13 <(echo "$code") <(matrix_routes))
	[ -z "$missing" ] || fail "src/routes.c has routes with no row in tests/bats/authz-matrix.txt (add one each, as its header says):
$missing"
	[ -z "$stale" ] || fail "tests/bats/authz-matrix.txt has rows for routes src/routes.c does not have:
$stale"
}
