#!/usr/bin/env bats
# lines-split: every option, the err port, and every bad-input and I/O error
# path, against the built binary ($WF_BIN). Output, stderr and the exit
# status are compared exactly.

load filters

USAGE_HINT="Try 'lines-split --help' for more information."

@test "splits at newlines; the tail waits for the next event of the stream" {
	IN=$'{"data":"a\\nb\\nc"}\n{"data":"d\\ne"}\n'
	filter lines-split
	expect_status 0
	expect_out '{"data":"a"}' '{"data":"b"}' '{"data":"cd"}' '{"data":"e"}'
	expect_err
}

@test "each origin is a stream; close flushes it, EOF flushes the rest in order" {
	IN='{"data":"a\nb","origin":[{"stream":1}]}
{"data":"x\ny","origin":[{"stream":2}]}
{"control":"open","origin":[{"stream":3}]}
{"control":"close","origin":[{"stream":1}]}
{"data":"z","origin":[{"stream":3}]}
'
	filter lines-split
	expect_status 0
	expect_out '{"data":"a","origin":[{"stream":1}]}' \
		'{"data":"x","origin":[{"stream":2}]}' \
		'{"control":"open","origin":[{"stream":3}]}' \
		'{"data":"b","origin":[{"stream":1}]}' \
		'{"control":"close","origin":[{"stream":1}]}' \
		'{"data":"y","origin":[{"stream":2}]}' \
		'{"data":"z","origin":[{"stream":3}]}'
	expect_err
}

@test "--buffered is the default; empty pieces are events, a final separator leaves nothing" {
	IN=$'{"data":"\\n\\na\\n"}\n'
	filter lines-split --buffered
	expect_status 0
	expect_out '{"data":""}' '{"data":""}' '{"data":"a"}'
}

@test "--no-buffered: the piece after the last separator is always written" {
	IN=$'{"data":"snot\\n"}\n{"data":"\\nsnot"}\n{"data":"\\n"}\n{"data":"a"}\n{"data":"b\\n"}\n'
	filter lines-split --no-buffered
	expect_status 0
	expect_out '{"data":"snot"}' '{"data":""}' '{"data":""}' '{"data":"snot"}' \
		'{"data":""}' '{"data":""}' '{"data":"a"}' '{"data":"b"}' '{"data":""}'
	expect_err
}

# A data event holding a piece of n bytes and then "\nend".
long_piece() {
	printf '{"data":"%s\\nend\\n"}\n' "$(head -c "$1" /dev/zero | tr '\0' a)"
}

@test "by name the limit is 8192 bytes, as Tremor's separate" {
	IN=$(long_piece 8192; long_piece 8193)$'\n'
	filter lines-split
	expect_status 0
	[ "$(wc -l <"$OUT")" -eq 3 ]
	[ "$(head -1 "$OUT" | wc -c)" -eq $((8192 + 12)) ]
	[ "$(sed -n 2p "$OUT")" = '{"data":"end"}' ]
	[ "$(sed -n 3p "$OUT")" = '{"data":"end"}' ]
	expect_err 'lines-split: line 2: dropped a piece of 8193 bytes: longer than max-length 8192'
}

@test "configured without --max-length there is no limit (-s, --buffered, --no-buffered)" {
	IN=$(long_piece 9000)$'\n'
	for opt in "-s \\n" --buffered --no-buffered "-m 0"; do
		# shellcheck disable=SC2086
		filter lines-split $opt
		expect_status 0
		[ "$(head -1 "$OUT" | wc -c)" -eq $((9000 + 12)) ]
		expect_err
	done
}

@test "-m / --max-length: pieces over the limit are dropped and reported, K suffix" {
	IN=$'{"data":"aaaa\\nbb\\nc\\n"}\n'
	filter lines-split -m 3
	expect_status 0
	expect_out '{"data":"bb"}' '{"data":"c"}'
	expect_err 'lines-split: line 1: dropped a piece of 4 bytes: longer than max-length 3'
	filter lines-split --max-length=3 --no-buffered
	expect_status 0
	IN=$'{"data":"aa\\nbbbb"}\n'
	filter lines-split --max-length=3 --no-buffered
	expect_out '{"data":"aa"}' '{"data":"bbbb"}'
	expect_err
	IN=$(long_piece 2000)$'\n'
	filter lines-split -m 1K
	expect_out '{"data":"end"}'
	expect_err 'lines-split: line 1: dropped a piece of 2000 bytes: longer than max-length 1024'
}

