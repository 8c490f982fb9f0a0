#!/usr/bin/env bash
# -o share=: changes whose publish failed (Redis stopped) are replayed by
# the mount's subscriber thread once Redis answers, one slow round trip
# after another. No operation waits behind that or spends its deadline on
# the backlog (a mutation that took the replay over once spent 6.7 s under
# -o timeout=5): a mutation made meanwhile (its read, its publish, queued
# behind the backlog) returns within -o timeout, every change
# is published at least once when Redis answers again, and the mount
# unmounts cleanly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 200 --seed 7
start_redis
mount_fleet 1 "$(share_url)" timeout=5 ttl=1
mapfile -t ids < <(emu_get state | jq -r '[.instances[] | select(.Status == "normal" and .AutoReissue == "enable")][].InstanceId' | head -n 20)
[ "${#ids[@]}" -eq 20 ] || fail "the emulator has too few normal instances"
for id in "${ids[@]}"; do cat "$T/m1/instances/$id/detail" >/dev/null; done

# Redis frozen: 16 mutations, 4 changes each, all left pending; the
# listing they invalidated is read again (it is stale, not gone, below)
kill -STOP "$REDIS_PID"
for i in $(seq 0 15); do
	echo '{"AutoReissue":"disable"}' >"$T/m1/instances/${ids[$i]}/config" || fail "write $i with Redis stopped"
done
pending=$(stat_of 1 .share.pending)
log "changes pending with Redis stopped: $pending"
[ "$pending" -ge 60 ] || fail "only $pending changes pending"
ls "$T/m1/instances" >/dev/null
kill -CONT "$REDIS_PID"

# Redis slow but answering: every command waits up to 180 ms (two sleeps: under the
# 200 ms command deadline), so the replay goes out one slow round trip at a time
redis-cli -p "$REDIS_PORT" -r -1 DEBUG SLEEP 0.09 >/dev/null 2>&1 &
slow=$!
at_cleanup "kill $slow 2>/dev/null; wait $slow 2>/dev/null"
sleep 1.2 # the cached details are stale; Redis's rest after the failure is over
# a stale detail: served at once, refreshed on a background thread, while
# the subscriber replays the pending changes
cat "$T/m1/instances/${ids[18]}/detail" >/dev/null &
reader=$!
sleep 0.3
t0=$(date +%s%N)
echo '{"AutoReissue":"disable"}' >"$T/m1/instances/${ids[19]}/config" || fail "the write while the replay runs failed"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "a mutation while another thread replays $pending changes on a slow Redis: $ms ms"
[ "$ms" -lt 4000 ] || fail "a mutation waited $ms ms behind the replay (-o timeout=5)"
wait "$reader" || fail "the stale read failed"
kill "$slow"
wait "$slow" 2>/dev/null || true

# every change reaches the fleet once Redis answers again (at least once)
for i in $(seq 1 50); do
	[ "$(stat_of 1 .share.pending)" -eq 0 ] && break
	ls "$T/m1/instances" >/dev/null
	sleep 0.2
done
expect_eq "$(stat_of 1 .share.pending)" 0 "changes still pending"
published=$(stat_of 1 .share.published)
[ "$published" -ge 68 ] || fail "only $published changes published (17 mutations, 4 each)"
expect_eq "$(applied UpdateInstance)" 17 "UpdateInstance applied"
umount_fleet 1
[ -z "$UNCLEAN" ] || fail "the mount did not unmount cleanly"
