#!/usr/bin/env bats
# The request path under valgrind's memcheck: one worker serves a mix of requests (successes, every error kind,
# streamed exports) and must end with zero errors and zero bytes definitely lost.

load helpers

setup_file() {
	# bats cannot skip from setup_file: note why, and let the test skip.
	VG_SKIP=
	command -v valgrind >/dev/null || VG_SKIP="valgrind is not installed"	# under CI=true: a failure
	[ -z "$(nm "$GATEHOUSE_BIN/gatehouse" 2>/dev/null | grep -m1 __asan_init)" ] || VG_SKIP="a sanitizer build: valgrind cannot run it"
	export VG_SKIP
	[ -z "$VG_SKIP" ] || return 0
	VG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-valgrind.XXXXXX")
	export VG_DIR
	GATEHOUSE_WRAPPER="valgrind --quiet --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --log-file=$VG_DIR/vg.%p.log" \
		start_instance --workers 1
}
teardown_file() { stop_instance; rm -rf "${VG_DIR:-/nonexistent}"; }

@test "a mix of requests under memcheck: no error, nothing definitely lost" {
	case $VG_SKIP in "") ;; *sanitizer*) skip "$VG_SKIP" ;; *) ci_skip "$VG_SKIP" ;; esac
	id=$(create_user vg-user 'vg-user-pass' editor)
	t=$(login_token vg-user vg-user-pass)
	as_admin GET /admin/users/
	as_admin GET '/admin/users/?search=vg&sort=email&order=desc'
	as_admin GET /admin/users/names/
	as_admin GET /admin/users/export.csv
	as_admin PATCH "/admin/users/$id" -H 'Content-Type: application/json' --data '{"email":"vg@example.com","role":"viewer"}'
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data '{"username":"x","password":"y","email":"bad","role":7}'
	as_admin POST /admin/users/ -H 'Content-Type: application/json' --data '{"username": "abc",'
	as_admin GET '/admin/users/?limit=abc&skip=-1'
	as_admin GET /admin/users/not-a-uuid
	req GET /nope
	req PUT /admin/users/
	req GET /auth/me/ -H "Authorization: Bearer $t"
	req POST /auth/api-keys/ -H "Authorization: Bearer $t" -H 'Content-Type: application/json' --data '{"name":"vg"}'
	key=$(jq -r .key <<<"$body")
	req GET /auth/me/ -H "X-Api-Key: $key"
	req POST /auth/refresh/ -H 'Content-Type: application/json' --data '{"refresh_token":"grt_x"}'
	as_admin GET /admin/audit-logs/export/json
	as_admin GET '/admin/audit-logs/?search=user'
	req POST /auth/logout/ -H "Authorization: Bearer $t"
	as_admin DELETE "/admin/users/$id"
	"$RUN" --stop "$INST" >/dev/null
	for i in $(seq 100); do pgrep -f "valgrind.*$INST" >/dev/null || break; sleep 0.1; done
	logs=$(ls "$VG_DIR"/vg.*.log)
	[ -n "$logs" ]
	if grep -l -E 'definitely lost: [1-9]|ERROR SUMMARY: [1-9]|Invalid (read|write)|uninitialised' $logs; then
		cat $logs >&2
		return 1
	fi
	# Each process that served requests left a summary (quiet mode prints one only when something was wrong).
	refute_grep -q -E '== [0-9]+ errors? from' $logs
}
