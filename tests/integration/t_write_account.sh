#!/usr/bin/env bash
# Account mutations: refund inside the 7-day window (one applied
# RefundInstance, status becomes refund) and outside it (EPERM, reason in
# .cas/errors, nothing applied); rmdir of an instance (one DeleteInstance);
# cloud-access/new (AddCloudAccess, the new AccessId listed), the same add
# again (no call), bad adds (no call), rm of the entry (DeleteCloudAccess);
# and the SecretKey in no file of the mount, .cas/errors, the casfs debug
# log or the audit log.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 40 --seed 23
mount_casfs debug allow_delete

state=$(emu_get state)
now=$(jq .now_ms <<<"$state")
day=86400000
refundable() { # jq condition on OrderStartTime age: the BUY instances that can be refunded
	jq -r --argjson now "$now" --argjson day "$day" \
		"[.instances[] | select(.InstanceType == \"BUY\" and .Status != \"refund\" and .Status != \"closed\")
		 | select($1) | .InstanceId] | .[]" <<<"$state"
}
mapfile -t inside < <(refundable '.OrderStartTime > $now - 6 * $day')
mapfile -t outside < <(refundable '.OrderStartTime < $now - 8 * $day')
[ "${#inside[@]}" -ge 2 ] || fail "need two instances inside the refund window, have ${#inside[@]}"
[ "${#outside[@]}" -ge 1 ] || fail "need an instance outside the refund window"
refunds() { audit_count RefundInstance ".params.InstanceId == \"$1\""; }
last_error() { tail -n1 "$MNT/.cas/errors"; }

# ---- refund inside the window: "1", then "yes" for another instance
a=${inside[0]}
status_a=$(cat "$MNT/instances/$a/status")
[ "$status_a" != refund ] || fail "instance $a already shows refund"
bash -c 'echo 1 > "$1"' _ "$MNT/instances/$a/refund" || fail "echo 1 > refund inside the window"
expect_eq "$(refunds "$a")" 1 "RefundInstance calls for $a"
expect_eq "$(audit_count RefundInstance ".params.InstanceId == \"$a\" and .applied == true")" 1 "applied refunds of $a"
expect_eq "$(emu_instance "$a" | jq -r .Status)" refund "remote Status of $a"
expect_eq "$(cat "$MNT/instances/$a/status")" refund "status file of $a after the refund"
expect_eq "$(jq -r .Status "$MNT/instances/$a/detail")" refund "detail of $a after the refund"
[ -L "$MNT/by-status/refund/$a" ] || fail "$a is not under by-status/refund"
# refunding it again: the service refuses (EPERM), one more call, nothing applied
expect_fail "Operation not permitted" bash -c 'echo yes > "$1"' _ "$MNT/instances/$a/refund"
expect_eq "$(audit_count RefundInstance '.applied == true')" 1 "applied refunds after refunding twice"
expect_eq "$(last_error | jq -r '.errno + " " + .path')" "EPERM /instances/$a/refund" "error record of a second refund"

b=${inside[1]}
bash -c 'echo yes > "$1"' _ "$MNT/instances/$b/refund" || fail "echo yes > refund inside the window"
expect_eq "$(audit_count RefundInstance ".params.InstanceId == \"$b\" and .applied == true")" 1 "applied refunds of $b"
expect_eq "$(cat "$MNT/instances/$b/status")" refund "status file of $b after the refund"

# ---- refund outside the window: EPERM with the service's reason, nothing applied
c=${outside[0]}
status_c=$(cat "$MNT/instances/$c/status")
expect_fail "Operation not permitted" bash -c 'echo 1 > "$1"' _ "$MNT/instances/$c/refund"
expect_eq "$(refunds "$c")" 1 "RefundInstance calls for $c (outside the window)"
expect_eq "$(audit_count RefundInstance ".params.InstanceId == \"$c\" and .applied == true")" 0 "applied refunds of $c"
rec=$(last_error)
expect_eq "$(jq -r .path <<<"$rec")" "/instances/$c/refund" "error path of the expired refund"
expect_eq "$(jq -r .errno <<<"$rec")" EPERM "errno of the expired refund"
expect_eq "$(jq -r .code <<<"$rec")" OperationDenied.RefundPeriodExpired "code of the expired refund"
jq -e '.request_id | length > 0' <<<"$rec" >/dev/null || fail "no RequestId in the error record: $rec"
expect_eq "$(cat "$MNT/instances/$c/status")" "$status_c" "status of $c after the refused refund"
expect_eq "$(emu_instance "$c" | jq -r .Status)" "$status_c" "remote Status of $c"

