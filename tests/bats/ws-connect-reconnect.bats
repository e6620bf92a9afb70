#!/usr/bin/env bats
# ws-connect's reconnect policies (Tremor's "none" and "retry") and its
# circuit breaker: stdin is not read while disconnected, so events written
# meanwhile wait in the pipe and go out, in order, once connected again.
# Times are measured from timestamps with bounds, never waited for.

load ws-connect

setup() { wsc_setup; }
teardown() { wsc_teardown; }

# A port nothing listens on (bound, then let go).
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Bytes written to the fifo $1 that nobody has read yet.
unread() {
	"$PY" -c 'import array, fcntl, os, sys, termios
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
n = array.array("i", [0])
fcntl.ioctl(fd, termios.FIONREAD, n)
print(n[0])' "$1"
}

count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }
at_least() { [ "$(count "$1" "$2")" -ge "$3" ]; }

@test "none: a connection lost without a close frame is tried once more after 1 s; that failing, exit 1" {
	peer py recv unlisten drop
	start_wsc -v "$URL"
	wait_until has_text "$T/c.err" "connected to"
	# t0 before the event that makes the server drop: the wait comes after
	local t0
	t0=$(now_ms)
	to_wsc '{"data":"a"}'
	wait_until has_line "$T/peer.out" dropped
	stop_peer
	wait_wsc
	local took=$(($(now_ms) - t0))
	[ "$STATUS" -eq 1 ]
	diff -u - "$T/c.err" <<EOF
ws-connect: connecting to $URL
ws-connect: connected to $URL
ws-connect: connection lost: no close frame from the server; retrying in 1000 ms
ws-connect: connecting to $URL
ws-connect: connection lost: no close frame from the server; reconnecting failed: connect: Connection refused
EOF
	echo "exit $took ms after the drop"
	[ "$took" -ge 1000 ]
	[ "$took" -lt 2500 ]
}

@test "none: the retry after a loss connects and goes on; a clean close by the server then exits 0" {
	peer py recv drop then recv close:4000:done
	start_wsc -v --stream-events "$URL"
	to_wsc '{"data":"a"}'
	wait_until at_least "$T/c.err" "connected to" 2
	to_wsc '{"data":"b"}'
	wait_wsc
	[ "$STATUS" -eq 0 ]
	diff -u - "$T/c.out" <<EOF
$(ctl open)
$(ctl close 1006 '')
$(ctl open)
$(ctl close 4000 done)
EOF
	diff -u <(printf 'text "a"\ndropped\ntext "b"\nclosed 4000 done\n') <(peer_log)
}

@test "retry: a server started after the client is found; the event written before waits for it" {
	PORT=$(free_port)
	URL=ws://127.0.0.1:$PORT/
	start_wsc -v --retry-interval 50 --retry-growth 1 "$URL"
	to_wsc '{"data":"early"}'
	wait_until at_least "$T/c.err" "retrying in 50 ms" 3
	[ "$(unread "$T/cin")" -eq 17 ]
	peer py --port "$PORT" recv waitclose
	wait_until has_line "$T/peer.out" 'text "early"'
	end_wsc
	wait_wsc
	[ "$STATUS" -eq 0 ]
	wait_until has_line "$T/peer.out" "closed 1000 "
	grep -qxF "ws-connect: connect: Connection refused; retrying in 50 ms" "$T/c.err"
}

@test "retry: a server restarted mid-stream: events before, during and after the outage all arrive, in order" {
	peer py echo
	start_wsc -v --stream-events --retry-interval 50 --retry-growth 1 "$URL"
	to_wsc '{"data":"e1"}' '{"data":"e2"}'
	wait_until lines_in "$T/c.out" 3
	stop_peer
	cp "$T/peer.out" "$T/peer1.out"
	wait_until has_line "$T/c.out" "$(ctl close 1006 '')"
	# disconnected: stdin is not read, the events wait in the pipe
	to_wsc '{"data":"e3"}' '{"data":"e4"}'
	wait_until at_least "$T/c.err" "connect: Connection refused; retrying in 50 ms" 3
	[ "$(unread "$T/cin")" -eq 28 ]
	peer py --port "$PORT" echo
	wait_until lines_in "$T/c.out" 7
	to_wsc '{"data":"e5"}'
	end_wsc
	wait_wsc
	[ "$STATUS" -eq 0 ]
	diff -u - "$T/c.out" <<EOF
$(ctl open)
$(cev '"data":"e1"')
$(cev '"data":"e2"')
$(ctl close 1006 '')
$(ctl open)
$(cev '"data":"e3"')
$(cev '"data":"e4"')
$(cev '"data":"e5"')
$(ctl close 1000 '')
EOF
	grep -qx 'text "e1"' "$T/peer1.out"
	grep -qx 'text "e2"' "$T/peer1.out"
	wait_until has_text "$T/peer.out" closed
	diff -u <(printf 'text "e%s"\n' 3 4 5; echo 'closed 1000 ') <(peer_log)
}

@test "retry: Tremor's worked example (interval 500, growth 2, max 3): 3 attempts, waits 500 and 1000 ms, then exit 1" {
	PORT=$(free_port)
	wsc -v --retry-interval 500 --retry-growth 2 --retry-max 3 --no-retry-randomized "ws://127.0.0.1:$PORT/"
	[ "$STATUS" -eq 1 ]
	diff -u - "$T/c.err" <<EOF
ws-connect: connecting to ws://127.0.0.1:$PORT/
ws-connect: connect: Connection refused; retrying in 500 ms
ws-connect: connecting to ws://127.0.0.1:$PORT/
ws-connect: connect: Connection refused; retrying in 1000 ms
ws-connect: connecting to ws://127.0.0.1:$PORT/
ws-connect: giving up after 3 attempts: connect: Connection refused
EOF
	echo "exit after $ELAPSED ms"
	[ "$ELAPSED" -ge 1500 ]
	[ "$ELAPSED" -lt 2500 ]
}

