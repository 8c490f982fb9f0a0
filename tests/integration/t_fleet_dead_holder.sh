#!/usr/bin/env bash
# -o share=: a mount that dies holding the fleet-wide fetch lock stalls the
# other mounts' cold reads about 2 s at most (the lock lives 2 s; a waiter
# fetches itself after 2 s), not the 20 s of the operation's deadline.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 60 --seed 3
start_redis
mount_fleet 1 "$(share_url)"
mount_fleet 2 "$(share_url)"
id=$(first_instance '.Status == "normal"')
emu_post faults 'slow:6000=1@GetInstanceDetail#1'
cat "$T/m1/instances/$id/detail" >/dev/null 2>&1 &
# mount 1 takes the lock when its fetch starts (the fetch then stalls 6 s):
# wait for it (a fixed 0.5 s raced a slow start on a loaded machine). The
# lock lives 2 s, so it is looked for every 50 ms, and the kill follows at once.
n=0
for i in $(seq 1 400); do
	n=$(rcli --scan --pattern '*:l:*' | wc -l)
	[ "$n" -ge 1 ] && break
	sleep 0.05
done
[ "$n" -ge 1 ] || fail "mount 1 holds no fetch lock"
kill -9 "${FLEET_PIDS[1]}"
FLEET_PIDS[1]=""
fusermount3 -uz "$T/m1" || true
t0=$(date +%s%N)
cat "$T/m2/instances/$id/detail" >/dev/null || fail "mount 2's read failed"
ms=$((($(date +%s%N) - t0) / 1000000))
log "mount 2's cold read after mount 1 died holding the lock: $ms ms; waits=$(stat_of 2 .share.waits)"
# the promise (docs/SEMANTICS.md, Fleets): about 2 s, never the 20 s deadline;
# 3000 ms is the 2 s wait plus 1 s for the read's own work on a loaded machine
[ "$ms" -le 3000 ] || fail "mount 2's cold read took $ms ms (bound: 3000)"
emu_post faults ''
