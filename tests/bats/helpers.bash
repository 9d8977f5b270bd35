# helpers.bash: start and stop a real nginx + gatehouse instance per test file, and talk to it with curl.

: "${GATEHOUSE_SRC:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${GATEHOUSE_BIN:=$GATEHOUSE_SRC}"
RUN="$GATEHOUSE_SRC/contrib/gatehouse-run"
# bats sets BATS_TEST_TMPDIR in a test only: in setup_file and teardown_file, req and its readers (header,
# site_login) would share /body and /headers with every other file's setup_file running at that moment (make check
# runs both engines' suites at once), and read another file's answer. There they use the file's own folder.
: "${BATS_TEST_TMPDIR:=$BATS_FILE_TMPDIR}"
ADMIN_PASSWORD='Adm1n-correct-horse'

# GATEHOUSE_TEST_PORTS=LOW-HIGH: the range free_port draws from (default 20000-31999, below the ephemeral range
# 32768- where clients take ports), so that suites sharing a machine can be kept apart.
# The reference's per-route limits (30 admin writes a minute, ...) would trip the many writes a test file makes
# from one address: off unless a file sets them again (later settings win); tests/bats/26-limits.bats does.
RATE_LIMITS_OFF="--set rate_limit_admin_writes=0 --set rate_limit_refresh=0 --set rate_limit_register=0"

free_port() {
	local p lo=20000 hi=31999 range=${GATEHOUSE_TEST_PORTS:-}
	if [ -n "$range" ]; then
		if [[ ! $range =~ ^([0-9]+)-([0-9]+)$ ]] || ((BASH_REMATCH[1] < 1024 || BASH_REMATCH[2] > 65535 ||
			BASH_REMATCH[1] > BASH_REMATCH[2])); then
			echo "GATEHOUSE_TEST_PORTS=$range: want LOW-HIGH within 1024-65535" >&2
			return 1
		fi
		lo=${BASH_REMATCH[1]} hi=${BASH_REMATCH[2]}
	fi
	local tries
	for ((tries = 0; tries < 1000; tries++)); do
		p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	echo "free_port: no free port found in $lo-$hi" >&2
	return 1
}

# --- The storage engine under test. GATEHOUSE_TEST_DATABASE=postgresql runs every instance on PostgreSQL: tests/
# run-bats.sh starts one throwaway cluster for the run (tests/pg-cluster.sh) and exports its socket folder as
# GATEHOUSE_TEST_PGHOST; each instance gets a fresh database in it. Anything else (the default) is SQLite.

# pg_mode: the suite runs on PostgreSQL.
pg_mode() {
	[ "${GATEHOUSE_TEST_DATABASE:-sqlite}" = postgresql ]
}

# sqlite_only REASON: the test is about SQLite itself (its file, its locks, its tools): skipped on PostgreSQL with
# REASON shown, so that the skip is counted and seen, never passed silently.
sqlite_only() {
	if pg_mode; then
		skip "SQLite only: $1"
	fi
}

# pg_uri NAME: the URI of database NAME in the test cluster.
pg_uri() {
	printf 'postgresql:///%s?host=%s&user=gatehouse\n' "$1" "$GATEHOUSE_TEST_PGHOST"
}

# new_database PATH: a fresh, empty database, printed as the value of `database =` that names it: PATH itself
# (a SQLite file that does not exist yet), or on PostgreSQL a new database of the test cluster.
new_database() {
	if pg_mode; then
		[ -n "${GATEHOUSE_TEST_PGHOST:-}" ] ||
			fail "GATEHOUSE_TEST_DATABASE=postgresql needs the cluster tests/run-bats.sh starts: run the file through it"
		local name
		name=gh_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
		createdb -h "$GATEHOUSE_TEST_PGHOST" -U gatehouse "$name" || fail "createdb $name failed"
		pg_uri "$name"
	else
		printf '%s\n' "$1"
	fi
}

