#!/usr/bin/env bats
# ws-listen with TLS: a self-signed certificate made here with certtool,
# clients that verify against it, and the start-up errors of bad files.

load ws-listen

setup_file() {
	local d=$BATS_FILE_TMPDIR
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/key.pem" 2>/dev/null
	printf '%s\n' 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
		'expiration_days = 30' tls_www_server signing_key encryption_key >"$d/cert.tmpl"
	certtool --generate-self-signed --load-privkey "$d/key.pem" --template "$d/cert.tmpl" \
		--outfile "$d/cert.pem" 2>/dev/null
	certtool --generate-privkey --key-type=ecdsa --outfile "$d/other-key.pem" 2>/dev/null
	echo 'not a key' >"$d/garbage.pem"
}

setup() {
	ws_setup
	C=$BATS_FILE_TMPDIR
	TLS=(--tls-cert "$C/cert.pem" --tls-key "$C/key.pem")
}
teardown() { ws_teardown; }

tls_url() { echo "wss://127.0.0.1:$PORT/"; }

@test "TLS: python3-websockets verifies the certificate; messages echo byte-exact; meta tls is true" {
	start_echo "${TLS[@]}" 127.0.0.1:0
	grep -qx "ws-listen: listening on wss://127.0.0.1:$PORT" "$T/err"
	head -c 1048576 /dev/urandom >"$T/mib.bin"
	run wsc --cafile "$C/cert.pem" "$(tls_url)" "text:héllo" recv bin:00ff recv "binfile:$T/mib.bin" recvsum \
		many:500 recvmany:500
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 'text "héllo"' ]
	[ "${lines[2]}" = 'binary 00ff' ]
	[ "${lines[3]}" = "binary 1048576 $(sha256sum <"$T/mib.bin" | cut -d' ' -f1)" ]
	[ "${lines[4]}" = 'got 500' ]
	local port=${lines[0]#open }
	port=${port%% *}
	stop_server
	[ "$STATUS" -eq 0 ]
	[ "$(head -n 1 "$T/out")" = "{\"data\":\"héllo\",\"meta\":$(meta_of "$port" true),\"origin\":[{\"source\":\"ws_server\",\"stream\":1}]}" ]
	[ "$(sed -n 2p "$T/out")" = "{\"bytes\":\"AP8=\",\"meta\":{\"ws_server\":{\"tls\":true,\"peer\":{\"host\":\"127.0.0.1\",\"port\":$port}},\"binary\":true},\"origin\":[{\"source\":\"ws_server\",\"stream\":1}]}" ]
	[ "$(wc -l <"$T/out")" -eq 503 ]
}

@test "TLS: node-ws verifies the certificate by the name localhost; a wss:// URL with a certificate" {
	start_echo "${TLS[@]}" wss://127.0.0.1:0
	run nodec --cafile "$C/cert.pem" "wss://localhost:$PORT/" "text:über" recv bin:0102 recv many:300 recvmany:300
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = 'text "über"' ]
	[ "${lines[2]}" = 'binary 0102' ]
	[ "${lines[3]}" = 'got 300' ]
	stop_server
	[ "$STATUS" -eq 0 ]
}

@test "TLS: a client that does not trust the certificate, and a plain client, fail alone" {
	start_server "${TLS[@]}" 127.0.0.1:0
	run wsc "$(tls_url)"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ $output == *CERTIFICATE_VERIFY_FAILED* ]]
	run wsc --timeout 3 "$URL"
	echo "$output"
	[ "$status" -ne 0 ]
	run raw "$PORT" 'send:GET / HTTP/1.1\r\n\r\n' eof
	[ "$output" = eof ]
	run wsc --cafile "$C/cert.pem" "$(tls_url)" text:fine
	[ "$status" -eq 0 ]
	wait_until has_text "$T/out" '{"data":"fine","meta":{"ws_server":{"tls":true,'
	stop_server
	[ "$STATUS" -eq 0 ]
	sed 1d "$T/err" | sed 's/127\.0\.0\.1:[0-9]*/PEER/' >"$T/errs"
	cat "$T/errs"
	[ "$(wc -l <"$T/errs")" -eq 3 ]
	[[ $(sed -n 1p "$T/errs") == "ws-listen: PEER: TLS handshake failed: "* ]]
	[ "$(sed -n 2p "$T/errs")" = "ws-listen: PEER: TLS handshake failed: the client does not speak TLS (a ws:// client?)" ]
	[ "$(sed -n 3p "$T/errs")" = "ws-listen: PEER: TLS handshake failed: the client does not speak TLS (a ws:// client?)" ]
}

