#!/usr/bin/env bats
# ws-listen from start to end: usage errors, control events, connection
# limits, keepalive pings, stdin EOF, stdout errors, and the shutdown on
# SIGTERM/SIGINT that loses no message it received.

load ws-listen

setup() { ws_setup; }
teardown() { ws_teardown; }

errs() {
	sed 1d "$T/err" | sed 's/127\.0\.0\.1:[0-9]*/PEER/g'
}

@test "usage errors exit 2 with one message and a hint" {
	run "$WF_BIN/ws-listen" </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "$(printf '%s\n' 'ws-listen: a URL to listen on is needed' "Try 'ws-listen --help' for more information.")" ]
	run "$WF_BIN/ws-listen" 127.0.0.1:0 127.0.0.1:1 </dev/null
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "ws-listen: one URL only" ]
	run "$WF_BIN/ws-listen" --max-message lots 127.0.0.1:0 </dev/null
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = 'ws-listen: --max-message: "lots" is not a size' ]
	run "$WF_BIN/ws-listen" --ping-interval soon 127.0.0.1:0 </dev/null
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = 'ws-listen: --ping-interval: "soon" is not a number of milliseconds' ]
	run "$WF_BIN/ws-listen" --backlog 0 127.0.0.1:0 </dev/null
	[ "$status" -eq 2 ]
	run "$WF_BIN/ws-listen" --no-such-option 127.0.0.1:0 </dev/null
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == "ws-listen: --no-such-option: unknown option" ]]
	run "$WF_BIN/ws-listen" http://127.0.0.1:0 </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "ws-listen: http://127.0.0.1:0: the scheme must be ws:// or wss://" ]
	run "$WF_BIN/ws-listen" 127.0.0.1:99999 </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "ws-listen: 127.0.0.1:99999: bad port" ]
	run "$WF_BIN/ws-listen" --err-fd 9 127.0.0.1:0 </dev/null
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "ws-listen: --err-fd: 9 is not an open file descriptor" ]
}

@test "a port in use is a runtime failure, exit 1" {
	start_server 127.0.0.1:0
	run "$WF_BIN/ws-listen" "127.0.0.1:$PORT" </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "ws-listen: cannot listen on 127.0.0.1:$PORT: Address already in use" ]
}

@test "--help, --usage and --version" {
	run "$WF_BIN/ws-listen" --version
	[ "$status" -eq 0 ]
	[[ $output == "ws-listen (wsflow) "* ]]
	run "$WF_BIN/ws-listen" --help
	[ "$status" -eq 0 ]
	[[ $output == *"--max-connections=N"* ]]
	run "$WF_BIN/ws-listen" --usage
	[ "$status" -eq 0 ]
}

@test "--stream-events: open, then close with the peer's code and reason, or 1006" {
	start_server --stream-events 127.0.0.1:0
	run wsc "$URL" text:hi close:4001:done
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "closed 4001 done" ]
	local p1=${lines[0]#open }
	p1=${p1%% *}
	run raw "$PORT" hs hold:1	# leaves without a close frame
	wait_until lines_in "$T/out" 5
	local p2
	p2=$(sed -n '4s/.*"port":\([0-9]*\).*/\1/p' "$T/out")
	stop_server
	[ "$STATUS" -eq 0 ]
	diff -u - "$T/out" <<EOF
{"control":"open","meta":$(meta_of "$p1"),"origin":[{"source":"ws_server","stream":1}]}
{"data":"hi","meta":$(meta_of "$p1"),"origin":[{"source":"ws_server","stream":1}]}
{"control":"close","code":4001,"reason":"done","meta":$(meta_of "$p1"),"origin":[{"source":"ws_server","stream":1}]}
{"control":"open","meta":$(meta_of "$p2"),"origin":[{"source":"ws_server","stream":2}]}
{"control":"close","code":1006,"reason":"","meta":$(meta_of "$p2"),"origin":[{"source":"ws_server","stream":2}]}
EOF
	[ "$(errs)" = "ws-listen: PEER: connection closed: connection lost" ]
}

@test "--stream-events with --err-fd: the error event carries the connection's meta and origin" {
	start_server --stream-events --err-fd 5 127.0.0.1:0 5>"$T/errfd"
	run raw "$PORT" hs frame:op=3 readclose
	[ "${lines[1]}" = "close 1002 " ]
	wait_until lines_in "$T/errfd" 1
	local p
	p=$(sed -n '1s/.*"port":\([0-9]*\).*/\1/p' "$T/out")
	[ "$(cat "$T/errfd")" = "{\"data\":{\"error\":\"127.0.0.1:$p: connection closed: protocol error\",\"source\":\"ws_server\",\"stream\":1},\"meta\":$(meta_of "$p"),\"origin\":[{\"source\":\"ws_server\",\"stream\":1}]}" ]
}

@test "SIGTERM: every client gets 1001, stdout is flushed, exit 0" {
	start_server --stream-events 127.0.0.1:0
	client A wsc "$URL" text:a waitclose
	client B nodec "$URL" text:b waitclose
	client C wsc "$URL" text:c waitclose
	wait_until lines_in "$T/out" 6
	stop_server TERM
	[ "$STATUS" -eq 0 ]
	local c
	for c in A B C; do
		wait_client $c
		[ "$STATUS" -eq 0 ]
		[ "$(sed -n 2p "$T/$c.out")" = "closed 1001 server shutting down" ]
	done
	[ "$(grep -c '"control":"close","code":1001,"reason":"server shutting down"' "$T/out")" -eq 3 ]
	[ "$(wc -l <"$T/out")" -eq 9 ]
	[ "$(errs)" = "" ]
}

