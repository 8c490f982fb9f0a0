#!/usr/bin/env bash
# Mount hygiene, as s3fs and rclone do it: a mountpoint that is
# already mounted is refused; a dead casfs mount (after kill -9) is refused
# with the hint `fusermount3 -u <mnt>`, and mounts again once cleared; a
# non-empty mountpoint is refused unless -o nonempty; an unknown region
# warns naming the endpoint; an inaccessible /dev/fuse gets a hint about its
# permissions or the fuse group. Each refusal is one line, exit status 1.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 5

# refused NAME REGEX -- command...: exit 1, one line on stderr matching REGEX
refused() {
	local name=$1 re=$2 rc=0
	shift 3
	timeout 30 "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "$name: exit status $rc, want 1 ($(cat "$T/err"))"
	expect_eq "$(wc -l <"$T/err")" 1 "$name: lines on stderr ($(cat "$T/err"))"
	grep -qE -- "$re" "$T/err" || fail "$name: stderr does not match /$re/: $(cat "$T/err")"
}

# ---- already mounted: refused, the first mount keeps working
mount_casfs
refused "already mounted" "$MNT is already mounted \(fuse\.casfs\).*fusermount3 -u $MNT" -- \
	"$CASFS_BIN" -f -o "endpoint=$EMU_URL" "$MNT"
expect_eq "$(grep -c " $MNT " /proc/mounts)" 1 "mounts at $MNT after the refused second mount"
ls "$MNT/instances" | wc -l | grep -qx 3 || fail "the first mount stopped working"

# ---- a dead mount: refused with the command that clears it
kill -9 "$CASFS_PID" # CASFS_PID stays set: on failure the harness clears the dead mount
wait "$CASFS_PID" 2>/dev/null || true
stat "$MNT" >/dev/null 2>&1 && fail "the mount is not dead after kill -9"
refused "dead mount" "$MNT is a dead FUSE mount.*fusermount3 -u $MNT" -- "$CASFS_BIN" -f -o "endpoint=$EMU_URL" "$MNT"
expect_eq "$(grep -c " $MNT " /proc/mounts)" 1 "mounts at $MNT after the refused mount over the dead one"
fusermount3 -u "$MNT" || fail "fusermount3 -u of the dead mount"
CASFS_PID=""
mount_casfs
ls "$MNT/instances" | wc -l | grep -qx 3 || fail "no mount after clearing the dead one"
umount_casfs

# ---- a non-empty mountpoint: refused; -o nonempty mounts over it
mkdir -p "$T/full"
echo keep >"$T/full/file"
refused "non-empty mountpoint" "$T/full is not empty; use -o nonempty" -- "$CASFS_BIN" -f -o "endpoint=$EMU_URL" "$T/full"
grep -qF " $T/full " /proc/mounts && fail "the non-empty mountpoint was mounted"
"$CASFS_BIN" -o "endpoint=$EMU_URL,nonempty" "$T/full" 2>"$T/err" || fail "-o nonempty: $(cat "$T/err")"
ls "$T/full/instances" | wc -l | grep -qx 3 || fail "-o nonempty does not show the account"
fusermount3 -u "$T/full"
expect_eq "$(cat "$T/full/file")" keep "the hidden file after unmounting"

# ---- an unknown region: a warning that names the endpoint, and the mount works
mount_casfs region=xx-nowhere-9
grep -E "warning: region \"xx-nowhere-9\" is not a region casfs knows; using endpoint $EMU_URL" "$T/casfs.log" >/dev/null ||
	fail "no region warning naming the endpoint: $(head -3 "$T/casfs.log")"
umount_casfs
: >"$T/casfs.log"
mount_casfs region=cn-hangzhou
grep -q "warning: region" "$T/casfs.log" && fail "a known region warned"
umount_casfs

# ---- an inaccessible /dev/fuse (a private mount namespace hides the device behind a 0600 file)
if unshare -m --propagation private true 2>/dev/null; then
	N=$(mktemp -d /tmp/casfs-nobody.XXXXXX)
	chmod 755 "$N"
	mkdir "$N/mnt" && chmod 777 "$N/mnt"
	cp "$CASFS_BIN" "$N/casfs" && chmod 755 "$N/casfs"
	touch "$N/fuse" && chmod 600 "$N/fuse"
	rc=0
	unshare -m --propagation private sh -c 'mount --bind "$1/fuse" /dev/fuse &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/ "$1/casfs" -f -o "endpoint=$2" "$1/mnt"' \
		_ "$N" "$EMU_URL" >"$T/out" 2>"$T/err" || rc=$?
	rm -rf "$N"
	expect_eq "$rc" 1 "exit status with an inaccessible /dev/fuse ($(cat "$T/err"))"
	expect_eq "$(wc -l <"$T/err")" 1 "lines on stderr with an inaccessible /dev/fuse"
	grep -qE "cannot open /dev/fuse: Permission denied.*(0666|fuse)" "$T/err" ||
		fail "no /dev/fuse hint: $(cat "$T/err")"
else
	log "unshare -m is not available: the /dev/fuse case is skipped"
fi
echo PASS
