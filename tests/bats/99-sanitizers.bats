#!/usr/bin/env bats
# Runs last. In a build made with ./configure --enable-sanitizers, every AddressSanitizer or
# UndefinedBehaviorSanitizer report that any instance of the suite logged is kept in one folder by
# stop_instance (helpers.bash); it must be empty. Checked to fail: a deliberate heap overflow in a handler made
# this test fail with the report. In a normal build nothing is ever kept there.

@test "no sanitizer reported anything during the suite" {
	[ -n "${GATEHOUSE_SANITIZER_LOGS:-}" ] || skip "not run through tests/run-bats.sh"
	reports=$(find "$GATEHOUSE_SANITIZER_LOGS" -maxdepth 1 -type f -size +0 2>/dev/null)
	if [ -n "$reports" ]; then
		grep -h -A 30 -E 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' $reports | head -n 80 >&2
		return 1
	fi
}

@test "no secret reached any instance's log during the suite" {
	[ -n "${GATEHOUSE_SANITIZER_LOGS:-}" ] || skip "not run through tests/run-bats.sh"
	if [ -d "$GATEHOUSE_SANITIZER_LOGS/secrets" ]; then
		grep -h -E "(gat|grt|gak)_[A-Za-z0-9_-]{43}|[$]y[$]|longenough1|-pass-1" "$GATEHOUSE_SANITIZER_LOGS"/secrets/* | head -n 20 >&2
		return 1
	fi
}
