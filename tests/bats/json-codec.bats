#!/usr/bin/env bats
# json-codec: decode, encode, --sorted, --string, the err port, and every
# bad-input and I/O error path, against the built binary ($WF_BIN). Output,
# stderr and the exit status are compared exactly.

load filters

USAGE_HINT="Try 'json-codec --help' for more information."

@test "decodes payloads; numbers, strings and key order as written" {
	IN=$'{"data":"{\\"n\\": 42.0, \\"big\\": 12345678901234567890, \\"s\\": \\"\\\\u00e9\\", \\"a\\": [ ]}"}\n'
	filter json-codec
	expect_status 0
	expect_out '{"data":{"n":42.0,"big":12345678901234567890,"s":"\u00e9","a":[]}}'
	expect_err
	filter json-codec -d
	expect_out '{"data":{"n":42.0,"big":12345678901234567890,"s":"\u00e9","a":[]}}'
	filter json-codec --decode
	expect_out '{"data":{"n":42.0,"big":12345678901234567890,"s":"\u00e9","a":[]}}'
}

@test "decode: any JSON text; a repeated key keeps the last value" {
	IN=$'{"data":" 42 "}\n{"data":"null"}\n{"data":"\\"x\\""}\n{"data":"{\\"a\\":1,\\"b\\":2,\\"a\\":3}"}\n'
	filter json-codec
	expect_status 0
	expect_out '{"data":42}' '{"data":null}' '{"data":"x"}' '{"data":{"a":3,"b":2}}'
}

@test "decode: bytes become data; other members stay in place" {
	IN=$'{"id":1,"bytes":"WzEsMl0=","meta":{"binary":true},"origin":[{"stream":3}]}\n'
	filter json-codec
	expect_status 0
	expect_out '{"id":1,"data":[1,2],"meta":{"binary":true},"origin":[{"stream":3}]}'
}

@test "decode: a value that is not a string, and control events, pass" {
	IN=$'{"data":{"b": 1}}\n{"control":"close","origin":[]}\n'
	filter json-codec --sorted
	expect_status 0
	expect_out '{"data":{"b": 1}}' '{"control":"close","origin":[]}'
}

@test "encode: data becomes its compact JSON text" {
	IN=$'{"data":{"x":[1, 2]},"meta":{}}\n{"data":"hi"}\n{"data":42.0}\n{"bytes":"aGk="}\n{"control":"open"}\n'
	filter json-codec -e
	expect_status 0
	expect_out '{"data":"{\"x\":[1,2]}","meta":{}}' '{"data":"\"hi\""}' '{"data":"42.0"}' \
		'{"bytes":"aGk="}' '{"control":"open"}'
	expect_err
	filter json-codec --encode -r
	expect_out '{"x":[1,2]}' '"hi"' '42.0' 'hi'
}

@test "--sorted sorts keys at every depth, by bytes" {
	IN=$'{"data":{"b":1,"a":{"d":[],"c":null},"B":[{"z":1,"y":2}]}}\n'
	filter json-codec -e --sorted
	expect_status 0
	expect_out '{"data":"{\"B\":[{\"y\":2,\"z\":1}],\"a\":{\"c\":null,\"d\":[]},\"b\":1}"}'
	IN=$'{"z":1,"a":2}\n'
	filter json-codec -R --sorted
	expect_out '{"data":{"a":2,"z":1}}'
}

@test "-R parses plain lines, -r prints the values" {
	IN=$'{"z":1, "a":2}\n[1.0]\n'
	filter json-codec -R
	expect_status 0
	expect_out '{"data":{"z":1,"a":2}}' '{"data":[1.0]}'
	filter json-codec --raw-input --raw-output
	expect_out '{"z":1,"a":2}' '[1.0]'
	IN=$'"a\\tb"\n'
	filter json-codec -R -r
	expect_out $'a\tb'
}

@test "--string: UTF-8 bytes become text, text stays, other values become JSON text" {
	IN=$'{"bytes":"aGk="}\n{"data":"hi"}\n{"bytes":"/w=="}\n{"bytes":"w6k="}\n'
	filter json-codec --string
	expect_status 0
	expect_out '{"data":"hi"}' '{"data":"hi"}' $'{"data":"\xc3\xa9"}'
	expect_err 'json-codec: line 3: payload is not valid UTF-8'
	IN=$'{"data":"hi"}\n{"data":{"a": [1]}}\n{"bytes":"/w=="}\n'
	filter json-codec --string -e
	expect_status 0
	expect_out '{"data":"hi"}' '{"data":"{\"a\":[1]}"}' '{"bytes":"/w=="}'
	expect_err
}

@test "bad lines and bad payloads are reported and the next line goes on" {
	IN=$'{"data":"nope"}\n{"data":"1"}\nnot json\n{"data":"2"}\n{"data":"[1,"}\n{"data":"3"}\n{"data":""}\n{"data":"\xff"}\n{"bytes":"Iv8i"}\n{"bytes":"e30"}\n{"data":"1 2"}\n[]\n{"origin":[]}\n{"data":"4"}\n'
	filter json-codec
	expect_status 0
	expect_out '{"data":1}' '{"data":2}' '{"data":3}' '{"data":4}'
	expect_err 'json-codec: line 1: payload is not JSON: unexpected character at byte 0' \
		'json-codec: line 3: not an envelope: not a JSON object at byte 0' \
		'json-codec: line 5: payload is not JSON: unexpected end of input at byte 3' \
		'json-codec: line 7: payload is not JSON: unexpected end of input at byte 0' \
		'json-codec: line 8: not an envelope: invalid UTF-8 in string at byte 9' \
		'json-codec: line 9: payload is not JSON: invalid UTF-8 in string at byte 1' \
		'json-codec: line 10: bytes is not valid base64' \
		'json-codec: line 11: payload is not JSON: unexpected data after the value at byte 2' \
		'json-codec: line 12: not an envelope: not a JSON object at byte 0' \
		'json-codec: line 13: not an envelope: no data, bytes or control member at byte 0'
}

