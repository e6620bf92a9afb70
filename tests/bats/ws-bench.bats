#!/usr/bin/env bats
# ws-bench against ws-listen: the JSON result line, and that what it counts
# is what the server wrote (every flooded message is on ws-listen's stdout,
# every echo went through it, every handshake is an open event).

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	T=$BATS_TEST_TMPDIR
	SRV=
	BENCH=
}

teardown() {
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -s "$T/err" ]; then
		echo "ws-listen's stderr:"
		cat "$T/err"
	fi
	if [ -n "$BENCH" ]; then
		kill -KILL "$BENCH" 2>/dev/null || true
		wait "$BENCH" 2>/dev/null || true
	fi
	if [ -n "$SRV" ]; then
		kill -KILL "$SRV" 2>/dev/null || true
		wait "$SRV" 2>/dev/null || true
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

listening() { grep -qs 'listening on ' "$T/err"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# listen ARGS...: ws-listen ARGS on 127.0.0.1 port 0, stdout in $T/out;
# sets SRV and URL.
listen() {
	rm -f "$T/err"	# not the last server's "listening" line
	"$WF_BIN/ws-listen" "$@" </dev/null >"$T/out" 2>"$T/err" &
	SRV=$!
	wait_until listening
	URL=$(sed -n 's/^ws-listen: listening on //p' "$T/err")
	[ -n "$URL" ]
}

# echo_loop ARGS...: ws-listen reading its own output (an echo server), a
# copy of its output in $T/out; sets SRV and URL.
echo_loop() {
	mkfifo "$T/loop"
	sh -c 'echo $$ >"$1/srv.pid"; shift; exec "$@"' sh "$T" "$WF_BIN/ws-listen" "$@" \
		<"$T/loop" 2>"$T/err" | tee "$T/out" >"$T/loop" &
	wait_until listening
	SRV=$(cat "$T/srv.pid")
	URL=$(sed -n 's/^ws-listen: listening on //p' "$T/err")
	[ -n "$URL" ]
}

# stop: SIGTERM, ws-listen flushes its stdout and exits 0.
stop() {
	kill -TERM "$SRV"
	wait_until gone "$SRV"
	SRV=
}

@test "flood --count: the JSON line, and ws-listen wrote exactly that many events" {
	listen 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" -q -c 4 -n 100003 "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "${lines[0]}" >"$T/result"
	jq -e --arg url "$URL" '.scenario == "flood" and .url == $url and .connections == 4 and
	       .size == 16 and .binary == false and
	       .tls == false and .messages == 100003 and .seconds > 0 and .msgs_per_s > 0 and
	       .mb_per_s > 0 and (keys_unsorted == ["scenario","url","connections","size","binary","tls",
	       "messages","seconds","msgs_per_s","mb_per_s"])' "$T/result"
	# the rates are the count over the time (seconds are rounded to the microsecond)
	jq -e '(.msgs_per_s * .seconds / .messages - 1 | fabs) < 1e-3 and
	       (.mb_per_s / (.msgs_per_s * 16 / 1e6) - 1 | fabs) < 1e-3' "$T/result"
	stop
	[ "$(wc -l <"$T/out")" -eq 100003 ]
	# 4 streams, every event the same text message
	[ "$(jq -r '.origin[0].stream' "$T/out" | sort -u | wc -l)" -eq 4 ]
	[ "$(jq -c '.data' "$T/out" | sort -u)" = '"abcdefghijklmnop"' ]
}

@test "flood --duration: the count reported is the count ws-listen wrote; a summary on stderr" {
	listen 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" -c 8 -s 100 -d 0.5 "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep '^{' >"$T/result"
	n=$(jq -r '.messages' "$T/result")
	[ "$n" -gt 0 ]
	jq -e '.seconds >= 0.5 and .connections == 8 and .size == 100' "$T/result"
	[[ $output == *"ws-bench: flood: 8 connections, 100-byte text messages: $n in "*" msg/s, "*" MB/s"* ]]
	stop
	[ "$(wc -l <"$T/out")" -eq "$n" ]
}

@test "flood --binary 64K: every message is the same base64 payload" {
	listen 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" -q -c 2 -n 51 -s 64K --binary "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$T/result"
	jq -e '.messages == 51 and .size == 65536 and .binary == true' "$T/result"
	stop
	[ "$(wc -l <"$T/out")" -eq 51 ]
	[ "$(jq -r '.meta.binary' "$T/out" | sort -u)" = true ]
	[ "$(jq -r '.bytes' "$T/out" | sort -u | wc -l)" -eq 1 ]
	[ "$(jq -r '.bytes' "$T/out" | head -1 | base64 -d | wc -c)" -eq 65536 ]
}

@test "echo: round trips through ws-listen's own loop, percentiles in order" {
	echo_loop 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" --scenario echo -c 3 --depth 4 -n 3000 "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep '^{' >"$T/result"
	jq -e '.scenario == "echo" and .connections == 3 and .depth == 4 and .messages == 3000 and
	       .seconds > 0 and .msgs_per_s > 0 and
	       0 < .p50_us and .p50_us <= .p99_us and .p99_us <= .p999_us and .p999_us <= .max_us' "$T/result"
	[[ $output == *"ws-bench: echo: 3 connections, 16-byte text messages, depth 4: 3000 round trips in "* ]]
	[[ $output == *"ws-bench: round trip (us): p50 "*", p99 "*", p99.9 "*", max "* ]]
	stop
	[ "$(wc -l <"$T/out")" -eq 3000 ]
}

@test "echo --binary --duration: every echo counted went through the server" {
	echo_loop 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" -q --scenario echo -c 2 --depth 2 --binary -s 1000 -d 0.3 "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$T/result"
	n=$(jq -r '.messages' "$T/result")
	[ "$n" -gt 0 ]
	stop
	[ "$(wc -l <"$T/out")" -eq "$n" ]
}

@test "wss: flood with --tls-cafile or --tls-insecure; an unknown CA is a runtime failure" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost -days 2 \
		-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	listen --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" 127.0.0.1:0
	[[ $URL == wss://127.0.0.1:* ]]
	run timeout 60 "$WF_BIN/ws-bench" -q -c 2 -n 1000 --tls-cafile "$T/cert.pem" "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$T/result"
	jq -e '.tls == true and .messages == 1000' "$T/result"
	run timeout 60 "$WF_BIN/ws-bench" -q -c 1 -n 10 --tls-insecure --tls-domain example.org "$URL"
	[ "$status" -eq 0 ]
	run timeout 60 "$WF_BIN/ws-bench" -q -c 1 -n 10 "$URL"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ws-bench: $URL: certificate verification failed: unknown certificate authority" ]
	stop
	[ "$(wc -l <"$T/out")" -eq 1010 ]
}

# opens FILE: the "open" control events in FILE
opens() { grep -c '^{"control":"open"' "$1" || true; }
# closes FILE: the "close" control events with code 1000 in FILE
closes() { grep -c '^{"control":"close","code":1000,' "$1" || true; }

@test "connect --count: that many handshakes, each an open and a clean close on ws-listen, never more than -c at once" {
	listen --stream-events 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" -q --scenario connect -c 4 -n 301 "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	echo "${lines[0]}" >"$T/result"
	jq -e --arg url "$URL" '.scenario == "connect" and .url == $url and .connections == 4 and
	       .tls == false and .handshakes == 301 and .seconds > 0 and
	       0 < .p50_us and .p50_us <= .p99_us and .p99_us <= .p999_us and .p999_us <= .max_us and
	       (.handshakes_per_second * .seconds / .handshakes - 1 | fabs) < 1e-3 and
	       (keys_unsorted == ["scenario","url","connections","tls","handshakes","seconds",
	       "handshakes_per_second","p50_us","p99_us","p999_us","max_us"])' "$T/result"
	stop
	[ "$(opens "$T/out")" -eq 301 ]
	[ "$(closes "$T/out")" -eq 301 ]
	[ "$(wc -l <"$T/out")" -eq 602 ]
	# at most 4 open at any moment, as ws-listen saw them
	[ "$(jq -r '.control' "$T/out" | awk '/open/ { n++; if (n > m) m = n } /close/ { n-- } END { print m }')" -eq 4 ]
}

@test "connect --duration: the handshakes counted are those ws-listen saw; a summary on stderr" {
	listen --stream-events 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" --scenario connect -c 8 -d 0.5 "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" | grep '^{' >"$T/result"
	n=$(jq -r '.handshakes' "$T/result")
	[ "$n" -gt 0 ]
	jq -e '.seconds >= 0.5 and .connections == 8' "$T/result"
	[[ $output == *"ws-bench: connect: 8 connections in flight: $n handshakes in "*" s: "*"/s"* ]]
	[[ $output == *"ws-bench: handshake (us): p50 "*", p99 "*", p99.9 "*", max "* ]]
	stop
	[ "$(opens "$T/out")" -eq "$n" ]
	[ "$(closes "$T/out")" -eq "$n" ]
}

@test "connect over wss: TLS handshakes; an unknown CA is a runtime failure" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost -days 2 \
		-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	listen --stream-events --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" 127.0.0.1:0
	[[ $URL == wss://127.0.0.1:* ]]
	run timeout 60 "$WF_BIN/ws-bench" -q --scenario connect -c 3 -n 50 --tls-cafile "$T/cert.pem" "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$T/result"
	jq -e '.tls == true and .handshakes == 50 and .p50_us > 0' "$T/result"
	run timeout 60 "$WF_BIN/ws-bench" -q --scenario connect -n 5 "$URL"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ws-bench: $URL: certificate verification failed: unknown certificate authority" ]
	stop
	[ "$(opens "$T/out")" -eq 50 ]
	[ "$(grep -c '^{"control":"open","meta":{"ws_server":{"tls":true,' "$T/out")" -eq 50 ]
}

@test "wss: a storm of 2000 TLS handshakes, 8 at once: none fails" {
	# ws-listen peeks at a client's first byte to tell a ws:// client; it
	# once let GnuTLS read before that byte came, and then peeked at the
	# client's next record instead: "does not speak TLS", one handshake in
	# a few thousand. A race, so this test catches it often, not always.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost -days 2 \
		-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
	listen --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" 127.0.0.1:0
	run timeout 120 "$WF_BIN/ws-bench" -q --scenario connect -c 8 -n 2000 --tls-cafile "$T/cert.pem" "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" >"$T/result"
	jq -e '.handshakes == 2000' "$T/result"
	stop
	! grep -v '^ws-listen: listening on ' "$T/err"
}

# hold_bg ARGS...: ws-bench --scenario hold ARGS in the background (BENCH),
# its JSON in $T/result, its stderr in $T/berr; returns once it holds them.
hold_bg() {
	rm -f "$T/berr"	# not the last run's "holding" line
	timeout 60 "$WF_BIN/ws-bench" --scenario hold "$@" >"$T/result" 2>"$T/berr" &
	BENCH=$!
	wait_until grep -qs '^ws-bench: holding' "$T/berr"
}

# hold_end: wait for the hold_bg run; its exit status in status, its stderr shown.
hold_end() {
	status=0
	wait "$BENCH" || status=$?
	BENCH=
	cat "$T/berr"
}

@test "hold: 200 connections open at once, past soft limits of 64 open files on both ends, pings answered" {
	[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 400 ] || skip "hard limit of open files below 400"
	ulimit -Sn 64
	# ws-listen pings every idle connection 5 times a second and drops those
	# that do not answer within 0.5 s
	listen --stream-events --ping-interval 200 --ping-timeout 500 127.0.0.1:0
	hold_bg -q -c 200 -d 1 "$URL"
	[ "$(cat "$T/berr")" = "ws-bench: holding 200 connections" ]
	# while it holds, ws-listen has 200 connections and none has closed
	wait_until [ "$(opens "$T/out")" -eq 200 ]
	[ "$(grep -c '"control":"close"' "$T/out")" -eq 0 ]
	[ "$(find /proc/"$SRV"/fd -type l -lname 'socket:*' | wc -l)" -ge 201 ]
	hold_end
	[ "$status" -eq 0 ]
	cat "$T/result"
	jq -e --arg url "$URL" '.scenario == "hold" and .url == $url and .connections == 200 and
	       .tls == false and .open == 200 and .connect_seconds > 0 and .seconds >= 1 and
	       (keys_unsorted == ["scenario","url","connections","tls","open","connect_seconds",
	       "seconds"])' "$T/result"
	[ "$(cat "$T/berr")" = "ws-bench: holding 200 connections" ]
	# then every one was closed cleanly
	wait_until [ "$(closes "$T/out")" -eq 200 ]
	stop
	[ "$(wc -l <"$T/out")" -eq 400 ]
}

@test "hold with no --duration: until SIGTERM, then the closes and the result" {
	listen 127.0.0.1:0
	hold_bg --opening 3 -c 10 "$URL"
	kill -TERM "$BENCH"
	hold_end
	[ "$status" -eq 0 ]
	jq -e '.open == 10 and .seconds > 0' "$T/result"
	[ "$(sed -n 1p "$T/berr")" = "ws-bench: holding 10 connections" ]
	[[ $(sed -n 2p "$T/berr") == "ws-bench: hold: 10 connections opened in "*" s, held for "*" s" ]]
}

@test "hold: a server that goes away while held is a runtime failure, and no result is written" {
	listen 127.0.0.1:0
	hold_bg -q -c 20 -d 30 "$URL"
	stop	# ws-listen closes every connection with 1001
	hold_end
	[ "$status" -eq 1 ]
	[ ! -s "$T/result" ]
	[ "$(wc -l <"$T/berr")" -eq 2 ]
	[ "$(sed -n 1p "$T/berr")" = "ws-bench: holding 20 connections" ]
	[[ $(sed -n 2p "$T/berr") =~ ^"ws-bench: connection "[0-9]+": the server closed it (code 1001: server shutting down)"$ ]]
	# killed outright: the connections are lost
	listen 127.0.0.1:0
	hold_bg -q -c 20 -d 30 "$URL"
	kill -KILL "$SRV"
	hold_end
	[ "$status" -eq 1 ]
	[[ $(sed -n 2p "$T/berr") =~ ^"ws-bench: connection "[0-9]+": connection lost (close code 1006)"$ ]]
}

@test "more connections than open files allow: one line, exit 2, nothing connected" {
	listen --stream-events 127.0.0.1:0
	run bash -c 'ulimit -n 100 && exec "$@"' sh "$WF_BIN/ws-bench" --scenario hold -c 200 -d 1 "$URL"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$output" = "ws-bench: --connections: 200 connections need 216 open files, the limit is 100 (ulimit -n)" ]
	run bash -c 'ulimit -n 100 && exec "$@"' sh "$WF_BIN/ws-bench" --scenario connect -c 85 -n 10 "$URL"
	[ "$status" -eq 2 ]
	[ "$output" = "ws-bench: --connections: 85 connections need 101 open files, the limit is 100 (ulimit -n)" ]
	# 84 fit
	run bash -c 'ulimit -n 100 && exec "$@"' sh "$WF_BIN/ws-bench" -q --scenario hold -c 84 -d 0.1 "$URL"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ws-bench: holding 84 connections" ]
	stop
	[ "$(opens "$T/out")" -eq 84 ]
}

@test "a server that closes the connections is a runtime failure, and no result is written" {
	listen --max-message 8 127.0.0.1:0
	run timeout 60 "$WF_BIN/ws-bench" -q -c 1 -n 10 "$URL"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ws-bench: connection 1: the server closed it (code 1009)" ]
}

@test "no server: exit 1 with the reason" {
	listen 127.0.0.1:0
	stop
	run timeout 60 "$WF_BIN/ws-bench" -q -n 10 "$URL"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ws-bench: $URL: connect: Connection refused" ]
	run timeout 60 "$WF_BIN/ws-bench" -q --scenario connect -n 10 "$URL"
	[ "$status" -eq 1 ]
	[ "$output" = "ws-bench: $URL: connect: Connection refused" ]
	run timeout 60 "$WF_BIN/ws-bench" -q --scenario hold -c 10 -d 1 "$URL"
	[ "$status" -eq 1 ]
	[ "$output" = "ws-bench: $URL: connect: Connection refused" ]
}

@test "an echo that does not come back as sent is a runtime failure" {
	# a server that answers every message with another one: ws-listen whose
	# output is rewritten before it goes back
	mkfifo "$T/loop"
	sh -c 'echo $$ >"$1/srv.pid"; shift; exec "$@"' sh "$T" "$WF_BIN/ws-listen" 127.0.0.1:0 \
		<"$T/loop" 2>"$T/err" | sed -u 's/"data":"[a-z]*"/"data":"other"/' >"$T/loop" &
	wait_until listening
	SRV=$(cat "$T/srv.pid")
	URL=$(sed -n 's/^ws-listen: listening on //p' "$T/err")
	run timeout 60 "$WF_BIN/ws-bench" -q --scenario echo -c 1 -n 5 "$URL"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "ws-bench: connection 1: the echo differs from the message sent (text, 5 bytes)" ]
}

@test "usage errors exit 2" {
	local bad
	for bad in "" "--scenario=pingpong ws://127.0.0.1:1" "-n 0 ws://127.0.0.1:1" \
		"-c 0 ws://127.0.0.1:1" "--size 2G ws://127.0.0.1:1" "-d -1 ws://127.0.0.1:1" \
		"--depth 0 ws://127.0.0.1:1" "--tls-insecure ws://127.0.0.1:1" "http://127.0.0.1:1" \
		"ws://127.0.0.1:1 ws://127.0.0.1:2" "--no-such-option ws://127.0.0.1:1" \
		"--scenario hold -n 5 ws://127.0.0.1:1" "--scenario hold --opening 0 ws://127.0.0.1:1" \
		"--scenario connect -c 100001 ws://127.0.0.1:1"; do
		# shellcheck disable=SC2086
		run "$WF_BIN/ws-bench" $bad
		echo "$bad: $output"
		[ "$status" -eq 2 ]
		[[ ${lines[0]} == "ws-bench: "* ]]
	done
	run "$WF_BIN/ws-bench"
	[ "${lines[0]}" = "ws-bench: a URL to connect to is needed" ]
	[ "${lines[1]}" = "Try 'ws-bench --help' for more information." ]
	run "$WF_BIN/ws-bench" --tls-cafile "$T/none.pem" wss://127.0.0.1:1
	[ "$status" -eq 2 ]
	[ "$output" = "ws-bench: CA file $T/none.pem: No such file or directory" ]
}

@test "--help, --usage and --version" {
	run "$WF_BIN/ws-bench" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Usage: ws-bench [OPTION...] URL" ]
	[[ $output == *"--scenario=NAME"* ]]
	run "$WF_BIN/ws-bench" --version
	[ "$status" -eq 0 ]
	[[ $output == "ws-bench (wsflow) "* ]]
	run "$WF_BIN/ws-bench" --usage
	[ "$status" -eq 0 ]
	[[ $output == "Usage: ws-bench "* ]]
}
