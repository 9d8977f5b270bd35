# console.bash: what the admin console's browser tests (65-69) share. Debian's chromium, headless, driven by
# playwright-core; axe-core for the accessibility pass. Both come from npm, pinned, into cache folders outside
# the tree (npm checks their integrity), never at build time. Without chromium, node or npm the files skip;
# under CI (CI=true) they fail instead. Screenshots go to tests/screenshots/console/ in the build tree.

# console_setup: the tools, or skip/fail; exports CHROMIUM PW AXE SHOTS.
console_setup() {
	CHROMIUM=${GATEHOUSE_CHROMIUM:-/usr/bin/chromium}
	if [ ! -x "$CHROMIUM" ] || ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		if [ "${CI:-}" = true ]; then
			echo "chromium, node and npm are required under CI (.ci/run installs them)" >&2
			return 1
		fi
		skip "chromium, node or npm is not installed"
	fi
	PW=${GATEHOUSE_PLAYWRIGHT:-${TMPDIR:-/tmp}/gatehouse-playwright}
	AXE=${GATEHOUSE_AXE:-${TMPDIR:-/tmp}/gatehouse-axe}
	# One installer at a time: bats files run in parallel under make check -j.
	(
		flock 9
		if [ ! -f "$PW/node_modules/playwright-core/package.json" ]; then
			mkdir -p "$PW"
			npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$PW" playwright-core@1.65.1 >&2 || exit 1
		fi
		if [ ! -f "$AXE/node_modules/axe-core/axe.min.js" ]; then
			mkdir -p "$AXE"
			npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$AXE" axe-core@4.14.1 >&2 || exit 1
		fi
	) 9>"${TMPDIR:-/tmp}/gatehouse-npm.lock" || return 1
	SHOTS=$GATEHOUSE_BIN/tests/screenshots/console
	mkdir -p "$SHOTS"
	export CHROMIUM PW AXE SHOTS
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
