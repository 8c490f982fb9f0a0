#!/usr/bin/env bash
# A listing where an id moves across a page boundary while TotalCount stays
# the same. The emulator's drift "move" takes the last
# instance of the list order to the front when page 2 is requested: every
# entry shifts one place later, page 1's last entry is served again on page
# 2, and the moved instance is on no page read after page 1. Only the
# cross-page check (an id on two pages) can tell. The oracle is
# /_emulator/state (what exists), /_emulator/listing (how often the drift
# fired) and the audit log (what it cost):
#   - one move: `ls` shows exactly the existing ids, at the cost of one more
#     listing (listings.refetched_after_drift +1, nothing inconsistent);
#   - a move on every attempt: `ls` shows the union of everything seen, which
#     holds every instance (the moved ones included), with a record in
#     .cas/errors (Local.InconsistentListing) and listings.inconsistent +1.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 250 --seed 91
mount_casfs

listing() { emu_post listing "$1" || fail "could not set listing $1"; }
lcalls() { audit_count ListInstances; }
existing() { emu_get state | jq -r '.instances[].InstanceId' | sort; }
refresh() { echo 1 >"$MNT/.cas/refresh"; }
stat_of() { jq -r ".listings.$1" "$MNT/.cas/stats"; }
fired() { emu_get listing | jq -r '.drift.fired'; }
ls_instances() { # WHAT: ls instances/ into $T/ls, must exit 0
	local rc=0
	timeout 60 ls "$MNT/instances" >"$T/ls" 2>"$T/ls.err" || rc=$?
	expect_eq "$rc" "0" "ls instances/ ($1): $(cat "$T/ls.err")"
}

ls_instances "warm-up"
expect_eq "$(wc -l <"$T/ls")" "250" "instances before any drift"

# ---- one move between page 1 and page 2: a consistent refetch
refresh
mover=$(emu_get state | jq -r '.instances[-1].InstanceId')
refetched=$(stat_of refetched_after_drift)
inconsistent=$(stat_of inconsistent)
before=$(lcalls) fired0=$(fired)
listing '{"drift":{"page":2,"move":1,"times":1}}'
ls_instances "one move"
expect_eq "$(($(fired) - fired0))" "1" "drift firings"
expect_eq "$(emu_get state | jq -r '.instances[0].InstanceId')" "$mover" "the moved instance is first now"
expect_eq "$(emu_get state | jq '.instances | length')" "250" "TotalCount unchanged by the move"
existing >"$T/want"
diff "$T/want" "$T/ls" >"$T/diff" || fail "listing after a move differs from the service: $(head -5 "$T/diff")"
grep -qx "$mover" "$T/ls" || fail "the moved instance $mover is missing from ls"
expect_eq "$(stat_of refetched_after_drift)" "$((refetched + 1))" "listings.refetched_after_drift"
expect_eq "$(stat_of inconsistent)" "$inconsistent" "listings.inconsistent after one move"
# page 1, page 2 (an id on two pages: stop), then pages 1..3 again
move_calls=$(($(lcalls) - before))
expect_eq "$move_calls" "5" "ListInstances for a listing with one move"
log "drift (move) cost: $move_calls ListInstances for 250 instances (3 without drift)"

# ---- a move on every attempt: the union of everything seen, and an honest record
refresh
errs_before=$(errors_count)
inconsistent=$(stat_of inconsistent)
before=$(lcalls) fired0=$(fired)
listing '{"drift":{"page":2,"move":1,"times":-1}}'
rc=0
timeout 60 ls "$MNT/instances" >"$T/ls" 2>"$T/ls.err" || rc=$?
listing '{"drift":{"page":0}}'
expect_eq "$rc" "0" "ls under constant moves: $(cat "$T/ls.err")"
expect_eq "$(($(fired) - fired0))" "3" "drift firings (one per attempt)"
persistent_calls=$(($(lcalls) - before))
log "constant moves: $persistent_calls ListInstances for one ls (3 attempts)"
[ "$persistent_calls" -le 12 ] || fail "$persistent_calls calls for one listing under constant moves"
existing >"$T/want"
diff "$T/want" "$T/ls" >"$T/diff" || fail "the union under constant moves differs from the service: $(head -5 "$T/diff")"
expect_eq "$(stat_of inconsistent)" "$((inconsistent + 1))" "listings.inconsistent"
[ "$(errors_count)" -gt "$errs_before" ] || fail "no record in .cas/errors for the inconsistent listing"
tail -n +"$((errs_before + 1))" "$MNT/.cas/errors" | jq -e 'select(.code == "Local.InconsistentListing") | .errno' >/dev/null ||
	fail ".cas/errors has no Local.InconsistentListing record: $(tail -3 "$MNT/.cas/errors")"
grep -q "no consistent listing" "$T/casfs.log" || fail "no log line for the inconsistent listing"
echo PASS
