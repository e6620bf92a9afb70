#!/usr/bin/env bats
# ws-connect's error paths: usage errors (exit 2), servers that are not
# WebSocket servers or refuse the upgrade (exit 1 with the reason), a
# server that never answers (--connect-timeout), garbage frames after the
# handshake (close 1002/1007), bad input on stdin, a full stdout.

load ws-connect

setup() { wsc_setup; }
teardown() { wsc_teardown; }

# usage ARGS... MESSAGE: ws-connect ARGS exits 2 with MESSAGE first on stderr.
usage() {
	local msg=${*: -1}
	run "$WF_BIN/ws-connect" "${@:1:$#-1}"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "ws-connect: $msg" ]
}

@test "usage errors exit 2 with one line saying what is wrong" {
	usage 'a URL to connect to is needed'
	usage ws://a:1/ ws://b:1/ 'one URL only'
	usage --bogus ws://a:1/ '--bogus: unknown option'
	usage http://a:1/ 'http://a:1/: the scheme must be ws:// or wss://'
	usage ws://a:99999/ 'ws://a:99999/: bad port'
	usage ws://:1/ 'ws://:1/: no host'
	usage --retry-max 3 ws://a:1/ 'the --retry options need --retry-interval'
	usage --no-retry-randomized ws://a:1/ 'the --retry options need --retry-interval'
	usage --retry-interval -5 ws://a:1/ '--retry-interval: "-5" is not a number of milliseconds'
	usage --retry-interval 10 --retry-growth x ws://a:1/ '--retry-growth: "x" is not a number >= 0'
	usage --retry-interval 10 --retry-max 1.5 ws://a:1/ '--retry-max: "1.5" is not a whole number >= 0'
	usage --connect-timeout soon ws://a:1/ '--connect-timeout: "soon" is not a number of milliseconds'
	usage --max-message 0 ws://a:1/ '--max-message: "0" is not a size'
	usage --max-queue 1Q ws://a:1/ '--max-queue: "1Q" is not a size'
	usage -H nocolon ws://a:1/ '--header must be "Name: value" on one line'
	usage --tls-cert /etc/hostname ws://a:1/ '--tls-cert and --tls-key go together'
	usage --tls-cafile "$T/none.pem" wss://a:1/ "CA file $T/none.pem: No such file or directory"
	usage --err-fd 9 ws://a:1/ '--err-fd: 9 is not an open file descriptor'
}

@test "--help lists every option; --version prints the version" {
	run "$WF_BIN/ws-connect" --help
	[ "$status" -eq 0 ]
	local o
	for o in --tls --tls-cafile --tls-domain --tls-cert --tls-key --tls-insecure --nodelay \
		--no-nodelay --header --protocol --origin --retry-interval --retry-growth --retry-max \
		--retry-randomized --no-retry-randomized --ping-interval --ping-timeout \
		--connect-timeout --send-timeout --id --max-message --max-queue --no-close \
		--stream-events --verbose --err-fd --raw-input --raw-output --max-line; do
		[[ $output == *" $o"* ]] || { echo "missing $o"; return 1; }
	done
	run "$WF_BIN/ws-connect" --version
	[ "$status" -eq 0 ]
	[[ $output == "ws-connect (wsflow) "* ]]
}

@test "nothing listening: exit 1 at once with the reason" {
	peer raw hold
	stop_peer
	wsc "ws://127.0.0.1:$PORT/"
	[ "$STATUS" -eq 1 ]
	[ "$(cat "$T/c.err")" = "ws-connect: connect: Connection refused" ]
	[ "$ELAPSED" -lt 1000 ]
}

# refused RAW-CMDS... MESSAGE: a raw server answering so: exit 1, MESSAGE.
refused() {
	local msg=${*: -1}
	peer raw "${@:1:$#-1}"
	start_wsc "$URL"
	wait_wsc
	[ "$STATUS" -eq 1 ]
	diff -u <(echo "ws-connect: $msg") "$T/c.err"
	[ ! -s "$T/c.out" ]
	stop_peer
}

