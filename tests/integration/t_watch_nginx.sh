#!/usr/bin/env bash
# A real reaction loop: nginx serves an instance's certificate straight from
# a -o keys,watch=2 mount; a background `tail -f .cas/events | ...` reloads
# nginx on a "renewed" line for that instance. After the emulator reissues
# the certificate (another CertificateId, which is the leaf's serial),
# openssl s_client sees the new serial within watch + 5 s, with no cron
# loop and no reader of the instance's files.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nginx_lib.sh"
LOOP_PID=""
at_cleanup '[ -z "$LOOP_PID" ] || kill -- -"$LOOP_PID" 2>/dev/null'
WATCH=2
start_emulator --instances 12 --seed 11
mount_casfs keys,watch=$WATCH
id=$(emu_get state | jq -r '[.instances[] | select(.CertificateId != null and .Status == "normal" and
	.GenerateCsrMethod == "online")][0].InstanceId')
[ -n "$id" ] && [ "$id" != null ] || fail "no suitable instance in the data set"
name=$(cut -d, -f1 <"$MNT/instances/$id/domain")
host=${name/#\*./www.}
start_nginx --master "$host" "$MNT/instances/$id/fullchain.pem" "$MNT/instances/$id/key.pem" ok
PORT=$NGINX_PORT P=$NGINX_P
serial() {
	openssl s_client -connect "127.0.0.1:$PORT" -servername "$host" </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | sed 's/^serial=//'
}
s0=""
for i in $(seq 1 100); do s0=$(serial) && [ -n "$s0" ] && break; sleep 0.1; done
cid=$(emu_instance "$id" | jq '.CertificateId')
expect_eq "$((16#$s0))" "$cid" "the serial nginx serves is the instance's CertificateId"

# the reaction loop: what an operator would run beside nginx
set -m
(
	tail -n 0 -f "$MNT/.cas/events" | while read -r line; do
		if [ "$(jq -r 'select(.kind == "renewed") | .path' <<<"$line")" = "/instances/$id" ]; then
			nginx -p "$P" -c "$P/nginx.conf" -s reload && echo "reloaded $(date +%s.%N)" >>"$T/reloads"
		fi
	done
) &
LOOP_PID=$!
set +m
# the loop's tail (a child of its subshell) has opened the feed at its end
tp=""
for i in $(seq 1 200); do tp=$(pgrep -P "$LOOP_PID" -x tail || true); [ -n "$tp" ] && break; sleep 0.1; done
[ -n "$tp" ] || fail "the reaction loop's tail did not start"
wait_following "$tp" "$MNT/.cas/events"

new=$((cid + 4242))
now=$(date +%s)
t0=$(date +%s.%N)
emu_post "instances/$id" "{\"CertificateId\": $new, \"CertificateNotBefore\": ${now}000, \"CertificateNotAfter\": $(( now + 90 * 86400 ))000}"
got=""
for i in $(seq 1 $(( (WATCH + 5) * 10 ))); do
	s=$(serial)
	[ -n "$s" ] && [ "$((16#$s))" = "$new" ] && { got=$new; break; }
	sleep 0.1
done
[ -s "$T/reloads" ] || fail "the loop never reloaded nginx: $(cat "$MNT/.cas/events")"
expect_eq "$got" "$new" "the serial openssl s_client sees within watch + 5 s after the reissue"
log "new serial served $(python3 -c "import time; print(round(time.time() - $t0, 2))") s after the reissue (watch $WATCH s)"
expect_eq "$(wc -l <"$T/reloads")" 1 "reloads (one renewal)"
echo PASS
