#!/usr/bin/env bash
# SIGTERM or a lazy fusermount3 -u while a mutation is stalled in
# flight (the emulator holds the UpdateInstance answer), at several delays
# after the write starts: casfs exits 0 every time (no use of the fuse
# session after it is destroyed: run under ASan by contrib/test.sh), and each
# change is applied at most once, exactly once when the writer was told
# success. Then an unmount while a background refresh hangs (API stopped)
# exits 0 without waiting for the refresh's timeout. The stalled-write rounds run
# with -o timeout=5 (quick) and twice more at the default options.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 61 --stall-ms 1200 --faults "stall=1@UpdateInstance"
id=$(first_instance)
n=0
# (SIGINT is not in the list: bash starts background jobs with SIGINT ignored,
# and libfuse keeps an inherited SIG_IGN, as a daemon should)
# stop HOW DELAY [MOUNT-OPTIONS...]: a write stalled in flight, stopped DELAY
# seconds after it began by SIGTERM or a lazy unmount
stop() {
	local how=$1 delay=$2
	shift 2
	n=$((n + 1))
	mount_casfs "$@"
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
	expect_eq "$crc" 0 "casfs exit status after $how at ${delay}s (${*:-default options})"
	got=$(audit_count UpdateInstance ".applied == true and .params.City == \"$city\"")
	[ "$got" -le 1 ] || fail "City=$city applied $got times"
	[ "$wrc" -ne 0 ] || expect_eq "$got" 1 "a write told success at ${delay}s was applied"
	log "$how at ${delay}s (${*:-default options}): writer rc $wrc, applied $got"
	sanitizer_check || fail "sanitizer report after $how at ${delay}s"
}
stops=(TERM umount TERM TERM umount TERM umount TERM)
i=0
for delay in 0 0.05 0.2 0.4 0.7 1.0 1.3 1.5; do
	stop "${stops[$i]}" "$delay" timeout=5 # a short deadline keeps the eight rounds quick
	i=$((i + 1))
done
# and the same trouble at casfs's default options (timeout 20 s)
stop TERM 0.4
stop umount 0.7

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
