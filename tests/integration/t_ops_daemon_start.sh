#!/usr/bin/env bash
# Signals while a daemon (no -f) starts. The window between the fork and
# the daemon's handlers is stretched: the probe before the fork is
# throttled once, and while it waits to retry another process takes the
# state database's write lock for 4 s, which the daemon's reopen after the
# fork waits out (as in t_state_fork_locked).
# - timeout(1) stopping the command (SIGTERM, as Ctrl-C's SIGINT) stops the
#   start: the command returns only when the daemon has unmounted and gone,
#   with 128+15, and nothing stays mounted;
# - SIGTERM to the daemon itself in that window stops it cleanly (no dead
#   "Transport endpoint is not connected" mount), and SIGHUP (a logrotate
#   postrotate) only reopens its log: the mount serves. A daemon stopped
#   before it served makes the command return 1, after the unmount;
# - a caller that ignores SIGINT (a script's background job) keeps it
#   ignored: the mount comes up.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 57
LOCKER=""
trap 'rc=$?; set +e; [ -z "$LOCKER" ] || kill "$LOCKER" 2>/dev/null; (exit $rc); cleanup' EXIT
state_db
db=$DB
touch "$T/d.log"

# stretch: the next start's probe is throttled once; the locker takes the
# write lock when that start logs its retry, and keeps it 4 s
stretch() {
	emu_post faults "throttle:1200=1@ListInstances#1"
	python3 - "$db" "$T/d.log" "$(grep -c 'retry 1 in' "$T/d.log")" 2>"$T/locker.err" <<'PY' &
import sys, time, sqlite3
db, log, seen = sys.argv[1], sys.argv[2], int(sys.argv[3])
for _ in range(5000):
    if open(log).read().count('retry 1 in') > seen: break
    time.sleep(0.002)
c = sqlite3.connect(db, isolation_level=None, timeout=5)
c.execute("BEGIN IMMEDIATE"); print("locked", flush=True, file=sys.stderr)
time.sleep(4); c.execute("COMMIT")
PY
	LOCKER=$!
}
locked() { # the stretch worked: the lock was taken
	wait "$LOCKER" || fail "the locker failed: $(cat "$T/locker.err")"
	LOCKER=""
	grep -q '^locked' "$T/locker.err" || fail "the database was never locked during the start"
}
# daemon_of PARENT: the daemon the command forked (waits up to 5 s)
daemon_of() {
	local i p
	for i in $(seq 1 100); do
		p=$(pgrep -P "$1" -x casfs || true)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	fail "no daemon forked by $1"
}
# gone PID: the process has exited and the mountpoint is free within 5 s
gone() {
	local i
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || mountpoint -q "$MNT" || return 0
		sleep 0.05
	done
	fail "$2: the daemon $1 is still there ($(mountpoint "$MNT" 2>&1; ls "$MNT" 2>&1 | head -1))"
}
OPTS="endpoint=$EMU_URL,log_file=$T/d.log,log_level=debug"

# 1. the command stopped while the daemon waits for its database
stretch
rc=0
timeout --preserve-status -s TERM 2.5 "$CASFS_BIN" -o "$OPTS" "$MNT" 2>>"$T/casfs.log" || rc=$?
mounted=$(mountpoint -q "$MNT" && echo yes || echo no)
left=$(pgrep -f -- "log_file=$T/d.log" || true)
[ -z "$left" ] || { kill $left; fusermount3 -u "$MNT"; }
expect_eq "$rc" 143 "status of a start stopped by SIGTERM"
expect_eq "$mounted" no "mounted after the stopped start returned"
expect_eq "$left" "" "casfs processes after the stopped start returned"
locked
grep -q "signal 15: stopping" "$T/d.log" || fail "the daemon was not stopped by its handler: $(tail -3 "$T/d.log")"

# signal_in_start WHO SIG: a stretched start; once it has forked, SIG goes
# to the daemon (WHO=daemon) or to the waiting command (WHO=command); sets
# D (the daemon) and RC (the command's status)
signal_in_start() {
	stretch
	"$CASFS_BIN" -o "$OPTS" "$MNT" 2>>"$T/casfs.log" &
	local parent=$! # casfs itself, the parent of the daemon
	D=$(daemon_of "$parent")
	if [ "$1" = daemon ]; then kill "-$2" "$D"; else kill "-$2" "$parent"; fi
	RC=0
	wait "$parent" || RC=$?
}

# 2. SIGTERM to the daemon before its handlers: a clean stop, no dead mount
signal_in_start daemon TERM
mounted=$(mountpoint -q "$MNT" && echo yes || echo no)
gone "$D" "SIGTERM in the start"
mountpoint -q "$MNT" && fail "a dead mount after SIGTERM in the start: $(ls "$MNT" 2>&1 | head -1)"
# it never served: the command says so, once the mountpoint is free
expect_eq "$RC" 1 "status of a start whose daemon was stopped before it served"
expect_eq "$mounted" no "mounted when that command returned"
locked
expect_eq "$(grep -c "signal 15: stopping" "$T/d.log")" 2 "stops by the daemon's handler"

# 3. SIGHUP to the daemon before its handlers: it only reopens its log
signal_in_start daemon HUP
expect_eq "$RC" 0 "status of a start that got SIGHUP"
CASFS_PID=$D
kill -0 "$D" 2>/dev/null || fail "the daemon died of SIGHUP in its start"
ls "$MNT/instances" >/dev/null || fail "the mount does not serve after SIGHUP in the start"
locked
umount_casfs || fail "unclean unmount"

# 4. a caller that ignores SIGINT (a script's background job, as here:
# bash starts it with SIGINT ignored) keeps it ignored: SIGINT to the
# waiting command is not passed on, and the mount comes up
signal_in_start command INT
expect_eq "$RC" 0 "status of a start whose caller ignores SIGINT, after a SIGINT"
CASFS_PID=$D
ls "$MNT/instances" >/dev/null || fail "the mount does not serve after an ignored SIGINT"
expect_eq "$(grep -c "signal 2: stopping" "$T/d.log")" 0 "stops by SIGINT"
locked
umount_casfs || fail "unclean unmount"
echo PASS
