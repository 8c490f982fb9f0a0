#!/usr/bin/env bash
# A certificate UPLOADED through the mount is served by nginx (issue 19):
# the certbot deploy hook (mkdir + cp fullchain.pem privkey.pem) makes one
# UploadUserCertificate; once the directory settles it shows the stored
# certificate, and with -o keys nginx takes ssl_certificate = its
# fullchain.pem and ssl_certificate_key = its key.pem (read back from
# GetUserCertificateDetail, not from the staged copy); curl --cacert with the
# emulator's root verifies the chain, and a wrong root is refused. nginx runs
# under the test's own prefix on a loopback ephemeral port.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
source "$(dirname "$0")/nginx_lib.sh"

start_emulator --instances 3 --seed 21
emu_get ca.pem >"$T/root.pem"
mount_casfs keys
C=$MNT/certificates
host=up.example.test
make_live "$T/live/$host" "$host"
ls "$C" >/dev/null
u0=$(uploads)
mkdir "$C/$host"
cp "$T/live/$host/fullchain.pem" "$T/live/$host/privkey.pem" "$C/$host/"
expect_eq "$(($(uploads) - u0))" 1 "deploy hook: UploadUserCertificate calls"
id=$(store_entry "$host" | jq -r .CertificateId)
[ -n "$id" ] && [ "$id" != null ] || fail "not stored under $host: $(emu_get store)"
sleep 2.3 # settled: the directory is the stored certificate's
expect_eq "$(cat "$C/$host/id")" "$id" "the directory's id"
expect_present "$C/$host" key.pem
# what nginx will read is the stored certificate and its key
cmp -s "$C/$host/fullchain.pem" "$T/live/$host/fullchain.pem" || fail "fullchain.pem differs from the upload"
expect_eq "$(openssl pkey -in "$C/$host/key.pem" -pubout 2>&1)" "$(openssl pkey -in "$T/live/$host/privkey.pem" -pubout)" \
	"key.pem is the uploaded key"
expect_eq "$(audit_count GetUserCertificateDetail ".params.CertId == \"$id\" or .params.CertId == $id")" 1 \
	"GetUserCertificateDetail calls for the uploaded certificate"
start_nginx "$host" "$C/$host/fullchain.pem" "$C/$host/key.pem" "uploaded through casfs, served by nginx"
PORT=$NGINX_PORT
body=$(curl -sS --max-time 5 --cacert "$T/root.pem" --resolve "$host:$PORT:127.0.0.1" "https://$host:$PORT/" 2>"$T/curl.err") || true
expect_eq "$body" "uploaded through casfs, served by nginx" "body over verified TLS ($(cat "$T/curl.err"))"
curl -sS -v --cacert "$T/root.pem" --resolve "$host:$PORT:127.0.0.1" "https://$host:$PORT/" -o /dev/null 2>"$T/curl.v"
grep -q "SSL certificate verify ok" "$T/curl.v" || fail "curl did not verify the chain: $(grep -i ssl "$T/curl.v" | head -5)"
# the served leaf is the uploaded one
served=$(openssl s_client -connect "127.0.0.1:$PORT" -servername "$host" </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
expect_eq "$served" "$(fp_of "$T/live/$host/cert.pem")" "the served leaf's fingerprint"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other -keyout "$T/o.key" \
	-out "$T/other.pem" -days 1 2>/dev/null
expect_fail "" curl -sS --max-time 5 --cacert "$T/other.pem" --resolve "$host:$PORT:127.0.0.1" "https://$host:$PORT/"
stop_nginx
expect_eq "$(($(uploads) - u0))" 1 "UploadUserCertificate calls in all"
grep -q "PRIVATE KEY" "$T/casfs.log" && fail "a private key marker in the casfs log"
echo PASS
