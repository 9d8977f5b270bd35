#!/usr/bin/env bats
# The production shape, as root sets it up on Debian: the files belong to www-data, gatehouse opens its socket as
# root and then runs as www-data, nginx's workers run as www-data. Privileges, fail-fast start-up and signals.

load helpers

# start_prod: gatehouse as root dropping to www-data, with the socket www-data:www-data 0660.
start_prod() {
	setsid "$GATEHOUSE_BIN/gatehouse" -c "$P/etc/gatehouse.conf" -u www-data -g www-data \
		-U www-data -G www-data -M 0660 -l "$P/run/gatehouse.sock" -p "$P/run/gatehouse.pid" \
		</dev/null >>"$P/start.err" 2>&1 3>&- &
	local gh=$!
	for i in $(seq 200); do [ -s "$P/run/gatehouse.pid" ] && break; kill -0 $gh 2>/dev/null || break; sleep 0.05; done
	[ -s "$P/run/gatehouse.pid" ] || { cat "$P/start.err" >&2; return 1; }
}

stop_prod() {
	local m
	m=$(cat "$P/run/gatehouse.pid" 2>/dev/null) || return 0
	kill -TERM "$m" 2>/dev/null
	# Up to 30 s: each worker checkpoints the WAL on its way out, which a loaded disk can make slow.
	for i in $(seq 600); do kill -0 "$m" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$m" 2>/dev/null && { echo "master $m still running; workers: $(pgrep -P "$m")" >&2; tail -n 5 "$P/log/gatehouse.log" >&2; }
	return 0
}

master() { cat "$P/run/gatehouse.pid"; }
prod_workers() { pgrep -P "$(master)" | sort; }

setup_file() {
	id www-data >/dev/null 2>&1 || skip "no www-data user"
	[ "$(id -u)" -eq 0 ] || skip "needs root, as an operator sets it up"
	P=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-prod.XXXXXX")
	export P
	chmod 0755 "$P"
	mkdir -p "$P/etc" "$P/lib" "$P/log" "$P/run" "$P/tmp"
	chown www-data:www-data "$P/lib" "$P/log" "$P/run"
	PDB=$(new_database "$P/lib/gatehouse.db")	# on PostgreSQL, a database of the test cluster
	export PDB
	cat >"$P/etc/gatehouse.conf" <<CONF
database = $PDB
log_file = $P/log/gatehouse.log
hash_cost = 1
workers = 2
CONF
	chgrp www-data "$P/etc/gatehouse.conf"
	chmod 0640 "$P/etc/gatehouse.conf"
	"$GATEHOUSE_BIN/gatehousectl" -c "$P/etc/gatehouse.conf" init --owner www-data >"$P/init.out"
	printf '%s\n' "$ADMIN_PASSWORD" |
		"$GATEHOUSE_BIN/gatehousectl" -c "$P/etc/gatehouse.conf" create-admin --owner www-data -s admin >/dev/null
	start_prod
	PORT=$(free_port)
	BASE="http://127.0.0.1:$PORT/api"
	export PORT BASE
	cat >"$P/nginx.conf" <<CONF
user www-data www-data;
worker_processes 1;
pid $P/nginx.pid;
error_log $P/log/nginx-error.log;
events { worker_connections 64; }
http {
	access_log $P/log/access.log;
	client_body_temp_path $P/tmp/body;
	fastcgi_temp_path $P/tmp/fastcgi;
	proxy_temp_path $P/tmp/proxy;
	uwsgi_temp_path $P/tmp/uwsgi;
	scgi_temp_path $P/tmp/scgi;
	server {
		listen 127.0.0.1:$PORT;
		location /api/ {
			fastcgi_split_path_info ^(/api)(/.*)\$;
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
			fastcgi_param PATH_INFO \$fastcgi_path_info;
			fastcgi_pass unix:$P/run/gatehouse.sock;
		}
	}
}
CONF
	nginx -p "$P" -c "$P/nginx.conf" -e "$P/log/nginx-error.log" </dev/null >/dev/null 2>&1 3>&-
	for i in $(seq 100); do curl -s -o /dev/null "$BASE/auth/me" && break; sleep 0.05; done
}

teardown_file() {
	[ -n "${P:-}" ] || return 0
	stop_prod
	[ -f "$P/nginx.pid" ] && kill "$(cat "$P/nginx.pid")" 2>/dev/null
	rm -rf "$P"
}

