#!/bin/bash
# run.sh: the mutation check (make mutants). Each mutant in tests/mutants/mutants.txt is an exact-text
# substitution in one file of src/; it is applied to a scratch copy of the tree, the copy is rebuilt, and the suite
# runs against it until a test fails (the mutant is killed) or every test passes (it survived). A mutant whose
# original text is no longer in its file, or is there more than once, is "stale" and reported, never counted as
# killed. A mutant that does not compile is "unbuildable", also not counted.
#
# usage: tests/mutants/run.sh [-j JOBS] [-o REPORT] [-B] [MUTANT-ID...]
# -B skips the unmutated run, for a tree whose suite was just seen passing (the report says it was skipped).
# The suite for each mutant: the C unit tests, then the bats files the mutant names under "tests:" one by one (so
# that most mutants die in a minute), then every other bats file, two at a time with -j 2, then every response they
# received against the OpenAPI document (tests/openapi-check.py, as make check does). Left out, as slow and
# about deployment rather than the mutants' kinds: 98-valgrind (memcheck), 99-sanitizers (a sanitizer build's
# logs), 12-crash (SIGKILL, full disk), 40-production, 50-55 (servers, static build, install), 57-test-ports, and
# 22-change-password, whose 2-second block expires before its 25 guesses end on a machine as loaded as a mutant run.
# Leaving files out can only let more mutants survive, never fewer: a survivor has passed every other file.
# A mutant marked "## equivalent: REASON" changes code that no request can reach (the REASON says why); if it
# survives it is counted as equivalent, outside the score; if it is killed, the REASON is wrong and it counts.
# Prints one line per mutant, then "killed K, survived S, equivalent E, stale T, unbuildable U; score P%"
# (K / (K + S)).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
jobs=2 report="" baseline=1
while getopts j:o:B opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	o) report=$OPTARG ;;
	B) baseline=0 ;;
	*) echo "usage: $0 [-j JOBS] [-o REPORT] [MUTANT-ID...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
only=" $* "
list="$here/mutants.txt"
EXCLUDE=" 98-valgrind.bats 99-sanitizers.bats 12-crash.bats 40-production.bats 50-server-nginx.bats
 51-server-lighttpd-fastcgi.bats 52-server-lighttpd-cgi.bats 53-server-apache.bats 54-static-cgi.bats 55-install.bats
 57-test-ports.bats 22-change-password.bats "
