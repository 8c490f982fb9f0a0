#!/usr/bin/env bash
# .cas/metrics.prom through the real tools: node_exporter's textfile
# collector pointed at <mnt>/.cas serves the casfs series (the other files
# in .cas do not disturb it), promtool accepts the file, a NotAfter changed
# behind the mount shows after the ttl, and a scrape loop refreshes the
# list at most once per ttl (the emulator's audit log counts the calls).
# The alert rules in contrib/ pass promtool check rules and test rules.
source "$(dirname "$0")/lib.sh"
command -v prometheus-node-exporter >/dev/null || fail "prometheus-node-exporter is not installed (contrib/deps.sh)"
command -v promtool >/dev/null || fail "promtool is not installed (contrib/deps.sh installs prometheus)"
NE_PID=""
trap 'r=$?; set +e; [ -n "$NE_PID" ] && stop_pid "$NE_PID"; (exit $r); cleanup' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)

# the alert rules and their unit test
promtool check rules "$HERE/../../contrib/casfs-alerts.yml" >"$T/rules.out" 2>&1 || fail "promtool check rules: $(cat "$T/rules.out")"
(cd "$HERE" && promtool test rules casfs-alerts.test.yml) >"$T/rtest.out" 2>&1 || fail "promtool test rules: $(cat "$T/rtest.out")"

TTL=3
start_emulator --instances 12 --seed 11
mount_casfs ttl=$TTL
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address=127.0.0.1:$PORT --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$MNT/.cas" >"$T/ne.log" 2>&1 &
NE_PID=$!
scrape() { curl -sf --max-time 10 "http://127.0.0.1:$PORT/metrics"; }
for i in $(seq 1 100); do scrape >"$T/s1" 2>/dev/null && break; sleep 0.1; done
[ -s "$T/s1" ] || fail "node_exporter did not answer: $(tail -5 "$T/ne.log")"
grep -q '^casfs_certificate_not_after_seconds{' "$T/s1" || fail "no casfs series in node_exporter's /metrics: $(grep -i textfile "$T/s1" | head)"
grep -q '^node_textfile_scrape_error 0' "$T/s1" || fail "the textfile collector reported an error: $(grep textfile "$T/s1"; tail -5 "$T/ne.log")"
for m in casfs_certificate_expired casfs_instances casfs_api_requests_total casfs_offline casfs_billing_month_calls \
	casfs_last_listing_timestamp_seconds casfs_listing_unions_total casfs_cache_stale_served_total; do
	grep -q "^$m[{ ]" "$T/s1" || fail "node_exporter does not show $m"
done
log "node_exporter shows $(grep -c '^casfs_' "$T/s1") casfs samples"

# promtool accepts the file as it is (copied: promtool reads stdin)
cp "$MNT/.cas/metrics.prom" "$T/m.prom"
promtool check metrics <"$T/m.prom" >"$T/pc.out" 2>&1 || fail "promtool check metrics: $(cat "$T/pc.out")"
# .cas/stats and the health series are one table: the same figures
sent=$(jq '.calls.ListInstances.sent' "$MNT/.cas/stats")
prom=$(sed -n 's/^casfs_api_requests_total{action="ListInstances"} //p' "$MNT/.cas/metrics.prom")
expect_eq "$prom" "$sent" "ListInstances in metrics.prom and .cas/stats"

# a NotAfter changed behind the mount shows after the ttl
id=$(jq -r '.instances[] | select(.CertificateNotAfter != null) | .InstanceId' <(emu_get state) | head -1)
want=1900000000
emu_post "instances/$id" "{\"CertificateNotAfter\": ${want}000}"
t0=$(date +%s.%N)
got=""
for i in $(seq 1 $(( (TTL + 3) * 10 ))); do
	got=$(scrape | sed -n "s/^casfs_certificate_not_after_seconds{.*id=\"$id\".*} //p")
	got=$(awk -v v="$got" 'BEGIN { printf "%d", v }') # node_exporter writes 1.9e+09
	[ "$got" = "$want" ] && break
	sleep 0.1
done
expect_eq "$got" "$want" "NotAfter of $id through node_exporter within ttl+3 s"
log "new NotAfter seen after $(python3 -c "import time; print(round(time.time() - $t0, 1))") s (ttl $TTL s)"

# the service's clock moved past another instance's NotAfter: expired after the ttl
id2=$(jq -r --arg a "$id" '[.instances[] | select(.CertificateNotAfter != null and .CertificateNotAfter > now * 1000 and .InstanceId != $a)]
	| sort_by(.CertificateNotAfter) | .[0] | "\(.InstanceId) \(.CertificateNotAfter)"' <(emu_get state))
na=${id2#* } id2=${id2% *}
expired() { scrape | sed -n "s/^casfs_certificate_expired{.*id=\"$id2\".*} //p"; }
[ "$(expired)" = 0 ] || fail "$id2 is expired before the clock moved"
emu_post clock "{\"offset_ms\": $(( na - $(date +%s%3N) + 86400000 ))}"
for i in $(seq 1 $(( (TTL + 3) * 10 ))); do [ "$(expired)" = 1 ] && break; sleep 0.1; done
expect_eq "$(expired)" 1 "casfs_certificate_expired of $id2 after the emulator's clock passed its NotAfter"
emu_post clock '{"offset_ms": 0}'

# the scrape loop: every 0.75 s for 12 s (15 s for 2 min, scaled to a ttl of
# 3 s instead of 60 s): one refresh at the start (the list expired during
# the sleep), then at most one per ttl of the time until the last scrape
# (11.25 s and 4 refreshes when scrapes take no time; a loaded machine
# stretches it, and a fifth refresh past 12 s is the ttl kept)
sleep $TTL
before=$(audit_count ListInstances)
t0=$(date +%s%N)
for i in $(seq 1 16); do
	[ "$i" = 1 ] || sleep 0.75
	scrape >/dev/null
done
ms=$(( ($(date +%s%N) - t0) / 1000000 )) # until the last scrape's answer
n=$(( $(audit_count ListInstances) - before ))
most=$(( ms / (TTL * 1000) + 1 ))
log "scrape loop: 16 scrapes in $ms ms, ttl $TTL s: $n ListInstances calls (12 instances: one page each; at most $most)"
[ "$n" -le "$most" ] || fail "16 scrapes in $ms ms made $n list calls, more than one per ttl (at most $most)"
[ "$(audit_count GetInstanceDetail)" -eq 0 ] || fail "metrics made GetInstanceDetail calls"
echo PASS
