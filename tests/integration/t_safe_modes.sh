#!/usr/bin/env bash
# Modes and owners against libfuse's umask=/uid=/gid=.
# casfs takes those three options itself: uid=/gid= name the owner of the
# files the service backs, umask= only clears bits (a mode is never looser
# than its row's: key.pem stays 0400, config 0644 at most), and the kernel
# checks access (default_permissions) while casfs checks again at open.
# A second user (nobody) with allow_other, at each option set:
# - cannot read key.pem, cannot write config (audit log: 0 UpdateInstance);
# - sees the documented modes and owners; reads what they allow.
# With uid=/gid= the named user owns the files and reads key.pem.
source "$(dirname "$0")/lib.sh"
getent passwd nobody >/dev/null || skip_test "no user nobody"
command -v setpriv >/dev/null || skip_test "no setpriv (util-linux)"
NOBODY=$(id -u nobody)
# the second user must reach the mount point
chmod 0755 "$T"
start_emulator --instances 8 --seed 17
id=$(first_instance '.CertificateId != null and .Status == "normal"')
[ "$id" != null ] || fail "no issued instance in the data set"
city0=$(emu_instance "$id" | jq -r '.City // ""')
d=$MNT/instances/$id
as() { # as UID command...: the command run by UID (its own group, no supplementary groups)
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}

# check_set "OPTIONS" key_mode config_mode read-only_mode dir_mode owner
check_set() {
	local opts=$1 kmode=$2 cmode=$3 rmode=$4 dmode=$5 owner=$6
	log "options: $opts"
	# shellcheck disable=SC2086 # one argument per option
	mount_casfs keys allow_other ${opts//,/ }
	local errs0
	errs0=$(errors_count)
	expect_eq "$(stat -c %a "$d/key.pem")" "$kmode" "key.pem mode with $opts"
	expect_eq "$(stat -c %a "$d/config")" "$cmode" "config mode with $opts"
	expect_eq "$(stat -c %a "$d/cert.pem")" "$rmode" "cert.pem mode with $opts"
	expect_eq "$(stat -c %a "$d")" "$dmode" "instance directory mode with $opts"
	expect_eq "$(stat -c %u:%g "$d/key.pem")" "$owner" "key.pem owner with $opts"
	expect_eq "$(stat -c %u:%g "$d/config")" "$owner" "config owner with $opts"
	# the mounting user (root) reads the key; nobody may not, whatever the options
	grep -q "PRIVATE KEY" "$d/key.pem" || fail "root cannot read key.pem with $opts"
	expect_fail "Permission denied" as "$NOBODY" cat "$d/key.pem"
	expect_fail "Permission denied" as "$NOBODY" dd if="$d/key.pem" of=/dev/null status=none
	expect_fail "Permission denied" as "$NOBODY" sh -c 'echo "{\"City\":\"Nobody\"}" > "$1"' _ "$d/config"
	expect_fail "Permission denied" as "$NOBODY" sh -c 'echo nobody-name > "$1"' _ "$d/name"
	expect_fail "" as "$NOBODY" sh -c 'echo 1 > "$1"' _ "$MNT/.cas/refresh"
	expect_eq "$(audit_count UpdateInstance)" "0" "UpdateInstance calls after nobody's writes with $opts"
	expect_eq "$(emu_instance "$id" | jq -r '.City // ""')" "$city0" "City after nobody's write with $opts"
	# what the modes allow still works for nobody (the directories are searchable, read-only files readable)
	if [ "$((8#$dmode & 1))" = 1 ]; then
		as "$NOBODY" cat "$d/status" >/dev/null || fail "nobody cannot read status with $opts"
		as "$NOBODY" ls "$d" >/dev/null || fail "nobody cannot list the instance with $opts"
	else
		expect_fail "Permission denied" as "$NOBODY" cat "$d/status"
	fi
	log "with $opts: key.pem $kmode, config $cmode, dir $dmode, owner $owner; records $errs0 -> $(errors_count)"
	umount_casfs || fail "unclean unmount"
}

me="$(id -u):$(id -g)"
check_set "" 400 644 444 755 "$me"
check_set "umask=022" 400 644 444 755 "$me"
check_set "umask=0" 400 644 444 755 "$me"
check_set "umask=000" 400 644 444 755 "$me"
check_set "umask=027" 400 640 440 750 "$me"
check_set "umask=077" 400 600 400 700 "$me"
# uid=/gid= name the owner: that user reads the key and writes config; nobody still cannot
check_set "uid=1,gid=1" 400 644 444 755 "1:1"
check_set "uid=1,gid=1,umask=0" 400 644 444 755 "1:1"
mount_casfs keys allow_other uid=1 gid=1
as 1 cat "$d/key.pem" | grep -q "PRIVATE KEY" || fail "the owner named by uid=1 cannot read key.pem"
as 1 sh -c 'echo "{\"City\":\"Daemon\"}" > "$1"' _ "$d/config" || fail "the owner named by uid=1 cannot write config"
expect_eq "$(applied UpdateInstance)" "1" "UpdateInstance applied for the owner named by uid="
expect_eq "$(emu_instance "$id" | jq -r .City)" "Daemon" "City written by the owner named by uid="
umount_casfs || fail "unclean unmount"

# as from fstab (mount.fuse3): casfs  MNT  fuse.casfs  _netdev,keys,allow_other,umask=022
PATH=$(dirname "$CASFS_BIN"):$PATH timeout 60 mount.fuse3 casfs "$MNT" -t casfs \
	-o "endpoint=$EMU_URL,_netdev,keys,allow_other,umask=022,uid=0,gid=0" >"$T/m.out" 2>"$T/m.err" || true
for p in $(pgrep -f -- "$MNT" || true); do
	[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$CASFS_BIN")" ] && CASFS_PID=$p
done
mountpoint -q "$MNT" || fail "mount.fuse3 did not mount: $(cat "$T/m.err")"
[ -n "$CASFS_PID" ] || fail "no casfs daemon found after mount.fuse3"
grep -F " $MNT " /proc/mounts | grep -q "default_permissions,allow_other" ||
	fail "the kernel mount lacks default_permissions: $(grep -F " $MNT " /proc/mounts)"
expect_eq "$(stat -c %a "$d/key.pem")" 400 "key.pem mode mounted from fstab with umask=022"
expect_fail "Permission denied" as "$NOBODY" cat "$d/key.pem"
expect_fail "Permission denied" as "$NOBODY" sh -c 'echo "{\"City\":\"Fstab\"}" > "$1"' _ "$d/config"
expect_eq "$(applied UpdateInstance)" "1" "UpdateInstance applied after nobody's write from fstab options"
umount_casfs || fail "unclean unmount"

# bad values fail the mount with one line, before anything else
for bad in umask=0999 umask=abc umask=01777 uid=no-such-user-xyz gid=no-such-group-xyz uid=; do
	out=$("$CASFS_BIN" -f -o "endpoint=$EMU_URL,$bad" "$MNT" 2>&1) && fail "casfs mounted with -o $bad"
	grep -q "^casfs: -o ${bad%%=*}" <<<"$out" || fail "-o $bad: expected one casfs line about it, got: $out"
done
mountpoint -q "$MNT" && fail "a refused option left a mount"
log "ok"
