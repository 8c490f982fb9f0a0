#!/usr/bin/env bash
# The service stops answering (emulator SIGSTOPped): cached files still read
# (fresh, and stale past the TTL), uncached ones fail with ETIMEDOUT within the
# timeout (hang guard, not a performance assertion), and after SIGCONT the
# mount recovers. Stale data is served only for max_stale past the TTL.
source "$(dirname "$0")/lib.sh"
TMO=2
LIMIT=$((3 * TMO + 5)) # generous upper bound: a hang guard only
start_emulator --instances 8 --seed 31
mount_casfs ttl=60 timeout=$TMO

mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
a=${ids[0]} b=${ids[1]} c=${ids[2]}
cat "$MNT/instances/$a/detail" >"$T/a.1"
cat "$MNT/instances/$a/status" >"$T/a.status"
stat "$MNT/instances/$b" >/dev/null # the list is cached, b's detail is not

# timed CMD...: runs CMD under a hard hang guard, sets RC and SECS
timed() {
	local t0 t1
	t0=$(date +%s%N)
	RC=0
	timeout 60 "$@" >"$T/out" 2>"$T/err" || RC=$?
	t1=$(date +%s%N)
	SECS=$(((t1 - t0) / 1000000000))
}

kill -STOP "$EMU_PID"
timed cat "$MNT/instances/$a/detail"
expect_eq "$RC" "0" "cached detail while the service is stopped ($(cat "$T/err"))"
cmp -s "$T/out" "$T/a.1" || fail "cached detail changed while the service is stopped"
timed cat "$MNT/instances/$a/status"
expect_eq "$RC" "0" "cached status while the service is stopped"
cmp -s "$T/out" "$T/a.status" || fail "cached status changed"
timed ls "$MNT/instances"
expect_eq "$RC" "0" "cached listing while the service is stopped"
expect_eq "$(wc -l <"$T/out")" "${#ids[@]}" "cached listing size"
timed cat "$MNT/.cas/stats"
expect_eq "$RC" "0" ".cas/stats while the service is stopped"

timed cat "$MNT/instances/$b/detail"
[ "$RC" -ne 0 ] || fail "uncached detail read succeeded while the service is stopped"
[ "$RC" -ne 124 ] || fail "uncached detail read hung (killed by the 60 s guard)"
[ "$SECS" -lt "$LIMIT" ] || fail "uncached detail took ${SECS}s to fail with timeout=$TMO (limit ${LIMIT}s)"
grep -q "Connection timed out" "$T/err" || fail "uncached read: expected ETIMEDOUT, got: $(cat "$T/err")"
[ -s "$T/out" ] && fail "a failed read produced output"
grep -q GetInstanceDetail "$MNT/.cas/errors" || fail ".cas/errors does not record the failed call"

# a second uncached file fails the same way (no wedged worker, no pile-up)
timed cat "$MNT/instances/$c/config"
[ "$RC" -ne 0 ] || fail "second uncached read succeeded while the service is stopped"
[ "$RC" -ne 124 ] || fail "second uncached read hung"
[ "$SECS" -lt "$LIMIT" ] || fail "second uncached read took ${SECS}s (limit ${LIMIT}s)"

kill -CONT "$EMU_PID"
# recovery: the next reads succeed (the stalled requests may still be draining,
# so allow a few attempts within a generous deadline)
ok=""
for i in $(seq 1 20); do
	if timeout 60 cat "$MNT/instances/$b/detail" >"$T/b" 2>"$T/err"; then
		ok=1
		break
	fi
	sleep 1
done
[ -n "$ok" ] || fail "mount did not recover after SIGCONT: $(cat "$T/err")"
[ "$i" -eq 1 ] || log "note: recovered on attempt $i"
expect_eq "$(jq -r .InstanceId "$T/b")" "$b" "detail after recovery"
timeout 60 cat "$MNT/instances/$c/config" | jq -e . >/dev/null || fail "config of c after recovery"

# stale on error: past the TTL, a cached file is still served while the service is down
remount_casfs ttl=1 timeout=$TMO
cat "$MNT/instances/$a/detail" >"$T/a.2"
cmp -s "$T/a.1" "$T/a.2" || fail "detail changed across a remount"
sleep 2.5 # past ttl=1
kill -STOP "$EMU_PID"
timed cat "$MNT/instances/$a/detail"
expect_eq "$RC" "0" "stale detail while the service is stopped ($(cat "$T/err"))"
cmp -s "$T/out" "$T/a.1" || fail "stale detail bytes"
[ "$SECS" -lt "$LIMIT" ] || fail "stale read took ${SECS}s (limit ${LIMIT}s)"
kill -CONT "$EMU_PID"

# ... but not beyond max_stale: then the failure surfaces
remount_casfs ttl=1 max_stale=1 timeout=$TMO
cat "$MNT/instances/$a/detail" >/dev/null
sleep 3.5 # past ttl + max_stale
kill -STOP "$EMU_PID"
timed cat "$MNT/instances/$a/detail"
[ "$RC" -ne 0 ] || fail "detail served past max_stale while the service is stopped"
[ "$RC" -ne 124 ] || fail "read past max_stale hung"
[ "$SECS" -lt "$((2 * LIMIT))" ] || fail "read past max_stale took ${SECS}s"
[ -s "$T/out" ] && fail "a failed read past max_stale produced output"
kill -CONT "$EMU_PID"
echo PASS