# ---- the window moves with the emulator's clock: 8 days later a fresh instance is out of it
if [ "${#inside[@]}" -ge 3 ]; then
	e=${inside[2]}
	emu_post clock '{"offset_ms": 691200000}'
	expect_fail "Operation not permitted" bash -c 'echo 1 > "$1"' _ "$MNT/instances/$e/refund"
	expect_eq "$(audit_count RefundInstance ".params.InstanceId == \"$e\" and .applied == true")" 0 "refund of $e 8 days later"
	emu_post clock '{"offset_ms": 0}'
fi

# ---- anything but 1 or yes: EINVAL, no call
n0=$(audit_count RefundInstance)
for v in 0 no true 2; do
	expect_fail "Invalid argument" bash -c 'echo "$2" > "$1"' _ "$MNT/instances/$c/refund" "$v"
done
expect_eq "$(audit_count RefundInstance)" "$n0" "RefundInstance calls after bad refund values"

# ---- rmdir: one DeleteInstance; the directory, its link and the remote instance are gone
del=$(jq -r '[.instances[] | select(.Status == "normal")][1].InstanceId' <<<"$state")
st=$(cat "$MNT/instances/$del/status")
ls "$MNT/instances" | grep -qx "$del" || fail "$del not listed before rmdir"
rmdir "$MNT/instances/$del" || fail "rmdir instances/$del"
expect_eq "$(audit_count DeleteInstance)" 1 "DeleteInstance calls"
expect_eq "$(applied DeleteInstance)" 1 "applied DeleteInstance"
expect_eq "$(audit_count DeleteInstance ".params.InstanceId == \"$del\"")" 1 "DeleteInstance of $del"
expect_absent "$MNT/instances" "$del"
[ -e "$MNT/instances/$del" ] && fail "$del still resolves after rmdir"
[ -L "$MNT/by-status/$st/$del" ] && fail "by-status/$st/$del still exists after rmdir"
emu_get "instances/$del" >/dev/null 2>&1 && fail "the emulator still has $del"
# rmdir again: ENOENT and no call; rmdir of an unknown id: ENOENT and no call
expect_fail "No such file or directory" rmdir "$MNT/instances/$del"
expect_fail "No such file or directory" rmdir "$MNT/instances/cas-cn-doesnotexist"
expect_eq "$(audit_count DeleteInstance)" 1 "DeleteInstance calls after rmdir of missing instances"
# rmdir of the other directories is refused
expect_fail "Operation not permitted" rmdir "$MNT/instances"
expect_fail "Operation not permitted" rmdir "$MNT/cloud-access"
expect_eq "$(audit_count DeleteInstance)" 1 "DeleteInstance calls in the whole test"

