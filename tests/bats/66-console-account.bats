#!/usr/bin/env bats
# The admin console for everyone (tests/browser/console-account.mjs): a viewer sees their own account only; My
# account changes the password, makes and revokes one's own API keys, signs out everywhere; an expired session
# goes to sign in and comes back to the same view; the API down (503 from a held database lock, 502 with
# gatehouse stopped) reads as a sentence; keyboard only with visible focus; the users page's first load under
# 100 KB; light and dark.

load helpers
load console

setup_file() {
	console_setup
	# busy_timeout_ms: a write waits 300 ms for a lock another process holds, then answers 503.
	start_instance --set busy_timeout_ms=300
	create_user viewer-vic 'viewer-pass-1' viewer >/dev/null
	create_user pw-user 'pw-user-pass-1' viewer >/dev/null
	for i in $(seq 1 30); do create_user "member-$i" "member-pass-$i" viewer >/dev/null; done
}

teardown_file() { stop_instance; }

@test "console: a viewer sees My account only and the page asks nothing of the admin API" {
	console_run console-account.mjs viewer
}

@test "console: change my password (mismatch, wrong current, then every session ends and the new one signs in)" {
	console_run console-account.mjs password
}

@test "console: my API keys: created with scope and expiry, shown once and copied, working, revoked" {
	console_run console-account.mjs mykeys
}

@test "console: sign out everywhere ends every session of the user" {
	console_run console-account.mjs everywhere
}

@test "console: an expired session goes to sign in and comes back to the same view" {
	console_run console-account.mjs expired
}

@test "console: keyboard only, with a visible focus at every stop" {
	console_run console-account.mjs keyboard
}

@test "console: the users page's first load weighs under 100 KB; light and dark both pass axe" {
	console_run console-account.mjs weight
}

# Last: it stops this file's gatehouse.
@test "console: 503 (database locked) and 502 (gatehouse stopped) read as sentences; the console recovers" {
	sqlite_only "the browser scenario holds SQLite's write lock with sqlite3 (PostgreSQL's outage: tests/bats/73-pg-down.bats)"
	console_run console-account.mjs outage
}
