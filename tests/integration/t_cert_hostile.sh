#!/usr/bin/env bash
# Certificates from a hostile or changing service, at default options plus
# -o keys: a CertificateId that is not a number hides only that instance's
# certificate files (the instance stays listed); a certificate answer with
# wrong JSON types or cut in half gives cat a precise errno (EPROTO) and a
# record in .cas/errors, never bytes; a certificate deleted behind the mount
# gives ENOENT and refreshes the list; after the fault is cleared the files
# read correctly again. Nothing of this makes a mutating call.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 16 --seed 23
mapfile -t issued < <(emu_get state | jq -r '.instances[] | select(.CertificateId != null and
	.GenerateCsrMethod == "online") | .InstanceId')
[ "${#issued[@]}" -ge 3 ] || fail "too few issued instances"
a=${issued[0]} b=${issued[1]} c=${issued[2]}
emu_post "instances/$a" '{"CertificateId": "12x"}'
mount_casfs keys,ttl=600

# a hostile CertificateId: the instance is listed, without certificate files
ls "$MNT/instances" | grep -qx "$a" || fail "instance with a hostile CertificateId is not listed"
[ -e "$MNT/instances/$a/cert.pem" ] && fail "cert.pem for a CertificateId that is not a number"
[ -f "$MNT/instances/$a/detail" ] || fail "detail of $a missing"
grep -q "unexpected JSON type.*CertificateId of $a" "$T/casfs.log" || fail "the hostile CertificateId was not logged"

set_faults() { curl -sf -X POST --data-binary "$1" "$EMU_URL/_emulator/faults" >/dev/null || fail "faults '$1'"; }
# cat_fails ERRNO_TEXT FILE: cat fails with exactly that message and prints nothing
cat_fails() {
	local rc=0
	timeout 60 cat "$2" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -ne 124 ] || fail "cat $2 hung"
	[ "$rc" -ne 0 ] || fail "cat $2 succeeded under a fault"
	[ -s "$T/out" ] && fail "cat $2 printed bytes under a fault"
	grep -qx "cat: $2: $1" "$T/err" || fail "cat $2: expected '$1', got: $(cat "$T/err")"
}
for spec in "wrongtype=1@GetUserCertificateDetail" "malformed=1@GetUserCertificateDetail"; do
	set_faults "$spec"
	echo 1 >"$MNT/.cas/refresh"
	before=$(errors_count)
	cat_fails "Protocol error" "$MNT/instances/$b/cert.pem"
	cat_fails "Protocol error" "$MNT/instances/$b/key.pem"
	[ "$(errors_count)" -gt "$before" ] || fail "no .cas/errors record under $spec"
	tail -1 "$MNT/.cas/errors" | jq -e '.action == "GetUserCertificateDetail" and .errno == "EPROTO"' >/dev/null ||
		fail "record under $spec: $(tail -1 "$MNT/.cas/errors")"
	kill -0 "$CASFS_PID" || fail "casfs died under $spec"
done
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null
echo 1 >"$MNT/.cas/refresh"
grep -q "BEGIN CERTIFICATE" "$MNT/instances/$b/cert.pem" || fail "cert.pem not back after the fault"
openssl pkey -in "$MNT/instances/$b/key.pem" -noout || fail "key.pem not back after the fault"
grep -q "PRIVATE KEY" "$MNT/.cas/errors" && fail "a key in .cas/errors"

# deleted behind the mount: ENOENT, and the list is read again
ls "$MNT/instances/$c" >/dev/null
curl -sf -X DELETE "$EMU_URL/_emulator/instances/$c" >/dev/null
lists=$(audit_count ListInstances)
cat_fails "No such file or directory" "$MNT/instances/$c/fullchain.pem"
ls "$MNT/instances" | grep -qx "$c" && fail "a deleted instance is still listed after its certificate was not found"
[ "$(audit_count ListInstances)" -gt "$lists" ] || fail "the list was not read again after a 404"
expect_eq "$(jq -s '[.[] | select(.applied == true)] | length' "$AUDIT")" "0" "mutations applied"
echo PASS
