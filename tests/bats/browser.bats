#!/usr/bin/env bats
# A real browser against ws-listen: headless Chromium loads
# tests/browser/echo.html from a file:// URL; its JavaScript opens ws:// and
# wss:// connections (a self-signed certificate made by certtool; chromium
# runs with --ignore-certificate-errors) to ws-listen echo servers (their
# output fed back to their input), sends text, binary and 1 MiB, checks the
# echoes, checks that the browser's permessage-deflate offer was declined
# (ws.extensions === "") and closes. tests/browser/run-page reads the page's
# verdict over the DevTools protocol. Both sides are asserted: the page's
# results, and ws-listen's events (--stream-events) and stderr.
# Skips only where chromium cannot run (scripts/setup --browser installs it).

PY=/usr/bin/python3

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	T=$BATS_TEST_TMPDIR
	PIDS=()
	command -v chromium >/dev/null 2>&1 ||
		skip "chromium is not installed (scripts/setup --browser installs it)"
	$PY -c 'import websockets' 2>/dev/null || skip "python3-websockets is not installed"
	make_cert
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}

make_cert() {
	certtool --generate-privkey --key-type=ecdsa --outfile "$T/key.pem" 2>/dev/null
	printf '%s\n' 'cn = "127.0.0.1"' 'ip_address = "127.0.0.1"' 'dns_name = "localhost"' \
		'expiration_days = 2' tls_www_server signing_key >"$T/cert.tmpl"
	certtool --generate-self-signed --load-privkey "$T/key.pem" --template "$T/cert.tmpl" \
		--outfile "$T/cert.pem" 2>/dev/null
}

# echo_server NAME ARGS...: ws-listen --stream-events ARGS whose output goes
# back to its input through tee, which keeps a copy in $T/NAME.out; sets
# the pid in SRV_NAME and the port in PORT_NAME.
echo_server() {
	local name=$1 i port
	shift
	mkfifo "$T/$name.back" "$T/$name.pipe"
	# read-write: opening the loop's fifo does not wait for tee
	: >"$T/$name.err"
	"$WF_BIN/ws-listen" --stream-events "$@" 2>"$T/$name.err" <>"$T/$name.back" >"$T/$name.pipe" &
	eval "SRV_$name=$!"
	PIDS+=($!)
	tee "$T/$name.out" <"$T/$name.pipe" >"$T/$name.back" &
	PIDS+=($!)
	for ((i = 0; i < 500; i++)); do
		port=$(sed -n 's/^ws-listen: listening on wss*:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$name.err" || true)
		[ -n "$port" ] && break
		sleep 0.02
	done
	[ -n "$port" ] || { cat "$T/$name.err"; return 1; }
	eval "PORT_$name=$port"
}

# stop NAME: SIGTERM, exit status 0, and nothing on stderr but the address
stop() {
	local pid
	eval "pid=\$SRV_$1"
	kill -TERM "$pid"
	wait "$pid"
	[ "$(wc -l <"$T/$1.err")" -eq 1 ] || { cat "$T/$1.err"; return 1; }
}

# page QUERY: run the page; its JSON in $T/page.json, exit status in $status
page() {
	status=0
	"$ROOT/tests/browser/run-page" --timeout 60 \
		"file://$ROOT/tests/browser/echo.html?$1" >"$T/page.json" 2>"$T/page.err" || status=$?
	if [ "$status" -eq 77 ]; then
		skip "chromium cannot run here: $(head -c 300 "$T/page.err")"
	fi
	if [ "$status" -ne 0 ]; then
		cat "$T/page.json" "$T/page.err"
		return 1
	fi
}

# server_saw NAME TLS CODE REASON: ws-listen's events, in order: open, the
# text, 256 bytes, 1 MiB, the close with CODE and REASON; all on stream 1.
server_saw() {
	local f=$T/$1.out
	[ "$(wc -l <"$f")" -eq 5 ] || { cat "$f"; return 1; }
	[ "$(sed -n 1p "$f" | jq -c '[.control, .meta.ws_server.tls, .origin[0].stream]')" = "[\"open\",$2,1]" ]
	[ "$(sed -n 2p "$f" | jq -r .data)" = "héllo wsflow ✓ 😀" ]
	[ "$(sed -n 3p "$f" | jq -r .bytes | base64 -d | wc -c)" -eq 256 ]
	[ "$(sed -n 3p "$f" | jq -c .meta.binary)" = true ]
	[ "$(sed -n 4p "$f" | jq -r .bytes | base64 -d | wc -c)" -eq 1048576 ]
	[ "$(sed -n 5p "$f" | jq -c '[.control, .code, .reason, .meta.ws_server.tls]')" = "[\"close\",$3,\"$4\",$2]" ]
}

@test "chromium: ws:// and wss:// to ws-listen: text, binary, 1 MiB, close 1000, deflate declined" {
	echo_server plain 127.0.0.1:0
	echo_server tls --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" wss://127.0.0.1:0
	page "url=ws://127.0.0.1:$PORT_plain/&url=wss://127.0.0.1:$PORT_tls/"
	# the page's side: every check, for both
	run jq -c '[.[] | [.url, .extensions, .protocol, .checks.text, .checks.binary, .checks["1MiB"], .close.code, .close.reason, .close.wasClean, .error]]' "$T/page.json"
	[ "$output" = "[[\"ws://127.0.0.1:$PORT_plain/\",\"\",\"\",true,true,true,1000,\"done\",true,null],[\"wss://127.0.0.1:$PORT_tls/\",\"\",\"\",true,true,true,1000,\"done\",true,null]]" ]
	# the server's side
	server_saw plain false 1000 done
	server_saw tls true 1000 done
	stop plain
	stop tls
}

@test "chromium: a close code of the application's (4001) reaches ws-listen and comes back" {
	echo_server plain 127.0.0.1:0
	page "url=ws://127.0.0.1:$PORT_plain/&code=4001&reason=bye"
	run jq -c '.[0].close' "$T/page.json"
	[ "$output" = '{"code":4001,"reason":"bye","wasClean":true}' ]
	server_saw plain false 4001 bye
	stop plain
}
