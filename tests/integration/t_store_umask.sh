#!/usr/bin/env bash
# -o umask=027 clears bits of staged files and staging directories as it does
# every other node: a staging directory, a file created in it, and a
# certificate's fullchain.pem written over (a renewal, staged with the mode
# the file showed) show no bit the umask clears; the renewal makes exactly one
# UploadUserCertificate.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
start_emulator --instances 1 --seed 19
mount_casfs umask=027
C=$MNT/certificates
make_live "$T/a" u.example
(
	umask 022
	mkdir -m 0755 "$C/u.example"
	expect_eq "$(stat -c %a "$C/u.example")" 750 "a staging directory's mode under umask=027"
	cp "$T/a/fullchain.pem" "$C/u.example/"
	expect_eq "$(stat -c %a "$C/u.example/fullchain.pem")" 640 "a staged file's mode under umask=027"
	cp "$T/a/privkey.pem" "$C/u.example/"
) || exit 1
expect_eq "$(uploads)" 1 "the first upload"
sleep 2.3 # settled: u.example is the stored certificate's directory
expect_eq "$(stat -c %a "$C/u.example/fullchain.pem")" 640 "a certificate's fullchain.pem under umask=027"
make_live "$T/b" u.example "$(($(date +%s) * 1000))"
cp "$T/b/fullchain.pem" "$C/u.example/fullchain.pem" # a renewal, staged: waits for its key
expect_eq "$(uploads)" 1 "a certificate alone: no upload"
expect_eq "$(stat -c %a "$C/u.example/fullchain.pem")" 640 "a renewal's staged fullchain.pem under umask=027"
cp "$T/b/privkey.pem" "$C/u.example/privkey.pem"
expect_eq "$(applied UploadUserCertificate)" 2 "the renewal: UploadUserCertificate applied"
exit 0