# drop_database DATABASE: drops a PostgreSQL database new_database made (a SQLite file goes with its folder).
drop_database() {
	case $1 in
	postgresql://*)
		local name=${1#postgresql:///}
		dropdb -h "$GATEHOUSE_TEST_PGHOST" -U gatehouse --force --if-exists "${name%%\?*}" 2>/dev/null || true
		;;
	esac
}

# start_instance [gatehouse-run options...]: a fresh folder, database and port; exports INST, PORT, BASE, ADMIN_TOKEN
# and DATABASE (the instance's `database =`: its SQLite file, or its PostgreSQL URI). A --database option serves
# that database instead of a fresh one (several instances on one PostgreSQL database).
# A port found free can be taken before nginx binds it: then the instance is started again on another port.
start_instance() {
	local attempt arg own=1
	for arg in "$@"; do [ "$arg" != --database ] || own=0; done
	for attempt in 1 2 3; do
		INST=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-bats.XXXXXX")
		PORT=$(free_port)
		BASE="http://127.0.0.1:$PORT/api"
		DATABASE=$INST/gatehouse.db
		OWN_DATABASE=$own
		export INST PORT BASE DATABASE OWN_DATABASE
		if [ "$own" -eq 1 ]; then
			DATABASE=$(new_database "$INST/gatehouse.db") || return 1
			set -- --database "$DATABASE" "$@"
		else
			DATABASE=$(awk 'p { print; exit } $0 == "--database" { p = 1 }' <<<"$(printf '%s\n' "$@")")
		fi
		if printf '%s\n' "$ADMIN_PASSWORD" | "$RUN" --bin "$GATEHOUSE_BIN" --port "$PORT" --admin admin \
			--password-stdin --set hash_cost=1 $RATE_LIMITS_OFF "$@" "$INST" >"$INST/run.out" 2>&1; then
			break
		fi
		cat "$INST/run.out" >&2
		"$RUN" --stop "$INST" >/dev/null 2>&1
		[ "$own" -eq 0 ] || drop_database "$DATABASE"
		[ "$own" -eq 0 ] || shift 2
		rm -rf "$INST"
		[ "$attempt" -lt 3 ] || return 1
	done
	ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD") || return 1
	export ADMIN_TOKEN
}

stop_instance() {
	[ -n "${INST:-}" ] || return 0
	"$RUN" --stop "$INST" >/dev/null 2>&1 || true
	[ "${OWN_DATABASE:-1}" -eq 0 ] || drop_database "${DATABASE:-}"
	# A sanitizer build reports on standard error, which is the instance's log: keep any report for
	# tests/bats/99-sanitizers.bats before the folder goes.
	if [ -n "${GATEHOUSE_SANITIZER_LOGS:-}" ] &&
		grep -q -E 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$INST"/logs/* 2>/dev/null; then
		cp "$INST/logs/gatehouse.log" "$GATEHOUSE_SANITIZER_LOGS/$(basename "$INST").log"
	fi
	# No secret may reach gatehouse's log or nginx's error log: tokens, keys, yescrypt hashes, the passwords the
	# tests use. (nginx's access log holds URLs, so a deprecated ?api_key= lands there: api_key_query = off.)
	if [ -n "${GATEHOUSE_SANITIZER_LOGS:-}" ] &&
		grep -q -E "(gat|grt|gak|gss)_[A-Za-z0-9_-]{43}|[$]y[$]|longenough1|-pass-1|$ADMIN_PASSWORD" \
			"$INST/logs/gatehouse.log" "$INST/logs/nginx-error.log" 2>/dev/null; then
		mkdir -p "$GATEHOUSE_SANITIZER_LOGS/secrets"
		cp "$INST/logs/gatehouse.log" "$GATEHOUSE_SANITIZER_LOGS/secrets/$(basename "$INST").log"
	fi
	rm -rf "$INST"
}

# stop_gatehouse / start_gatehouse: the instance's gatehouse alone, nginx left running, the database untouched
# (gatehouse-run would create a missing one).
stop_gatehouse() {
	local master
	master=$(cat "$INST/gatehouse.pid" 2>/dev/null) || return 0
	kill -TERM "$master" 2>/dev/null
	for i in $(seq 100); do kill -0 "$master" 2>/dev/null || break; sleep 0.05; done
}

start_gatehouse() {
	setsid "$GATEHOUSE_BIN/gatehouse" -c "$INST/gatehouse.conf" -l "$INST/gatehouse.sock" -p "$INST/gatehouse.pid" \
		$( [ "$(id -u)" -ne 0 ] || echo --allow-root) </dev/null >>"$INST/logs/gatehouse.log" 2>&1 3>&- &
	local gh=$!
	# The pid file appears once the start-up checks passed; a failed start ends the process.
	for i in $(seq 200); do [ -s "$INST/gatehouse.pid" ] && break; kill -0 $gh 2>/dev/null || break; sleep 0.05; done
	[ -s "$INST/gatehouse.pid" ]
}

# req METHOD PATH [curl args...]: sets $code, $body and the headers file, and records the response.
req() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -sS --max-time 20 -o "$BATS_TEST_TMPDIR/body" -D "$BATS_TEST_TMPDIR/headers" \
		-w '%{http_code}\t%{content_type}' -X "$method" "$BASE$path" "$@")
	code=${out%%$'\t'*}
	body=$(cat "$BATS_TEST_TMPDIR/body")
	record_response "$method" "$path" "$code" "${out#*$'\t'}" "$body"
}

