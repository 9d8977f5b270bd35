#!/usr/bin/env bats
# systemd socket activation: the socket as fd 3 with LISTEN_FDS/LISTEN_PID, tested with systemd-socket-activate
# behind nginx; the shipped units verified by systemd-analyze.

load helpers

setup_file() {
	start_instance
}

teardown_file() {
	[ -f "$BATS_FILE_TMPDIR/act.env" ] && . "$BATS_FILE_TMPDIR/act.env"
	[ -n "${ACT:-}" ] && kill "$ACT" 2>/dev/null
	[ -f "$INST/nginx2.pid" ] && kill "$(cat "$INST/nginx2.pid")" 2>/dev/null
	stop_instance
}

@test "behind systemd-socket-activate (fd 3), workers serve through nginx and SIGTERM leaves no -wal" {
	command -v systemd-socket-activate >/dev/null || skip "systemd-socket-activate is not installed (package systemd)"
	stop_gatehouse
	sport=$(free_port)
	setsid systemd-socket-activate -l "$INST/act.sock" -E GATEHOUSE_CONFIG="$INST/gatehouse.conf" \
		"$GATEHOUSE_BIN/gatehouse" -w 2 --allow-root </dev/null >>"$INST/logs/act.out" 2>&1 3>&- &
	ACT=$!
	echo "export ACT=$ACT" >"$BATS_FILE_TMPDIR/act.env"
	for i in $(seq 100); do [ -S "$INST/act.sock" ] && break; sleep 0.05; done
	sed -e "s|$INST/gatehouse.sock|$INST/act.sock|" -e "s|127.0.0.1:$PORT|127.0.0.1:$sport|" \
		-e "s|$INST/nginx.pid|$INST/nginx2.pid|" "$INST/nginx.conf" >"$INST/nginx2.conf"
	nginx -p "$INST" -c "$INST/nginx2.conf" -e "$INST/logs/nginx-error.log" </dev/null >/dev/null 2>&1 3>&-
	for i in $(seq 100); do [ -s "$INST/nginx2.pid" ] && break; sleep 0.05; done
	# The first connection starts gatehouse (systemd-socket-activate execs it in its own process).
	out=$(curl -sS --max-time 20 -w '\n%{http_code}' "http://127.0.0.1:$sport/api/auth/me/" -H "Authorization: Bearer $ADMIN_TOKEN")
	[ "$(tail -n 1 <<<"$out")" = 200 ]
	[ "$(sed '$d' <<<"$out" | jq -r .username)" = admin ]
	grep -q "listening on the socket systemd passed with 2 workers" "$INST/logs/gatehouse.log"
	[ "$(pgrep -P "$ACT" | wc -l)" -eq 2 ]
	out=$(curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$sport/api/admin/users/" \
		-H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
		--data '{"username":"activated","password":"activated-pass-1","role":"viewer"}')
	[ "$out" = 201 ]
	if ! pg_mode; then
		[ -e "$INST/gatehouse.db-wal" ]
	fi
	kill -TERM "$ACT"
	for i in $(seq 200); do kill -0 "$ACT" 2>/dev/null || break; sleep 0.05; done
	run kill -0 "$ACT"
	[ "$status" -ne 0 ]
	[ ! -e "$INST/gatehouse.db-wal" ]
	# The socket is systemd's: gatehouse leaves it in place.
	[ -S "$INST/act.sock" ]
	kill "$(cat "$INST/nginx2.pid")"
	start_gatehouse
}

@test "LISTEN_FDS meant for another process is not taken; with no socket at all, a hint and exit 2" {
	run env LISTEN_FDS=1 LISTEN_PID=1 "$GATEHOUSE_BIN/gatehouse" -c "$INST/gatehouse.conf" --allow-root </dev/null 3</dev/null
	[ "$status" -eq 2 ]
	[[ $output == *"no FastCGI socket on standard input"* ]]
}

@test "the shipped units pass systemd-analyze verify and carry the sandboxing" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (package systemd)"
	u="$BATS_TEST_TMPDIR/units"
	mkdir -p "$u"
	# Paths of this build instead of the installed ones; nothing else changed.
	sed "s|/usr/sbin/|$GATEHOUSE_BIN/|" "$GATEHOUSE_SRC/contrib/gatehouse.service" >"$u/gatehouse.service"
	cp "$GATEHOUSE_SRC/contrib/gatehouse.socket" "$u/"
	run systemd-analyze verify --man=no "$u/gatehouse.service" "$u/gatehouse.socket"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	for k in NoNewPrivileges=yes ProtectSystem=strict StateDirectory=gatehouse PrivateTmp=yes \
		RestrictAddressFamilies=AF_UNIX 'SystemCallFilter=@system-service' 'CapabilityBoundingSet=$' 'User=_gatehouse'; do
		grep -q "^$k" "$GATEHOUSE_SRC/contrib/gatehouse.service"
	done
	grep -q '^ListenStream=/run/gatehouse/gatehouse.sock$' "$GATEHOUSE_SRC/contrib/gatehouse.socket"
	grep -q '^SocketMode=0660$' "$GATEHOUSE_SRC/contrib/gatehouse.socket"
}
