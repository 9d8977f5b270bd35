# browser.bash: what the browser tests (64, and 65-69 through console.bash) share. Debian's chromium, headless,
# driven by playwright-core; axe-core for the console's accessibility pass. Both come from npm, pinned, into cache
# folders outside the tree (npm checks their integrity), never at build time. Without chromium, node or npm the
# files skip; under CI (CI=true) they fail instead.

# browser_setup [axe]: the tools, or skip/fail; playwright-core (with "axe", axe-core too) installed unless the
# cache folder has it already, one installer at a time (bats files run in parallel under make check -j).
# Exports CHROMIUM PW AXE.
browser_setup() {
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
	(
		flock 9
		npm_pinned "$PW" playwright-core@1.65.1 playwright-core/package.json || exit 1
		[ "${1:-}" != axe ] || npm_pinned "$AXE" axe-core@4.14.1 axe-core/axe.min.js || exit 1
	) 9>"${TMPDIR:-/tmp}/gatehouse-npm.lock" || return 1
	export CHROMIUM PW AXE
}

# npm_pinned DIR PACKAGE@VERSION FILE: installs PACKAGE@VERSION into DIR/node_modules unless its FILE is there.
npm_pinned() {
	[ ! -f "$1/node_modules/$3" ] || return 0
	mkdir -p "$1"
	npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$1" "$2" >&2
}
