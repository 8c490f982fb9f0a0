#!/usr/bin/env bash
# The certificate store in the metrics and the change feed (issues 19 and
# 20): .cas/metrics.prom has one casfs_certificate_* sample per stored
# certificate with source="store", served from the cached store list (at
# most one ListCertificates walk per ttl, never a detail); .cas/events has
# a "mutation" line the moment an upload or a delete through the mount
# returns, and with -o watch the store's changes behind the mount
# (appeared, renewed in a lineage, disappeared) reach `tail -f` (at the
# next round and tail's next poll: the cap is watch + 20 s, a loaded machine
# stretches both). The emulator's audit log counts every call.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
TAIL_PID=""
trap 'r=$?; set +e; [ -n "$TAIL_PID" ] && stop_pid "$TAIL_PID"; (exit $r); cleanup' EXIT
WATCH=2
TTL=3
start_emulator --instances 4 --seed 23
emu_post store '{"Name":"old.example","CommonName":"old.example","NotBefore":1500000000000,"NotAfter":1600000000000}'
emu_post store '{"Name":"site.example","CommonName":"site.example","NotBefore":1700000000000}'
mount_casfs watch=$WATCH,ttl=$TTL,allow_delete
C=$MNT/certificates
ls "$C" >/dev/null # the store list: the feed's baseline, no line
nstore=$(jq -s length "$MNT/certificates.jsonl")

# ---- metrics: one sample per stored certificate, from the cached list
l0=$(audit_count ListCertificates)
cat "$MNT/.cas/metrics.prom" >"$T/m1.prom"
expect_eq "$(grep -c '^casfs_certificate_not_after_seconds{source="store"' "$T/m1.prom")" "$nstore" "store samples of not_after"
expect_eq "$(grep -c '^casfs_certificate_expired{source="store"' "$T/m1.prom")" "$nstore" "store samples of expired"
oid=$(store_entry old.example | jq -r .CertificateId)
grep -q "^casfs_certificate_expired{source=\"store\",id=\"$oid\",domain=\"old.example\",.*} 1$" "$T/m1.prom" ||
	fail "the expired upload is not expired in the metrics: $(grep "$oid" "$T/m1.prom")"
grep -q "^casfs_certificate_not_after_seconds{source=\"store\",id=\"$oid\",.*} 1600000000$" "$T/m1.prom" ||
	fail "NotAfter of the expired upload: $(grep "$oid" "$T/m1.prom")"
grep -q '^casfs_source_up{source="store"} 1$' "$T/m1.prom" || fail "no casfs_source_up for the store"
expect_eq "$(($(audit_count ListCertificates) - l0))" 0 "ListCertificates of a scrape right after a listing"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/m1.prom" >"$T/promtool.out" 2>&1 || fail "promtool: $(cat "$T/promtool.out")"
fi

tail -n 0 -f "$MNT/.cas/events" >"$T/tail.out" 2>"$T/tail.err" &
TAIL_PID=$!
wait_following "$TAIL_PID" "$MNT/.cas/events"

# ---- an upload through the mount: a mutation line when cp returns
make_live "$T/live/up.example" up.example
mkdir "$C/up.example"
cp "$T/live/up.example/fullchain.pem" "$T/live/up.example/privkey.pem" "$C/up.example/"
uid=$(store_entry up.example | jq -r .CertificateId)
m=$(jq -c 'select(.kind == "mutation" and .path == "/certificates/up.example")' "$MNT/.cas/events")
[ -n "$m" ] || fail "the upload is not in .cas/events when cp returns: $(cat "$MNT/.cas/events")"
expect_eq "$(jq -r '[.action, .outcome, .fields.CertificateId.new, .fields.Name.new, .fields.Fingerprint.new] | join(" ")' <<<"$m")" \
	"UploadUserCertificate ok $uid up.example $(fp_of "$T/live/up.example/cert.pem")" "upload mutation line"

# ---- behind the mount: a new certificate, a renewal in a lineage
emu_post store '{"Name":"behind.example","CommonName":"behind.example","NotBefore":1700000000000}'
bid=$(store_entry behind.example | jq -r .CertificateId)
wait_line ".kind == \"appeared\" and .path == \"/certificates/by-id/$bid\"" $((WATCH + 20)) ||
	fail "no appeared line within watch + 20 s: $(cat "$T/tail.out")"
sid=$(store_entry site.example | jq -r .CertificateId)
emu_post store '{"Name":"site.example~2","CommonName":"site.example","NotBefore":1710000000000}'
rid=$(store_entry site.example~2 | jq -r .CertificateId)
wait_line ".kind == \"renewed\" and .path == \"/certificates/site.example\"" $((WATCH + 20)) ||
	fail "no renewed line within watch + 20 s: $(cat "$T/tail.out")"
r=$(jq -c 'select(.kind == "renewed" and .path == "/certificates/site.example")' "$T/tail.out")
expect_eq "$(jq -c '[.old.CertificateId, .new.CertificateId]' <<<"$r")" "[$sid,$rid]" "renewed: old and new CertificateId"

# ---- a delete through the mount: a mutation line at once, then disappeared
rm -r "$C/by-id/$oid/" 2>/dev/null || rmdir "$C/$(readlink "$C/by-id/$oid" | sed 's|^\.\./||')"
d=$(jq -c "select(.kind == \"mutation\" and .action == \"DeleteUserCertificate\")" "$MNT/.cas/events")
expect_eq "$(jq -r '[.outcome, .fields.CertificateId.old] | join(" ")' <<<"$d")" "ok $oid" "delete mutation line"
wait_line ".kind == \"disappeared\" and .path == \"/certificates/by-id/$oid\"" $((WATCH + 20)) ||
	fail "no disappeared line within watch + 20 s: $(cat "$T/tail.out")"
stop_pid "$TAIL_PID"
TAIL_PID=""
# each change reported once
for k in "appeared /certificates/by-id/$bid" "renewed /certificates/site.example" "disappeared /certificates/by-id/$oid"; do
	expect_eq "$(jq -r '.kind + " " + .path' "$MNT/.cas/events" | grep -cxF "$k")" 1 "lines '$k'"
done

# ---- scrapes: at most one store listing per ttl (watch off): every 0.5 s
# for 6.5 s, so 2 refreshes of the listing below, and the bound allowed one
# more. A loaded machine stretches the loop (each scrape, each sleep) and
# the ttl then allows more refreshes: the bound is one per ttl of the time
# the loop really took, counted from before the listing (so no refresh of
# it can fall outside), plus the same one of margin: 3 when unloaded, as before.
remount_casfs ttl=$TTL
t0=$(date +%s%N)
ls "$C" >/dev/null
l0=$(audit_count ListCertificates)
d0=$(audit_count GetUserCertificateDetail)
for i in $(seq 1 13); do
	cat "$MNT/.cas/metrics.prom" >/dev/null
	[ "$i" = 13 ] || sleep 0.5
done
ms=$(( ($(date +%s%N) - t0) / 1000000 )) # until the last scrape's answer
n=$(($(audit_count ListCertificates) - l0))
most=$(( ms / (TTL * 1000) + 1 ))
log "13 scrapes in $ms ms, ttl $TTL s: $n ListCertificates calls (one page each; at most $most)"
[ "$n" -le "$most" ] || fail "13 scrapes in $ms ms made $n store listings, more than one per ttl (at most $most)"
expect_eq "$(($(audit_count GetUserCertificateDetail) - d0))" 0 "details of the scrapes"
echo PASS
