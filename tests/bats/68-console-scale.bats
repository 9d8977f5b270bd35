#!/usr/bin/env bats
# The admin console on 100,000 users (tests/browser/console-scale.mjs): the users page, its search, sort, last
# page and approval queue stay usable because every list is a server-side page; no request asks for more than a
# page. The users are written straight into the database with SQL in one transaction (the API would take minutes
# to create them): ASCII names, so the stored search keys are the names themselves, as gatehouse writes them.
# Timings are printed, not asserted (speed is measured in bench/).

load helpers
load console

setup_file() {
	console_setup
	start_instance
	if pg_mode; then
		db <<'SQL'
BEGIN;
INSERT INTO users (id, username, username_key, username_skey, email, email_key, email_skey, password_hash, status,
	created_at, updated_at)
SELECT '01a30000-0000-7000-8000-' || lpad(i::text, 12, '0'), 'load' || i, 'load' || i, 'load' || i,
	'load' || i || '@example.com', 'load' || i || '@example.com', 'load' || i || '@example.com', '!',
	CASE WHEN i % 50 = 0 THEN 'pending' WHEN i % 50 = 1 THEN 'disabled' ELSE 'active' END,
	1700000000000000 + i * 1000000, 1700000000000000 + i * 1000000
FROM generate_series(1::bigint, 100000) AS n(i);
INSERT INTO user_roles (uid, role_id) SELECT uid, 3 FROM users WHERE username LIKE 'load%' AND status <> 'pending';
COMMIT;
ANALYZE;
SQL
	else
		db <<'SQL'
PRAGMA busy_timeout = 10000;
BEGIN IMMEDIATE;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO users (id, username, username_key, username_skey, email, email_key, email_skey, password_hash, status,
	created_at, updated_at)
SELECT printf('01a30000-0000-7000-8000-%012d', i), 'load' || i, 'load' || i, 'load' || i,
	'load' || i || '@example.com', 'load' || i || '@example.com', 'load' || i || '@example.com', '!',
	CASE WHEN i % 50 = 0 THEN 'pending' WHEN i % 50 = 1 THEN 'disabled' ELSE 'active' END,
	1700000000000000 + i * 1000000, 1700000000000000 + i * 1000000
FROM n;
INSERT INTO user_roles (uid, role_id) SELECT uid, 3 FROM users WHERE username LIKE 'load%' AND status <> 'pending';
COMMIT;
SQL
	fi
}

teardown_file() { stop_instance; }

@test "100,000 users: the API counts them (the fixture is in place)" {
	run api_json GET '/admin/users/?limit=1'
	assert_status 0
	[ "$(jq .total <<<"$output")" -eq 100001 ]
	run api_json GET '/admin/users/?status=pending&limit=1'
	[ "$(jq .total <<<"$output")" -eq 2000 ]
}

@test "console on 100,000 users: first page, search, sort, last page, queue; every request one page" {
	console_run console-scale.mjs scale
}
