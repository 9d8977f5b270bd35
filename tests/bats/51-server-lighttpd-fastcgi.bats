#!/usr/bin/env bats
# lighttpd over FastCGI from the shipped conf/lighttpd-fastcgi.conf: only the socket and the error pages'
# folder are substituted. The same smoke sequence as every server (tests/bats/smoke.bash).

load helpers
load smoke
load lighttpd

setup_file() {
	command -v lighttpd >/dev/null || [ -x /usr/sbin/lighttpd ] || skip "lighttpd is not installed"
	start_instance
	start_lighttpd "$GATEHOUSE_BIN/conf/lighttpd-fastcgi.conf" \
		-e "s|\"[^\"]*/gatehouse.sock\"|\"$INST/gatehouse.sock\"|" \
		-e "s|\"[^\"]*/errors/status-\"|\"$GATEHOUSE_SRC/www/errors/status-\"|"
}

teardown_file() {
	stop_lighttpd
	stop_instance
}

@test "lighttpd FastCGI (shipped file): the substitutions touched only the socket and the error pages" {
	run diff "$GATEHOUSE_BIN/conf/lighttpd-fastcgi.conf" "$INST/l/gatehouse.conf"
	[ "$(grep -c '^[<>]' <<<"$output")" -eq 4 ]
}

@test "lighttpd FastCGI (shipped file): login, create, list, 404, 405, 413" {
	smoke_sequence "http://127.0.0.1:$LPORT/api"
}

@test "lighttpd FastCGI (shipped file): its own answer when gatehouse is down is the contract's JSON" {
	stop_gatehouse
	BASE="http://127.0.0.1:$LPORT/api"
	req GET /auth/config/
	start_gatehouse
	server_error_shape 502 503
}
