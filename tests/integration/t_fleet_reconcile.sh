#!/usr/bin/env bash
# -o share=: the read that learns whether a mutation applied reaches the
# service, never the fleet's copy from before the change: an UpdateInstance
# whose answer is malformed (applied, response lost) is reconciled by a
# GetInstanceDetail call and succeeds, as it does without a fleet.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 60 --seed 3
start_redis
mount_fleet 1 "$(share_url)"
id=$(first_instance '.Status == "normal" and .AutoReissue == "enable"')
echo 1 >"$T/m1/.cas/refresh"
cat "$T/m1/instances/$id/config" >/dev/null # the detail is in Redis now
d0=$(audit_count GetInstanceDetail)
emu_post faults 'malformed=1@UpdateInstance#1'
rc=0
bash -c 'echo "{\"AutoReissue\":\"disable\"}" > "$1"' _ "$T/m1/instances/$id/config" 2>"$T/w.err" || rc=$?
emu_post faults ''
expect_eq "$(applied UpdateInstance)" "1" "UpdateInstance applied"
[ "$(audit_count GetInstanceDetail)" -gt "$d0" ] || fail "no GetInstanceDetail reached the service to reconcile (the fleet's pre-write copy answered)"
expect_eq "$rc" "0" "the write's status (applied, response lost, reconciled: $(cat "$T/w.err"))"
expect_eq "$(jq -r .AutoReissue "$T/m1/instances/$id/config")" "disable" "AutoReissue read back"
