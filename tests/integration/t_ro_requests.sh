#!/usr/bin/env bash
# -o ro runs the inode front (at ttl > 0, without -o keys): a warm
# whole-tree tar of the mount sends casfs no OPEN, RELEASE, OPENDIR or
# RELEASEDIR (.cas/stats fuse_requests) and no API call, and its bytes,
# names, modes, sizes and mtimes equal a tar of the same tree through the
# classic path front (-o front=path). -o ro,ttl=0 and -o ro,keys keep the
# path front, and under ttl=0 every read of detail reaches the service.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 6 --seed 234
mount_casfs ro
check_eq "$(front)" inode "front of a ro mount"
id=$(first_instance)

tree_tar() { tar -C "$MNT" --exclude=./.cas -cf "$1" . || fail "tar of the mount into $1"; }
kinds=(open release opendir releasedir lookup forget getattr readdir read)
counts() { local k; for k in "${kinds[@]}"; do printf '%s=%s ' "$k" "$(fuse_requests "$k")"; done; }
tree_tar "$T/cold.tar"
tree_tar "$T/warm.tar"
c0=$(counts) a0=$(grep -c . "$AUDIT")
tree_tar "$T/ro.tar"
c1=$(counts) a1=$(grep -c . "$AUDIT")
log "a warm tar of the ro mount: requests before: $c0"
log "                                      after: $c1"
delta() { # kind: its growth between c0 and c1
	local b a
	b=$(tr ' ' '\n' <<<"$c0" | sed -n "s/^$1=//p") a=$(tr ' ' '\n' <<<"$c1" | sed -n "s/^$1=//p")
	if [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]]; then echo $((a - b)); else echo "$a"; fi
}
for k in lookup forget; do
	[[ $(fuse_requests "$k") =~ ^[0-9]+$ ]] || check_fail ".cas/stats fuse_requests has no count of $k requests"
done
for k in open release opendir releasedir; do
	check_eq "$(delta "$k")" 0 "FUSE $k requests during a warm tar of the ro mount"
done
# .cas/stats itself is read afresh at every open (an inode front that let the
# kernel keep it for the ttl would make every delta above 0): names never
# looked up before reach casfs as LOOKUPs, and the next read counts them
l0=$(fuse_requests lookup)
for i in 1 2 3; do stat "$MNT/instances/cas-cn-never-$i-$RANDOM" 2>/dev/null && fail "an absent instance resolves"; done
l1=$(fuse_requests lookup)
[[ $l0 =~ ^[0-9]+$ && $l1 =~ ^[0-9]+$ && $((l1 - l0)) -ge 3 ]] || check_fail ".cas/stats did not count 3 lookups of absent names (lookup $l0 then $l1): the kernel kept an old .cas/stats"
check_eq "$((a1 - a0))" 0 "API calls during a warm tar of the ro mount (within the ttl)"
cmp -s "$T/warm.tar" "$T/ro.tar" || check_fail "two warm tars of the ro mount differ"

# ---- the same tree through the path front: the same bytes, names, modes, sizes, mtimes
remount_casfs ro front=path
check_eq "$(front)" path "front of a ro,front=path mount"
tree_tar "$T/path.tar"
tar -tvf "$T/ro.tar" >"$T/ro.list"
tar -tvf "$T/path.tar" >"$T/path.list"
[ "$(wc -l <"$T/ro.list")" -gt 50 ] || fail "the tar holds only $(wc -l <"$T/ro.list") entries"
diff "$T/path.list" "$T/ro.list" >"$T/list.diff" || check_fail "tar -tv listings of the path front and the inode front differ: $(head -c 600 "$T/list.diff")"
mkdir "$T/x.ro" "$T/x.path"
tar -C "$T/x.ro" -xf "$T/ro.tar"
tar -C "$T/x.path" -xf "$T/path.tar"
diff -r "$T/x.path" "$T/x.ro" >"$T/tree.diff" 2>&1 || check_fail "extracted trees of the path front and the inode front differ: $(head -c 600 "$T/tree.diff")"
log "tar of the ro tree: $(wc -l <"$T/ro.list") entries, $(stat -c %s "$T/ro.tar") bytes"

# ---- -o ro,ttl=0: the path front, every read of detail reaches the service
remount_casfs ro ttl=0
check_eq "$(front)" path "front of a ro,ttl=0 mount"
d=$MNT/instances/$id
cat "$d/detail" >/dev/null
for i in 1 2 3 4 5; do
	b=$(audit_count GetInstanceDetail)
	cat "$d/detail" >/dev/null
	[ "$(audit_count GetInstanceDetail)" -gt "$b" ] || check_fail "cat detail number $i under ro,ttl=0 made no GetInstanceDetail"
done
emu_post "instances/$id" '{"City":"RoTtlZero"}'
expect_eq "$(jq -r .City "$d/detail")" RoTtlZero "City right after a change behind a ro,ttl=0 mount"
expect_eq "$(stat -c %s "$d/detail")" "$(wc -c <"$d/detail")" "st_size of detail under ro,ttl=0"

# ---- -o ro,keys: the path front
remount_casfs ro keys
check_eq "$(front)" path "front of a ro,keys mount"
jq -e . "$d/detail" >/dev/null || fail "detail through a ro,keys mount"
checks_done
echo PASS