@test "a server that does not speak HTTP: exit 1 at once, with what it sent" {
	refused 'send:SSH-2.0-OpenSSH_9.2\r\n' hold 'the server did not answer with HTTP: "SSH-2.0-OpenSSH_9.2"'
	refused 'send:SSH-2.0-OpenSSH_9.2\r\n' close 'the server did not answer with HTTP: "SSH-2.0-OpenSSH_9.2"'
	refused head 'hex:00ff2241' hold 'the server did not answer with HTTP: "\x00\xff\x22A"'
	refused head 'send:garbage\r\n\r\n' hold 'the server did not answer with HTTP: "garbage"'
	refused head 'hex:15030300020228' hold 'the server answered with TLS, not HTTP: use wss://'
	refused head close 'the server closed the connection during the handshake'
}

@test "a refused upgrade: exit 1 with the status line (404, 403, 200, a 101 without the right key)" {
	refused head 'send:HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n' hold \
		'the server refused the upgrade: HTTP/1.1 404 Not Found'
	refused head 'send:HTTP/1.0 200 OK\r\n\r\nhello' close 'the server refused the upgrade: HTTP/1.0 200 OK'
	refused head 'send:HTTP/1.1 403 Forbidden\r\n' close 'the server refused the upgrade: HTTP/1.1 403 Forbidden'
	refused head 'send:HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n' hold \
		"the server's Sec-WebSocket-Accept is wrong"
	refused head 'send:HTTP/1.1 101 Switching Protocols\r\n\r\n' hold \
		"the server's answer lacks Upgrade/Connection headers"
	# python3-websockets refusing in process_request
	peer py --status 403
	wsc "${URL}private"
	[ "$STATUS" -eq 1 ]
	[ "$(cat "$T/c.err")" = "ws-connect: the server refused the upgrade: HTTP/1.1 403 Forbidden" ]
	wait_until has_line "$T/peer.out" "refused /private"
}

@test "a server that never answers the handshake: --connect-timeout bounds the wait" {
	peer raw head hold
	wsc --connect-timeout 300 "$URL"
	[ "$STATUS" -eq 1 ]
	[ "$(cat "$T/c.err")" = "ws-connect: the opening handshake timed out" ]
	[ "$ELAPSED" -ge 300 ]
	[ "$ELAPSED" -lt 2000 ]
	peer raw hold
	wsc --connect-timeout 200 --tls --tls-insecure "$URL"
	[ "$STATUS" -eq 1 ]
	[ "$(tail -n 1 "$T/c.err")" = "ws-connect: the opening handshake timed out" ]
	[ "$ELAPSED" -ge 200 ]
	[ "$ELAPSED" -lt 2000 ]
}

# garbage HEX CODE WHY: a server that sends the frame HEX after a correct
# handshake: ws-connect closes with CODE, reports WHY, goes on (Tremor's
# "none" policy: one more try after a second); SIGTERM ends it with 0.
garbage() {
	peer raw head accept "hex:$1" frames
	start_wsc -v --stream-events "$URL"
	wait_until has_line "$T/peer.out" "close $2"
	wait_until has_text "$T/c.err" "ws-connect: connection lost: $3; retrying in 1000 ms"
	kill -TERM "$WSC"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	has_line "$T/c.out" "$(ctl close "$2" '')"
	stop_peer
	end_wsc
}

@test "garbage frames after the handshake: closed with 1002 or 1007, reported, retried" {
	garbage c1026869 1002 'protocol error'		# RSV bits
	garbage 83026869 1002 'protocol error'		# a reserved opcode
	garbage 818400000000686921 1002 'protocol error' # masked by the server
	garbage 0802 1002 'protocol error'		# a fragmented close
	garbage 8102c328 1007 'invalid UTF-8 in a text message'
	garbage 68656c6c6f20676172626167650d0a 1002 'protocol error' # "hello garbage"
}