# ---- cloud access: add, idempotent add, bad adds, rm
secret="SK$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
sid="AKIDintegration$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')"
doc=$(jq -nc --arg id "$sid" --arg k "$secret" '{CloudName: "Tencent", SecretId: $id, SecretKey: $k}')
ls "$MNT/cloud-access" >"$T/ca.before"
next=$(emu_get state | jq .next_access_id)
bash -c 'echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$doc" || fail "AddCloudAccess via cloud-access/new"
expect_eq "$(audit_count AddCloudAccess)" 1 "AddCloudAccess calls"
expect_eq "$(applied AddCloudAccess)" 1 "applied AddCloudAccess"
expect_eq "$(audit_count AddCloudAccess ".params.SecretId == \"$sid\" and .params.CloudName == \"Tencent\"")" 1 "AddCloudAccess params"
ls "$MNT/cloud-access" | grep -qx "$next" || fail "the new AccessId $next is not listed: $(ls "$MNT/cloud-access" | tr '\n' ' ')"
expect_eq "$(jq -r .SecretId "$MNT/cloud-access/$next")" "$sid" "SecretId of the new entry"
expect_eq "$(jq -r .CloudName "$MNT/cloud-access/$next")" Tencent "CloudName of the new entry"
jq -e 'has("SecretKey") | not' "$MNT/cloud-access/$next" >/dev/null || fail "the new entry shows a SecretKey"
# the same add again: no call (also after dropping every cache)
bash -c 'echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$doc" || fail "idempotent AddCloudAccess"
echo 1 >"$MNT/.cas/refresh"
bash -c 'echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$doc" || fail "idempotent AddCloudAccess after refresh"
expect_eq "$(audit_count AddCloudAccess)" 1 "AddCloudAccess calls after adding the same key again"
expect_eq "$(emu_get state | jq "[.cloud_access[] | select(.SecretId == \"$sid\")] | length")" 1 "entries with that SecretId"
# bad adds: EINVAL, no call (the SecretKey is in the document, so these also test the redaction of errors).
# An unknown CloudName is the service's to refuse: see t_safe_write.
for bad in \
	"$(jq -nc --arg k "$secret" '{CloudName: "", SecretId: "AKIDother1", SecretKey: $k}')" \
	"$(jq -nc --arg k "$secret" '{CloudName: "Tencent", SecretKey: $k}')" \
	"$(jq -nc '{CloudName: "Tencent", SecretId: "AKIDother2"}')" \
	"$(jq -nc --arg k "$secret" '{CloudName: "Tencent", SecretId: "AKIDother3", SecretKey: $k, Extra: 1}')" \
	"$(jq -nc --arg k "$secret" '{CloudName: "Tencent", SecretId: 12, SecretKey: $k}')" \
	"{\"CloudName\": \"Tencent\", \"SecretId\": \"AKIDother4\", \"SecretKey\": \"$secret\"" \
	"not json $secret"; do
	# /bin/echo: an incomplete document is only refused at close
	expect_fail "Invalid argument" bash -c '/bin/echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$bad"
done
expect_eq "$(audit_count AddCloudAccess)" 1 "AddCloudAccess calls after bad adds"
# rm of the entry: one DeleteCloudAccess, the entry is gone
rm "$MNT/cloud-access/$next" || fail "rm cloud-access/$next"
expect_eq "$(audit_count DeleteCloudAccess)" 1 "DeleteCloudAccess calls"
expect_eq "$(applied DeleteCloudAccess)" 1 "applied DeleteCloudAccess"
expect_eq "$(audit_count DeleteCloudAccess ".params.AccessId == \"$next\"")" 1 "DeleteCloudAccess AccessId"
expect_absent "$MNT/cloud-access" "$next"
expect_fail "No such file or directory" rm "$MNT/cloud-access/$next"
expect_fail "Operation not permitted" rm "$MNT/cloud-access/new"
expect_eq "$(audit_count DeleteCloudAccess)" 1 "DeleteCloudAccess calls after rm of a missing entry"
ls "$MNT/cloud-access" >"$T/ca.after"
diff "$T/ca.before" "$T/ca.after" >&2 || fail "cloud-access listing differs from before the add"

# ---- the SecretKey is nowhere: not in any file of the mount, .cas, the log or the audit
grep -r -l -F -- "$secret" "$MNT" 2>/dev/null && fail "the SecretKey is in a file of the mount"
grep -l -F -- "$secret" "$MNT/.cas/errors" "$MNT/.cas/stats" && fail "the SecretKey is in .cas"
grep -l -F -- "$secret" "$T/casfs.log" "$AUDIT" "$T/emu.err" "$T/emu.out" && fail "the SecretKey is in a log"
grep -q '"SecretKey":"<redacted>"' "$AUDIT" || fail "the audit does not show a redacted SecretKey"
echo PASS
