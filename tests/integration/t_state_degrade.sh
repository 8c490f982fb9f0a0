#!/usr/bin/env bash
# The state layer degrades safely. A state directory that cannot be created
# gives a warning and a mount with state in memory. A database whose disk
# fills up mid-mount never fails a read nor hides a mutation's outcome: the
# error is logged (not once per file), recorded in .cas/errors and counted in
# .cas/stats, and the write is applied exactly once.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 6 --seed 161

# an unusable state directory (a file is in the way)
touch "$T/notadir"
mount_casfs state_dir=$T/notadir/casfs
grep -q "state directory $T/notadir/casfs: .*running without persisted state" "$T/casfs.log" ||
	fail "no warning about the state directory"
cat "$MNT/summary" >/dev/null
jq -e '.state.database == null and .state.stamps > 0' "$MNT/.cas/stats" >/dev/null ||
	fail "in-memory state: $(jq -c .state "$MNT/.cas/stats")"
umount_casfs

# a state disk that fills up while mounted
mkdir -p "$T/small"
mount -t tmpfs -o size=256k tmpfs "$T/small"
trap 'rc=$?; umount_casfs; umount "$T/small" 2>/dev/null || true; (exit $rc); cleanup' EXIT
mount_casfs state_dir=$T/small/casfs,ttl=1
cat "$MNT/summary" >/dev/null
dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null || true
id=$(first_instance '.Status == "normal"')
# every file of every instance is read in full despite the failing database
for d in "$MNT"/instances/*/; do
	for f in detail config name domain tags; do
		cat "$d$f" >/dev/null || fail "read of $d$f failed with a full state disk"
	done
done
echo "full-disk-$RANDOM" >"$MNT/instances/$id/name" || fail "the write failed with a full state disk"
expect_eq "$(applied UpdateInstance)" "1" "UpdateInstance applied"
jq -e '.state.errors > 0' "$MNT/.cas/stats" >/dev/null || fail "no database error counted: $(jq -c .state "$MNT/.cas/stats")"
jq -e 'select(.code == "Local.StateDatabase")' "$MNT/.cas/errors" >/dev/null || fail "no Local.StateDatabase record"
n=$(grep -c "state database .*: .*full" "$T/casfs.log" || true)
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "database errors logged $n times (want 1..3, not one per file)"
umount_casfs
rm -f "$T/small/fill"
umount "$T/small"
echo PASS
