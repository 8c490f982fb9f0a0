#!/usr/bin/env bash
# demo.sh: the README's first command. On a fresh Debian machine it installs
# what is missing, builds casfs, starts the bundled CAS emulator on loopback
# with sample data and generated credentials, mounts it (./mnt by default),
# prints a short tour, and keeps running until Ctrl-C, then unmounts and
# stops the emulator.
#
#   contrib/demo.sh [MOUNTPOINT]
#
# CASFS_DEMO_ONCE=1 tears down right after the tour (used by the tests);
# CASFS_DEMO_BUILD=DIR uses an existing build instead of building build-demo.
# The demo's state database lives in its scratch directory and goes with
# it: the caller's ~/.local/state/casfs (or $XDG_STATE_HOME, $STATE_DIRECTORY)
# is never written.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mnt=$(realpath -m "${1:-./mnt}")
source "$root/contrib/deps.sh"
casfs_install_deps

build=${CASFS_DEMO_BUILD:-$root/build-demo}
if [ -z "${CASFS_DEMO_BUILD:-}" ]; then
	echo "== building casfs"
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target casfs cas-emulator >/dev/null
fi

work=$(mktemp -d /tmp/casfs-demo.XXXXXX)
# made-up credentials: their state is the demo's, never the caller's
export XDG_STATE_HOME=$work/state
unset STATE_DIRECTORY
emu_pid="" casfs_pid=""
finish() {
	set +e
	if [ -n "$casfs_pid" ]; then
		fusermount3 -u "$mnt" 2>/dev/null
		wait "$casfs_pid" 2>/dev/null
	fi
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null
		wait "$emu_pid" 2>/dev/null
	fi
	rm -rf "$work"
	echo
	echo "== unmounted $mnt and stopped the emulator"
}
trap finish EXIT
trap 'exit 0' INT TERM

# credentials made up for this run; they exist only in this process tree
export ALIBABA_CLOUD_ACCESS_KEY_ID="LTAI5tDemo$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')"
export ALIBABA_CLOUD_ACCESS_KEY_SECRET="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
unset ALIBABA_CLOUD_SECURITY_TOKEN DASHSCOPE_API_KEY ALIBABA_CLOUD_BEARER_TOKEN

echo "== starting the CAS emulator (sample data, 40 instances)"
"$build/contrib/cas-emulator/cas-emulator" --instances 40 --seed 2026 \
	--access-key "$ALIBABA_CLOUD_ACCESS_KEY_ID:$ALIBABA_CLOUD_ACCESS_KEY_SECRET" \
	--audit "$work/audit.log" >"$work/emu.out" 2>"$work/emu.err" &
emu_pid=$!
url=""
for _ in $(seq 1 100); do
	url=$(sed -n 's/^listening on //p' "$work/emu.out")
	[ -n "$url" ] && break
	sleep 0.05
done
[ -n "$url" ] || { cat "$work/emu.err" >&2; exit 1; }
echo "   $url"

mkdir -p "$mnt"
echo "== mounting at $mnt"
"$build/fs/casfs" -f -o "endpoint=$url" "$mnt" 2>"$work/casfs.log" &
casfs_pid=$!
for _ in $(seq 1 100); do
	mountpoint -q "$mnt" && break
	kill -0 "$casfs_pid" 2>/dev/null || { cat "$work/casfs.log" >&2; exit 1; }
	sleep 0.05
done

tour() {
	echo
	echo "\$ $*"
	bash -c "$*" 2>&1 | head -n 25
}
cd "$mnt"
tour "ls"
tour "ls instances | head -n 5"
id=$(ls instances | head -n 1)
tour "ls -l instances/$id"
tour "cat instances/$id/detail | head -n 20"
tour "cat instances/*/status | sort | uniq -c"
tour "jq -r '.Domain' instances/*/detail | grep -F '*.' | head -n 5"
tour "ls by-status/willExpire"
tour "cat summary"
tour "jq '{calls: .totals.calls, cache: {hits: .cache.hits, misses: .cache.misses}, free_tier}' .cas/stats"
# safe by default: nothing is deleted without -o allow_delete
tour "rmdir instances/$id || tail -n 1 .cas/errors | jq -c '{path, errno, message}'"
cd - >/dev/null
echo
echo "casfs is mounted at $mnt; try: echo '{\"AutoReissue\":\"enable\"}' > $mnt/instances/$id/config"
echo "deleting needs consent: remount with -o allow_delete, then rmdir or rm -rf instances/<id> deletes it"
echo "emulator state: curl -s $url/_emulator/state | jq .instances[0]"
[ -n "${CASFS_DEMO_ONCE:-}" ] && exit 0
echo "press Ctrl-C to unmount and stop"
wait "$casfs_pid"
