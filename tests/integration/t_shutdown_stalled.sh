#!/usr/bin/env bash
# SIGTERM while a mutation is stalled in flight (the emulator holds the
# UpdateInstance answer), at several delays after the write starts: casfs
# exits 0 every time (no use of the fuse session after it is destroyed: run
# under ASan by contrib/test.sh), and each change is applied at most once,
# exactly once when the writer was told success.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 61 --stall-ms 1200 --faults "stall=1@UpdateInstance"
id=$(first_instance)
n=0
for delay in 0 0.05 0.2 0.4 0.7 1.0 1.5; do
	n=$((n + 1))
	mount_casfs timeout=5
	cat "$MNT/instances/$id/config" >/dev/null
	city="Stall$n"
	wrc=0
	( printf '{"City":"%s"}' "$city" >"$MNT/instances/$id/config" ) 2>"$T/w.err" &
	wpid=$!
	sleep "$delay"
	kill -TERM "$CASFS_PID"
	crc=0
	wait "$CASFS_PID" || crc=$?
	CASFS_PID=""
	wait "$wpid" || wrc=$?
	mountpoint -q "$MNT" && fusermount3 -uz "$MNT"
	expect_eq "$crc" 0 "casfs exit status after SIGTERM at ${delay}s"
	got=$(audit_count UpdateInstance ".applied == true and .params.City == \"$city\"")
	[ "$got" -le 1 ] || fail "City=$city applied $got times"
	[ "$wrc" -ne 0 ] || expect_eq "$got" 1 "a write told success at ${delay}s was applied"
	log "delay ${delay}s: writer rc $wrc, applied $got"
	sanitizer_check || fail "sanitizer report after SIGTERM at ${delay}s"
done
echo PASS
