#!/usr/bin/env bash
# -o ro: every mutation (config, value files, tags, csr, refund, rmdir,
# cloud-access add/rm, scratch files, renames, metadata) fails with EROFS and
# nothing reaches the API, while reads work. -o dry_run: mutations are
# validated (bad input still EINVAL) and logged with the exact request
# ("dry_run: would send POST ...", SecretKey redacted), nothing is sent, and
# the files keep showing the real remote state.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 31
state=$(emu_get state)
now=$(jq .now_ms <<<"$state")
id=$(jq -r '[.instances[] | select(.Status == "normal")][0].InstanceId' <<<"$state")
victim=$(jq -r '[.instances[] | select(.Status == "normal")][1].InstanceId' <<<"$state")
refundable=$(jq -r --argjson now "$now" '[.instances[] | select(.InstanceType == "BUY" and .Status != "refund" and
	.Status != "closed" and .OrderStartTime > $now - 6 * 86400000)][0].InstanceId' <<<"$state")
[ "$refundable" != null ] || fail "no refundable instance"
access=$(jq -r '.cloud_access[0].AccessId' <<<"$state")
d="$MNT/instances/$id"
mutations() {
	jq -c 'select(.action | test("^(Update|Delete|Refund|Add)"))' "$AUDIT" | wc -l
}
secret="DRYSECRET$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
newacc=$(jq -nc --arg k "$secret" '{CloudName: "Tencent", SecretId: "AKIDdryrun0001", SecretKey: $k}')

# ---- read-only
mount_casfs ro
name0=$(cat "$d/name")
config0=$(cat "$d/config")
ls "$MNT/instances" >/dev/null
jq -e .InstanceId "$d/detail" >/dev/null || fail "detail is not readable with -o ro"
ro() { expect_fail "Read-only file system" "$@"; }
ro bash -c 'echo newname > "$1"' _ "$d/name"
ro bash -c 'echo "{\"City\": \"RO\"}" > "$1"' _ "$d/config"
ro bash -c 'echo a=b >> "$1"' _ "$d/tags"
ro bash -c 'cat "$1" > "$2"' _ "$d/csr" "$d/csr"
ro bash -c 'echo disable > "$1"' _ "$d/auto_reissue"
ro bash -c 'echo 1 > "$1"' _ "$MNT/instances/$refundable/refund"
ro rmdir "$MNT/instances/$victim"
ro rm "$MNT/cloud-access/$access"
ro bash -c 'echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$newacc"
ro touch "$d/scratch"
ro sed -i 's/a/b/' "$d/name"
ro cp /etc/hostname "$d/config"
ro truncate -s 0 "$d/config"
ro chmod 600 "$d/config"
ro touch -d 2020-01-01 "$d/config"
ro mv "$d/config" "$d/config~"
ro mkdir "$d/sub"
expect_eq "$(mutations)" 0 "mutating calls with -o ro"
expect_eq "$(cat "$d/name")" "$name0" "name with -o ro"
expect_eq "$(cat "$d/config")" "$config0" "config with -o ro"
[ -d "$MNT/instances/$victim" ] || fail "$victim vanished with -o ro"
ls -A "$d" | grep -q scratch && fail "a scratch file appeared with -o ro"
grep -F -q -- "$secret" "$T/casfs.log" "$AUDIT" && fail "the SecretKey leaked with -o ro"

