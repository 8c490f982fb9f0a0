#!/usr/bin/env bash
# State across mounts (default options): after a remount an unchanged tree
# keeps its mtimes, so a second rsync -a transfers 0 files and find -newer a
# reference made before the remount lists nothing; after an out-of-band
# change exactly that instance's files move. No mtime is later than the
# clock, after writes too. The state directory is 0700, its files 0600, and
# no secret is in them. A corrupt database is moved aside with a warning.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 12 --seed 121
mount_casfs
SD=$HOME/.local/state/casfs

rs() { # dest: rsync -a, prints the number of files transferred
	local rc=0
	rsync -a --stats ${2:+--exclude=/certificates --exclude=/certificates.jsonl} "$MNT/" "$1/" >"$T/rs.out" 2>"$T/rs.err" || rc=$?
	expect_eq "$rc" "0" "rsync exit status ($(head -3 "$T/rs.err"))"
	sed -n 's/^Number of regular files transferred: //p' "$T/rs.out" | tr -d ,
}
first=$(rs "$T/b")
[ "$first" -gt 12 ] || fail "first rsync transferred only $first files"

# no mtime in the future, after two quick writes too (same second)
id=$(first_instance '.Status == "normal"')
echo "first-$RANDOM" >"$MNT/instances/$id/name"
echo "second-$RANDOM" >"$MNT/instances/$id/name"
# (an mtime is at latest when the mount saw the content: before find returned)
find "$MNT" -printf '%T@ %p\n' >"$T/mtimes"
now=$(date +%s.%N)
while read -r m f; do
	awk -v m="$m" -v n="$now" 'BEGIN { exit !(m <= n) }' || fail "mtime of $f ($m) is later than the clock ($now)"
done <"$T/mtimes"
rs "$T/b" >/dev/null
touch "$T/ref"

remount_casfs
grep -q "state database $SD/account-" "$T/casfs.log" || fail "no state database line in the log"
expect_eq "$(rs "$T/b")" "0" "files transferred by rsync -a after the remount"
expect_eq "$(find "$MNT" -newer "$T/ref" | wc -l)" "0" "find -newer after the remount"

# an out-of-band change: after the next remount exactly that instance's files
# move, and instances.jsonl (one line per list entry, so the changed name is in it)
other=$(first_instance ".Status == \"normal\" and .InstanceId != \"$id\"")
emu_post "instances/$other" '{"CertificateName":"changed-behind-the-mount"}'
sleep 1.1 # a new first-seen second
remount_casfs
# (the instance's issued certificate is in certificates/ too, under its name: left out here)
find "$MNT" -newer "$T/ref" -not -path "$MNT/certificates*" | sed "s|^$MNT/||" | sort >"$T/moved"
printf '%s\n' "instances.jsonl" "instances/$other/config" "instances/$other/detail" "instances/$other/name" \
	| sort >"$T/moved.want"
diff "$T/moved.want" "$T/moved" || fail "files that moved after an out-of-band change"
expect_eq "$(rs "$T/b" nostore)" "4" "files transferred after the out-of-band change (3 of the instance, instances.jsonl)"

# permissions and secrets
expect_eq "$(stat -c %a "$SD")" "700" "state directory mode"
for f in "$SD"/*; do
	expect_eq "$(stat -c %a "$f")" "600" "mode of $f"
	grep -q "$SK" "$f" && fail "the AccessKey secret is in $f"
done
jq -e '.state.database != null and .state.stamps > 100 and .state.stamps_stored > 100' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats state: $(jq -c .state "$MNT/.cas/stats")"

# a corrupt database is moved aside with a warning, and a new one started
umount_casfs
db=$(ls "$SD"/account-*.db)
rm -f "$db-wal" "$db-shm"
head -c 8192 /dev/urandom >"$db"
mount_casfs
grep -q "state database $db: .*moved aside" "$T/casfs.log" || fail "no warning about the corrupt database: $(tail -3 "$T/casfs.log")"
ls "$db".bad-* >/dev/null 2>&1 || fail "the corrupt file was not kept aside"
cat "$MNT/instances/$id/name" >/dev/null
sleep 0.5 # stamps are written every 200 ms
jq -e '.state.errors == 0 and .state.stamps_stored > 0' "$MNT/.cas/stats" >/dev/null || fail "new database not in use: $(jq -c .state "$MNT/.cas/stats")"
# a database of another program is moved aside too
umount_casfs
rm -f "$db" "$db-wal" "$db-shm"
sqlite3 "$db" 'create table t(x);' 
mount_casfs
grep -q "state database $db: not a casfs state database; moved aside" "$T/casfs.log" || fail "foreign database not moved aside"
echo PASS
