#!/usr/bin/env bash
# The offline snapshot after a write: the cache rewrites the changed
# instance's list entry from its fresh detail (no re-listing), and the
# snapshot must store that rewritten entry too. Otherwise, offline, the
# listing's old value and the detail's new one show side by side. The
# oracle: exactly one UpdateInstance applied and no second ListInstances
# (the entry was rewritten, not re-listed); offline, `domain` (from the
# list entry) shows the written value.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 34
mount_casfs offline
id=$(first_instance)
old=$(cat "$MNT/instances/$id/domain")
echo "after-write.example.com" >"$MNT/instances/$id/domain" || fail "the write failed"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied"
expect_eq "$(audit_count ListInstances)" 1 "ListInstances (the entry is rewritten, not re-listed)"
expect_eq "$(cat "$MNT/instances/$id/domain")" "after-write.example.com" "live domain after the write"
umount_casfs || fail "unclean unmount"
stop_emulator
mount_casfs offline,timeout=2
grep -q "mounted READ-ONLY from the offline snapshot" "$T/casfs.log" || fail "not offline"
expect_eq "$(cat "$MNT/instances/$id/domain")" "after-write.example.com" "offline domain (was $old)"
echo "PASS: offline shows the written domain"