@test "retry: randomized waits fall between the previous wait and the previous wait times the growth" {
	PORT=$(free_port)
	wsc -v --retry-interval 200 --retry-growth 2 --retry-max 4 "ws://127.0.0.1:$PORT/"
	[ "$STATUS" -eq 1 ]
	[ "$(tail -n 1 "$T/c.err")" = "ws-connect: giving up after 4 attempts: connect: Connection refused" ]
	local w=() x
	while read -r x; do w+=("$x"); done < <(sed -n 's/.*; retrying in \([0-9]*\) ms$/\1/p' "$T/c.err")
	echo "waits ${w[*]}, exit after $ELAPSED ms"
	[ "${#w[@]}" -eq 3 ]
	[ "${w[0]}" -eq 200 ]
	[ "${w[1]}" -ge 200 ] && [ "${w[1]}" -le 400 ]
	[ "${w[2]}" -ge "${w[1]}" ] && [ "${w[2]}" -le $((w[1] * 2)) ]
	local sum=$((w[0] + w[1] + w[2]))
	[ "$ELAPSED" -ge "$sum" ]
	[ "$ELAPSED" -lt $((sum + 1000)) ]
}

@test "retry: after a lost connection, up to --retry-max reconnect attempts (waits 100, 200, 400 ms), then exit 1" {
	peer py recv unlisten drop
	start_wsc -v --retry-interval 100 --retry-growth 2 --retry-max 3 --no-retry-randomized "$URL"
	wait_until has_text "$T/c.err" "connected to"
	local t0
	t0=$(now_ms)
	to_wsc '{"data":"a"}'
	wait_until has_line "$T/peer.out" dropped
	stop_peer
	wait_wsc
	local took=$(($(now_ms) - t0))
	[ "$STATUS" -eq 1 ]
	diff -u - <(tail -n 7 "$T/c.err") <<EOF
ws-connect: connection lost: no close frame from the server; retrying in 100 ms
ws-connect: connecting to $URL
ws-connect: connect: Connection refused; retrying in 200 ms
ws-connect: connecting to $URL
ws-connect: connect: Connection refused; retrying in 400 ms
ws-connect: connecting to $URL
ws-connect: giving up after 3 attempts: connect: Connection refused
EOF
	echo "exit $took ms after the drop"
	[ "$took" -ge 700 ]
	[ "$took" -lt 1700 ]
}

@test "retry: a clean close by the server is reconnected too" {
	peer py recv close:1000 then recv waitclose
	start_wsc --stream-events --retry-interval 50 "$URL"
	to_wsc '{"data":"a"}'
	wait_until at_least "$T/c.out" '"control":"open"' 2
	to_wsc '{"data":"b"}'
	end_wsc
	wait_wsc
	[ "$STATUS" -eq 0 ]
	diff -u <(ctl open; ctl close 1000 ''; ctl open; ctl close 1000 '') "$T/c.out"
	diff -u <(printf 'text "a"\nclosed 1000 \ntext "b"\nclosed 1000 \n') <(peer_log)
}

@test "a message still queued when the connection drops is reported as an error event" {
	# the server takes the handshake, reads nothing, then resets
	peer raw head accept sleep:300 close
	head -c 12582912 /dev/urandom | base64 -w0 >"$T/big.txt"
	rm -f "$T/cin"
	mkfifo "$T/cin"
	"$WF_BIN/ws-connect" --err-fd 3 "$URL" <"$T/cin" >"$T/c.out" 2>"$T/c.err" 3>"$T/c.errfd" &
	WSC=$!
	PIDS+=("$WSC")
	WSC_T0=$(now_ms)
	exec {CIN}>"$T/cin"
	{
		printf '{"data":"'
		cat "$T/big.txt"
		printf '"}\n{"data":"'
		cat "$T/big.txt"
		printf '"}\n'
	} >&"$CIN" &
	wait_until has_text "$T/c.errfd" "connection lost with "
	kill -TERM "$WSC"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	local re='^\{"data":\{"error":"connection lost with [1-9][0-9]* bytes of messages not sent","source":"ws_client","stream":0\},"meta":\{"ws_client":\{"tls":false,"peer":\{"host":"127\.0\.0\.1","port":'$PORT'\}\}\},"origin":\[\{"source":"ws_client","stream":0\}\]\}$'
	head -n 1 "$T/c.errfd"
	[[ $(head -n 1 "$T/c.errfd") =~ $re ]]
}

# CPU ticks (1/100 s) the process $1 has used.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

@test "waiting to reconnect does not spin: stdout a file, stdin a pipe whose writer is gone" {
	PORT=$(free_port)
	# a pipe, not the fifo: a fifo opened before its writer never says hang-up
	: | bare "$WF_BIN/ws-connect" -v --retry-interval 200 --retry-growth 1 "ws://127.0.0.1:$PORT/" \
		>"$T/c.out" 2>"$T/c.err" &
	WSC=$!
	PIDS+=("$WSC")
	WSC_T0=$(now_ms)
	wait_until at_least "$T/c.err" "retrying in 200 ms" 1
	local t0 t1
	t0=$(ticks "$WSC")
	wait_until at_least "$T/c.err" "retrying in 200 ms" 6
	t1=$(ticks "$WSC")
	echo "$((t1 - t0)) ticks of CPU in 1 s of waiting"
	[ $((t1 - t0)) -lt 20 ]
	kill -TERM "$WSC"
	wait_wsc
	[ "$STATUS" -eq 0 ]
}
