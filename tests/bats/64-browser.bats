#!/usr/bin/env bats
# The sign-in pages in a real browser: Debian's chromium, headless, driven by playwright-core (installed from npm
# by browser.bash into a folder outside the tree, never at build time). Runs when chromium is installed; under CI
# (CI=true) a missing chromium fails instead. Screenshots of every step go to tests/screenshots/ in the build tree.

load helpers
load browser

setup_file() {
	browser_setup
	start_instance --set login_failures_per_account=3 --set login_block_time=30 --set registration=on
	create_user reader 'reader-pass-1' viewer >/dev/null
	create_user changer 'changer-pass-1' viewer >/dev/null
	req POST /auth/register/ -H 'Content-Type: application/json' \
		--data '{"username":"pending-user","password":"pending-pass-1"}'
	SHOTS=$GATEHOUSE_BIN/tests/screenshots
	rm -rf "$SHOTS"
	mkdir -p "$SHOTS"
	export SHOTS
}

teardown_file() { stop_instance; }

scenario() {
	GATEHOUSE_URL="http://127.0.0.1:$PORT" GATEHOUSE_SHOTS="$SHOTS" GATEHOUSE_PLAYWRIGHT="$PW" \
		GATEHOUSE_CHROMIUM="$CHROMIUM" GATEHOUSE_USER=reader GATEHOUSE_PASSWORD=reader-pass-1 \
		run timeout 120 node "$GATEHOUSE_SRC/tests/browser/scenarios.mjs" "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *'not ok'* ]]
}

@test "browser: sign in through signin.html, reach /protected/, sign out, be sent back to sign in" {
	scenario protect
	ls "$SHOTS"/protect-*-protected-page.png
}

@test "browser: 401, 403, 429 and an empty form are explained in the alert region" {
	scenario errors
}

@test "browser: rd returns only to paths of this origin (//evil, https://evil, /\\evil, encoded forms)" {
	scenario redirects
}

@test "browser: change the password while signed in; every session ends" {
	scenario password
}

@test "browser: the reference's cookie mode from a page (refresh cookie, CSRF token from document.cookie)" {
	scenario cookiemode
}