# start_fails WANT ARGS...: ws-listen ARGS exits 2 at once with the message WANT.
start_fails() {
	local want=$1
	shift
	run "$WF_BIN/ws-listen" "$@" </dev/null
	echo "$output"
	[ "$status" -eq 2 ]
	[ "$output" = "ws-listen: $want" ]
}

@test "TLS: a bad, mismatched or missing key or certificate stops ws-listen at start-up with exit 2" {
	start_fails "key $C/other-key.pem does not match certificate $C/cert.pem" \
		--tls-cert "$C/cert.pem" --tls-key "$C/other-key.pem" 127.0.0.1:0
	start_fails "key $C/garbage.pem: not a PEM private key" \
		--tls-cert "$C/cert.pem" --tls-key "$C/garbage.pem" 127.0.0.1:0
	start_fails "key $C/cert.pem: not a PEM private key" \
		--tls-cert "$C/cert.pem" --tls-key "$C/cert.pem" 127.0.0.1:0
	start_fails "key $C/none.pem: No such file or directory" \
		--tls-cert "$C/cert.pem" --tls-key "$C/none.pem" 127.0.0.1:0
	start_fails "certificate $C/garbage.pem: not a PEM certificate" \
		--tls-cert "$C/garbage.pem" --tls-key "$C/key.pem" 127.0.0.1:0
	start_fails "certificate $C/none.pem: No such file or directory" \
		--tls-cert "$C/none.pem" --tls-key "$C/key.pem" 127.0.0.1:0
	start_fails "--tls-cert and --tls-key go together" --tls-cert "$C/cert.pem" 127.0.0.1:0
	start_fails "--tls-cert and --tls-key go together" --tls-key "$C/key.pem" 127.0.0.1:0
}

@test "TLS: wss:// without a certificate is a usage error, exit 2" {
	start_fails "wss://127.0.0.1:0: wss:// needs --tls-cert and --tls-key" wss://127.0.0.1:0
}

@test "TLS: AES-128-GCM by the server's order, even for a client that asks for AES-256-GCM first; AES-256-GCM when that is all a client has" {
	start_server "${TLS[@]}" 127.0.0.1:0
	# gnutls-cli and openssl s_client both put AES-256-GCM first
	run sh -c 'echo | timeout 10 gnutls-cli --insecure -p "$1" 127.0.0.1' sh "$PORT"
	echo "$output"
	[[ $output == *"-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)"* ]]
	run sh -c 'echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" 2>/dev/null' sh "$PORT"
	[[ $output == *"Cipher is TLS_AES_128_GCM_SHA256"* ]]
	run sh -c 'echo | timeout 10 gnutls-cli --insecure --priority NORMAL:-CIPHER-ALL:+AES-256-GCM -p "$1" 127.0.0.1' sh "$PORT"
	echo "$output"
	[[ $output == *"-(AES-256-GCM)"* ]]
	stop_server
	[ "$STATUS" -eq 0 ]
}

@test "TLS: a client that sends its Finished, the request and a frame in one write is answered at once" {
	# ws-listen reads ahead of GnuTLS: the request and the frame are read
	# with the handshake's last record, and no poll says they are there
	start_echo "${TLS[@]}" 127.0.0.1:0
	run timeout 10 "$PY" "$H/tls_burst.py" client "$C/cert.pem" "$PORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "HTTP/1.1 101 Switching Protocols" ]
	[ "${lines[1]}" = "text hello" ]
	stop_server
	[ "$STATUS" -eq 0 ]
}

@test "TLS: what was read ahead while stdout was full is written once it drains, the client still connected" {
	# stdout a fifo nobody reads yet: ws-listen stops reading its clients
	rm -f "$T/slow"
	mkfifo "$T/slow"
	exec {SLOW}<>"$T/slow"
	start_io /dev/null "$T/slow" "${TLS[@]}" 127.0.0.1:0
	wsc --cafile "$C/cert.pem" "wss://127.0.0.1:$PORT/" many:3000:1000 say:sent hold:20000 >"$T/c1.out" &
	CL=$!
	PIDS+=("$CL")
	wait_until has_line "$T/c1.out" sent
	# now a reader: every message must come out while the client still
	# holds the connection (its close would wake ws-listen anyway), what
	# ws-listen read ahead of GnuTLS before it paused included
	cat <&"$SLOW" >"$T/got" &
	PIDS+=($!)
	exec {SLOW}<&-
	wait_until lines_in "$T/got" 3000
	kill -0 "$CL"
	[ "$(grep -c '"data":"m[0-9]*\.*"' "$T/got")" -eq 3000 ]
}