@test "invalid UTF-8 on input with -R: a bytes payload, then not JSON" {
	IN=$'[1]\n\xff\n[2]\n'
	filter json-codec -R
	expect_status 0
	expect_out '{"data":[1]}' '{"data":[2]}'
	expect_err 'json-codec: line 2: payload is not JSON: unexpected character at byte 0'
}

@test "--max-line: an over-long line is reported once and skipped" {
	IN=$'{"data":"1"}\n{"data":"[0,1,2,3,4,5,6,7,8,9,10,11,12,13]"}\n{"data":"2"}\n'
	filter json-codec --max-line=20
	expect_status 0
	expect_out '{"data":1}' '{"data":2}'
	expect_err 'json-codec: line 2: longer than 20 bytes, skipped'
}

@test "--err-fd and --id: error events as envelopes, nothing on stderr" {
	IN=$'{"data":"[1,","meta":{"m":1},"origin":[{"stream":4}]}\n{"data":"[]"}\n{"bytes":"/w=="}\n'
	status=0
	printf '%s' "$IN" | "$WF_BIN/json-codec" --err-fd 3 --id codec >"$OUT" 2>"$ERR" 3>errs || status=$?
	expect_status 0
	expect_out '{"data":[]}'
	expect_err
	expect_file errs \
		'{"data":{"error":"line 1: payload is not JSON: unexpected end of input at byte 3","source":"codec","stream":4,"input":"[1,"},"meta":{"m":1},"origin":[{"stream":4}]}' \
		'{"data":{"error":"line 3: payload is not JSON: unexpected character at byte 0","source":"codec","input_bytes":"/w=="}}'
}

@test "lossless: encode, join, split and decode give back every byte" {
	IN=$'{"data":{"a":12345678901234567890,"b":42.0,"c":"\\u00e9"},"x":{"k":[1.50]},"origin":[{"source":"ws_server","stream":7}]}\n{"control":"close","origin":[{"source":"ws_server","stream":7}]}\n'
	status=0
	printf '%s' "$IN" | "$WF_BIN/json-codec" --encode | "$WF_BIN/lines-split" --join |
		"$WF_BIN/lines-split" | "$WF_BIN/json-codec" --decode >"$OUT" 2>"$ERR" || status=$?
	expect_status 0
	printf '%s' "$IN" | cmp - "$OUT"
	expect_err
	# and a decoded value passes a second decode unchanged
	printf '%s' "$IN" | "$WF_BIN/json-codec" | cmp - <(printf '%s' "$IN")
}

@test "usage errors exit 2 with one message" {
	filter json-codec -d -e
	expect_status 2
	expect_out
	expect_err 'json-codec: --decode and --encode exclude each other' "$USAGE_HINT"
	filter json-codec --string --sorted
	expect_status 2
	expect_err 'json-codec: --sorted applies to the json codec, not --string' "$USAGE_HINT"
	filter json-codec --bogus
	expect_status 2
	expect_err 'json-codec: --bogus: unknown option' "$USAGE_HINT"
	filter json-codec extra
	expect_status 2
	expect_err "json-codec: unexpected argument 'extra'" "$USAGE_HINT"
	filter json-codec --err-fd 9
	expect_status 2
	expect_err 'json-codec: --err-fd: 9 is not an open file descriptor' "$USAGE_HINT"
	filter json-codec --err-fd x
	expect_status 2
	expect_err 'json-codec: x: invalid numeric value' "$USAGE_HINT"
	filter json-codec --max-line 1Q
	expect_status 2
	expect_err 'json-codec: --max-line: "1Q" is not a size' "$USAGE_HINT"
	filter json-codec --id
	expect_status 2
	expect_err 'json-codec: --id: missing argument' "$USAGE_HINT"
	expect_out
}

@test "--help, --usage and --version print on stdout and exit 0" {
	filter json-codec --help
	expect_status 0
	expect_err
	[ "$(head -1 "$OUT")" = 'Usage: json-codec [OPTION...]' ]
	grep -q -- '--sorted' "$OUT"
	filter json-codec --usage
	expect_status 0
	[[ $(head -1 "$OUT") == 'Usage: json-codec '* ]]
	filter json-codec --version
	expect_status 0
	[[ $(cat "$OUT") =~ ^json-codec\ \(wsflow\)\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "a full disk: exit 1, write error" {
	status=0
	printf '{"data":"1"}\n' | "$WF_BIN/json-codec" >/dev/full 2>"$ERR" || status=$?
	expect_status 1
	expect_err 'json-codec: write error: No space left on device'
}

@test "a closed stdout: exit 1" {
	status=0
	printf '{"data":"1"}\n' | "$WF_BIN/json-codec" >&- 2>"$ERR" || status=$?
	expect_status 1
	expect_err 'json-codec: write error: Bad file descriptor'
}

@test "a reader that goes away: exit 1, broken pipe" {
	seq 1 200000 | "$WF_BIN/json-codec" -R 2>"$ERR" | head -1 >"$OUT"
	st=("${PIPESTATUS[@]}")
	[ "${st[1]}" -eq 1 ]
	expect_out '{"data":1}'
	expect_err 'json-codec: write error: Broken pipe'
}

@test "many events: every one arrives, in order" {
	seq 1 50000 | "$WF_BIN/json-codec" -R | "$WF_BIN/json-codec" -e | "$WF_BIN/json-codec" -r >"$OUT" 2>"$ERR"
	seq 1 50000 | cmp - "$OUT"
	expect_err
}
