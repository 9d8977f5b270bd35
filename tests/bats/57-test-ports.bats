#!/usr/bin/env bats
# GATEHOUSE_TEST_PORTS=LOW-HIGH confines the ports the suite draws (tests/bats/helpers.bash free_port).

load helpers

@test "free_port draws only from GATEHOUSE_TEST_PORTS" {
	for i in $(seq 30); do
		run env GATEHOUSE_TEST_PORTS=23450-23459 bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'; free_port"
		[ "$status" -eq 0 ]
		[ "$output" -ge 23450 ] && [ "$output" -le 23459 ] || { echo "port $output outside 23450-23459"; false; }
	done
}

@test "a one-port range gives that port, and a taken range fails instead of looping" {
	free=$(free_port)
	run env GATEHOUSE_TEST_PORTS="$free-$free" bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'; free_port"
	[ "$status" -eq 0 ]
	[ "$output" = "$free" ]
	# Take a port with a listener of our own (the kernel picks it), then ask for that port alone.
	python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); s.settimeout(1)
print(s.getsockname()[1], flush=True)
end = time.time() + 60
while time.time() < end:
    try: s.accept()[0].close()
    except socket.timeout: pass
' >"$BATS_TEST_TMPDIR/l.out" 3>&- &
	listener=$!
	for i in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/l.out" ] && break; sleep 0.1; done
	taken=$(head -n 1 "$BATS_TEST_TMPDIR/l.out")
	[ -n "$taken" ]
	run env GATEHOUSE_TEST_PORTS="$taken-$taken" bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'; free_port"
	kill "$listener"
	[ "$status" -eq 1 ]
	[[ $output == *"no free port found in $taken-$taken"* ]]
}

@test "a malformed GATEHOUSE_TEST_PORTS is refused with its value" {
	for bad in 80-90 30000-20000 abc 20000- 20000-70000; do
		run env GATEHOUSE_TEST_PORTS="$bad" bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'; free_port"
		[ "$status" -eq 1 ]
		[[ $output == *"GATEHOUSE_TEST_PORTS=$bad: want LOW-HIGH"* ]]
	done
}
