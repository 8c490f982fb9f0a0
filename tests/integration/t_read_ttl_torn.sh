#!/usr/bin/env bash
# The path front (every read-write mount): while the service changes an
# instance behind the mount, every open of detail reads one whole document,
# byte for byte one of the versions the service had, and fstat of the open
# file says its size. The kernel keeps a file's attributes (its size) for the
# ttl from when casfs answered, while the cached document they were computed
# from may expire sooner: an open between the two used to read the new,
# longer document cut at the old size (or a shorter one padded with NULs).
# (a) -o ttl=2, the service changes City every 0.3 s (the cache expires by
#     itself); (b) default options, every change followed by .cas/refresh
#     from another process (the cache dropped at once, the kernel told a
#     moment later); (c) an unchanged file still keeps its pages across
#     opens (no READ reaches casfs), the warm-read speed.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 233
id=$(first_instance)
long=$(head -c 3000 /dev/zero | tr '\0' L)
city0=$(emu_instance "$id" | jq -r .City)
cities=("$city0") # every change a new version, long and short in turn
for i in $(seq 1 40); do
	if [ $((i % 2)) = 1 ]; then cities+=("${long:0:$((1500 + i * 30))}"); else cities+=("S$i"); fi
done
set_city() { emu_post "instances/$id" "$(jq -cn --arg c "$1" '{City: $c}')"; }
freq() { jq -r ".fuse_requests.$1 // 0" "$MNT/.cas/stats"; }

# reader DETAIL_0 WRITER_PID OUT: opens and reads detail whole until the writer ends
reader() {
	# whole_reads.py exits 1 when a read was bad: judge() reports those; only a reader that
	# wrote no verdict failed to run. --later: fstat answers the file's current size here
	python3 "$(dirname "$0")/whole_reads.py" --later "$MNT/instances/$id/detail" "$1" "$2" "$3" "${cities[@]}" || [ -s "$3" ]
}

# judge OUT WHAT: the reader's verdict
judge() {
	log "$2: $(cat "$1")"
	[ "$(jq '.bad | length' "$1")" = 0 ] || fail "$2: $(jq -c .bad "$1")"
	[ "$(jq .versions_seen "$1")" -ge 2 ] || fail "$2: the reader saw $(jq .versions_seen "$1") version(s) of detail"
}

# ---- (a) -o ttl=2: the cache entry expires by itself, the kernel's attributes later
mount_casfs ttl=2
expect_eq "$(jq -r '.front // "path"' "$MNT/.cas/stats")" path "front of a read-write mount"
cat "$MNT/instances/$id/detail" >"$T/detail.0"
expect_eq "$(jq -r .City "$T/detail.0")" "$city0" "City before the reader loop"
d0=$(audit_count GetInstanceDetail)
t0=$(date +%s)
(for i in $(seq 1 18); do set_city "${cities[$i]}"; sleep 0.3; done) &
writer=$!
reader "$T/detail.0" "$writer" "$T/a.json" || fail "the reader loop (a) did not run"
wait "$writer"
judge "$T/a.json" "ttl=2, changes behind the mount every 0.3 s"
# the oracle: detail was fetched about once per ttl, not per open
secs=$(( $(date +%s) - t0 + 1 ))
fetched=$(( $(audit_count GetInstanceDetail) - d0 ))
log "GetInstanceDetail during (a): $fetched in ~$secs s"
[ "$fetched" -le $(( secs / 2 + 3 )) ] || fail "(a) fetched detail $fetched times in ~$secs s at ttl=2"

# ---- (c) unchanged: pages kept across opens, fstat exact
sleep 3 # past the ttl: the last version cached by casfs and the kernel
for _ in 1 2 3; do cat "$MNT/instances/$id/detail" >/dev/null; done
r0=$(freq read) r1=$(freq read) # reading .cas/stats (direct_io) counts its own READs
for _ in 1 2 3 4 5; do cat "$MNT/instances/$id/detail" >"$T/same"; done
expect_eq "$(( $(freq read) - r1 ))" "$(( r1 - r0 ))" "READ requests for 5 cats of an unchanged detail (its pages kept), beyond those of reading .cas/stats"
expect_eq "$(stat -c %s "$MNT/instances/$id/detail")" "$(wc -c <"$T/same")" "st_size of unchanged detail"

# ---- (b) default options: each change followed by .cas/refresh from another process
remount_casfs
set_city "$city0"
echo 1 >"$MNT/.cas/refresh"
cat "$MNT/instances/$id/detail" >"$T/detail.0"
expect_eq "$(jq -r .City "$T/detail.0")" "$city0" "City before the reader loop (b)"
(for i in $(seq 1 30); do set_city "${cities[$i]}"; echo 1 >"$MNT/.cas/refresh"; sleep 0.1; done) &
writer=$!
reader "$T/detail.0" "$writer" "$T/b.json" || fail "the reader loop (b) did not run"
wait "$writer"
judge "$T/b.json" "default options, changes each followed by .cas/refresh"
echo PASS
