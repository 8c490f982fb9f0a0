#!/usr/bin/env bash
# Daemonised (no -f), casfs logs to syslog: a failure's line (with its Code
# and RequestId) arrives at /dev/log tagged casfs[pid] of the daemon, and
# not at the terminal. The test runs in a
# private mount namespace whose /dev is a tmpfs with the few device nodes
# needed and a /dev/log socket of its own, so the machine's /dev is untouched.
if [ -z "${CASFS_IN_NS:-}" ]; then
	exec unshare -m --propagation private env CASFS_IN_NS=1 bash "$0" "$@"
fi
mount -t tmpfs -o mode=755 tmpfs /dev
mknod -m 666 /dev/fuse c 10 229
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/zero c 1 5
mknod -m 666 /dev/urandom c 1 9
mknod -m 666 /dev/random c 1 8
ln -s /proc/self/fd /dev/fd
source "$(dirname "$0")/lib.sh"
# the syslog socket: records every datagram; exits by itself after 20 s idle
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
out = open(sys.argv[1], "w")
out.write("ready\n"); out.flush()
s.settimeout(20)
try:
    while True:
        out.write(s.recv(65536).decode(errors="replace").rstrip("\n") + "\n"); out.flush()
except socket.timeout:
    pass
' "$T/syslog" </dev/null >/dev/null 2>&1 &
LOG_PID=$!
for i in $(seq 1 400); do grep -q ready "$T/syslog" 2>/dev/null && break; sleep 0.05; done # up to 20 s
grep -q ready "$T/syslog" || fail "syslog socket did not start"

start_emulator --instances 3 --seed 71
timeout 60 "$CASFS_BIN" -o "endpoint=$EMU_URL" "$MNT" >"$T/d.out" 2>"$T/d.err" || fail "daemon mode: $(cat "$T/d.err")"
mountpoint -q "$MNT" || fail "daemon mode returned without a mount"
for p in $(pgrep -f -- "$MNT"); do
	[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$CASFS_BIN")" ] && CASFS_PID=$p
done
[ -n "$CASFS_PID" ] || { fusermount3 -u "$MNT"; fail "no casfs daemon found"; }
id=$(ls "$MNT/instances" | head -1)
emu_post faults "403=1@GetInstanceDetail"
expect_fail "Permission denied" cat "$MNT/instances/$id/detail"
emu_post faults ""
for i in $(seq 1 200); do grep -q Forbidden.RAM "$T/syslog" && break; sleep 0.1; done # up to 20 s
grep -E "casfs\[$CASFS_PID\]: .*$id/detail.*Forbidden.RAM.*RequestId" "$T/syslog" >/dev/null ||
	fail "the failure is not in syslog: $(cat "$T/syslog")"
# once detached, nothing more goes to the terminal (the start-up lines before
# the detach may)
grep -q Forbidden "$T/d.err" && fail "the daemon's failure went to stderr: $(cat "$T/d.err")"
umount_casfs || fail "unclean unmount of the daemon"
kill "$LOG_PID" 2>/dev/null || true
wait "$LOG_PID" 2>/dev/null || true
echo PASS
