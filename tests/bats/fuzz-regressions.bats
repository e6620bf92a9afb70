#!/usr/bin/env bats
# The fuzz targets (tests/fuzz) linked with tests/fuzz/replay.c instead of
# libFuzzer, run over each target's seed corpus and over every input that
# once crashed one (tests/fuzz/regressions/TARGET): under `make check
# SANITIZE=1` with ASan and UBSan, so a regression shows as the sanitizer's
# report. `make check` builds the replays next to the binaries ($WF_BIN/../fuzz).

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	FUZZ=$(cd "$WF_BIN/.." && pwd)/fuzz
}

replay() {
	local t=$1 bin=$FUZZ/$1 dirs
	[ -x "$bin" ] || skip "$bin is not built (make fuzz-replay)"
	dirs=("$ROOT/tests/fuzz/corpus/$t")
	[ -d "$ROOT/tests/fuzz/regressions/$t" ] && dirs+=("$ROOT/tests/fuzz/regressions/$t")
	run "$bin" "${dirs[@]}"
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$output" >&3
		return 1
	fi
	# every input ran: as many as the directories hold
	local want=0 d
	for d in "${dirs[@]}"; do
		want=$((want + $(find "$d" -maxdepth 1 -type f ! -name '.*' | wc -l)))
	done
	[ "${lines[${#lines[@]}-1]}" = "replay: $want inputs" ]
}

@test "fuzz_handshake_server: corpus and regressions" { replay fuzz_handshake_server; }
@test "fuzz_handshake_client: corpus and regressions" { replay fuzz_handshake_client; }
@test "fuzz_frames: corpus and regressions" { replay fuzz_frames; }
@test "fuzz_envelope: corpus and regressions" { replay fuzz_envelope; }
@test "fuzz_troy: corpus and regressions" { replay fuzz_troy; }
@test "fuzz_url: corpus and regressions" { replay fuzz_url; }

@test "replay: an unreadable input is an error" {
	[ -x "$FUZZ/fuzz_url" ] || skip "$FUZZ/fuzz_url is not built (make fuzz-replay)"
	run "$FUZZ/fuzz_url" "$BATS_TEST_TMPDIR/missing"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "replay: $BATS_TEST_TMPDIR/missing: No such file or directory" ]
	[ "${lines[1]}" = "replay: 0 inputs" ]
}
