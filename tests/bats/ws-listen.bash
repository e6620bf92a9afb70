# Shared by the ws-listen-*.bats suites: start a ws-listen of the test's own
# on 127.0.0.1 port 0, feed its stdin, run clients, wait with deadlines.
#
# start_server ARGS...  ws-listen ARGS 127.0.0.1:0 is not added: pass the URL.
#                       stdin is the fifo $T/in, held open on fd $IN (write
#                       events with `send_in LINE...`); stdout $T/out, stderr
#                       $T/err. Sets SRV (pid), PORT and URL (ws://127.0.0.1:PORT/).
# start_io IN OUT ARGS...  the same with stdin and stdout of the test's choice
# stop_server [SIG]     signal it (TERM) and wait for it: STATUS is its exit
# client NAME CMD...    run a command in the background: output in $T/NAME.out,
#                       pid in PID_NAME; `wait_client NAME` waits, sets STATUS
# wait_until CMD...     retry CMD every 20 ms until it succeeds, 10 s at most
# wsc ARGS...           the python3-websockets client, tests/helpers/wsclient.py
# raw ARGS...           the raw-socket client, tests/helpers/rawws.py

PY=/usr/bin/python3

ws_setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	H=$ROOT/tests/helpers
	T=$BATS_TEST_TMPDIR
	export NODE_PATH=/usr/share/nodejs
	PIDS=()
	IN=
	SRV=
}

ws_teardown() {
	local p
	[ -z "$IN" ] || exec {IN}>&-
	for p in $SRV "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in $SRV "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$SRV" ] && [ -s "$T/err" ]; then
		echo "--- ws-listen stderr:"
		cat "$T/err"
	fi
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

# wait_until_ms MS CMD...: the same with a deadline of MS ms
wait_until_ms() {
	local i n=$(($1 / 20))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.02
	done
	return 1
}

has_line() { grep -qxF -- "$2" "$1" 2>/dev/null; }
has_text() { grep -qF -- "$2" "$1" 2>/dev/null; }
lines_in() { [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }

start_server() {
	rm -f "$T/in" "$T/err"	# not the last server's "listening" line
	mkfifo "$T/in"
	"$WF_BIN/ws-listen" "$@" <"$T/in" >"$T/out" 2>"$T/err" 3>&- &
	SRV=$!
	exec {IN}>"$T/in"
	wait_until has_text "$T/err" "ws-listen: listening on " || return 1
	PORT=$(sed -n 's/^ws-listen: listening on wss*:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/err")
	[ -n "$PORT" ]
	URL=ws://127.0.0.1:$PORT/
}

# start_io IN OUT ARGS...: ws-listen ARGS with stdin IN and stdout OUT (files
# or fifos opened by the shell), stderr $T/err; sets SRV, PORT and URL.
start_io() {
	local in=$1 out=$2
	shift 2
	rm -f "$T/err"
	"$WF_BIN/ws-listen" "$@" <"$in" >"$out" 2>"$T/err" 3>&- &
	SRV=$!
	wait_until has_text "$T/err" "ws-listen: listening on " || return 1
	PORT=$(sed -n 's/^ws-listen: listening on wss*:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/err")
	[ -n "$PORT" ]
	URL=ws://127.0.0.1:$PORT/
}

send_in() {
	printf '%s\n' "$@" >&"$IN"
}

stop_server() {
	kill -"${1:-TERM}" "$SRV" 2>/dev/null || true
	wait_until gone "$SRV" || return 1
	STATUS=0
	wait "$SRV" || STATUS=$?
	SRV=
}

client() {
	local name=$1
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	PIDS+=($!)
	printf -v "PID_$name" %s "$!"
}

wait_client() {
	local pid
	pid=PID_$1
	pid=${!pid}
	wait_until gone "$pid" || return 1
	STATUS=0
	wait "$pid" || STATUS=$?
}

wsc() { "$PY" "$H/wsclient.py" "$@"; }
raw() { "$PY" "$H/rawws.py" "$@"; }
nodec() { node "$H/wsclient.js" "$@"; }

# The local port a client printed in its `open PORT` line.
client_port() {
	wait_until has_text "$T/$1.out" "open " || return 1
	sed -n 's/^open \([0-9]*\).*/\1/p' "$T/$1.out"
}

# The meta of a client's connection, as ws-listen writes it.
meta_of() {
	printf '{"ws_server":{"tls":%s,"peer":{"host":"127.0.0.1","port":%s}}}' "${2:-false}" "$1"
}

# start_echo ARGS...    the echo loop of the man page,
#                       ws-listen ARGS <fifo | tee $T/out >fifo
#                       SRV is ws-listen's pid; PORT and URL as start_server.
start_echo() {
	rm -f "$T/loop" "$T/err" "$T/srv.pid"
	mkfifo "$T/loop"
	sh -c 'd=$1; shift; echo $$ >"$d/srv.pid"; exec "$@"' sh "$T" "$WF_BIN/ws-listen" "$@" \
		<"$T/loop" 2>"$T/err" 3>&- | tee "$T/out" >"$T/loop" 3>&- &
	PIDS+=($!)
	wait_until has_text "$T/err" "ws-listen: listening on " || return 1
	SRV=$(cat "$T/srv.pid")
	PORT=$(sed -n 's/^ws-listen: listening on wss*:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/err")
	[ -n "$PORT" ]
	URL=ws://127.0.0.1:$PORT/
}

# The envelope ws-listen writes for a message: event PAYLOAD-MEMBER PORT STREAM [binary]
event() {
	printf '{%s,"meta":{"ws_server":{"tls":false,"peer":{"host":"127.0.0.1","port":%s}}%s},"origin":[{"source":"ws_server","stream":%s}]}\n' \
		"$1" "$2" "${4:+,\"binary\":true}" "$3"
}
