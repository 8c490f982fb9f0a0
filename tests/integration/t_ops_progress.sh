#!/usr/bin/env bash
# Operations: progress of long work. During a cold listing (held to 5 calls/s)
# .cas/stats shows listing pages done of total; during a cold tar of 2,000
# instances at 20 ms latency (rate-limited to 100 calls/s, so it takes at
# least 20 s) it shows calls in flight, the call rate over 10 s, read-ahead
# queued and done, and the scan position moving; after 10 s a progress line
# "details N/2,000, R/s, ~S s left" is logged, and at the end the read-ahead
# has done everything it queued.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 2000 --seed 151 --latency-ms 20
stat_of() { jq -r ".progress.$1" "$MNT/.cas/stats"; }

# listing: 20 pages at 5 calls/s take ~4 s
mount_casfs "qps=5,log_file=$T/l.log"
jq . "$MNT/.cas/stats" >/dev/null # looked up before the listing holds the root
ls "$MNT/instances" >"$T/ls.out" &
LS_PID=$!
seen=""
for i in $(seq 1 80); do
	s=$(jq -c '.progress | [.listing_pages_done, .listing_pages_total]' "$MNT/.cas/stats")
	case $s in "[0,0]") ;; *) seen="$seen $s" ;; esac
	kill -0 "$LS_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$LS_PID" || fail "ls instances"
expect_eq "$(wc -l <"$T/ls.out")" 2000 "instances listed"
grep -qE '\[([1-9]|1[0-9]),20\]' <<<"$seen" || fail "listing progress never showed N/20 pages: $seen"
expect_eq "$(stat_of listing_pages_total)" 0 "listing pages total after the listing"
expect_eq "$(stat_of listing_pages_fetched)" 20 "listing pages fetched"
umount_casfs

# cold tar: sample the stats every second while it runs
mount_casfs "log_file=$T/p.log"
tar cf /dev/null -C "$MNT" instances 2>"$T/tar.err" &
TAR_PID=$!
: >"$T/samples"
while kill -0 "$TAR_PID" 2>/dev/null; do
	jq -c .progress "$MNT/.cas/stats" >>"$T/samples"
	sleep 1
done
wait "$TAR_PID" || fail "tar: $(cat "$T/tar.err")"
[ -s "$T/tar.err" ] && fail "tar complained: $(cat "$T/tar.err")"
ns=$(wc -l <"$T/samples")
[ "$ns" -ge 10 ] || fail "the tar took $ns samples; the rate limit makes it at least 20 s"
max() { jq -s "map(.$1) | max" "$T/samples"; }
[ "$(max calls_in_flight)" -ge 1 ] || fail "calls_in_flight never above 0: $(cat "$T/samples")"
jq -se 'map(.calls_per_second_10s) | max >= 20' "$T/samples" >/dev/null || fail "the 10 s call rate stayed low"
jq -se 'map(.readahead_queued) | (.[0] < .[-1])' "$T/samples" >/dev/null || fail "readahead_queued did not grow"
jq -se 'map(.scan_position) | (.[1] < .[-1])' "$T/samples" >/dev/null || fail "scan_position did not move"
expect_eq "$(stat_of scan_position)/$(stat_of scan_instances)" "2000/2000" "scan position at the end"
expect_eq "$(stat_of readahead_pending)" 0 "read-ahead pending at the end"
expect_eq "$(stat_of readahead_done)" "$(stat_of readahead_queued)" "read-ahead done = queued at the end"
grep -qE ' info: details [0-9,]+/2,000, [0-9]+/s, ~[0-9]+ s left$' "$T/p.log" ||
	fail "no progress line: $(cat "$T/p.log")"
expect_eq "$(audit_count GetInstanceDetail)" 2000 "detail calls of the cold tar"
echo PASS