@test "bad input on stdin: an error on stderr or --err-fd, the next line is still sent" {
	peer py recv recv recv recv waitclose
	printf '%s\n' '{"data":"one"}' 'not json' '{"bytes":"@@@"}' '{"data":1' '{"data":"two"}' \
		'{"meta":{}}' '{"data":"three"}' '{"data":"four"}' >"$T/cin.txt"
	wsc "$URL"
	[ "$STATUS" -eq 0 ]
	diff -u - "$T/c.err" <<'EOF'
ws-connect: line 2: not an envelope: not a JSON object at byte 0
ws-connect: line 3: bytes is not valid base64
ws-connect: line 4: not an envelope: expected ',' or '}' at byte 9
ws-connect: line 6: not an envelope: no data, bytes or control member at byte 0
EOF
	wait_until has_text "$T/peer.out" "closed "
	diff -u <(printf 'text "%s"\n' one two three four; echo 'closed 1000 ') <(peer_log)
}

@test "--err-fd: error events as envelopes, with the input line" {
	peer py recv recv waitclose
	printf '%s\n' '{"data":"one"}' '{"bytes":"@@@","origin":[{"source":"x","stream":4}]}' \
		'nope' '{"data":"two"}' >"$T/cin.txt"
	STATUS=0
	"$WF_BIN/ws-connect" --err-fd 3 "$URL" <"$T/cin.txt" >"$T/c.out" 2>"$T/c.err" 3>"$T/c.errfd" || STATUS=$?
	[ "$STATUS" -eq 0 ]
	[ ! -s "$T/c.err" ]
	diff -u - "$T/c.errfd" <<'EOF'
{"data":{"error":"line 2: bytes is not valid base64","source":"ws_client","stream":4,"input":"{\"bytes\":\"@@@\",\"origin\":[{\"source\":\"x\",\"stream\":4}]}"},"origin":[{"source":"x","stream":4}]}
{"data":{"error":"line 3: not an envelope: not a JSON object at byte 0","source":"ws_client","input":"nope"}}
EOF
	wait_until has_text "$T/peer.out" "closed "
	diff -u <(printf 'text "%s"\n' one two; echo 'closed 1000 ') <(peer_log)
}

@test "a line longer than --max-line is skipped with an error" {
	peer py recv recv waitclose
	printf '%s\n' '{"data":"one"}' "{\"data\":\"$(printf '%040d' 0)\"}" '{"data":"two"}' >"$T/cin.txt"
	wsc --max-line 30 "$URL"
	[ "$STATUS" -eq 0 ]
	[ "$(cat "$T/c.err")" = "ws-connect: line 2: longer than 30 bytes, skipped" ]
	wait_until has_text "$T/peer.out" "closed "
	diff -u <(printf 'text "%s"\n' one two; echo 'closed 1000 ') <(peer_log)
}

@test "a message larger than --max-message: closed with 1009, reported" {
	peer py text:0123456789abcdef text:short waitclose
	start_wsc -v --max-message 10 --stream-events "$URL"
	wait_until has_line "$T/peer.out" "closed 1009 "
	wait_until has_text "$T/c.err" "ws-connect: connection lost: message too big; retrying in 1000 ms"
	kill -TERM "$WSC"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	has_line "$T/c.out" "$(ctl close 1009 '')"
	! has_text "$T/c.out" '"data"'
}

@test "stdout on /dev/full: exit 1 with the write error" {
	peer py text:hello waitclose
	STATUS=0
	timeout 10 "$WF_BIN/ws-connect" "$URL" </dev/null >/dev/full 2>"$T/c.err" || STATUS=$?
	[ "$STATUS" -eq 1 ]
	[ "$(cat "$T/c.err")" = "ws-connect: stdout: write error: No space left on device" ]
}
