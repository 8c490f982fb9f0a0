#!/usr/bin/env bash
# Unmounting while the cache's background refreshes are in flight: with the
# service slower than the cache's soft deadline (a stall of 2.3 s on
# GetInstanceDetail), readers of expired details get the stale copy and the
# refreshes go on in detached threads, which call into the offline-snapshot
# layer, the client, the state database and the notifier. The unmount lands
# while they finish (four rounds, at staggered moments): casfs
# exits 0 promptly, with no sanitizer report (in the ASan build a use after
# free of the snapshot showed here), and the audit log shows the refreshes
# were sent (they were really in flight).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 12 --seed 177 --stall-ms 2300
for round in 0 1 2 3; do
	emu_post faults ''
	mount_casfs ttl=1
	log "round $round: mounted"
	readers=()
	for f in "$MNT"/instances/*/detail; do cat "$f" >/dev/null & readers+=($!); done
	wait "${readers[@]}" # 12 details cached
	sleep 1.1            # expired
	log "round $round: expired"
	before=$(audit_count GetInstanceDetail)
	emu_post faults 'stall=1@GetInstanceDetail'
	readers=()
	for f in "$MNT"/instances/*/detail; do cat "$f" >/dev/null & readers+=($!); done
	wait "${readers[@]}" # the stale copies, after the soft deadline (2 s)
	sleep "0.$round" # the detail refreshes end ~0.3 s after the readers got their stale copies
	log "round $round: unmounting"
	umount_casfs || fail "round $round: unclean unmount with refreshes in flight"
	log "round $round: unmounted"
	sent=$(($(audit_count GetInstanceDetail) - before))
	[ "$sent" -gt 0 ] || fail "round $round: no background refresh was sent"
	stale=$(grep -c "serving stale detail" "$T/casfs.log" || true)
	[ "$stale" -gt "${stale_before:-0}" ] || fail "round $round: no stale detail served (no refresh in the background)"
	stale_before=$stale
	sanitizer_check || exit 1
done
echo PASS
