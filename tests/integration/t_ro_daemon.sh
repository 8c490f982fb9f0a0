#!/usr/bin/env bash
# A ro,ttl=2 mount as a daemon (no -f) with allow_other,umask=0227, the way
# a host serves certificates to the services of one group: the umask clears
# bits of every row's mode (a directory 0755 shows 0550, domain 0644 and
# detail 0444 show 0440: no bit for others), and the kernel enforces them
# (default_permissions): user nobody in the files' group reads detail and
# finds no key.pem (no -o keys); nobody outside it is refused (EACCES) the
# listing, the directory and the files; nobody writes; .cas/events followed by
# `tail -f` through the ro mount grows when the service changes an instance
# behind the mount and a read after the ttl fetches the listing; SIGTERM
# while a reader loop runs unmounts cleanly: the mountpoint is gone and the
# daemon exits with status 0, no signal, no core. The daemon's status comes
# from a subreaper (prctl PR_SET_CHILD_SUBREAPER) that started casfs.
source "$(dirname "$0")/lib.sh"
getent passwd nobody >/dev/null || skip_test "no user nobody"
command -v setpriv >/dev/null || skip_test "no setpriv (util-linux)"
NOBODY=$(id -u nobody)
TTL=2
WAIT=$(python3 -c "print($TTL + 0.5)") # past the ttl
TAIL_PID="" READER="" REAPER=""
trap 'r=$?; set +e; for p in $TAIL_PID $READER; do stop_pid "$p"; done; [ -z "$REAPER" ] || kill "$REAPER" 2>/dev/null; (exit $r); cleanup' EXIT
chmod 0755 "$T" # the second user must reach the mount point
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
# as_group USER CMD...: USER with the files' group (the mounting user's, root's) as its group
as_group() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g)" --clear-groups "$@"; }
start_emulator --instances 4 --seed 235

# the daemon, under a subreaper that records how it ends
ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$T/asan" python3 - "$T/daemon.status" timeout 60 "$CASFS_BIN" \
	-o "endpoint=$EMU_URL,ro,ttl=$TTL,allow_other,umask=0227,log_file=$T/casfs.log" "$MNT" <<'PY' 2>>"$T/casfs.log" &
import ctypes, json, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
out = sys.argv[1]
def record(r):
    with open(out, "a") as f:
        f.write(json.dumps(r) + "\n")
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL)
record({"who": "mount", "rc": p.wait()})
while True:
    try:
        pid, st = os.wait()
    except ChildProcessError:
        break
    record({"who": "daemon", "pid": pid, "code": os.WEXITSTATUS(st) if os.WIFEXITED(st) else None,
            "signal": os.WTERMSIG(st) if os.WIFSIGNALED(st) else None, "core": os.WCOREDUMP(st)})
PY
REAPER=$!
for _ in $(seq 1 300); do grep -q '"mount"' "$T/daemon.status" 2>/dev/null && break; sleep 0.1; done
expect_eq "$(jq -r 'select(.who == "mount") | .rc' "$T/daemon.status" 2>/dev/null)" 0 "exit status of the daemon mount's parent"
mountpoint -q "$MNT" || fail "no mount at $MNT"
CASFS_PID=$(daemon_of "$MNT")
[ -n "$CASFS_PID" ] || fail "no casfs daemon for $MNT"
check_eq "$(front)" inode "front of a ro,ttl=$TTL daemon mount"
grep -F " $MNT " /proc/mounts | grep -qE ' ro[, ]' || check_fail "the kernel mount is not read-only: $(grep -F " $MNT " /proc/mounts)"

# ---- the modes umask=0227 leaves (rows: directory 0755, domain 0644, detail and cert.pem 0444)
I=$MNT/instances
id=$(first_instance '.CertificateId != null')
d=$I/$id
check_eq "$(stat -c '%a %u:%g' "$I")" "550 $(id -u):$(id -g)" "mode and owner of instances/ with umask=0227"
check_eq "$(stat -c %a "$d")" 550 "mode of an instance directory with umask=0227"
check_eq "$(stat -c %a "$d/domain")" 440 "mode of domain with umask=0227"
check_eq "$(stat -c %a "$d/detail")" 440 "mode of detail with umask=0227"
check_eq "$(stat -c %a "$d/cert.pem")" 440 "mode of cert.pem with umask=0227"

