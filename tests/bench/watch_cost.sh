#!/usr/bin/env bash
# watch_cost.sh: the API calls of .cas/metrics.prom scrapes and of -o watch
# at 1,000 instances, against the minimum (one listing = ceil(1000/100) = 10
# ListInstances calls), counted in the emulator's audit log. Scaled in time
# (a ttl / watch period of PERIOD seconds instead of 60) and extrapolated to
# an hour at 60 s; never a pass/fail test.
#   1. scrapes: cat .cas/metrics.prom every PERIOD/4 s (15 s at 60 s) for
#      10 periods, -o ttl=PERIOD
#   2. watch: an idle mount with -o watch=PERIOD (default ttl) for 10 periods
# Usage: tests/bench/watch_cost.sh [build-dir]   (default: build-bench, built here)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-bench}
if [ ! -x "$build/fs/casfs" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j2 --target casfs cas-emulator >/dev/null
fi
N=${N:-1000}
PERIOD=${PERIOD:-2}
W=$(mktemp -d /tmp/casfs-watchcost.XXXXXX)
export XDG_STATE_HOME=$W/state
unset STATE_DIRECTORY
mkdir -p "$W/mnt"
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tBench ALIBABA_CLOUD_ACCESS_KEY_SECRET=benchsecret0123456789
unset ALIBABA_CLOUD_SECURITY_TOKEN DASHSCOPE_API_KEY ALIBABA_CLOUD_BEARER_TOKEN
EMU_PID="" CASFS_PID=""
cleanup() {
	set +e
	[ -n "$CASFS_PID" ] && { fusermount3 -u "$W/mnt"; wait "$CASFS_PID"; }
	[ -n "$EMU_PID" ] && { kill "$EMU_PID"; wait "$EMU_PID"; }
	rm -rf "$W"
}
trap cleanup EXIT
"$build/contrib/cas-emulator/cas-emulator" --access-key "$ALIBABA_CLOUD_ACCESS_KEY_ID:$ALIBABA_CLOUD_ACCESS_KEY_SECRET" \
	--instances "$N" --seed 5 --audit "$W/audit.log" >"$W/emu.out" 2>/dev/null &
EMU_PID=$!
for _ in $(seq 1 100); do grep -q listening "$W/emu.out" 2>/dev/null && break; sleep 0.05; done
URL=$(sed -n 's/^listening on //p' "$W/emu.out")
mount_() {
	"$build/fs/casfs" -f -o "endpoint=$URL,$1" "$W/mnt" >>"$W/casfs.log" 2>&1 &
	CASFS_PID=$!
	for _ in $(seq 1 200); do mountpoint -q "$W/mnt" && return; sleep 0.05; done
	echo "casfs did not mount" >&2
	exit 1
}
umount_() {
	fusermount3 -u "$W/mnt"
	wait "$CASFS_PID" || true
	CASFS_PID=""
}
calls() { wc -l <"$W/audit.log"; }
lists() { grep -c '"ListInstances"' "$W/audit.log" || true; }
min=$(( (N + 99) / 100 ))
per_hour() { python3 -c "print(round($1 * 3600 / ($PERIOD * 10) * $PERIOD / 60))"; } # calls in 10 periods -> per hour at 60 s

echo "instances: $N; minimum per listing: $min ListInstances; period scaled to $PERIOD s (60 s in production)"
mount_ "ttl=$PERIOD"
cat "$W/mnt/.cas/metrics.prom" >/dev/null # the mount's first listing
sleep "$PERIOD"
c0=$(calls) l0=$(lists)
scrapes=0
end=$(python3 -c "import time; print(time.time() + 10 * $PERIOD)")
while python3 -c "import sys, time; sys.exit(time.time() >= $end)"; do
	cat "$W/mnt/.cas/metrics.prom" >/dev/null
	scrapes=$((scrapes + 1))
	sleep "$(python3 -c "print($PERIOD / 4)")"
done
c=$(( $(calls) - c0 )) l=$(( $(lists) - l0 ))
echo "scrapes: $scrapes in 10 ttl periods: $c calls ($l ListInstances, $((l / min)) listings, $((c / (l / min))) calls a listing, minimum $min); per hour at ttl=60 and a 15 s scrape: $(per_hour "$c") calls (bound: one listing per ttl = $((60 * min)))"
umount_

mount_ "watch=$PERIOD"
ls "$W/mnt/instances" >/dev/null
c0=$(calls)
sleep "$((10 * PERIOD))"
c=$(( $(calls) - c0 ))
echo "watch: idle for 10 periods of $PERIOD s: $c calls ($(( c / min )) listings of $min calls, minimum $min); per hour at watch=60: $(per_hour "$c") calls (bound: ceil(N/100) a period = $((60 * min)))"
umount_
