#!/usr/bin/env bash
# The trouble cases of t_read_faults, t_read_hostile_responses,
# t_read_stopped, t_read_throttle and t_write_faults (which shorten
# -o timeout to keep their many cases quick), once each at casfs's DEFAULT
# options (ttl 60, qps 100, timeout 20, max_stale 600): a shortened timeout
# once hid a 22 s hang that only the defaults showed. The audit log is the
# oracle for what was applied.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 40 --seed 77 --stall-ms 60000
mount_casfs # no options: every default

mapfile -t ids < <(emu_get state | jq -r '[.instances[] | select(.Status == "normal")][0:5][].InstanceId')
[ "${#ids[@]}" -eq 5 ] || fail "need five normal instances"

# 500s on a read are retried to success
emu_post faults "500=1@GetInstanceDetail#3"
cat "$MNT/instances/${ids[0]}/detail" >/dev/null || fail "a read through three 500s failed"
emu_post faults ""

# a truncated body is EPROTO, with a record
emu_post faults "malformed=1@GetInstanceDetail"
expect_fail "Protocol error" cat "$MNT/instances/${ids[1]}/detail"
emu_post faults ""
jq -e 'select(.errno == "EPROTO")' "$MNT/.cas/errors" >/dev/null || fail "no EPROTO record"

# a write answered 429 every time: EAGAIN after the retries, nothing applied
emu_post faults "429=1@UpdateInstance"
expect_fail "Resource temporarily unavailable" bash -c "echo t429 >'$MNT/instances/${ids[2]}/name'"
emu_post faults ""
expect_eq "$(applied UpdateInstance)" 0 "UpdateInstance applied under 429"

# a write answered 500 every time: EIO, nothing applied, never applied twice
emu_post faults "500=1@UpdateInstance"
expect_fail "Input/output error" bash -c "echo t500 >'$MNT/instances/${ids[3]}/name'"
emu_post faults ""
expect_eq "$(applied UpdateInstance)" 0 "UpdateInstance applied under 500"

# the API hung (SIGSTOP): a cached file answers at once, an uncached one
# fails within the default 20 s timeout (plus 1.5 s), not per path step
cat "$MNT/instances/${ids[4]}/status" >/dev/null
kill -STOP "$EMU_PID"
t0=$(date +%s%N)
cat "$MNT/instances/${ids[4]}/status" >/dev/null || fail "a cached value file failed with the API hung"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -le 2000 ] || fail "a cached read took $ms ms with the API hung (promise: within the 2 s soft deadline)"
t0=$(date +%s%N)
expect_fail "Connection timed out" cat "$MNT/instances/${ids[4]}/detail"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "uncached detail with the API hung at the default timeout: $ms ms"
[ "$ms" -le 21500 ] || fail "an uncached read took $ms ms with the API hung (promise: -o timeout, default 20 s)"
kill -CONT "$EMU_PID"
cat "$MNT/instances/${ids[4]}/detail" >/dev/null || fail "no recovery after the API came back"
echo PASS
