#!/usr/bin/env bash
# -o share= (a fleet of three mounts of one account, each its own host with
# its own state directory, sharing one redis-server): a cold tar of 300
# instances on all three at once costs about the calls of one mount (one
# GetInstanceDetail per instance, the margin being each mount's own probe
# page); the fleet's aggregate request rate stays within the account's limit
# (the emulator's --qps, no throttle answer); with -o keys no private key is
# ever in Redis (every key DUMPed); a write through mount 1 reads back
# through mount 2 at once (the invalidation is published).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
Q=40
start_emulator --instances 300 --seed 3 --qps $Q
start_redis
for i in 1 2 3; do mount_fleet $i "$(share_url)" keys qps=$Q; done

tar_all 1 2 3
n=$(emu_get state | jq '.instances | length')
det=$(audit_count GetInstanceDetail)
log "calls: $(jq -r .action "$AUDIT" | sort | uniq -c | tr '\n' ' ')"
expect_eq "$det" "$n" "GetInstanceDetail calls of three mounts (one per instance for the fleet)"
# a listing of 300 is 3 pages; each mount probes page 1 on its own at mount time
lists=$(audit_count ListInstances)
[ "$lists" -le 5 ] || fail "ListInstances: $lists calls for three mounts (one listing + 2 extra probes expected)"
# certificates: -o keys fetches its own, so up to one per mount and issued instance
issued=$(emu_get state | jq '[.instances[] | select(.CertificateId != null and .CertificateId != "")] | length')
certs=$(audit_count GetUserCertificateDetail)
log "GetUserCertificateDetail: $certs for $issued issued instances on 3 mounts with -o keys"
# the rate: nobody was throttled, the fleet never ran ahead of the limit by more than one bucket's burst
expect_eq "$(jq -c 'select(.error // "" | test("Throttl"))' "$AUDIT" | wc -l)" "0" "throttled requests"
ex=$(audit_rate_excess $Q)
log "rate: fleet ran ahead of $Q QPS by at most $ex requests"
[ "$ex" -le $((Q / 10 + 2)) ] || fail "the fleet ran ahead of the account's $Q QPS by $ex requests"
for i in 1 2 3; do
	expect_eq "$(stat_of $i .share.up)" true "mount $i share.up"
done
[ "$(( $(stat_of 1 .share.hits) + $(stat_of 2 .share.hits) + $(stat_of 3 .share.hits) ))" -gt 300 ] ||
	fail "fewer than 300 reads answered by the fleet's copy"

# ---- no private key in Redis while mounts run with -o keys
grep -q "PRIVATE KEY" "$T/m1/instances/"*/key.pem 2>/dev/null || fail "test setup: mount 1 shows no key.pem"
: >"$T/dump"
rcli --scan >"$T/keys"
[ -s "$T/keys" ] || fail "Redis holds no key at all"
while read -r k; do rcli --no-raw DUMP "$k" >>"$T/dump"; rcli --raw GET "$k" >>"$T/dump" 2>/dev/null || true; done <"$T/keys"
# the armour, the members that carry keys, a line of a real key, the AccessKey secret
kline=$(sed -n 2p "$(ls "$T/m1/instances/"*/key.pem | head -1)")
grep -E "PRIVATE KEY|\"(Key|SignPrivateKey|EncryptPrivateKey|PrivateKey)\":|$SK|${kline:0:40}" "$T/dump" >"$T/found" && fail "secret material in Redis: $(head -c 300 "$T/found")"
log "Redis: $(wc -l <"$T/keys") keys, none with key material"

# ---- a write through mount 1 reads back through mount 2 at once
id=$(first_instance '.Status == "normal" and .AutoReissue == "enable"')
cat "$T/m2/instances/$id/config" >/dev/null
bash -c 'echo "{\"AutoReissue\":\"disable\"}" > "$1"' _ "$T/m1/instances/$id/config"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied"
got=$(jq -r .AutoReissue "$T/m2/instances/$id/config")
expect_eq "$got" disable "AutoReissue read through mount 2 right after the write through mount 1"
[ "$(stat_of 2 .share.received)" -ge 1 ] || fail "mount 2 received no invalidation"
