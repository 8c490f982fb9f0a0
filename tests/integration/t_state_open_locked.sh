#!/usr/bin/env bash
# A state database that another process holds locked when a mount opens it
# is a busy file, not a corrupt one: the mount waits for the lock (seconds)
# and keeps the file. Never moved aside (no .bad-* file), the month's call
# counts go on from where they were (calls table = the audit log's lines).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 32
LOCKER=""
trap 'rc=$?; set +e; [ -z "$LOCKER" ] || kill "$LOCKER" 2>/dev/null; (exit $rc); cleanup' EXIT
mount_casfs
ls "$MNT/instances" >/dev/null
umount_casfs || fail "unclean unmount"
dir=$HOME/.local/state/casfs
db=$(ls "$dir"/account-*.db)
count() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select coalesce(sum(n),0) from calls").fetchone()[0])' "$db"; }
before=$(count)
[ "$before" -ge 1 ] || fail "no call counted by the first mount"
python3 - "$db" 2>"$T/locker.err" <<'PY' &
import sys, time, sqlite3
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
c.execute("BEGIN IMMEDIATE"); print("locked", flush=True, file=sys.stderr)
time.sleep(1.5); c.execute("COMMIT")
PY
LOCKER=$!
for i in $(seq 1 100); do grep -q locked "$T/locker.err" 2>/dev/null && break; sleep 0.02; done
mount_casfs
wait "$LOCKER"; LOCKER=""
ls "$MNT/instances" >/dev/null
umount_casfs || fail "unclean unmount"
bad=$(ls "$dir" | grep -F '.bad-' || true)
[ -z "$bad" ] || fail "the locked database was moved aside: $bad"
! grep -q "moved aside" "$T/casfs.log" || fail "log: $(grep -m1 'moved aside' "$T/casfs.log")"
expect_eq "$(count)" "$(wc -l <"$AUDIT")" "calls counted = requests in the audit log (none lost)"
echo "PASS: a locked database kept; $(count) calls counted"
