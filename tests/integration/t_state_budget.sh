#!/usr/bin/env bash
# -o call_budget=N with the audit log as the oracle: exactly N calls reach
# the service in the billing month, across a remount; past the budget, reads
# are served from cache (stale allowed) or fail with EDQUOT, mutations fail
# with EDQUOT, each with a record in .cas/errors; .cas/stats shows the
# month's persisted counts beside the mount's own. Two mounts of the account
# reading at once share the counter: the month's count equals the audit log.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 8 --seed 131
B=5
mount_casfs ttl=1,call_budget=$B
total() { [ -f "$AUDIT" ] && grep -c . "$AUDIT" || echo 0; }

ids=$(emu_get state | jq -r '.instances[].InstanceId')
ok=0 refused=0 served=""
for id in $ids; do
	if cat "$MNT/instances/$id/detail" >/dev/null 2>"$T/cat.err"; then
		ok=$((ok + 1))
		served=$id
	else
		grep -q "Disk quota exceeded" "$T/cat.err" || fail "read past the budget: $(cat "$T/cat.err")"
		refused=$((refused + 1))
	fi
done
expect_eq "$(total)" "$B" "calls that reached the service"
[ "$refused" -gt 0 ] || fail "no read was refused past the budget ($ok served)"
[ "$ok" -gt 0 ] || fail "no detail was served within the budget"
grep -q "call budget used up" "$T/casfs.log" || fail "no log line about the budget"
jq -e 'select(.errno == "EDQUOT" and .code == "Local.CallBudget")' "$MNT/.cas/errors" >/dev/null ||
	fail "no EDQUOT record in .cas/errors"
jq -e ".free_tier.budget == $B and .free_tier.budget_left == 0 and .free_tier.month_read_calls == $B and .free_tier.refused_by_budget > 0" \
	"$MNT/.cas/stats" >/dev/null || fail ".cas/stats free_tier: $(jq -c .free_tier "$MNT/.cas/stats")"

# cached files are still served after their TTL (stale), without a call
sleep 1.5
cat "$MNT/instances/$served/detail" | jq -e .InstanceId >/dev/null || fail "a cached detail is not served stale past the budget"

# a mutation fails with EDQUOT and sends nothing
expect_fail "Disk quota exceeded" bash -c "echo renamed >'$MNT/instances/$served/name'"
expect_eq "$(audit_count UpdateInstance)" "0" "UpdateInstance calls past the budget"
expect_eq "$(total)" "$B" "calls after the refused mutation"

# the budget holds across a remount: the mount comes up, sends nothing
remount_casfs ttl=1,call_budget=$B
grep -q "call budget: $B calls already made" "$T/casfs.log" || fail "no start-up warning about the used-up budget"
expect_fail "Disk quota exceeded" cat "$MNT/instances/$served/detail"
expect_eq "$(total)" "$B" "calls after the remount"
jq -e ".free_tier.month_read_calls == $B and .free_tier.read_calls == 0" "$MNT/.cas/stats" >/dev/null ||
	fail "persisted month after the remount: $(jq -c .free_tier "$MNT/.cas/stats")"

# a larger budget lets calls through again, and they are counted on top
remount_casfs call_budget=$((B + 20))
cat "$MNT/instances/$served/detail" >/dev/null || fail "read within the raised budget"
expect_eq "$(jq .free_tier.month_read_calls "$MNT/.cas/stats")" "$(total)" "month's calls = audit lines"

# two mounts of the account at once share one counter and one budget
M2=$T/mnt2 P2=""
mkdir -p "$M2"
trap 'rc=$?; mountpoint -q "$M2" && fusermount3 -u "$M2"; [ -n "$P2" ] && wait "$P2"; (exit $rc); cleanup' EXIT
"$CASFS_BIN" -f -o "endpoint=$EMU_URL,ttl=1,call_budget=$((B + 60))" "$M2" >>"$T/casfs2.log" 2>&1 &
P2=$!
for i in $(seq 1 100); do mountpoint -q "$M2" && break; sleep 0.05; done
mountpoint -q "$M2" || fail "second mount: $(tail -3 "$T/casfs2.log")"
reader() { # dir
	local i
	for i in $(seq 1 15); do
		echo 1 >"$1/.cas/refresh"
		cat "$1"/instances/*/detail >/dev/null 2>&1 || true
	done
}
reader "$MNT" & r1=$!
reader "$M2" & r2=$!
wait "$r1" "$r2"
expect_eq "$(jq .free_tier.month_read_calls "$M2/.cas/stats")" "$(total)" "month's calls (second mount) = audit lines"
expect_eq "$(jq .free_tier.month_read_calls "$MNT/.cas/stats")" "$(total)" "month's calls (first mount) = audit lines"
expect_eq "$(total)" "$((B + 60))" "calls of both mounts against the shared budget of the second"
grep -q "moved aside\|state database .*: " "$T/casfs.log" "$T/casfs2.log" && fail "database trouble: $(grep -h 'state database' "$T/casfs.log" "$T/casfs2.log" | head -3)"
fusermount3 -u "$M2"
wait "$P2" 2>/dev/null || true
P2=""
echo PASS
