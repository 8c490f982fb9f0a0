#!/usr/bin/env bash
# A read-only mount on the inode front at the default ttl (60 s) with
# -o watch=1: a change casfs learns of before the ttl (here from the
# re-listing; a refresh or a fleet's notice takes the same path) reaches the
# kernel at once: the next cat shows the new value with its exact size, an
# instance added behind the mount is listed and one deleted is gone, though
# the kernel held the old entries, pages and listing for another minute. A
# reader that opened the file before the change still reads the old bytes,
# whole (its inode is the old snapshot).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 97
mount_casfs ro watch=1
I=$MNT/instances
check_eq "$(front)" inode "front of a ro,watch=1 mount"
id=$(ls "$I" | head -1)
gone=$(ls "$I" | sed -n 2p)
d=$I/$id
old=$(cat "$d/domain")
t_cached=$(date +%s%N) # the kernel's entries are cached for the ttl from about here
for _ in 1 2; do cat "$d/domain" >/dev/null; ls -l "$I" >/dev/null; done # all of it in the kernel now
exec 7<"$d/domain" # held across the change; closed before any fail (an open file keeps a lazily unmounted casfs alive)
held=$(sha256sum <"$d/domain" | cut -d' ' -f1)
hsize=$(stat -c %s "$d/domain")
new=a-domain-longer-than-any-before.casfs-notice.example.org
emu_post "instances/$id" "{\"Domain\":\"$new\"}"
emu_post "instances/cas-cn-notice-added" '{"Domain":"added.example.com"}'
curl -sf -X DELETE "$EMU_URL/_emulator/instances/$gone" >/dev/null || fail "emulator delete"
ok=""
# the watch re-lists every second; the ttl is 60 s: a cap of 30 s since the
# kernel cached the entries (it was 5 s of polls after the change, which a
# loaded machine's slow rounds could use up) still tells the watch's notices
# from a ttl expiry; by the clock, as a count of polls could run past the ttl
t0=$(date +%s%N)
while [ $(( ($(date +%s%N) - t_cached) / 1000000 )) -lt 30000 ]; do
	if [ "$(cat "$d/domain")" == "$new" ] && ls "$I" | grep -qx cas-cn-notice-added && ! ls "$I" | grep -qx "$gone"; then
		ok=1
		break
	fi
	sleep 0.1
done
[ -n "$ok" ] || { exec 7<&-; fail "30 s after the kernel cached the entries (watch=1, ttl 60): domain '$(cat "$d/domain")' (was '$old'), listing: $(ls "$I" | tr '\n' ' ')"; }
log "the change showed $(( ($(date +%s%N) - t0) / 1000000 )) ms after it was made (watch=1)"
check_eq "$(stat -c %s "$d/domain")" "$(( ${#new} + 1 ))" "st_size of domain after the notice"
check_eq "$(cat "$d/domain" | wc -c)" "$(( ${#new} + 1 ))" "bytes of domain after the notice"
[ -e "$I/$gone" ] && check_fail "instances/$gone still resolves after the notice"
# the reader that opened before the change: the old document, whole, its size too
python3 - "$held" "$hsize" <<'PY' || check_fail "the held descriptor did not keep its snapshot"
import hashlib, os, sys, json
data = os.pread(7, 1 << 20, 0)
assert hashlib.sha256(data).hexdigest() == sys.argv[1], "held fd reads other bytes (%d) than the %s it opened" % (len(data), sys.argv[2])
assert os.fstat(7).st_size == len(data), "held fd's fstat size %d, bytes %d" % (os.fstat(7).st_size, len(data))
PY
exec 7<&-
check_eq "$(audit_count UpdateInstance)" 0 "calls that change the account"
checks_done
echo PASS
