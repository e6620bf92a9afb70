#!/bin/sh
# Make the certificates of the ws-connect TLS tests in DIR with certtool
# (gnutls-bin), each NAME.pem with its key NAME.key:
#
#   ca         the test CA
#   other      another CA, which signed nothing the servers use
#   good       localhost and 127.0.0.1, signed by ca
#   wrongname  elsewhere.example only, signed by ca
#   expired    localhost and 127.0.0.1, signed by ca, valid 2020 to 2021
#   client     a client certificate ("wsflow client"), signed by ca
#   stranger   a client certificate signed by other
#
# certtool takes `expiration_days = -1` as "no expiry", so the expired one
# has its dates set: activation_date and expiration_date in the past.
set -e
dir=$1
[ -n "$dir" ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$dir"
cd "$dir"
valid='activation_date = "2020-01-01 00:00:00 UTC"
expiration_date = "2099-12-31 23:59:59 UTC"'

# mk NAME SIGNER TEMPLATE: SIGNER "self" for a self-signed CA
mk() {
	certtool --generate-privkey --key-type=ecdsa --outfile "$1.key" 2>/dev/null
	printf '%s\n' "$3" >"$1.tmpl"
	if [ "$2" = self ]; then
		certtool --generate-self-signed --load-privkey "$1.key" \
			--template "$1.tmpl" --outfile "$1.pem" 2>/dev/null
	else
		certtool --generate-certificate --load-privkey "$1.key" \
			--load-ca-certificate "$2.pem" --load-ca-privkey "$2.key" \
			--template "$1.tmpl" --outfile "$1.pem" 2>/dev/null
	fi
	[ -s "$1.pem" ]
}

mk ca self "cn = \"wsflow test CA\"
ca
cert_signing_key
$valid"
mk other self "cn = \"wsflow other CA\"
ca
cert_signing_key
$valid"
mk good ca "cn = \"localhost\"
dns_name = \"localhost\"
ip_address = \"127.0.0.1\"
tls_www_server
$valid"
mk wrongname ca "cn = \"elsewhere.example\"
dns_name = \"elsewhere.example\"
tls_www_server
$valid"
mk expired ca "cn = \"localhost\"
dns_name = \"localhost\"
ip_address = \"127.0.0.1\"
tls_www_server
activation_date = \"2020-01-01 00:00:00 UTC\"
expiration_date = \"2021-01-01 00:00:00 UTC\""
mk client ca "cn = \"wsflow client\"
tls_www_client
$valid"
mk stranger other "cn = \"stranger\"
tls_www_client
$valid"
