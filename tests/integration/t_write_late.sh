#!/usr/bin/env bash
# A service that applies a mutation late never gets it
# twice. The emulator's slow fault holds the request, then applies it and
# answers (and applies it even when casfs has given up waiting). At the
# default timeout (20 s) a write whose answer takes 7.5 s (longer than a
# third of the timeout, once each HTTP attempt's share) succeeds with one
# call: AddCloudAccess (no idempotency token) registers exactly one
# AccessId, RefundInstance and DeleteCloudAccess are sent once. With
# -o timeout=4 and a service that applies after 6 s the writer gets the
# documented unknown outcome (EIO, "may have been applied",
# writes.outcome_unknown), and still exactly one AccessId is registered.
# The audit log is the oracle.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 8 --cloud-access 2
mount_casfs allow_delete
last_error() { tail -n1 "$MNT/.cas/errors"; }
added() { audit_count AddCloudAccess ".params.SecretId == \"$1\""; }
registered() { emu_get state | jq --arg s "$1" '[.cloud_access[] | select(.SecretId == $s)] | length'; }
wait_slow() { # ACTION N: until the emulator has answered N held requests of ACTION (at most 12 s)
	local i
	for i in $(seq 1 120); do
		[ "$(audit_count "$1" '.fault == "slow"')" -ge "$2" ] && break
		sleep 0.1
	done
	sleep 0.5 # anything sent after it has arrived too
}

# ---- AddCloudAccess applied 7.5 s late, default options: success, one AccessId
ls "$MNT/cloud-access" >/dev/null
emu_post faults 'slow:7500=1@AddCloudAccess#1'
rc=0
bash -c 'printf "%s\n" "$2" > "$1"' _ "$MNT/cloud-access/new" \
	'{"CloudName":"Tencent","SecretId":"AKIDlate1","SecretKey":"s3cr3tLate1"}' 2>"$T/w1.err" || rc=$?
wait_slow AddCloudAccess 1
expect_eq "$(added AKIDlate1)" 1 "AddCloudAccess sends for a slow answer"
expect_eq "$(registered AKIDlate1)" 1 "AccessIds registered for a slow answer"
if [ "$rc" -ne 0 ]; then # only the documented unknown outcome may replace success
	grep -q "Input/output error" "$T/w1.err" || fail "slow AddCloudAccess: $(cat "$T/w1.err")"
	last_error | jq -e '.message | test("may have been applied")' >/dev/null || fail "record: $(last_error)"
fi
grep -q "not applied, sending again" "$T/casfs.log" && fail "the log shows a resend"

# ---- RefundInstance applied 7.5 s late: one call, success
r=$(emu_get state | jq -r '[.instances[] | select(.InstanceType == "BUY" and .Status == "inactive")][0].InstanceId')
[ -n "$r" ] && [ "$r" != null ] || fail "no refundable instance"
cat "$MNT/instances/$r/status" >/dev/null
emu_post faults 'slow:7500=1@RefundInstance#1'
rc=0
bash -c 'echo 1 > "$1"' _ "$MNT/instances/$r/refund" 2>"$T/w2.err" || rc=$?
wait_slow RefundInstance 1
expect_eq "$(audit_count RefundInstance)" 1 "RefundInstance sends for a slow answer"
expect_eq "$(emu_instance "$r" | jq -r .Status)" refund "remote Status after the slow refund"
[ "$rc" -eq 0 ] || grep -q "Input/output error" "$T/w2.err" || fail "slow refund: $(cat "$T/w2.err")"

# ---- DeleteCloudAccess applied 7.5 s late: one call, success
acc=$(emu_get state | jq -r '.cloud_access[0].AccessId')
ls "$MNT/cloud-access" >/dev/null
emu_post faults 'slow:7500=1@DeleteCloudAccess#1'
rc=0
rm "$MNT/cloud-access/$acc" 2>"$T/w3.err" || rc=$?
wait_slow DeleteCloudAccess 1
expect_eq "$(audit_count DeleteCloudAccess)" 1 "DeleteCloudAccess sends for a slow answer"
[ "$rc" -eq 0 ] || grep -q "Input/output error" "$T/w3.err" || fail "slow delete: $(cat "$T/w3.err")"
emu_post faults ''

# ---- applied after the deadline (-o timeout=4, applied after 6 s): unknown outcome, one AccessId
remount_casfs timeout=4
ls "$MNT/cloud-access" >/dev/null
u0=$(jq .writes.outcome_unknown "$MNT/.cas/stats")
emu_post faults 'slow:6000=1@AddCloudAccess#1'
rc=0
bash -c 'printf "%s\n" "$2" > "$1"' _ "$MNT/cloud-access/new" \
	'{"CloudName":"Tencent","SecretId":"AKIDlate2","SecretKey":"s3cr3tLate2"}' 2>"$T/w4.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a write whose outcome casfs cannot know succeeded"
grep -q "Input/output error" "$T/w4.err" || fail "expected EIO, got: $(cat "$T/w4.err")"
last_error | jq -e '.errno == "EIO" and (.message | test("may have been applied"))' >/dev/null ||
	fail "the record does not say the change may have been applied: $(last_error)"
expect_eq "$(jq .writes.outcome_unknown "$MNT/.cas/stats")" $((u0 + 1)) "writes.outcome_unknown"
wait_slow AddCloudAccess 2
expect_eq "$(added AKIDlate2)" 1 "AddCloudAccess sends after the deadline"
expect_eq "$(registered AKIDlate2)" 1 "AccessIds registered after the deadline"
echo PASS
