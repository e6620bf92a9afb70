#!/usr/bin/env bats
# flow-run's errors in a flow file: `file:line:col: message`, the line and a
# caret under the column, exit 2, and nothing started: --verbose logs every
# process it starts, so its whole stderr is the message; no file is written
# and nothing is left in its session.

load flow-run

setup() {
	fr_setup
	printf '%s\n' '{"a": 1}' '"exit"' >in.json
}

teardown() {
	fr_teardown
}

# bad FILE LINE COL MESSAGE: flow-run --verbose FILE fails with exactly
# `FILE:LINE:COL: MESSAGE`, that line of FILE and a caret under COL, exit 2,
# and starts nothing.
bad() {
	local want
	want=$(printf '%s:%s:%s: %s\n' "$1" "$2" "$3" "$4"
		sed -n "$2p" "$1"
		printf '%*s^' $(($3 - 1)) '')
	flow --verbose "$1"
	printf '%s\n' "--- got:" "$output" "--- want:" "$want"
	[ "$status" -eq 2 ]
	[ "$output" = "$want" ]
	[ ! -e out.log ]
	no_process_left
}

# A flow whose connector c is defined by the test: $1 the type, the rest
# the lines of its `with` (without `end`).
connector_flow() {
	local type=$1
	shift
	{
		printf '%s\n' 'define flow main' 'flow' '  use integration;' \
			"  define connector c from $type" '  with'
		printf '    %s\n' "$@"
		printf '%s\n' '  end;' '  create connector c;' \
			'  create connector out from integration::write_file;' 'end;' 'deploy flow main;'
	} >c.troy
}

@test "an unknown connector type" {
	connector_flow kafka 'codec = "json"'
	bad c.troy 4 27 'connector type "kafka" is not supported (ws_server, ws_client, file, stdio, exit)'
}

@test "an unknown connector parameter" {
	connector_flow ws_server 'codec = "json",' 'codecs = "json",' 'config = {"url": "127.0.0.1:0"}'
	bad c.troy 7 5 'unknown connector parameter codecs'
}

@test "an unknown key in a ws_server config (Tremor denies unknown fields)" {
	connector_flow ws_server 'codec = "json",' 'config = {"url": "127.0.0.1:0", "no_delay": true}'
	bad c.troy 7 37 'unknown key "no_delay" in the ws_server config'
}

@test "an unknown key in a ws_client tls record" {
	connector_flow ws_client 'codec = "json",' \
		'config = {"url": "ws://127.0.0.1:9/", "tls": {"cafile": "ca.pem", "verify": false}}'
	bad c.troy 7 71 'unknown key "verify" in the ws_client tls config'
}

@test "an unknown key in a file config" {
	connector_flow file 'codec = "json",' 'config = {"path": "in.json", "mod": "read"}'
	bad c.troy 7 34 'unknown key "mod" in the file config'
}

@test "an unknown key in reconnect.retry" {
	connector_flow ws_client 'codec = "json",' 'config = {"url": "ws://127.0.0.1:9/"},' \
		'reconnect = {"retry": {"interval_ms": 10, "tries": 3}}'
	bad c.troy 8 47 'unknown key "tries" in reconnect.retry'
}

@test "a ws_client url without a port (Tremor needs one)" {
	connector_flow ws_client 'codec = "json",' 'config = {"url": "ws://127.0.0.1/"}'
	bad c.troy 7 22 'ws_client: Not a valid WS type url - port specification missing'
}

@test "a ws_server without a codec (Tremor requires one)" {
	connector_flow ws_server 'config = {"url": "127.0.0.1:0"}'
	bad c.troy 4 20 'ws_server: a codec is required'
}

@test "an unknown codec" {
	connector_flow ws_server 'codec = "msgpack",' 'config = {"url": "127.0.0.1:0"}'
	bad c.troy 6 13 'codec "msgpack" is not supported (json, json-sorted, string, binary)'
}

@test "an unknown codec given as a record" {
	connector_flow ws_server 'codec = {"name": "yaml"},' 'config = {"url": "127.0.0.1:0"}'
	bad c.troy 6 22 'codec "yaml" is not supported (json, json-sorted, string, binary)'
}

@test "a json codec mode that is neither sorted nor unsorted" {
	connector_flow ws_server 'codec = {"name": "json", "config": {"mode": "pretty"}},' \
		'config = {"url": "127.0.0.1:0"}'
	bad c.troy 6 49 'the json codec'"'"'s mode is "sorted" or "unsorted"'
}

