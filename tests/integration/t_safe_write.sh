#!/usr/bin/env bash
# Every failure reaches the writer: bash's builtin echo into tags
# sees a failed UpdateInstance (tags commit inside the write that ends in a
# newline); a tags document written in several writes ends up as written,
# with no extra commit at close; an empty tag set (`: > tags`) is EINVAL
# with a record; a NUL (\u0000) in any JSON string is EINVAL before any
# call; CloudName is left to the service; .cas/refresh forgets written bytes.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 6 --seed 17
mount_casfs

id=$(first_instance '(.Tags // []) | length > 0')
[ -n "$id" ] && [ "$id" != null ] || fail "no instance with tags"
d=$MNT/instances/$id
upd() { audit_count UpdateInstance; }
tags0=$(cat "$d/tags")
E0=$(errors_count)

# ---- bash's builtin echo gets the failure of the commit
emu_post faults '500=1@UpdateInstance'
expect_fail "Input/output error" bash -c 'echo team=payments > "$1"' _ "$d/tags"
emu_post faults '429=1@UpdateInstance'
expect_fail "Resource temporarily unavailable" bash -c 'printf "team=payments\n" > "$1"' _ "$d/tags"
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null
expect_eq "$(applied UpdateInstance)" 0 "applied updates under faults"
expect_eq "$(cat "$d/tags")" "$tags0" "tags after the failed writes"
expect_eq "$(errors_count)" $((E0 + 2)) ".cas/errors after the failed writes"

# ---- the single write commits once; the same again makes no call
bash -c 'echo team=payments > "$1"' _ "$d/tags" || fail "echo > tags"
expect_eq "$(applied UpdateInstance)" 1 "applied updates after echo > tags"
expect_eq "$(instance_tags "$id")" "team=payments" "remote tags after echo > tags"
expect_eq "$(cat "$d/tags")" "team=payments" "tags after echo > tags"
U=$(upd)
bash -c 'echo team=payments > "$1"' _ "$d/tags" || fail "echo > tags again"
expect_eq "$(upd)" "$U" "UpdateInstance requests after the same echo again"

# ---- several writes on one handle: ends up exactly as written, nothing more at close
U=$(upd)
python3 - "$d/tags" <<'PY' || fail "tags in three writes"
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
os.write(fd, b"a=1\n")
os.write(fd, b"b=2\nc=")
os.write(fd, b"3\n")
os.close(fd)
PY
expect_eq "$(instance_tags "$id")" "a=1,b=2,c=3" "remote tags after three writes"
expect_eq "$(upd)" $((U + 2)) "UpdateInstance requests for three writes (the first line, then the whole at close)"
# bash's builtin printf writes line by line: the same set again makes no call
U=$(upd)
bash -c 'printf "a=1\nb=2\nc=3\n" > "$1"' _ "$d/tags" || fail "printf of the same set"
expect_eq "$(upd)" "$U" "UpdateInstance requests for the same set"

# a bash loop of builtin echos writes line by line: the first line commits in
# its write; a 21st line fails its write at once, and close sends nothing more
U=$(upd)
expect_fail "Invalid argument" bash -c 'for i in $(seq 1 21); do echo "k$i=v"; done > "$1"' _ "$d/tags"
expect_eq "$(upd)" $((U + 1)) "UpdateInstance requests for a 21-line loop"
expect_eq "$(instance_tags "$id")" "k1=v" "remote tags after the 21-line loop (its first line)"
bash -c 'for t in a=1 b=2 c=3; do echo $t; done > "$1"' _ "$d/tags" || fail "a loop of three tags"
expect_eq "$(instance_tags "$id")" "a=1,b=2,c=3" "remote tags after a loop of three"
expect_eq "$(upd)" $((U + 3)) "UpdateInstance requests for the loop of three (first line, then the whole)"
U=$(upd)

