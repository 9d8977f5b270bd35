#!/bin/sh
# fuzz-replay.sh: part of make check. Replays the seed corpus of every libFuzzer harness under ASan and UBSan
# (tests/fuzz/run.sh replay); skipped (77) where clang is not installed (a failure under CI=true). Open-ended fuzzing: make fuzz.
exec "$(cd "$(dirname "$0")" && pwd)/fuzz/run.sh" replay
