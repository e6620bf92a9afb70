#!/usr/bin/env bats
# ws-connect over TLS: verification always on (--tls-cafile, the system
# store), each failure with its reason (unknown CA, wrong name, expired),
# --tls-domain, --tls-insecure, client certificates, and TLS against plain
# servers. The certificates come from certtool (tests/helpers/wsc_certs.sh).

load ws-connect

setup_file() {
	"$BATS_TEST_DIRNAME/../helpers/wsc_certs.sh" "$BATS_FILE_TMPDIR/certs"
}

setup() {
	wsc_setup
	C=$BATS_FILE_TMPDIR/certs
	TLS=true
}
teardown() { wsc_teardown; }

# tls_peer CERT [ARGS...]: the python3-websockets server with CERT, sending
# "hi" and closing.
tls_peer() {
	local cert=$1
	shift
	peer py --tls "$C/$cert.pem" "$C/$cert.key" "$@" text:hi close:1000
	URL=wss://127.0.0.1:$PORT/
}

# ok ARGS...: ws-connect ARGS gets "hi" over TLS and the server's close.
ok() {
	start_wsc "$@"
	wait_wsc
	[ "$STATUS" -eq 0 ]
	diff -u <(cev '"data":"hi"') "$T/c.out"
	wait_until has_line "$T/peer.out" "closed 1000 "
}

# fails MESSAGE ARGS...: ws-connect ARGS exits 1 with MESSAGE, at once.
fails() {
	local msg=$1
	shift
	wsc "$@"
	[ "$STATUS" -eq 1 ]
	diff -u <(echo "ws-connect: $msg") "$T/c.err"
	[ ! -s "$T/c.out" ]
	[ "$ELAPSED" -lt 3000 ]
}

@test "wss:// verified against --tls-cafile: events carry tls true; 127.0.0.1 and localhost both match" {
	tls_peer good
	ok --tls-cafile "$C/ca.pem" "$URL"
	ok --tls-cafile "$C/ca.pem" "wss://localhost:$PORT/"
	[ ! -s "$T/c.err" ]
}

@test "--tls turns TLS on for a ws:// URL" {
	tls_peer good
	ok --tls --tls-cafile "$C/ca.pem" "ws://127.0.0.1:$PORT/"
}

@test "a certificate from another CA fails: unknown certificate authority" {
	tls_peer good
	fails "certificate verification failed: unknown certificate authority" --tls-cafile "$C/other.pem" "$URL"
	# without --tls-cafile the system store is the trust: the test CA is not in it
	fails "certificate verification failed: unknown certificate authority" "$URL"
	fails "certificate verification failed: unknown certificate authority" --tls "ws://127.0.0.1:$PORT/"
}

@test "a certificate for another name fails; --tls-domain names the one to verify" {
	tls_peer wrongname
	fails "certificate verification failed: the certificate does not match the name 127.0.0.1" \
		--tls-cafile "$C/ca.pem" "$URL"
	fails "certificate verification failed: the certificate does not match the name localhost" \
		--tls-cafile "$C/ca.pem" --tls-domain localhost "$URL"
	ok --tls-cafile "$C/ca.pem" --tls-domain elsewhere.example "$URL"
}

@test "an expired certificate fails" {
	tls_peer expired
	fails "certificate verification failed: the certificate has expired" --tls-cafile "$C/ca.pem" "$URL"
}

@test "--tls-insecure connects without verifying, and says so on stderr" {
	tls_peer expired
	ok --tls-insecure "$URL"
	[ "$(cat "$T/c.err")" = "ws-connect: WARNING: --tls-insecure: the server's certificate is NOT verified" ]
}

@test "a server that requires a client certificate accepts --tls-cert/--tls-key; without one, or with a stranger's, the failure says why" {
	tls_peer good --client-ca "$C/ca.pem"
	ok --tls-cafile "$C/ca.pem" --tls-cert "$C/client.pem" --tls-key "$C/client.key" "$URL"
	wait_until has_line "$T/peer.out" "client wsflow client"
	fails "the server closed the connection during the handshake (it asked for a client certificate and none was given)" \
		--tls-cafile "$C/ca.pem" "$URL"
	fails "the server closed the connection during the handshake (it asked for a client certificate: was this one refused?)" \
		--tls-cafile "$C/ca.pem" --tls-cert "$C/stranger.pem" --tls-key "$C/stranger.key" "$URL"
}

