#!/usr/bin/env bats
# The first run on a host where no command can be run: with setup_token in the configuration, the first request
# creates the database and POST /setup creates the first admin, once. Served as CGI by Apache from the shipped
# .htaccess (apache.bash), the shared-hosting layout.

load helpers
load apache

TOKEN=Zq3vR8sK1mW5xT0bN7cY2pL9dF4gH6jA

setup_file() {
	pg_mode && return 0	# every test skips (setup)
	command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ] || skip "apache2 is not installed"
	APACHE_EMPTY=1 APACHE_GATEHOUSE_CONF="setup_token = $TOKEN
busy_timeout_ms = 1000" start_apache "$GATEHOUSE_BIN/gatehouse"
	export BASE="http://127.0.0.1:$APORT/api"
}
setup() {
	sqlite_only "the first request creates the SQLite file on a host where no command can be run"
}
teardown_file() {
	pg_mode && return 0
	stop_apache
}

setup_body() {
	jq -nc --arg t "$1" --arg u "${2:-root}" --arg p "${3:-longenough1}" '{setup_token:$t,username:$u,password:$p}'
}

@test "setup token: the first request creates the database (0600) in the writable folder" {
	[ ! -e "$A/data/gatehouse.db" ]
	req GET /health
	expect 200
	[ -f "$A/data/gatehouse.db" ]
	[ "$(stat -c %a "$A/data/gatehouse.db")" = 600 ]
}

@test "setup token: a wrong, shorter or longer token is 403; a body without one is 422; nothing is created" {
	for t in "${TOKEN%?}X" "${TOKEN%?}" "${TOKEN}X" x; do
		req POST /setup -H 'Content-Type: application/json' --data "$(setup_body "$t")"
		problem 403 "Invalid setup token"
	done
	req POST /setup -H 'Content-Type: application/json' --data '{"username":"root","password":"longenough1"}'
	[ "$code" = 422 ]
	[ "$(jq -c '.detail[0].loc' <<<"$body")" = '["body","setup_token"]' ]
	run sqlite3 "$A/data/gatehouse.db" 'SELECT count(*) FROM users'
	[ "$output" = 0 ]
}

@test "setup token: while another process holds the write lock, 503 with Retry-After and nothing is created" {
	local DATABASE=$A/data/gatehouse.db
	hold_db_lock
	req POST /setup -H 'Content-Type: application/json' --data "$(setup_body "$TOKEN" locked)"
	release_db_lock
	problem 503 "The database could not serve this request. Please retry."
	[ -n "$(header Retry-After)" ]
	run sqlite3 "$A/data/gatehouse.db" 'SELECT count(*) FROM users'
	[ "$output" = 0 ]
}

@test "setup token: concurrent setups create exactly one admin; the others get 409, never a 5xx" {
	for i in 1 2 3 4; do
		curl -s -o "$BATS_TEST_TMPDIR/body.$i" -w '%{http_code}\t%{content_type}' -X POST "$BASE/setup" \
			-H 'Content-Type: application/json' --data "$(setup_body "$TOKEN" "root$i")" >"$BATS_TEST_TMPDIR/code.$i" &
	done
	wait
	# Recorded as req does, for the OpenAPI check after the suite.
	for i in 1 2 3 4; do
		out=$(cat "$BATS_TEST_TMPDIR/code.$i")
		record_response POST /setup "${out%%$'\t'*}" "${out#*$'\t'}" "$(cat "$BATS_TEST_TMPDIR/body.$i")"
	done
	codes=$(cut -f1 "$BATS_TEST_TMPDIR"/code.* | sort | paste -sd' ')
	[ "$codes" = "201 409 409 409" ] || { echo "codes: $codes"; false; }
	run sqlite3 "$A/data/gatehouse.db" "SELECT count(*) FROM users"
	[ "$output" = 1 ]
	name=$(sqlite3 "$A/data/gatehouse.db" 'SELECT username FROM users')
	login_ok "$name" longenough1
	req GET /auth/me/ -H "Authorization: Bearer $(login_token "$name" longenough1)"
	expect 200
	[ "$(jq -c .roles <<<"$body")" = '["admin"]' ]
}

@test "setup token: once a user exists, the token creates nothing more (409)" {
	req POST /setup -H 'Content-Type: application/json' --data "$(setup_body "$TOKEN" intruder)"
	expect 409
	[ "$(jq -r .detail <<<"$body")" = "Setup is already done: the database has users" ]
}

@test "without setup_token the route is not there (404), and a missing database is not created" {
	d=$(mktemp -d)
	printf 'database = %s/gatehouse.db\n' "$d" >"$d/gatehouse.conf"
	cgi_setup() {
		local b
		b=$(setup_body "$TOKEN")
		printf '%s' "$b" | env -i GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$d/gatehouse.conf" \
			REQUEST_METHOD=POST SCRIPT_NAME=/api PATH_INFO=/setup CONTENT_TYPE=application/json \
			CONTENT_LENGTH="${#b}" "$GATEHOUSE_BIN/gatehouse" 2>/dev/null
	}
	out=$(cgi_setup)
	[ -e "$d/gatehouse.db" ] && created=1 || created=0
	"$GATEHOUSE_BIN/gatehousectl" -c "$d/gatehouse.conf" init >/dev/null
	out2=$(cgi_setup)
	users=$(sqlite3 "$d/gatehouse.db" 'SELECT count(*) FROM users')
	rm -rf "$d"
	[ "$created" = 0 ]
	[[ $out == "Status: 503"* ]] || { echo "$out"; false; }
	[[ $out2 == "Status: 404"* ]] || { echo "$out2"; false; }
	[ "$users" = 0 ]
}

@test "a setup_token shorter than 32 characters stops start-up with the file and the reason" {
	d=$(mktemp -d)
	printf 'database = %s/gatehouse.db\nsetup_token = short\n' "$d" >"$d/gatehouse.conf"
	run "$GATEHOUSE_BIN/gatehouse" -t -c "$d/gatehouse.conf"
	rm -rf "$d"
	[ "$status" -eq 1 ]
	[[ $output == *"gatehouse.conf: setup_token must be at least 32 characters"* ]]
}

@test "setup token: a look-alike username is refused like on every other path that creates a user" {
	d=$(mktemp -d)
	printf 'database = %s/gatehouse.db\nsetup_token = %s\n' "$d" "$TOKEN" >"$d/gatehouse.conf"
	b=$(jq -nc --arg t "$TOKEN" '{setup_token:$t,username:"admin\u200b",password:"longenough1"}')
	out=$(printf '%s' "$b" | env -i GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$d/gatehouse.conf" \
		REQUEST_METHOD=POST SCRIPT_NAME=/api PATH_INFO=/setup CONTENT_TYPE=application/json \
		CONTENT_LENGTH="$(printf '%s' "$b" | wc -c)" "$GATEHOUSE_BIN/gatehouse" 2>/dev/null)
	users=$(sqlite3 "$d/gatehouse.db" 'SELECT count(*) FROM users')
	rm -rf "$d"
	[[ $out == "Status: 422"* ]] || { echo "$out"; false; }
	[[ $out == *'"loc":["body","username"]'* ]]
	[ "$users" = 0 ]
}