EXCLUDE=${EXCLUDE//$'\n'/}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-mutants.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
log() { printf '%s\n' "$*" | tee -a "${report:-/dev/null}"; }
[ -z "$report" ] || : >"$report"

# The scratch tree: the working tree as it is (committed or not), without build products, built once.
(cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$scratch" 2>/dev/null)
cd "$scratch" || exit 1
echo "== building the scratch copy in $scratch"
if ! { autoreconf -fi && ./configure --enable-werror && make -j"$jobs"; } >"$scratch/build.log" 2>&1; then
	tail -n 30 "$scratch/build.log"
	echo "the unmutated tree does not build" >&2
	exit 1
fi
make -j"$jobs" tests/unit/test-validate tests/unit/test-db tests/unit/test-email tests/unit/test-util \
	>>"$scratch/build.log" 2>&1 || { echo "the unit tests do not build" >&2; exit 1; }

all_bats=()
for f in "$scratch"/tests/bats/*.bats; do
	b=$(basename "$f")
	[[ $EXCLUDE == *" $b "* ]] || all_bats+=("$b")
done

# bats_file NAME: runs one bats file against the scratch build; on failure, its first failing test goes to
# $scratch/failed.
bats_file() {
	if ! top_srcdir="$scratch" top_builddir="$scratch" timeout 900 "$scratch/tests/run-bats.sh" \
		"$scratch/tests/bats/$1" >"$scratch/out.$1" 2>&1; then
		echo "$1: $(grep -m1 '^not ok' "$scratch/out.$1")" >>"$scratch/failed"
		return 1
	fi
}

# suite FIRST...: 0 if every test passes, 1 at the first failure (its name in $scratch/failed).
suite() {
	local first=" $* " rest=() b u
	: >"$scratch/failed"
	for u in tests/unit/test-validate tests/unit/test-db tests/unit/test-email tests/unit/test-util; do
		if ! (cd "$scratch" && timeout 120 "./$u") >"$scratch/out.unit" 2>&1; then
			echo "$u: $(grep -m1 '^not ok' "$scratch/out.unit")" >"$scratch/failed"
			return 1
		fi
	done
	for b in "$@"; do
		[ -f "$scratch/tests/bats/$b" ] || continue
		bats_file "$b" || return 1
	done
	for b in "${all_bats[@]}"; do [[ $first == *" $b "* ]] || rest+=("$b"); done
	# The rest, $jobs files at a time; after a failure no new file starts.
	for b in "${rest[@]}"; do
		while [ "$(jobs -pr | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		[ -s "$scratch/failed" ] && break
		bats_file "$b" &
	done
	wait
	[ ! -s "$scratch/failed" ] || return 1
	# Every response the files received, against the OpenAPI document (tests/openapi-check.py, as make check
	# does after the suite; without --coverage, since some files are left out here).
	if ! { "$scratch/gatehouse" --openapi -c /dev/null >"$scratch/openapi.json" &&
		python3 "$scratch/tests/openapi-check.py" "$scratch/openapi.json" "$scratch/tests/responses"; } \
		>"$scratch/out.openapi" 2>&1; then
		echo "openapi-check.py: $(head -n 1 "$scratch/out.openapi")" >>"$scratch/failed"
		return 1
	fi
}

if [ "$baseline" = 0 ]; then
	log "(the unmutated run was skipped with -B)"
elif ! { echo "== the unmutated suite must pass first"; suite; }; then
	echo "the unmutated suite fails: $(cat "$scratch/failed")" >&2
	cat "$scratch"/out.* 2>/dev/null | grep -A5 '^not ok' | head -40 >&2
	exit 1
fi

# The mutants: blocks of "## id:", "## file:", "## tests:", "## why:", then "-" lines (the original text) and
# "+" lines (the replacement; none deletes).
killed=0 survived=0 equivalent=0 stale=0 unbuildable=0 survivors=""
parse() {
	awk -v out="$scratch/m" '
		function flush() { if (id != "") { print id "\t" file "\t" eq "\t" tests > (out "/index") } }
		/^## id:/ { flush(); id = $3; file = ""; tests = ""; eq = "-"; printf "" > (out "/" id ".old"); printf "" > (out "/" id ".new"); next }
		/^## equivalent:/ { eq = "yes"; next }
		/^## file:/ { file = $3; next }
		/^## tests:/ { $1 = ""; $2 = ""; sub(/^ +/, ""); tests = $0; next }
		/^-/ { print substr($0, 2) >> (out "/" id ".old"); next }
		/^\+/ { print substr($0, 2) >> (out "/" id ".new"); next }
		END { flush() }' "$list"
}
mkdir -p "$scratch/m"
parse
while IFS=$'\t' read -r id file eq tests; do
	[ "$only" = "  " ] || [[ $only == *" $id "* ]] || continue
	target="$scratch/$file"
	cp "$target" "$scratch/orig"
	# Exact text, found exactly once.
	if ! OLD="$scratch/m/$id.old" NEW="$scratch/m/$id.new" perl -0777 -i -pe '
		BEGIN { local $/; open(my $o, "<", $ENV{OLD}) or die; $old = <$o>; open(my $n, "<", $ENV{NEW}) or die;
			$new = <$n>; $old =~ s/\n\z//; $new =~ s/\n\z//; }
		my $at = index($_, $old);
		if ($at < 0 || index($_, $old, $at + 1) >= 0 || $old eq "") { $bad = 1 }
		else { substr($_, $at, length($old)) = $new }
		END { exit($bad ? 3 : 0) }' "$target"; then
		cp "$scratch/orig" "$target"
		stale=$((stale + 1))
		log "STALE       $id ($file: the original text is not there exactly once)"
		continue
	fi
	start=$(date +%s)
	# Two make runs, not one: automake's "all" recurses, and a sibling target needing libgatehouse.a would race it.
	if ! { make -j"$jobs" all && make -j"$jobs" tests/unit/test-validate tests/unit/test-db tests/unit/test-email \
		tests/unit/test-util; } >"$scratch/mbuild.log" 2>&1; then
		unbuildable=$((unbuildable + 1))
		log "UNBUILDABLE $id ($(grep -m1 'error' "$scratch/mbuild.log"))"
	elif suite $tests; then
		if [ "$eq" = yes ]; then
			equivalent=$((equivalent + 1))
			log "equivalent  $id ($(($(date +%s) - start)) s; survived, as its note in mutants.txt says)"
		else
			survived=$((survived + 1))
			survivors+=" $id"
			log "SURVIVED    $id ($(($(date +%s) - start)) s)"
		fi
	else
		killed=$((killed + 1))
		log "killed      $id ($(($(date +%s) - start)) s) by $(head -n 1 "$scratch/failed")"
		[ "$eq" != yes ] || log "            $id: marked equivalent but killed; remove the mark"
	fi
	cp "$scratch/orig" "$target"
	touch "$target"
done <"$scratch/m/index"
make -j"$jobs" all >/dev/null 2>&1
total=$((killed + survived))
score=0
[ "$total" -eq 0 ] || score=$((killed * 1000 / total))
log "killed $killed, survived $survived, equivalent $equivalent, stale $stale, unbuildable $unbuildable; score $((score / 10)).$((score % 10))%"
[ -z "$survivors" ] || log "survivors:$survivors"
[ "$stale" -eq 0 ] && [ "$total" -gt 0 ] && [ "$score" -ge 950 ]
