#!/usr/bin/env bats
# ws-listen against peers that break RFC 6455 on purpose, each case written
# from the RFC: the HTTP answer or close code it must get, the line on
# stderr, and a well-behaved client that still works right after.

load ws-listen

setup() { ws_setup; }
teardown() { ws_teardown; }

# The stderr lines after "listening", with peer ports as PEER.
errs() {
	sed 1d "$T/err" | sed 's/127\.0\.0\.1:[0-9]*/PEER/g'
}

# A python3-websockets client gets its message through after a bad peer.
N_FRESH=0
fresh_works() {
	N_FRESH=$((N_FRESH + 1))
	run wsc "$URL" "text:fresh $N_FRESH"
	[ "$status" -eq 0 ]
	wait_until has_text "$T/out" "{\"data\":\"fresh $N_FRESH\","
}

# bad EXPECTED-OUTPUT RAW-COMMANDS...: the raw client prints exactly that.
bad() {
	local want=$1
	shift
	run raw "$PORT" "$@"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	fresh_works
}

@test "bad handshakes: 400, 405, 426 and 431 answers, then Connection: close" {
	start_server 127.0.0.1:0
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body not an HTTP request' eof)" 'send:hello, server\r\n\r\n' http
	# bytes no HTTP head has (a TLS hello): answered at once, not after a timeout
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body not an HTTP request' eof)" 'sendhex:16030100a50100a1' http
	bad "$(printf '%s\n' 'HTTP/1.1 405 Method Not Allowed' 'header allow GET' 'header connection close' \
		'body the method must be GET' eof)" 'send:POST / HTTP/1.1\r\nHost: x\r\n\r\n' http
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body HTTP/1.1 or later is required' eof)" 'send:GET / HTTP/1.0\r\n\r\n' http
	bad "$(printf '%s\n' 'HTTP/1.1 426 Upgrade Required' 'header sec-websocket-version 13' \
		'header connection close' 'body Sec-WebSocket-Version must be 13' eof)" \
		'hs:Sec-WebSocket-Version: 8'
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body Sec-WebSocket-Key is not 16 bytes in base64' eof)" 'hs:Sec-WebSocket-Key:'
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body Sec-WebSocket-Key is not 16 bytes in base64' eof)" 'hs:Sec-WebSocket-Key: c2hvcnQ='
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body no "Upgrade: websocket" header' eof)" 'hs:Upgrade:'
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body no "Connection: Upgrade" header' eof)" 'hs:Connection: keep-alive'
	bad "$(printf '%s\n' 'HTTP/1.1 400 Bad Request' 'header connection close' \
		'body no Host header' eof)" 'hs:Host:'
	bad "$(printf '%s\n' 'HTTP/1.1 431 Request Header Fields Too Large' 'header connection close' \
		'body request head too large' eof)" \
		"send:GET / HTTP/1.1\r\nX-Big: $(printf '%20000s' '' | tr ' ' a)\r\n\r\n" http
	stop_server
	[ "$STATUS" -eq 0 ]
	diff -u - <(errs) <<'EOF'
ws-listen: PEER: handshake refused (400): not an HTTP request
ws-listen: PEER: handshake refused (400): not an HTTP request
ws-listen: PEER: handshake refused (405): the method must be GET
ws-listen: PEER: handshake refused (400): HTTP/1.1 or later is required
ws-listen: PEER: handshake refused (426): Sec-WebSocket-Version must be 13
ws-listen: PEER: handshake refused (400): Sec-WebSocket-Key is not 16 bytes in base64
ws-listen: PEER: handshake refused (400): Sec-WebSocket-Key is not 16 bytes in base64
ws-listen: PEER: handshake refused (400): no "Upgrade: websocket" header
ws-listen: PEER: handshake refused (400): no "Connection: Upgrade" header
ws-listen: PEER: handshake refused (400): no Host header
ws-listen: PEER: handshake refused (431): request head too large
EOF
}

