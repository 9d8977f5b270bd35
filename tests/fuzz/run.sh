#!/bin/sh
# tests/fuzz/run.sh replay          every seed of every harness through every harness, once (for CI)
# tests/fuzz/run.sh fuzz SECONDS    fuzzes each harness for SECONDS, one after another
#
# Builds the harnesses first (build.sh) unless FUZZ_NO_BUILD=1. FUZZ_BUILD names the build folder (default
# build-fuzz/ at the top of the tree). Fuzzing writes new inputs to $FUZZ_BUILD/corpus/<harness>/ (the seeds in
# tests/fuzz/corpus stay as they are) and crashes to $FUZZ_BUILD/artifacts/<harness>/; FUZZ_HARNESSES limits the
# run to some harnesses ("fuzz_uuid fuzz_email"). Prints TAP; exits non-zero when any harness crashed, 77 (skip)
# without clang.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
FUZZ_BUILD=${FUZZ_BUILD:-$top/build-fuzz}
export FUZZ_BUILD
seeds=$here/corpus

usage() {
	sed -n '2,3s/^# \{0,1\}//p' "$0" >&2
	exit 2
}

[ $# -ge 1 ] || usage
mode=$1
if ! command -v "${CC:-clang}" >/dev/null 2>&1; then
	if [ "${CI:-}" = true ]; then	# CI installs clang: there, a missing one is a failure, not a skip
		echo "Bail out! ${CC:-clang} is not installed, and under CI=true the fuzz replay may not skip"
		exit 1
	fi
	echo "1..0 # SKIP ${CC:-clang} is not installed (apt-get install clang)"
	exit 77
fi
if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
	mkdir -p "$FUZZ_BUILD"
	"$here/build.sh" "$FUZZ_BUILD" >"$FUZZ_BUILD/build.log" 2>&1 || { cat "$FUZZ_BUILD/build.log" >&2; exit 1; }
fi
harnesses=${FUZZ_HARNESSES:-$(cd "$here" && ls fuzz_*.c | sed 's/\.c$//')}
# Leaks are reported; a harness that allocates more than 2 GB or takes 10 s on one input has failed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=0

case $mode in
replay)
	[ $# -eq 1 ] || usage
	files=$(find "$seeds" -type f | sort)
	n=$(printf '%s\n' "$files" | wc -l)
	echo "1..$(echo $harnesses | wc -w)"
	for h in $harnesses; do
		log=$FUZZ_BUILD/replay-$h.log
		# shellcheck disable=SC2086
		if (cd "$FUZZ_BUILD" && ./$h -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$FUZZ_BUILD/replay-$h-" \
		    $files) >"$log" 2>&1; then
			echo "ok - $h: $n inputs"
		else
			echo "not ok - $h: see $log"
			grep -a '^Running: ' "$log" | tail -n 1 | sed 's/^/#   /'
			grep -a -m 3 -E 'oracle|ERROR: |runtime error' "$log" | cut -c1-300 | sed 's/^/#   /'
			failed=1
		fi
	done
	;;
fuzz)
	[ $# -eq 2 ] || usage
	secs=$2
	for h in $harnesses; do
		mkdir -p "$FUZZ_BUILD/corpus/$h" "$FUZZ_BUILD/artifacts/$h"
		log=$FUZZ_BUILD/fuzz-$h.log
		dict=
		[ -f "$here/$h.dict" ] && dict="-dict=$here/$h.dict"
		# shellcheck disable=SC2086
		(cd "$FUZZ_BUILD" && ./$h -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=${FUZZ_MAX_LEN:-16384} \
		    -print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/artifacts/$h/" $dict \
		    "$FUZZ_BUILD/corpus/$h" "$seeds/$h") >"$log" 2>&1
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
		cov=$(grep -a -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/p')
		if [ $rc -eq 0 ]; then
			echo "ok - $h: ${execs:-?} executions in ${secs}s, $cov"
		else
			echo "not ok - $h: exit $rc after ${execs:-?} executions; see $log and $FUZZ_BUILD/artifacts/$h/"
			grep -a -m 3 -E 'ERROR|oracle|runtime error' "$log" | sed 's/^/#   /'
			failed=1
		fi
	done
	;;
*)
	usage
	;;
esac
exit $failed
