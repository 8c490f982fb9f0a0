#!/usr/bin/env bash
# A renewal into an existing certificate's directory with the key named
# key.pem (the commit rule takes privkey.pem or key.pem). Without -o keys
# key.pem is a certificate's file that is absent: the staged key.pem takes
# the name (listed, stat-able), the renewal makes exactly one
# UploadUserCertificate with the new leaf, and the directory is not blocked:
# a second renewal the same way makes one more.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
start_emulator --instances 1 --seed 19
mount_casfs
C=$MNT/certificates
make_live "$T/a" k.example
mkdir "$C/k.example"
cp "$T/a/fullchain.pem" "$T/a/privkey.pem" "$C/k.example/"
expect_eq "$(uploads)" 1 "first upload"
sleep 2.3 # the staging directory settles: k.example is the stored certificate's directory

renew() { # DIR NotBefore: certbot's renewal, the key named key.pem
	make_live "$1" k.example "$2"
	local u0
	u0=$(uploads)
	cp "$1/privkey.pem" "$C/k.example/key.pem" || fail "cp key.pem into k.example failed"
	expect_present "$C/k.example" key.pem
	stat "$C/k.example/key.pem" >/dev/null || fail "stat of the staged key.pem"
	expect_eq "$(uploads)" "$u0" "a key alone: no upload"
	cp "$1/fullchain.pem" "$C/k.example/fullchain.pem" || fail "cp fullchain.pem after key.pem failed"
	expect_eq "$(uploads)" "$((u0 + 1))" "renewal with key.pem: UploadUserCertificate"
	expect_eq "$(applied UploadUserCertificate)" "$((u0 + 1))" "renewal with key.pem: applied"
	local fp
	fp=$(fp_of "$1/fullchain.pem")
	emu_get store | jq -e --arg f "$fp" '[.[] | select((.Fingerprint // "" | ascii_upcase | gsub(":"; "")) == $f)] | length == 1' \
		>/dev/null || fail "the renewed leaf $fp is not in the store once"
}
now=$(($(date +%s) * 1000))
renew "$T/b" "$now"
sleep 2.3 # the key's receipt leaves the overlay
renew "$T/c" "$((now + 1000))"
exit 0
