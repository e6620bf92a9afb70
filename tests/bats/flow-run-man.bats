#!/usr/bin/env bats
# The example of flow-run(1) that the examples harness skips because it needs
# certificates: the seed's secure echo service, as the page shows it, is the
# seed's flow (tests/fixtures/troy/seed-separate.troy) with the exit
# connector on out_or_exit's exit port, and it runs as the page says.

load flow-run

setup() {
	fr_setup
}

teardown() {
	fr_teardown
}

# The display of the page that holds the flow, as a reader sees it.
page_flow() {
	mandoc -Tascii "$ROOT/man/flow-run.1" | sed 's/.\x08//g' |
		awk '/^EXAMPLES/ { ex = 1 } ex && /^ +define flow main$/ { on = 1; match($0, /^ */); ind = RLENGTH }
			on { print substr($0, ind + 1) } on && /^ +deploy flow main;$/ { exit }'
}

@test "flow-run(1): the echo service shown is the seed's flow, its exit on out_or_exit's exit port" {
	page_flow >page.troy
	[ "$(head -n 1 page.troy)" = 'define flow main' ]
	[ "$(tail -n 1 page.troy)" = 'deploy flow main;' ]
	# the seed without its comments and blank lines, the one change made
	sed -e '/^ *#/d' -e '/^ *$/d' \
		-e 's#connect /pipeline/server_side to /connector/exit;#connect /pipeline/server_side/exit to /connector/exit;#' \
		"$FX/seed-separate.troy" >want
	sed '/^ *$/d' page.troy >got
	diff -u want got
}

@test "flow-run(1): the echo service runs as the page says" {
	local port
	page_flow >page.troy
	mkdir before
	certtool --generate-privkey --key-type=ecdsa --outfile before/localhost.key 2>/dev/null
	printf '%s\n' 'cn = localhost' 'dns_name = localhost' 'ip_address = 127.0.0.1' 'expiration_days = 30' \
		'ca' 'signing_key' 'encryption_key' 'tls_www_server' >tmpl
	certtool --generate-self-signed --load-privkey before/localhost.key --template tmpl \
		--outfile before/localhost.cert 2>/dev/null
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	sed "s/0\.0\.0\.0:65535/127.0.0.1:$port/g" page.troy >echo-service.troy
	printf '%s\n' '{"b": 2, "a": [1, 2]}' '"text"' '"exit"' >in.json
	flow echo-service.troy
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat out.log)" = "$(printf '%s\n' '{"a":[1,2],"b":2}' '"text"')" ]
	[ "$(grep -v '^ws-listen: listening on ' <<<"$output")" = "$(printf '%s\n' '{"b":2,"a":[1,2]}' 'text')" ]
	no_process_left
}
