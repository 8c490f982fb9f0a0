#!/usr/bin/env bash
# A state database that another process holds locked when a mount opens it
# is a busy file, not a corrupt one: the mount waits for the lock (seconds)
# and keeps the file. Never moved aside (no .bad-* file), the month's call
# counts go on from where they were (calls table = the audit log's lines).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 32
mount_casfs
ls "$MNT/instances" >/dev/null
umount_casfs || fail "unclean unmount"
dir=$HOME/.local/state/casfs
db=$(ls "$dir"/account-*.db)
before=$(db_calls "$db")
[ "$before" -ge 1 ] || fail "no call counted by the first mount"
lock_db "$db" 1.5
mount_casfs
wait "$LOCKER"; LOCKER=""
ls "$MNT/instances" >/dev/null
umount_casfs || fail "unclean unmount"
bad=$(ls "$dir" | grep -F '.bad-' || true)
[ -z "$bad" ] || fail "the locked database was moved aside: $bad"
! grep -q "moved aside" "$T/casfs.log" || fail "log: $(grep -m1 'moved aside' "$T/casfs.log")"
expect_eq "$(db_calls "$db")" "$(wc -l <"$AUDIT")" "calls counted = requests in the audit log (none lost)"
echo "PASS: a locked database kept; $(db_calls "$db") calls counted"
