#!/usr/bin/env bash
# .cas/journal records every mutation sent, with its outcome, agreeing with
# the emulator's audit log: ok (with the RequestId the service gave),
# error (a 500: nothing applied), ambiguous (the response was lost and the
# read that should tell failed too: applied once, outcome unknown to casfs),
# DeleteInstance and AddCloudAccess (CloudName and SecretId, never the
# SecretKey). A no-op write and a rejected one leave no record.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 6 --seed 171
mount_casfs allow_delete
id=$(first_instance '.Status == "normal"')
[ "$id" != null ] || fail "test setup: no normal instance"
J=$MNT/.cas/journal
last() { tail -n1 "$J"; }
cat "$MNT/instances/$id/config" >/dev/null

echo j-ok >"$MNT/instances/$id/name"
rid=$(jq -r 'select(.action == "UpdateInstance" and .applied == true) | .request_id' "$AUDIT" | tail -n1)
last | jq -e --arg rid "$rid" --arg p "/instances/$id/name" '.outcome == "ok" and .request_id == $rid and .path == $p
	and .action == "UpdateInstance" and .fields.CertificateName.new == "j-ok" and (.fields.CertificateName.old | type) == "string"' \
	>/dev/null || fail "ok record: $(last)"

# the same value again and an invalid one: no call, no record
n=$(wc -l <"$J")
echo j-ok >"$MNT/instances/$id/name"
expect_fail "Invalid argument" bash -c "echo '{\"Nope\":1}' >'$MNT/instances/$id/config'"
expect_eq "$(wc -l <"$J")" "$n" "journal records after a no-op and a rejected write"

emu_post faults '500=1@UpdateInstance'
expect_fail "Input/output error" bash -c "echo j-err >'$MNT/instances/$id/name'"
last | jq -e '.outcome == "error" and .errno == "EIO" and .fields.CertificateName.new == "j-err"' >/dev/null ||
	fail "error record: $(last)"
expect_eq "$(audit_count UpdateInstance '.applied == true and .params.CertificateName == "j-err"')" "0" "j-err applied"

emu_post faults ''
cat "$MNT/instances/$id/config" >/dev/null # the state to compare with, cached before the faults
emu_post faults 'reset=1@UpdateInstance#1,500=1@GetInstanceDetail'
expect_fail "" bash -c "echo j-amb >'$MNT/instances/$id/name'"
last | jq -e '.outcome == "ambiguous" and .fields.CertificateName.new == "j-amb"' >/dev/null ||
	fail "ambiguous record: $(last)"
expect_eq "$(audit_count UpdateInstance '.applied == true and .params.CertificateName == "j-amb"')" "1" "j-amb applied"
emu_post faults ''

echo '{"CloudName":"Tencent","SecretId":"AKIDjournal","SecretKey":"do-not-store-me"}' >"$MNT/cloud-access/new"
last | jq -e '.action == "AddCloudAccess" and .outcome == "ok" and .fields.SecretId.new == "AKIDjournal"' >/dev/null ||
	fail "AddCloudAccess record: $(last)"
grep -q "do-not-store-me" "$J" "$HOME"/.local/state/casfs/* && fail "the SecretKey was stored"

other=$(first_instance ".InstanceId != \"$id\"")
rmdir "$MNT/instances/$other" || fail "rmdir"
last | jq -e --arg p "/instances/$other" '.action == "DeleteInstance" and .outcome == "ok" and .path == $p' >/dev/null ||
	fail "DeleteInstance record: $(last)"
# every applied mutation is in the journal with its RequestId
jq -r 'select(.applied == true) | .request_id' "$AUDIT" | sort >"$T/applied"
jq -r 'select(.outcome == "ok") | .request_id' "$J" | sort >"$T/ok"
comm -13 "$T/applied" "$T/ok" | grep -q . && fail "an ok record without an applied call"
expect_eq "$(comm -23 "$T/applied" "$T/ok" | wc -l)" "1" "applied calls without an ok record (the ambiguous one)"
echo PASS
