#!/usr/bin/env bash
# The errors table through a mount, at default options, each errno pinned:
# 403 Forbidden.RAM -> EACCES at once (no retry); throttling that outlasts the
# retries -> EAGAIN after exactly 1 + 5 attempts; credentials that stop
# working after mount time -> EACCES. Each leaves a .cas/errors record with
# the service's Code; the mount stays usable. GetCAInstanceStatus is held to
# 10 QPS (burst 1), every action to 100 QPS (burst 10) by default, judged
# by how far the audit log's arrival times run ahead of the rate. The default timeout (20 s) lets a 5 s answer through; a
# refresh stalled past the ttl gives the stale copy after the 2 s soft
# deadline.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 6 --private-ca 2 --seed 41 --stall-ms 5000
mount_casfs
# ids in casfs's order; the ones read below are never neighbours, so
# read-ahead stays out of the counts
mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId' | LC_ALL=C sort)
detail_calls() { audit_count GetInstanceDetail "(.params.InstanceId == \"$1\")"; }
ls "$MNT/instances" >/dev/null

# a record for PATH with errno TEXT and Code CODE in .cas/errors
expect_record() { # path-suffix errno-name code
	jq -e --arg p "$1" --arg c "$3" 'select((.path | endswith($p)) and .code == $c)' "$MNT/.cas/errors" \
		>/dev/null || fail "no .cas/errors record for $1 with Code $3: $(tail -3 "$MNT/.cas/errors")"
}

# the default timeout is 20 s: an answer that takes 5 s still arrives
emu_post faults "stall=1@GetInstanceDetail#1"
cat "$MNT/instances/${ids[5]}/detail" | jq -e . >/dev/null || fail "a 5 s answer at the default timeout"
emu_post faults ""

# 403: EACCES, not retried
emu_post faults "403=1@GetInstanceDetail"
expect_fail "Permission denied" cat "$MNT/instances/${ids[0]}/detail"
expect_eq "$(detail_calls "${ids[0]}")" "1" "GetInstanceDetail attempts for a 403"
expect_record "/${ids[0]}/detail" EACCES Forbidden.RAM
cat "$MNT/instances/${ids[0]}/status" >/dev/null || fail "list data unreadable during 403s on details"

# throttled on every attempt: EAGAIN after the retries (1 + 5)
emu_post faults "429=1@GetInstanceDetail"
expect_fail "Resource temporarily unavailable" cat "$MNT/instances/${ids[3]}/detail"
expect_eq "$(detail_calls "${ids[3]}")" "6" "GetInstanceDetail attempts when every one is throttled"
expect_record "/${ids[3]}/detail" EAGAIN Throttling.User
jq -e '.calls.GetInstanceDetail.throttled >= 6' "$MNT/.cas/stats" >/dev/null || fail "throttles not counted in .cas/stats"
emu_post faults ""
cat "$MNT/instances/${ids[3]}/detail" | jq -e . >/dev/null || fail "detail after the throttling ended"

# 10 QPS for GetCAInstanceStatus: 25 listings of private-ca with ttl=0.001
remount_casfs ttl=0.001
for i in $(seq 1 25); do ls "$MNT/private-ca" >/dev/null || fail "ls private-ca ($i)"; done
calls=$(audit_count GetCAInstanceStatus)
[ "$calls" -ge 20 ] || fail "only $calls GetCAInstanceStatus calls for 25 uncached listings"
burst=$(audit_burst GetCAInstanceStatus 10)
log "GetCAInstanceStatus: $calls calls, at most $burst ahead of 10 QPS"
[ "$burst" -le 4 ] || fail "GetCAInstanceStatus ran $burst calls ahead of 10 QPS (burst 1)"
# the account-wide default of 100 QPS (burst 10): 6 threads each reading
# one instance's detail as fast as they can (distinct keys, so the cache
# cannot merge them; at this ttl every read is a GetInstanceDetail)
python3 - "$MNT/instances" "${ids[@]}" <<'PY' || fail "parallel detail reads failed"
import os, sys, threading
errs = []
def run(i):
    try:
        for _ in range(10):
            with open(os.path.join(sys.argv[1], i, "detail"), "rb") as f:
                f.read()
    except OSError as e:
        errs.append(e)
ts = [threading.Thread(target=run, args=(i,)) for i in sys.argv[2:8]]
for t in ts: t.start()
for t in ts: t.join()
sys.exit(1 if errs else 0)
PY
burst=$(audit_burst GetInstanceDetail 100)
log "GetInstanceDetail: $(audit_count GetInstanceDetail) calls, at most $burst ahead of 100 QPS"
[ "$burst" -le 16 ] || fail "GetInstanceDetail ran $burst calls ahead of the default 100 QPS (burst 10)"

# the soft deadline: past the ttl, a refresh that stalls (5 s) gives the
# stale copy within 2 s (+ 1.5 s margin), at the default timeout
remount_casfs ttl=1
cat "$MNT/instances/${ids[2]}/detail" >"$T/d2" || fail "detail of ${ids[2]}"
emu_post faults "stall=1@GetInstanceDetail#1"
sleep 1.3
t0=$(date +%s%N)
cat "$MNT/instances/${ids[2]}/detail" >"$T/d2.stale" || fail "stale detail"
ms=$((($(date +%s%N) - t0) / 1000000))
emu_post faults ""
log "stale read during a stalled refresh: $ms ms"
cmp -s "$T/d2" "$T/d2.stale" || fail "the stale read returned other bytes"
[ "$ms" -le 3500 ] || fail "a stale read took $ms ms (soft deadline 2 s)"

# credentials that stop working after mount time: EACCES, a record, no crash
remount_casfs
cat "$MNT/instances/${ids[5]}/detail" >/dev/null || fail "detail before the key was revoked"
port=${EMU_URL##*:}
stop_emulator
"$EMU_BIN" --listen "127.0.0.1:$port" --access-key "$AK:revoked-$SK" --audit "$AUDIT" --instances 6 --seed 41 \
	>"$T/emu2.out" 2>>"$T/emu.err" &
EMU_PID=$!
for i in $(seq 1 100); do grep -q "^listening on" "$T/emu2.out" 2>/dev/null && break; sleep 0.05; done
grep -q "^listening on" "$T/emu2.out" || fail "the second emulator did not start on port $port"
expect_fail "Permission denied" cat "$MNT/instances/${ids[1]}/detail"
expect_record "/${ids[1]}/detail" EACCES SignatureDoesNotMatch
cat "$MNT/instances/${ids[5]}/detail" | jq -e . >/dev/null || fail "a cached detail after the key was revoked"
echo PASS
