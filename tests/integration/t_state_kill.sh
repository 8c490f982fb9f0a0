#!/usr/bin/env bash
# kill -9 of casfs during a write loop never corrupts the state database:
# the remount opens it (nothing moved aside), and the journal agrees with
# the emulator's audit log on what was applied: every "ok" record is an
# applied call (same RequestId), every applied call is an "ok" record or the
# one record the kill left unfinished, shown as "interrupted". No secret is in the journal; each
# record says who asked (uid, pid, process).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 10 --seed 151
mount_casfs
id=$(first_instance '.Status == "normal"')
[ "$id" != null ] || fail "test setup: no normal instance"
(for i in $(seq 1 400); do echo "loop-$i" >"$MNT/instances/$id/name" 2>/dev/null || true; done) &
loop=$!
for i in $(seq 1 100); do
	[ "$(applied UpdateInstance)" -ge 20 ] && break
	sleep 0.05
done
kill -9 "$CASFS_PID"
wait "$CASFS_PID" 2>/dev/null || true
CASFS_PID=""
wait "$loop" 2>/dev/null || true
fusermount3 -uz "$MNT" 2>/dev/null || true

mount_casfs
grep -q "moved aside" "$T/casfs.log" && fail "the database was moved aside after kill -9"
cp "$MNT/.cas/journal" "$T/journal"
jq -e . "$T/journal" >/dev/null || fail ".cas/journal is not JSON lines"
jq -r 'select(.action == "UpdateInstance" and .applied == true) | .request_id' "$AUDIT" | sort >"$T/applied"
jq -r 'select(.action == "UpdateInstance" and .outcome == "ok") | .request_id' "$T/journal" | sort >"$T/ok"
# a record the killed mount left pending shows as "interrupted" (its process is gone)
expect_eq "$(jq -r 'select(.outcome == "pending")' "$T/journal" | jq -s length)" "0" "records still pending"
pending=$(jq -r 'select(.outcome == "interrupted")' "$T/journal" | jq -s length)
[ "$(wc -l <"$T/applied")" -ge 20 ] || fail "too few writes before the kill"
comm -13 "$T/applied" "$T/ok" >"$T/ok_not_applied"
[ -s "$T/ok_not_applied" ] && fail "journal says ok but the audit log has no applied call: $(head -3 "$T/ok_not_applied")"
extra=$(comm -23 "$T/applied" "$T/ok" | wc -l)
[ "$extra" -le "$pending" ] && [ "$pending" -le 1 ] ||
	fail "applied calls missing from the journal: $extra, interrupted records: $pending"
# the fields carry old and new values
bad=$(jq -c 'select(.outcome == "ok" and ((.fields.CertificateName.new // "") | startswith("loop-") | not))' "$T/journal")
[ -z "$bad" ] || fail "journal records without the new value: $(head -c 600 <<<"$bad")"
grep -q "$SK" "$T/journal" $HOME/.local/state/casfs/* && fail "a secret is in the journal or the database"
# the mount works after the crash, and the journal goes on
echo after-crash >"$MNT/instances/$id/name"
tail -n1 "$MNT/.cas/journal" | jq -e --argjson uid "$(id -u)" '.outcome == "ok" and .fields.CertificateName.new == "after-crash"
	and .by.uid == $uid and .by.pid > 0 and .by.process == "bash"' >/dev/null ||
	fail "the last journal record: $(tail -n1 "$MNT/.cas/journal")"
echo PASS
