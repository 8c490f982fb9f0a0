#!/usr/bin/env bash
# -o share=: a mutation never sent (-o dry_run, a refused value) publishes
# nothing: the fleet's generation stays and no mount drops its cache.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 60 --seed 3
start_redis
mount_fleet 1 "$(share_url)" dry_run
mount_fleet 2 "$(share_url)"
id=$(first_instance '.Status == "normal" and .AutoReissue == "enable"')
cat "$T/m2/instances/$id/config" >/dev/null
g0=$(rcli --scan --pattern '*:gen' | xargs -r rcli GET)
bash -c 'echo "{\"AutoReissue\":\"disable\"}" > "$1"' _ "$T/m1/instances/$id/config" || true
sleep 0.3
expect_eq "$(audit_count UpdateInstance)" 0 "UpdateInstance sent under dry_run"
expect_eq "$(stat_of 1 .share.published)" 0 "changes published by the dry_run mount"
expect_eq "$(rcli --scan --pattern '*:gen' | xargs -r rcli GET)" "$g0" "the fleet's generation"
umount_fleet 1
mount_fleet 3 "$(share_url)"
bash -c 'echo "{\"AutoReissue\":\"maybe\"}" > "$1"' _ "$T/m3/instances/$id/config" 2>/dev/null && fail "a bad value was accepted"
sleep 0.3
expect_eq "$(audit_count UpdateInstance)" 0 "UpdateInstance sent for a refused value"
expect_eq "$(stat_of 3 .share.published)" 0 "changes published for a refused value"
expect_eq "$(stat_of 2 .share.received)" 0 "invalidations received by mount 2"