# record_response METHOD PATH STATUS CONTENT_TYPE BODY: appends one response the test received to the run's record
# (GATEHOUSE_RESPONSES, a folder set by tests/run-bats.sh), which tests/openapi-check.py validates against the
# OpenAPI document after the suite: every body against its route's schema, every documented status produced by
# some test. PATH is relative to BASE; the record holds it with BASE's own path in front (/api/auth/me; the
# forward-auth tests also send requests to a protected site, which the check leaves aside). Builtins only, no process started: the suite makes
# thousands of requests. One file per test process ($BASHPID), so that requests sent in the background never
# interleave their records. A record: a tab-separated header line (method, path, status, content type, the body's
# length in bytes, the bats file, the test), then the body and a newline. No response (status 000): nothing.
record_response() {
	[ -n "${GATEHOUSE_RESPONSES:-}" ] && [ "$3" != 000 ] || return 0
	local LC_ALL=C mount=""
	[[ ! $BASE =~ ^[a-z]+://[^/]+(/.*)?$ ]] || mount=${BASH_REMATCH[1]}
	printf '%s\t%s\t%s\t%s\t%d\t%s\t%s\n%s\n' "$1" "$mount$2" "$3" "$4" "${#5}" "${BATS_TEST_FILENAME##*/}" \
		"${BATS_TEST_DESCRIPTION:-setup}" "$5" >>"$GATEHOUSE_RESPONSES/${BATS_TEST_FILENAME##*/}.$BASHPID.rec"
}

# header NAME: the value of a response header of the last req.
header() {
	grep -i "^$1:" "$BATS_TEST_TMPDIR/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

# login_token NAME PASSWORD: prints a fresh access token. Fails (printing nothing) unless the login answered 200
# with a well-formed token, so `t=$(login_token ...)` fails the test on a 401, a 502 page or a non-JSON reply.
login_token() {
	local out status token
	out=$(curl -sS --max-time 20 -w '\n%{http_code}\t%{content_type}' -X POST "$BASE/auth/login" \
		--data-urlencode "username=$1" --data-urlencode "password=$2") || { echo "login_token $1: curl failed" >&2; return 1; }
	status=${out##*$'\n'}
	record_response POST /auth/login "${status%%$'\t'*}" "${status#*$'\t'}" "${out%$'\n'*}"
	status=${status%%$'\t'*}
	token=$(sed '$d' <<<"$out" | jq -r .access_token 2>/dev/null)
	if [ "$status" != 200 ] || ! [[ $token =~ ^gat_[A-Za-z0-9_-]{43}$ ]]; then
		echo "login_token $1: want 200 and an access token, got $status: $(sed '$d' <<<"$out" | head -c 300)" >&2
		return 1
	fi
	printf '%s\n' "$token"
}

# login_pair NAME PASSWORD: a password login; sets ACCESS and REFRESH. Fails unless it answered 200 with a
# well-formed access and refresh token. (26-limits.bats has its own, from a client address of its choosing.)
login_pair() {
	req POST /auth/login --data-urlencode "username=$1" --data-urlencode "password=$2"
	[ "$code" = 200 ] || fail "login_pair $1: want 200, got $code $body"
	ACCESS=$(jq -r .access_token <<<"$body")
	REFRESH=$(jq -r .refresh_token <<<"$body")
	[[ $ACCESS =~ ^gat_[A-Za-z0-9_-]{43}$ && $REFRESH =~ ^grt_[A-Za-z0-9_-]{43}$ ]] || fail "login_pair $1: $body"
}

# refresh REFRESH_TOKEN: POST /auth/refresh/ with it, as JSON; the answer in $code and $body (req).
refresh() { req POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$1\"}"; }

# new_key TOKEN [BODY]: creates an API key with the caller's TOKEN (BODY: {"name":"k"} unless given); prints the
# raw key. Fails unless it answered 201. (14-authz-matrix.bats and 29-hardening.bats have their own, with other
# arguments.)
new_key() {
	local data='{"name":"k"}'
	[ $# -lt 2 ] || data=$2
	req POST /auth/api-keys/ -H "Authorization: Bearer $1" -H 'Content-Type: application/json' --data "$data"
	[ "$code" = 201 ] || { echo "new_key: $code $body" >&2; return 1; }
	jq -r .key <<<"$body"
}

# login_ok NAME PASSWORD: the login succeeds (200 with an access token).
login_ok() {
	login_token "$@" >/dev/null
}

# login_refused NAME PASSWORD: the login is refused exactly as a wrong password is (401, the contract's text).
login_refused() {
	req POST /auth/login --data-urlencode "username=$1" --data-urlencode "password=$2"
	problem 401 "Incorrect username or password"
}

# site_login NAME PASSWORD: a session-mode login (X-Gatehouse-Auth-Mode: session); sets SID, the value of the
# gatehouse_session cookie, and leaves the answer in $code, $body and the headers file as req does. Fails, naming
# the status, unless a cookie was set.
site_login() {
	req POST /auth/login -H 'X-Gatehouse-Auth-Mode: session' --data-urlencode "username=$1" \
		--data-urlencode "password=$2"
	SID=$(grep -i '^Set-Cookie: gatehouse_session=' "$BATS_TEST_TMPDIR/headers" | head -n 1 | sed 's/^[^=]*=//; s/;.*//' |
		tr -d '\r')
	[ -n "$SID" ] || fail "site_login $1: no gatehouse_session cookie in the $code answer: ${body:0:300}"
}

# revoke_by EVENT ID NAME PASSWORD: one of the events that must end every credential of user ID (NAME, PASSWORD)
# on the very next request: logout (with the site session $SID, from this origin), disable (then enabled again at
# once: nothing may revive), change (their password), reset (by an admin), delete, reuse (a rotated refresh token
# presented again; needs refresh_reuse_grace=0). Fails unless the API accepted the event.
revoke_by() {
	local how=$1 id=$2 name=$3 password=$4 t rt
	case $how in
	logout)
		req POST /auth/logout/ -H "Cookie: gatehouse_session=$SID" -H "Origin: http://127.0.0.1:$PORT"
		expect 204 ;;
	disable)
		as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"status":"disabled"}'
		expect 200
		as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"status":"active"}'
		expect 200 ;;
	change)
		t=$(login_token "$name" "$password")
		req POST /auth/change-password/ -H "Authorization: Bearer $t" -H 'Content-Type: application/json' \
			--data "$(jq -nc --arg c "$password" --arg n "$password-changed" '{current_password:$c,new_password:$n}')"
		expect 204 ;;
	reset)
		as_admin POST "/admin/users/$id/reset-password/" -H 'Content-Type: application/json' \
			--data "$(jq -nc --arg p "$password-reset" '{password:$p}')"
		expect 204 ;;
	delete)
		as_admin DELETE "/admin/users/$id"
		expect 204 ;;
	reuse)
		req POST /auth/login --data-urlencode "username=$name" --data-urlencode "password=$password"
		expect 200
		rt=$(jq -r .refresh_token <<<"$body")
		req POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$rt\"}"
		expect 200
		req POST /auth/refresh/ -H 'Content-Type: application/json' --data "{\"refresh_token\":\"$rt\"}"
		expect 401 ;;
	*) fail "revoke_by: no event $how" ;;
	esac
}

