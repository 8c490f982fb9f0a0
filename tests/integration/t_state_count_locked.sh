#!/usr/bin/env bash
# Every call sent is counted in the state database, also when another
# process held its lock while the call went out: the gate lets a call go
# from memory after 200 ms, and the counter must still count it (retried
# once the lock is gone, or at unmount), never drop it. The oracle: after
# the unmount, the month's calls in the database equal the audit log's
# requests. While the count is owed, .cas/stats shows free_tier.uncounted.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 35
mount_casfs ttl=0
ls "$MNT/instances" >/dev/null
db=$(ls "$HOME"/.local/state/casfs/account-*.db)
lock_db "$db" 3
for i in 1 2 3 4; do ls "$MNT/instances" >/dev/null || fail "ls while the database is locked"; done
jq -e '.free_tier | has("uncounted")' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats has no free_tier.uncounted"
wait "$LOCKER"; LOCKER=""
umount_casfs || fail "unclean unmount"
counted=$(db_calls "$db")
expect_eq "$counted" "$(wc -l <"$AUDIT")" "calls counted in the database = requests in the audit log"
echo "PASS: $counted calls counted, none lost to the lock"
