# Helpers for the filter suites (lines-split.bats, json-codec.bats).
#
#   IN=$'...'            the bytes fed on stdin (printf %s, so give the newlines)
#   filter BIN ARGS...   run $WF_BIN/BIN; stdout to $OUT, stderr to $ERR, exit in $status
#   expect_out LINE...   stdout is exactly these lines (none: empty)
#   expect_err LINE...   stderr is exactly these lines (none: empty)
#   expect_file F LINE...  the same for a file

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	export WF_BIN
	OUT=$BATS_TEST_TMPDIR/out
	ERR=$BATS_TEST_TMPDIR/err
	IN=
	cd "$BATS_TEST_TMPDIR"
}

filter() {
	local bin=$1
	shift
	status=0
	printf '%s' "$IN" | "$WF_BIN/$bin" "$@" >"$OUT" 2>"$ERR" || status=$?
}

# expect_file FILE LINE...: FILE holds exactly the lines given.
expect_file() {
	local file=$1
	shift
	if [ $# -eq 0 ]; then
		: >"$BATS_TEST_TMPDIR/want"
	else
		printf '%s\n' "$@" >"$BATS_TEST_TMPDIR/want"
	fi
	if ! cmp -s "$BATS_TEST_TMPDIR/want" "$file"; then
		echo "--- $file differs:"
		diff -u --label want --label got "$BATS_TEST_TMPDIR/want" "$file" | cat -A
		return 1
	fi
}

expect_out() { expect_file "$OUT" "$@"; }
expect_err() { expect_file "$ERR" "$@"; }

expect_status() {
	if [ "$status" -ne "$1" ]; then
		echo "exit status $status, want $1; stderr:"
		cat "$ERR"
		return 1
	fi
}
