#!/usr/bin/env bats
# lighttpd running gatehouse as CGI from the shipped conf/lighttpd-cgi.conf: only the program's, the
# configuration's and the error pages' paths are substituted. The same smoke sequence as every server.

load helpers
load smoke
load lighttpd

setup_file() {
	command -v lighttpd >/dev/null || [ -x /usr/sbin/lighttpd ] || skip "lighttpd is not installed"
	start_instance
	start_lighttpd "$GATEHOUSE_BIN/conf/lighttpd-cgi.conf" \
		-e "s|\"/api\" => \"[^\"]*/gatehouse\"|\"/api\" => \"$INST/l/gatehouse\"|" \
		-e "s|\"GATEHOUSE_CONFIG\" => \"[^\"]*\"|\"GATEHOUSE_CONFIG\" => \"$INST/gatehouse.conf\"|" \
		-e "s|\"[^\"]*/errors/status-\"|\"$GATEHOUSE_SRC/www/errors/status-\"|"
	cp "$GATEHOUSE_BIN/gatehouse" "$INST/l/gatehouse"
}

teardown_file() {
	stop_lighttpd
	stop_instance
}

@test "lighttpd CGI (shipped file): the substitutions touched only paths" {
	run diff "$GATEHOUSE_BIN/conf/lighttpd-cgi.conf" "$INST/l/gatehouse.conf"
	[ "$(grep -c '^[<>]' <<<"$output")" -eq 6 ]
}

@test "lighttpd CGI (shipped file): login, create, list, 404, 405, 413" {
	smoke_sequence "http://127.0.0.1:$LPORT/api"
}

@test "lighttpd CGI (shipped file): a program that cannot run gets lighttpd's 500 as the contract's JSON" {
	chmod 0644 "$INST/l/gatehouse"
	BASE="http://127.0.0.1:$LPORT/api"
	req GET /auth/config/
	chmod 0755 "$INST/l/gatehouse"
	server_error_shape 500 403
}