@test "init --owner and create-admin --owner leave every file to www-data" {
	grep -q "ready (schema version" "$P/init.out"
	[ "$(stat -c %U:%G "$P/log/gatehouse.log")" = www-data:www-data ]
	if ! pg_mode; then
		[ "$(stat -c %U:%G:%a "$P/lib/gatehouse.db")" = www-data:www-data:600 ]
	fi
	# No file in the state folder is root's (a -wal or -shm left by create-admin would be).
	[ -z "$(find "$P/lib" -user root)" ]
}

@test "create-admin --owner with the audit key gone refuses and names it: no new key, the chain still verifies" {
	key=$P/etc/gatehouse-audit.key
	[ -f "$key" ]
	mv "$key" "$key.kept"
	run sh -c "printf 'second-admin-pw\n' | '$GATEHOUSE_BIN/gatehousectl' -c '$P/etc/gatehouse.conf' create-admin --owner www-data -s second"
	made=0
	[ ! -e "$key" ] || made=1
	rm -f "$key"
	mv "$key.kept" "$key"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot read the audit key $key: No such file or directory; create it with: gatehousectl init"* ]]
	[ $made -eq 0 ]	# a key made here would sign the next rows with a secret the earlier rows do not match
	run "$GATEHOUSE_BIN/gatehousectl" -c "$P/etc/gatehouse.conf" verify-audit
	[ "$status" -eq 0 ]
	[[ $output == "audit trail intact"* ]]
	run "$GATEHOUSE_BIN/gatehousectl" -c "$P/etc/gatehouse.conf" user show second
	[ "$status" -eq 1 ]
}

@test "the socket is www-data:www-data 0660 and every gatehouse process runs as www-data" {
	[ "$(stat -c %U:%G:%a "$P/run/gatehouse.sock")" = www-data:www-data:660 ]
	[ "$(ps -o user= -p "$(master)")" = www-data ]
	[ "$(prod_workers | wc -l)" -eq 2 ]
	for w in $(prod_workers); do [ "$(ps -o user= -p "$w")" = www-data ]; done
	[ "$(stat -c %U "$P/run/gatehouse.pid")" = www-data ]
}

@test "requests through nginx workers running as www-data succeed" {
	[ -n "$(pgrep -u www-data -f "nginx: worker process")" ]
	ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD")
	[[ $ADMIN_TOKEN =~ ^gat_[A-Za-z0-9_-]{43}$ ]]
	id=$(create_user prod-user "prod-user-pass-1" viewer)
	[ -n "$id" ]
	req GET "/admin/users/$id" -H "Authorization: Bearer $ADMIN_TOKEN"
	expect 200
	[ -z "$(find "$P/lib" -user root)" ]
}

@test "as root without -u, gatehouse refuses to serve, unless told" {
	# Bounded: a gatehouse that wrongly serves would otherwise hold the test for ever.
	run timeout 20 "$GATEHOUSE_BIN/gatehouse" -c "$P/etc/gatehouse.conf" -l "$P/run/other.sock"
	[ "$status" -eq 1 ]
	[[ $output == *"refusing to serve as root"* ]]
	run "$GATEHOUSE_BIN/gatehouse" -c "$P/etc/gatehouse.conf" -u no-such-user-here -l "$P/run/other.sock"
	[ "$status" -eq 1 ]
	[[ $output == *"no such user: no-such-user-here"* ]]
	rm -f "$P/run/other.sock"
}

@test "from a terminal, with no socket and no CGI request, gatehouse prints a hint and exits 2" {
	run "$GATEHOUSE_BIN/gatehouse" -c "$P/etc/gatehouse.conf" </dev/null
	[ "$status" -eq 2 ]
	[[ $output == *"no FastCGI socket on standard input and no CGI request"* ]]
	[[ $output == *"-l ADDRESS"* ]]
}

