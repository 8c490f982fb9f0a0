#!/usr/bin/env bash
# .cas/events, the change feed, followed by a real `tail -f` (which polls on
# FUSE): with -o watch=2 a change made behind the mount (the emulator's
# control API) reaches the tail (at the next round and tail's next poll:
# about watch + 2 s, logged; the cap is watch + 20 s, a loaded machine
# stretches both and neither is a promise of its own) with the right old and
# new fields; a write through the mount is in the file at once, with its
# outcome; a reissued certificate gives a "renewed" line; the size only
# grows and `tail -n +1` shows the whole history in sequence. Without
# watch, neither idling nor reading the feed makes a call (audit log).
source "$(dirname "$0")/lib.sh"
TAIL_PID=""
trap 'r=$?; set +e; [ -n "$TAIL_PID" ] && stop_pid "$TAIL_PID"; (exit $r); cleanup' EXIT
WATCH=2
start_emulator --instances 12 --seed 11
mount_casfs watch=$WATCH
ls "$MNT/instances" >/dev/null # the first listing is the feed's baseline: no line
expect_eq "$(stat -c %s "$MNT/.cas/events")" 0 "size of the feed before any change"
tail -n 0 -f "$MNT/.cas/events" >"$T/tail.out" 2>"$T/tail.err" &
TAIL_PID=$!
wait_following "$TAIL_PID" "$MNT/.cas/events"


# 1. a change behind the mount
ids=($(ls "$MNT/instances"))
id=${ids[0]}
old=$(cat "$MNT/instances/$id/name")
t0=$(date +%s.%N)
emu_post "instances/$id" '{"CertificateName":"changed-behind"}'
wait_line ".kind == \"changed\" and .path == \"/instances/$id\"" $((WATCH + 20)) ||
	fail "no changed line within watch + 20 s: $(cat "$T/tail.out" "$T/tail.err")"
log "a change behind the mount reached tail -f after $(python3 -c "import time; print(round(time.time() - $t0, 2))") s (watch $WATCH s)"
line=$(jq -c "select(.kind == \"changed\" and .path == \"/instances/$id\")" "$T/tail.out")
expect_eq "$(jq -r '.changes.CertificateName.old' <<<"$line")" "$old" "old value in the changed line"
expect_eq "$(jq -r '.changes.CertificateName.new' <<<"$line")" "changed-behind" "new value in the changed line"
expect_eq "$(jq -r '.changes | keys | join(",")' <<<"$line")" "CertificateName" "only the changed field"

# 2. a write through the mount: in the feed when the write returns
id2=${ids[1]}
old2=$(cat "$MNT/instances/$id2/domain")
echo "feed.example.com" >"$MNT/instances/$id2/domain"
m=$(jq -c "select(.kind == \"mutation\" and .path == \"/instances/$id2/domain\")" "$MNT/.cas/events")
[ -n "$m" ] || fail "the write is not in .cas/events right after it: $(cat "$MNT/.cas/events")"
expect_eq "$(jq -r '.action + " " + .outcome' <<<"$m")" "UpdateInstance ok" "mutation line: action and outcome"
expect_eq "$(jq -r '.fields.Domain.old + " -> " + .fields.Domain.new' <<<"$m")" "$old2 -> feed.example.com" "mutation line fields"
wait_line ".kind == \"mutation\" and .path == \"/instances/$id2/domain\"" 20 || fail "tail -f did not see the write within 20 s"

# 3. a reissued certificate: another CertificateId and validity
id3=$(emu_get state | jq -r '[.instances[] | select(.CertificateId != null)][2].InstanceId')
cid=$(emu_instance "$id3" | jq '.CertificateId')
emu_post "instances/$id3" "{\"CertificateId\": $((cid + 1000)), \"CertificateNotAfter\": 1900000000000}"
wait_line ".kind == \"renewed\" and .path == \"/instances/$id3\"" $((WATCH + 20)) ||
	fail "no renewed line within watch + 20 s: $(cat "$T/tail.out")"
r=$(jq -c "select(.kind == \"renewed\" and .path == \"/instances/$id3\")" "$T/tail.out")
expect_eq "$(jq -c '[.changes.CertificateId.old, .changes.CertificateId.new]' <<<"$r")" "[$cid,$((cid + 1000))]" "CertificateId old/new"

# 4. history: tail -n +1 shows every line, seq 1..n in order; the size only grew
all=$(tail -n +1 "$MNT/.cas/events")
n=$(grep -c . <<<"$all")
expect_eq "$(jq -s -c '[.[].seq] == [range(1; length + 1)]' <<<"$all")" true "seq numbers 1..$n in order"
s1=$(stat -c %s "$MNT/.cas/events")
expect_eq "$s1" "$(tail -n +1 "$MNT/.cas/events" | wc -c)" "st_size equals the bytes read"
[ "$(jq -s 'map(select(.kind == "changed" and .path == "/instances/'"$id"'")) | length' <<<"$all")" -eq 1 ] ||
	fail "the change behind the mount was reported more than once"
stop_pid "$TAIL_PID"
TAIL_PID=""

# 5. a listing that never gets a consistent snapshot is shown as the union: one line
emu_post listing '{"page_cap":5,"drift":{"page":2,"add":1,"times":-1}}'
echo 1 >"$MNT/.cas/refresh"
ls "$MNT/instances" >/dev/null
u=$(jq -c 'select(.kind == "listing_union")' "$MNT/.cas/events")
[ -n "$u" ] || fail "no listing_union line after an inconsistent listing: $(jq .listings "$MNT/.cas/stats")"
expect_eq "$(jq -r '.path + " " + (.listings >= 1 | tostring)' <<<"$u" | head -1)" "/instances true" "listing_union line"
emu_post listing '{"page_cap":0,"drift":{"times":0}}'

# 6. watch off: the feed costs nothing
remount_casfs
ls "$MNT/instances" >/dev/null
before=$(wc -l <"$AUDIT")
emu_post "instances/$id" '{"CertificateName":"changed-again"}'
sleep 3
cat "$MNT/.cas/events" >/dev/null
stat "$MNT/.cas/events" >/dev/null
tail -n 5 "$MNT/.cas/events" >/dev/null
timeout 3 tail -f "$MNT/.cas/events" >/dev/null || true
after=$(wc -l <"$AUDIT")
expect_eq "$((after - before))" 0 "API calls while idle and reading the feed without watch"
echo PASS
