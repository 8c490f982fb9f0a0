#!/usr/bin/env bash
# Operations: `cmake --install` into a fresh prefix (with DESTDIR) puts the
# binary, the mount(8) helper, the man page, the systemd unit and the
# examples in place, with the installed paths inside them. `man -l` renders
# the page without warnings; --help has examples and the FUSE options that
# matter, without libfuse's module lists. Then, with the installed files
# only: `mount -t fuse.casfs` and an fstab line (`mount -T FSTAB MNT`, a
# private fstab) mount against the emulator, with credentials from a 0600
# file and none in the environment, and `umount` ends the daemon. The helper
# is made visible as /sbin/mount.fuse.casfs only inside a private mount
# namespace, so nothing on the host changes. The legacy `casfs#` form goes
# through the host's mount.fuse3.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 141
n=$(emu_get state | jq '.instances | length')

# DESTDIR: everything lands under DESTDIR/PREFIX, naming PREFIX
D=/opt/casfs-it
DESTDIR=$T/dest cmake --install "$CASFS_BUILD" --prefix "$D" >"$T/install.out" 2>&1 || fail "cmake --install with DESTDIR: $(cat "$T/install.out")"
[ "$(ls "$T/dest")" = opt ] || fail "DESTDIR install wrote outside the prefix: $(ls "$T/dest")"
grep -qx "CASFS=$D/bin/casfs" "$T/dest$D/sbin/mount.fuse.casfs" || fail "the DESTDIR helper does not name $D/bin/casfs"
[ -e "$D" ] && fail "DESTDIR install wrote to $D"

# a fresh prefix, used from here on
P=$T/prefix
R=$P
cmake --install "$CASFS_BUILD" --prefix "$P" >"$T/install.out" 2>&1 || fail "cmake --install: $(cat "$T/install.out")"
for f in bin/casfs sbin/mount.fuse.casfs share/man/man1/casfs.1.gz lib/systemd/system/casfs@.service \
	share/doc/casfs/fstab.example share/doc/casfs/casfs.env.example etc/logrotate.d/casfs \
	share/doc/casfs/OPERATIONS.md share/doc/casfs/copyright share/doc/casfs/changelog.gz; do
	[ -f "$R/$f" ] || fail "not installed: $P/$f ($(cat "$T/install.out"))"
done
[ -x "$R/sbin/mount.fuse.casfs" ] || fail "the helper is not executable"
grep -qx "CASFS=$P/bin/casfs" "$R/sbin/mount.fuse.casfs" || fail "the helper does not name $P/bin/casfs"
grep -q "^ExecStart=$P/bin/casfs -f " "$R/lib/systemd/system/casfs@.service" || fail "the unit does not start $P/bin/casfs -f"
grep -qx "Type=notify" "$R/lib/systemd/system/casfs@.service" || fail "the unit is not Type=notify"

# the man page
MANWIDTH=100 man --warnings -l "$R/share/man/man1/casfs.1.gz" >"$T/man.txt" 2>"$T/man.err" || fail "man -l failed: $(cat "$T/man.err")"
[ -s "$T/man.err" ] && fail "man -l warned: $(cat "$T/man.err")"
for h in NAME SYNOPSIS OPTIONS CREDENTIALS LOGGING "EXIT STATUS" FILES EXAMPLES; do
	grep -q "^$h" "$T/man.txt" || fail "the man page has no $h section"
done
grep -q "log_level=LEVEL" "$T/man.txt" || fail "the man page does not document log_level"
grep -qF "$P/lib/systemd/system/casfs@.service" "$T/man.txt" || fail "the man page does not name the installed unit"
zgrep -q "@[A-Z_]*@" "$R/share/man/man1/casfs.1.gz" && fail "unfilled placeholder in the man page"

# --help and --version of the installed binary
"$R/bin/casfs" --help >"$T/help.txt" || fail "--help exited non-zero"
grep -q '^Examples:' "$T/help.txt" || fail "--help has no examples"
grep -q '^FUSE options that matter' "$T/help.txt" || fail "--help has no FUSE options heading"
grep -qE 'subdir|iconv|modules' "$T/help.txt" && fail "--help lists libfuse modules"
grep -q 'log_file=PATH' "$T/help.txt" || fail "--help does not list log_file"
"$R/bin/casfs" --version | grep -q '^casfs [0-9]' || fail "--version"

# the unit, if systemd-analyze is here (the man page it cites comes from the prefix)
if command -v systemd-analyze >/dev/null; then
	# a template is verified as an instance of it
	cp "$R/lib/systemd/system/casfs@.service" "$T/casfs@it.service"
	MANPATH=$R/share/man timeout 30 systemd-analyze verify "$T/casfs@it.service" >"$T/verify.txt" 2>&1 || true
	[ -s "$T/verify.txt" ] && fail "systemd-analyze verify: $(cat "$T/verify.txt")"
