#!/usr/bin/env bats
# ws-listen: where an event read on stdin goes. In order: the connection of
# meta.ws_server.peer; else the streams of this --id in its origin; else,
# with --broadcast, every connection; else an error event.

load ws-listen

setup() { ws_setup; }
teardown() { ws_teardown; }

# Two clients A and B that wait for what the test sends them.
two_clients() {
	client A wsc "$URL" "$@"
	client B wsc "$URL" "$@"
	PA=$(client_port A)
	PB=$(client_port B)
	wait_until lines_in "$T/out" "${NOPEN:-0}"
}

@test "meta.ws_server.peer routes a reply to that client only" {
	start_server 127.0.0.1:0
	two_clients recv recv
	send_in "{\"data\":\"for A\",\"meta\":$(meta_of "$PA")}" \
		"{\"data\":\"for B\",\"meta\":$(meta_of "$PB")}" \
		"{\"data\":\"A again\",\"meta\":$(meta_of "$PA")}" \
		"{\"data\":\"B again\",\"meta\":$(meta_of "$PB")}"
	wait_client A
	[ "$STATUS" -eq 0 ]
	wait_client B
	[ "$STATUS" -eq 0 ]
	[ "$(sed 1d "$T/A.out")" = "$(printf '%s\n' 'text "for A"' 'text "A again"')" ]
	[ "$(sed 1d "$T/B.out")" = "$(printf '%s\n' 'text "for B"' 'text "B again"')" ]
	[ ! -s "$T/out" ]
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/err")" = "ws-listen: listening on ws://127.0.0.1:$PORT" ]
}

# The stream number of the client on port $1, from its first event.
stream_of() {
	grep -F "\"port\":$1}" "$T/out" | head -n 1 | sed 's/.*"stream":\([0-9]*\).*/\1/'
}

o() { printf '{"source":"%s","stream":%s}' "$1" "$2"; }

@test "the origin's streams route a reply; meta wins over origin; other sources do not count" {
	start_server 127.0.0.1:0
	client A wsc "$URL" text:a recv recv
	client B wsc "$URL" text:b recv recv recv
	PA=$(client_port A)
	PB=$(client_port B)
	wait_until lines_in "$T/out" 2
	SA=$(stream_of "$PA")
	SB=$(stream_of "$PB")
	[ -n "$SA" ] && [ -n "$SB" ] && [ "$SA" != "$SB" ]
	send_in "{\"data\":\"by origin\",\"origin\":[$(o ws_server "$SA")]}" \
		"{\"data\":\"meta first\",\"meta\":$(meta_of "$PB"),\"origin\":[$(o ws_server "$SA")]}" \
		"{\"data\":\"not ours\",\"origin\":[$(o other "$SA")]}" \
		"{\"data\":\"to B\",\"meta\":$(meta_of 1),\"origin\":[$(o other "$SA"),$(o ws_server "$SB")]}" \
		"{\"data\":\"both\",\"origin\":[$(o ws_server "$SB"),$(o ws_server "$SA")]}"
	wait_client A
	[ "$STATUS" -eq 0 ]
	wait_client B
	[ "$STATUS" -eq 0 ]
	[ "$(sed 1d "$T/A.out")" = "$(printf '%s\n' 'text "by origin"' 'text "both"')" ]
	[ "$(sed 1d "$T/B.out")" = "$(printf '%s\n' 'text "meta first"' 'text "to B"' 'text "both"')" ]
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(sed 1d "$T/err")" = "ws-listen: line 3: no connection for event" ]
}

@test "--id: origin entries of this source name route, ws_server ones do not" {
	start_server --id edge 127.0.0.1:0
	client A wsc "$URL" text:a recv
	PA=$(client_port A)
	wait_until lines_in "$T/out" 1
	[ "$(cat "$T/out")" = "{\"data\":\"a\",\"meta\":$(meta_of "$PA"),\"origin\":[{\"source\":\"edge\",\"stream\":1}]}" ]
	send_in "{\"data\":\"x\",\"origin\":[$(o ws_server 1)]}" "{\"data\":\"y\",\"origin\":[$(o edge 1)]}"
	wait_client A
	[ "$(sed 1d "$T/A.out")" = 'text "y"' ]
	stop_server
	[ "$(sed 1d "$T/err")" = "ws-listen: line 1: no connection for event" ]
}

