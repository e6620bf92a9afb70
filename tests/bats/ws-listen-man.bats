#!/usr/bin/env bats
# The EXAMPLES of ws-listen(1) that need a client (displays without "$ ",
# which man-examples.bats does not run): each command is taken from the
# rendered page, run with port 8080 made 0, and driven by python3-websockets.

load ws-listen

setup() { ws_setup; }
teardown() {
	[ -z "$GROUP" ] || kill -TERM -- "-$GROUP" 2>/dev/null || true
	ws_teardown
}

# page_cmd LINE: LINE is in the page's EXAMPLES as an indented command.
page_cmd() {
	mandoc -Tascii "$ROOT/man/ws-listen.1" | sed 's/.\x08//g' |
		sed -n '/^EXAMPLES/,/^SEE ALSO/p' | grep -qxF "           $1"
}

# run_example CMD...: run the commands in their own process group in $T,
# stderr in $T/err; sets GROUP, PORT and URL.
run_example() {
	local script=
	local c
	for c; do
		page_cmd "$c" || { echo "not on the page: $c"; return 1; }
		script="$script${c//:8080/:0}"$'\n'
	done
	rm -f "$T/err"
	(cd "$T" && PATH="$WF_BIN:$PATH" exec setsid sh -c "$script" 2>"$T/err" 3>&-) &
	GROUP=$!
	PIDS+=($!)
	wait_until has_text "$T/err" "ws-listen: listening on " || return 1
	PORT=$(sed -n 's/^ws-listen: listening on ws:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/err")
	URL=ws://127.0.0.1:$PORT/
}

@test "ws-listen(1) EXAMPLES: keep every message with its metadata in a file" {
	run_example 'ws-listen --stream-events 127.0.0.1:8080 </dev/null | tee events.log'
	run wsc "$URL" text:kept
	[ "$status" -eq 0 ]
	local p=${lines[0]#open }
	p=${p%% *}
	wait_until lines_in "$T/events.log" 3
	diff -u - "$T/events.log" <<EOF
{"control":"open","meta":$(meta_of "$p"),"origin":[{"source":"ws_server","stream":1}]}
{"data":"kept","meta":$(meta_of "$p"),"origin":[{"source":"ws_server","stream":1}]}
{"control":"close","code":1000,"reason":"","meta":$(meta_of "$p"),"origin":[{"source":"ws_server","stream":1}]}
EOF
}

@test "ws-listen(1) EXAMPLES: the echo server through a fifo" {
	run_example 'mkfifo back' 'ws-listen 127.0.0.1:8080 <back | tee log >back'
	run wsc "$URL" "text:an echo" recv bin:00ff01 recv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 'text "an echo"' ]
	[ "${lines[2]}" = 'binary 00ff01' ]
	[ "$(wc -l <"$T/log")" -eq 2 ]
}

@test "ws-listen(1) EXAMPLES: the chat room with --broadcast" {
	run_example 'mkfifo room' "ws-listen --broadcast 127.0.0.1:8080 <room | jq -c --unbuffered '{data}' >room"
	client A wsc "$URL" "wait:$T/go" "text:hi all" recv
	client B wsc "$URL" recv
	wait_until has_text "$T/A.out" "open "
	wait_until has_text "$T/B.out" "open "
	touch "$T/go"
	wait_client A
	[ "$STATUS" -eq 0 ]
	wait_client B
	[ "$STATUS" -eq 0 ]
	[ "$(sed -n 2p "$T/A.out")" = 'text "hi all"' ]
	[ "$(sed -n 2p "$T/B.out")" = 'text "hi all"' ]
}

@test "ws-listen(1) EXAMPLES: the event that names a client by its address is an envelope of that shape" {
	page_cmd '{"data":"hi","meta":{"ws_server":{"peer":{"host":"127.0.0.1","port":51234}}}}'
	start_server 127.0.0.1:0
	client A wsc "$URL" recv
	local p
	p=$(client_port A)
	send_in "{\"data\":\"hi\",\"meta\":{\"ws_server\":{\"peer\":{\"host\":\"127.0.0.1\",\"port\":$p}}}}"
	wait_client A
	[ "$(sed -n 2p "$T/A.out")" = 'text "hi"' ]
}

@test "README: the echo server that re-sorts JSON" {
	grep -qxF '    ws-listen 127.0.0.1:8080 <back | lines-split | json-codec |' "$ROOT/README"
	grep -qxF '        json-codec --encode --sorted >back' "$ROOT/README"
	rm -f "$T/err"
	mkfifo "$T/back"
	(cd "$T" && PATH="$WF_BIN:$PATH" exec setsid sh -c 'ws-listen 127.0.0.1:0 <back | lines-split | json-codec |
		json-codec --encode --sorted >back' 2>"$T/err" 3>&-) &
	GROUP=$!
	PIDS+=($!)
	wait_until has_text "$T/err" "ws-listen: listening on "
	PORT=$(sed -n 's/^ws-listen: listening on ws:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/err")
	run wsc "ws://127.0.0.1:$PORT/" "text:{\"b\":1,\"a\":{\"d\":2,\"c\":3}}"$'\n' recv
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 'text "{\"a\":{\"c\":3,\"d\":2},\"b\":1}"' ]
}
