#!/usr/bin/env bash
# A mutation whose response is lost (reset after the change ran) and whose
# reconciling read fails too (500s): the writer gets EIO, .cas/errors and
# the log say the change may have been applied and to read the file to see,
# and .cas/stats counts it (writes.outcome_unknown). The change is applied
# exactly once, and a read after the API recovers shows it.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 73
mount_casfs
id=$(first_instance)
f="$MNT/instances/$id/config"
cat "$f" >/dev/null
expect_eq "$(jq .writes.outcome_unknown "$MNT/.cas/stats")" 0 "outcome_unknown before"
emu_post faults "reset=1@UpdateInstance#1,500=1@GetInstanceDetail"
rc=0
bash -c 'echo "{\"City\":\"UnknownCity\"}" > "$1"' _ "$f" 2>"$T/w.err" || rc=$?
[ "$rc" -ne 0 ] || fail "the write with an unknown outcome succeeded"
grep -q "Input/output error" "$T/w.err" || fail "expected EIO, got: $(cat "$T/w.err")"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied"
tail -n1 "$MNT/.cas/errors" | jq -e '.errno == "EIO" and (.message | test("may have been applied")) and (.message | test("read the file"))' >/dev/null ||
	fail "the record does not say the change may have been applied: $(tail -n1 "$MNT/.cas/errors")"
grep -q "may have been applied" "$T/casfs.log" || fail "the log does not say the change may have been applied"
expect_eq "$(jq .writes.outcome_unknown "$MNT/.cas/stats")" 1 "outcome_unknown after"
emu_post faults ""
expect_eq "$(jq -r .City "$f")" "UnknownCity" "the file shows the applied change"
echo PASS
