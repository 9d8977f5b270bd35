#!/usr/bin/env bats
# TCP mode (gatehouse -l HOST:PORT): the loopback interface unless another is named, FCGI_WEB_SERVER_ADDRS
# honoured (a connection from an address not listed is closed), IPv6 refused with the reason. nginx stands for
# the web server; fastcgi_bind makes it connect from 127.0.0.2, a "foreign" local address.

load helpers

setup_file() {
	start_instance
	TCP_PORT=$(free_port)
	export TCP_PORT
}
teardown_file() { stop_instance; }

# start_tcp LISTEN [VAR=value...]: gatehouse on a TCP socket instead of the instance's Unix socket.
start_tcp() {
	local listen=$1 root=
	shift
	stop_gatehouse
	[ "$(id -u)" -ne 0 ] || root=--allow-root
	env "$@" setsid "$GATEHOUSE_BIN/gatehouse" -c "$INST/gatehouse.conf" -l "$listen" -p "$INST/gatehouse.pid" \
		$root </dev/null >>"$INST/logs/gatehouse.log" 2>&1 3>&- &
	for i in $(seq 100); do listening && break; sleep 0.05; done
	listening
}

# listening [HEXADDR]: a listener on TCP_PORT (at that address, as /proc/net/tcp writes it) exists.
listening() {
	local port
	port=$(printf '%04X' "$TCP_PORT")
	awk -v p=":$port" -v a="${1:-}" '$4 == "0A" && substr($2, length($2) - 4) == p && (a == "" || index($2, a) == 1) { f = 1 }
		END { exit !f }' /proc/net/tcp
}

# via_nginx BIND: nginx passes to the TCP socket, connecting from BIND (an address of this host).
via_nginx() {
	sed -i -e 's# fastcgi_bind [0-9.]*;##g' -e "s#fastcgi_pass [^;]*;#fastcgi_pass 127.0.0.1:$TCP_PORT; fastcgi_bind $1;#" \
		"$INST/nginx.conf"
	nginx -p "$INST" -c "$INST/nginx.conf" -s reload 2>/dev/null || /usr/sbin/nginx -p "$INST" -c "$INST/nginx.conf" -s reload
	sleep 0.5	# the new workers take over
}

config_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/auth/config/"; }

@test "-l :PORT listens on 127.0.0.1 only, and serves through nginx" {
	start_tcp ":$TCP_PORT"
	listening 0100007F	# 127.0.0.1
	run listening 00000000	# not 0.0.0.0
	[ "$status" -eq 1 ]
	via_nginx 127.0.0.1
	[ "$(config_code)" = 200 ]
	grep -q "listening on 127.0.0.1:$TCP_PORT; FastCGI connections accepted from any address that reaches it" \
		"$INST/logs/gatehouse.log"
}

@test "FCGI_WEB_SERVER_ADDRS: a connection from an address not listed is refused, a listed one served" {
	# Without the list, a connection from 127.0.0.2 is served: the list is what refuses it below.
	start_tcp "127.0.0.1:$TCP_PORT"
	via_nginx 127.0.0.2
	[ "$(config_code)" = 200 ]
	start_tcp "127.0.0.1:$TCP_PORT" FCGI_WEB_SERVER_ADDRS=127.0.0.1
	[ "$(config_code)" = 502 ]
	[ "$(config_code)" = 502 ]
	via_nginx 127.0.0.1
	[ "$(config_code)" = 200 ]
	grep -q "FastCGI connections accepted from 127.0.0.1" "$INST/logs/gatehouse.log"
}

@test "another interface must be named, and without FCGI_WEB_SERVER_ADDRS it is warned about" {
	start_tcp "0.0.0.0:$TCP_PORT"
	listening 00000000
	grep -q "listening on 0.0.0.0:$TCP_PORT, beyond the loopback interface, without FCGI_WEB_SERVER_ADDRS" \
		"$INST/logs/gatehouse.log"
	stop_gatehouse
}

@test "IPv6 and malformed TCP addresses are refused with the reason" {
	while IFS='|' read -r addr want; do
		run "$GATEHOUSE_BIN/gatehouse" -c "$INST/gatehouse.conf" -l "$addr" --allow-root
		[ "$status" -eq 1 ] || { echo "$addr: status $status" >&2; return 1; }
		[[ $output == *"$want"* ]] || { echo "$addr: $output" >&2; return 1; }
	done <<-'TABLE'
	[::1]:9000|libfcgi listens on IPv4 only
	::1:9000|libfcgi listens on IPv4 only
	127.0.0.1:http|the port must be a number from 1 to 65535
	127.0.0.1:70000|the port must be a number from 1 to 65535
	:0|the port must be a number from 1 to 65535
	TABLE
}