@test "TLS against a plain server, plain against a TLS server: exit 1 with the reason" {
	peer py text:hi close:1000
	fails "TLS handshake failed: An unexpected TLS packet was received." --tls-cafile "$C/ca.pem" "wss://127.0.0.1:$PORT/"
	stop_peer
	tls_peer good
	fails "the server closed the connection during the handshake" "ws://127.0.0.1:$PORT/"
}

@test "bad TLS files are configuration errors: exit 2" {
	run "$WF_BIN/ws-connect" --tls-cafile "$T/nope.pem" wss://127.0.0.1:1/
	[ "$status" -eq 2 ]
	[ "$output" = "ws-connect: CA file $T/nope.pem: No such file or directory" ]
	echo "not a certificate" >"$T/junk.pem"
	run "$WF_BIN/ws-connect" --tls-cafile "$T/junk.pem" wss://127.0.0.1:1/
	[ "$status" -eq 2 ]
	[ "$output" = "ws-connect: CA file $T/junk.pem: no certificate in it" ]
	run "$WF_BIN/ws-connect" --tls-cert "$C/client.pem" --tls-key "$C/good.key" wss://127.0.0.1:1/
	[ "$status" -eq 2 ]
	[ "$output" = "ws-connect: key $C/good.key does not match certificate $C/client.pem" ]
	run "$WF_BIN/ws-connect" --tls-cert "$C/client.pem" --tls-key "$T/junk.pem" wss://127.0.0.1:1/
	[ "$status" -eq 2 ]
	[ "$output" = "ws-connect: client certificate $C/client.pem / key $T/junk.pem: not a PEM certificate and key" ]
	run "$WF_BIN/ws-connect" --tls-key "$C/client.key" wss://127.0.0.1:1/
	[ "$status" -eq 2 ]
	[ "$output" = "ws-connect: --tls-cert and --tls-key go together" ]
}

@test "16 MiB each way over TLS, byte-exact" {
	head -c 16777216 /dev/urandom >"$T/big.bin"
	{
		printf '{"bytes":"'
		base64 -w0 "$T/big.bin"
		printf '"}\n'
	} >"$T/cin.txt"
	peer py --tls "$C/good.pem" "$C/good.key" recvsum "binfile:$T/big.bin" close:1000
	wsc -n -r --tls-cafile "$C/ca.pem" "wss://127.0.0.1:$PORT/"
	[ "$STATUS" -eq 0 ]
	cmp "$T/c.out" <(cat "$T/big.bin"; echo)
	diff -u <(printf 'binary 16777216 %s\nclosed 1000 \n' "$(sha256sum <"$T/big.bin" | cut -d' ' -f1)") <(peer_log)
}

@test "ws-listen with a certificate as the server: wss both ways" {
	peer listen --tls-cert "$C/good.pem" --tls-key "$C/good.key"
	start_wsc --stream-events --tls-cafile "$C/ca.pem" "wss://localhost:$PORT/"
	to_wsc '{"data":"over tls"}'
	wait_until lines_in "$T/peer.out" 1
	[[ $(cat "$T/peer.out") == '{"data":"over tls","meta":{"ws_server":{"tls":true,'* ]]
	to_listen '{"data":"back","origin":[{"source":"ws_server","stream":1}]}' \
		'{"control":"close","code":4001,"reason":"tls bye","origin":[{"source":"ws_server","stream":1}]}'
	wait_wsc
	[ "$STATUS" -eq 0 ]
	diff -u <(ctl open; cev '"data":"back"'; ctl close 4001 'tls bye') "$T/c.out"
}

@test "a server that sends its session tickets, the 101 and a frame in one write: all of it is read, nothing waits for a poll" {
	# ws-connect reads ahead of GnuTLS; GnuTLS stops after the tickets, the
	# rest already read: it must go on without the socket saying so
	rm -f "$T/peer.out"
	bare "$PY" "$H/tls_burst.py" server "$C/good.pem" "$C/good.key" >"$T/peer.out" 2>"$T/peer.err" &
	PEER=$!
	PIDS+=("$PEER")
	wait_until has_text "$T/peer.out" "listening " || return 1
	PORT=$(sed -n 's/^listening //p' "$T/peer.out")
	start_wsc --tls-cafile "$C/ca.pem" "wss://127.0.0.1:$PORT/"
	wait_until has_text "$T/c.out" '"data":"hello"'
	to_wsc '{"data":"back"}'
	end_wsc
	wait_wsc
	[ "$STATUS" -eq 0 ]
	diff -u <(cev '"data":"hello"') "$T/c.out"
	wait_until has_line "$T/peer.out" "close 1000"
	grep -qx "text back" "$T/peer.out"
}