# ---- another user in the files' group: reads detail, finds no key.pem, writes nothing
as_group "$NOBODY" cat "$d/detail" >"$T/detail.nobody" || fail "nobody in the files' group cannot read detail through allow_other"
cmp -s "$T/detail.nobody" "$d/detail" || fail "nobody reads other bytes of detail than root"
jq -e .InstanceId "$T/detail.nobody" >/dev/null || fail "detail read by nobody is not JSON"
as_group "$NOBODY" cat "$d/cert.pem" | grep -q 'BEGIN CERTIFICATE' || fail "nobody in the files' group cannot read cert.pem"
as_group "$NOBODY" ls "$I" | grep -qxF "$id" || fail "nobody in the files' group cannot list instances/"
expect_fail "No such file" as_group "$NOBODY" cat "$d/key.pem"
expect_fail "No such file" cat "$d/key.pem"
expect_absent "$d" key.pem
expect_fail "" as_group "$NOBODY" sh -c 'echo x.example.com > "$1"' _ "$d/domain"
# ---- and outside it: the modes give others nothing, the kernel refuses
expect_fail "Permission denied" as "$NOBODY" ls "$I"
expect_fail "Permission denied" as "$NOBODY" ls "$d"
expect_fail "Permission denied" as "$NOBODY" cat "$d/detail"
expect_fail "Permission denied" as "$NOBODY" stat "$d/domain"
expect_fail "Read-only file system" sh -c 'echo x.example.com > "$1"' _ "$d/domain"
expect_eq "$(audit_count UpdateInstance)" 0 "UpdateInstance calls after writes to a ro mount"

# ---- tail -f of .cas/events through the ro mount
ls -l "$I" >/dev/null # the first listing is the feed's baseline
s0=$(stat -c %s "$MNT/.cas/events")
tail -n 0 -f "$MNT/.cas/events" >"$T/tail.out" 2>"$T/tail.err" &
TAIL_PID=$!
wait_following "$TAIL_PID" "$MNT/.cas/events"
for n in 1 2; do
	emu_post "instances/$id" "{\"CertificateName\":\"ro-daemon-$n\"}"
	sleep "$WAIT"
	ls -l "$I" >/dev/null
	check_eq "$(cat "$d/name")" "ro-daemon-$n" "name $WAIT s after the service changed it ($n)"
	wait_line ".kind == \"changed\" and .changes.CertificateName.new == \"ro-daemon-$n\"" 20 ||
		check_fail "tail -f of .cas/events shows no changed line for ro-daemon-$n within 20 s (events: $(tail -c 600 "$MNT/.cas/events"); tail: $(tail -c 300 "$T/tail.out") $(cat "$T/tail.err"))"
done
s1=$(stat -c %s "$MNT/.cas/events")
[ "$s1" -gt "$s0" ] || check_fail "the size of .cas/events did not grow ($s0 -> $s1)"
check_eq "$(grep -c . "$T/tail.out")" "$(grep -c . "$MNT/.cas/events")" "lines tail -f saw = lines of the feed"
stop_pid "$TAIL_PID"
TAIL_PID=""

# ---- SIGTERM while a reader loop runs: a clean unmount, status 0
(while :; do cat "$d/detail" "$d/name" "$I"/*/domain "$MNT/.cas/stats" >/dev/null 2>&1 || true; ls "$I" >/dev/null 2>&1 || true; done) &
READER=$!
sleep 1
kill -TERM "$CASFS_PID"
for _ in $(seq 1 300); do grep -q '"daemon"' "$T/daemon.status" && break; sleep 0.1; done
st=$(jq -c 'select(.who == "daemon")' "$T/daemon.status")
[ -n "$st" ] || fail "the daemon did not exit within 30 s of SIGTERM"
CASFS_PID=""
stop_pid "$READER"
READER=""
log "daemon after SIGTERM: $st"
expect_eq "$(jq -c '[.code, .signal, .core]' <<<"$st")" "[0,null,false]" "the daemon's exit after SIGTERM [code, signal, core]"
mountpoint -q "$MNT" && fail "still mounted after SIGTERM"
grep -qF " $MNT " /proc/mounts && fail "still in /proc/mounts after SIGTERM"
wait "$REAPER" || true
REAPER=""
! ls "$T"/asan.* >/dev/null 2>&1 || fail "sanitizer report from the daemon: $(head -40 "$T"/asan.*)"
checks_done
echo PASS