# revoked_on_next_request REQUEST PATH PREFIX: a protected PATH behind forward authentication (62 nginx, 63
# lighttpd) honours every revocation on the very next request. For each event revoke_by knows but reuse (logout,
# disable, change, reset, delete), a new editor PREFIX-EVENT signs in with a site session and a bearer token; both
# get PATH through REQUEST (called as REQUEST METHOD PATH [curl args...], setting $code as req does) with 200;
# after the event the session, asked with the caller's browser Accept header $HTML, is sent to sign in (302) and
# the token gets 401. Fails naming the event and the step.
revoked_on_next_request() {
	local request=$1 path=$2 prefix=$3 how id token
	for how in logout disable change reset delete; do
		id=$(create_user "$prefix-$how" "$prefix-pass-1" editor)
		site_login "$prefix-$how" "$prefix-pass-1"
		token=$(login_token "$prefix-$how" "$prefix-pass-1")
		"$request" GET "$path" -H "Cookie: gatehouse_session=$SID"
		[ "$code" = 200 ] || fail "before $how: the session got $code"
		"$request" GET "$path" -H "Authorization: Bearer $token"
		[ "$code" = 200 ] || fail "before $how: the token got $code"
		revoke_by "$how" "$id" "$prefix-$how" "$prefix-pass-1"
		"$request" GET "$path" -H "Cookie: gatehouse_session=$SID" -H "$HTML"
		[ "$code" = 302 ] || fail "revoked by $how: the session got $code, not the redirect to sign in"
		"$request" GET "$path" -H "Authorization: Bearer $token"
		[ "$code" = 401 ] || fail "revoked by $how: the token got $code"
	done
}

