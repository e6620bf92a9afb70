#!/usr/bin/env bats
# The EXAMPLES of the man pages, run against the built binaries ($WF_BIN).
# How an example is marked up: tests/bats/man-examples.bash.

load man-examples

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	export WF_BIN
}

# run_page PAGE MIN: every example of PAGE passes and there are at least MIN.
run_page() {
	run man_examples_run "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	local n=${lines[${#lines[@]} - 1]}
	n=${n##*: }
	n=${n% examples}
	[ "$n" -ge "$2" ]
}

@test "lines-split(1): every example prints what the page shows" {
	run_page "$ROOT/man/lines-split.1" 10
}

@test "json-codec(1): every example prints what the page shows" {
	run_page "$ROOT/man/json-codec.1" 9
}

@test "wsflow-envelope(5): every example prints what the page shows" {
	run_page "$ROOT/man/wsflow-envelope.5" 5
}

@test "README: every example prints what it shows" {
	run_page "$ROOT/README" 9
}

@test "every other man page: every example prints what the page shows" {
	local p found=0
	for p in "$ROOT"/man/*.[1-9]; do
		case ${p##*/} in
		lines-split.1 | json-codec.1 | wsflow-envelope.5) continue ;;
		esac
		found=1
		run_page "$p" 1
	done
	[ "$found" -eq 1 ] || skip "no other pages yet"
}

# The checker itself: a page that is wrong must fail.

fake_page() {
	cat >"$BATS_TEST_TMPDIR/fake.1" <<EOF
.Dd November 23, 2026
.Dt FAKE 1
.Os wsflow
.Sh NAME
.Nm fake
.Nd a page to test the examples checker
.Sh DESCRIPTION
Nothing.
.Sh EXAMPLES
$1
EOF
}

@test "checker: a wrong expected output fails and shows the difference" {
	fake_page '.Bd -literal -offset indent
$ printf '\''%s\en'\'' '\''{"data":"a\enb"}'\'' | lines-split
{"data":"a"}
{"data":"c"}
.Ed'
	run man_examples_run "$BATS_TEST_TMPDIR/fake.1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'example 1 failed (exit 0)'* ]]
	[[ $output == *'-{"data":"c"}'* ]]
	[[ $output == *'+{"data":"b"}'* ]]
}

@test "checker: a missing line of output fails" {
	fake_page '.Bd -literal -offset indent
$ printf '\''%s\en'\'' '\''{"data":"a\enb"}'\'' | lines-split
{"data":"a"}
.Ed'
	run man_examples_run "$BATS_TEST_TMPDIR/fake.1"
	echo "$output"
	[ "$status" -eq 1 ]
}

@test "checker: an example that writes to stderr fails" {
	fake_page '.Bd -literal -offset indent
$ printf '\''%s\en'\'' '\''{"data":"x"}'\'' | json-codec
{"data":"x"}
.Ed'
	run man_examples_run "$BATS_TEST_TMPDIR/fake.1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'json-codec: line 1: payload is not JSON'* ]]
}

@test "checker: an example that exits non-zero fails" {
	fake_page '.Bd -literal -offset indent
$ json-codec --no-such-option 2>/dev/null
.Ed'
	run man_examples_run "$BATS_TEST_TMPDIR/fake.1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'example 1 failed (exit 2)'* ]]
}

@test "checker: a page without examples fails" {
	fake_page 'See the other pages.'
	run man_examples_run "$BATS_TEST_TMPDIR/fake.1"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *'no examples found'* ]]
}

@test "checker: commands continue after a trailing | or \\, output ends at a blank line" {
	fake_page '.Bd -literal -offset indent
$ printf '\''%s\en'\'' '\''{"data":"1"}'\'' \e
  '\''{"data":"2"}'\'' |
  json-codec -r
1
2
.Ed
.Pp
Prose after the display is not output.'
	mkdir "$BATS_TEST_TMPDIR/x"
	run man_examples_extract "$BATS_TEST_TMPDIR/fake.1" "$BATS_TEST_TMPDIR/x"
	[ "$output" = 1 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/x/1.cmd")" -eq 3 ]
	[ "$(cat "$BATS_TEST_TMPDIR/x/1.out")" = "$(printf '1\n2')" ]
	run man_examples_run "$BATS_TEST_TMPDIR/fake.1"
	echo "$output"
	[ "$status" -eq 0 ]
}
