# console.bash: what the admin console's browser tests (65-69) share: the browser and its tools (browser.bash,
# with axe-core for the accessibility pass), one scenario run, an admin API call. Screenshots go to
# tests/screenshots/console/ in the build tree.

load browser

# console_setup: the tools, or skip/fail (browser_setup); exports CHROMIUM PW AXE SHOTS.
console_setup() {
	browser_setup axe || return 1
	SHOTS=$GATEHOUSE_BIN/tests/screenshots/console
	mkdir -p "$SHOTS"
	export SHOTS
}

# console_run SCRIPT SCENARIO: runs one scenario of tests/browser/SCRIPT against this file's instance, or against
# CONSOLE_URL (another web server in front of it) with the console at CONSOLE_PATH (default /console/).
console_run() {
	GATEHOUSE_URL="${CONSOLE_URL:-http://127.0.0.1:$PORT}" GATEHOUSE_CONSOLE_PATH="${CONSOLE_PATH:-/console/}" GATEHOUSE_SHOT_TAG="${CONSOLE_TAG:-}" GATEHOUSE_SHOTS="$SHOTS" GATEHOUSE_PLAYWRIGHT="$PW" GATEHOUSE_AXE="$AXE" \
		GATEHOUSE_CHROMIUM="$CHROMIUM" GATEHOUSE_ADMIN_PASSWORD="$ADMIN_PASSWORD" GATEHOUSE_INST="$INST" \
		run timeout 180 node "$GATEHOUSE_SRC/tests/browser/$1" "$2"
	echo "$output"
	# Kept with the screenshots: what each step saw, the page weight and the timings.
	printf '%s\n' "$output" >"$SHOTS/${1%.mjs}-$2${CONSOLE_TAG:-}.log"
	[ "$status" -eq 0 ] || fail "scenario $2 of $1 failed (exit $status)"
	[[ $output != *'not ok'* ]] || fail "scenario $2 of $1 reported a failure"
}

# api_json METHOD PATH [JSON]: an admin API call with the instance's admin token; prints the body, fails unless 2xx.
api_json() {
	local out
	out=$(curl -sS --max-time 20 -w '\n%{http_code}' -X "$1" "$BASE$2" -H "Authorization: Bearer $ADMIN_TOKEN" \
		${3:+-H 'Content-Type: application/json' --data "$3"})
	[[ ${out##*$'\n'} == 2* ]] || { echo "api_json $1 $2: ${out##*$'\n'} ${out%$'\n'*}" >&2; return 1; }
	printf '%s\n' "${out%$'\n'*}"
}
