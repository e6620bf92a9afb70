# Shared by the flow-run-*.bats suites. Every flow-run runs in a session of
# its own, so that "no process is left" means: nothing is left in that
# session once flow-run is gone.
#
# fr_setup              cd to the test's directory $T; sets ROOT, WF_BIN, FX
#                       (the troy fixtures)
# fixture NAME [K=V...] copy $FX/NAME to $T/NAME, each @K@ replaced by V
# flow ARGS...          run flow-run ARGS (bats `run`, 60 s at most); the
#                       session id is in $T/sid
# flow_bg NAME ARGS...  start flow-run ARGS in the background: stdin from
#                       $T/NAME.in (/dev/null when there is none), stdout in
#                       $T/NAME.out, stderr in $T/NAME.err; FR_NAME is its pid
# flow_wait NAME        wait for it (60 s at most): STATUS is its exit status
# no_process_left [SID] nothing runs in flow-run's session ($T/sid)
# listening_port NAME   wait until the ws-listen of NAME says where it
#                       listens; prints the port
# wait_until CMD...     retry CMD every 20 ms until it succeeds, 10 s at most

fr_setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	FX=$ROOT/tests/fixtures/troy
	T=$BATS_TEST_TMPDIR
	cd "$T" || return 1
	BGS=()
}

# Kill what a failed test left behind, by session.
fr_teardown() {
	local n s
	for n in "${BGS[@]}"; do
		s=$(cat "$T/$n.sid" 2>/dev/null) || continue
		pkill -KILL -s "$s" 2>/dev/null || true
	done
	if [ -f "$T/sid" ]; then
		pkill -KILL -s "$(cat "$T/sid")" 2>/dev/null || true
	fi
	return 0
}

fixture() {
	local name=$1 kv expr=
	shift
	for kv in "$@"; do
		expr="$expr;s|@${kv%%=*}@|${kv#*=}|g"
	done
	sed "${expr#;}" "$FX/$name" >"$T/$name"
}

# The session leader is the shell that becomes flow-run (exec keeps the pid).
flow() {
	rm -f "$T/sid"
	run timeout 60 setsid -w sh -c 'echo $$ >"$0/sid"; exec "$@"' "$T" "$WF_BIN/flow-run" "$@"
}

flow_bg() {
	local name=$1 in=/dev/null i
	shift
	rm -f "$T/$name.sid" "$T/$name.err"	# not the last run's "listening" line
	[ ! -e "$T/$name.in" ] || in=$T/$name.in
	setsid -w sh -c 'echo $$ >"$0"; exec "$@"' "$T/$name.sid" "$WF_BIN/flow-run" "$@" \
		<"$in" >"$T/$name.out" 2>"$T/$name.err" &
	BGS+=("$name")
	for ((i = 0; i < 500; i++)); do
		[ -s "$T/$name.sid" ] && break
		sleep 0.01
	done
	printf -v "FR_$name" '%s' "$(cat "$T/$name.sid")"
	printf -v "BG_$name" '%s' "$!"
}

flow_wait() {
	local bg="BG_$1" i
	STATUS=
	for ((i = 0; i < 3000; i++)); do
		kill -0 "${!bg}" 2>/dev/null || break
		sleep 0.02
	done
	wait "${!bg}" && STATUS=0 || STATUS=$?
}

# (a process that has exited may be listed until init reaps it: zombies
# get a second; anything else fails at once)
no_process_left() {
	local sid=${1:-$(cat "$T/sid")} left i
	for ((i = 0; i < 50; i++)); do
		left=$(ps -o pid=,stat=,args= -s "$sid") || return 0
		if awk '$2 !~ /^Z/ { found = 1 } END { exit !found }' <<<"$left"; then
			break
		fi
		sleep 0.02
	done
	echo "left in session $sid:"
	echo "$left"
	return 1
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

has_text() { grep -qF -- "$2" "$1" 2>/dev/null; }
lines_in() { [ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ]; }

listening_port() {
	wait_until has_text "$T/$1.err" "ws-listen: listening on " >&2 || return 1
	sed -n 's/^ws-listen: listening on wss*:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$1.err"
}
