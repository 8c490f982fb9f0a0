#!/usr/bin/env bash
# Hostile answers from the service (fields of the wrong JSON type, an absurd
# TotalCount, a JSON body cut in half) give `ls instances/` and `cat detail`
# a clean errno: non-zero exit, nothing on stdout, no crash, no hang, no page
# storm; every failure is recorded; once the fault is cleared and
# .cas/refresh written, the mount shows the right data again.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 12 --seed 81
mount_casfs timeout=10

mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
n=${#ids[@]}
ls "$MNT/instances" >"$T/ls.good"
expect_eq "$(wc -l <"$T/ls.good")" "$n" "listing before the faults"

set_faults() { curl -sf -X POST --data-binary "$1" "$EMU_URL/_emulator/faults" >/dev/null || fail "could not set faults '$1'"; }

# guarded CMD...: runs CMD with a hard hang guard; sets RC, OUT and ERR files
guarded() {
	RC=0
	timeout 60 "$@" >"$T/out" 2>"$T/err" || RC=$?
	[ "$RC" -ne 124 ] || fail "hang: $* did not finish in 60 s"
}

alive() {
	kill -0 "$CASFS_PID" 2>/dev/null || fail "casfs died ($1)"
	mountpoint -q "$MNT" || fail "mount is gone ($1)"
}

list_fault() { # SPEC
	local spec=$1 before
	set_faults "$spec"
	echo 1 >"$MNT/.cas/refresh"
	before=$(audit_count ListInstances)
	guarded ls "$MNT/instances"
	[ "$RC" -ne 0 ] || fail "ls instances/ succeeded under $spec: $(head -3 "$T/out")"
	[ -s "$T/out" ] && fail "ls instances/ printed entries under $spec: $(head -3 "$T/out")"
	expect_eq "$(wc -l <"$T/err")" "1" "ls error lines under $spec ($(cat "$T/err"))"
	grep -qE "^ls: .*: Protocol error$" "$T/err" ||
		fail "ls under $spec: unexpected error: $(cat "$T/err")"
	alive "$spec"
	# bounded effort: no page storm on an absurd TotalCount, no endless retries
	local calls=$(($(audit_count ListInstances) - before))
	[ "$calls" -ge 1 ] || fail "no ListInstances call under $spec"
	[ "$calls" -le 12 ] || fail "$calls ListInstances calls for one ls under $spec"
	grep -q ListInstances "$MNT/.cas/errors" || fail ".cas/errors has no ListInstances record under $spec"
	# other parts of the tree are unaffected
	jq -e . "$MNT/summary" >/dev/null || fail "summary unreadable under $spec"
	ls "$MNT/cloud-access" | grep -qx new || fail "cloud-access unreadable under $spec"
	# recovery
	set_faults ""
	echo 1 >"$MNT/.cas/refresh"
	guarded ls "$MNT/instances"
	expect_eq "$RC" "0" "ls after clearing $spec ($(cat "$T/err"))"
	cmp -s "$T/out" "$T/ls.good" || fail "listing after clearing $spec differs"
	guarded cat "$MNT/instances/${ids[1]}/status"
	expect_eq "$RC" "0" "status after clearing $spec"
}

list_fault "wrongtype=1@ListInstances"
list_fault "badtotal=1@ListInstances"
list_fault "malformed=1@ListInstances"

# a detail cut in half: a clean failure, no garbage; then recovery
id=${ids[4]}
set_faults "malformed=1@GetInstanceDetail"
echo 1 >"$MNT/.cas/refresh"
for f in detail config tags; do
	guarded cat "$MNT/instances/$id/$f"
	[ "$RC" -ne 0 ] || fail "cat $f succeeded with a malformed detail: $(head -c 200 "$T/out")"
	[ -s "$T/out" ] && fail "cat $f printed garbage with a malformed detail: $(head -c 200 "$T/out")"
	grep -qE "^cat: .*: Protocol error$" "$T/err" ||
		fail "cat $f with a malformed detail: unexpected error: $(cat "$T/err")"
done
alive "malformed detail"
guarded cat "$MNT/instances/$id/status" # list data only
expect_eq "$RC" "0" "status (list data) while details are malformed"
# a detail of the wrong types: either a clean error or valid JSON, never a crash or garbage
set_faults "wrongtype=1@GetInstanceDetail"
echo 1 >"$MNT/.cas/refresh"
for f in detail config tags csr; do
	guarded cat "$MNT/instances/$id/$f"
	if [ "$RC" -eq 0 ]; then
		[ "$f" = tags ] || [ "$f" = csr ] || jq -e . "$T/out" >/dev/null || fail "$f with wrong types is not JSON"
	else
		[ -s "$T/out" ] && fail "cat $f failed but printed: $(head -c 200 "$T/out")"
		expect_eq "$(wc -l <"$T/err")" "1" "cat $f error lines with wrong types"
	fi
done
alive "wrongtype detail"
set_faults ""
echo 1 >"$MNT/.cas/refresh"
guarded cat "$MNT/instances/$id/detail"
expect_eq "$RC" "0" "detail after clearing the faults ($(cat "$T/err"))"
expect_eq "$(jq -r .InstanceId "$T/out")" "$id" "detail content after recovery"
echo PASS
