#!/usr/bin/env bash
# .cas/refresh drops every cache, the kernel's included: a change, an added
# and a deleted instance behind the mount become visible at once, long before
# the TTL; until then the cached state is served without calls. .cas/stats
# counts the misses and hits of these reads.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 8 --seed 71
mount_casfs ttl=600

stats() { jq -r ".cache.$1" "$MNT/.cas/stats"; }
mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
id=${ids[2]} gone=${ids[5]}
d=$MNT/instances/$id

# a miss, then a hit
h0=$(stats hits) m0=$(stats misses)
cat "$d/detail" >"$T/d1"
h1=$(stats hits) m1=$(stats misses)
[ "$m1" -gt "$m0" ] || fail ".cas/stats misses did not grow on a first read ($m0 → $m1)"
calls=$(audit_count GetInstanceDetail)
expect_eq "$calls" "1" "detail calls after the first read"
cat "$d/detail" >"$T/d2"
cmp -s "$T/d1" "$T/d2" || fail "second read differs"
h2=$(stats hits) m2=$(stats misses)
[ "$h2" -gt "$h1" ] || fail ".cas/stats hits did not grow on a cached read ($h1 → $h2)"
expect_eq "$m2" "$m1" ".cas/stats misses on a cached read"
expect_eq "$(audit_count GetInstanceDetail)" "1" "detail calls after a cached read"
cat "$d/name" >"$T/n1"
ls "$MNT/instances" >"$T/ls1"

# changes behind the mount: an update, a new instance, a deleted one
emu_post "instances/$id" '{"CertificateName":"changed-for-refresh"}'
emu_post "instances/cas-cn-addedbehind" '{"Status":"normal"}'
curl -sf -X DELETE "$EMU_URL/_emulator/instances/$gone" >/dev/null || fail "could not delete $gone"

# within the TTL nothing is visible and no call is made
cmp -s "$d/detail" "$T/d1" || fail "detail changed before the TTL or a refresh"
cmp -s "$d/name" "$T/n1" || fail "name changed before the TTL or a refresh"
ls "$MNT/instances" >"$T/ls2"
cmp -s "$T/ls1" "$T/ls2" || fail "listing changed before the TTL or a refresh"
expect_eq "$(audit_count GetInstanceDetail)" "1" "detail calls while cached"

# refresh: everything visible immediately
rc=0
echo 1 >"$MNT/.cas/refresh" || rc=$?
expect_eq "$rc" "0" "echo 1 > .cas/refresh"
expect_eq "$(jq -r .CertificateName "$d/detail")" "changed-for-refresh" "detail after refresh"
expect_eq "$(cat "$d/name")" "changed-for-refresh" "name after refresh"
expect_eq "$(stat -c %s "$d/name")" "$(cat "$d/name" | wc -c)" "st_size of name after refresh"
expect_eq "$(stat -c %s "$d/detail")" "$(cat "$d/detail" | wc -c)" "st_size of detail after refresh"
ls "$MNT/instances" >"$T/ls3"
grep -qx cas-cn-addedbehind "$T/ls3" || fail "added instance not listed after refresh"
grep -qxF "$gone" "$T/ls3" && fail "deleted instance still listed after refresh"
expect_fail "No such file or directory" stat "$MNT/instances/$gone"
expect_fail "No such file or directory" cat "$MNT/instances/$gone/detail"
[ -d "$MNT/instances/cas-cn-addedbehind" ] || fail "added instance not reachable after refresh"
[ "$(stat -c %s "$MNT/instances/cas-cn-addedbehind/detail")" -gt 0 ] || fail "added instance has an empty detail"
expect_eq "$(audit_count GetInstanceDetail "(.params.InstanceId == \"$id\")")" "2" "detail calls for the changed instance"

# the stats count the new misses, then hits again
m3=$(stats misses)
[ "$m3" -gt "$m2" ] || fail ".cas/stats misses did not grow after refresh ($m2 → $m3)"
h3=$(stats hits)
cat "$d/detail" >/dev/null
[ "$(stats hits)" -gt "$h3" ] || fail ".cas/stats hits did not grow after refresh"
expect_eq "$(stats misses)" "$m3" "no new miss on a cached read after refresh"
echo PASS