@test "a client that stalls mid-handshake is dropped after --handshake-timeout" {
	start_server --handshake-timeout 300 127.0.0.1:0
	local t0=${EPOCHREALTIME/./}
	bad eof 'send:GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n' eof
	local ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	echo "dropped after $ms ms"
	[ "$ms" -ge 250 ] && [ "$ms" -lt 5000 ]
	bad eof eof	# connects and says nothing at all
	stop_server
	diff -u - <(errs) <<'EOF'
ws-listen: PEER: the opening handshake timed out
ws-listen: PEER: the opening handshake timed out
EOF
}

@test "frame errors close with 1002: unmasked, reserved bits, opcodes, control frames, continuation" {
	start_server --stream-events 127.0.0.1:0
	local c1002
	c1002=$(printf '%s\n' 101 'close 1002 ' eof)
	bad "$c1002" hs frame:mask=0,text=unmasked readclose
	bad "$c1002" hs frame:rsv=4,text=rsv1 readclose
	bad "$c1002" hs frame:rsv=2,text=rsv2 readclose
	bad "$c1002" hs frame:rsv=1,op=2,hex=00 readclose
	bad "$c1002" hs frame:op=3,text=reserved readclose
	bad "$c1002" hs frame:op=7 readclose
	bad "$c1002" hs frame:op=11 readclose
	bad "$c1002" hs frame:op=15,text=x readclose
	bad "$c1002" hs frame:op=9,len=126 readclose	# ping over 125 bytes
	bad "$c1002" hs frame:op=9,fin=0,text=p readclose	# fragmented ping
	bad "$c1002" hs frame:op=0,fin=1,text=x readclose	# continuation of nothing
	bad "$c1002" hs frame:fin=0,text=a frame:op=1,text=b readclose	# new message inside one
	bad "$c1002" hs frame:op=8,hex=03 readclose	# close with a 1-byte body
	bad "$c1002" hs frame:op=8,hex=03ed readclose	# close code 1005 on the wire
	bad "$c1002" hs frame:op=8,hex=03ee readclose	# 1006
	bad "$c1002" hs frame:op=8,hex=0063 readclose	# 99
	bad "$c1002" hs frame:op=8,hex=1388 readclose	# 5000
	bad "$c1002" hs frame:enc=16,text=short readclose	# length not in its shortest form
	bad "$c1002" hs frame:enc=64,len=300 readclose
	bad "$c1002" hs sendhex:82ff8000000000000000 readclose	# 64-bit length with the top bit
	# frames before the bad one in the same write are still events
	bad "$c1002" hs frame:text=before frame:op=10,len=200 readclose
	stop_server
	[ "$(errs | sort | uniq -c | sed 's/^ *//')" = "21 ws-listen: PEER: connection closed: protocol error" ]
	[ "$(grep -c '"control":"close","code":1002,"reason":""' "$T/out")" -eq 21 ]
	grep -q '^{"data":"before",' "$T/out"
}

@test "invalid UTF-8 in text closes with 1007, also split across fragments; valid splits pass" {
	start_server 127.0.0.1:0
	local c1007
	c1007=$(printf '%s\n' 101 'close 1007 ' eof)
	bad "$c1007" hs frame:hex=c328 readclose	# a bad continuation byte
	bad "$c1007" hs frame:hex=eda080 readclose	# a surrogate
	bad "$c1007" hs frame:hex=c0af readclose	# overlong
	bad "$c1007" hs frame:hex=f4908080 readclose	# past U+10FFFF
	bad "$c1007" hs frame:hex=e282 readclose	# cut at the end of the message
	bad "$c1007" hs frame:fin=0,hex=68e282 frame:op=0,hex=28 readclose	# bad after the split
	bad "$c1007" hs frame:fin=0,hex=41 frame:op=0,fin=0,hex=f0 frame:op=0,hex=41 readclose
	bad "$c1007" hs frame:op=8,hex=03e8ff readclose	# the close reason too
	# a character split across fragments is fine: U+20AC, then U+1F600 in three
	bad "$(printf '%s\n' 101 'close 1000 ' eof)" hs frame:fin=0,hex=e282 frame:op=0,hex=ac \
		frame:fin=0,hex=f0 frame:op=0,fin=0,hex=9f98 frame:op=0,hex=80 frame:op=8,hex=03e8 readclose
	stop_server
	[ "$(errs | sort | uniq -c | sed 's/^ *//')" = "8 ws-listen: PEER: connection closed: invalid UTF-8 in a text message" ]
	grep -q '^{"data":"€",' "$T/out"
	grep -q '^{"data":"😀",' "$T/out"
}

