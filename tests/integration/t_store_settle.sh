#!/usr/bin/env bash
# The kernel's caches of a staging directory (issue 19): while a directory
# under certificates/ is being written it shows its staged files (its own
# mode, the staged names); 2 s after its last write it settles and shows
# the stored certificate. The kernel caches entries and attributes for the
# ttl (60 s by default), and nothing asks casfs at the moment a directory
# settles, so casfs invalidates them then: stat(2), which the kernel
# answers from its cache, sees the stored directory's mode and no staged
# key within a second of settling, not a ttl later. Same for a key's
# receipt in a stored certificate's directory. No call for any of it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
start_emulator --instances 2 --seed 22
mount_casfs
C=$MNT/certificates
make_live "$T/live/s.example" s.example
ls "$C" >/dev/null
mkdir -m 700 "$C/s.example"
cp "$T/live/s.example/fullchain.pem" "$T/live/s.example/privkey.pem" "$C/s.example/"
expect_eq "$(uploads)" 1 "UploadUserCertificate calls"
# the kernel now caches the staging view (stat twice: the second from its cache)
expect_eq "$(stat -c %a "$C/s.example")" 700 "the staging directory's mode"
stat "$C/s.example/privkey.pem" >/dev/null || fail "no staged key's receipt"
stat "$C/s.example/privkey.pem" >/dev/null
stored_mode=755 # a certificate directory's mode (r-x for all, writable by the owner)
ls -lR "$C" >/dev/null
lists() { jq -c 'select(.action != "GetUserCertificateDetail")' "$AUDIT" | wc -l; }
n0=$(lists)
# settled 2 s after the last write; the notifier's thread invalidates the
# kernel's entries 50 ms later. That thread may run late on a loaded machine
# (a fixed sleep of 3 s gave it 950 ms): past the settle time, stat is
# polled until the kernel forgot the staging view, for at most 20 s, which
# still tells the timed invalidation from the 60 s ttl running out. (Not
# before: casfs answers by the clock, and a lookup answered just before the
# settle time could be cached after the invalidation.)
# waits_settled WHAT CMD...: polls CMD (true when settled), logs how long
waits_settled() {
	local what=$1 t0 i
	shift
	sleep 2.1
	t0=$(date +%s%N)
	for i in $(seq 1 200); do
		"$@" && break
		sleep 0.1
	done
	log "$what: settled view $(( ($(date +%s%N) - t0) / 1000000 + 2100 )) ms after the last write"
}
settled_dir() { [ "$(stat -c %a "$C/s.example")" = "$stored_mode" ] && ! stat "$C/s.example/privkey.pem" >/dev/null 2>&1; }
waits_settled "the staging directory" settled_dir
expect_eq "$(stat -c %a "$C/s.example")" "$stored_mode" "the settled directory's mode (stat, from the kernel's cache)"
stat "$C/s.example/privkey.pem" >/dev/null 2>&1 && fail "stat still finds the staged key after the directory settled"
expect_eq "$(stat -c %s "$C/s.example/fullchain.pem")" "$(stat -c %s "$T/live/s.example/fullchain.pem")" "fullchain.pem's size"
# a key written again into the settled directory: a receipt for 2 s, then gone for stat too
cp "$T/live/s.example/privkey.pem" "$C/s.example/"
expect_eq "$(stat -c %s "$C/s.example/privkey.pem")" 0 "the receipt's size"
receipt_gone() { ! stat "$C/s.example/privkey.pem" >/dev/null 2>&1; }
waits_settled "the key's receipt" receipt_gone
stat "$C/s.example/privkey.pem" >/dev/null 2>&1 && fail "stat still finds the key's receipt after 2 s"
expect_eq "$(($(lists) - n0))" 0 "calls while settling but the detail fullchain.pem's size reads"
# a key staged before its certificate: once the upload took it, it is a
# receipt at once (size 0), though the kernel had cached its size
make_live "$T/live/k.example" k.example
mkdir "$C/k.example"
cp "$T/live/k.example/privkey.pem" "$C/k.example/"
expect_eq "$(stat -c %s "$C/k.example/privkey.pem")" "$(stat -c %s "$T/live/k.example/privkey.pem")" "the staged key's size"
stat "$C/k.example/privkey.pem" >/dev/null
cp "$T/live/k.example/fullchain.pem" "$C/k.example/"
expect_eq "$(uploads)" 2 "UploadUserCertificate calls"
expect_eq "$(stat -c %s "$C/k.example/privkey.pem")" 0 "the key's size right after the upload took it"
echo PASS