@test "a database the service user cannot open stops the start, naming path, uid and reason" {
	sqlite_only "the permissions of the database file"
	cp -p "$P/lib/gatehouse.db" "$P/lib/root.db"
	chown root:root "$P/lib/root.db"
	chmod 0600 "$P/lib/root.db"
	sed "s|^database = .*|database = $P/lib/root.db|" "$P/etc/gatehouse.conf" >"$P/etc/root.conf"
	run timeout 20 "$GATEHOUSE_BIN/gatehouse" -c "$P/etc/root.conf" -u www-data -l "$P/run/other.sock" -p "$P/run/other.pid"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot open database $P/lib/root.db as uid 33 (www-data): Permission denied"* ]]
	[ ! -e "$P/run/other.pid" ]
	# -t checks as the service user too.
	run "$GATEHOUSE_BIN/gatehouse" -t -c "$P/etc/root.conf" -u www-data
	[ "$status" -eq 1 ]
	[[ $output == *"as uid 33 (www-data): Permission denied"* ]]
	run "$GATEHOUSE_BIN/gatehouse" -t -c "$P/etc/gatehouse.conf" -u www-data
	[ "$status" -eq 0 ]
	[[ $output == *"usable as uid 33 (www-data)"* ]]
	# A log file www-data cannot open stops it as well.
	touch "$P/log/root.log"
	chmod 0600 "$P/log/root.log"
	sed "s|^log_file = .*|log_file = $P/log/root.log|" "$P/etc/gatehouse.conf" >"$P/etc/rootlog.conf"
	run timeout 20 "$GATEHOUSE_BIN/gatehouse" -c "$P/etc/rootlog.conf" -u www-data -l "$P/run/other.sock"
	[ "$status" -eq 1 ]
	[[ $output == *"cannot open log file $P/log/root.log as uid 33 (www-data): Permission denied"* ]]
	rm -f "$P/lib/root.db" "$P/run/other.sock" "$P/log/root.log"
}

@test "a backup taken under write load restores to a database that passes integrity_check and verify-audit" {
	sqlite_only "gatehousectl backup copies a SQLite file (pg_dump under load: tests/bats/74-pg-backup.bats)"
	ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD")
	mkdir -p "$P/backups"
	chown www-data:www-data "$P/backups"
	before=$(sqlite3 "$P/lib/gatehouse.db" "SELECT count(*) FROM users")
	# Writers: users created through nginx while the backup runs.
	(
		for i in $(seq 1 25); do
			curl -s -o /dev/null -X POST "$BASE/admin/users/" -H "Authorization: Bearer $ADMIN_TOKEN" \
				-H 'Content-Type: application/json' \
				--data "{\"username\":\"load-$i\",\"password\":\"load-password-$i\",\"role\":\"viewer\"}"
		done
	) &
	writer=$!
	sleep 0.2
	run "$GATEHOUSE_BIN/gatehousectl" -c "$P/etc/gatehouse.conf" backup "$P/backups/b.db"
	echo "$output" >&2
	wait $writer
	[ "$status" -eq 0 ]
	[[ $output == "backup written to $P/backups/b.db"* ]]
	# Run as root on www-data's database, the command worked as www-data: the copy and the state are its.
	[ "$(stat -c %U:%a "$P/backups/b.db")" = www-data:600 ]
	[ -z "$(find "$P/lib" -user root)" ]
	after=$(sqlite3 "$P/lib/gatehouse.db" "SELECT count(*) FROM users")
	inbackup=$(sqlite3 "$P/backups/b.db" "SELECT count(*) FROM users")
	[ "$inbackup" -ge "$before" ]
	[ "$inbackup" -le "$after" ]
	[ "$(sqlite3 "$P/backups/b.db" 'PRAGMA integrity_check')" = ok ]
	# Restore: stop, put the copy in place, start; the service and the audit chain are whole.
	stop_prod
	mv "$P/backups/b.db" "$P/lib/gatehouse.db"
	start_prod
	run "$GATEHOUSE_BIN/gatehousectl" -c "$P/etc/gatehouse.conf" verify-audit
	[ "$status" -eq 0 ]
	[[ $output == "audit trail intact"* ]]
	login_ok admin "$ADMIN_PASSWORD"
	[ "$(sqlite3 "$P/lib/gatehouse.db" "SELECT count(*) FROM users")" -eq "$inbackup" ]
}