# --- Assertions. bats runs tests under `set -e`, where a `! cmd` line or an `a && b` line that is not the test's
# last line checks nothing; these helpers fail loudly instead, and tests/lint.sh refuses the two patterns.

# fail MESSAGE...: fails the test, saying why.
fail() {
	echo "$*" >&2
	return 1
}

# assert_status N: the status of the last `run` is N.
assert_status() {
	[ "$status" -eq "$1" ] || fail "exit status: want $1, got $status; output: $output"
}

# assert_output_has TEXT...: the output of the last `run` contains each TEXT (fixed strings).
assert_output_has() {
	local t
	for t in "$@"; do
		[[ $output == *"$t"* ]] || fail "output lacks \"$t\"; output: $output"
	done
}

# assert_output_is TEXT: the output of the last `run` is exactly TEXT.
assert_output_is() {
	[ "$output" = "$1" ] || fail "output: want \"$1\", got \"$output\""
}

# refute_contains HAYSTACK NEEDLE...: HAYSTACK contains none of the NEEDLEs (fixed strings, none empty).
refute_contains() {
	local hay=$1 n
	shift
	for n in "$@"; do
		[ -n "$n" ] || fail "refute_contains: an empty needle would match nothing"
		[[ $hay != *"$n"* ]] || fail "found \"$n\" in: $(head -c 600 <<<"$hay")"
	done
}

# assert_contains HAYSTACK NEEDLE...: HAYSTACK contains every NEEDLE (fixed strings).
assert_contains() {
	local hay=$1 n
	shift
	for n in "$@"; do
		[[ $hay == *"$n"* ]] || fail "\"$n\" not found in: $(head -c 600 <<<"$hay")"
	done
}

# refute_grep [GREP OPTIONS...] PATTERN FILE...: no line of the FILEs matches. Unlike `! grep`, a missing or
# unreadable file fails (grep's status 2) instead of passing.
refute_grep() {
	local out rc=0
	out=$(grep "$@") || rc=$?
	case $rc in
	1) return 0 ;;
	0) fail "refute_grep $*: matched: $(head -c 600 <<<"$out")" ;;
	*) fail "refute_grep $*: grep failed ($rc)" ;;
	esac
}

# no_500 ACCESS_LOG: nginx answered no request with 500 (the log must exist and have lines).
no_500() {
	[ -s "$1" ] || fail "no_500: $1 is missing or empty"
	refute_grep '" 500 ' "$1"
}

# ci_skip REASON: skips the test, except under CI=true, where a missing tool or capability fails it instead
# (CI installs every tool the suite uses, so a skip there would hide a test silently).
ci_skip() {
	if [ "${CI:-}" = true ]; then
		fail "$1 (CI=true: a test that cannot run fails instead of skipping)"
	fi
	skip "$1"
}

