#!/usr/bin/env bash
# Safe by default: without -o allow_delete, rmdir instances/<id>,
# rm -rf, Ansible's file state=absent and rm cloud-access/<id> delete
# nothing (EPERM with a record naming the option); with it, each deletes
# its instance with exactly one DeleteInstance and exits 0. A directory
# holding scratch files is ENOTEMPTY either way; scratch directories
# (mkdir/rmdir) come and go in memory. The audit log is the oracle.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 12 --seed 91 --stall-ms 1500
mount_casfs

mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
[ "${#ids[@]}" -ge 6 ] || fail "need six instances"
access=$(emu_get state | jq -r '.cloud_access[0].AccessId')
[ -n "$access" ] && [ "$access" != null ] || fail "the emulator has no cloud-access entry"
dels() { audit_count DeleteInstance "${1:+.params.InstanceId == \"$1\"}"; }
last_error() { tail -n1 "$MNT/.cas/errors"; }
ansible_absent() { # path: Ansible's file state=absent, JSON result on stdout
	ANSIBLE_LOCAL_TEMP=$T/ansible ANSIBLE_HOME=$T/ansible ANSIBLE_STDOUT_CALLBACK=json \
		ansible localhost -c local -i localhost, -m ansible.builtin.file -a "path=$1 state=absent" \
		-o 2>"$T/ansible.err"
}

# ---- default mount: nothing is deleted
expect_eq "$(jq .allow_delete "$MNT/.cas/stats")" false ".cas/stats allow_delete by default"
a=${ids[0]}
expect_fail "Operation not permitted" rmdir "$MNT/instances/$a"
expect_eq "$(last_error | jq -r '.errno + " " + .path')" "EPERM /instances/$a" "record of the refused rmdir"
last_error | jq -r .message | grep -q allow_delete || fail "the record does not name -o allow_delete: $(last_error)"
grep -q "allow_delete" "$T/casfs.log" || fail "the log does not name -o allow_delete"
expect_fail "Operation not permitted" rm "$MNT/cloud-access/$access"
expect_fail "Operation not permitted" rm -rf "$MNT/instances/$a"
[ -f "$MNT/instances/$a/config" ] || fail "rm -rf without allow_delete removed something"
out=$(ansible_absent "$MNT/instances/$a") && fail "ansible file state=absent succeeded without allow_delete: $out"
grep -q "Operation not permitted" <<<"$out" || fail "ansible's failure does not say EPERM: $out"
expect_eq "$(dels)" 0 "DeleteInstance calls without allow_delete"
expect_eq "$(audit_count DeleteCloudAccess)" 0 "DeleteCloudAccess calls without allow_delete"
[ -d "$MNT/instances/$a" ] || fail "$a vanished without allow_delete"

# scratch directories: mkdir/rmdir of names that are not nodes, listed, in memory
b=${ids[1]}
mkdir "$MNT/instances/$b/name.lock" || fail "mkdir of a scratch directory"
[ -d "$MNT/instances/$b/name.lock" ] || fail "the scratch directory is not a directory"
ls "$MNT/instances/$b" | grep -qx name.lock || fail "the scratch directory is not listed"
expect_fail "File exists" mkdir "$MNT/instances/$b/name.lock"
expect_fail "File exists" mkdir "$MNT/instances/$b/config"
expect_fail "Permission denied" touch "$MNT/instances/$b/name.lock/x"
expect_fail "Not a directory" python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' \
	"$MNT/instances/$b/name.lock" "$MNT/instances/$b/config"
mv "$MNT/instances/$b/name.lock" "$MNT/instances/$b/other.lock" || fail "rename of a scratch directory"
rmdir "$MNT/instances/$b/other.lock" || fail "rmdir of a scratch directory"
[ -e "$MNT/instances/$b/other.lock" ] && fail "the scratch directory survived rmdir"
expect_fail "Operation not permitted" mkdir "$MNT/instances/newdir"
# a directory holding a scratch file is ENOTEMPTY (before the consent check)
echo "my notes" >"$MNT/instances/$b/notes.txt" || fail "scratch file"
expect_fail "Directory not empty" rmdir "$MNT/instances/$b"
expect_eq "$(last_error | jq -r .errno)" ENOTEMPTY "record of rmdir over a scratch file"
expect_eq "$(dels)" 0 "DeleteInstance calls after the ENOTEMPTY rmdir"

