#!/usr/bin/env bats
# Two flow-run processes, as Tremor's integration tests run a server and a
# client: the server flow (ws_server -> out_or_exit -> write_file, exit)
# starts in the background, the client flow (read_file -> out_and_exit ->
# ws_client, exit) sends 100 records and "exit" from in.json. The server's
# out.log must equal the expected file exactly and both must exit 0 with
# nothing left behind. Plain and TLS.

load flow-run

setup() {
	fr_setup
	# 100 records: arrays, an empty key, 42.0, big integers, UTF-8, nested
	# records whose keys get sorted; then "exit" (not written by the server)
	local i
	: >in.json
	: >want.log
	for ((i = 1; i <= 100; i++)); do
		case $((i % 5)) in
		0)
			echo "{\"snot\": \"badger\", \"id\": $i, \"a\": [$i, {\"b\": null}], \"\": \"empty key\"}" >>in.json
			echo "{\"\":\"empty key\",\"a\":[$i,{\"b\":null}],\"id\":$i,\"snot\":\"badger\"}" >>want.log
			;;
		1)
			echo "[$i, \"x\", 42.0, true, false, null]" >>in.json
			echo "[$i,\"x\",42.0,true,false,null]" >>want.log
			;;
		2)
			echo "{\"float\": $i.5, \"big\": 1234567890123456789$((i % 10)), \"text\": \"grüße € \\\"$i\\\"\"}" >>in.json
			echo "{\"big\":1234567890123456789$((i % 10)),\"float\":$i.5,\"text\":\"grüße € \\\"$i\\\"\"}" >>want.log
			;;
		3)
			echo "\"string $i\"" >>in.json
			echo "\"string $i\"" >>want.log
			;;
		4)
			echo "{\"z\": {\"y\": $i, \"x\": [{\"d\": 1, \"c\": 2}]}, \"m\": -$i}" >>in.json
			echo "{\"m\":-$i,\"z\":{\"x\":[{\"c\":2,\"d\":1}],\"y\":$i}}" >>want.log
			;;
		esac
	done
	echo '"exit"' >>in.json
}

teardown() {
	fr_teardown
}

# two_processes SERVER_TLS CLIENT_TLS
two_processes() {
	local port
	fixture ws-server.troy PORT=0 "TLS=$1"
	flow_bg server ws-server.troy
	port=$(listening_port server)
	[ -n "$port" ]
	fixture ws-client.troy "PORT=$port" "TLS=$2"
	flow ws-client.troy
	echo "client: $output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	no_process_left
	flow_wait server
	echo "server: $(cat server.err)"
	[ "$STATUS" -eq 0 ]
	diff -u want.log out.log
	[ "$(cat server.err)" = "ws-listen: listening on ws${3:-}://127.0.0.1:$port" ]
	[ ! -s server.out ]
	no_process_left "$FR_server"
}

@test "two processes: 100 records and exit from a client flow to a server flow" {
	two_processes "" ""
}

@test "two processes over TLS: the server's certificate, the client's cafile" {
	certtool --generate-privkey --key-type=ecdsa --outfile key.pem 2>/dev/null
	printf '%s\n' 'cn = localhost' 'dns_name = localhost' 'ip_address = 127.0.0.1' 'expiration_days = 30' \
		'ca' 'signing_key' 'encryption_key' 'tls_www_server' >tmpl
	certtool --generate-self-signed --load-privkey key.pem --template tmpl --outfile cert.pem 2>/dev/null
	two_processes ', "tls": {"cert": "cert.pem", "key": "key.pem"}' \
		', "tls": {"cafile": "cert.pem", "domain": "localhost"}' s
}

@test "two processes: the client waits for a server that starts later" {
	local port
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	fixture ws-client.troy "PORT=$port" TLS=
	flow_bg client ws-client.troy
	sleep 0.3
	fixture ws-server.troy "PORT=$port" TLS=
	flow_bg server ws-server.troy
	flow_wait client
	echo "client: $(cat client.err)"
	[ "$STATUS" -eq 0 ]
	flow_wait server
	echo "server: $(cat server.err)"
	[ "$STATUS" -eq 0 ]
	diff -u want.log out.log
	no_process_left "$FR_client"
	no_process_left "$FR_server"
}
