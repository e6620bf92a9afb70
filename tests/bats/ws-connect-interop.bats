#!/usr/bin/env bats
# ws-connect against independent, strict servers (python3-websockets and
# node-ws) and against ws-listen: messages both ways byte-exact as text or
# binary, fragmented and unicode input, 16 MiB, the close handshake with
# code and reason, raw mode, request headers, signals.

load ws-connect

setup() { wsc_setup; }
teardown() { wsc_teardown; }

# What the server sends, and what ws-connect --stream-events must print.
SENDS=(text:hi bin:00ff10 'frag:text:ab,,c,é' frag:bin:01,0203,,04 'text:héllo wörld ✓ 😀 中文'
	'text:say "hi" \o/' text: bin: close:4001:done)
received() {
	ctl open
	cev '"data":"hi"'
	cev '"bytes":"AP8Q"' binary
	cev '"data":"abcé"'
	cev '"bytes":"AQIDBA=="' binary
	cev '"data":"héllo wörld ✓ 😀 中文"'
	cev '"data":"say \"hi\" \\o/"'
	cev '"data":""'
	cev '"bytes":""' binary
	ctl close 4001 done
}

# from_server KIND: the server talks and closes; stdin stays open.
from_server() {
	peer "$1" "${SENDS[@]}"
	start_wsc --stream-events "$URL"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	[ ! -s "$T/c.err" ]
	diff -u <(received) "$T/c.out"
	wait_until has_line "$T/peer.out" "closed 4001 done"
}

@test "python3-websockets server: text, binary, fragmented, unicode and empty messages become events; its close code and reason are reported" {
	from_server py
}

@test "node-ws server: text, binary, fragmented, unicode and empty messages become events; its close code and reason are reported" {
	from_server node
}

# Events on stdin, the frames the echo server logs, the events echoed back.
INPUT='{"data":"hello"}
{"bytes":"AP8Q"}
{"data":"héllo wörld ✓ 😀 中文"}
{"data":""}
{"data":{"n":1,"s":"x"}}
{"data":"x","meta":{"binary":true}}
{"data":"y","meta":{"ws_client":{"binary":true}}}
{"data":"z","meta":{"ws_server":{"binary":true}}}
{"data":"t","meta":{"ws_client":{"binary":false}}}
{"control":"close","origin":[{"source":"ws_client","stream":0}]}
{"data":"\u00e9\ud83d\ude00 \"q\""}'
LOGGED='text "hello"
binary 00ff10
text "héllo wörld ✓ 😀 中文"
text ""
text "{\"n\":1,\"s\":\"x\"}"
binary 78
binary 79
binary 7a
text "t"
text "é😀 \"q\""
closed 1000 '
echoed() {
	cev '"data":"hello"'
	cev '"bytes":"AP8Q"' binary
	cev '"data":"héllo wörld ✓ 😀 中文"'
	cev '"data":""'
	cev '"data":"{\"n\":1,\"s\":\"x\"}"'
	cev '"bytes":"eA=="' binary
	cev '"bytes":"eQ=="' binary
	cev '"bytes":"eg=="' binary
	cev '"data":"t"'
	cev '"data":"é😀 \"q\""'
}

# to_echo KIND: events in, frames of the right kind out, echoes printed,
# then stdin's end closes with 1000 (control events on stdin are ignored).
to_echo() {
	peer "$1" echo
	printf '%s\n' "$INPUT" >"$T/cin.txt"
	wsc "$URL"
	[ "$STATUS" -eq 0 ]
	[ ! -s "$T/c.err" ]
	wait_until has_text "$T/peer.out" "closed "
	diff -u <(echo "$LOGGED") <(peer_log)
	diff -u <(echoed) "$T/c.out"
}

@test "python3-websockets echo: stdin events go out as text or binary frames (bytes, meta.binary, meta.ws_client.binary, meta.ws_server.binary) and come back" {
	to_echo py
}

@test "node-ws echo: stdin events go out as text or binary frames (bytes, meta.binary, meta.ws_client.binary, meta.ws_server.binary) and come back" {
	to_echo node
}

