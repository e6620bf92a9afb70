#!/usr/bin/env bats
# scripts/demo, the demo `make demo` runs: it needs nothing but the binaries,
# checks its own result and exits 0.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
}

@test "scripts/demo runs the pipeline on its built-in data and exits 0" {
	run "$ROOT/scripts/demo" "$WF_BIN"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]} - 1]}" = "demo: ok" ]
	[[ $output == *'   {"at":1.50,"id":12345678901234567890,"user":"bob"}'* ]]
	[[ $output == *'"source":"json-codec","stream":2,"input":"not json"'* ]]
}

@test "scripts/demo without built binaries is a usage error" {
	run "$ROOT/scripts/demo" "$BATS_TEST_TMPDIR/nothing"
	[ "$status" -eq 2 ]
	[[ $output == *"not built (run make)"* ]]
}
