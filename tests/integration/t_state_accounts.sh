#!/usr/bin/env bash
# The state database belongs to one account.
# Two STS accounts from the environment get two databases: B's .cas/journal
# never shows A's change and B's month counts are its own. A bearer token
# gets its own database too, named without the token. -o account=NAME keys
# the state by NAME: after a key rotation (another AccessKey of the account)
# a second rsync -a transfers 0 files, where the same rotation without
# account= re-sends everything. Pruning: the offline snapshot drops the
# detail of an instance the account no longer has, and the stamps of paths
# no mount has shown for 90 days go at unmount.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 missing (contrib/deps.sh)"
A_SK=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n') B_SK=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
K2_SK=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n') BEARER=bt-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')
start_emulator --instances 6 --seed 217 --sts "STS.AAAA:$A_SK:tokA" --sts "STS.BBBB:$B_SK:tokB" \
	--access-key "LTAI5tRotated:$K2_SK" --bearer "$BEARER"
SD=$HOME/.local/state/casfs
as_sts() { export ALIBABA_CLOUD_ACCESS_KEY_ID=$1 ALIBABA_CLOUD_ACCESS_KEY_SECRET=$2 ALIBABA_CLOUD_SECURITY_TOKEN=$3; }
db() { jq -r .state.database "$MNT/.cas/stats"; }

# account A (STS) makes a change
as_sts STS.AAAA "$A_SK" tokA
mount_casfs
id=$(first_instance '.Status == "normal"')
echo "from-account-a" >"$MNT/instances/$id/name"
dbA=$(db)
grep -q from-account-a "$MNT/.cas/journal" || fail "A's journal lacks A's change"
readsA=$(jq .calls.this_month.read "$MNT/.cas/stats" 2>/dev/null || echo x)
umount_casfs || fail "unclean unmount"

# account B (STS, the same environment variables): its own database
as_sts STS.BBBB "$B_SK" tokB
mount_casfs
dbB=$(db)
[ "$dbA" != null ] && [ "$dbB" != null ] || fail "a database is in memory: A=$dbA B=$dbB"
[ "$dbA" != "$dbB" ] || fail "two STS accounts share one database: $dbA"
grep -q from-account-a "$MNT/.cas/journal" && fail "B's .cas/journal shows A's change: $(cat "$MNT/.cas/journal")"
expect_eq "$(wc -l <"$MNT/.cas/journal")" "0" "records in B's journal"
umount_casfs || fail "unclean unmount"

# a bearer token: a third database, whose name is not the token
unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET ALIBABA_CLOUD_SECURITY_TOKEN
export ALIBABA_CLOUD_BEARER_TOKEN=$BEARER
mount_casfs
dbC=$(db)
[ "$dbC" != "$dbA" ] && [ "$dbC" != "$dbB" ] && [ "$dbC" != null ] || fail "the bearer token's database: $dbC (A $dbA, B $dbB)"
umount_casfs || fail "unclean unmount"
unset ALIBABA_CLOUD_BEARER_TOKEN
grep -rqF "$BEARER" "$SD" && fail "the bearer token is in the state directory"

# -o account=: a key rotation keeps the mtimes (0 files re-sent by rsync)
rs() { # dest: rsync -a, prints the number of files transferred
	local rc=0
	rsync -a --stats "$MNT/" "$1/" >"$T/rs.out" 2>"$T/rs.err" || rc=$?
	expect_eq "$rc" "0" "rsync exit status ($(head -3 "$T/rs.err"))"
	sed -n 's/^Number of regular files transferred: //p' "$T/rs.out" | tr -d ,
}
export ALIBABA_CLOUD_ACCESS_KEY_ID=$AK ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SK
mount_casfs account=prod
expect_eq "$(db)" "$SD/account-name-prod.db" "the database of -o account=prod"
first=$(rs "$T/b")
[ "$first" -gt 6 ] || fail "first rsync transferred only $first files"
umount_casfs || fail "unclean unmount"
sleep 1.1 # a rotation that re-stamped would show as a new second
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tRotated ALIBABA_CLOUD_ACCESS_KEY_SECRET=$K2_SK
mount_casfs account=prod
expect_eq "$(rs "$T/b")" "0" "files re-sent by rsync -a after the key rotation with -o account=prod"
umount_casfs || fail "unclean unmount"
# the control: the same rotation keyed by the AccessKey ID re-sends (a new database)
mount_casfs
again=$(rs "$T/b")
[ "$again" -gt 0 ] || fail "without -o account= the rotated key shares the old key's state"
umount_casfs || fail "unclean unmount"

# pruning: a deleted instance's detail leaves the offline snapshot at the next
# listing, and stamps no mount showed for 90 days go at unmount
export ALIBABA_CLOUD_ACCESS_KEY_ID=$AK ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SK
mount_casfs account=prune allow_delete
P=$SD/account-name-prune.db
ls -lR "$MNT/instances" >/dev/null
cat "$MNT"/instances/*/detail >/dev/null
victim=$(first_instance ".InstanceId != \"$id\"")
details=$(sqlite3 "$P" "SELECT count(*) FROM snapshot WHERE kind = 1")
[ "$details" -ge 6 ] || fail "details stored: $details"
rmdir "$MNT/instances/$victim" || fail "rmdir of $victim"
expect_eq "$(applied DeleteInstance)" "1" "DeleteInstance applied"
ls "$MNT/instances" >/dev/null
sleep 0.5
ls "$MNT/instances" >/dev/null
expect_eq "$(sqlite3 "$P" "SELECT count(*) FROM snapshot WHERE kind = 1 AND key = '$victim'")" "0" \
	"stored details of the deleted instance"
expect_eq "$(sqlite3 "$P" "SELECT count(*) FROM snapshot WHERE kind = 1")" "$((details - 1))" "stored details left"
umount_casfs || fail "unclean unmount"
total=$(sqlite3 "$P" "SELECT count(*) FROM stamps")
[ "$total" -gt 6 ] || fail "stamps stored: $total"
# age every stamp by 100 days; the next mount shows one instance only
sqlite3 "$P" "UPDATE stamps SET seen_ms = seen_ms - 100*86400*1000"
mount_casfs account=prune
ls -l "$MNT/instances/$id" >/dev/null
shown=$(jq .state.stamps "$MNT/.cas/stats")
umount_casfs || fail "unclean unmount"
left=$(sqlite3 "$P" "SELECT count(*) FROM stamps")
[ "$left" -lt "$total" ] && [ "$left" -ge 4 ] || fail "stamps after pruning: $left of $total (this mount showed $shown)"
grep -q "pruned .* stamps" "$T/casfs.log" || fail "no pruning line in the log"
expect_eq "$(sqlite3 "$P" "SELECT count(*) FROM stamps WHERE seen_ms < strftime('%s','now')*1000 - 86400000")" "0" \
	"stamps older than a day left"
: "$readsA"
echo PASS
