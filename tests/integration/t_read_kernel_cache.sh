#!/usr/bin/env bash
# The kernel never keeps anything too long: what casfs lets the
# kernel cache (attributes, entries, pages kept across opens) is taken back
# whenever casfs learns of a change. Listings change within the ttl or at once
# after .cas/refresh when the service changes behind the mount, and at once
# when the mount itself deletes; a written value shows at once, its exact
# size included, although the old one sat in the page cache; every open of
# detail reads one document whole while the service changes it and
# .cas/refresh runs; -o ttl=0 sends every read to the service.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 222
mount_casfs allow_delete
I=$MNT/instances
names() { ls "$I" | sort | tr '\n' ' '; }
has() { ls "$I" | grep -qxF "$1"; }

# ---- listings: behind the mount, then .cas/refresh
ls -l "$I" >/dev/null
ls -l "$I" >/dev/null # the kernel holds entries and attributes now
emu_post "instances/cas-cn-kc-added" '{"Domain":"added.example.com"}'
has cas-cn-kc-added && fail "a listing within the ttl already shows an instance added behind the mount (casfs was not asked)"
echo 1 >"$MNT/.cas/refresh"
has cas-cn-kc-added || fail "instance added behind the mount missing right after .cas/refresh: $(names)"
gone=$(ls "$I" | grep -v kc-added | head -1)
ls -l "$I" >/dev/null
curl -sf -X DELETE "$EMU_URL/_emulator/instances/$gone" >/dev/null || fail "emulator delete"
echo 1 >"$MNT/.cas/refresh"
has "$gone" && fail "instance deleted behind the mount still listed right after .cas/refresh: $(names)"
[ -e "$I/$gone" ] && fail "instances/$gone still resolves after .cas/refresh"

# ---- listings: the mount itself deletes one: gone at once, no refresh
victim=$(ls "$I" | grep -v kc-added | head -1)
ls -l "$I" >/dev/null
rmdir "$I/$victim" || fail "rmdir instances/$victim"
expect_eq "$(applied DeleteInstance)" 1 "DeleteInstance applied"
has "$victim" && fail "instance deleted through the mount still listed: $(names)"
# ---- and an instance added behind the mount shows once the ttl has passed (ttl=2 here)
remount_casfs ttl=2
ls -l "$I" >/dev/null
ls -l "$I" >/dev/null
emu_post "instances/cas-cn-kc-later" '{"Domain":"later.example.com"}'
sleep 3
has cas-cn-kc-later || fail "instance added behind the mount still missing after the ttl (2 s): $(names)"
remount_casfs

# ---- a written value shows at once, its exact size too, though the old page was kept
id=cas-cn-kc-added
d=$I/$id
for v in much-longer-domain-name-than-before.example.com s.io; do
	for _ in 1 2 3; do cat "$d/domain" "$d/config" >/dev/null; done # pages and attributes cached, keep_cache on the next open
	bash -c 'echo "{\"Domain\":\"$2\"}" > "$1"' _ "$d/config" "$v" || fail "echo > config ($v)"
	expect_eq "$(cat "$d/domain")" "$v" "domain right after writing config"
	expect_eq "$(stat -c %s "$d/domain")" "$(( ${#v} + 1 ))" "st_size of domain right after writing config"
	expect_eq "$(emu_instance "$id" | jq -r .Domain)" "$v" "the service's Domain"
	# the one-line file itself, longer then shorter
	w=x$v
	echo "$w" >"$d/domain" || fail "echo > domain ($w)"
	expect_eq "$(cat "$d/domain")" "$w" "domain right after writing it"
	expect_eq "$(stat -c %s "$d/domain")" "$(( ${#w} + 1 ))" "st_size of domain right after writing it"
done
echo 1 >"$MNT/.cas/refresh"
expect_eq "$(cat "$d/domain")" "xs.io" "domain after .cas/refresh"

# ---- every open of detail reads one whole document while it changes
long=$(head -c 3000 /dev/zero | tr '\0' L)
emu_post "instances/$id" '{"City":"S"}'
echo 1 >"$MNT/.cas/refresh"
cat "$d/detail" >/dev/null
(
	for i in $(seq 1 40); do
		if [ $((i % 2)) = 0 ]; then emu_post "instances/$id" "{\"City\":\"$long\"}"; else emu_post "instances/$id" '{"City":"S"}'; fi
		echo 1 >"$MNT/.cas/refresh"
	done
) &
writer=$!
reads=0
while kill -0 "$writer" 2>/dev/null; do
	cat "$d/detail" >"$T/detail" || fail "read of detail failed"
	city=$(jq -r .City "$T/detail" 2>/dev/null) || fail "detail is not one JSON document (a mix?): $(head -c 200 "$T/detail")"
	case $city in S | "$long") ;; *) fail "detail shows City of neither document: ${city:0:40}" ;; esac
	reads=$((reads + 1))
done
wait "$writer"
log "$reads whole reads of detail while it changed 40 times"
[ "$reads" -gt 0 ] || fail "the reader loop never ran"

# ---- -o ttl=0: every read reaches the service
remount_casfs ttl=0
for _ in 1 2; do cat "$d/detail" "$d/domain" >/dev/null; ls "$I" >/dev/null; done
b=$(audit_count GetInstanceDetail) l=$(audit_count ListInstances)
for _ in 1 2 3 4 5; do cat "$d/detail" >/dev/null; done
[ "$(( $(audit_count GetInstanceDetail) - b ))" -ge 5 ] || fail "5 reads of detail under ttl=0 made $(( $(audit_count GetInstanceDetail) - b )) GetInstanceDetail"
l2=$(audit_count ListInstances)
for _ in 1 2 3 4 5; do cat "$d/domain" >/dev/null; done
[ "$(( $(audit_count ListInstances) - l2 ))" -ge 5 ] || fail "5 reads of domain under ttl=0 made $(( $(audit_count ListInstances) - l2 )) ListInstances"
l3=$(audit_count ListInstances)
for _ in 1 2 3 4 5; do ls "$I" >/dev/null; done
[ "$(( $(audit_count ListInstances) - l3 ))" -ge 5 ] || fail "5 listings under ttl=0 made $(( $(audit_count ListInstances) - l3 )) ListInstances"
log "ttl=0: ListInstances before these checks $l"
echo PASS
