#!/usr/bin/env bash
# Metadata and scratch files. chmod/chown/utimens on API files succeed only
# when they change nothing (else EPERM, nothing changes, no call); on scratch
# files they behave like on any file. Scratch files hold at most 1 MiB (EFBIG)
# and 64 per mount (the 65th is ENOSPC, with a .cas/errors record; statfs
# reports unlimited inodes, like s3fs and rclone). Renaming a scratch file onto config or a value file
# commits it; a bad one fails the rename(2), keeps the target's content and
# the scratch file; renaming onto a read-only file is refused.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 43
mount_casfs

mapfile -t ids < <(emu_get state | jq -r '[.instances[] | select(.Status == "normal")][0:3][].InstanceId')
[ "${#ids[@]}" -eq 3 ] || fail "need three normal instances"
id=${ids[0]}
d="$MNT/instances/$id"
ls -A "$d" >"$T/nodes"
upd() { grep -c '"action":"UpdateInstance"' "$AUDIT" || true; }
meta() { stat -c '%a %u %g %Y %X %s' "$1"; }

# ---- API files: no-op metadata changes succeed, real ones are EPERM
for f in config name detail status tags; do
	p="$d/$f"
	m0=$(meta "$p")
	mode=$(stat -c %a "$p")
	chmod "$mode" "$p" || fail "chmod $mode $f (unchanged) failed"
	chown "$(stat -c %u:%g "$p")" "$p" || fail "chown to the same owner of $f failed"
	chown "$(stat -c %u "$p")" "$p" || fail "chown to the same user of $f failed"
	touch -c -r "$p" "$p" || fail "touch -r $f $f (same times) failed"
	expect_fail "Operation not permitted" chmod 600 "$p"
	expect_fail "Operation not permitted" chmod 777 "$p"
	expect_fail "Operation not permitted" chmod u+s "$p"
	expect_fail "Operation not permitted" chown nobody "$p"
	expect_fail "Operation not permitted" chown :nogroup "$p"
	expect_fail "Operation not permitted" touch -c -d '2020-01-02 03:04:05' "$p"
	expect_fail "Operation not permitted" touch -c -m -d '2021-01-01' "$p"
	expect_eq "$(meta "$p")" "$m0" "metadata of $f after refused changes"
done
# the instance directory and the top-level directories: the same rule
for p in "$d" "$MNT/instances" "$MNT/cloud-access"; do
	m0=$(meta "$p")
	chmod "$(stat -c %a "$p")" "$p" || fail "chmod (unchanged) of ${p#"$MNT"} failed"
	expect_fail "Operation not permitted" chmod 700 "$p"
	expect_fail "Operation not permitted" chown nobody "$p"
	expect_eq "$(meta "$p")" "$m0" "metadata of ${p#"$MNT"} after refused changes"
done
expect_eq "$(upd)" 0 "UpdateInstance calls after metadata changes"

# ---- scratch files behave like ordinary files
echo hello >"$d/notes.txt" || fail "creating a scratch file"
expect_eq "$(cat "$d/notes.txt")" hello "scratch file content"
expect_eq "$(stat -c %s "$d/notes.txt")" 6 "scratch file size"
chmod 600 "$d/notes.txt" || fail "chmod of a scratch file"
expect_eq "$(stat -c %a "$d/notes.txt")" 600 "scratch file mode"
chown nobody:nogroup "$d/notes.txt" || fail "chown of a scratch file"
expect_eq "$(stat -c %U:%G "$d/notes.txt")" nobody:nogroup "scratch file owner"
touch -d '2020-01-02 03:04:05 UTC' "$d/notes.txt" || fail "touch -d of a scratch file"
expect_eq "$(stat -c %Y "$d/notes.txt")" "$(date -d '2020-01-02 03:04:05 UTC' +%s)" "scratch file mtime"
echo more >>"$d/notes.txt" || fail "appending to a scratch file"
expect_eq "$(cat "$d/notes.txt")" "$(printf 'hello\nmore')" "scratch file after >>"
truncate -s 2 "$d/notes.txt" || fail "truncate of a scratch file"
expect_eq "$(cat "$d/notes.txt")" he "scratch file after truncate"
mv "$d/notes.txt" "$d/notes2.txt" || fail "renaming a scratch file"
[ -e "$d/notes.txt" ] && fail "the old scratch name still exists"
expect_eq "$(cat "$d/notes2.txt")" he "renamed scratch file"
cp -p "$d/notes2.txt" "$T/copy" || fail "cp -p from a scratch file"
# to another instance: rename(2) is EXDEV, mv copies and unlinks
mv "$d/notes2.txt" "$MNT/instances/${ids[1]}/moved.txt" || fail "mv of a scratch file to another instance"
expect_eq "$(cat "$MNT/instances/${ids[1]}/moved.txt")" he "scratch file moved to another instance"
rm "$MNT/instances/${ids[1]}/moved.txt" || fail "rm of a scratch file"
# scratch files exist only in instance directories
expect_fail "Permission denied" touch "$MNT/instances/scratch"
expect_fail "Permission denied" touch "$MNT/scratch"
expect_fail "Permission denied" touch "$MNT/cloud-access/scratch"

