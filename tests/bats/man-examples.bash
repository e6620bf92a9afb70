# Run the EXAMPLES of a man page, or the examples of a plain text file such
# as the README, as tests. Loaded by man-examples.bats.
#
# A man page is rendered with mandoc, as a reader sees it, and only its
# EXAMPLES section is read; a text file is read whole. There a line
# "$ command" (indented, in a literal display) is a command; it continues on
# the next lines while a line ends in "\" or "|". The lines after it,
# indented at least as far as the "$", up to a blank line, a less indented
# line or the next "$ " line, are the standard output it must print.
# Each command runs under sh with $WF_BIN first on PATH; it must exit 0,
# write nothing on stderr that it does not redirect, and print exactly the
# expected lines.

# man_examples_extract FILE DIR: write DIR/N.cmd and DIR/N.out for every
# example; print how many there are.
man_examples_extract() {
	local page=$1 dir=$2 whole=1
	case $page in
	*.[1-9]) whole=0 ;;
	esac
	if [ "$whole" -eq 1 ]; then
		cat "$page"
	else
		mandoc -Tascii "$page" | sed 's/.\x08//g'
	fi | awk -v dir="$dir" -v whole="$whole" '
	function indent(s) { match(s, /^ */); return RLENGTH }
	function flush() { if (n) { close(dir "/" n ".cmd"); close(dir "/" n ".out") } }
	!whole && /^[A-Z]/ { insec = ($0 == "EXAMPLES"); state = ""; next }
	!whole && !insec { next }
	/^ +\$ / {
		flush()
		n++
		ind = indent($0)
		line = substr($0, ind + 3)
		printf "%s\n", line > (dir "/" n ".cmd")
		printf "" > (dir "/" n ".out")
		cont = (line ~ /(\\|\|)$/)
		state = "cmd"
		next
	}
	state == "cmd" && cont {
		printf "%s\n", $0 > (dir "/" n ".cmd")
		cont = ($0 ~ /(\\|\|)$/)
		next
	}
	(state == "cmd" || state == "out") && $0 != "" && indent($0) >= ind {
		printf "%s\n", substr($0, ind + 1) > (dir "/" n ".out")
		state = "out"
		next
	}
	{ state = "" }
	END { flush(); print n + 0 }
	'
}

# man_examples_run FILE: run every example of FILE; print a report of each
# failure and return 1 if any failed or the file has no example.
man_examples_run() {
	local page=$1 dir n i fail=0 rc
	dir=$(mktemp -d "${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/examples.XXXXXX")
	n=$(man_examples_extract "$page" "$dir") || return 1
	if [ "$n" -eq 0 ]; then
		echo "$page: no examples found"
		return 1
	fi
	for ((i = 1; i <= n; i++)); do
		rc=0
		(cd "$dir" && PATH="$WF_BIN:$PATH" timeout 20 sh "$i.cmd" >"$i.got" 2>"$i.err") || rc=$?
		if [ "$rc" -ne 0 ] || [ -s "$dir/$i.err" ] || ! cmp -s "$dir/$i.out" "$dir/$i.got"; then
			fail=1
			echo "--- $page: example $i failed (exit $rc):"
			sed 's/^/    $ /' "$dir/$i.cmd"
			if [ -s "$dir/$i.err" ]; then
				echo "    stderr:"
				sed 's/^/    | /' "$dir/$i.err"
			fi
			diff -u --label expected --label got "$dir/$i.out" "$dir/$i.got" | sed 's/^/    /'
		fi
	done
	rm -rf "$dir"
	echo "$page: $n examples"
	return $fail
}
