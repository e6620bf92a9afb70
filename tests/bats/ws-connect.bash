# Shared by the ws-connect-*.bats suites: peers of the test's own on
# 127.0.0.1 port 0, ws-connect against them, waits with deadlines.
#
# peer KIND ARGS...     start a server: py (tests/helpers/wsc_server.py),
#                       node (wsc_server.js), raw (wsc_raw.py), listen
#                       (ws-listen ARGS 127.0.0.1:0, its stdin the fifo $T/lin
#                       held open on fd $LIN: `to_listen LINE...`). Its output
#                       is $T/peer.out (ws-listen: stdout $T/peer.out, stderr
#                       $T/peer.err); sets PEER (pid), PORT, URL.
# stop_peer             kill it (KILL) and wait for it
# wsc ARGS...           run ws-connect to the end, stdin from $T/cin.txt (empty
#                       when absent): STATUS, $T/c.out, $T/c.err, ELAPSED (ms)
# start_wsc ARGS...     ws-connect in the background, stdin the fifo $T/cin
#                       held open on fd $CIN (`to_wsc LINE...`, `end_wsc`),
#                       stdout $T/c.out, stderr $T/c.err; WSC is its pid
# wait_wsc              wait for it to exit: STATUS, ELAPSED (ms since start)
# wait_until CMD...     retry CMD every 20 ms until it succeeds, 10 s at most
# cev MEMBER [binary]   the envelope ws-connect writes for a message from the
#                       peer: cev '"data":"hi"'; ctl open | ctl close CODE REASON

PY=/usr/bin/python3

wsc_setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	H=$ROOT/tests/helpers
	T=$BATS_TEST_TMPDIR
	export NODE_PATH=/usr/share/nodejs
	PIDS=()
	PEER=
	WSC=
	CIN=
	LIN=
	TLS=false
}

wsc_teardown() {
	local p f
	[ -z "$CIN" ] || exec {CIN}>&-
	[ -z "$LIN" ] || exec {LIN}>&-
	for p in "${PIDS[@]}"; do
		{ kill -KILL "$p" && wait "$p"; } 2>/dev/null || true
	done
	for f in c.err peer.out peer.err; do
		if [ -s "$T/$f" ]; then
			echo "--- $f:"
			head -c 4000 "$T/$f"
		fi
	done
}

wait_until() {
	local i
	for ((i = 0; i < 500; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	echo "timed out waiting for: $*"
	return 1
}

has_line() { grep -qxF -- "$2" "$1" 2>/dev/null; }
has_text() { grep -qF -- "$2" "$1" 2>/dev/null; }
lines_in() { [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Run a command without the fifo ends the test holds open: a peer keeping
# ws-connect's stdin open would hide its end.
bare() {
	[ -z "$CIN" ] || exec {CIN}>&-
	[ -z "$LIN" ] || exec {LIN}>&-
	exec "$@" 3>&-
}

peer() {
	local kind=$1
	shift
	rm -f "$T/peer.out" "$T/peer.err"
	case $kind in
	py) bare "$PY" "$H/wsc_server.py" "$@" >"$T/peer.out" 2>"$T/peer.err" & ;;
	node) bare node "$H/wsc_server.js" "$@" >"$T/peer.out" 2>"$T/peer.err" & ;;
	raw) bare "$PY" "$H/wsc_raw.py" "$@" >"$T/peer.out" 2>"$T/peer.err" & ;;
	listen)
		rm -f "$T/lin"
		mkfifo "$T/lin"
		bare "$WF_BIN/ws-listen" "$@" 127.0.0.1:0 <"$T/lin" >"$T/peer.out" 2>"$T/peer.err" &
		;;
	esac
	PEER=$!
	PIDS+=("$PEER")
	if [ "$kind" = listen ]; then
		exec {LIN}>"$T/lin"
		wait_until has_text "$T/peer.err" "ws-listen: listening on " || return 1
		PORT=$(sed -n 's/^ws-listen: listening on wss*:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/peer.err")
	else
		wait_until has_text "$T/peer.out" "listening " || return 1
		PORT=$(sed -n 's/^listening //p' "$T/peer.out")
	fi
	[ -n "$PORT" ]
	URL=ws://127.0.0.1:$PORT/
}

stop_peer() {
	kill -KILL "$PEER" 2>/dev/null || true
	wait_until gone "$PEER" || return 1
	wait "$PEER" 2>/dev/null || true
}

to_listen() { printf '%s\n' "$@" >&"$LIN"; }

wsc() {
	local t0
	[ -e "$T/cin.txt" ] || : >"$T/cin.txt"
	t0=$(now_ms)
	STATUS=0
	timeout 30 "$WF_BIN/ws-connect" "$@" <"$T/cin.txt" >"$T/c.out" 2>"$T/c.err" 3>&- || STATUS=$?
	ELAPSED=$(($(now_ms) - t0))
}

start_wsc() {
	rm -f "$T/cin"
	mkfifo "$T/cin"
	WSC_T0=$(now_ms)
	bare "$WF_BIN/ws-connect" "$@" <"$T/cin" >"$T/c.out" 2>"$T/c.err" &
	WSC=$!
	PIDS+=("$WSC")
	exec {CIN}>"$T/cin"
}

to_wsc() { printf '%s\n' "$@" >&"$CIN"; }

end_wsc() {
	exec {CIN}>&-
	CIN=
}

wait_wsc() {
	wait_until gone "$WSC" || return 1
	ELAPSED=$(($(now_ms) - WSC_T0))
	STATUS=0
	wait "$WSC" || STATUS=$?
}

# The meta and origin ws-connect gives every event from its peer.
tail_of() {
	printf '"meta":{"ws_client":{"tls":%s,"peer":{"host":"127.0.0.1","port":%s}}%s},"origin":[{"source":"ws_client","stream":0}]' \
		"$TLS" "$PORT" "${1:+,\"binary\":true}"
}

cev() { printf '{%s,%s}\n' "$1" "$(tail_of "$2")"; }

ctl() {
	if [ "$1" = open ]; then
		printf '{"control":"open",%s}\n' "$(tail_of)"
	else
		printf '{"control":"close","code":%s,"reason":"%s",%s}\n' "$2" "$3" "$(tail_of)"
	fi
}

# The peer's output without its `listening` and `open PORT` lines.
peer_log() { grep -v -e '^listening ' -e '^open [0-9]*$' "$T/peer.out"; }
