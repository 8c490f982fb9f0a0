#!/usr/bin/env bash
# Read path with everyday tools: ls, cat, jq, grep -r, find; canonical JSON
# is byte-identical to jq -S; sizes are exact; value files (brand and type
# included) cost list calls only.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 120 --seed 7
mount_casfs

ls "$MNT" >"$T/root"
expect_eq "$(tr '\n' ' ' <"$T/root")" "by-brand by-expiry by-status certificates certificates.jsonl cloud-access instances instances.jsonl private-ca summary " "root listing"
n=$(ls "$MNT/instances" | wc -l)
expect_eq "$n" "$(emu_get state | jq '.instances | length')" "instance count"

# value files over every instance: ceil(120/100) = 2 list calls, mount
# included (the probe is page 1 of the listing), no details
cat "$MNT"/instances/*/status >"$T/statuses"
cat "$MNT"/instances/*/brand "$MNT"/instances/*/type >"$T/brands"
expect_eq "$(wc -l <"$T/brands")" "$((2 * n))" "one brand and one type line per instance"
expect_eq "$(wc -l <"$T/statuses")" "$n" "one status line per instance"
expect_eq "$(audit_count ListInstances)" "2" "list calls (the mount probe as page 1, + page 2)"
expect_eq "$(audit_count GetInstanceDetail)" "0" "value files make no detail calls"

id=$(first_instance '.Status == "normal"')
d="$MNT/instances/$id"
cmp <(cat "$d/detail") <(jq -S . "$d/detail") || fail "detail is not canonical jq -S output"
cmp <(cat "$d/config") <(jq -S . "$d/config") || fail "config is not canonical jq -S output"
expect_eq "$(stat -c %s "$d/detail")" "$(cat "$d/detail" | wc -c)" "st_size of detail"
expect_eq "$(stat -c %s "$d/status")" "$(cat "$d/status" | wc -c)" "st_size of status"
expect_eq "$(jq -r .InstanceId "$d/detail")" "$id" "detail InstanceId"
expect_eq "$(jq -r 'has("RequestId")' "$d/detail")" "false" "RequestId is stripped"
expect_eq "$(cat "$d/status")" "normal" "status value"
expect_eq "$(cat "$d/domain")" "$(emu_instance "$id" | jq -r .Domain)" "domain value"
# brand and type: read-only values from the list (no detail call, nothing sent on a write)
expect_eq "$(cat "$d/brand")" "$(emu_instance "$id" | jq -r .Brand)" "brand value"
expect_eq "$(cat "$d/type")" "$(emu_instance "$id" | jq -r .CertificateType)" "type value"
expect_eq "$(stat -c %a "$d/brand") $(stat -c %a "$d/type")" "444 444" "brand and type are read-only"
expect_fail "Permission denied" sh -c "echo DigiCert >'$d/brand'"
expect_eq "$(audit_count UpdateInstance)" "0" "a write to brand sends nothing"
tail -1 "$MNT/.cas/errors" | jq -e --arg p "/instances/$id/brand" '.path == $p and .errno == "EACCES"' >/dev/null ||
	fail "the refused write to brand is not recorded in .cas/errors"
# not_before/not_after are ISO-8601 UTC and present only when issued
nb=$(emu_instance "$id" | jq -r '.CertificateNotBefore / 1000 | floor | todate')
expect_eq "$(cat "$d/not_before")" "$nb" "not_before"
inactive=$(first_instance '.Status == "inactive"')
[ -e "$MNT/instances/$inactive/not_after" ] && fail "not_after exists for an instance without a certificate"

# jq over every config, grep -r over the tree, find
jq -r .KeyAlgorithm "$MNT"/instances/*/config | sort -u | grep -q RSA_2048 || fail "jq over configs"
grep -rl '"Status": "normal"' "$MNT/instances" >"$T/grep" || fail "grep -r found nothing"
expect_eq "$(wc -l <"$T/grep")" "$(emu_get state | jq '[.instances[] | select(.Status=="normal")] | length')" "grep -r matches"
find "$MNT" -type f >"$T/find" || fail "find failed"
grep -q "/summary$" "$T/find" || fail "find misses summary"
grep -q "/.cas/" "$T/find" && fail "find shows the hidden .cas directory"
find "$MNT/by-status" -type l | wc -l | grep -qx "$n" || fail "one by-status link per instance"
readlink "$MNT/by-status/normal/$id" | grep -qx "../../instances/$id" || fail "by-status link target"
[ -f "$MNT/by-status/normal/$id/detail" ] || fail "by-status link does not resolve"

# summary, cloud access, private CA
jq -e '.TotalCount == '"$n" "$MNT/summary" >/dev/null || fail "summary TotalCount"
ls "$MNT/cloud-access" | grep -qx new || fail "cloud-access/new missing"
acc=$(ls "$MNT/cloud-access" | grep -v new | head -1)
jq -e 'has("SecretKey") | not' "$MNT/cloud-access/$acc" >/dev/null || fail "cloud access entry shows a SecretKey"
ca=$(ls "$MNT/private-ca" | head -1)
jq -e ".InstanceId == \"$ca\"" "$MNT/private-ca/$ca" >/dev/null || fail "private-ca entry"

# stable inode numbers and readdir order
ls -i "$MNT/instances" >"$T/ls1"
ls -if "$MNT/instances" >"$T/lsf1"
ls -if "$MNT/instances" >"$T/lsf2"
cmp "$T/lsf1" "$T/lsf2" || fail "readdir order changed"
[ "$(stat -c %i "$d/detail")" == "$(stat -c %i "$d/detail")" ] || fail "inode changed"

# the control directory
jq -e '.calls.ListInstances.sent >= 2' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats"
[ -f "$MNT/.cas/errors" ] || fail ".cas/errors missing"
echo PASS
