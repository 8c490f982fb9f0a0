#!/usr/bin/env bash
# A state database in a sticky world-writable state_dir (like /tmp) whose
# name another user took first: the file is that user's, and a mount must
# not use it (that user could read the journal and snapshot, or feed the
# mount forged counts). It is refused with a warning and the mount runs with
# its state in memory: the planted file is left unchanged (its calls table
# gains nothing while the audit log shows the mount's calls).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 36
id -u nobody >/dev/null 2>&1 || skip_test "no user nobody"
S=$T/sticky
mkdir -p "$S" && chmod 1777 "$S"
mount_casfs "state_dir=$S"
ls "$MNT/instances" >/dev/null
umount_casfs || fail "unclean unmount"
db=$(ls "$S"/account-*.db)
# the other user's file under the name the mount will open
rm -f "$db-wal" "$db-shm"
chown nobody "$db"
before=$(db_calls "$db")
sent_before=$(wc -l <"$AUDIT")
: >"$T/casfs.log"
mount_casfs "state_dir=$S"
ls "$MNT/instances" >/dev/null
[ "$(wc -l <"$AUDIT")" -gt "$sent_before" ] || fail "the second mount sent no call"
jq -e '.state.database == null' "$MNT/.cas/stats" >/dev/null ||
	fail "the mount uses the other user's database: $(jq -c .state "$MNT/.cas/stats")"
grep -q "not a regular file owned by this user" "$T/casfs.log" || fail "no warning naming the refusal: $(grep -m2 'state' "$T/casfs.log")"
umount_casfs || fail "unclean unmount"
expect_eq "$(db_calls "$db")" "$before" "calls in the planted file (untouched)"
expect_eq "$(stat -c %U "$db")" nobody "the planted file's owner"
echo "PASS: a database file of another user refused"
