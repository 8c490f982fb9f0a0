#!/usr/bin/env bash
# -o max_read= (libfuse's mount option, in fstab lines that cap request
# sizes) reaches the kernel on both fronts: libfuse 3 refuses INIT unless
# init() repeats the value, which once made every such mount fail after
# "mounted at". A file larger than three of its reads arrives whole, in at
# least three READ requests, on a read-write and on a read-only mount.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 2122
for f in "" "ro,"; do
	mount_casfs "${f}max_read=4096"
	want=$(stat -c %s "$MNT/instances.jsonl")
	[ "$want" -gt 12288 ] || fail "instances.jsonl is only $want bytes: not a test of max_read"
	r0=$(fuse_requests read)
	expect_eq "$(wc -c <"$MNT/instances.jsonl")" "$want" "bytes of instances.jsonl read with ${f}max_read=4096"
	expect_eq "$(jq -c . "$MNT/instances.jsonl" | wc -l)" 30 "instances in instances.jsonl with ${f}max_read=4096"
	reads=$(($(fuse_requests read) - r0))
	[ "$reads" -ge 3 ] || fail "${f}max_read=4096: $reads READ requests for $want bytes"
	umount_casfs
done
echo PASS
