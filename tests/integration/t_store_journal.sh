#!/usr/bin/env bash
# Store uploads and deletes are journaled like every other mutation sent:
# .cas/journal has the upload (Name, Fingerprint, the CertificateId the
# answer gave) and the delete (CertificateId, Name, Fingerprint), each with
# the RequestId of the applied call in the emulator's audit log, and
# .cas/events has exactly one mutation line for each, with the same fields.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
start_emulator --instances 2 --seed 19
mount_casfs allow_delete
C=$MNT/certificates
ls "$C" >/dev/null
make_live "$T/live/j.example" j.example
fp=$(fp_of "$T/live/j.example/fullchain.pem")
mkdir "$C/j.example"
cp "$T/live/j.example/fullchain.pem" "$T/live/j.example/privkey.pem" "$C/j.example/"
expect_eq "$(applied UploadUserCertificate)" 1 "UploadUserCertificate applied"
id=$(store_entry j.example | jq -r .CertificateId)
rid=$(jq -r 'select(.action == "UploadUserCertificate" and .applied == true) | .request_id' "$AUDIT")
rec=$(jq -c 'select(.action == "UploadUserCertificate")' "$MNT/.cas/journal")
expect_eq "$(wc -l <<<"$rec")" 1 "journal records of the upload"
expect_eq "$(jq -r '[.path, .outcome, .request_id, .fields.Name.new, .fields.Fingerprint.new, .fields.CertificateId.new] | join(" ")' <<<"$rec")" \
	"/certificates/j.example ok $rid j.example $fp $id" "the upload's journal record"
sleep 2.3 # the staging directory settles into the stored certificate's
rmdir "$C/j.example" || fail "rmdir of the certificate's directory"
expect_eq "$(applied DeleteUserCertificate)" 1 "DeleteUserCertificate applied"
drid=$(jq -r 'select(.action == "DeleteUserCertificate" and .applied == true) | .request_id' "$AUDIT")
rec=$(jq -c 'select(.action == "DeleteUserCertificate")' "$MNT/.cas/journal")
expect_eq "$(wc -l <<<"$rec")" 1 "journal records of the delete"
expect_eq "$(jq -r '[.path, .outcome, .request_id, .fields.CertificateId.old, .fields.Name.old, .fields.Fingerprint.old] | join(" ")' <<<"$rec")" \
	"/certificates/j.example ok $drid $id j.example $fp" "the delete's journal record"
# the feed: one mutation line each, its fields the journal's
for a in UploadUserCertificate DeleteUserCertificate; do
	m=$(jq -c --arg a "$a" 'select(.kind == "mutation" and .action == $a)' "$MNT/.cas/events")
	expect_eq "$(grep -c . <<<"$m")" 1 "$a: mutation lines in .cas/events"
	j=$(jq -c --arg a "$a" 'select(.action == $a)' "$MNT/.cas/journal")
	expect_eq "$(jq -c .fields <<<"$m")" "$(jq -c .fields <<<"$j")" "$a: the feed's fields are the journal's"
	expect_eq "$(jq -r .journal_seq <<<"$m")" "$(jq -r .seq <<<"$j")" "$a: the feed line names its journal record"
done
exit 0