@test "SIGINT does the same" {
	start_server 127.0.0.1:0
	client A wsc "$URL" text:a waitclose
	wait_until lines_in "$T/out" 1
	stop_server INT
	[ "$STATUS" -eq 0 ]
	wait_client A
	[ "$(sed -n 2p "$T/A.out")" = "closed 1001 server shutting down" ]
}

@test "shutdown under load loses no message that was received" {
	# stdout is a fifo nobody reads yet: ws-listen backs up, pauses its peers
	mkfifo "$T/slow"
	exec {R}<>"$T/slow"
	start_io /dev/null "$T/slow" 127.0.0.1:0
	# 6 MB from B: more than ws-listen buffers before it stops reading
	client A wsc "$URL" many:1500 say:sent waitclose
	client B wsc "$URL" many:2000:3000 say:sent waitclose
	wait_until has_line "$T/A.out" sent
	wait_until has_line "$T/B.out" sent
	kill -TERM "$SRV"
	cat <&"$R" >"$T/out" &
	PIDS+=($!)
	wait_until gone "$SRV"
	STATUS=0
	wait "$SRV" || STATUS=$?
	SRV=
	[ "$STATUS" -eq 0 ]
	wait_client A
	wait_client B
	[ "$(sed -n 3p "$T/A.out")" = "closed 1001 server shutting down" ]
	[ "$(sed -n 3p "$T/B.out")" = "closed 1001 server shutting down" ]
	exec {R}>&-
	wait_until lines_in "$T/out" 3500
	[ "$(wc -l <"$T/out")" -eq 3500 ]
	[ "$(grep -c '^{"data":"m[0-9]*\.*",' "$T/out")" -eq 3500 ]
	[ "$(cat "$T/err" | wc -l)" -eq 1 ]
}

@test "stdin EOF keeps the server serving" {
	start_server 127.0.0.1:0
	exec {IN}>&-
	IN=
	run wsc "$URL" text:after-eof
	[ "$status" -eq 0 ]
	wait_until has_text "$T/out" '{"data":"after-eof",'
	stop_server
	[ "$STATUS" -eq 0 ]
}

@test "stdout that fails: exit 1 with the reason, the clients get 1001" {
	start_io /dev/null /dev/full 127.0.0.1:0
	run wsc "$URL" text:x waitclose
	echo "$output"
	[ "${lines[1]}" = "closed 1001 server shutting down" ]
	wait_until gone "$SRV"
	STATUS=0
	wait "$SRV" || STATUS=$?
	SRV=
	[ "$STATUS" -eq 1 ]
	[ "$(sed 1d "$T/err")" = "ws-listen: stdout: write error: No space left on device" ]
}

@test "stdout whose reader is gone: exit 1, broken pipe" {
	mkfifo "$T/pipe"
	head -n 1 <"$T/pipe" >"$T/out" 3>&- &
	PIDS+=($!)
	start_io /dev/null "$T/pipe" 127.0.0.1:0
	run wsc "$URL" text:one text:two waitclose
	echo "$output"
	[ "${lines[1]}" = "closed 1001 server shutting down" ]
	wait_until gone "$SRV"
	STATUS=0
	wait "$SRV" || STATUS=$?
	SRV=
	[ "$STATUS" -eq 1 ]
	[ "$(sed 1d "$T/err")" = "ws-listen: stdout: write error: Broken pipe" ]
	[[ $(cat "$T/out") == '{"data":"one",'* ]]
}

@test "--max-connections: a client past the limit waits for a free slot" {
	start_server --max-connections 2 127.0.0.1:0
	client A wsc "$URL" "wait:$T/go" close
	client B wsc "$URL" hold:6000
	wait_until has_text "$T/A.out" "open "
	wait_until has_text "$T/B.out" "open "
	client C wsc "$URL" text:third
	# C is in the backlog: its handshake does not finish while A and B are there
	! wait_until_ms 600 has_text "$T/C.out" "open "
	touch "$T/go"
	wait_client C
	[ "$STATUS" -eq 0 ]
	wait_until has_text "$T/out" '{"data":"third",'
	wait_client A
	[ "$(sed -n 2p "$T/A.out")" = "closed 1000 " ]
}

@test "--ping-interval/--ping-timeout drop a peer that never answers; a python client stays" {
	start_server --stream-events --ping-interval 200 --ping-timeout 400 127.0.0.1:0
	client good wsc "$URL" hold:1500 text:alive
	client mute raw "$PORT" hs pings
	wait_client mute
	[ "$STATUS" -eq 0 ]
	[ "$(sed -n 1p "$T/mute.out")" = 101 ]
	[ "$(sed -n 2p "$T/mute.out")" = ping ]
	[ "$(tail -n 1 "$T/mute.out")" = eof ]
	wait_client good
	[ "$STATUS" -eq 0 ]
	wait_until has_text "$T/out" '{"data":"alive",'
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(errs)" = "ws-listen: PEER: connection closed: ping timeout" ]
	[ "$(grep -c '"control":"close","code":1006,' "$T/out")" -eq 1 ]
	[ "$(grep -c '"control":"close","code":1000,' "$T/out")" -eq 1 ]
}
