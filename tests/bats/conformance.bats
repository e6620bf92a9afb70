#!/usr/bin/env bats
# The RFC 6455 conformance suite (tests/conformance/run, cases grouped as
# Autobahn|Testsuite's): ws-listen as an echo server through a fifo, then
# ws-connect as an echo client against the suite's scripted server. On a
# failure the output says, for each case not OK, what was expected and what
# was observed.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
}

@test "conformance: ws-listen, every group" {
	run "$ROOT/tests/conformance/run" --bin "$WF_BIN" --side server
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"FAILED"* ]]	# the table's header
	! grep -E '^server +[0-9.]+ +FAILED' <<<"$output"
}

@test "conformance: ws-connect, every group" {
	run "$ROOT/tests/conformance/run" --bin "$WF_BIN" --side client
	echo "$output"
	[ "$status" -eq 0 ]
	! grep -E '^client +[0-9.]+ +FAILED' <<<"$output"
}

@test "conformance: a filter runs one group; an unknown one is a usage error" {
	run "$ROOT/tests/conformance/run" --bin "$WF_BIN" --side server 4.1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"server  4 reserved opcodes            5      5       0"* ]]
	run "$ROOT/tests/conformance/run" --bin "$WF_BIN" 99
	[ "$status" -eq 2 ]
	[ "$output" = "run: no case matches 99" ]
}
