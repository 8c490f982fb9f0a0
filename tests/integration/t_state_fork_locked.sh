#!/usr/bin/env bash
# A daemonized mount (no -f) whose state database another process holds
# locked while the mount's first call (the probe, before the daemon's
# fork) goes through the call accounting. No accounting thread may exist
# before the fork: one that backs off a locked database inside a condition
# variable wait leaves the daemon a copy with a phantom waiter, and the
# daemon then never exits at unmount (pthread_cond_destroy blocks). The
# daemon must exit within 10 s of the unmount, and every call the emulator
# saw (the probe's throttled attempt and its retry included) is counted in
# the database's calls table: the probe's count waits for the daemon.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 31
command -v python3 >/dev/null || skip_test "no python3"
LOCKER=""
trap 'rc=$?; set +e; [ -z "$LOCKER" ] || kill "$LOCKER" 2>/dev/null; (exit $rc); cleanup' EXIT
state_db
db=$DB

emu_post faults "throttle:1200=1@ListInstances#1"
# the locker takes the database's write lock once the probe is being retried
# (before the fork) and keeps it 2.5 s: past the fork and the daemon's reopen
python3 - "$T/daemon.log" "$db" 2>"$T/locker.err" <<'PY' &
import sys, time, sqlite3
log, db = sys.argv[1], sys.argv[2]
for _ in range(2000):
    try:
        if 'retry 1 in' in open(log).read(): break
    except FileNotFoundError: pass
    time.sleep(0.005)
c = sqlite3.connect(db, isolation_level=None, timeout=5)
c.execute("BEGIN IMMEDIATE"); print("locked", flush=True, file=sys.stderr)
time.sleep(2.5); c.execute("COMMIT"); print("unlocked", flush=True, file=sys.stderr)
PY
LOCKER=$!
timeout 60 "$CASFS_BIN" -o "endpoint=$EMU_URL,log_file=$T/daemon.log,log_level=debug" "$MNT" 2>>"$T/casfs.log" ||
	fail "daemon mount failed: $(tail -3 "$T/casfs.log")"
wait "$LOCKER" || fail "the locker failed: $(cat "$T/locker.err")"
LOCKER=""
grep -q '^locked' "$T/locker.err" || fail "the database was never locked during the probe"
DPID=""
for p in $(pgrep -x casfs || true); do
	[ "$(tr '\0' '\n' <"/proc/$p/cmdline" | tail -n1)" = "$MNT" ] && DPID=$p
done
[ -n "$DPID" ] || fail "no daemon for $MNT"
ls "$MNT/instances" >/dev/null || fail "ls in the daemon"
grep -q "moved aside\|cannot reopen" "$T/daemon.log" && fail "the daemon gave up its database: $(grep -m1 'moved aside\|cannot reopen' "$T/daemon.log")"
fusermount3 -u "$MNT" || fail "unmount"
for i in $(seq 1 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$DPID" 2>/dev/null; then
	command -v gdb >/dev/null && timeout 20 gdb -p "$DPID" -batch -ex "thread apply all bt" 2>/dev/null | grep -E '^#' | head -20 >&2
	kill -9 "$DPID"
	fail "the daemon did not exit within 10 s of the unmount"
fi
sent=$(wc -l <"$AUDIT")
counted=$(sqlite3 "$db" "SELECT coalesce(sum(n), 0) FROM calls" 2>/dev/null || python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select coalesce(sum(n),0) from calls").fetchone()[0])' "$db")
expect_eq "$counted" "$sent" "calls counted in the database = requests in the audit log"
echo "PASS: daemon exited after unmount; $counted of $sent calls counted"