@test "messages over --max-message close with 1009, whole or in fragments; up to it they pass" {
	start_server --max-message 1000 127.0.0.1:0
	local c1009
	c1009=$(printf '%s\n' 101 'close 1009 ' eof)
	bad "$c1009" hs frame:op=2,len=1001 readclose
	bad "$c1009" hs frame:op=1,fin=0,len=600 frame:op=0,len=401 readclose
	bad "$c1009" hs frame:op=1,fin=0,len=500 frame:op=9,text=ping frame:op=0,fin=0,len=500 \
		frame:op=0,len=1 readclose
	bad "$c1009" hs sendhex:82ff0000000100000000aabbccdd0102 readclose	# 4 GiB announced
	bad "$(printf '%s\n' 101 "frame 10 1 $(printf ping | od -An -tx1 | tr -d ' \n')" 'close 1000 ' eof)" \
		hs frame:op=1,fin=0,len=500 frame:op=9,text=ping frame:op=0,len=500 read frame:op=8,hex=03e8 readclose
	stop_server
	[ "$(errs | sort | uniq -c | sed 's/^ *//')" = "4 ws-listen: PEER: connection closed: message too big" ]
	[ "$(grep -c '^{"data":"xxxx*",' "$T/out")" -eq 1 ]
	[ "$(grep '^{"data":"xxxx*",' "$T/out" | sed 's/^{"data":"\(x*\)".*/\1/' | tr -d '\n' | wc -c)" -eq 1000 ]
}

@test "a client that never reads is closed after --send-timeout with 1008 and an error event" {
	start_server -R --stream-events --max-queue 1M --send-timeout 400 127.0.0.1:0
	client slow raw --rcvbuf 4096 "$PORT" hs hold:8000
	wait_until has_line "$T/slow.out" 101
	wait_until lines_in "$T/out" 1
	# 16 MiB to a peer that takes none: the queue passes its mark, stdin waits
	client feed bash -c 'head -c 16777216 /dev/zero | tr "\0" x | fold -w 65536 >&'"$IN"
	wait_until has_text "$T/out" '"control":"close","code":1008'
	wait_until has_text "$T/err" "connection closed: the peer does not read"
	errs | grep -E '^ws-listen: PEER: connection closed: the peer does not read: [0-9]+ bytes queued, no progress for 400 ms$'
	# stdin goes on: the feed is read to its end
	wait_client feed
	[ "$STATUS" -eq 0 ]
	fresh_works
	[ "$(errs | wc -l)" -eq 1 ]
}

@test "frames that come one byte at a time: good ones are events, a bad header still closes with 1002" {
	start_server 127.0.0.1:0
	bad "$(printf '%s\n' 101 'frame 10 1 6869' 'close 1000 ' eof)" hs frame:text=dripped,drip=1 \
		frame:fin=0,len=130,drip=1 frame:op=9,text=hi,drip=1 frame:op=0,len=70000,enc=64 \
		read frame:op=8,hex=03e8,drip=1 readclose
	bad "$(printf '%s\n' 101 'close 1002 ' eof)" hs frame:text=ok,drip=1 frame:op=9,len=126,drip=1 readclose
	bad "$(printf '%s\n' 101 'close 1002 ' eof)" hs frame:enc=16,len=100,drip=1 readclose
	stop_server
	[ "$(grep -c '^{"data":"dripped",' "$T/out")" -eq 1 ]
	[ "$(grep -c '^{"data":"ok",' "$T/out")" -eq 1 ]
	[ "$(grep '"stream":1}' "$T/out" | sed -n 2p | cut -c1-9)" = '{"data":"' ]
	[ "$(grep -o 'x*' "$T/out" | awk '{ if (length > n) n = length } END { print n }')" -eq 70130 ]
	[ "$(errs)" = "$(printf '%s\n' 'ws-listen: PEER: connection closed: protocol error' \
		'ws-listen: PEER: connection closed: protocol error')" ]
}
