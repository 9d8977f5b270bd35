#!/usr/bin/env bats
# nginx over FastCGI from the shipped conf/nginx.conf.example: only the port, the socket and nginx's own
# folders are substituted. The same smoke sequence as every server (tests/bats/smoke.bash).

load helpers
load smoke

setup_file() {
	start_instance
	SPORT=$(free_port)
	export SPORT
	mkdir -p "$INST/s/logs" "$INST/s/tmp"
	# The example includes fastcgi_params relative to the configuration folder, as in /etc/nginx.
	cp /etc/nginx/fastcgi_params "$INST/s/"
	# The shipped server block, with the test's port and the instance's socket.
	sed -e "s|^\([[:space:]]*\)listen 80;|\1listen 127.0.0.1:$SPORT;|" \
		-e "s|unix:[^;]*/gatehouse.sock;|unix:$INST/gatehouse.sock;|" \
		-e "s|^\([[:space:]]*\)root [^;]*/www;|\1root $GATEHOUSE_SRC/www;|" \
		"$GATEHOUSE_BIN/conf/nginx.conf.example" >"$INST/s/site.conf"
	user_line=""
	[ "$(id -u)" -ne 0 ] || user_line="user $(id -un) $(id -gn);"
	cat >"$INST/s/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $INST/s/nginx.pid;
error_log $INST/s/logs/error.log;
events { worker_connections 64; }
http {
	access_log $INST/s/logs/access.log;
	client_body_temp_path $INST/s/tmp/body;
	fastcgi_temp_path $INST/s/tmp/fastcgi;
	proxy_temp_path $INST/s/tmp/proxy;
	uwsgi_temp_path $INST/s/tmp/uwsgi;
	scgi_temp_path $INST/s/tmp/scgi;
	include /etc/nginx/mime.types;
	include $INST/s/site.conf;
}
CONF
	nginx -p "$INST/s" -c "$INST/s/nginx.conf" -e "$INST/s/logs/error.log" 3>&-
	for i in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$SPORT/api/auth/config" && break; sleep 0.1; done
}

teardown_file() {
	[ -f "$INST/s/nginx.pid" ] && kill "$(cat "$INST/s/nginx.pid")" 2>/dev/null
	stop_instance
}

@test "nginx (shipped example): the substitutions touched only the port, the socket and the pages' folder" {
	run diff "$GATEHOUSE_BIN/conf/nginx.conf.example" "$INST/s/site.conf"
	[ "$(grep -c '^[<>]' <<<"$output")" -eq 6 ]
}

@test "nginx (shipped example): the sign-in page and the console beside the API, under the strict CSP" {
	for page in /signin.html /console/; do
		run curl -s -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/page" -w '%{http_code}' "http://127.0.0.1:$SPORT$page"
		[ "$output" = 200 ] || fail "$page: $output"
		grep -q -i "^Content-Security-Policy: default-src 'none'; script-src 'self';" "$BATS_TEST_TMPDIR/h"
		grep -q '<script type="module"' "$BATS_TEST_TMPDIR/page"
	done
}

@test "nginx (shipped example): login, create, list, 404, 405, 413" {
	smoke_sequence "http://127.0.0.1:$SPORT/api"
}

@test "nginx (shipped example): its own 502 when gatehouse is down is the contract's JSON" {
	stop_gatehouse
	BASE="http://127.0.0.1:$SPORT/api"
	req GET /auth/config/
	start_gatehouse
	server_error_shape 502 503
}