@test "--broadcast sends an event without a route to every connection" {
	start_server --broadcast 127.0.0.1:0
	two_clients recv recv
	send_in '{"data":"to all"}' "{\"data\":\"to A\",\"meta\":$(meta_of "$PA")}" \
		"{\"data\":\"to B\",\"meta\":$(meta_of "$PB")}"
	wait_client A
	wait_client B
	[ "$(sed 1d "$T/A.out")" = "$(printf '%s\n' 'text "to all"' 'text "to A"')" ]
	[ "$(sed 1d "$T/B.out")" = "$(printf '%s\n' 'text "to all"' 'text "to B"')" ]
}

@test "--broadcast to 500 connections at once" {
	[ "$(ulimit -n)" -ge 2048 ] || ulimit -n 2048
	start_server --broadcast --stream-events --backlog 1024 127.0.0.1:0
	client crowd "$PY" "$H/crowd.py" "$URL" 500 listen
	wait_until has_line "$T/crowd.out" "open 500"
	wait_until lines_in "$T/out" 500
	send_in '{"data":"hello, all"}'
	wait_client crowd
	[ "$STATUS" -eq 0 ]
	[ "$(sed -n 2p "$T/crowd.out")" = "broadcast 500 hello, all" ]
	[ "$(sed -n 3p "$T/crowd.out")" = "closed 500" ]
}

@test "without a route: error event \"no connection for event\"; the next line still goes" {
	start_server --err-fd 5 127.0.0.1:0 5>"$T/errfd"
	client A wsc "$URL" recv
	PA=$(client_port A)
	send_in '{"data":"lost","meta":{"m":1},"origin":[{"source":"x","stream":9}]}' \
		"{\"data\":\"found\",\"meta\":$(meta_of "$PA")}"
	wait_client A
	[ "$(sed 1d "$T/A.out")" = 'text "found"' ]
	stop_server
	[ "$(cat "$T/errfd")" = '{"data":{"error":"line 1: no connection for event","source":"ws_server","stream":9,"input":"{\"data\":\"lost\",\"meta\":{\"m\":1},\"origin\":[{\"source\":\"x\",\"stream\":9}]}"},"meta":{"m":1},"origin":[{"source":"x","stream":9}]}' ]
}

@test "malformed lines on stdin are error events; the next line is still routed" {
	start_server 127.0.0.1:0
	client A wsc "$URL" recv
	PA=$(client_port A)
	send_in 'not json' '{"no":"payload"}' '{"data":"x"' '{"bytes":"!!","meta":{"binary":true}}' \
		"{\"data\":\"ok\",\"meta\":$(meta_of "$PA")}"
	wait_client A
	[ "$STATUS" -eq 0 ]
	[ "$(sed 1d "$T/A.out")" = 'text "ok"' ]
	stop_server
	[ "$STATUS" -eq 0 ]
	sed 1d "$T/err" >"$T/errs"
	cat "$T/errs"
	[ "$(sed -n 1p "$T/errs")" = "ws-listen: line 1: not an envelope: not a JSON object at byte 0" ]
	[[ $(sed -n 2p "$T/errs") == "ws-listen: line 2: not an envelope: "* ]]
	[[ $(sed -n 3p "$T/errs") == "ws-listen: line 3: not an envelope: "* ]]
	[ "$(sed -n 4p "$T/errs")" = "ws-listen: line 4: bytes is not valid base64" ]
	[ "$(wc -l <"$T/errs")" -eq 4 ]
}

@test "the frame type: bytes, meta.binary or meta.ws_server.binary make a binary frame; other data is text" {
	start_server 127.0.0.1:0
	client A wsc "$URL" recv recv recv recv recv recv recv
	PA=$(client_port A)
	m=$(meta_of "$PA")
	send_in "{\"bytes\":\"AAEC\",\"meta\":$m}" \
		"{\"data\":\"bin\",\"meta\":{\"binary\":true,\"ws_server\":{\"peer\":{\"host\":\"127.0.0.1\",\"port\":$PA}}}}" \
		"{\"data\":\"bin2\",\"meta\":{\"ws_server\":{\"binary\":true,\"peer\":{\"host\":\"127.0.0.1\",\"port\":$PA}}}}" \
		"{\"data\":\"txt\",\"meta\":{\"binary\":false,\"ws_server\":{\"peer\":{\"port\":$PA,\"host\":\"127.0.0.1\"}}}}" \
		"{\"meta\":$m,\"data\":{\"n\":12345678901234567890,\"f\":1.50,\"s\":\"é\"}}" \
		"{\"data\":[1, 2],\"meta\":$m}" \
		"{\"data\":\"\\u00e9\\n\\\"q\\\"\",\"meta\":$m}"
	wait_client A
	[ "$STATUS" -eq 0 ]
	diff -u - <(sed 1d "$T/A.out") <<'EOF'
binary 000102
binary 62696e
binary 62696e32
text "txt"
text "{\"n\":12345678901234567890,\"f\":1.50,\"s\":\"é\"}"
text "[1, 2]"
text "é\n\"q\""
EOF
}

