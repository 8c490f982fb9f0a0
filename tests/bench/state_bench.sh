#!/usr/bin/env bash
# state_bench.sh: figures of the state database (the per-account SQLite file). Never a pass/fail
# test: it prints numbers for the notes and the README.
#   1. an unchanged N-instance account (default 1,000): a cold rsync -a, then
#      a remount and a second rsync -a: files transferred (want 0), API calls
#      and wall time of each run
#   2. the database size per N instances (stamps, snapshot, counters)
#   3. casfs RSS after the rsync, with the state database and with -o no_state
#      (and, with BASE_CASFS=path to a casfs binary built before the state database, that one)
# Usage: tests/bench/state_bench.sh [build-dir] (default: build-bench, built here)
# N=... sets the instance count.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-bench}
N=${N:-1000}
if [ ! -x "$build/fs/casfs" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j2 --target casfs cas-emulator >/dev/null
fi
EMU=$build/contrib/cas-emulator/cas-emulator
CASFS=$build/fs/casfs
W=$(mktemp -d /tmp/casfs-sbench.XXXXXX)
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tBench ALIBABA_CLOUD_ACCESS_KEY_SECRET=benchsecret0123456789
export XDG_STATE_HOME=$W/state
unset STATE_DIRECTORY # (systemd's, which casfs prefers)
unset ALIBABA_CLOUD_SECURITY_TOKEN DASHSCOPE_API_KEY ALIBABA_CLOUD_BEARER_TOKEN
EMU_PID="" CASFS_PID=""
cleanup() {
	set +e
	mountpoint -q "$W/mnt" && fusermount3 -u "$W/mnt"
	[ -n "$CASFS_PID" ] && wait "$CASFS_PID" 2>/dev/null
	[ -n "$EMU_PID" ] && kill "$EMU_PID" && wait "$EMU_PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l | xargs printf '%.2f'; }
calls() { [ -f "$W/audit" ] && wc -l <"$W/audit" || echo 0; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

"$EMU" --access-key "$ALIBABA_CLOUD_ACCESS_KEY_ID:$ALIBABA_CLOUD_ACCESS_KEY_SECRET" --instances "$N" --seed 7 \
	--audit "$W/audit" >"$W/emu.out" 2>"$W/emu.err" &
EMU_PID=$!
URL=""
for _ in $(seq 1 200); do
	URL=$(sed -n 's/^listening on //p' "$W/emu.out")
	[ -n "$URL" ] && break
	sleep 0.05
done
mkdir -p "$W/mnt"
mount_casfs() {
	"${BIN:-$CASFS}" -f -o "endpoint=$URL${1:+,$1}" "$W/mnt" 2>>"$W/casfs.log" &
	CASFS_PID=$!
	for _ in $(seq 1 200); do mountpoint -q "$W/mnt" && return; sleep 0.05; done
	echo "mount failed: $(tail -3 "$W/casfs.log")" >&2
	exit 1
}
umount_casfs() {
	fusermount3 -u "$W/mnt"
	wait "$CASFS_PID" 2>/dev/null || true
	CASFS_PID=""
}
run_rsync() { # label
	local c0 t0 files
	c0=$(calls)
	t0=$(now)
	rsync -a --stats "$W/mnt/" "$W/copy/" >"$W/rsync.out"
	files=$(sed -n 's/^Number of regular files transferred: //p' "$W/rsync.out" | tr -d ,)
	printf '%-34s files transferred %6s   calls %5s   %6s s\n' "$1" "$files" "$(($(calls) - c0))" "$(elapsed "$t0")"
}

echo "state database figures, $N instances ($(nproc) cores, $(date -u +%F))"
mount_casfs
run_rsync "cold rsync -a (first mount)"
rss_state=$(rss_mb "$CASFS_PID")
umount_casfs
mount_casfs
run_rsync "remount + rsync -a (unchanged)"
umount_casfs
db=$(ls "$XDG_STATE_HOME"/casfs/account-*.db)
size=$(du -cb "$db"* | tail -n1 | cut -f1)
rows="$(sqlite3 "$db" 'select count(*) from stamps;') $(sqlite3 "$db" 'select count(*) from snapshot;')"
printf 'database size                      %.1f MiB for %s instances (%.1f MiB per 1,000); stamps, snapshot rows: %s\n' \
	"$(echo "$size / 1048576" | bc -l)" "$N" "$(echo "$size / 1048576 * 1000 / $N" | bc -l)" "$rows"
rm -rf "$W/copy"
mount_casfs no_state
run_rsync "cold rsync -a with -o no_state"
rss_nostate=$(rss_mb "$CASFS_PID")
umount_casfs
rss_base=""
if [ -n "${BASE_CASFS:-}" ]; then
	rm -rf "$W/copy"
	BIN=$BASE_CASFS mount_casfs
	run_rsync "cold rsync -a, casfs without the state database"
	rss_base=", $(rss_mb "$CASFS_PID") MiB without the state database"
	umount_casfs
	BIN=$BASE_CASFS mount_casfs
	run_rsync "remount + rsync -a, without the state database"
	umount_casfs
fi
echo "RSS after a cold rsync: ${rss_state} MiB with the state database, ${rss_nostate} MiB with -o no_state${rss_base}"