@test "-m: a tail that grows past the limit is discarded; the stream starts afresh" {
	IN=$'{"data":"ab"}\n{"data":"cd"}\n{"data":"e\\nf\\n"}\n'
	filter lines-split -m 3
	expect_status 0
	expect_out '{"data":"e"}' '{"data":"f"}'
	expect_err 'lines-split: line 2: discarded a fragment of 2 bytes: with the buffered 2 it exceeds max-length 3'
}

@test "-s: any one byte, and the escapes \\n \\t \\r \\0 \\\\" {
	IN=$'{"data":"a,b\\u002cc"}\n'
	filter lines-split -s ,
	expect_out '{"data":"a"}' '{"data":"b"}' '{"data":"c"}'
	IN=$'{"data":"a\\tb"}\n'
	filter lines-split -s '\t'
	expect_out '{"data":"a"}' '{"data":"b"}'
	IN=$'{"data":"a\\rb"}\n'
	filter lines-split --separator='\r'
	expect_out '{"data":"a"}' '{"data":"b"}'
	IN=$'{"data":"a\\u0000b"}\n'
	filter lines-split -s '\0'
	expect_out '{"data":"a"}' '{"data":"b"}'
	IN=$'{"data":"a\\\\b"}\n'
	filter lines-split -s '\\'
	expect_out '{"data":"a"}' '{"data":"b"}'
	IN=$'{"data":"a\\"b"}\n'
	filter lines-split -s '"'
	expect_out '{"data":"a"}' '{"data":"b"}'
	IN=$'{"data":"a|b"}\n'
	filter lines-split --separator '|'
	expect_out '{"data":"a"}' '{"data":"b"}'
	expect_status 0
	expect_err
}

@test "-s of two bytes is a usage error" {
	IN=$'{"data":"a"}\n'
	filter lines-split -s ab
	expect_status 2
	expect_out
	expect_err 'lines-split: --separator: "ab" is not one byte' "$USAGE_HINT"
	filter lines-split --separator=''
	expect_status 2
	expect_err 'lines-split: --separator: "" is not one byte' "$USAGE_HINT"
	filter lines-split -s '\x'
	expect_status 2
	expect_err 'lines-split: --separator: "\x" is not one byte' "$USAGE_HINT"
	filter lines-split -s $'\xc3\xa9'
	expect_status 2
	expect_err $'lines-split: --separator: "\xc3\xa9" is not one byte' "$USAGE_HINT"
}

@test "--join appends the separator; escapes and other members stay" {
	IN=$'{"x":1,"data":"caf\\u00e9","meta":{}}\n{"bytes":"YQ=="}\n{"control":"close"}\n{"data":42.0}\n'
	filter lines-split --join
	expect_status 0
	expect_out '{"x":1,"data":"caf\u00e9\n","meta":{}}' '{"bytes":"YQo="}' '{"control":"close"}' '{"data":"42.0\n"}'
	expect_err
	IN=$'{"data":"a"}\n'
	filter lines-split -j -s '\t'
	expect_out '{"data":"a\t"}'
}

@test "payloads: bytes are split as bytes; pieces of data keep their escapes" {
	IN=$'{"bytes":"/wr+","meta":{"binary":true}}\n{"data":"\\u00e9\\n\\ud83d\\ude00","origin":[2]}\n'
	filter lines-split
	expect_status 0
	expect_out '{"bytes":"/w==","meta":{"binary":true}}' '{"data":"\u00e9","origin":[2]}' \
		'{"bytes":"/g==","meta":{"binary":true}}' '{"data":"\ud83d\ude00","origin":[2]}'
	expect_err
	# a tail of bytes completed by text is bytes
	IN=$'{"bytes":"/w=="}\n{"data":"\\u00e9\\n"}\n'
	filter lines-split
	expect_out '{"bytes":"/8Op"}'
}

@test "-R reads plain lines, -r writes plain payloads" {
	IN=$'one two three\n'
	filter lines-split -R -r -s ' '
	expect_status 0
	expect_out one two three
	# the lines are one stream: "b", "c" and "\xff" make one piece
	IN=$'a,b\nc\n\xff,d\n'
	filter lines-split --raw-input -s ,
	expect_out '{"data":"a"}' '{"bytes":"YmP/"}' '{"bytes":"ZA=="}'
	IN=$'{"data":"x\\u00e9\\ny"}\n{"control":"open"}\n{"bytes":"/wo=","origin":[1]}\n'
	filter lines-split --raw-output
	expect_out $'x\xc3\xa9' $'\xff' y
	expect_status 0
	expect_err
}