# ---- size limit: 1 MiB per scratch file
head -c 1048576 /dev/zero >"$d/big" || fail "a 1 MiB scratch file"
expect_eq "$(stat -c %s "$d/big")" 1048576 "size of the 1 MiB scratch file"
expect_fail "File too large" bash -c 'head -c 1048577 /dev/zero > "$1"' _ "$d/big2"
expect_fail "File too large" truncate -s 2M "$d/big"
expect_fail "File too large" bash -c 'echo x >> "$1"' _ "$d/big"
expect_eq "$(stat -c %s "$d/big")" 1048576 "size of the 1 MiB scratch file after refused growth"
rm -f "$d/big" "$d/big2"

# ---- count limit: 64 scratch files per mount, across instances
for k in $(seq 1 64); do
	: >"$MNT/instances/${ids[$((k % 2))]}/s$k" || fail "scratch file $k of 64"
done
# statfs reports unlimited inodes: the limit shows as ENOSPC only
[ "$(stat -f -c %d "$d")" -ge 1000000 ] || fail "statfs free inodes with 64 scratch files: $(stat -f -c %d "$d")"
e0=$(wc -l <"$MNT/.cas/errors")
expect_fail "No space left on device" touch "$MNT/instances/${ids[2]}/s65"
expect_fail "No space left on device" bash -c 'echo x > "$1"' _ "$d/s66"
[ -e "$MNT/instances/${ids[2]}/s65" ] && fail "the 65th scratch file exists"
[ "$(wc -l <"$MNT/.cas/errors")" -gt "$e0" ] || fail "no .cas/errors record for the 65th scratch file"
expect_eq "$(tail -n1 "$MNT/.cas/errors" | jq -r .errno)" ENOSPC "errno recorded for the 65th scratch file"
# API files can still be written (they are not scratch files)
echo "limit-name" >"$d/name" || fail "writing name with every scratch slot taken"
expect_eq "$(upd)" 1 "UpdateInstance calls after writing name"
# freeing one slot makes room again
rm "$MNT/instances/${ids[1]}/s1"
touch "$MNT/instances/${ids[2]}/s65" || fail "a scratch file after freeing a slot"
rm -f "$MNT"/instances/"${ids[0]}"/s[0-9]* "$MNT"/instances/"${ids[1]}"/s[0-9]* "$MNT/instances/${ids[2]}/s65"
expect_eq "$(jq .writes.scratch_files "$MNT/.cas/stats")" 0 "scratch files after removing them all"

# ---- renaming a scratch file onto API files
# onto config: commits it
jq -S '.City = "Renamed City"' "$d/config" >"$d/.config.new" || fail "writing a scratch config"
mv "$d/.config.new" "$d/config" || fail "mv scratch onto config"
expect_eq "$(upd)" 2 "UpdateInstance calls after mv onto config"
expect_eq "$(jq -c 'select(.action == "UpdateInstance") | .params | keys' "$AUDIT" | tail -n1)" '["City","InstanceId"]' "params of mv onto config"
expect_eq "$(jq -r .City "$d/detail")" "Renamed City" "City after mv onto config"
[ -e "$d/.config.new" ] && fail "the scratch file still exists after a successful rename"
# onto a value file
echo disable >"$d/ar.tmp"
cur=$(cat "$d/auto_reissue")
want=$([ "$cur" == enable ] && echo disable || echo enable)
echo "$want" >"$d/ar.tmp"
mv "$d/ar.tmp" "$d/auto_reissue" || fail "mv scratch onto auto_reissue"
expect_eq "$(upd)" 3 "UpdateInstance calls after mv onto auto_reissue"
expect_eq "$(cat "$d/auto_reissue")" "$want" "auto_reissue after mv"
# a bad document: rename fails, the target keeps its content, the scratch file stays
for bad in '{"AutoReissue": "sometimes"}' '{"City": ' '{"Unknown": 1}'; do
	before=$(sha256sum <"$d/config")
	printf '%s\n' "$bad" >"$d/bad.tmp"
	e0=$(wc -l <"$MNT/.cas/errors")
	expect_fail "Invalid argument" rename "$d/bad.tmp" "$d/config"
	expect_eq "$(sha256sum <"$d/config")" "$before" "config after a refused rename of: $bad"
	[ -f "$d/bad.tmp" ] || fail "the scratch file vanished after a refused rename of: $bad"
	[ "$(wc -l <"$MNT/.cas/errors")" -gt "$e0" ] || fail "no .cas/errors record for a refused rename of: $bad"
	rm "$d/bad.tmp"
done
printf 'a=1\nacs:reserved=2\n' >"$d/tags.tmp"
expect_fail "Invalid argument" rename "$d/tags.tmp" "$d/tags"
expect_eq "$(tail -n1 "$MNT/.cas/errors" | jq -r '.errno + " " + .path')" "EINVAL /instances/$id/tags" "error record of a refused rename onto tags"
rm "$d/tags.tmp"
expect_eq "$(upd)" 3 "UpdateInstance calls after refused renames"
# onto read-only or write-only files, and API files onto each other: refused
echo x >"$d/ro.tmp"
expect_fail "Operation not permitted" rename "$d/ro.tmp" "$d/detail"
expect_fail "Operation not permitted" rename "$d/ro.tmp" "$d/status"
[ -f "$d/ro.tmp" ] || fail "the scratch file vanished after a refused rename onto detail"
rm "$d/ro.tmp"
expect_fail "Operation not permitted" mv "$d/name" "$d/domain"
expect_fail "Invalid cross-device link" rename "$d/config" "$MNT/instances/${ids[1]}/config"
expect_eq "$(upd)" 3 "UpdateInstance calls at the end"
ls -A "$d" >"$T/nodes.end"
diff "$T/nodes" "$T/nodes.end" >&2 || fail "scratch files left behind"
echo PASS
