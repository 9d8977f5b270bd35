#!/usr/bin/env bats
# Logs an operator and fail2ban can use: one access line per request at info, security events at warning with
# address and name (never a secret), nginx's request id in both logs, the shipped fail2ban filter and logrotate file.

load helpers

setup_file() {
	start_instance --set login_failures_per_account=3 --set login_failures_per_address=1000
}

teardown_file() {
	stop_instance
}

LOG() { cat "$INST/logs/gatehouse.log"; }

@test "one access line per request: request id, client, user id or -, method, route, status, microseconds" {
	req GET /auth/config/
	expect 200
	rid=$(header X-Request-ID)
	run grep -E "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z gatehouse\[[0-9]+\] info: request $rid: 127\.0\.0\.1 - \"GET /auth/config/\" 200 [0-9]+us$" \
		"$INST/logs/gatehouse.log"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	admin_id=$(as_admin GET /auth/me/ >/dev/null; jq -r .id <<<"$body")
	as_admin GET /auth/me/
	rid=$(header X-Request-ID)
	grep -q "request $rid: 127.0.0.1 $admin_id \"GET /auth/me/\" 200 " "$INST/logs/gatehouse.log"
	# Errors too: a 404 and a 405 get their line.
	req GET /no/such/route
	grep -q "request $(header X-Request-ID): 127.0.0.1 - \"GET /no/such/route\" 404 " "$INST/logs/gatehouse.log"
}

@test "nginx's \$request_id is the request id in both logs; a client's X-Request-ID is never taken" {
	req GET /auth/config -H 'X-Request-ID: client-chosen-id'
	rid=$(header X-Request-ID)
	[ "$rid" != client-chosen-id ]
	[[ $rid =~ ^[0-9a-f]{32}$ ]]	# nginx's form, not gatehouse's UUID
	grep -q " $rid\$" "$INST/logs/access.log"
	grep -q "request $rid: " "$INST/logs/gatehouse.log"
	run grep -c client-chosen-id "$INST/logs/gatehouse.log"
	[ "$output" = 0 ]
}