# ---- with -o allow_delete (scratch files live in memory: the notes are gone with the remount)
remount_casfs allow_delete
expect_eq "$(jq .allow_delete "$MNT/.cas/stats")" true ".cas/stats allow_delete with the option"
echo "my notes" >"$MNT/instances/$b/notes.txt" || fail "scratch file"
mkdir "$MNT/instances/$b/lock" || fail "scratch directory"
expect_fail "Directory not empty" rmdir "$MNT/instances/$b"
expect_eq "$(cat "$MNT/instances/$b/notes.txt")" "my notes" "the scratch file after the refused rmdir"
rmdir "$MNT/instances/$b/lock"
expect_fail "Directory not empty" rmdir "$MNT/instances/$b"
expect_eq "$(dels)" 0 "DeleteInstance calls after ENOTEMPTY with allow_delete"
rm "$MNT/instances/$b/notes.txt"
# a failing DeleteInstance: EIO for rmdir, nothing applied, the directory stays
emu_post faults '500=1@DeleteInstance'
expect_fail "Input/output error" rmdir "$MNT/instances/$b"
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null
expect_eq "$(applied DeleteInstance)" 0 "applied deletes after DeleteInstance answered 500"
[ -d "$MNT/instances/$b" ] || fail "$b vanished after a failed DeleteInstance"
D0=$(dels "$b")
rmdir "$MNT/instances/$b" || fail "rmdir with allow_delete"
expect_eq "$(dels "$b")" $((D0 + 1)) "DeleteInstance calls for rmdir $b"
expect_eq "$(applied DeleteInstance)" 1 "applied deletes after rmdir"
[ -e "$MNT/instances/$b" ] && fail "$b still resolves after rmdir"

# unlinking an instance's own file alone changes nothing, and the file stays
c=${ids[2]}
config_c=$(cat "$MNT/instances/$c/config")
rm "$MNT/instances/$c/config" || fail "rm of an instance file with allow_delete"
expect_eq "$(cat "$MNT/instances/$c/config")" "$config_c" "config after rm"
expect_eq "$(audit_count DeleteInstance) $(audit_count UpdateInstance)" "$((D0 + 1)) 0" "calls after rm of config"

# rm -rf with scratch entries inside: exit 0, silent, one DeleteInstance
echo tmp >"$MNT/instances/$c/sed123" && mkdir "$MNT/instances/$c/x.lock"
rm -rf "$MNT/instances/$c" 2>"$T/rm.err" || fail "rm -rf with allow_delete: $(cat "$T/rm.err")"
[ -s "$T/rm.err" ] && fail "rm -rf printed: $(cat "$T/rm.err")"
expect_eq "$(dels "$c")" 1 "DeleteInstance calls for rm -rf $c"
[ -e "$MNT/instances/$c" ] && fail "$c still resolves after rm -rf"

# Ansible file state=absent: changed, one DeleteInstance; again: ok, no call
d=${ids[3]}
out=$(ansible_absent "$MNT/instances/$d") || fail "ansible file state=absent: $out $(cat "$T/ansible.err")"
grep -q '"changed": true' <<<"$out" || fail "ansible did not report a change: $out"
expect_eq "$(dels "$d")" 1 "DeleteInstance calls for ansible state=absent $d"
out=$(ansible_absent "$MNT/instances/$d") || fail "ansible file state=absent again: $out"
grep -q '"changed": false' <<<"$out" || fail "the second ansible run reported a change: $out"
expect_eq "$(dels)" $((D0 + 3)) "DeleteInstance calls after the second ansible run"

# find -delete works the same way
e=${ids[4]}
find "$MNT/instances/$e" -delete || fail "find -delete with allow_delete"
expect_eq "$(dels "$e")" 1 "DeleteInstance calls for find -delete $e"

# SIGINT while the DeleteInstance is in flight (its answer stalls 1.5 s after
# it was applied): applied once, never sent again, and the directory goes
f=${ids[5]}
emu_post faults 'stall=1@DeleteInstance#1'
timeout -s INT 0.3 rmdir "$MNT/instances/$f" 2>/dev/null || true
for i in $(seq 1 200); do # up to 20 s: the answer stalls 1.5 s, then the kernel forgets the entry
	[ "$(applied DeleteInstance)" -ge 5 ] && [ ! -e "$MNT/instances/$f" ] && break
	sleep 0.1
done
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null
expect_eq "$(dels "$f") $(applied DeleteInstance)" "1 5" "DeleteInstance sends for $f, and applied deletes, after SIGINT"
[ -e "$MNT/instances/$f" ] && fail "$f still resolves after the interrupted rmdir"

rm "$MNT/cloud-access/$access" || fail "rm cloud-access entry with allow_delete"
expect_eq "$(applied DeleteCloudAccess)" 1 "applied DeleteCloudAccess with allow_delete"
expect_eq "$(applied DeleteInstance)" 5 "applied deletes at the end"
expect_eq "$(emu_get state | jq '.instances | length')" $(( ${#ids[@]} - 5 )) "remote instances at the end"
echo PASS
