#!/usr/bin/env bash
# outage.sh: read latency while the API is healthy, hung (SIGSTOP), refused
# (emulator killed) or slow (--latency-ms 2500), never a pass/fail test.
#   1. cached reads past the TTL (ttl=1): the first read of a detail after
#      expiry, then p50/p99 of the next READS reads (detail and status)
#   2. uncached reads: how long a failure takes against -o timeout
# Usage: tests/bench/outage.sh [build-dir]   (default: build-bench, built here)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-bench}
if [ ! -x "$build/fs/casfs" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j2 --target casfs cas-emulator >/dev/null
fi
EMU=$build/contrib/cas-emulator/cas-emulator
CASFS=$build/fs/casfs
READS=${READS:-200}
W=$(mktemp -d /tmp/casfs-outage.XXXXXX)
export XDG_STATE_HOME=$W/state # never the caller's state directory
unset STATE_DIRECTORY
mkdir -p "$W/mnt"
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tBench ALIBABA_CLOUD_ACCESS_KEY_SECRET=benchsecret0123456789
unset ALIBABA_CLOUD_SECURITY_TOKEN DASHSCOPE_API_KEY ALIBABA_CLOUD_BEARER_TOKEN
EMU_PID="" CASFS_PID="" PORT=0

cleanup() {
	set +e
	[ -n "$CASFS_PID" ] && { fusermount3 -u "$W/mnt"; wait "$CASFS_PID"; }
	[ -n "$EMU_PID" ] && { kill -CONT "$EMU_PID"; kill "$EMU_PID"; wait "$EMU_PID"; }
	rm -rf "$W"
}
trap cleanup EXIT

emu() {
	"$EMU" --access-key "$ALIBABA_CLOUD_ACCESS_KEY_ID:$ALIBABA_CLOUD_ACCESS_KEY_SECRET" --instances 20 --seed 5 \
		--listen "127.0.0.1:$PORT" "$@" >"$W/emu.out" 2>/dev/null &
	EMU_PID=$!
	for _ in $(seq 1 100); do grep -q listening "$W/emu.out" 2>/dev/null && break; sleep 0.05; done
	URL=$(sed -n 's/^listening on //p' "$W/emu.out")
	PORT=${URL##*:}
}
emu_stop() { kill -CONT "$EMU_PID"; kill "$EMU_PID"; wait "$EMU_PID" || true; EMU_PID=""; }
mnt() {
	"$CASFS" -f -o "endpoint=$URL,$1" "$W/mnt" >>"$W/casfs.log" 2>&1 &
	CASFS_PID=$!
	for _ in $(seq 1 200); do mountpoint -q "$W/mnt" && break; sleep 0.05; done
}
umnt() { fusermount3 -u "$W/mnt"; wait "$CASFS_PID" || true; CASFS_PID=""; }
ms() { local t0; t0=$(date +%s%N); timeout 60 cat "$1" >/dev/null 2>&1 || true; echo $((($(date +%s%N) - t0) / 1000000)); }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100); if (i<1) i=1; print a[i]}'; }

# cached KIND OPTS SETUP RESTORE: mount with OPTS, cache, expire, apply SETUP, measure, RESTORE
cached() {
	local kind=$1 opts=$2 setup=$3 restore=$4 first
	mnt "$opts"
	id=$(ls "$W/mnt/instances" | head -n1)
	cat "$W/mnt/instances/$id/detail" "$W/mnt/instances/$id/status" >/dev/null
	sleep 1.2
	eval "$setup"
	first=$(ms "$W/mnt/instances/$id/detail")
	: >"$W/t"
	for _ in $(seq 1 "$READS"); do
		ms "$W/mnt/instances/$id/detail" >>"$W/t"
		ms "$W/mnt/instances/$id/status" >>"$W/t"
	done
	printf '%-28s first %5d ms   p50 %4d ms   p99 %4d ms   (%d reads)\n' "$kind" "$first" "$(pct 50 <"$W/t")" \
		"$(pct 99 <"$W/t")" "$((2 * READS))"
	umnt
	eval "$restore"
}

echo "== cached reads past the TTL (ttl=1, timeout=3)"
emu
cached healthy "ttl=1,timeout=3" : :
cached "hung (SIGSTOP)" "ttl=1,timeout=3" 'kill -STOP $EMU_PID' 'kill -CONT $EMU_PID'
cached "refused (emulator killed)" "ttl=1,timeout=3" emu_stop emu
emu_stop
emu --latency-ms 2500
# slow: one attempt must outlast the latency, so timeout=8 (an attempt gets timeout/3)
cached "slow (latency 2500 ms)" "ttl=1,timeout=8" : :
emu_stop

echo "== uncached reads: time to fail against -o timeout"
emu
for tmo in 3 20; do
	mnt "timeout=$tmo"
	ids=($(ls "$W/mnt/instances"))
	kill -STOP "$EMU_PID"
	printf 'hung,    timeout=%-3s detail fails after %6d ms\n' "$tmo" "$(ms "$W/mnt/instances/${ids[1]}/detail")"
	kill -CONT "$EMU_PID"
	umnt
done
mnt "timeout=3"
ids=($(ls "$W/mnt/instances"))
emu_stop
printf 'refused, timeout=3   detail fails after %6d ms\n' "$(ms "$W/mnt/instances/${ids[2]}/detail")"
umnt