@test "--err-fd: error events as envelopes on that descriptor, nothing on stderr" {
	IN=$'{"data":"aaaa\\nb","origin":[{"stream":7}],"meta":{"m":1}}\nnot json\n'
	status=0
	printf '%s' "$IN" | "$WF_BIN/lines-split" -m 3 --err-fd 3 >"$OUT" 2>"$ERR" 3>errs || status=$?
	expect_status 0
	expect_out '{"data":"b","origin":[{"stream":7}],"meta":{"m":1}}'
	expect_err
	expect_file errs \
		'{"data":{"error":"line 1: dropped a piece of 4 bytes: longer than max-length 3","source":"lines-split","stream":7,"input":"{\"data\":\"aaaa\\nb\",\"origin\":[{\"stream\":7}],\"meta\":{\"m\":1}}"},"meta":{"m":1},"origin":[{"stream":7}]}' \
		'{"data":{"error":"line 2: not an envelope: not a JSON object at byte 0","source":"lines-split","input":"not json"}}'
}

@test "--id names the source of error events" {
	status=0
	printf 'x\n' | "$WF_BIN/lines-split" --id splitter --err-fd=3 >"$OUT" 2>"$ERR" 3>errs || status=$?
	expect_status 0
	expect_file errs '{"data":{"error":"line 1: not an envelope: not a JSON object at byte 0","source":"splitter","input":"x"}}'
}

@test "bad lines are reported and the next line goes on" {
	IN=$'not json\n{"data":"1\\n"}\n[1]\n{"data":"2\\n"}\n{"meta":{}}\n{"data":"3\\n"}\n{"data":"\xff"}\n{"data":"4\\n"}\n{"data":1,"data":2}\n{"bytes":"YQ"}\n{"control":"close","data":"x"}\n{"data":"5\\n"}\n'
	filter lines-split
	expect_status 0
	expect_out '{"data":"1"}' '{"data":"2"}' '{"data":"3"}' '{"data":"4"}' '{"data":"5"}'
	expect_err 'lines-split: line 1: not an envelope: not a JSON object at byte 0' \
		'lines-split: line 3: not an envelope: not a JSON object at byte 0' \
		'lines-split: line 5: not an envelope: no data, bytes or control member at byte 0' \
		'lines-split: line 7: not an envelope: invalid UTF-8 in string at byte 9' \
		'lines-split: line 9: not an envelope: repeated envelope member at byte 10' \
		'lines-split: line 10: bytes is not valid base64' \
		'lines-split: line 11: not an envelope: control with data or bytes at byte 0'
}

@test "--max-line: an over-long line is reported once and skipped" {
	IN=$'{"data":"a\\n"}\n{"data":"0123456789012345678901234567890123456789"}\n{"data":"b\\n"}\n{"data":"0123456789012345678901234567890123456789"}'
	filter lines-split --max-line 32
	expect_status 0
	expect_out '{"data":"a"}' '{"data":"b"}'
	expect_err 'lines-split: line 2: longer than 32 bytes, skipped' \
		'lines-split: line 4: longer than 32 bytes, skipped'
}

@test "empty input, and a last line without its newline" {
	IN=
	filter lines-split
	expect_status 0
	expect_out
	expect_err
	IN='{"data":"a\nb"}'
	filter lines-split
	expect_out '{"data":"a"}' '{"data":"b"}'
}

@test "lossless: members, key order and number literals pass byte for byte" {
	IN=$'{"z":[12345678901234567890,42.0],"data":"p\\nq","meta":{"a":12345678901234567890,"b":42.0,"c":"\\u00e9"},"origin":[{"source":"ws_server","stream":7}]}\n{"control":"open","x":1.0,"origin":[{"stream":7}]}\n'
	filter lines-split
	expect_status 0
	expect_out '{"z":[12345678901234567890,42.0],"data":"p","meta":{"a":12345678901234567890,"b":42.0,"c":"\u00e9"},"origin":[{"source":"ws_server","stream":7}]}' \
		'{"control":"open","x":1.0,"origin":[{"stream":7}]}' \
		'{"z":[12345678901234567890,42.0],"data":"q","meta":{"a":12345678901234567890,"b":42.0,"c":"\u00e9"},"origin":[{"source":"ws_server","stream":7}]}'
	expect_err
}

