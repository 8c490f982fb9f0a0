#!/usr/bin/env bash
# Throttling: a service that answers Throttling.User beyond its rate (as HTTP
# 400, the emulator's default, as public reports of the real service show)
# (emulator --qps) does not make reads fail: casfs backs off and retries, and
# the throttles are counted in .cas/stats. With a client limit (-o qps=) below
# the service's, no request is throttled at all.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 16 --seed 111 --qps 4
mount_casfs qps=1000 timeout=30

mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
read_all() { # tag
	local id bad=0
	for id in "${ids[@]}"; do
		timeout 120 cat "$MNT/instances/$id/detail" >"$T/$1.$id" 2>"$T/err" || {
			echo "detail of $id: $(cat "$T/err")" >&2
			bad=$((bad + 1))
		}
		[ -s "$T/$1.$id" ] || bad=$((bad + 1))
	done
	expect_eq "$bad" "0" "failed detail reads ($1)"
}

read_all burst
n429=$(jq -c 'select(.code == "Throttling.User")' "$AUDIT" | wc -l)
[ "$n429" -ge 1 ] || fail "the service never throttled: the test proves nothing"
log "throttles absorbed: $n429"
expect_eq "$(jq -c 'select(.code == "Throttling.User" and .status != 400)' "$AUDIT" | wc -l)" "0" "throttles not answered as HTTP 400"
jq -e '.totals.throttled >= 1' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats counts no throttle"

# a client limit below the service's: no throttle at all
umount_casfs
sleep 1.5 # let the emulator's bucket refill before the mount probe
mount_casfs qps=3 timeout=30
before=$n429
read_all limited
expect_eq "$(jq -c 'select(.code == "Throttling.User")' "$AUDIT" | wc -l)" "$before" "throttles with -o qps=3 under a 4 QPS service"
jq -e '.totals.throttled == 0' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats counts throttles under the client limit"
echo PASS
