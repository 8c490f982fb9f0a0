#!/usr/bin/env bash
# Unmounting while the cache's background refreshes are in flight: with the
# service slower than the cache's soft deadline (a stall of 2.3 s on
# GetInstanceDetail), readers of expired details get the stale copy and the
# refreshes go on in detached threads, which call into the offline-snapshot
# layer, the client, the state database and the notifier. The unmount lands
# while they finish (rounds at staggered moments around their end): casfs
# exits 0 promptly, with no sanitizer report (in the ASan build a use after
# free of the snapshot showed here), and the audit log shows the refreshes
# were sent (they were really in flight).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 12 --seed 177 --stall-ms 2300
for round in 22 25 28 31 34 37; do
	emu_post faults ''
	mount_casfs ttl=1
	readers=()
	for f in "$MNT"/instances/*/detail; do cat "$f" >/dev/null & readers+=($!); done
	wait "${readers[@]}" # 12 details cached
	sleep 1.1            # expired
	before=$(audit_count GetInstanceDetail)
	emu_post faults 'stall=1@GetInstanceDetail'
	readers=()
	for f in "$MNT"/instances/*/detail; do cat "$f" >/dev/null & readers+=($!); done
	wait "${readers[@]}" # the stale copies, after the soft deadline (2 s)
	sleep "0.$round" # the refreshes end at about 2.3 s: unmount around then
	umount_casfs || fail "round $round: unclean unmount with refreshes in flight"
	sent=$(($(audit_count GetInstanceDetail) - before))
	[ "$sent" -gt 0 ] || fail "round $round: no background refresh was sent"
	sanitizer_check || exit 1
done
echo PASS