@test "an import of mixed-format hashes logs in through nginx and is upgraded" {
	hash() {
		python3 - "$1" "$2" <<'PY'
import ctypes, sys
lib = ctypes.CDLL("libcrypt.so.1")
lib.crypt_gensalt.restype = ctypes.c_char_p
lib.crypt_gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
lib.crypt.restype = ctypes.c_char_p
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
print(lib.crypt(sys.argv[2].encode(), lib.crypt_gensalt(sys.argv[1].encode(), 0, None, 0)).decode())
PY
	}
	{
		echo username,password_hash
		for m in '$2b$' '$2y$' '$6$' '$5$' '$y$' '$gy$' '$7$'; do
			n=$(tr -dc 'a-z0-9' <<<"$m")
			echo "mixed-$n,$(hash "$m" "mixed-pw-$n")"
		done
	} >"$P/mixed.csv"
	run "$GATEHOUSE_BIN/gatehousectl" -c "$P/etc/gatehouse.conf" import "$P/mixed.csv"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = "7 imported, 0 refused" ]
	for n in 2b 2y 6 5 y gy 7; do
		req POST /auth/login --data-urlencode "username=mixed-$n" --data-urlencode "password=mixed-pw-$n"
		[ "$code" = 200 ] || { echo "mixed-$n: $code $body" >&2; false; }
		[[ $(db_at "$PDB" "SELECT password_hash FROM users WHERE username = 'mixed-$n'") == '$y$j75$'* ]]
	done
	[ -z "$(find "$P/lib" -user root)" ]
}

@test "SIGHUP reopens a rotated log in the master and every worker, and kills nothing" {
	before="$(master) $(prod_workers)"
	mv "$P/log/gatehouse.log" "$P/log/gatehouse.log.1"
	kill -HUP "$(master)"
	for i in $(seq 100); do [ -s "$P/log/gatehouse.log" ] && break; sleep 0.05; done
	grep -q "reopened the log file" "$P/log/gatehouse.log"
	# Every worker writes to the new file: enough requests that both serve some.
	for i in $(seq 12); do curl -s -o /dev/null "$BASE/auth/config"; done
	for w in $(prod_workers); do grep -q "gatehouse\[$w\]" "$P/log/gatehouse.log"; done
	[ "$(master) $(prod_workers)" = "$before" ]
	[ "$(stat -c %U "$P/log/gatehouse.log")" = www-data ]
	run grep -c "gatehouse\[" "$P/log/gatehouse.log.1"
	n1=$output
	curl -s -o /dev/null "$BASE/auth/config"
	run grep -c "gatehouse\[" "$P/log/gatehouse.log.1"
	[ "$output" = "$n1" ]
}

@test "a worker that dies is replaced, with a log line" {
	w=$(prod_workers | head -n 1)
	kill -KILL "$w"
	for i in $(seq 100); do [ "$(prod_workers | wc -l)" -eq 2 ] && ! prod_workers | grep -qx "$w" && break; sleep 0.05; done
	run prod_workers
	[ "${#lines[@]}" -eq 2 ]
	[[ $output != *"$w"* ]]
	grep -q "worker $w killed by signal 9 (Killed); starting a new one" "$P/log/gatehouse.log"
}

@test "SIGTERM: every worker closes the database, no -wal is left, the pid file is removed" {
	ADMIN_TOKEN=$(login_token admin "$ADMIN_PASSWORD")
	for i in 1 2 3; do create_user "term-$i" "term-pass-$i-long" viewer >/dev/null; done
	ls -l "$P/lib" >&2
	if ! pg_mode; then
		[ -e "$P/lib/gatehouse.db-wal" ]
	fi
	m=$(master)
	kids=$(prod_workers)
	stop_prod
	run kill -0 "$m"
	[ "$status" -ne 0 ]
	for k in $kids; do run kill -0 "$k"; [ "$status" -ne 0 ]; done
	[ ! -e "$P/lib/gatehouse.db-wal" ]
	[ ! -e "$P/lib/gatehouse.db-shm" ]
	[ ! -e "$P/run/gatehouse.pid" ]
	[ ! -e "$P/run/gatehouse.sock" ]
	run db_at "$PDB" "SELECT count(*) FROM users WHERE username LIKE 'term-%'"
	[ "$output" = 3 ]
	start_prod
}

@test "if the master dies, even by SIGKILL, its workers exit at once" {
	m=$(master)
	kids=$(prod_workers)
	[ -n "$kids" ]
	kill -KILL "$m"
	for i in $(seq 40); do
		alive=0
		for k in $kids; do kill -0 "$k" 2>/dev/null && alive=1; done
		[ $alive -eq 0 ] && break
		sleep 0.05
	done
	for k in $kids; do run kill -0 "$k"; [ "$status" -ne 0 ]; done
	# They closed the database on the way out.
	[ ! -e "$P/lib/gatehouse.db-wal" ]
	rm -f "$P/run/gatehouse.pid"
	start_prod
	req GET /auth/config
	[ "$code" = 200 ]
}
