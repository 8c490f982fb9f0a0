#!/usr/bin/env bash
# Sixteen parallel readers of one uncached file make one GetInstanceDetail,
# and so do sixteen readers spread over the four files rendered from the same
# detail (detail, config, tags, csr), which the kernel cannot merge for us.
# Every reader gets the same complete bytes.
source "$(dirname "$0")/lib.sh"
# latency keeps the first call in flight while the other readers arrive
start_emulator --instances 6 --seed 21 --latency-ms 400
mount_casfs

# a and b are not neighbours in casfs's (bytewise) order, whatever the seed,
# so reading them is random access and read-ahead fetches nothing: every
# detail call counted below is one the readers caused
ids=($(emu_get state | jq -r '.instances[].InstanceId' | LC_ALL=C sort))
a=${ids[1]} b=${ids[4]}
# resolve the instance directories (list data only), nothing of their files
stat "$MNT/instances/$a" "$MNT/instances/$b" >/dev/null
expect_eq "$(audit_count GetInstanceDetail)" "0" "no detail fetched before the readers start"

# 16 readers of one file
mkdir "$T/a"
pids=()
for i in $(seq 1 16); do
	cat "$MNT/instances/$a/detail" >"$T/a/$i" 2>"$T/a/$i.err" &
	pids+=($!)
done
wait "${pids[@]}"  # (a bare wait would also wait for casfs and the emulator)
for i in $(seq 1 16); do
	[ -s "$T/a/$i.err" ] && fail "reader $i failed: $(cat "$T/a/$i.err")"
	cmp -s "$T/a/1" "$T/a/$i" || fail "reader $i got other bytes than reader 1"
done
expect_eq "$(jq -r .InstanceId "$T/a/1")" "$a" "detail read by the readers"
expect_eq "$(audit_count GetInstanceDetail "(.params.InstanceId == \"$a\")")" "1" "GetInstanceDetail calls for 16 readers of one file"

# 16 readers over four files derived from one detail
mkdir "$T/b"
pids=()
files=(detail config tags csr)
for i in $(seq 0 15); do
	f=${files[$((i % 4))]}
	cat "$MNT/instances/$b/$f" >"$T/b/$f.$i" 2>"$T/b/$i.err" &
	pids+=($!)
done
wait "${pids[@]}"
for i in $(seq 0 15); do
	f=${files[$((i % 4))]}
	[ -s "$T/b/$i.err" ] && fail "reader $i of $f failed: $(cat "$T/b/$i.err")"
	cmp -s "$T/b/$f.$((i % 4))" "$T/b/$f.$i" || fail "readers of $f got different bytes"
done
expect_eq "$(jq -r .InstanceId "$T/b/detail.0")" "$b" "detail of b"
jq -e . "$T/b/config.1" >/dev/null || fail "config of b is not JSON"
expect_eq "$(audit_count GetInstanceDetail "(.params.InstanceId == \"$b\")")" "1" "GetInstanceDetail calls for 16 readers of four files"
expect_eq "$(audit_count GetInstanceDetail)" "2" "GetInstanceDetail calls in all"
echo PASS
