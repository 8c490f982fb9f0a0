#!/usr/bin/env bash
# -o share=: a shared answer older than the reader's ttl is a miss (a mount
# with ttl=3 never takes mount 1's 5 s old copy, whatever mount 1's ttl),
# and .cas/refresh reaches the service (the fleet's copies from before it
# are not taken).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 60 --seed 3
start_redis
mount_fleet 1 "$(share_url)"
mount_fleet 2 "$(share_url)" ttl=3
mount_fleet 3 # no share: the console
id=$(first_instance '.Status == "normal" and .AutoReissue == "enable"')
echo 1 >"$T/m1/.cas/refresh"
expect_eq "$(jq -r .AutoReissue "$T/m1/instances/$id/config")" enable "mount 1's read (stored in Redis, ttl 60)"
bash -c 'echo "{\"AutoReissue\":\"disable\"}" > "$1"' _ "$T/m3/instances/$id/config"
expect_eq "$(applied UpdateInstance)" 1 "changed out of band"
sleep 4
d0=$(audit_count GetInstanceDetail)
expect_eq "$(jq -r .AutoReissue "$T/m2/instances/$id/config")" disable "mount 2 (ttl=3) 4 s after the change (GetInstanceDetail $d0 -> $(audit_count GetInstanceDetail))"
# .cas/refresh: mount 1 (ttl 60) stored the old copy again? put one there, then refresh mount 2
bash -c 'echo "{\"AutoReissue\":\"enable\"}" > "$1"' _ "$T/m3/instances/$id/config"
d1=$(audit_count GetInstanceDetail)
echo 1 >"$T/m2/.cas/refresh"
expect_eq "$(jq -r .AutoReissue "$T/m2/instances/$id/config")" enable "mount 2 after .cas/refresh"
[ "$(audit_count GetInstanceDetail)" -gt "$d1" ] || fail ".cas/refresh did not reach the service"
