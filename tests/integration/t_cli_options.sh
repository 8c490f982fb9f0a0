#!/usr/bin/env bash
# Command-line options that select credentials and the loop, on real mounts:
# - -o credentials_file=P,profile=NAME picks that profile of that file (not
#   ~/.aliyun, not the file's `current`), and -o profile skips the
#   environment even when it holds (wrong) keys;
# - a profile with a wrong secret fails the mount with one line;
# - -s (single-threaded) serves 16 parallel readers correctly, with fewer
#   threads than the default multi-threaded loop.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 61 --access-key "LTAI5tSecondKey:second-secret" --latency-ms 100
mkdir -p "$T/creds"
jq -n --arg id "$AK" --arg s "$SK" '{current: "broken", profiles: [
	{name: "broken", mode: "AK", access_key_id: $id, access_key_secret: "wrong"},
	{name: "second", mode: "AK", access_key_id: "LTAI5tSecondKey", access_key_secret: "second-secret"},
	{name: "first", mode: "AK", access_key_id: $id, access_key_secret: $s}]}' >"$T/creds/cas.json"
chmod 600 "$T/creds/cas.json"
# the environment holds keys the emulator refuses: -o profile must skip them
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tNotThisOne ALIBABA_CLOUD_ACCESS_KEY_SECRET=nope
mount_casfs "credentials_file=$T/creds/cas.json" profile=second
expect_eq "$(ls "$MNT/instances" | wc -l)" "4" "instances through profile=second"
keys=$(jq -r .access_key_id "$AUDIT" | sort -u | tr '\n' ' ')
expect_eq "$keys" "LTAI5tSecondKey " "access keys the emulator saw"
umount_casfs || fail "unclean unmount"

rc=0
timeout 60 "$CASFS_BIN" -f -o "endpoint=$EMU_URL,credentials_file=$T/creds/cas.json,profile=broken" "$MNT" \
	>"$T/broken.out" 2>"$T/broken.err" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "profile=broken: exit status $rc"
mountpoint -q "$MNT" && fail "profile=broken left a mount"
grep -q SignatureDoesNotMatch "$T/broken.err" || fail "profile=broken: $(cat "$T/broken.err")"

# -s: single-threaded, still correct under parallel readers
threads_after_16_readers() {
	local pids=() i
	echo 1 >"$MNT/.cas/refresh"
	for i in $(seq 1 16); do
		cat "$MNT/instances/$(ls "$MNT/instances" | sed -n "$((i % 4 + 1))p")/config" >"$T/r.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || fail "a parallel reader failed: $(cat "$T"/r.*)"
	for i in $(seq 1 16); do jq -e .City "$T/r.$i" >/dev/null || fail "reader $i: $(cat "$T/r.$i")"; done
	ls "/proc/$CASFS_PID/task" | wc -l
}
mount_casfs "credentials_file=$T/creds/cas.json" profile=first
mt=$(threads_after_16_readers)
umount_casfs || fail "unclean unmount"
CASFS_FLAGS=-s mount_casfs "credentials_file=$T/creds/cas.json" profile=first
st=$(threads_after_16_readers)
log "threads after 16 parallel readers: default $mt, -s $st"
[ "$st" -lt "$mt" ] || fail "-s runs as many threads ($st) as the multi-threaded loop ($mt)"
echo PASS