# ---- an empty tag set: EINVAL with a record, no call (bash ignores close errors; python does not)
E0=$(errors_count)
: >"$d/tags"
wait_errors $((E0 + 1)) # committed at release, which the kernel sends after close returns
expect_eq "$(tail -n1 "$MNT/.cas/errors" | jq -r '.errno + " " + .path')" "EINVAL /instances/$id/tags" "record of : > tags"
# flush refuses it, so close(2) reports EINVAL (python raises); the record still comes at release
expect_fail "Invalid argument" python3 -c 'open(__import__("sys").argv[1], "w").close()' "$d/tags"
wait_errors $((E0 + 2))
expect_fail "Invalid argument" bash -c 'printf "\n\n" > "$1"' _ "$d/tags"
expect_eq "$(upd)" "$U" "UpdateInstance requests after empty tag sets"
expect_eq "$(instance_tags "$id")" "a=1,b=2,c=3" "remote tags after empty tag sets"

# ---- NUL in any string value: EINVAL before any call
expect_fail "Invalid argument" bash -c 'printf "%s\n" "$2" > "$1"' _ "$d/config" '{"City": "a\u0000b"}'
expect_fail "Invalid argument" bash -c 'printf "%s\n" "$2" > "$1"' _ "$d/config" '{"Tags": [{"TagKey": "k", "TagValue": "v\u0000"}]}'
expect_eq "$(upd)" "$U" "UpdateInstance requests after NUL in config"
A0=$(audit_count AddCloudAccess)
for bad in '{"CloudName":"Tencent","SecretId":"AKIDnul","SecretKey":"abc\u0000def"}' \
	'{"CloudName":"Tencent","SecretId":"AKIDnul","SecretKey":"abc\u0001def"}'; do
	expect_fail "Invalid argument" bash -c 'printf "%s\n" "$2" > "$1"' _ "$MNT/cloud-access/new" "$bad"
done
expect_eq "$(audit_count AddCloudAccess)" "$A0" "AddCloudAccess calls after NUL and control characters"

# ---- CloudName: documented providers are sent; an unknown one is the service's to refuse
for cloud in Huawei Aws; do
	bash -c 'printf "%s\n" "$2" > "$1"' _ "$MNT/cloud-access/new" \
		"{\"CloudName\":\"$cloud\",\"SecretId\":\"AKID$cloud\",\"SecretKey\":\"s3cr3t$cloud\"}" ||
		fail "cloud-access/new with CloudName $cloud"
done
expect_eq "$(applied AddCloudAccess)" 2 "applied AddCloudAccess for Huawei and Aws"
expect_fail "Invalid argument" bash -c 'printf "%s\n" "$2" > "$1"' _ "$MNT/cloud-access/new" \
	'{"CloudName":"Nimbus","SecretId":"AKIDn","SecretKey":"k"}'
expect_eq "$(audit_count AddCloudAccess '.params.CloudName == "Nimbus"')" 1 "AddCloudAccess sent for Nimbus"
expect_eq "$(tail -n1 "$MNT/.cas/errors" | jq -r .code)" InvalidParameter.CloudName "the service's code for Nimbus"

# ---- written bytes never outlive .cas/refresh
bash -c 'echo "{\"City\":\"X\"}" > "$1"' _ "$d/config" || fail "echo > config"
expect_eq "$(cat "$d/config")" '{"City":"X"}' "config reads back the written bytes"
echo 1 >"$MNT/.cas/refresh"
expect_eq "$(jq -r .City "$d/config")" X "City in config after the refresh"
[ "$(jq 'keys | length' "$d/config")" -gt 5 ] || fail "config after the refresh is not the full document: $(cat "$d/config")"
expect_eq "$(cat "$d/config")" "$(jq -S . "$d/config")" "config after the refresh is canonical"
expect_eq "$(cat "$d/tags")" "$(printf 'a=1\nb=2\nc=3')" "tags after the refresh"
echo PASS
