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
command -v nginx >/dev/null || fail "nginx is not installed (contrib/deps.sh installs it)"
NGINX_PID=""
stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	stop_pid "$NGINX_PID"
	NGINX_PID=""
}
trap 'r=$?; set +e; stop_nginx; (exit $r); cleanup' EXIT

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
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

P=$T/nginx
mkdir -p "$P/logs" "$P/html"
echo "uploaded through casfs, served by nginx" >"$P/html/index.html"
cat >"$P/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $P/nginx.pid;
error_log $P/logs/error.log info;
events { worker_connections 16; }
http {
	access_log $P/logs/access.log;
	client_body_temp_path $P/tmp_body;
	proxy_temp_path $P/tmp_proxy;
	fastcgi_temp_path $P/tmp_fastcgi;
	uwsgi_temp_path $P/tmp_uwsgi;
	scgi_temp_path $P/tmp_scgi;
	server {
		listen 127.0.0.1:$PORT ssl;
		server_name $host;
		ssl_certificate $C/$host/fullchain.pem;
		ssl_certificate_key $C/$host/key.pem;
		root $P/html;
	}
}
EOF
nginx -t -p "$P" -c "$P/nginx.conf" >"$P/t.out" 2>&1 || fail "nginx -t rejected the mount's files: $(cat "$P/t.out")"
nginx -p "$P" -c "$P/nginx.conf" >"$P/out" 2>&1 &
NGINX_PID=$!
body=""
for i in $(seq 1 100); do
	body=$(curl -sS --max-time 5 --cacert "$T/root.pem" --resolve "$host:$PORT:127.0.0.1" "https://$host:$PORT/" 2>"$T/curl.err") && break
	kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited: $(tail -5 "$P/logs/error.log")"
	sleep 0.1
done
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