@test "a control close event on stdin closes its connection with its code and reason" {
	start_server --stream-events 127.0.0.1:0
	client A wsc "$URL" waitclose
	client B wsc "$URL" recv
	PA=$(client_port A)
	PB=$(client_port B)
	wait_until lines_in "$T/out" 2
	send_in "{\"control\":\"close\",\"code\":4000,\"reason\":\"bye now\",\"meta\":$(meta_of "$PA")}" \
		"{\"data\":\"still here\",\"meta\":$(meta_of "$PB")}"
	wait_client A
	[ "$STATUS" -eq 0 ]
	[ "$(sed -n 2p "$T/A.out")" = "closed 4000 bye now" ]
	wait_client B
	[ "$(sed -n 2p "$T/B.out")" = 'text "still here"' ]
	wait_until lines_in "$T/out" 4
	grep -Fx "{\"control\":\"close\",\"code\":4000,\"reason\":\"bye now\",\"meta\":$(meta_of "$PA"),\"origin\":[{\"source\":\"ws_server\",\"stream\":$(stream_of "$PA")}]}" "$T/out"
}

@test "-R: each stdin line is a text message to every connection" {
	start_server -R 127.0.0.1:0
	two_clients recv recv recv
	printf '%s\n' 'plain line' '{"data":"not parsed"}' '' >&"$IN"
	wait_client A
	wait_client B
	diff -u - <(sed 1d "$T/A.out") <<'EOF'
text "plain line"
text "{\"data\":\"not parsed\"}"
text ""
EOF
	diff -u "$T/A.out" <(sed "s/^open $PB/open $PA/" "$T/B.out")
}

@test "-r: stdout has the payloads only, one per line" {
	start_server -r --stream-events 127.0.0.1:0
	run wsc "$URL" text:one "text:two words" bin:6869
	[ "$status" -eq 0 ]
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/out")" = "$(printf '%s\n' one 'two words' hi)" ]
}

# slow_peer ARGS FORMAT: 3000 lines printf'd with FORMAT to a ws-listen ARGS
# whose one peer reads nothing for a second: stdin waits, nothing is lost.
slow_peer() {
	start_server $1 --max-queue 16K 127.0.0.1:0
	client slow raw --rcvbuf 4096 "$PORT" hs sleep:1000 readn:3000 frame:op=8,hex=03e8 readclose
	wait_until has_line "$T/slow.out" 101
	client feed bash -c 'for ((i = 0; i < 3000; i++)); do printf "$1\n" "$i"; done >&'"$IN" bash "$2"
	wait_client slow
	[ "$STATUS" -eq 0 ]
	[ "$(sed -n 2p "$T/slow.out")" = "got 3000 3000000" ]
	wait_client feed
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(sed 1d "$T/err")" = "" ]
}

@test "-R: a peer slower than stdin holds stdin back; no line is dropped" {
	slow_peer -R '%01000d'
}

@test "--broadcast: a peer slower than stdin holds stdin back; no event is dropped" {
	slow_peer --broadcast '{"data":"%01000d"}'
}

@test "a control close event: a code no endpoint may send is an error event; a long reason is cut at a character" {
	start_server 127.0.0.1:0
	client A wsc "$URL" recv waitclose
	PA=$(client_port A)
	local long
	long=$(printf 'é%.0s' {1..70})	# 140 bytes
	send_in "{\"control\":\"close\",\"code\":1005,\"meta\":$(meta_of "$PA")}" \
		"{\"control\":\"close\",\"code\":\"x\",\"meta\":$(meta_of "$PA")}" \
		"{\"control\":\"close\",\"code\":5000,\"meta\":$(meta_of "$PA")}" \
		"{\"data\":\"still open\",\"meta\":$(meta_of "$PA")}" \
		"{\"control\":\"close\",\"code\":4999,\"reason\":\"$long\",\"meta\":$(meta_of "$PA")}"
	wait_client A
	[ "$STATUS" -eq 0 ]
	[ "$(sed -n 2p "$T/A.out")" = 'text "still open"' ]
	[ "$(sed -n 3p "$T/A.out")" = "closed 4999 $(printf 'é%.0s' {1..61})" ]
	stop_server
	[ "$(sed 1d "$T/err" | cut -d: -f2-3)" = "$(printf ' line %s: not a close code to send\n' 1 2 3)" ]
}
