#!/usr/bin/env bash
# What a write costs (README "Economy"): at 350 instances, echo x > name is
# one UpdateInstance and one GetInstanceDetail (the instance's detail fetched
# again, its list entry rewritten from it), and no ListInstances: the files
# and the listing show the new value without a re-listing. (Before: the
# write invalidated the whole list, and the next read re-listed pages 1-4.)
# A change of membership (rmdir of an instance) still re-lists.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 350 --seed 83
mount_casfs allow_delete

id=$(first_instance '.Status == "normal"')
[ "$id" != null ] || fail "no suitable instance"
d="$MNT/instances/$id"
calls() { jq -r .action "$AUDIT" | wc -l; }
lists() { audit_count ListInstances; }

# warm: the list and this instance's detail are cached
n=$(find "$MNT/instances" -mindepth 1 -maxdepth 1 | wc -l)
expect_eq "$n" 350 "instances listed"
cat "$d/config" >/dev/null
A0=$(calls)
L0=$(lists)
D0=$(audit_count GetInstanceDetail)

echo x >"$d/name" || fail "echo x > name"
expect_eq "$(emu_instance "$id" | jq -r .CertificateName)" x "remote CertificateName"
# every file and the listing see it, from the cache
expect_eq "$(cat "$d/name")" x "name read back"
expect_eq "$(jq -r .CertificateName "$d/detail")" x "detail read back"
expect_eq "$(grep -c "\"CertificateName\":\"x\"" "$MNT/instances.jsonl")" 1 "instances.jsonl shows the new name"
n=$(find "$MNT/instances" -mindepth 1 -maxdepth 1 | wc -l)
expect_eq "$n" 350 "instances listed after the write"
expect_eq "$(audit_count UpdateInstance)" 1 "UpdateInstance calls for one write"
expect_eq "$(($(audit_count GetInstanceDetail) - D0))" 1 "GetInstanceDetail calls for one write"
expect_eq "$(($(lists) - L0))" 0 "ListInstances calls for one write"
expect_eq "$(($(calls) - A0))" 2 "API calls in all for one write"
log "echo x > name at 350 instances: $(($(calls) - A0)) calls"

# a change of membership re-lists
L1=$(lists)
rmdir "$d" || fail "rmdir of the instance"
n=$(find "$MNT/instances" -mindepth 1 -maxdepth 1 | wc -l)
expect_eq "$n" 349 "instances listed after the delete"
[ "$(lists)" -gt "$L1" ] || fail "the delete did not re-list"