@test "as CGI, REQUEST_ID from the server is used when well-formed, replaced otherwise" {
	for id in good-id.1_A 'bad id' "$(printf 'x%.0s' $(seq 40))" ''; do
		out=$(env -i GATEWAY_INTERFACE=CGI/1.1 GATEHOUSE_CONFIG="$INST/gatehouse.conf" REQUEST_METHOD=GET \
			SCRIPT_NAME=/api REQUEST_URI=/api/auth/config REMOTE_ADDR=127.0.0.1 REQUEST_ID="$id" \
			"$GATEHOUSE_BIN/gatehouse" </dev/null)
		got=$(grep -i '^X-Request-ID:' <<<"$out" | cut -d' ' -f2 | tr -d '\r')
		if [ "$id" = good-id.1_A ]; then
			[ "$got" = good-id.1_A ]
		else
			[[ $got =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
		fi
	done
}

@test "a failed login is a warning with address and name, never the password" {
	req POST /auth/login --data-urlencode username=mallory --data-urlencode password=not-the-Secret-77
	[ "$code" = 401 ]
	rid=$(header X-Request-ID)
	grep -q "warning: request $rid: login failure from 127.0.0.1: user \"mallory\": invalid_credentials\$" \
		"$INST/logs/gatehouse.log"
	run grep -c "not-the-Secret-77" "$INST/logs/gatehouse.log"
	[ "$output" = 0 ]
}

@test "a throttle block is a warning with address and name" {
	for i in 1 2 3; do
		req POST /auth/login --data-urlencode username=victim --data-urlencode password=guess-guess-$i
	done
	req POST /auth/login --data-urlencode username=victim --data-urlencode password=guess-guess-4
	[ "$code" = 429 ]
	grep -q "warning: request $(header X-Request-ID): login throttled from 127.0.0.1: user \"victim\": Too many failed logins" \
		"$INST/logs/gatehouse.log"
}

@test "revocations are warnings with address, name and actor" {
	id=$(create_user revokee revokee-pass-1 viewer)
	token=$(login_token revokee revokee-pass-1)
	req POST /auth/logout/ -H "Authorization: Bearer $token"
	[ "$code" = 204 ]
	grep -q "warning: request $(header X-Request-ID): revocation from 127.0.0.1: user.logout of user \"revokee\"" \
		"$INST/logs/gatehouse.log"
	admin_id=$(as_admin GET /auth/me/ >/dev/null; jq -r .id <<<"$body")
	as_admin POST "/admin/users/$id/deactivate/"
	[ "$code" = 200 ]

	grep -q "warning: request $(header X-Request-ID): revocation from 127.0.0.1: user.deactivate of user \"revokee\" ($id) by $admin_id\$" \
		"$INST/logs/gatehouse.log"
	as_admin DELETE "/admin/users/$id"
	[ "$code" = 204 ]
	grep -q "warning: request $(header X-Request-ID): revocation from 127.0.0.1: user.delete of user \"revokee\" ($id) by $admin_id\$" \
		"$INST/logs/gatehouse.log"
	# A refused revocation (404) is not reported as one.
	as_admin DELETE "/admin/users/$id"
	[ "$code" = 404 ]
	run grep -c "request $(header X-Request-ID): revocation" "$INST/logs/gatehouse.log"
	[ "$output" = 0 ]
}

@test "the fail2ban filter finds the failures and blocks of the lines above, and nothing else" {
	command -v fail2ban-regex >/dev/null || skip "fail2ban is not installed (CI installs it)"
	# A crafted name naming another address must not be taken for the client.
	req POST /auth/login --data-urlencode 'username=x: from 203.0.113.9: user "y' --data-urlencode password=whatever-1
	[ "$code" = 401 ]
	cp "$INST/logs/gatehouse.log" "$BATS_TEST_TMPDIR/g.log"
	failures=$(grep -c -E 'warning: request [^ ]+: login (failure|throttled) from 127\.0\.0\.1: ' "$BATS_TEST_TMPDIR/g.log")
	[ "$failures" -ge 6 ]
	run fail2ban-regex --print-all-matched "$BATS_TEST_TMPDIR/g.log" "$GATEHOUSE_SRC/contrib/fail2ban/filter.d/gatehouse.conf"
	[ "$status" -eq 0 ]
	echo "$output" >&2
	[[ $output == *"Failregex: $failures total"* ]]
	[[ $output == *"127.0.0.1"* ]]
	[[ $output != *"203.0.113.9  "* ]]
	# Every line has its time recognised, and every address found is 127.0.0.1.
	[[ $output != *"Missed"*"time"* ]] || true
	run fail2ban-regex -o '<ip>' "$BATS_TEST_TMPDIR/g.log" "$GATEHOUSE_SRC/contrib/fail2ban/filter.d/gatehouse.conf"
	[ "$status" -eq 0 ]
	[ "$(sort -u <<<"$output")" = 127.0.0.1 ]
	# The jail names the filter and parses.
	grep -q '^filter *= *gatehouse$' "$GATEHOUSE_SRC/contrib/fail2ban/jail.d/gatehouse.conf"
}

@test "the logrotate file parses, and its rotation with SIGHUP leaves gatehouse writing to the new file" {
	command -v logrotate >/dev/null || skip "logrotate is not installed (CI installs it)"
	sed -e "s|/var/log/gatehouse/\*.log|$INST/logs/gatehouse.log|" -e "s|create 0640 _gatehouse adm|create 0640 root root|" \
		-e "s|systemctl reload gatehouse.service|false|" -e "s|/run/gatehouse/gatehouse.pid|$INST/gatehouse.pid|" \
		"$GATEHOUSE_SRC/contrib/gatehouse.logrotate" >"$BATS_TEST_TMPDIR/lr.conf"
	run logrotate -f -s "$BATS_TEST_TMPDIR/lr.state" "$BATS_TEST_TMPDIR/lr.conf"
	echo "$output" >&2
	[ "$status" -eq 0 ]
	[ -s "$INST/logs/gatehouse.log.1" ]
	for i in $(seq 100); do grep -q "reopened the log file" "$INST/logs/gatehouse.log" 2>/dev/null && break; sleep 0.05; done
	req GET /auth/config
	grep -q "request $(header X-Request-ID): " "$INST/logs/gatehouse.log"
	run grep -c "request $(header X-Request-ID): " "$INST/logs/gatehouse.log.1"
	[ "$output" = 0 ]
}