# need_tool TOOL...: each TOOL is installed, else ci_skip.
need_tool() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || ci_skip "$t is not installed"
	done
}

# as_admin METHOD PATH [curl args...]
as_admin() {
	local method=$1 path=$2
	shift 2
	req "$method" "$path" -H "Authorization: Bearer $ADMIN_TOKEN" "$@"
}

# create_user NAME PASSWORD ROLE: creates through the API, prints the new id.
create_user() {
	as_admin POST /admin/users/ -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg u "$1" --arg p "$2" --arg r "$3" '{username:$u,password:$p,role:$r}')"
	[ "$code" = 201 ] || { echo "create_user $1: $code $body" >&2; return 1; }
	jq -r .id <<<"$body"
}

# expect CODE JSON: the status and the whole body, compared as JSON.
expect() {
	if [ "$code" != "$1" ]; then
		echo "status: want $1, got $code; body: $body" >&2
		return 1
	fi
	if [ $# -ge 2 ]; then
		if [ "$(jq -cS . <<<"$body")" != "$(jq -cS . <<<"$2")" ]; then
			echo "body: want $2" >&2
			echo "      got  $body" >&2
			return 1
		fi
	fi
}

# problem CODE DETAIL: the contract's error shape with a string detail.
problem() {
	local title
	title=$(case $1 in 400) echo "Bad Request";; 401) echo Unauthorized;; 403) echo Forbidden;;
		404) echo "Not Found";; 405) echo "Method Not Allowed";; 409) echo Conflict;;
		413) echo "Payload Too Large";; 503) echo "Service Unavailable";; esac)
	expect "$1" "$(jq -nc --arg t "$title" --argjson s "$1" --arg d "$2" \
		'{type:"about:blank",title:$t,status:$s,detail:$d}')"
	[ "$(header Content-Type)" = application/json ] || { echo "content type $(header Content-Type)" >&2; return 1; }
}

# invalid DETAIL_ARRAY: a 422 with exactly this detail.
invalid() {
	expect 422 "$(jq -nc --argjson d "$1" '{type:"about:blank",title:"Validation Error",status:422,detail:$d}')"
}

# db_at DATABASE [SQL]: runs SQL (else standard input) on DATABASE, a SQLite file or a PostgreSQL URI, printing
# rows as sqlite3 does: columns joined by |, NULL empty. On PostgreSQL a boolean prints t or f: compare
# CAST(x AS INTEGER) where both engines must agree.
db_at() {
	local d=$1
	shift
	case $d in
	postgresql://*)
		if [ $# -eq 0 ]; then
			psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$d" -f -
		else
			psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$d" -c "$1"
		fi
		;;
	*) sqlite3 -cmd ".timeout 5000" "$d" "$@" ;;
	esac
}

# db [SQL]: SQL on the instance's database.
db() {
	db_at "$DATABASE" "$@"
}

# --- SQL and database operations that differ between the engines, so that a test states its intent once.

# sql_blob HEX: a literal of the bytes HEX (lower- or upper-case hex digits), e.g. a token's SHA-256 digest.
sql_blob() {
	if pg_mode; then printf "'\\\\x%s'::bytea" "$1"; else printf "X'%s'" "$1"; fi
}

# sql_text_hex EXPR: the upper-case hex of the UTF-8 bytes of the text EXPR.
sql_text_hex() {
	if pg_mode; then printf "upper(encode(convert_to(%s, 'UTF8'), 'hex'))" "$1"; else printf 'hex(%s)' "$1"; fi
}

# db_dump_at DATABASE: the whole database as SQL text (sqlite3 .dump, pg_dump), to search for what must not be
# stored.
db_dump_at() {
	case $1 in
	postgresql://*) pg_dump --no-owner -d "$1" ;;
	*) sqlite3 -cmd ".timeout 5000" "$1" .dump ;;
	esac
}
db_dump() { db_dump_at "$DATABASE"; }

