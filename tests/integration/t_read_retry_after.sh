#!/usr/bin/env bash
# One Throttling.User answer asking for an hour
# (x-acs-retry-after: 3600000) does not stop the mount. The call that got
# it fails (EAGAIN, or ETIMEDOUT at its deadline); the pause it imposes on
# the client ends by that call's deadline, so a later read and a later write
# (default options, -o timeout=20) reach the service and succeed within
# their own timeout. The audit log is the oracle: the later calls arrive.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 6
mount_casfs
mapfile -t ids < <(emu_get instances | jq -r '.[]')
ls "$MNT/instances" >/dev/null
emu_post faults 'throttle:3600000=1@GetInstanceDetail#1'
rc=0
cat "$MNT/instances/${ids[0]}/detail" >/dev/null 2>"$T/r0.err" || rc=$?
expect_eq "$(audit_count GetInstanceDetail '.code == "Throttling.User"')" 1 "throttled answers"
log "first read: rc $rc $(cat "$T/r0.err")"

# a later read: reaches the service and succeeds
d0=$(audit_count GetInstanceDetail '.status == 200')
timeout 30 cat "$MNT/instances/${ids[1]}/detail" >"$T/d1" 2>"$T/r1.err" ||
	fail "a read after the hour-long Retry-After failed: $(cat "$T/r1.err")"
expect_eq "$(jq -r .InstanceId "$T/d1")" "${ids[1]}" "the later read's detail"
[ "$(audit_count GetInstanceDetail '.status == 200')" -gt "$d0" ] || fail "the later read never reached the service"

# a later write: reaches the service, applied
timeout 30 bash -c 'echo "{\"City\":\"AfterAnHour\"}" > "$1"' _ "$MNT/instances/${ids[2]}/config" 2>"$T/w.err" ||
	fail "a write after the hour-long Retry-After failed: $(cat "$T/w.err")"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied after the Retry-After"
expect_eq "$(emu_instance "${ids[2]}" | jq -r .City)" AfterAnHour "remote City"
echo PASS
