#!/usr/bin/env bats
# The seed's secure echo flow, as a user runs it: `flow-run config.troy` in a
# directory with ./before/localhost.{cert,key} and in.json. Both spellings of
# the preprocessor (separate, and the 0.12 docs' lines).

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	: "${WF_BIN:=$ROOT/build/release/bin}"
	T=$BATS_TEST_TMPDIR
	cd "$T"
	mkdir before
	certtool --generate-privkey --key-type=ecdsa --outfile before/localhost.key 2>/dev/null
	printf 'cn = localhost\ndns_name = localhost\nip_address = 127.0.0.1\nexpiration_days = 30\nca\nsigning_key\nencryption_key\ntls_www_server\n' >tmpl
	certtool --generate-self-signed --load-privkey before/localhost.key --template tmpl \
		--outfile before/localhost.cert 2>/dev/null
	# records Tremor's own ws-tls test uses: arrays, an empty key, 42.0
	cat >in.json <<'JSON'
[1,2,3]
{"snot": "badger", "": "empty key", "a": [1, {"b": null}]}
{"float": 42.0, "big": 12345678901234567890}
"a string"
"exit"
JSON
	PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
}

run_seed() {
	sed "s/65535/$PORT/g" "$ROOT/tests/fixtures/troy/$1" >config.troy
	run timeout 60 "$WF_BIN/flow-run" config.troy
}

check_outputs() {
	[ "$status" -eq 0 ]
	# out.log: every record that is not "exit", compact, keys sorted
	cat >want.log <<'JSON'
[1,2,3]
{"":"empty key","a":[1,{"b":null}],"snot":"badger"}
{"big":12345678901234567890,"float":42.0}
"a string"
JSON
	diff -u want.log out.log
	# stdout: the echoes the client received, through the console (string
	# codec: values that are not strings as JSON text), in order
	printf '%s\n' "$output" | grep -v '^ws-listen: listening' >echoes
	cat >want.echoes <<'JSON'
[1,2,3]
{"snot":"badger","":"empty key","a":[1,{"b":null}]}
{"float":42.0,"big":12345678901234567890}
a string
JSON
	diff -u want.echoes echoes
}

@test "flow-run: the seed's secure echo flow (separate)" {
	run_seed seed-separate.troy
	check_outputs
}

@test "flow-run: the seed's secure echo flow, 0.12 spelling (lines)" {
	run_seed seed-lines.troy
	check_outputs
}

@test "flow-run: no process outlives the flow" {
	run_seed seed-separate.troy
	[ "$status" -eq 0 ]
	# every process flow-run started had config.troy's directory as cwd
	run pgrep -f "ws-listen 0.0.0.0:$PORT"
	[ "$status" -eq 1 ]
	run pgrep -f "ws-connect wss://0.0.0.0:$PORT"
	[ "$status" -eq 1 ]
}
