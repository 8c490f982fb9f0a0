#!/usr/bin/env bash
# A truncate whose commit is refused changes nothing, and the next read
# shows the old value whole: `truncate -s 0 domain` (open, ftruncate through
# the handle, close) is refused at close (an empty domain), while the
# kernel was told size 0 through the writer's handle for the ttl. The open
# after it must not keep page-cache reads cut at that size.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 2 --seed 61
mount_casfs
id=$(first_instance)
d=$MNT/instances/$id
old=$(cat "$d/domain")
[ -n "$old" ] || fail "no domain to start with"
for _ in 1 2; do cat "$d/domain" >/dev/null; done # its pages and size in the kernel
truncate -s 0 "$d/domain" 2>"$T/err" && fail "truncate -s 0 domain succeeded"
log "truncate -s 0 domain: $(cat "$T/err")"
for i in 1 2 3; do
	expect_eq "$(cat "$d/domain")" "$old" "domain read $i after the refused truncate"
	expect_eq "$(stat -c %s "$d/domain")" "$(( ${#old} + 1 ))" "st_size of domain $i after the refused truncate"
done
expect_eq "$(applied UpdateInstance)" 0 "UpdateInstance applied"
echo PASS
