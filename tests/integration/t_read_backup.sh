#!/usr/bin/env bash
# Backup tools over the whole tree: tar -cf exits 0 with an empty stderr and
# archives exactly what the mount shows; rsync -a twice transfers nothing the
# second time; diff -r between backups shows nothing for a change made behind
# the mount while the cache is fresh, and exactly that instance's files after
# .cas/refresh.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 20 --seed 11
mount_casfs ttl=60

n=$(emu_get state | jq '.instances | length')

# tar: no warnings ("file changed as we read it", "file shrank", ...)
rc=0
tar -cf "$T/a.tar" -C "$MNT" . 2>"$T/tar.err" || rc=$?
expect_eq "$rc" "0" "tar exit status ($(head -3 "$T/tar.err"))"
[ -s "$T/tar.err" ] && fail "tar wrote to stderr: $(head -5 "$T/tar.err")"
tar -tf "$T/a.tar" >"$T/a.list" # a file, not a pipe: grep -q closing early would SIGPIPE tar under pipefail
expect_eq "$(grep -c '^\./instances/[^/]*/detail$' "$T/a.list")" "$n" "details in the archive"
grep -q '^\./\.cas' "$T/a.list" && fail "tar archived the hidden .cas directory"
grep -qx './summary' "$T/a.list" || fail "summary missing from the archive"
# the archive holds what the mount shows, byte for byte
mkdir "$T/x"
tar -xf "$T/a.tar" -C "$T/x"
diff -r "$T/x" "$MNT" >"$T/diff.tar" || fail "extracted archive differs from the mount: $(head -5 "$T/diff.tar")"

# rsync -a twice: the second run transfers no file
rc=0
rsync -a --stats "$MNT/" "$T/r/" >"$T/rsync1.out" 2>"$T/rsync1.err" || rc=$?
expect_eq "$rc" "0" "first rsync exit status ($(head -3 "$T/rsync1.err"))"
[ -s "$T/rsync1.err" ] && fail "first rsync wrote to stderr: $(head -5 "$T/rsync1.err")"
first=$(sed -n 's/^Number of regular files transferred: //p' "$T/rsync1.out" | tr -d ,)
[ "${first:-0}" -gt "$n" ] || fail "first rsync transferred only '$first' files"
rc=0
rsync -a --stats "$MNT/" "$T/r/" >"$T/rsync2.out" 2>"$T/rsync2.err" || rc=$?
expect_eq "$rc" "0" "second rsync exit status ($(head -3 "$T/rsync2.err"))"
[ -s "$T/rsync2.err" ] && fail "second rsync wrote to stderr: $(head -5 "$T/rsync2.err")"
expect_eq "$(sed -n 's/^Number of regular files transferred: //p' "$T/rsync2.out")" "0" \
	"files transferred by the second rsync"
diff -r "$T/r" "$MNT" >"$T/diff.rsync" || fail "rsync copy differs from the mount: $(head -5 "$T/diff.rsync")"

# diff -r between two backups (cp -a)
backup() { # dir
	local rc=0
	cp -a "$MNT" "$1" 2>"$T/cp.err" || rc=$?
	expect_eq "$rc" "0" "cp -a exit status ($(head -3 "$T/cp.err"))"
	[ -s "$T/cp.err" ] && fail "cp -a wrote to stderr: $(head -5 "$T/cp.err")"
	return 0
}
backup "$T/b1"
id=$(first_instance '.Status == "normal"')
old=$(emu_instance "$id" | jq -r .CertificateName)
emu_post "instances/$id" '{"CertificateName":"renamed-behind-the-mount"}'
expect_eq "$(emu_instance "$id" | jq -r .CertificateName)" "renamed-behind-the-mount" "emulator took the change"
[ "$old" != "renamed-behind-the-mount" ] || fail "test setup: name did not change"

# within the TTL the mount keeps serving the cached state: no difference
backup "$T/b2"
rc=0
diff -r --no-dereference "$T/b1" "$T/b2" >"$T/diff12" || rc=$?
expect_eq "$rc" "0" "diff -r before the TTL expired ($(head -5 "$T/diff12"))"

# after .cas/refresh exactly the changed instance differs: detail, config,
# name, and its line in instances.jsonl
echo 1 >"$MNT/.cas/refresh"
backup "$T/b3"
rc=0
diff -rq --no-dereference -x certificates -x certificates.jsonl "$T/b1" "$T/b3" >"$T/diff13" || rc=$?
expect_eq "$rc" "1" "diff -r after .cas/refresh finds a difference"
sed -e "s|$T/b[13]/||g" "$T/diff13" | sort >"$T/diff13.rel"
printf '%s\n' \
	"Files instances/$id/config and instances/$id/config differ" \
	"Files instances/$id/detail and instances/$id/detail differ" \
	"Files instances/$id/name and instances/$id/name differ" \
	"Files instances.jsonl and instances.jsonl differ" | sort >"$T/diff13.want"
diff "$T/diff13.want" "$T/diff13.rel" || fail "diff -r after refresh shows other changes than instance $id"
expect_eq "$(cat "$T/b3/instances/$id/name")" "renamed-behind-the-mount" "new name in the backup"
expect_eq "$(jq -r .CertificateName "$T/b3/instances/$id/detail")" "renamed-behind-the-mount" "new detail in the backup"
echo PASS
