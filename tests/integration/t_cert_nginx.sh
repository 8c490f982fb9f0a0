#!/usr/bin/env bash
# A real client: nginx (its own prefix, config and pid file under the test's
# directory, a loopback ephemeral port, never the system service) serves TLS
# with ssl_certificate = fullchain.pem and ssl_certificate_key = key.pem
# straight from a -o keys mount; curl verifies the chain against the
# emulator's root for the instance's domain. Without -o keys nginx cannot
# start (there is no key.pem), and says so.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nginx_lib.sh"

start_emulator --instances 12 --seed 11
emu_get ca.pem >"$T/root.pem"
mount_casfs keys
# a currently valid certificate whose key the service holds (not an uploaded CSR)
id=$(emu_get state | jq -r '[.instances[] | select(.CertificateId != null and .Status == "normal" and
	.GenerateCsrMethod == "online")][0].InstanceId')
[ -n "$id" ] && [ "$id" != null ] || fail "no suitable instance in the data set"
name=$(cut -d, -f1 <"$MNT/instances/$id/domain")
host=${name/#\*./www.} # a wildcard is served for www.<base>
start_nginx "$host" "$MNT/instances/$id/fullchain.pem" "$MNT/instances/$id/key.pem" "served by nginx from a casfs mount"
PORT=$NGINX_PORT P=$NGINX_P
body=$(curl -sS --max-time 5 --cacert "$T/root.pem" --resolve "$host:$PORT:127.0.0.1" "https://$host:$PORT/" 2>"$T/curl.err") || true
expect_eq "$body" "served by nginx from a casfs mount" "body over verified TLS ($(cat "$T/curl.err"))"
# the chain curl saw is the instance's
curl -sS -v --cacert "$T/root.pem" --resolve "$host:$PORT:127.0.0.1" "https://$host:$PORT/" -o /dev/null 2>"$T/curl.v"
grep -q "SSL certificate verify ok" "$T/curl.v" || fail "curl did not verify the chain: $(grep -i ssl "$T/curl.v" | head -5)"
# the wrong root is refused: the verification is real
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other -keyout "$T/o.key" \
	-out "$T/other.pem" -days 1 2>/dev/null
expect_fail "" curl -sS --max-time 5 --cacert "$T/other.pem" --resolve "$host:$PORT:127.0.0.1" "https://$host:$PORT/"
stop_nginx
grep -q "PRIVATE KEY" "$T/casfs.log" && fail "a private key marker in the casfs log"

# without -o keys there is no key.pem, and nginx -t says which file is missing
remount_casfs
rc=0
nginx -t -p "$P" -c "$P/nginx.conf" >"$P/t2.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "nginx -t accepted a configuration whose key file does not exist"
grep -q "key.pem" "$P/t2.out" || fail "nginx did not name the missing key: $(cat "$P/t2.out")"
echo PASS
