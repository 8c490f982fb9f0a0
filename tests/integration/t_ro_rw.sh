#!/usr/bin/env bash
# -o ro,rw (rw after ro, as a later option of a command line or an fstab
# line may add) stays read-only: casfs serves it as a ro mount (the inode
# front, which has no write operations), so the kernel mount must be
# read-only too (/proc/mounts shows ro), and every write fails with EROFS,
# not ENOSYS ("Function not implemented", what the kernel answers when it
# sends a write operation the front does not have), and reaches no API
# call (the audit log holds only reads). -o rw,ro, the control, the same;
# and so after `mount -o remount,rw`, which makes the kernel mount writable.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 733
I=$MNT/instances
id=$(first_instance '.CertificateId != null')
d=$I/$id

# calls COND: API requests of any action meeting COND in the audit log
calls() { [ -f "$AUDIT" ] || fail "no audit log"; jq -c "select($1)" "$AUDIT" | wc -l; }

# writes LABEL: each a different FUSE operation; each must fail with EROFS
writes() {
	local label=$1 out
	for w in \
		"write domain:sh -c 'echo x.example.com > \"\$1\"' _ $d/domain" \
		"truncate name:truncate -s 0 $d/name" \
		"truncate by open:sh -c ': > \"\$1\"' _ $d/name" \
		"create:touch $d/new-file" \
		"mkdir:mkdir $I/cas-cn-new-dir" \
		"rmdir an instance:rmdir $d" \
		"unlink:rm -f $d/domain" \
		"rename:python3 -c 'import os,sys; os.rename(sys.argv[1], sys.argv[2])' $d/name $d/name2" \
		"chmod:chmod 600 $d/detail" \
		"setxattr:python3 -c 'import os,sys; os.setxattr(sys.argv[1], \"user.x\", b\"1\")' $d/detail" \
		"symlink:ln -s $d $I/link"; do
		out=$(eval "${w#*:}" 2>&1) && { check_fail "$label: ${w%%:*} succeeded"; continue; }
		grep -q 'Transport endpoint is not connected' <<<"$out" && fail "$label: the mount is dead after ${w%%:*}: $out"
		grep -q 'Read-only file system' <<<"$out" || check_fail "$label: ${w%%:*} failed otherwise than with EROFS: $out"
	done
}

for opts in "ro,rw" "rw,ro"; do
	# shellcheck disable=SC2086 # the options, split at the comma
	mount_casfs ${opts//,/ }
	check_eq "$(front)" inode "front of a -o $opts mount"
	line=$(grep -F " $MNT " /proc/mounts)
	grep -qE ' ro[, ]' <<<"$line" || check_fail "-o $opts: the kernel mount is not read-only: $line"
	cat "$d/domain" "$d/detail" >/dev/null || fail "-o $opts: reading"
	writes "-o $opts"
	check_eq "$(calls '(.action | test("^(List|Get|Describe)") | not)')" 0 "-o $opts: API calls other than reads after the writes"
	check_eq "$(calls '.applied == true')" 0 "-o $opts: calls that changed the account"
	umount_casfs || fail "-o $opts: unclean unmount"
done
# a read-only mount made read-write behind casfs's back (mount -o
# remount,rw): the kernel now sends every change, and the inode front
# refuses each with EROFS and a record; `: > file` too (no atomic O_TRUNC:
# the front answers no OPEN, so the kernel would take it as done)
mount_casfs ro
mount -i -o remount,rw "$MNT" || fail "mount -o remount,rw"
grep -F " $MNT " /proc/mounts | grep -qE ' rw[, ]' || fail "the remount did not make the kernel mount read-write"
e0=$(wc -l <"$MNT/.cas/errors")
writes "remount,rw"
[ "$(wc -l <"$MNT/.cas/errors")" -gt "$e0" ] || check_fail "remount,rw: the refusals left no record in .cas/errors"
grep -q "/instances/$id/name" "$MNT/.cas/errors" || check_fail "remount,rw: no record for /instances/$id/name"
check_eq "$(calls '(.action | test("^(List|Get|Describe)") | not)')" 0 "remount,rw: API calls other than reads after the writes"
umount_casfs || fail "remount,rw: unclean unmount"
checks_done
echo PASS