# db_integrity_at DATABASE: prints ok when the engine's own check finds the database sound: SQLite's
# integrity_check; on PostgreSQL, pg_amcheck (the amcheck extension: every B-tree index against its table, and
# the tables' heap pages).
db_integrity_at() {
	case $1 in
	postgresql://*)
		# pg_amcheck takes its database as a name (-d is a pattern), so the URI is taken apart.
		local out name=${1#postgresql:///} host
		name=${name%%\?*}
		host=$(sed -n 's/.*[?&]host=\([^&]*\).*/\1/p' <<<"$1")
		if out=$(pg_amcheck --install-missing --heapallindexed -h "$host" -U gatehouse -d "$name" 2>&1) &&
			[ -z "$out" ]; then
			echo ok
		else
			printf '%s\n' "$out"
		fi
		;;
	*) sqlite3 -cmd ".timeout 5000" "$1" 'PRAGMA integrity_check' ;;
	esac
}
db_integrity() { db_integrity_at "$DATABASE"; }

# db_copy PATH: a consistent copy of the instance's database, taken while it serves, printed as the value of
# `database =` that names the copy: a SQLite online backup at PATH, or a new PostgreSQL database restored from
# pg_dump.
db_copy() {
	if pg_mode; then
		local copy
		copy=$(new_database "$1") || return 1
		pg_dump --no-owner -d "$DATABASE" | psql -X -q -v ON_ERROR_STOP=1 -d "$copy" >/dev/null ||
			fail "db_copy: pg_dump | psql into $copy failed"
		printf '%s\n' "$copy"
	else
		rm -f "$1"
		sqlite3 -cmd ".timeout 5000" "$DATABASE" ".backup '$1'" || fail "db_copy: .backup to $1 failed"
		printf '%s\n' "$1"
	fi
}

# sql_random_bytes N: an expression of N random bytes (N up to 32).
sql_random_bytes() {
	if pg_mode; then printf 'substr(sha256(random()::text::bytea), 1, %d)' "$1"; else printf 'randomblob(%d)' "$1"; fi
}

# The tables a write of gatehouse's touches: on PostgreSQL, holding them all in EXCLUSIVE mode is what SQLite's
# BEGIN IMMEDIATE is, a database-wide write lock (plain reads pass, every write waits).
PG_WRITE_TABLES="users, user_roles, sessions, api_keys, audit, audit_meta, throttle"

# hold_write_lock SECONDS: in the background, another process takes the database's write lock for SECONDS, so
# that requests arriving meanwhile authenticate (reads are not blocked) and then queue for their writes. The
# caller waits for it (wait).
hold_write_lock() {
	if pg_mode; then
		psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE" \
			-c "BEGIN; LOCK TABLE $PG_WRITE_TABLES IN EXCLUSIVE MODE; SELECT pg_sleep($1); COMMIT;" >/dev/null 3>&- &
	else
		printf 'BEGIN IMMEDIATE;\n.shell sleep %s\nCOMMIT;\n' "$1" | sqlite3 "$DATABASE" 3>&- &
	fi
}

# hold_db_lock: another process takes the database's write lock and keeps it until release_db_lock; SQL written
# to file descriptor 5 meanwhile runs inside its transaction (sqlite3 in BEGIN IMMEDIATE, or psql holding
# PG_WRITE_TABLES).
hold_db_lock() {
	local fifo=$BATS_TEST_TMPDIR/db-lock
	rm -f "$fifo"
	mkfifo "$fifo"
	if pg_mode; then
		psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE" <"$fifo" >/dev/null 2>&1 3>&- &
		DB_LOCK_HOLDER=$!
		exec 5>"$fifo"
		echo "BEGIN; LOCK TABLE $PG_WRITE_TABLES IN EXCLUSIVE MODE;" >&5
	else
		sqlite3 "$DATABASE" <"$fifo" >/dev/null 2>&1 3>&- &
		DB_LOCK_HOLDER=$!
		exec 5>"$fifo"
		echo 'BEGIN IMMEDIATE;' >&5
	fi
	sleep 0.3
}

# release_db_lock: commits hold_db_lock's transaction and waits for its process.
release_db_lock() {
	echo 'COMMIT;' >&5
	exec 5>&-
	wait "$DB_LOCK_HOLDER"
}

# pg_only REASON: the test needs PostgreSQL (several hosts' deployment, moving over to it, its outages): skipped
# with REASON shown unless the suite runs on PostgreSQL (GATEHOUSE_TEST_DATABASE=postgresql, make check runs both).
pg_only() {
	if ! pg_mode; then
		skip "PostgreSQL only: $1"
	fi
}
