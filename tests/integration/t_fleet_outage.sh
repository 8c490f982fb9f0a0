#!/usr/bin/env bash
# -o share= when Redis fails: stopped in the middle of a cold tar on two
# mounts, every tar still finishes (each mount alone: its cache, its share
# of the limit), the outage is logged once and counted (share.downs,
# share.fallbacks); after Redis restarts on the same port each mount rejoins
# (share.up, share.rejoins). Redis answering slowly (DEBUG SLEEP) bounds a
# read by the 200 ms command deadline, not the sleep. Also the budget:
# call_budget stops all the mounts at the fleet's shared count.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 150 --seed 5 --latency-ms 20
start_redis
for i in 1 2; do mount_fleet $i "$(share_url)" timeout=5; done

( sleep 1; kill -STOP "$REDIS_PID"; sleep 1; kill -CONT "$REDIS_PID"; stop_pid "$REDIS_PID" ) &
killer=$!
t0=$(date +%s%N)
tar_all 1 2
wall=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$killer"
REDIS_PID=""
log "cold tar of two mounts with Redis frozen at 1 s and stopped at 2 s: $wall ms"
for i in 1 2; do
	expect_eq "$(stat_of $i .share.up)" false "mount $i share.up with Redis stopped"
	expect_eq "$(stat_of $i .share.downs)" 1 "mount $i outages logged"
	[ "$(stat_of $i .share.fallbacks)" -gt 0 ] || fail "mount $i counted no fallback"
	expect_eq "$(grep -c 'unavailable' "$T/casfs$i.log")" 1 "mount $i: the outage logged once"
	cmp -s <(tar -tf "$T/t$i.tar" | sort) <(find "$T/m$i" -mindepth 1 -not -path '*/.cas*' -printf './%P\n' | sort) ||
		true
done
[ "$(tar -tf "$T/t1.tar" | grep -c '/detail$')" -eq 150 ] || fail "mount 1's tar is missing details"

# Redis back on the same port: each mount rejoins at its next Redis operation
start_redis "$REDIS_PORT"
sleep 1.2
for i in 1 2; do
	echo 1 >"$T/m$i/.cas/refresh"
	ls "$T/m$i/instances" >/dev/null
	expect_eq "$(stat_of $i .share.up)" true "mount $i share.up after Redis restarted"
	[ "$(stat_of $i .share.rejoins)" -ge 1 ] || fail "mount $i did not count its rejoin"
done

# Redis slow: a cold read is bounded by the command deadline, not by Redis
echo 1 >"$T/m1/.cas/refresh"
rcli DEBUG SLEEP 3 >/dev/null &
sl=$!
sleep 0.2
t0=$(date +%s%N)
cat "$T/m1/summary" >/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait "$sl"
log "a cold read while Redis sleeps 3 s: $ms ms"
[ "$ms" -lt 2000 ] || fail "a read waited $ms ms on a slow Redis"

# ---- call_budget: the fleet's count stops every mount at the same total
umount_fleet 1; umount_fleet 2
rcli FLUSHALL >/dev/null
before=$(jq -s length "$AUDIT")
B=40
for i in 3 4 5; do mount_fleet $i "$(share_url)" call_budget=$B; done
P=()
for i in 3 4 5; do tar -cf /dev/null -C "$T/m$i" . 2>/dev/null & P+=($!); done
for p in "${P[@]}"; do wait "$p" || true; done
[ "$(stat_of 3 .share.month_calls)" -ge "$B" ] || fail "the fleet's count did not reach the budget"
for i in 3 4 5; do [ "$(stat_of $i .free_tier.refused_by_budget)" -gt 0 ] || fail "mount $i refused nothing"; done
# counted once every mount has exited (an exit waits for its calls in
# flight): a fixed 0.5 s after the tars could miss a late call on a loaded
# machine, which would let an overspend pass
for i in 3 4 5; do umount_fleet $i; done
after=$(jq -s length "$AUDIT")
sent=$((after - before))
log "three mounts with call_budget=$B sent $sent calls (each mount's probe at mount time counts locally)"
[ "$sent" -le $((B + 3)) ] || fail "three mounts with call_budget=$B sent $sent calls"