@test "lossless: join and split are inverse through json-codec" {
	IN=$'{"data":{"a":12345678901234567890,"b":42.0,"c":"\\u00e9"},"meta":{"k":[1.50]}}\n{"data":[1, 2]}\n'
	status=0
	printf '%s' "$IN" | "$WF_BIN/json-codec" --encode | "$WF_BIN/lines-split" --join |
		"$WF_BIN/lines-split" | "$WF_BIN/json-codec" >"$OUT" 2>"$ERR" || status=$?
	expect_status 0
	expect_out '{"data":{"a":12345678901234567890,"b":42.0,"c":"\u00e9"},"meta":{"k":[1.50]}}' \
		'{"data":[1,2]}'
	expect_err
}

@test "usage errors exit 2 with one message" {
	filter lines-split --bogus
	expect_status 2
	expect_out
	expect_err 'lines-split: --bogus: unknown option' "$USAGE_HINT"
	filter lines-split extra
	expect_status 2
	expect_err "lines-split: unexpected argument 'extra'" "$USAGE_HINT"
	filter lines-split -m x
	expect_status 2
	expect_err 'lines-split: --max-length: "x" is not a size' "$USAGE_HINT"
	filter lines-split -m 17179869184G
	expect_status 2
	expect_err 'lines-split: --max-length: "17179869184G" is not a size' "$USAGE_HINT"
	filter lines-split --max-line 0
	expect_status 2
	expect_err 'lines-split: --max-line: "0" is not a size' "$USAGE_HINT"
	filter lines-split --err-fd 9
	expect_status 2
	expect_err 'lines-split: --err-fd: 9 is not an open file descriptor' "$USAGE_HINT"
	filter lines-split --err-fd=-1
	expect_status 2
	expect_err 'lines-split: --err-fd: -1 is not an open file descriptor' "$USAGE_HINT"
	filter lines-split -s
	expect_status 2
	expect_err 'lines-split: -s: missing argument' "$USAGE_HINT"
	filter lines-split --separator
	expect_status 2
	expect_err 'lines-split: --separator: missing argument' "$USAGE_HINT"
	expect_out
}

@test "--help, --usage and --version print on stdout and exit 0" {
	filter lines-split --help
	expect_status 0
	expect_err
	[ "$(head -1 "$OUT")" = 'Usage: lines-split [OPTION...]' ]
	grep -q -- '--no-buffered' "$OUT"
	grep -q -- '--err-fd=N' "$OUT"
	filter lines-split -'?'
	expect_status 0
	[ "$(head -1 "$OUT")" = 'Usage: lines-split [OPTION...]' ]
	filter lines-split --usage
	expect_status 0
	[[ $(head -1 "$OUT") == 'Usage: lines-split '* ]]
	filter lines-split --version
	expect_status 0
	expect_err
	[[ $(cat "$OUT") =~ ^lines-split\ \(wsflow\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "a full disk: exit 1, write error" {
	IN=$'{"data":"a"}\n'
	status=0
	printf '%s' "$IN" | "$WF_BIN/lines-split" >/dev/full 2>"$ERR" || status=$?
	expect_status 1
	expect_err 'lines-split: write error: No space left on device'
}

@test "a closed stdout: exit 1" {
	IN=$'{"data":"a"}\n'
	status=0
	printf '%s' "$IN" | "$WF_BIN/lines-split" >&- 2>"$ERR" || status=$?
	expect_status 1
	expect_err 'lines-split: write error: Bad file descriptor'
}

@test "a reader that goes away: exit 1, broken pipe" {
	seq 1 200000 | "$WF_BIN/lines-split" -R --no-buffered 2>"$ERR" | head -1 >"$OUT"
	st=("${PIPESTATUS[@]}")
	[ "${st[1]}" -eq 1 ]
	expect_out '{"data":"1"}'
	expect_err 'lines-split: write error: Broken pipe'
}

@test "an err port that fails: exit 1 after the input" {
	status=0
	printf 'x\n{"data":"a"}\n' | "$WF_BIN/lines-split" --err-fd 3 >"$OUT" 2>"$ERR" 3>/dev/full || status=$?
	expect_status 1
	expect_out '{"data":"a"}'
	expect_err 'lines-split: error events: write error'
}

@test "many events stream through, in number and order" {
	seq 1 50000 | "$WF_BIN/lines-split" -R --no-buffered -r >"$OUT" 2>"$ERR"
	seq 1 50000 | cmp - "$OUT"
	seq 1 50000 | "$WF_BIN/lines-split" -R --join | "$WF_BIN/lines-split" -r >"$OUT" 2>"$ERR"
	seq 1 50000 | cmp - "$OUT"
	expect_err
}
