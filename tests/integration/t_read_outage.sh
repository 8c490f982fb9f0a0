#!/usr/bin/env bash
# Bounded answers while the API is hung (SIGSTOP), refused (emulator killed)
# or slow (--latency-ms), each with short ttl/timeout and at default options:
# - a cached file past its TTL (detail, and a value file from the list) is
#   served within the soft deadline (2 s) of the read's start, however many
#   path components are overdue, and the next reads get it at once;
# - an uncached file fails within -o timeout in total (ETIMEDOUT or EIO);
# - the mount recovers when the API comes back.
# Bounds are the documented promises plus a margin for a loaded 2-core VM
# (hang guards, not benchmarks: tests/bench/outage.sh measures).
source "$(dirname "$0")/lib.sh"
SOFT_LIMIT_MS=3500 # soft deadline 2 s + margin
NEXT_LIMIT_MS=1000 # "at once" (target < 50 ms) + margin
TMO=3

# timed_cat FILE: RC, MS, output in $T/out
timed_cat() {
	local t0
	t0=$(date +%s%N)
	RC=0
	timeout 60 cat "$1" >"$T/out" 2>"$T/err" || RC=$?
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# cached_reads KIND A_DETAIL A_STATUS: the cached files read within the bounds
cached_reads() {
	local kind=$1 i
	timed_cat "$MNT/instances/$a/detail"
	expect_eq "$RC" 0 "$kind: cached detail ($(cat "$T/err"))"
	cmp -s "$T/out" "$2" || fail "$kind: cached detail bytes changed"
	[ "$MS" -le "$SOFT_LIMIT_MS" ] || fail "$kind: first cached detail read took ${MS} ms (limit $SOFT_LIMIT_MS)"
	log "$kind: first cached detail ${MS} ms"
	for i in 1 2 3; do
		timed_cat "$MNT/instances/$a/detail"
		expect_eq "$RC" 0 "$kind: cached detail again"
		[ "$MS" -le "$NEXT_LIMIT_MS" ] || fail "$kind: cached detail read $i took ${MS} ms (limit $NEXT_LIMIT_MS)"
		timed_cat "$MNT/instances/$a/status"
		expect_eq "$RC" 0 "$kind: cached status"
		cmp -s "$T/out" "$3" || fail "$kind: cached status bytes changed"
		[ "$MS" -le "$NEXT_LIMIT_MS" ] || fail "$kind: cached status read $i took ${MS} ms (limit $NEXT_LIMIT_MS)"
	done
	log "$kind: later cached reads ${MS} ms"
}

# uncached_fails KIND TIMEOUT_S FILE: fails within the timeout, ETIMEDOUT or EIO
uncached_fails() {
	timed_cat "$3"
	[ "$RC" -ne 0 ] || fail "$1: uncached $3 succeeded"
	[ "$RC" -ne 124 ] || fail "$1: uncached $3 hung"
	[ "$MS" -le $(($2 * 1000 + 1500)) ] || fail "$1: uncached $3 failed after ${MS} ms (timeout $2 s)"
	grep -qE "Connection timed out|Input/output error" "$T/err" || fail "$1: expected ETIMEDOUT or EIO: $(cat "$T/err")"
	[ -s "$T/out" ] && fail "$1: a failed read produced output"
	log "$1: uncached $3 failed in ${MS} ms"
}

recovers() {
	local i
	for i in $(seq 1 30); do
		timeout 60 cat "$1" >"$T/out" 2>/dev/null && return 0
		sleep 0.5
	done
	fail "the mount did not recover: $1"
}

# warm: cache the list, a's detail and status
warm() {
	cat "$MNT/instances/$a/detail" >"$T/a.detail"
	cat "$MNT/instances/$a/status" >"$T/a.status"
}

start_emulator --instances 6 --seed 41
PORT=${EMU_URL##*:}
mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
a=${ids[0]} b=${ids[1]} c=${ids[2]} d=${ids[3]}

# ---- hung, ttl=1 ------------------------------------------------------------------
mount_casfs ttl=1 timeout=$TMO
warm
sleep 1.3 # past the TTL: every component of the path is overdue
kill -STOP "$EMU_PID"
cached_reads hung "$T/a.detail" "$T/a.status"
uncached_fails hung $TMO "$MNT/instances/$b/detail"
kill -CONT "$EMU_PID"
recovers "$MNT/instances/$b/detail"
expect_eq "$(jq -r .InstanceId "$T/out")" "$b" "hung: detail after SIGCONT"

# ---- refused, ttl=1 ---------------------------------------------------------------
remount_casfs ttl=1 timeout=$TMO
warm
sleep 1.3
stop_emulator
cached_reads refused "$T/a.detail" "$T/a.status"
uncached_fails refused $TMO "$MNT/instances/$d/detail"
start_emulator --instances 6 --seed 41 --listen "127.0.0.1:$PORT"
recovers "$MNT/instances/$d/detail"
expect_eq "$(jq -r .InstanceId "$T/out")" "$d" "refused: detail after restart"

# ---- slow (latency 2.5 s: past the soft deadline, within the timeout), ttl=1 ------------
umount_casfs
stop_emulator
start_emulator --instances 6 --seed 41 --latency-ms 2500
mount_casfs ttl=1 timeout=8
warm
sleep 1.3
cached_reads slow "$T/a.detail" "$T/a.status"
# slower than the soft deadline but within the timeout: an uncached file is fetched
timed_cat "$MNT/instances/$b/detail"
expect_eq "$RC" 0 "slow: uncached detail within the timeout ($(cat "$T/err"))"
log "slow: uncached detail ${MS} ms"

# ---- default options: cached files answer at once in every outage; an uncached one
# fails within the default 20 s timeout ---------------------------------------------
umount_casfs
stop_emulator
start_emulator --instances 6 --seed 41
PORT=${EMU_URL##*:}
mount_casfs
warm
kill -STOP "$EMU_PID"
cached_reads default-hung "$T/a.detail" "$T/a.status"
uncached_fails default-hung 20 "$MNT/instances/$b/detail"
kill -CONT "$EMU_PID"
stop_emulator
cached_reads default-refused "$T/a.detail" "$T/a.status"
uncached_fails default-refused 20 "$MNT/instances/$c/detail"
start_emulator --instances 6 --seed 41 --listen "127.0.0.1:$PORT"
recovers "$MNT/instances/$c/detail"
echo PASS
