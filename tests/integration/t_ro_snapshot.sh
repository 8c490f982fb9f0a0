#!/usr/bin/env bash
# -o ro,ttl=2 (the inode front, where every kernel inode is one snapshot of a
# file and the kernel keeps its pages): while the service changes an
# instance behind the mount,
# (a) every open of detail reads one whole document, byte for byte one of
#     the versions the service had (a reader loop over ~5 s of changes);
# (b) a file held open keeps reading the document it opened, whole, with
#     its own size (fstat), after the ttl has passed and another open reads
#     the new one, for a document that shrank and one that grew; st_ino
#     stays the path's one number throughout;
# (c) a value that gets longer, then shorter behind the mount: after the
#     ttl `cat domain` shows the new value and st_size is its exact length.
source "$(dirname "$0")/lib.sh"
TTL=2
start_emulator --instances 3 --seed 232
mount_casfs ro ttl=$TTL
check_eq "$(front)" inode "front of a ro,ttl=$TTL mount"
id=$(first_instance)
d=$MNT/instances/$id
WAIT=$(python3 -c "print($TTL + 0.5)") # past the ttl
long=$(head -c 3000 /dev/zero | tr '\0' L)
city0=$(emu_instance "$id" | jq -r .City)
# the versions the service has: every change a new one, long and short in turn
cities=("$city0")
for i in $(seq 1 15); do
	if [ $((i % 2)) = 1 ]; then cities+=("${long:0:$((2000 + i * 100))}"); else cities+=("S$i"); fi
done
cities+=("$long")
set_city() { emu_post "instances/$id" "$(jq -cn --arg c "$1" '{City: $c}')"; }

# ---- (a) a reader loop while the service changes detail every 0.3 s (16 times)
cat "$d/detail" >"$T/detail.0"
expect_eq "$(jq -r .City "$T/detail.0")" "$city0" "City before the reader loop"
(
	for i in $(seq 1 16); do # ends on the 3000 bytes long one
		set_city "${cities[$i]}"
		sleep 0.3
	done
) &
writer=$!
python3 "$(dirname "$0")/whole_reads.py" "$d/detail" "$T/detail.0" "$writer" "$T/reads.json" "${cities[@]}" ||
	fail "the reader loop: $(cat "$T/reads.json" 2>/dev/null)"
wait "$writer"
log "reader loop: $(cat "$T/reads.json")"
[ "$(jq '.bad | length' "$T/reads.json")" = 0 ] || check_fail "reads of detail while the service changed it: $(jq -c .bad "$T/reads.json")"
[ "$(jq .versions_seen "$T/reads.json")" -ge 2 ] || check_fail "the reader loop saw $(jq .versions_seen "$T/reads.json") version(s) of detail over ~5 s of changes (ttl $TTL s)"

# ---- (b) a file held open keeps its document, while a new open reads the new one
held() { # from-City to-City: prints a JSON report
	python3 - "$d/detail" "$EMU_URL/_emulator/instances/$id" "$1" "$2" "$WAIT" <<'PY'
import json, os, subprocess, sys, time
path, url, old_city, new_city, wait = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
def post(city):
    subprocess.run(["curl", "-sf", "-X", "POST", "--data-binary", json.dumps({"City": city}), url], check=True, stdout=subprocess.DEVNULL)
def whole(fd):
    data, off = b"", 0
    while True:
        b = os.pread(fd, 65536, off)
        if not b: return data
        data += b; off += len(b)
r = {}
fd = os.open(path, os.O_RDONLY)
old = whole(fd)
ino0 = os.fstat(fd).st_ino
r["old_city"] = json.loads(old)["City"][:20]
post(new_city)
time.sleep(wait)
new = subprocess.run(["cat", path], check=True, stdout=subprocess.PIPE).stdout
r["new_city"] = json.loads(new)["City"][:20]
r["new_stat"] = os.stat(path).st_size == len(new)
again = whole(fd)
r["held_same"] = again == old
r["held_len"] = [len(again), len(old)]
r["held_fstat"] = [os.fstat(fd).st_size, len(old)]
r["ino"] = [ino0, os.fstat(fd).st_ino, os.stat(path).st_ino]
os.close(fd)
r["after_close"] = json.loads(subprocess.run(["cat", path], check=True, stdout=subprocess.PIPE).stdout)["City"][:20]
print(json.dumps(r))
PY
}
sleep "$WAIT"
[ "$(jq -r .City "$d/detail")" = "$long" ] || fail "detail does not show the writer's last City $WAIT s after it"
for pair in "$long:S" "S:$city0"; do # the document shrinks, then grows
	from=${pair%%:*} to=${pair#*:}
	r=$(held "$from" "$to") || fail "held-open check (${from:0:8} -> ${to:0:8}) failed to run"
	log "held open, ${#from} -> ${#to} bytes of City: $r"
	what="held open while City changed ${#from} -> ${#to} bytes"
	check_eq "$(jq -r .old_city <<<"$r")" "${from:0:20}" "$what: City read at open"
	check_eq "$(jq -r .new_city <<<"$r")" "${to:0:20}" "$what: City of a new cat after the ttl"
	check_eq "$(jq -r .new_stat <<<"$r")" true "$what: stat size of the path = bytes of the new document"
	check_eq "$(jq -r .held_same <<<"$r")" true "$what: pread of the held fd returns the old document (lengths read/old $(jq -c .held_len <<<"$r"))"
	check_eq "$(jq -r '.held_fstat | .[0] == .[1]' <<<"$r")" true "$what: fstat of the held fd = old document's size (fstat/old $(jq -c .held_fstat <<<"$r"))"
	check_eq "$(jq -r '.ino | unique | length' <<<"$r")" 1 "$what: st_ino at open, of the held fd after the change, of the path after it, one number ($(jq -c .ino <<<"$r"))"
	check_eq "$(jq -r .after_close <<<"$r")" "${to:0:20}" "$what: City after the held fd closed"
done

# ---- (c) a value that gets longer, then shorter: the new value and its exact size after the ttl
for v in a-much-longer-domain-name-than-before.example.com s.io; do
	for _ in 1 2 3; do cat "$d/domain" >/dev/null; stat "$d/domain" >/dev/null; done # pages and attributes cached
	emu_post "instances/$id" "$(jq -cn --arg v "$v" '{Domain: $v}')"
	sleep "$WAIT"
	if [ "$v" = s.io ]; then # shorter: cat first, then stat
		check_eq "$(cat "$d/domain")" "$v" "domain $WAIT s after the service changed it (shorter)"
		check_eq "$(stat -c %s "$d/domain")" "$(( ${#v} + 1 ))" "st_size of domain after the change (shorter), after cat"
	else # longer: stat first, then cat
		check_eq "$(stat -c %s "$d/domain")" "$(( ${#v} + 1 ))" "st_size of domain after the change (longer), before cat"
		check_eq "$(cat "$d/domain")" "$v" "domain $WAIT s after the service changed it (longer)"
	fi
	check_eq "$(stat -c %s "$d/domain")" "$(( ${#v} + 1 ))" "st_size of domain ($v) again"
	check_eq "$(wc -c <"$d/domain")" "$(( ${#v} + 1 ))" "bytes read from domain ($v)"
done
checks_done
echo PASS
