#!/usr/bin/env bash
# A mutation whose answer is slow past the deadline is reconciled inside it:
# the single attempt keeps back a reserve (min(2 s, timeout/4)) for the read
# that learns whether it applied (PROTOCOL.md §6a). With -o timeout=3 and an
# UpdateInstance that the service applies at once but answers 6 s late
# (stall:6000), the write returns 0, exactly one UpdateInstance was sent
# (never resent), and a GetInstanceDetail follows it in the audit log.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 33
mount_casfs timeout=3
id=$(first_instance)
cat "$MNT/instances/$id/domain" >/dev/null
emu_post faults "stall:6000=1@UpdateInstance#1"
out=$(python3 -c 'import sys
f=open(sys.argv[1],"w"); f.write("seams.example.com\n")
try:
    f.close(); print("ok")
except OSError as e: print("ERR", e)' "$MNT/instances/$id/domain" 2>&1)
expect_eq "$(audit_count UpdateInstance)" 1 "UpdateInstance sent once"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied"
# the audit line of the stalled UpdateInstance is written when it applied (before the stall)
after=$(jq -r .action "$AUDIT" | sed -n '/^UpdateInstance$/,$p' | grep -c '^GetInstanceDetail$' || true)
[ "$after" -ge 1 ] || fail "no GetInstanceDetail reconciled the slow UpdateInstance"
expect_eq "$(emu_instance "$id" | jq -r .Domain)" "seams.example.com" "the service's domain"
expect_eq "$out" "ok" "the write of a change the service applied (reconciled within -o timeout=3)"
echo "PASS: slow UpdateInstance reconciled by $after GetInstanceDetail; write returned 0"
