#!/usr/bin/env bats
# The man pages: clean under mandoc -Tlint, the usual sections, and every
# option a binary accepts is documented on its page.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
}

render() {
	mandoc -Tascii "$1" | sed 's/.\x08//g'
}

@test "the pages exist" {
	[ -f "$ROOT/man/lines-split.1" ]
	[ -f "$ROOT/man/json-codec.1" ]
	[ -f "$ROOT/man/wsflow-envelope.5" ]
}

@test "mandoc -Tlint -W warning: every page is clean" {
	local p
	for p in "$ROOT"/man/*.[1-9]; do
		run mandoc -Tlint -W warning "$p"
		echo "$output"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
	done
}

@test "make lint-man passes" {
	run make -C "$ROOT" --no-print-directory lint-man
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[${#lines[@]} - 1]}" = "man pages: clean" ]
}

@test "mandoc -Tlint -W warning rejects a faulty page" {
	printf '%s\n' '.Dd November 23, 2026' '.Dt BAD 1' '.Os' '.Sh DESCRIPTION' \
		'.Bl -tag' '.It x' >"$BATS_TEST_TMPDIR/bad.1"
	run mandoc -Tlint -W warning "$BATS_TEST_TMPDIR/bad.1"
	[ "$status" -ne 0 ]
	[ -n "$output" ]
}

@test "section 1 pages have NAME, SYNOPSIS, DESCRIPTION, EXIT STATUS, EXAMPLES, SEE ALSO" {
	local p s
	for p in "$ROOT"/man/*.1; do
		for s in NAME SYNOPSIS DESCRIPTION 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
			grep -qx "\.Sh $s" "$p" || { echo "$p: no $s"; false; }
		done
	done
}

@test "wsflow-envelope(5) has NAME, DESCRIPTION, EXAMPLES, SEE ALSO" {
	local s
	for s in NAME DESCRIPTION EXAMPLES 'SEE ALSO'; do
		grep -qx "\.Sh $s" "$ROOT/man/wsflow-envelope.5" || { echo "no $s"; false; }
	done
}

# The binaries the README marks "(in progress)" may have no page yet.
in_progress() {
	grep -Eq "^    $1 .*\(in progress\)\$" "$ROOT/README"
}

@test "every built binary has a man page (or is marked in progress in the README)" {
	local b missing= waiting=
	for b in "$WF_BIN"/*; do
		[ -f "$ROOT/man/${b##*/}.1" ] && continue
		if in_progress "${b##*/}"; then
			waiting="$waiting ${b##*/}"
		else
			missing="$missing ${b##*/}"
		fi
	done
	echo "no page:$missing"
	[ -z "$missing" ]
	[ -z "$waiting" ] || skip "in progress, no page yet:$waiting"
}

@test "every option in --help has an entry in the option list of its page" {
	local b page opt missing=
	for b in "$WF_BIN"/*; do
		page=$ROOT/man/${b##*/}.1
		[ -f "$page" ] || continue
		# the tags of the option list: "     -s char, --separator=char"
		render "$page" | grep -E '^     -' | sed 's/^ *//' >"$BATS_TEST_TMPDIR/tags"
		for opt in $("$b" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			grep -Eq -- "(^|, )$opt(=| |,|\$)" "$BATS_TEST_TMPDIR/tags" ||
				missing="$missing ${b##*/}:$opt"
		done
		for opt in $("$b" --help | grep -o -- '^  -[a-zA-Z?],' | tr -d ' ,'); do
			grep -Fxq -- "$opt" <(cut -c1-2 "$BATS_TEST_TMPDIR/tags") ||
				missing="$missing ${b##*/}:$opt"
		done
	done
	echo "undocumented:$missing"
	[ -z "$missing" ]
}

@test "the exit statuses 0, 1 and 2 are on every section 1 page" {
	local p
	for p in "$ROOT"/man/*.1; do
		render "$p" | sed -n '/^EXIT STATUS/,/^[A-Z]/p' >"$BATS_TEST_TMPDIR/es"
		grep -q '^     0 ' "$BATS_TEST_TMPDIR/es"
		grep -q '^     1 ' "$BATS_TEST_TMPDIR/es"
		grep -q '^     2 ' "$BATS_TEST_TMPDIR/es"
	done
}
