#!/usr/bin/env bash
# Operations: logging and service readiness. -o log_level and -o log_file
# refuse bad values with one line and no call; a log file gets every record
# in the one line format, honours the level, and after a rename plus SIGHUP
# writing continues into a new file at the same path (also from a daemon
# given a relative path). Under a NOTIFY_SOCKET, READY=1 arrives once the
# mount is up, and STOPPING=1 on SIGTERM, which exits 0. Without /dev/log a
# daemon without log_file warns that its log would be lost.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 131
id=$(first_instance)
LINE_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z casfs\[[0-9]+\] (error|warn|info|debug): [^[:cntrl:]]*$'

# bad values: exit 1, one line naming the option, nothing mounted, no call
for bad in "log_level=loud|log_level must be error, warn, info or debug" \
	"log_file=$T/no/such/dir/x.log|log_file=$T/no/such/dir/x.log: No such file or directory"; do
	rc=0
	"$CASFS_BIN" -f -o "endpoint=$EMU_URL,${bad%%|*}" "$MNT" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
	expect_eq "$rc" 1 "exit status for -o ${bad%%|*}"
	grep -qF -- "${bad#*|}" "$T/bad.err" || fail "-o ${bad%%|*}: stderr was: $(cat "$T/bad.err")"
	expect_eq "$(wc -l <"$T/bad.err")" 1 "lines on stderr for -o ${bad%%|*}"
	mountpoint -q "$MNT" && fail "-o ${bad%%|*} mounted"
done
expect_eq "$(audit_count ListInstances)" 0 "calls made by refused command lines"

# a notify socket standing in for systemd: records each datagram and whether
# the mountpoint was mounted when it arrived
python3 - "$T/notify.sock" "$MNT" "$T/notify.txt" <<'PY' &
import os, socket, sys
sock, mnt, out = sys.argv[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock)
s.settimeout(60)
with open(out, "a", buffering=1) as f:
    try:
        while True:
            msg = s.recv(4096).decode()
            f.write("%s mounted=%s\n" % (msg.replace("\n", " "), os.path.ismount(mnt)))
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
PY
NOTIFY_PID=$!
for i in $(seq 1 100); do [ -S "$T/notify.sock" ] && break; sleep 0.05; done

# foreground, log file at debug level, readiness notification
NOTIFY_SOCKET=$T/notify.sock mount_casfs "log_file=$T/a.log,log_level=debug,ttl=5"
for i in $(seq 1 100); do grep -q READY=1 "$T/notify.txt" 2>/dev/null && break; sleep 0.05; done
grep -q "READY=1 .*mounted=True" "$T/notify.txt" || fail "no READY=1 after the mount: $(cat "$T/notify.txt" 2>&1)"
[ -s "$T/casfs.log" ] && fail "with log_file, stderr got: $(cat "$T/casfs.log")"
emu_post faults "500=1@GetInstanceDetail#1"
cat "$MNT/instances/$id/detail" >/dev/null || fail "a detail read with one 500"
grep -q ' debug: GetInstanceDetail: retry 1 ' "$T/a.log" || fail "no debug line for the retry: $(cat "$T/a.log")"
grep -q ' info: mounted at ' "$T/a.log" || fail "no 'mounted at' line"
bad=$(grep -cvE "$LINE_RE" "$T/a.log" || true)
expect_eq "$bad" 0 "lines of a.log not in the line format ($(grep -vE "$LINE_RE" "$T/a.log" | head -3))"

# rotated LOG: as logrotate does it (rename, SIGHUP), the next record (from
# .cas/refresh) goes to a new LOG and none to the renamed one
rotated() {
	mv "$1" "$1.1"
	kill -HUP "$CASFS_PID"
	wait_log_reopened "$CASFS_PID" "$1.1"
	echo 1 >"$MNT/.cas/refresh"
	for i in $(seq 1 200); do grep -qs 'every cache dropped' "$1" && break; sleep 0.1; done
	grep -q 'info: .cas/refresh: every cache dropped' "$1" || fail "no record in the reopened $1"
	grep -q 'every cache dropped' "$1.1" && fail "the rotated $1.1 got a record after SIGHUP"
	return 0
}
rotated "$T/a.log"
ls "$MNT/instances" >/dev/null || fail "the mount did not survive SIGHUP"
kill -0 "$CASFS_PID" || fail "casfs exited on SIGHUP"

# SIGTERM: STOPPING=1, exit 0
kill -TERM "$CASFS_PID"
rc=0
wait "$CASFS_PID" || rc=$?
CASFS_PID=""
expect_eq "$rc" 0 "exit status after SIGTERM"
for i in $(seq 1 50); do grep -q STOPPING=1 "$T/notify.txt" && break; sleep 0.1; done
grep -q STOPPING=1 "$T/notify.txt" || fail "no STOPPING=1: $(cat "$T/notify.txt")"
wait "$NOTIFY_PID" 2>/dev/null || true
grep -q ' info: unmounting ' "$T/a.log" || fail "no 'unmounting' line"

# log_level=error: only errors; a refused write is one
mount_casfs "log_file=$T/e.log,log_level=error"
echo 'not json' >"$MNT/instances/$id/config" 2>/dev/null && fail "invalid JSON was accepted"
grep -q " error: /instances/$id/config: " "$T/e.log" || fail "no error line: $(cat "$T/e.log")"
grep -qE ' (warn|info|debug): ' "$T/e.log" && fail "log_level=error let through: $(grep -E ' (warn|info|debug): ' "$T/e.log")"
umount_casfs

# a daemon with a relative log_file (it runs in /) reopens it by its full path;
# the command returns once the daemon serves, so its "mounted at" line is
# already there, every time (five starts: the line is the daemon's, written
# after the fork, and a parent that returned at the fork raced it)
for round in 1 2 3 4 5; do
	(cd "$T" && "$CASFS_BIN" -o "endpoint=$EMU_URL,log_file=d.log" "$MNT") || fail "daemon mode with log_file"
	lines=$(grep -c ' info: mounted at ' "$T/d.log")
	CASFS_PID=$(pgrep -n -f -- "log_file=d.log" || true)
	[ -n "$CASFS_PID" ] || { fusermount3 -u "$MNT"; fail "no daemon found"; }
	expect_eq "$lines" "$round" "'mounted at' lines in d.log when the command returned (start $round)"
	[ "$round" = 5 ] || umount_casfs
done
rotated "$T/d.log"
umount_casfs

# a daemon that would log to syslog where there is none says so before detaching
if [ ! -e /dev/log ]; then
	"$CASFS_BIN" -o "endpoint=$EMU_URL" "$MNT" 2>"$T/nolog.err" || fail "daemon mode without /dev/log"
	CASFS_PID=$(pgrep -n -f -- "endpoint=$EMU_URL $MNT" || true)
	[ -n "$CASFS_PID" ] || { fusermount3 -u "$MNT"; fail "no daemon found (no /dev/log)"; }
	grep -q 'no syslog socket (/dev/log), the daemon.s log is lost; use -o log_file=PATH or -f' "$T/nolog.err" ||
		fail "no warning about the missing /dev/log: $(cat "$T/nolog.err")"
	umount_casfs
fi
echo PASS
