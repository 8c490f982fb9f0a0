# nginx_lib.sh: nginx for the mount tests (sourced after lib.sh), never the
# system service: its own prefix ($NGINX_P = $T/nginx), config and pid file,
# on a free loopback port, stopped by the cleanup.
command -v nginx >/dev/null || fail "nginx is not installed (contrib/deps.sh installs it)"
NGINX_PID="" NGINX_PORT="" NGINX_P=$T/nginx

stop_nginx() {
	[ -n "$NGINX_PID" ] || return 0
	stop_pid "$NGINX_PID"
	NGINX_PID=""
}
at_cleanup stop_nginx

# start_nginx [--master] HOST CERT KEY BODY: writes $NGINX_P/nginx.conf (TLS on
# 127.0.0.1:$NGINX_PORT for HOST with ssl_certificate CERT and
# ssl_certificate_key KEY, answering BODY), checks it with nginx -t, starts
# nginx (one process, or a master that takes -s reload with --master) and
# waits until the port accepts connections.
start_nginx() {
	local master="master_process off;"
	[ "$1" = --master ] && { master=""; shift; }
	local host=$1 cert=$2 key=$3 body=$4 P=$NGINX_P i
	NGINX_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$P/logs"
	cat >"$P/nginx.conf" <<EOC
daemon off;
$master
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
		listen 127.0.0.1:$NGINX_PORT ssl;
		server_name $host;
		ssl_certificate $cert;
		ssl_certificate_key $key;
		default_type text/plain;
		return 200 "$body\n";
	}
}
EOC
	nginx -t -p "$P" -c "$P/nginx.conf" >"$P/t.out" 2>&1 || fail "nginx -t rejected the mount's files: $(cat "$P/t.out")"
	nginx -p "$P" -c "$P/nginx.conf" >"$P/out" 2>&1 &
	NGINX_PID=$!
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null && return 0
		kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited: $(tail -5 "$P/logs/error.log")"
		sleep 0.1
	done
	fail "nginx does not listen on 127.0.0.1:$NGINX_PORT: $(tail -5 "$P/logs/error.log")"
}