# big KIND: 16 MiB of text and of binary each way (the default --max-message).
big() {
	head -c 12582912 /dev/urandom | base64 -w0 >"$T/big.txt"
	head -c 16777216 /dev/urandom >"$T/big.bin"
	{
		printf '{"data":"'
		cat "$T/big.txt"
		printf '"}\n{"bytes":"'
		base64 -w0 "$T/big.bin"
		printf '"}\n'
	} >"$T/cin.txt"
	peer "$1" recvsum recvsum "textfile:$T/big.txt" "binfile:$T/big.bin" close:1000
	wsc -n -r "$URL"
	[ "$STATUS" -eq 0 ]
	[ ! -s "$T/c.err" ]
	cmp "$T/c.out" <(cat "$T/big.txt"; echo; cat "$T/big.bin"; echo)
	diff -u <(printf 'text 16777216 %s\nbinary 16777216 %s\nclosed 1000 \n' \
		"$(sha256sum <"$T/big.txt" | cut -d' ' -f1)" "$(sha256sum <"$T/big.bin" | cut -d' ' -f1)") <(peer_log)
}

@test "python3-websockets: 16 MiB text and binary messages both ways, byte-exact" {
	big py
}

@test "node-ws: 16 MiB text and binary messages both ways, byte-exact" {
	big node
}

@test "echo hello | ws-connect -Rr prints hello (python3-websockets echo server)" {
	peer py echo
	run sh -c 'echo hello | "$1" -Rr "$2"' sh "$WF_BIN/ws-connect" "$URL"
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
}

@test "-R sends each line as a text frame, a line that is not UTF-8 as binary; -r prints payloads only" {
	peer py echo
	printf 'one\n\ncaf\xe9\n{"data":"not parsed"}\n' >"$T/cin.txt"
	wsc -R "$URL"
	[ "$STATUS" -eq 0 ]
	diff -u - "$T/c.out" <<EOF
$(cev '"data":"one"')
$(cev '"data":""')
$(cev '"bytes":"Y2Fm6Q=="' binary)
$(cev '"data":"{\"data\":\"not parsed\"}"')
EOF
	printf '%s\n' '{"data":"a\nb"}' '{"bytes":"AP8Q"}' >"$T/cin.txt"
	wsc -r "$URL"
	[ "$STATUS" -eq 0 ]
	cmp "$T/c.out" <(printf 'a\nb\n\0\377\020\n')
}

@test "--header, --protocol and --origin reach the server with the URL's path and query; the server's choice of subprotocol is accepted" {
	peer py --subprotocol chat headers close
	wsc -H 'X-Token: abc' --header 'X-Two:  two words ' --protocol chat --origin http://example.test \
		"ws://127.0.0.1:$PORT/some/path?q=1&r=%20#frag"
	[ "$STATUS" -eq 0 ]
	wait_until has_line "$T/peer.out" "end"
	diff -u - <(peer_log) <<EOF
path /some/path?q=1&r=%20
header Host: 127.0.0.1:$PORT
header Upgrade: websocket
header Connection: Upgrade
$(grep '^header Sec-WebSocket-Key: ' "$T/peer.out")
header Sec-WebSocket-Version: 13
header Sec-WebSocket-Protocol: chat
header Origin: http://example.test
header X-Token: abc
header X-Two: two words
subprotocol chat
end
closed 1000 
EOF
}

@test "a server that closes at once: -n waits for its close, without -n the client closes first with 1000" {
	peer py recv recv sleep:200 close:4000:bye
	printf '%s\n' '{"data":"a"}' '{"data":"b"}' >"$T/cin.txt"
	wsc -n --stream-events "$URL"
	[ "$STATUS" -eq 0 ]
	diff -u <(ctl open; ctl close 4000 bye) "$T/c.out"
	wait_until has_text "$T/peer.out" "closed "
	diff -u <(printf 'text "a"\ntext "b"\nclosed 4000 bye\n') <(peer_log)
	stop_peer
	peer py recv recv waitclose
	wsc --stream-events "$URL"
	[ "$STATUS" -eq 0 ]
	diff -u <(ctl open; ctl close 1000 '') "$T/c.out"
	wait_until has_text "$T/peer.out" "closed "
	diff -u <(printf 'text "a"\ntext "b"\nclosed 1000 \n') <(peer_log)
}

