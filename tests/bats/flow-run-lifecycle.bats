#!/usr/bin/env bats
# How a flow stops: the exit connector (its delay, the event's delay,
# graceful or not), SIGTERM and SIGINT (exit 0), a process that dies
# (reported with its name and status, the graph stopped, exit 1); never a
# process left behind.

load flow-run

setup() {
	fr_setup
}

teardown() {
	fr_teardown
}

# A server flow that runs until it is stopped.
server() {
	fixture ws-server.troy PORT=0 TLS=
	flow_bg server ws-server.troy
	PORT=$(listening_port server)
	[ -n "$PORT" ]
}

@test "SIGTERM: flow-run stops the graph, exit 0, nothing left" {
	server
	kill -TERM "$FR_server"
	flow_wait server
	cat server.err
	[ "$STATUS" -eq 0 ]
	[ "$(cat server.err)" = "ws-listen: listening on ws://127.0.0.1:$PORT" ]
	no_process_left "$FR_server"
}

@test "SIGINT: the same (the terminal's ^C)" {
	server
	kill -INT "$FR_server"
	flow_wait server
	cat server.err
	[ "$STATUS" -eq 0 ]
	no_process_left "$FR_server"
}

@test "SIGTERM with a client connected: what it sent is written, exit 0" {
	server
	printf '%s\n' '{"data":"{\"n\": 1}\n{\"n\": 2}\n"}' |
		timeout 10 "$WF_BIN/ws-connect" "ws://127.0.0.1:$PORT/" 2>/dev/null
	wait_until lines_in out.log 2
	kill -TERM "$FR_server"
	flow_wait server
	[ "$STATUS" -eq 0 ]
	[ "$(cat out.log)" = "$(printf '%s\n' '{"n":1}' '{"n":2}')" ]
	no_process_left "$FR_server"
}

@test "a process that dies: reported with its name and status, the graph stopped, exit 1" {
	# the file reader cannot open its file; the server beside it is stopped
	cat >dies.troy <<'TROY'
define flow main
flow
  use integration;
  use tremor::pipelines;
  define connector ws_server from ws_server
  with
    codec = "json",
    config = {"url": "127.0.0.1:0"}
  end;
  create connector ws_server;
  create connector in from integration::read_file with file = "nothing.json" end;
  create connector out from integration::write_file;
  create pipeline p from pipelines::passthrough;
  connect /connector/in to /pipeline/p;
  connect /connector/ws_server to /pipeline/p;
  connect /pipeline/p to /connector/out;
end;
deploy flow main;
TROY
	flow dies.troy
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(grep -v '^ws-listen: listening on ' <<<"$output")" = "$(printf '%s\n' \
		'flow-run: in: cannot open nothing.json: No such file or directory' \
		'flow-run: in: file reader: exited with status 1; stopping the flow')" ]
	no_process_left
}

@test "a process killed from outside: reported with its signal, exit 1, nothing left" {
	server
	pkill -KILL -s "$FR_server" -f '^ws-listen '
	flow_wait server
	cat server.err
	[ "$STATUS" -eq 1 ]
	grep -qx "flow-run: ws_server: ws-listen 127.0.0.1:0 --id=ws_server --stream-events: killed by signal 9; stopping the flow" server.err
	no_process_left "$FR_server"
}

@test "a client that cannot connect: ws-connect's status, exit 1" {
	local port
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	fixture ws-client.troy "PORT=$port" TLS=
	sed -i 's/"max_retries": 50/"max_retries": 2/' ws-client.troy
	printf '%s\n' '{"a": 1}' >in.json
	flow ws-client.troy
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = 'ws-connect: giving up after 2 attempts: connect: Connection refused' ]
	[ "${lines[1]}" = "flow-run: ws_client: ws-connect ws://127.0.0.1:$port/ --id=ws_client --stream-events --retry-interval=100 --retry-growth=1 --retry-max=2: exited with status 1; stopping the flow" ]
	[ "${#lines[@]}" -eq 2 ]
	no_process_left
}

@test "a process that fails while the flow stops is reported too: exit 1" {
	printf '%s\n' '{"a": 1}' '"exit"' >in.json
	cat >full.troy <<'TROY'
define flow main
flow
  use integration;
  create connector in from integration::read_file;
  create connector out from integration::write_file with file = "/dev/full" end;
  create connector exit from integration::exit;
  create pipeline p from integration::out_or_exit;
  connect /connector/in to /pipeline/p;
  connect /pipeline/p/out to /connector/out;
  connect /pipeline/p/exit to /connector/exit;
end;
deploy flow main;
TROY
	flow full.troy
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '%s\n' 'flow-run: out: /dev/full: write error: No space left on device' \
		'flow-run: out: file writer: exited with status 1')" ]
	no_process_left
}

