#!/usr/bin/env bash
# Sizes and times are truthful: st_mtime of a file does not move across reads
# nor across TTL expiry when its content did not change, and moves forward
# when it changed behind the mount (seen after a short ttl); files whose
# content did not change keep their mtime; st_size always equals the bytes
# read, whether the file is stat'ed before or after it is read.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 6 --seed 61
mount_casfs ttl=1

id=$(first_instance '.Status == "normal"')
other=$(first_instance ".Status != \"normal\" and .InstanceId != \"$id\"")
d=$MNT/instances/$id
files=(detail config name status domain tags)

mt() { stat -c %y "$1"; }    # full-precision mtime
sz() { stat -c %s "$1"; }

# size_ok FILE: st_size (stat first, then read, then stat again) equals the bytes read
size_ok() {
	local s1 s2 n
	s1=$(sz "$1")
	n=$(cat "$1" | wc -c)
	s2=$(sz "$1")
	expect_eq "$s1" "$n" "st_size before the read of $1"
	expect_eq "$s2" "$n" "st_size after the read of $1"
}

declare -A m0
for f in "${files[@]}"; do
	size_ok "$d/$f"
	m0[$f]=$(mt "$d/$f")
done
mo=$(mt "$MNT/instances/$other/detail")

# repeated reads do not move mtime
for r in 1 2 3; do
	for f in "${files[@]}"; do
		cat "$d/$f" >/dev/null
		expect_eq "$(mt "$d/$f")" "${m0[$f]}" "mtime of $f after read $r"
	done
done

# TTL expiry with unchanged content does not move mtime
sleep 2.5
for f in "${files[@]}"; do
	size_ok "$d/$f"
	expect_eq "$(mt "$d/$f")" "${m0[$f]}" "mtime of $f after the TTL expired (content unchanged)"
done
before=$(audit_count GetInstanceDetail "(.params.InstanceId == \"$id\")")
[ "$before" -ge 2 ] || fail "the detail was not refetched after the TTL (calls: $before): the expiry check proves nothing"

# change behind the mount, wait past the TTL, read again
emu_post "instances/$id" '{"CertificateName":"renamed-behind-the-mount-for-mtime"}'
sleep 2.5
# name: stat before reading; detail: read before stat
sname=$(sz "$d/name")
cname=$(cat "$d/name")
expect_eq "$cname" "renamed-behind-the-mount-for-mtime" "new name after the TTL"
expect_eq "$sname" "$(printf '%s\n' "$cname" | wc -c)" "st_size of name (stat first) equals the bytes then read"
jq -e '.CertificateName == "renamed-behind-the-mount-for-mtime"' "$d/detail" >/dev/null || fail "new detail after the TTL"
for f in "${files[@]}"; do
	size_ok "$d/$f"
done
for f in detail config name; do
	m1=$(mt "$d/$f")
	[ "$(date -d "$m1" +%s%N)" -gt "$(date -d "${m0[$f]}" +%s%N)" ] ||
		fail "mtime of changed $f did not move forward: ${m0[$f]} → $m1"
	[ "$(date -d "$m1" +%s)" -le "$(date +%s)" ] || fail "mtime of $f is in the future: $m1"
done
for f in status domain tags; do
	expect_eq "$(mt "$d/$f")" "${m0[$f]}" "mtime of unchanged $f after another field changed"
done
expect_eq "$(mt "$MNT/instances/$other/detail")" "$mo" "mtime of an unchanged instance's detail"

# and the new mtime is stable again
declare -A m2
for f in detail config name; do m2[$f]=$(mt "$d/$f"); done
sleep 2.5
for f in detail config name; do
	cat "$d/$f" >/dev/null
	expect_eq "$(mt "$d/$f")" "${m2[$f]}" "mtime of $f after the change settled"
done
echo PASS
