#!/usr/bin/env bash
# -o ro,ttl=2 (the inode front, which lets the kernel keep listings): a
# listing of instances/ changes once the ttl has passed when an instance is
# added or deleted behind the mount (a ro mount cannot write .cas/refresh,
# so the ttl is the only way a change arrives; before it, the old listing is
# allowed). A warm `ls` repeated within the ttl sends no READDIR to casfs
# (.cas/stats fuse_requests, read afresh: 3 lookups of absent names
# count), and a deleted instance's directory no longer
# resolves, nor do its files.
source "$(dirname "$0")/lib.sh"
TTL=2
start_emulator --instances 4 --seed 231
mount_casfs ro ttl=$TTL
I=$MNT/instances
names() { ls "$I" | sort | tr '\n' ' '; }
has() { ls "$I" | grep -qxF "$1"; }
check_eq "$(front)" inode "front of a ro,ttl=$TTL mount"

# ---- a warm ls repeated within the ttl: the kernel answers, no READDIR
warm=""
for _ in 1 2 3; do # a try that took longer than the ttl proves nothing: again
	ls "$I" >/dev/null
	ls "$I" >/dev/null
	t0=$(date +%s.%N)
	r0=$(fuse_requests readdir) o0=$(fuse_requests opendir)
	for _ in 1 2 3 4 5; do ls "$I" >/dev/null; done
	r1=$(fuse_requests readdir) o1=$(fuse_requests opendir)
	if python3 -c "import sys, time; sys.exit(time.time() - $t0 > $TTL * 0.75)"; then
		warm="readdir $((r1 - r0)) opendir $((o1 - o0))"
		break
	fi
done
[ -n "$warm" ] || fail "5 listings never ran within the ttl ($TTL s) in 3 tries"
log "5 warm listings within the ttl: $warm"
check_eq "$warm" "readdir 0 opendir 0" "FUSE requests of 5 warm listings of instances/ within the ttl"
# the zeros above count only if .cas/stats is read afresh (a kernel that
# kept an old .cas/stats would show 0 for anything): names never looked up
# before reach casfs as LOOKUPs, and the next read must count them
l0=$(fuse_requests lookup)
for i in 1 2 3; do stat "$I/cas-cn-never-$i-$RANDOM" 2>/dev/null && fail "an absent instance resolves"; done
l1=$(fuse_requests lookup)
[[ $l0 =~ ^[0-9]+$ && $l1 =~ ^[0-9]+$ && $((l1 - l0)) -ge 3 ]] || check_fail ".cas/stats did not count 3 lookups of absent names (lookup $l0 then $l1): the kernel kept an old .cas/stats, the readdir 0 proves nothing"

# ---- an instance added behind the mount: listed once the ttl has passed
ls -l "$I" >/dev/null
ls "$I" >/dev/null # the kernel holds the listing, entries and attributes now
emu_post "instances/cas-cn-ro-added" '{"Domain":"added.example.com"}'
lists=$(audit_count ListInstances)
sleep $((TTL + 1))
has cas-cn-ro-added || fail "an instance added behind the mount is not listed $((TTL + 1)) s later (ttl $TTL s): $(names) (ListInstances: $lists before, $(audit_count ListInstances) now)"
expect_eq "$(cat "$I/cas-cn-ro-added/domain")" "added.example.com" "domain of the added instance"
ls -l "$I" | grep -q ' cas-cn-ro-added$' || fail "ls -l does not show the added instance: $(ls -l "$I")"

# ---- an instance deleted behind the mount: gone from the listing, and it no longer resolves
gone=$(ls "$I" | grep -v ro-added | head -1)
cat "$I/$gone/domain" "$I/$gone/detail" >/dev/null
ls -l "$I" "$I/$gone" >/dev/null
ls "$I" >/dev/null
curl -sf -X DELETE "$EMU_URL/_emulator/instances/$gone" >/dev/null || fail "emulator delete"
sleep $((TTL + 1))
has "$gone" && fail "an instance deleted behind the mount is still listed $((TTL + 1)) s later: $(names)"
[ -e "$I/$gone" ] && fail "instances/$gone still resolves $((TTL + 1)) s after its deletion behind the mount"
expect_fail "No such file" stat "$I/$gone/domain"
expect_fail "No such file" cat "$I/$gone/detail"
ls -l "$I" | grep -q " $gone\$" && fail "ls -l still shows the deleted instance"

# ---- both at once, the listing read only with ls (no stat of the entries)
ls "$I" >/dev/null
emu_post "instances/cas-cn-ro-second" '{"Domain":"second.example.com"}'
curl -sf -X DELETE "$EMU_URL/_emulator/instances/cas-cn-ro-added" >/dev/null || fail "emulator delete"
sleep $((TTL + 1))
now=$(names)
grep -qw cas-cn-ro-second <<<"$now" || fail "the second added instance is not listed after the ttl: $now"
grep -qw cas-cn-ro-added <<<"$now" && fail "the instance added, then deleted behind the mount is still listed after the ttl: $now"
expect_eq "$(ls "$I" | wc -l)" "$(emu_get state | jq '.instances | length')" "instances listed = the service's"
checks_done
echo PASS
