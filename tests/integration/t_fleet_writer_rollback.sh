#!/usr/bin/env bash
# -o share=: a mutation whose publish fails (Redis blocked for a moment by
# DEBUG SLEEP) is kept pending and replayed (INCR + PUBLISH) before any
# lookup may take a shared answer: the writer's next listing, once Redis
# answers again, is never the fleet's pre-delete copy (it lists again,
# without the deleted instance).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 12 --seed 91
start_redis
mount_fleet 1 "$(share_url)" allow_delete
mount_fleet 2 "$(share_url)"
a=$(emu_get state | jq -r '.instances[0].InstanceId')
ls "$T/m1/instances" | grep -qx "$a" || fail "setup: $a not listed"
echo 1 >"$T/m1/.cas/refresh"
ls "$T/m1/instances" >/dev/null # the list is in Redis now
sleep 0.3
rcli DEBUG SLEEP 1.2 >/dev/null &
sl=$!
sleep 0.1
rmdir "$T/m1/instances/$a" || fail "rmdir $a"
expect_eq "$(applied DeleteInstance)" "1" "DeleteInstance applied"
log "published at the delete: $(stat_of 1 .share.published), pending: $(stat_of 1 .share.pending)"
wait $sl
sleep 1.3 # past the 1 s rest: Redis answers again
l0=$(audit_count ListInstances)
if ls "$T/m1/instances" | grep -qx "$a"; then
	fail "2.5 s after its own delete mount 1 lists $a again (ListInstances $l0 -> $(audit_count ListInstances), share.hits=$(stat_of 1 .share.hits))"
fi
[ -d "$T/m1/instances/$a" ] && fail "stat of the deleted $a succeeds on mount 1"
expect_eq "$(stat_of 1 .share.pending)" "0" "changes pending after Redis answered"
log "published=$(stat_of 1 .share.published) ListInstances $l0 -> $(audit_count ListInstances)"
