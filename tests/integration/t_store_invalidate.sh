#!/usr/bin/env bash
# The kernel forgets certificates/ when the store list changes (its rows
# have deps: the notifier binds directories, CertificateIds and windows
# from the lists before and after), and .cas/refresh covers the store:
#  - a renewal made behind the mount, then .cas/refresh: by-id/<A> (a
#    kernel-cached link) points to A's new directory lin~<A>, and
#    by-id/<A>/id reads A; certificates.jsonl's size is the new one;
#  - instances/<id>/name written (one UpdateInstance): the issued
#    certificate's directory is renamed and by-id/<CertId> follows it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
start_emulator --instances 3 --seed 19
now=$(($(date +%s) * 1000))
day=86400000
A=$(curl -sf -X POST --data-binary "{\"Name\":\"lin\",\"CommonName\":\"lin.example\",\"NotBefore\":$((now - day)),\"NotAfter\":$((now + 90 * day))}" \
	"$EMU_URL/_emulator/store" | jq -r .CertId)
mount_casfs
C=$MNT/certificates
J=$MNT/certificates.jsonl
expect_eq "$(readlink "$C/by-id/$A")" "../lin" "by-id/A before"
expect_eq "$(cat "$C/by-id/$A/id")" "$A" "by-id/A/id before"
s0=$(stat -c %s "$J")
expect_eq "$(cat "$J" | wc -c)" "$s0" "certificates.jsonl read = stat size"

# a renewal made elsewhere: lin now names B, A moves to lin~A
B=$(curl -sf -X POST --data-binary "{\"Name\":\"lin~renew\",\"CommonName\":\"lin.example\",\"NotBefore\":$now,\"NotAfter\":$((now + 90 * day))}" \
	"$EMU_URL/_emulator/store" | jq -r .CertId)
l0=$(audit_count ListCertificates)
echo x >"$MNT/.cas/refresh"
s1=$(stat -c %s "$J")
[ "$s1" -gt "$s0" ] || fail "certificates.jsonl's size after .cas/refresh: $s1 (was $s0; a certificate was added)"
expect_eq "$(cat "$J" | wc -c)" "$s1" "certificates.jsonl read = stat size after the refresh"
[ "$(audit_count ListCertificates)" -gt "$l0" ] || fail "no ListCertificates after .cas/refresh"
ls "$C" >/dev/null
expect_eq "$(readlink "$C/by-id/$A")" "../lin~$A" "by-id/A after a renewal and .cas/refresh"
expect_eq "$(cat "$C/by-id/$A/id")" "$A" "by-id/A/id after a renewal and .cas/refresh"
expect_eq "$(cat "$C/by-id/$B/id")" "$B" "by-id/B/id"

# an issued certificate renamed through its instance
cid="" iid=""
for id in $(ls "$C/by-id"); do
	iid=$(jq -r '.InstanceId // empty' "$C/by-id/$id/info.json")
	[ -n "$iid" ] && cid=$id && break
done
[ -n "$cid" ] || fail "the store shows no issued certificate"
old=$(readlink "$C/by-id/$cid")
cat "$C/by-id/$cid/id" >/dev/null
u0=$(applied UpdateInstance)
echo "renamed-by-test" >"$MNT/instances/$iid/name"
expect_eq "$(applied UpdateInstance)" "$((u0 + 1))" "the name write: UpdateInstance applied"
ls "$C" >/dev/null
# kernel invalidations are queued and sent by the notifier's thread: allow it
# up to 20 s (an ASan build on a loaded machine is slow; 3 s of polls was
# tight), well below the 60 s ttl that would also refresh the link
for _ in $(seq 1 200); do
	[ "$(readlink "$C/by-id/$cid")" = "../renamed-by-test" ] && break
	sleep 0.1
done
expect_eq "$(readlink "$C/by-id/$cid")" "../renamed-by-test" "by-id/<CertId> after the name write (was $old)"
expect_eq "$(cat "$C/by-id/$cid/id")" "$cid" "by-id/<CertId>/id after the name write"
exit 0
