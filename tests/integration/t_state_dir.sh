#!/usr/bin/env bash
# The state directory's mode: a missing -o state_dir= is created 0700 (its
# missing parents too), whatever the umask; an existing directory is never
# changed (a 1777 one, like /tmp, stays 1777 and is used); one writable by
# its group or everyone without the sticky bit is refused with one line
# naming the option, nothing mounted and no API call. The default directory
# (~/.local/state/casfs) in that state is not used either: the mount goes on
# with its state in memory and says so, and the directory keeps its mode.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 2 --seed 179
mode() { stat -c %a "$1"; }
calls() { grep -c . "$AUDIT" || true; }

# missing: created 0700 under a umask that would give 0755/0777
umask 000
mount_casfs "state_dir=$T/new/state"
umask 022
ls "$MNT/instances" >/dev/null
expect_eq "$(mode "$T/new/state")" 700 "mode of a created state_dir"
expect_eq "$(mode "$T/new")" 700 "mode of a created parent"
ls "$T/new/state"/account-*.db >/dev/null || fail "no database in the created state_dir"
umount_casfs

# existing 1777: used, never changed
mkdir -m 1777 "$T/sticky" && chmod 1777 "$T/sticky"
mount_casfs "state_dir=$T/sticky"
ls "$MNT/instances" >/dev/null
expect_eq "$(mode "$T/sticky")" 1777 "mode of an existing sticky state_dir while mounted"
ls "$T/sticky"/account-*.db >/dev/null || fail "no database in the sticky state_dir"
umount_casfs
expect_eq "$(mode "$T/sticky")" 1777 "mode of an existing sticky state_dir after the unmount"

# existing 0700 of ours stays; 0755 stays 0755
mkdir -m 755 "$T/open" && chmod 755 "$T/open"
mount_casfs "state_dir=$T/open"
umount_casfs
expect_eq "$(mode "$T/open")" 755 "mode of an existing 0755 state_dir"

# group- or world-writable without the sticky bit: refused, unchanged
for m in 777:everyone 770:"its group"; do
	d=$T/unsafe-${m%%:*}
	mkdir "$d" && chmod "${m%%:*}" "$d"
	n=$(calls) rc=0
	"$CASFS_BIN" -f -o "endpoint=$EMU_URL,state_dir=$d" "$MNT" >"$T/u.out" 2>"$T/u.err" || rc=$?
	mountpoint -q "$MNT" && { fusermount3 -u "$MNT"; fail "mode ${m%%:*}: mounted"; }
	expect_eq "$rc" 1 "exit status with a mode ${m%%:*} state_dir"
	grep -qF -- "-o state_dir=$d: the directory is writable by ${m#*:} without the sticky bit" "$T/u.err" ||
		fail "mode ${m%%:*}: stderr was: $(cat "$T/u.err")"
	expect_eq "$(wc -l <"$T/u.err")" 1 "lines on stderr (mode ${m%%:*})"
	expect_eq "$(calls)" "$n" "API calls by the refused mount (mode ${m%%:*})"
	expect_eq "$(mode "$d")" "${m%%:*}" "mode of the refused state_dir"
	[ -z "$(ls -A "$d")" ] || fail "files created in the refused state_dir: $(ls -A "$d")"
done

# the default directory, world-writable: not used (state in memory), not changed
mkdir -p "$HOME/.local/state/casfs" && chmod 777 "$HOME/.local/state/casfs"
mount_casfs
ls "$MNT/instances" >/dev/null
jq -e '.state.database == null' "$MNT/.cas/stats" >/dev/null ||
	fail "a database in the unsafe default directory: $(jq -c .state "$MNT/.cas/stats")"
umount_casfs
grep -q "state directory $HOME/.local/state/casfs: the directory is writable by everyone" "$T/casfs.log" ||
	fail "no warning about the unsafe default directory: $(grep -i state "$T/casfs.log" | tail -3)"
expect_eq "$(mode "$HOME/.local/state/casfs")" 777 "mode of the default directory"
[ -z "$(ls -A "$HOME/.local/state/casfs")" ] || fail "files in the unsafe default directory"
echo PASS
