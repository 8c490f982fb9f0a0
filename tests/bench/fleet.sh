#!/usr/bin/env bash
# fleet.sh: the scaling of -o share= (not in ctest): a cold tar of the whole
# tree on N mounts of one account at once (N = 1, 3, 8), each its own casfs
# process and state directory, shared (one redis-server) against unshared.
# Prints, per row: API calls (the emulator's audit log), wall time, and the
# fleet's peak request rate (the most requests in any 1 s window) against
# the account's limit of 100 QPS (the emulator enforces none here, so an
# unshared fleet shows what it would ask of the service).
# Usage: CASFS_BUILD=build tests/bench/fleet.sh [INSTANCES]
set -euo pipefail
here=$(cd "$(dirname "$0")/../integration" && pwd)
N_INST=${1:-300}
source "$here/lib.sh"
source "$here/fleet_lib.sh"
start_emulator --instances "$N_INST" --seed 3 --latency-ms 10
start_redis
peak() {
	jq -r '.time' "$AUDIT" | python3 -c '
import sys, datetime, bisect
t = sorted(datetime.datetime.fromisoformat(l.strip().replace("Z", "+00:00")).timestamp() for l in sys.stdin if l.strip())
print(max((bisect.bisect_right(t, x + 1.0) - i for i, x in enumerate(t)), default=0))'
}
printf '%-7s %-9s %7s %8s %12s\n' mounts mode calls wall_s peak_qps/100
for n in 1 3 8; do
	for mode in unshared shared; do
		: >"$AUDIT"
		rcli FLUSHALL >/dev/null
		opt=ttl=60
		[ $mode = shared ] && opt=$(share_url)
		for i in $(seq 1 $n); do rm -rf "$T/s$i"; mount_fleet "$i" "$opt"; done
		: >"$AUDIT" # the mount probes are not the backup's
		t0=$(date +%s%N)
		tar_all $(seq 1 $n)
		wall=$(( ($(date +%s%N) - t0) / 1000000 ))
		printf '%-7s %-9s %7s %8s %12s\n' $n $mode "$(wc -l <"$AUDIT")" "$(awk "BEGIN{printf \"%.1f\", $wall/1000}")" "$(peak)"
		for i in $(seq 1 $n); do umount_fleet "$i"; done
	done
done