fi

# credentials as an fstab mount has them: a 0600 aliyun CLI file, no environment
cat >"$T/aliyun.json" <<JSON
{"current":"it","profiles":[{"name":"it","mode":"AK","access_key_id":"$AK","access_key_secret":"$SK","region_id":"cn-hangzhou"}]}
JSON
chmod 600 "$T/aliyun.json"
OPTS="endpoint=$EMU_URL,credentials_file=$T/aliyun.json,ttl=5"
printf 'casfs  %s  fuse.casfs  _netdev,nofail,%s  0 0\n' "$MNT" "$OPTS" >"$T/fstab"

# daemon_of: the installed casfs serving $MNT (for cleanup if a step fails)
daemon_of() {
	local p
	for p in $(pgrep -f -- "$MNT" || true); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$R/bin/casfs" ] && { echo "$p"; return; }
	done
}
kill_daemon() { local p; p=$(daemon_of); [ -z "$p" ] || kill -9 "$p"; }
trap 'kill_daemon; cleanup' EXIT

# inside a private mount namespace: /usr/sbin (= /sbin) shows the installed
# helper, so mount(8) finds /sbin/mount.fuse.casfs
cat >"$T/ns.sh" <<'NS'
set -u
R=$1 MNT=$2 OPTS=$3 FSTAB=$4 N=$5 OUT=$6
exec >"$OUT" 2>&1
mount --make-rprivate / && mount --bind "$R/sbin" /usr/sbin || { echo "no namespace: $?"; exit 2; }
[ -x /sbin/mount.fuse.casfs ] || { echo "helper not visible"; exit 2; }
step() { echo "step: $*"; }
check() { # what
	mountpoint -q "$MNT" || { echo "FAIL $1: not mounted"; return 1; }
	grep -F " $MNT " /proc/self/mounts | grep -q " fuse.casfs " || { echo "FAIL $1: type $(grep -F " $MNT " /proc/self/mounts)"; return 1; }
	[ "$(ls "$MNT/instances" | wc -l)" = "$N" ] || { echo "FAIL $1: $(ls "$MNT/instances" | wc -l) instances"; return 1; }
	umount "$MNT" || { echo "FAIL $1: umount"; umount -l "$MNT"; return 1; }
	for i in $(seq 1 100); do pgrep -f -- "bin/casfs casfs $MNT" >/dev/null || break; sleep 0.1; done
	pgrep -f -- "bin/casfs casfs $MNT" >/dev/null && { echo "FAIL $1: the daemon outlived umount"; return 1; }
	mountpoint -q "$MNT" && { echo "FAIL $1: still mounted"; return 1; }
	echo "ok $1"
}
step mount -t fuse.casfs
env -u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET HOME=/nonexistent \
	timeout 60 mount -t fuse.casfs casfs "$MNT" -o "$OPTS" || { echo "FAIL mount -t fuse.casfs: rc $?"; exit 1; }
check "mount -t fuse.casfs" || exit 1
step mount -T fstab
env -u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET HOME=/nonexistent \
	timeout 60 mount -T "$FSTAB" "$MNT" || { echo "FAIL mount -T fstab: rc $?"; exit 1; }
check "fstab line" || exit 1
NS
rc=0
unshare -m bash "$T/ns.sh" "$R" "$MNT" "$OPTS" "$T/fstab" "$n" "$T/ns.out" || rc=$?
cat "$T/ns.out" >&2
[ "$rc" -ne 2 ] || fail "could not set up the private mount namespace"
expect_eq "$rc" 0 "mounts through the installed helper"
expect_eq "$(grep -c '^ok ' "$T/ns.out")" 2 "mounts that worked"
[ -z "$(daemon_of)" ] || fail "a daemon outlived its umount"
mountpoint -q "$MNT" && fail "the host sees a mount from the namespace"

# the legacy form through the host's mount.fuse3: fuse, "PATH#SOURCE"
env -u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET \
	timeout 60 mount -t fuse "$R/bin/casfs#casfs" "$MNT" -o "$OPTS" || fail "mount -t fuse $R/bin/casfs#casfs"
CASFS_PID=$(daemon_of)
[ -n "$CASFS_PID" ] || { umount "$MNT"; fail "no daemon for the casfs# mount"; }
expect_eq "$(ls "$MNT/instances" | wc -l)" "$n" "instances through the casfs# form"
umount "$MNT" || fail "umount of the casfs# mount"
for i in $(seq 1 100); do kill -0 "$CASFS_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$CASFS_PID" 2>/dev/null && fail "the casfs# daemon outlived umount"
CASFS_PID=""
echo PASS
