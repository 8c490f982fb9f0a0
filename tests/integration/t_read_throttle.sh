#!/usr/bin/env bash
# Throttling: a service that answers 429 Throttling.User beyond its rate
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
n429=$(jq -c 'select(.status == 429)' "$AUDIT" | wc -l)
[ "$n429" -ge 1 ] || fail "the service never throttled: the test proves nothing"
log "429s absorbed: $n429"
jq -e '.totals.throttled >= 1' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats counts no throttle"

# a client limit below the service's: no 429 at all
umount_casfs
sleep 1.5 # let the emulator's bucket refill before the mount probe
mount_casfs qps=3 timeout=30
before=$n429
read_all limited
expect_eq "$(jq -c 'select(.status == 429)' "$AUDIT" | wc -l)" "$before" "429s with -o qps=3 under a 4 QPS service"
jq -e '.totals.throttled == 0' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats counts throttles under the client limit"
echo PASS
