#!/usr/bin/env bash
# Transient server faults are absorbed by retries: with 10% HTTP 500s every
# detail of 50 instances still reads (and the audit shows 500s happened);
# then mixed faults (503s, 429s, connection resets after the answer, whose
# libcurl resend reuses the signature nonce and must not surface as EACCES,
# and a stall) are absorbed too; every file read equals what the emulator
# holds, and after the faults are cleared and .cas/refresh everything reads.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 50 --seed 41 --faults 500=0.1 --stall-ms 30000
mount_casfs timeout=9

mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
expect_eq "${#ids[@]}" "50" "instances in the emulator"

# read_all TAG: cat every detail; each must succeed and match the emulator
read_all() {
	local tag=$1 id bad=0 rc
	log "reading every detail ($tag)"
	mkdir -p "$T/$tag"
	rc=0
	timeout 120 ls "$MNT/instances" >"$T/$tag.ls" 2>"$T/$tag.ls.err" || rc=$?
	expect_eq "$rc" "0" "ls instances under faults ($tag: $(cat "$T/$tag.ls.err"))"
	expect_eq "$(wc -l <"$T/$tag.ls")" "50" "listed instances ($tag)"
	for id in "${ids[@]}"; do
		if ! timeout 120 cat "$MNT/instances/$id/detail" >"$T/$tag/$id" 2>"$T/$tag/$id.err"; then
			echo "detail of $id: $(cat "$T/$tag/$id.err")" >&2
			bad=$((bad + 1))
			continue
		fi
	done
	# every detail equals the emulator's object (GetInstanceDetail omits CertificateDomain)
	emu_get state | jq -cS '.instances[] | del(.CertificateDomain)' | sort >"$T/$tag.want"
	jq -cS . "${ids[@]/#/$T/$tag/}" | sort >"$T/$tag.got" || bad=$((bad + 1))
	cmp -s "$T/$tag.want" "$T/$tag.got" || {
		echo "details differ from the emulator: $(diff "$T/$tag.want" "$T/$tag.got" | head -4)" >&2
		bad=$((bad + 1))
	}
	expect_eq "$bad" "0" "failed or wrong detail reads ($tag)"
	log "done ($tag)"
}

read_all 500s
n500=$(audit_count GetInstanceDetail '.status == 500')
[ "$n500" -ge 1 ] || fail "no GetInstanceDetail got a 500: the fault did not fire, the test proves nothing"
log "GetInstanceDetail 500s absorbed: $n500"
jq -e '.totals.retries >= 1' "$MNT/.cas/stats" >/dev/null || fail ".cas/stats counts no retries"

# mixed faults (capped counts at high rates make each kind certain to fire)
emu_post faults '503=0.2#3,429=0.2#3,reset=0.2#3,stall=0.2#1'
echo 1 >"$MNT/.cas/refresh"
read_all mixed
for k in 503 429 reset stall; do
	[ "$(jq -c --arg k "$k" 'select(.fault == $k)' "$AUDIT" | wc -l)" -ge 1 ] ||
		fail "no $k fault fired: the test proves less than it says"
done

# after the faults are cleared everything still works and matches
emu_post faults ''
echo 1 >"$MNT/.cas/refresh"
read_all clean
echo PASS