@test "an unknown preprocessor" {
	connector_flow ws_server 'codec = "json",' 'preprocessors = ["separate", "gzip"],' \
		'config = {"url": "127.0.0.1:0"}'
	bad c.troy 7 34 'preprocessor "gzip" is not supported (separate, lines, remove-empty, base64)'
}

@test "remove-empty is not a postprocessor" {
	connector_flow ws_client 'codec = "json",' 'postprocessors = ["remove-empty"],' \
		'config = {"url": "ws://127.0.0.1:9/"}'
	bad c.troy 7 23 'postprocessor "remove-empty" is not supported (separate, lines, base64)'
}

@test "an unknown key in the separate preprocessor's config" {
	connector_flow ws_server 'codec = "json",' \
		'preprocessors = [{"name": "separate", "config": {"buffered": false, "max_len": 10}}],' \
		'config = {"url": "127.0.0.1:0"}'
	bad c.troy 7 73 'unknown key "max_len" in the separate preprocessor'"'"'s config'
}

@test "a separator of two bytes" {
	connector_flow ws_server 'codec = "json",' \
		'preprocessors = [{"name": "separate", "config": {"separator": "||"}}],' \
		'config = {"url": "127.0.0.1:0"}'
	bad c.troy 7 67 'separator must be a string of one byte'
}

# A flow with a file reader `in`, a writer `out`, an exit connector and a
# passthrough pipeline p; the test gives the connects.
wired_flow() {
	{
		printf '%s\n' 'define flow main' 'flow' '  use integration;' '  use tremor::pipelines;' \
			'  create connector in from integration::read_file;' \
			'  create connector out from integration::write_file;' \
			'  create connector exit from integration::exit;' \
			'  create pipeline p from pipelines::passthrough;'
		printf '  %s\n' "$@"
		printf '%s\n' 'end;' 'deploy flow main;'
	} >w.troy
}

@test "an unknown port of a connector" {
	wired_flow 'connect /connector/in/output to /pipeline/p;' 'connect /pipeline/p to /connector/out;'
	bad w.troy 9 25 'connector in has no output port output (its output ports: out, err)'
}

@test "an unknown port of a pipeline" {
	wired_flow 'connect /connector/in to /pipeline/p;' 'connect /pipeline/p/exit to /connector/exit;'
	bad w.troy 10 23 'pipeline p has no output port exit (its output ports: out, err)'
}

@test "a connector wired to a port it does not have: a file reader has no in" {
	wired_flow 'connect /connector/in to /pipeline/p;' 'connect /pipeline/p to /connector/in;'
	bad w.troy 10 37 'connector in has no input port in (it has none)'
}

@test "a connector wired to a port it does not have: a file writer has no out" {
	wired_flow 'connect /connector/out to /pipeline/p;'
	bad w.troy 9 22 'connector out has no output port out (its output ports: err)'
}

@test "a connector wired to a port it does not have: an exit connector sends nothing" {
	wired_flow 'connect /connector/exit to /pipeline/p;'
	bad w.troy 9 22 'connector exit has no output port out (it has none)'
}

@test "a pipeline port given to a connector's input" {
	wired_flow 'connect /connector/in to /pipeline/p;' 'connect /pipeline/p to /connector/out/err;'
	bad w.troy 10 41 'connector out has no input port err (its input ports: in)'
}

@test "an error in a module's connector shows where it is created" {
	wired_flow 'connect /connector/in to /pipeline/p;' 'connect /pipeline/p to /connector/out;'
	sed -i 's|integration::write_file;|integration::write_file with file = 42 end;|' w.troy
	bad w.troy 6 20 'file: config path is required (a string)'
}

@test "a syntax error, an unknown module: exit 2, nothing started" {
	wired_flow 'connect /connector/in to /pipeline/p' 'connect /pipeline/p to /connector/out;'
	bad w.troy 10 3 "expected ';' or 'end', found 'connect'"
	wired_flow 'connect /connector/in to /pipeline/p;'
	sed -i 's|use tremor::pipelines;|use tremor::pipes;|' w.troy
	flow --verbose w.troy
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == 'w.troy:4:7: module tremor::pipes not found (searched: '* ]]
	no_process_left
}

@test "a flow file that cannot be read, a usage error: exit 2" {
	flow nothing.troy
	[ "$status" -eq 2 ]
	[ "$output" = "nothing.troy: No such file or directory" ]
	flow
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == 'flow-run: a flow file (.troy) is needed' ]]
	flow a.troy b.troy
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == 'flow-run: one flow file only' ]]
	# the filters' options mean nothing to flow-run
	flow -R a.troy
	[ "$status" -eq 2 ]
	[[ ${lines[0]} == 'flow-run: --err-fd, --raw-input, --raw-output and --max-line are not flow-run options' ]]
}
