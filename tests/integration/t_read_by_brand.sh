#!/usr/bin/env bash
# by-brand/<Brand>/<InstanceId> -> ../../instances/<InstanceId>: the list
# filtered by its Brand member, at no call beyond ListInstances; a brand
# that is not a safe name is left out. A brand changed behind the mount is
# seen at once after .cas/refresh: the kernel's cached attributes and link
# of by-brand/<old>/<id> are invalidated (derived from the node table's
# rows, nothing in notify.c names by-brand).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 8 --seed 91
mount_casfs ttl=600

brands() { emu_get state | jq -r '[.instances[].Brand | select(test("^[^/]+$"))] | unique | .[]'; }
ls "$MNT/by-brand" >"$T/ls"
brands >"$T/want"
diff -u "$T/want" "$T/ls" >&2 || fail "by-brand/ is not the list's brands"
[ "$(wc -l <"$T/ls")" -ge 2 ] || fail "the emulator gave fewer than 2 brands"

# every instance is linked from its brand's directory, and only from it
emu_get state | jq -r '.instances[] | "\(.InstanceId) \(.Brand)"' >"$T/pairs"
while read -r id brand; do
	expect_eq "$(readlink "$MNT/by-brand/$brand/$id")" "../../instances/$id" "by-brand/$brand/$id"
	expect_eq "$(cat "$MNT/by-brand/$brand/$id/name")" "$(cat "$MNT/instances/$id/name")" "name through the link"
done <"$T/pairs"
for b in $(cat "$T/ls"); do
	expect_eq "$(ls "$MNT/by-brand/$b" | sort)" "$(awk -v b="$b" '$2 == b {print $1}' "$T/pairs" | sort)" "by-brand/$b"
done
expect_eq "$(audit_count GetInstanceDetail)" "0" "detail calls for by-brand"
expect_fail "No such file or directory" ls "$MNT/by-brand/NoSuchBrand"

# a brand that is unique in the account, then changed behind the mount
read -r id old < <(emu_get state |
	jq -r '.instances | group_by(.Brand) | map(select(length == 1))[0][0] | "\(.InstanceId) \(.Brand)"')
[ -n "$id" ] && [ "$id" != null ] || fail "no instance with a brand of its own"
stat "$MNT/by-brand/$old/$id" >/dev/null || fail "stat by-brand/$old/$id"
readlink "$MNT/by-brand/$old/$id" >/dev/null
emu_post "instances/$id" '{"Brand":"RebrandedCA"}'
emu_post "instances/cas-cn-badbrand" '{"Status":"normal","Brand":"bad/brand"}'
# within the TTL the cached state is what the tree shows
[ -L "$MNT/by-brand/$old/$id" ] || fail "by-brand/$old/$id changed before the TTL or a refresh"
echo 1 >"$MNT/.cas/refresh" || fail "echo 1 > .cas/refresh"
expect_fail "No such file or directory" stat "$MNT/by-brand/$old/$id"
expect_fail "No such file or directory" readlink -v "$MNT/by-brand/$old/$id"
expect_eq "$(readlink "$MNT/by-brand/RebrandedCA/$id")" "../../instances/$id" "by-brand/RebrandedCA/$id after refresh"
ls "$MNT/by-brand" >"$T/ls2"
grep -qxF RebrandedCA "$T/ls2" || fail "the new brand is not listed after refresh"
grep -qxF "$old" "$T/ls2" && fail "the old brand, now empty, is still listed after refresh"
grep -q bad "$T/ls2" && fail "a brand unsafe as a name is listed"
expect_eq "$(ls "$MNT/by-brand/RebrandedCA")" "$id" "by-brand/RebrandedCA"
expect_eq "$(audit_count GetInstanceDetail)" "0" "detail calls after refresh"
echo PASS
