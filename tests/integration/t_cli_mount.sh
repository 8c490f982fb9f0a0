#!/usr/bin/env bash
# Ways of mounting: daemon mode (no -f) returns 0 only once the tree is
# usable and the daemon exits when unmounted; mount.fuse3 (what fstab and
# `mount -t fuse.casfs` use) mounts with fstab-only options such as _netdev and
# nofail, and refuses unusable credentials with nothing mounted; SIGTERM to a
# foreground casfs unmounts cleanly with exit status 0.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 5 --seed 121
n=$(emu_get state | jq '.instances | length')

# daemon_pid: the casfs daemon serving $MNT (found by its unique mountpoint
# path and checked to be our binary), handed to the harness for cleanup
daemon_pid() {
	local p
	for p in $(pgrep -f -- "$MNT" || true); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$CASFS_BIN")" ] && { echo "$p"; return; }
	done
}

# gone PID: waits (hang guard) for a daemon to exit after its unmount
gone() {
	local i
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# adopt WHAT: hands the daemon of a fresh mount to the harness cleanup; a mount
# without a findable daemon is unmounted before failing (never left behind)
adopt() {
	mountpoint -q "$MNT" || fail "$1 returned 0 without a mount"
	[ -z "$CASFS_PID" ] || return 0
	CASFS_PID=$(daemon_pid)
	[ -n "$CASFS_PID" ] || { fusermount3 -u "$MNT" || fusermount3 -uz "$MNT"; fail "no casfs daemon found after $1"; }
}

usable() { # what
	expect_eq "$(ls "$MNT/instances" | wc -l)" "$n" "instances listed ($1)"
	jq -e . "$MNT/summary" >/dev/null || fail "summary ($1)"
}

# daemon mode
rc=0
timeout 60 "$CASFS_BIN" -o "endpoint=$EMU_URL,ttl=5" "$MNT" >"$T/d.out" 2>"$T/d.err" || rc=$?
if mountpoint -q "$MNT"; then adopt "daemon mode"; fi
expect_eq "$rc" "0" "casfs in daemon mode ($(cat "$T/d.err"))"
adopt "daemon mode"
usable "daemon mode"
fusermount3 -u "$MNT" || fail "fusermount3 -u"
gone "$CASFS_PID" || fail "the daemon did not exit after the unmount"
CASFS_PID=""

# mount.fuse3, as from fstab: casfs  MNT  fuse.casfs  endpoint=...,_netdev,nofail
rc=0
PATH=$(dirname "$CASFS_BIN"):$PATH timeout 60 mount.fuse3 casfs "$MNT" -t casfs \
	-o "endpoint=$EMU_URL,ttl=5,_netdev,nofail" >"$T/m.out" 2>"$T/m.err" || rc=$?
if mountpoint -q "$MNT"; then adopt "mount.fuse3"; fi
expect_eq "$rc" "0" "mount.fuse3 ($(cat "$T/m.err"))"
adopt "mount.fuse3"
grep -F " $MNT " /proc/mounts | grep -q "fuse.casfs" || fail "the mount type is not fuse.casfs: $(grep -F " $MNT " /proc/mounts)"
usable "mount.fuse3"
fusermount3 -u "$MNT" || fail "fusermount3 -u after mount.fuse3"
gone "$CASFS_PID" || fail "the daemon did not exit after the unmount (mount.fuse3)"
CASFS_PID=""

# mount.fuse3 with a wrong secret: non-zero, nothing mounted, the reason on stderr
rc=0
ALIBABA_CLOUD_ACCESS_KEY_SECRET=not-the-secret PATH=$(dirname "$CASFS_BIN"):$PATH \
	timeout 60 mount.fuse3 casfs "$MNT" -t casfs -o "endpoint=$EMU_URL" >"$T/w.out" 2>"$T/w.err" || rc=$?
[ "$rc" -ne 0 ] || fail "mount.fuse3 with a wrong secret exited 0"
[ "$rc" -ne 124 ] || fail "mount.fuse3 with a wrong secret hung"
mountpoint -q "$MNT" && { fusermount3 -u "$MNT"; fail "mount.fuse3 with a wrong secret left a mount"; }
grep -q SignatureDoesNotMatch "$T/w.err" || fail "mount.fuse3 with a wrong secret: no reason given: $(cat "$T/w.err")"

# SIGTERM to a foreground casfs: clean unmount, exit status 0
mount_casfs
usable "foreground"
kill -TERM "$CASFS_PID"
rc=0
for i in $(seq 1 100); do kill -0 "$CASFS_PID" 2>/dev/null || break; sleep 0.1; done
wait "$CASFS_PID" || rc=$?
CASFS_PID=""
mountpoint -q "$MNT" && fail "SIGTERM left $MNT mounted"
grep -qF " $MNT " /proc/mounts && fail "SIGTERM left $MNT in /proc/mounts"
# a requested stop is a success (systemd marks a unit failed otherwise)
expect_eq "$rc" "0" "exit status of casfs after SIGTERM"
echo PASS