# ---- dry run
remount_casfs dry_run allow_delete
log0=$(wc -l <"$T/casfs.log")
dry_lines() { tail -n +"$((log0 + 1))" "$T/casfs.log" | grep -F 'dry_run: would send POST' || true; }
remote0=$(emu_get state | jq -S -c '{instances, cloud_access}')
# valid changes succeed for the writer, are logged with their parameters, and are not sent
bash -c 'echo dry-name > "$1"' _ "$d/name" || fail "dry_run: echo > name"
bash -c 'echo "{\"City\": \"Dry City\"}" > "$1"' _ "$d/config" || fail "dry_run: echo > config"
sed -i 's/"Province": "[^"]*"/"Province": "Dry Province"/' "$d/config" || fail "dry_run: sed -i config"
echo 'dry=run' >>"$d/tags" || fail "dry_run: echo >> tags"
bash -c 'echo 1 > "$1"' _ "$MNT/instances/$refundable/refund" || fail "dry_run: refund"
rmdir "$MNT/instances/$victim" || fail "dry_run: rmdir"
bash -c 'echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$newacc" || fail "dry_run: cloud-access/new"
rm "$MNT/cloud-access/$access" || fail "dry_run: rm cloud-access entry"
dry_lines >"$T/dry"
cat "$T/dry" >&2
grep -q "UpdateInstance" "$T/dry" || fail "no dry_run line for UpdateInstance"
grep -q "InstanceId=$id&CertificateName=dry-name" "$T/dry" || fail "dry_run line lacks the CertificateName change"
grep -q "City=Dry%20City" "$T/dry" || fail "dry_run line lacks the City change"
grep -q "Province=Dry%20Province" "$T/dry" || fail "dry_run line lacks the Province change"
grep "Province=Dry" "$T/dry" | grep -q "City=" && fail "the sed -i dry_run line carries more than the changed field"
grep -q "TagKey=dry" "$T/dry" || fail "dry_run line lacks the tag"
grep -q "RefundInstance" "$T/dry" || fail "no dry_run line for RefundInstance"
grep -q "InstanceId=$victim.*DeleteInstance" "$T/dry" || fail "no dry_run line for DeleteInstance"
grep -q "SecretId=AKIDdryrun0001.*AddCloudAccess" "$T/dry" || fail "no dry_run line for AddCloudAccess"
grep -q "AccessId=$access.*DeleteCloudAccess" "$T/dry" || fail "no dry_run line for DeleteCloudAccess"
expect_eq "$(wc -l <"$T/dry")" 8 "dry_run lines (one per mutation)"
# and the log does not claim that anything happened
tail -n +"$((log0 + 1))" "$T/casfs.log" | grep -v 'dry_run' | grep -iE "refunded|deleted|added|updated" >&2 &&
	fail "the casfs log reports a dry_run mutation as done"
grep -F -q -- "$secret" "$T/casfs.log" && fail "the SecretKey is in the casfs log (dry_run)"
grep -F -q -- "$secret" "$AUDIT" "$MNT/.cas/errors" && fail "the SecretKey leaked (dry_run)"
expect_eq "$(mutations)" 0 "mutating calls with -o dry_run"
expect_eq "$(emu_get state | jq -S -c '{instances, cloud_access}')" "$remote0" "remote state after dry_run mutations"
# the files show the real state: nothing changed
expect_eq "$(cat "$d/name")" "$name0" "name after a dry_run write"
expect_eq "$(jq -r .City "$d/detail")" "$(jq -r .City <<<"$config0")" "City after a dry_run write"
[ -d "$MNT/instances/$victim" ] || fail "$victim vanished after a dry_run rmdir"
[ -f "$MNT/cloud-access/$access" ] || fail "cloud-access/$access vanished after a dry_run rm"
expect_eq "$(cat "$MNT/instances/$refundable/status")" "$(jq -r --arg i "$refundable" '.instances[] | select(.InstanceId == $i) | .Status' <<<"$state")" "status after a dry_run refund"
# bad input is still refused before anything would be sent
n=$(wc -l <"$T/dry")
expect_fail "Invalid argument" bash -c 'echo "{\"AutoReissue\": \"sometimes\"}" > "$1"' _ "$d/config"
expect_fail "Invalid argument" bash -c 'echo "acs:x=1" > "$1"' _ "$d/tags"
expect_fail "Invalid argument" bash -c 'echo maybe > "$1"' _ "$MNT/instances/$refundable/refund"
dry_lines >"$T/dry"
expect_eq "$(wc -l <"$T/dry")" "$n" "dry_run lines after bad input"
# a no-op write would send nothing, so it logs nothing
jq -S . "$d/config" >"$T/cfg" && cp "$T/cfg" "$d/config" || fail "dry_run: cp of the unchanged config"
dry_lines >"$T/dry"
expect_eq "$(wc -l <"$T/dry")" "$n" "dry_run lines after a no-op write"
expect_eq "$(mutations)" 0 "mutating calls with -o dry_run at the end"
jq -e '.dry_run == true or .options.dry_run == true or ([.. | objects | .dry_run_mutations? // empty] | add) >= 8' \
	"$MNT/.cas/stats" >/dev/null || fail ".cas/stats does not show the dry run"
echo PASS
