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
	run env GATEHOUSE_TEST_PORTS=23461-23461 bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'; free_port"
	[ "$status" -eq 0 ]
	[ "$output" = 23461 ]
	# Take the one port with a listener of our own, then ask for it.
	python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 23462)); s.listen(); s.settimeout(1); print("up", flush=True)
end = time.time() + 60
while time.time() < end:
    try: s.accept()[0].close()
    except socket.timeout: pass
' >"$BATS_TEST_TMPDIR/l.out" 3>&- &
	listener=$!
	for i in $(seq 50); do grep -q up "$BATS_TEST_TMPDIR/l.out" && break; sleep 0.1; done
	run env GATEHOUSE_TEST_PORTS=23462-23462 bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'; free_port"
	kill "$listener"
	[ "$status" -eq 1 ]
	[[ $output == *"no free port found in 23462-23462"* ]]
}

@test "a malformed GATEHOUSE_TEST_PORTS is refused with its value" {
	for bad in 80-90 30000-20000 abc 20000- 20000-70000; do
		run env GATEHOUSE_TEST_PORTS="$bad" bash -c "source '$BATS_TEST_DIRNAME/helpers.bash'; free_port"
		[ "$status" -eq 1 ]
		[[ $output == *"GATEHOUSE_TEST_PORTS=$bad: want LOW-HIGH"* ]]
	done
}
