#!/usr/bin/env bash
# SIGTERM or a lazy fusermount3 -u while a mutation is stalled in
# flight (the emulator holds the UpdateInstance answer), at several delays
# after the write starts: casfs exits 0 every time (no use of the fuse
# session after it is destroyed: run under ASan by contrib/test.sh), and each
# change is applied at most once, exactly once when the writer was told
# success. Then an unmount while a background refresh hangs (API stopped)
# exits 0 without waiting for the refresh's timeout.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 61 --stall-ms 1200 --faults "stall=1@UpdateInstance"
id=$(first_instance)
n=0
# (SIGINT is not in the list: bash starts background jobs with SIGINT ignored,
# and libfuse keeps an inherited SIG_IGN, as a daemon should)
stops=(TERM umount TERM TERM umount TERM umount TERM)
for delay in 0 0.05 0.2 0.4 0.7 1.0 1.3 1.5; do
	how=${stops[$n]}
	n=$((n + 1))
	mount_casfs timeout=5
	cat "$MNT/instances/$id/config" >/dev/null
	city="Stall$n"
	wrc=0
	( printf '{"City":"%s"}' "$city" >"$MNT/instances/$id/config" ) 2>"$T/w.err" &
	wpid=$!
	sleep "$delay"
	if [ "$how" = umount ]; then fusermount3 -uz "$MNT"; else kill -"$how" "$CASFS_PID"; fi
	crc=0
	wait "$CASFS_PID" || crc=$?
	CASFS_PID=""
	wait "$wpid" || wrc=$?
	mountpoint -q "$MNT" && fusermount3 -uz "$MNT"
	expect_eq "$crc" 0 "casfs exit status after $how at ${delay}s"
	got=$(audit_count UpdateInstance ".applied == true and .params.City == \"$city\"")
	[ "$got" -le 1 ] || fail "City=$city applied $got times"
	[ "$wrc" -ne 0 ] || expect_eq "$got" 1 "a write told success at ${delay}s was applied"
	log "$how at ${delay}s: writer rc $wrc, applied $got"
	sanitizer_check || fail "sanitizer report after $how at ${delay}s"
done

# background refreshes hung on a stopped API do not hold the exit
emu_post faults ""
mount_casfs ttl=1
cat "$MNT/instances/$id/detail" >/dev/null
sleep 1.3
kill -STOP "$EMU_PID"
cat "$MNT/instances/$id/detail" >/dev/null # stale; its refresh hangs in the background
t0=$(date +%s%N)
fusermount3 -u "$MNT"
crc=0
wait "$CASFS_PID" || crc=$?
CASFS_PID=""
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$EMU_PID"
expect_eq "$crc" 0 "casfs exit status after an unmount with a hung refresh"
log "unmount with a hung background refresh: exit after ${ms} ms"
[ "$ms" -lt 10000 ] || fail "exit took ${ms} ms: it waited for the hung refresh (default timeout 20 s)"
echo PASS