# An exit connector fed straight from a reader (the first event fires it).
exit_flow() {
	cat >exit.troy <<TROY
define flow main
flow
  use integration;
  use tremor::pipelines;
  use std::time::nanos;
  define connector stop from exit
  with
    config = {$1}
  end;
  create connector in from integration::read_file;
  create connector out from integration::write_file;
  create connector stop;
  create pipeline p from $2;
  connect /connector/in to /pipeline/p;
  connect /pipeline/p/out to /connector/out;
  connect /pipeline/p/${3:-out} to /connector/stop;
end;
deploy flow main;
TROY
}

# elapsed CMD...: run CMD (bats run), ELAPSED in ms
elapsed() {
	local t0
	t0=$(date +%s%N)
	"$@"
	ELAPSED=$((($(date +%s%N) - t0) / 1000000))
	echo "took $ELAPSED ms"
}

@test "the exit connector: the first event stops the flow after the configured delay" {
	printf '%s\n' '{"a": 1}' '{"a": 2}' >in.json
	exit_flow '"delay": nanos::from_millis(600)' pipelines::passthrough
	elapsed flow exit.troy
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$ELAPSED" -ge 600 ]
	[ "$ELAPSED" -lt 5000 ]
	# the graceful stop let every event through
	[ "$(cat out.log)" = "$(printf '%s\n' '{"a":1}' '{"a":2}')" ]
	no_process_left
}

@test "the exit connector: the event's delay wins over the config's" {
	printf '%s\n' '{"a": 1}' '"exit"' >in.json
	exit_flow '"delay": nanos::from_seconds(30)' 'integration::out_or_exit with delay = nanos::from_millis(500) end' exit
	elapsed flow exit.troy
	[ "$status" -eq 0 ]
	[ "$ELAPSED" -ge 500 ]
	[ "$ELAPSED" -lt 5000 ]
	[ "$(cat out.log)" = '{"a":1}' ]
	no_process_left
}

@test "the exit connector: graceful = false stops at once, exit 0" {
	printf '%s\n' '{"a": 1}' >in.json
	exit_flow '"graceful": false' pipelines::passthrough
	elapsed flow exit.troy
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$ELAPSED" -lt 5000 ]
	no_process_left
}

@test "the exit connector stops a server flow too (Tremor's exit port of out_or_exit)" {
	server
	printf '%s\n' '{"data":"{\"n\": 1}\n\"exit\"\n{\"n\": 2}\n"}' |
		timeout 10 "$WF_BIN/ws-connect" "ws://127.0.0.1:$PORT/" 2>/dev/null
	flow_wait server
	[ "$STATUS" -eq 0 ]
	# what came before and after "exit" in the same message: both written
	[ "$(cat out.log)" = "$(printf '%s\n' '{"n":1}' '{"n":2}')" ]
	no_process_left "$FR_server"
}

@test "a graceful stop drains the graph first: the echoes of 50000 records over TLS all arrive" {
	# the seed's echo flow with the exit connector on out_or_exit's exit
	# port: the client must stay connected until the last echo is back
	local port
	mkdir before
	certtool --generate-privkey --key-type=ecdsa --outfile before/localhost.key 2>/dev/null
	printf '%s\n' 'cn = localhost' 'dns_name = localhost' 'ip_address = 127.0.0.1' 'expiration_days = 30' \
		'ca' 'signing_key' 'encryption_key' 'tls_www_server' >tmpl
	certtool --generate-self-signed --load-privkey before/localhost.key --template tmpl \
		--outfile before/localhost.cert 2>/dev/null
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed -e "s/0\.0\.0\.0:65535/127.0.0.1:$port/g" \
		-e 's#connect /pipeline/server_side to /connector/exit;#connect /pipeline/server_side/exit to /connector/exit;#' \
		"$FX/seed-separate.troy" >echo.troy
	seq 1 50000 | sed 's/.*/{"n": &, "pad": "abcdefghijklmnopqrstuvwxyz"}/' >in.json
	echo '"exit"' >>in.json
	flow echo.troy
	[ "$status" -eq 0 ]
	grep -v '^ws-listen: listening on ' <<<"$output" >echoes || true
	[ "$(wc -l <out.log)" -eq 50000 ]
	[ "$(wc -l <echoes)" -eq 50000 ]
	! grep -q error echoes
	[ "$(tail -n 1 echoes)" = '{"n":50000,"pad":"abcdefghijklmnopqrstuvwxyz"}' ]
	no_process_left
}
