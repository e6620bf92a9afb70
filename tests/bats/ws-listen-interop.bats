#!/usr/bin/env bats
# ws-listen with independent, strict clients: python3-websockets and node-ws.
# The server is the echo loop `ws-listen URL <fifo | tee log >fifo`: every
# message comes back to its own client, byte for byte, as text or binary.

load ws-listen

setup() { ws_setup; }
teardown() { ws_teardown; }

# The kinds of message every client sends and must get back.
KINDS=(text:hello "text:héllo wörld ✓ 😀 中文" text: bin:00ff10 bin: frag:text:ab,,c,é frag:bin:01,0203,,04)
ECHOED='text "hello"
text "héllo wörld ✓ 😀 中文"
text ""
binary 00ff10
binary 
text "abcé"
binary 01020304'

# The server's stdout for those messages from the client on port $1, stream $2.
logged() {
	event '"data":"hello"' "$1" "$2"
	event '"data":"héllo wörld ✓ 😀 中文"' "$1" "$2"
	event '"data":""' "$1" "$2"
	event '"bytes":"AP8Q"' "$1" "$2" binary
	event '"bytes":""' "$1" "$2" binary
	event '"data":"abcé"' "$1" "$2"
	event '"bytes":"AQIDBA=="' "$1" "$2" binary
}

# echo_kinds CLIENT: send every kind, expect each back, and the log.
echo_kinds() {
	local c=$1 k args=()
	start_echo 127.0.0.1:0
	for k in "${KINDS[@]}"; do
		args+=("$k" recv)
	done
	run $c "$URL" "${args[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	local port=${lines[0]#open }
	port=${port%% *}
	[ "$(printf '%s\n' "${lines[@]:1}")" = "$ECHOED" ]
	stop_server
	[ "$STATUS" -eq 0 ]
	diff -u <(logged "$port" 1) "$T/out"
}

@test "python3-websockets: text, unicode, empty, binary and fragmented messages come back byte-exact" {
	echo_kinds wsc
}

@test "node-ws: text, unicode, empty, binary and fragmented messages come back byte-exact" {
	echo_kinds nodec
}

# big CLIENT: 16 MiB of text and 16 MiB of binary (the default --max-message)
big() {
	head -c 12582912 /dev/urandom | base64 -w0 >"$T/big.txt"
	head -c 16777216 /dev/urandom >"$T/big.bin"
	[ "$(stat -c %s "$T/big.txt")" -eq 16777216 ]
	start_echo 127.0.0.1:0
	run $1 "$URL" "textfile:$T/big.txt" recvsum "binfile:$T/big.bin" recvsum
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "text 16777216 $(sha256sum <"$T/big.txt" | cut -d' ' -f1)" ]
	[ "${lines[2]}" = "binary 16777216 $(sha256sum <"$T/big.bin" | cut -d' ' -f1)" ]
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 2 ]
}

@test "python3-websockets: 16 MiB text and binary messages come back byte-exact" {
	big wsc
}

@test "node-ws: 16 MiB text and binary messages come back byte-exact" {
	big nodec
}

@test "python3-websockets: 2000 messages come back in order" {
	start_echo 127.0.0.1:0
	run wsc "$URL" many:2000 recvmany:2000
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "got 2000" ]
	stop_server
	[ "$(wc -l <"$T/out")" -eq 2000 ]
}

@test "node-ws: 2000 messages come back in order" {
	start_echo 127.0.0.1:0
	run nodec "$URL" many:2000 recvmany:2000
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "got 2000" ]
	stop_server
	[ "$(wc -l <"$T/out")" -eq 2000 ]
}

@test "500 python3-websockets clients at once: each gets its own reply" {
	[ "$(ulimit -n)" -ge 2048 ] || ulimit -n 2048
	start_echo --backlog 1024 127.0.0.1:0
	run "$PY" "$H/crowd.py" "$URL" 500 echo
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "open 500" ]
	[ "${lines[1]}" = "echo 500" ]
	[ "${lines[2]}" = "closed 500" ]
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(wc -l <"$T/out")" -eq 500 ]
	# 500 streams, each with one message
	[ "$(grep -o '"stream":[0-9]*' "$T/out" | sort -u | wc -l)" -eq 500 ]
}

@test "python3-websockets and node-ws: permessage-deflate is offered and declined" {
	start_echo 127.0.0.1:0
	run wsc "$URL" text:plain recv
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 'text "plain"' ]
	run nodec "$URL" text:plain recv
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 'text "plain"' ]
	run raw "$PORT" "hs:Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits" \
		frame:text=hi read
	[ "${lines[0]}" = 101 ]
	[ "${lines[1]}" = "frame 1 1 6869" ]
}

@test "python3-websockets: the subprotocol of --protocol is chosen" {
	start_echo --protocol chat.v1 127.0.0.1:0
	run wsc --protocol chat.v1 "$URL" text:x recv
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "open "*" chat.v1" ]]
	# another subprotocol: none is chosen, as RFC 6455 4.2.2 allows
	run wsc --protocol other "$URL" text:y recv
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "open "*" " ]]
	[ "${lines[1]}" = 'text "y"' ]
}

@test "python3-websockets and node-ws: a message over --max-message is answered with 1009 while it is still coming" {
	start_server --max-message 1000 127.0.0.1:0
	head -c 4194304 /dev/zero | tr '\0' y >"$T/4m.txt"
	run wsc "$URL" "textfile:$T/4m.txt" recv
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "closed 1009 " ]
	run nodec "$URL" "textfile:$T/4m.txt" recv
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[1]}" = "closed 1009 " ]
	run wsc "$URL" "text:small enough"
	[ "$status" -eq 0 ]
	stop_server
	[ "$(cat "$T/out" | cut -c1-25)" = '{"data":"small enough","m' ]
}
