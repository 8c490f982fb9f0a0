#!/usr/bin/env bash
# cloud-access/ and private-ca/ follow the listing rules
# of instances/: a repeated id is one entry (the newest one shown), a field
# of an odd JSON type never hides an entry, a number as an id is its decimal
# text, and only an id that cannot be a file name is skipped.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --cloud-access 3 --private-ca 2 --seed 7
mount_casfs

mapfile -t acc < <(emu_get state | jq -r '.cloud_access[].AccessId')
expect_eq "${#acc[@]}" "3" "cloud-access entries in the emulator"
# the second entry repeats the first one's AccessId; the third has odd field types
emu_post "cloud-access/${acc[1]}" "{\"AccessId\":${acc[0]}}" || fail "could not repeat an AccessId"
emu_post "cloud-access/${acc[2]}" '{"CloudName":7,"SecretId":true}' || fail "could not set odd types"
ca=$(emu_get state | jq -r '.private_cas[0].InstanceId')
emu_post private-ca "{\"InstanceId\":\"$ca\",\"Status\":\"newest\"}" || fail "could not repeat a CA id"
emu_post private-ca '{"InstanceId":"../x","Status":"hostile"}' || fail "could not add a hostile CA id"
emu_post private-ca '{"InstanceId":12345,"Status":"numeric"}' || fail "could not add a numeric CA id"
echo 1 >"$MNT/.cas/refresh"

ls "$MNT/cloud-access" >"$T/acc" || fail "ls cloud-access/"
printf '%s\n' "${acc[0]}" "${acc[2]}" new | sort >"$T/acc.want"
diff "$T/acc.want" <(sort "$T/acc") >"$T/d" || fail "cloud-access listing: $(cat "$T/d")"
jq -e '.CloudName == 7 and .SecretId == true' "$MNT/cloud-access/${acc[2]}" >/dev/null ||
	fail "the odd entry is not shown as the service sent it: $(cat "$MNT/cloud-access/${acc[2]}")"

ls "$MNT/private-ca" >"$T/ca" || fail "ls private-ca/"
expect_eq "$(grep -cxF "$ca" "$T/ca")" "1" "the repeated CA id is listed once"
expect_eq "$(jq -r .Status "$MNT/private-ca/$ca")" "newest" "the repeated CA id shows its newest entry"
expect_eq "$(jq -r .Status "$MNT/private-ca/12345")" "numeric" "a number as a CA id"
grep -qF 'x' <(ls "$MNT/private-ca" | grep -F '..') && fail "a hostile CA id became a name"
expect_eq "$(wc -l <"$T/ca")" "3" "private-ca entries (2 generated + the numeric one)"
grep -q "skipped an entry whose InstanceId is missing or unsafe" "$T/casfs.log" || fail "the hostile CA id is not logged"
jq -e 'select(.action == "GetCAInstanceStatus" and .code == "Local.UnsafeId")' "$MNT/.cas/errors" >/dev/null ||
	fail "no .cas/errors record for the hostile CA id: $(cat "$MNT/.cas/errors")"
echo PASS
