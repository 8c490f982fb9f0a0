#!/usr/bin/env bash
# UpdateInstance under injected faults. For every write the audit log shows
# the change applied at most once; a write that reports success was applied
# exactly once; a failed write leaves a .cas/errors record and the files then
# show the true remote state. Throttling (refused before running) is retried
# to success; a lost answer (reset, malformed body, stall past the timeout)
# is reconciled by reading, never by sending the change twice.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 20 --seed 29 --stall-ms 4000
mount_casfs timeout=2

mapfile -t ids < <(emu_get state | jq -r '[.instances[] | select(.Status == "normal")][0:3][].InstanceId')
[ "${#ids[@]}" -eq 3 ] || fail "need three normal instances"
for i in "${ids[@]}"; do cat "$MNT/instances/$i/name" >/dev/null; done

# applied_name V: applied UpdateInstance calls that set CertificateName to V
applied_name() { audit_count UpdateInstance ".applied == true and .params.CertificateName == \"$1\""; }
sent_name() { audit_count UpdateInstance ".params.CertificateName == \"$1\""; }
OK=0 FAILED=0
# write_name ID VALUE: echo VALUE > name, then check the once-or-error rule
write_name() {
	local id=$1 v=$2 rc=0 out e0 rec
	local before
	before=$(emu_instance "$id" | jq -r .CertificateName)
	e0=$(wc -l <"$MNT/.cas/errors")
	out=$(bash -c 'echo "$2" > "$1"' _ "$MNT/instances/$id/name" "$v" 2>&1) || rc=$?
	local n
	n=$(applied_name "$v")
	[ "$n" -le 1 ] || fail "CertificateName=$v applied $n times (writer rc=$rc: $out)"
	local remote
	remote=$(emu_instance "$id" | jq -r .CertificateName)
	if [ "$rc" -eq 0 ]; then
		OK=$((OK + 1))
		expect_eq "$n" 1 "applied count of $v after a successful write"
		expect_eq "$remote" "$v" "remote CertificateName after a successful write"
	else
		FAILED=$((FAILED + 1))
		[ "$(wc -l <"$MNT/.cas/errors")" -gt "$e0" ] || [ "$e0" -ge 100 ] || fail "no .cas/errors record for a failed write of $v"
		rec=$(tail -n1 "$MNT/.cas/errors")
		expect_eq "$(jq -r .path <<<"$rec")" "/instances/$id/name" ".cas/errors path for $v"
		# a lost answer is a network failure (EIO/ETIMEDOUT), a refusal after retries EIO/EAGAIN;
		# never a credentials error (EACCES) nor a validation error (EINVAL)
		case $(jq -r .errno <<<"$rec") in
		EIO | EAGAIN | ETIMEDOUT) ;;
		*) fail "unexpected errno for a failed write of $v under faults: $rec" ;;
		esac
		if [ "$n" -eq 1 ]; then
			expect_eq "$remote" "$v" "remote CertificateName after an applied-but-failed write"
		else
			expect_eq "$remote" "$before" "remote CertificateName after a failed write"
		fi
	fi
	# whatever happened, the file shows the remote state (the mount invalidated its copy)
	expect_eq "$(cat "$MNT/instances/$id/name")" "$remote" "name file after writing $v (rc=$rc)"
	LAST_RC=$rc
}

# ---- 30% HTTP 500 before the action runs
emu_post faults '500=0.3@UpdateInstance'
for k in $(seq 1 9); do
	write_name "${ids[$((k % 3))]}" "five-hundred-$k"
done
log "500=0.3: $OK ok, $FAILED failed"
expect_eq "$(audit_count UpdateInstance '.fault == "500" and .applied == true')" 0 "applied calls answered 500"

# ---- every attempt answered 500: the writer gets an error, nothing is applied
emu_post faults '500=1@UpdateInstance'
write_name "${ids[1]}" always-500
[ "$LAST_RC" -ne 0 ] || fail "a write answered 500 every time reported success"
expect_eq "$(applied_name always-500)" 0 "applied count when every attempt is answered 500"
expect_eq "$(jq -r .errno <<<"$(tail -n1 "$MNT/.cas/errors")")" EIO "errno when every attempt is answered 500"

# ---- throttling is refused before running: retried, and the writer succeeds
emu_post faults '429=1@UpdateInstance#2,503=1@UpdateInstance#1'
write_name "${ids[0]}" throttled-twice
expect_eq "$LAST_RC" 0 "writer rc after two 429s and a 503"
expect_eq "$(sent_name throttled-twice)" 4 "UpdateInstance sends (two 429s, one 503, one success)"

# ---- the connection is reset after the change was applied
emu_post faults 'reset=1@UpdateInstance#1'
write_name "${ids[1]}" after-reset
expect_eq "$(applied_name after-reset)" 1 "applied count after a reset"
emu_post faults 'reset=1@UpdateInstance#1'
write_name "${ids[2]}" after-reset-2
expect_eq "$(applied_name after-reset-2)" 1 "applied count after a second reset"

# ---- a malformed (truncated) 200 body after the change was applied
emu_post faults 'malformed=1@UpdateInstance#1'
write_name "${ids[0]}" after-malformed
expect_eq "$(applied_name after-malformed)" 1 "applied count after a malformed answer"

# ---- a stall past the client timeout (-o timeout=2) after the change was applied
emu_post faults 'stall=1@UpdateInstance#1'
write_name "${ids[1]}" after-stall
expect_eq "$(applied_name after-stall)" 1 "applied count after a stall"

# ---- the same value again without faults: no call; a new one: one call
emu_post faults ''
for v in after-reset after-malformed; do
	for i in "${ids[@]}"; do
		[ "$(emu_instance "$i" | jq -r .CertificateName)" == "$v" ] || continue
		n0=$(audit_count UpdateInstance)
		bash -c 'echo "$2" > "$1"' _ "$MNT/instances/$i/name" "$v" || fail "rewriting $v"
		expect_eq "$(audit_count UpdateInstance)" "$n0" "calls when rewriting the applied value $v"
	done
done
write_name "${ids[2]}" no-faults
expect_eq "$LAST_RC" 0 "writer rc without faults"
expect_eq "$(sent_name no-faults)" 1 "UpdateInstance sends without faults"

# no value was ever applied twice
dup=$(jq -r 'select(.action == "UpdateInstance" and .applied == true) | .params.CertificateName' "$AUDIT" | sort | uniq -d)
[ -z "$dup" ] || fail "values applied more than once: $dup"
echo PASS
