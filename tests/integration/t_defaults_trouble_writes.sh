#!/usr/bin/env bash
# The write-side trouble cases that t_write_dblock (-o timeout=12),
# t_write_stall_reconcile (-o timeout=3) and t_state_offline_write
# (offline,timeout=2) run with a shortened timeout, once each at casfs's
# DEFAULT options (timeout 20 s): a locked state database never holds a
# write up; a mutation answered past its attempt is reconciled inside the
# default deadline and never sent twice; a written value survives into the
# offline snapshot. The audit log is the oracle.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 35
mount_casfs # no options: every default
id=$(first_instance)
d="$MNT/instances/$id"
cat "$d/config" >/dev/null

# 1. the state database locked by another process for 8 s: the write reaches
#    the service at once, one UpdateInstance, applied
db=$(ls "$HOME"/.local/state/casfs/account-*.db)
lock_db "$db" 8
t0=$(date +%s%3N)
bash -c 'echo "{\"City\":\"Locked\"}" > "$1"' _ "$d/config" || fail "the write with the database locked failed"
t1=$(date +%s%3N)
log "write with the database locked: $((t1 - t0)) ms"
[ $((t1 - t0)) -le 3000 ] || fail "the write with the database locked took $((t1 - t0)) ms (default timeout)"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied with the database locked"
expect_eq "$(audit_count UpdateInstance)" 1 "UpdateInstance sent with the database locked"
wait "$LOCKER" 2>/dev/null || true
LOCKER=""

# 2. an UpdateInstance applied at once but answered 19 s late (past its
#    single attempt, which keeps min(2 s, 20 s / 4) back): reconciled by a
#    read inside the default 20 s, the write returns 0, sent exactly once
u0=$(audit_count UpdateInstance)
emu_post faults "stall:19000=1@UpdateInstance#1"
t0=$(date +%s%3N)
out=$(python3 -c 'import sys
f=open(sys.argv[1],"w"); f.write("defaults.example.com\n")
try:
    f.close(); print("ok")
except OSError as e: print("ERR", e)' "$d/domain" 2>&1)
t1=$(date +%s%3N)
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null || fail "clearing the faults"
log "stalled write: $out in $((t1 - t0)) ms"
expect_eq "$(($(audit_count UpdateInstance) - u0))" 1 "the stalled UpdateInstance sent once"
expect_eq "$out" "ok" "the write of a change the service applied (reconciled within the default timeout)"
[ $((t1 - t0)) -le 21500 ] || fail "the stalled write took $((t1 - t0)) ms (default timeout 20 s)"
after=$(jq -r .action "$AUDIT" | sed -n '/^UpdateInstance$/,$p' | grep -c '^GetInstanceDetail$' || true)
[ "$after" -ge 1 ] || fail "no GetInstanceDetail reconciled the slow UpdateInstance"

# 3. offline after the write: the snapshot shows the written domain
umount_casfs || fail "unclean unmount"
stop_emulator
mount_casfs offline
grep -q "mounted READ-ONLY from the offline snapshot" "$T/casfs.log" || fail "not offline"
expect_eq "$(cat "$MNT/instances/$id/domain")" "defaults.example.com" "offline domain after the writes"
echo PASS
