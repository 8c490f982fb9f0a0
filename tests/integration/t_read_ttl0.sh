#!/usr/bin/env bash
# -o ttl=0: every read revalidates (a change made elsewhere shows at the next
# read, the kernel keeps no pages or attributes), and concurrent readers still
# share calls: 8 parallel cats of one file make fewer calls than readers.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 71 --latency-ms 100
mount_casfs ttl=0
id=$(first_instance)
f="$MNT/instances/$id/config"
jq -e . "$f" >/dev/null || fail "config under ttl=0"
before=$(audit_count GetInstanceDetail)
cat "$f" >/dev/null
after=$(audit_count GetInstanceDetail)
[ "$after" -gt "$before" ] || fail "a read under ttl=0 made no GetInstanceDetail call"
# a change made elsewhere is seen by the very next read, bytes and size
emu_post "instances/$id" '{"City":"TtlZeroCity"}'
expect_eq "$(jq -r .City "$f")" "TtlZeroCity" "City right after a remote change under ttl=0"
expect_eq "$(stat -c %s "$f")" "$(wc -c <"$f")" "st_size matches the fresh content"
# concurrent readers share calls
before=$(audit_count GetInstanceDetail)
pids=()
for i in $(seq 1 8); do
	cat "$f" >"$T/c.$i" &
	pids+=($!)
done
wait "${pids[@]}"
after=$(audit_count GetInstanceDetail)
calls=$((after - before))
log "8 parallel readers under ttl=0: $calls GetInstanceDetail calls"
[ "$calls" -lt 8 ] || fail "8 concurrent readers made $calls calls (they should share)"
for i in $(seq 1 8); do cmp -s "$T/c.1" "$T/c.$i" || fail "parallel reader $i saw other bytes"; done
# the option is reported
expect_eq "$(jq .cache.ttl_seconds "$MNT/.cas/stats")" 0 ".cas/stats ttl_seconds"
echo PASS
