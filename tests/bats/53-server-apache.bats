#!/usr/bin/env bats
# Apache 2.4 running gatehouse as CGI from the shipped www/.htaccess (the shared-hosting layout, apache.bash).
# The same smoke sequence as every server.

load helpers
load smoke
load apache

setup_file() {
	command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ] || skip "apache2 is not installed"
	start_apache "$GATEHOUSE_BIN/gatehouse"
}

teardown_file() { stop_apache; }

@test "Apache CGI (shipped .htaccess): login, create, list, 404, 405, 413" {
	smoke_sequence "http://127.0.0.1:$APORT/api"
}

@test "Apache CGI (shipped .htaccess): the Authorization header reaches gatehouse" {
	BASE="http://127.0.0.1:$APORT/api"
	token=$(login_token admin "$ADMIN_PASSWORD")
	req GET /auth/me/ -H "Authorization: Bearer $token"
	expect 200
	[ "$(jq -r .username <<<"$body")" = admin ]
}

@test "Apache CGI (shipped .htaccess): the program failing gives Apache's 500 as the contract's JSON" {
	chmod 0644 "$A/www/api.cgi"
	BASE="http://127.0.0.1:$APORT/api"
	req GET /auth/config/
	chmod 0755 "$A/www/api.cgi"
	server_error_shape 500 403
}

@test "Apache CGI (shipped .htaccess): the configuration and a database in the web root are not served" {
	cp "$A/data/gatehouse.conf" "$A/www/gatehouse.conf"
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT/gatehouse.conf"
	rm -f "$A/www/gatehouse.conf"
	[ "$output" = 403 ]
}