@test "SIGTERM and SIGINT close with 1001 and exit 0" {
	peer py waitclose
	start_wsc --stream-events "$URL"
	wait_until has_text "$T/peer.out" "open "
	kill -TERM "$WSC"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	wait_until has_line "$T/peer.out" "closed 1001 "
	diff -u <(ctl open; ctl close 1001 '') "$T/c.out"
	end_wsc
	rm -f "$T/cin"
	mkfifo "$T/cin"
	# a background job of a script ignores SIGINT: give it back its default
	env --default-signal=INT "$WF_BIN/ws-connect" "$URL" <"$T/cin" >"$T/c.out" 2>"$T/c.err" 3>&- &
	WSC=$!
	PIDS+=("$WSC")
	exec {CIN}>"$T/cin"
	wait_until lines_in "$T/peer.out" 4
	kill -INT "$WSC"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	[ "$(grep -c '^closed 1001 $' "$T/peer.out")" -eq 2 ]
}

# ws-listen as the server: its stdout has what ws-connect sent, what is
# written to its stdin (to stream 1) arrives at ws-connect.
listen_line() {
	printf '{%s,"meta":{"ws_server":{"tls":false,"peer":{"host":"127.0.0.1","port":P}}%s},"origin":[{"source":"ws_server","stream":1}]}\n' \
		"$1" "${2:+,\"binary\":true}"
}

@test "ws-listen server: text, binary and unicode both ways; its close with code and reason is reported" {
	peer listen
	start_wsc --stream-events "$URL"
	to_wsc '{"data":"hello"}' '{"bytes":"AP8Q"}' '{"data":"héllo ✓ 😀"}' '{"data":"b","meta":{"ws_server":{"binary":true}}}'
	wait_until lines_in "$T/peer.out" 4
	diff -u - <(sed 's/"port":[0-9]*/"port":P/' "$T/peer.out") <<EOF
$(listen_line '"data":"hello"')
$(listen_line '"bytes":"AP8Q"' binary)
$(listen_line '"data":"héllo ✓ 😀"')
$(listen_line '"bytes":"Yg=="' binary)
EOF
	local o='"origin":[{"source":"ws_server","stream":1}]'
	to_listen "{\"data\":\"back\",$o}" "{\"bytes\":\"AQI=\",$o}" "{\"data\":\"ünï ✓\",$o}" \
		"{\"control\":\"close\",\"code\":4000,\"reason\":\"bye\",$o}"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	diff -u - "$T/c.out" <<EOF
$(ctl open)
$(cev '"data":"back"')
$(cev '"bytes":"AQI="' binary)
$(cev '"data":"ünï ✓"')
$(ctl close 4000 bye)
EOF
}

@test "ws-listen server: 16 MiB messages both ways" {
	head -c 12582912 /dev/urandom | base64 -w0 >"$T/big.txt"
	peer listen
	start_wsc -r "$URL"
	{
		printf '{"data":"'
		cat "$T/big.txt"
		printf '"}\n'
	} >&"$CIN"
	wait_until lines_in "$T/peer.out" 1
	cut -d'"' -f4 "$T/peer.out" | cmp - <(cat "$T/big.txt"; echo)
	{
		printf '{"bytes":"'
		cat "$T/big.txt"
		printf '","origin":[{"source":"ws_server","stream":1}]}\n'
	} >&"$LIN"
	to_listen '{"control":"close","origin":[{"source":"ws_server","stream":1}]}'
	wait_wsc
	[ "$STATUS" -eq 0 ]
	cmp "$T/c.out" <(base64 -d "$T/big.txt"; echo)
}

@test "ws-connect(1): the examples that need a server, against servers of the test's own" {
	# a feed, followed with -n and nothing to send
	peer py text:tick1 text:tick2 close:1000
	run sh -c 'exec "$1" -n -r -H "Authorization: Bearer TOKEN" "$2" </dev/null' sh "$WF_BIN/ws-connect" "$URL"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'tick1\ntick2')" ]
	stop_peer
	# the round trip through a pipeline: sorted JSON goes back
	peer py 'text:{"b":1,"a":{"d":2,"c":3}}' recv close:1000
	mkfifo "$T/back"
	run timeout 20 sh -c 'PATH=$1:$PATH; ws-connect -n "$2" <"$3" | json-codec |
		json-codec --encode --sorted >"$3"' sh "$WF_BIN" "$URL" "$T/back"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	diff -u <(printf '%s\n' 'text "{\"a\":{\"c\":3,\"d\":2},\"b\":1}"' 'closed 1000 ') <(peer_log)
}
