#!/usr/bin/env bash
# The scratch store against the node table.
# - A name a row of the table claims (key.pem without -o keys; cert.pem and
#   not_after before issue) is never a scratch name: create, mkdir and
#   rename onto it fail with EACCES and a record, and nothing is left
#   behind (statfs's free entries stay 64, rmdir is not ENOTEMPTY, 70
#   attempts do not use up the table).
# - Scratch names ending .pem, .key or .crt are refused the same way, with
#   a hint (cp le.crt le.key instances/<id>/ looked like an upload).
# - With -o keys, a private key never becomes a scratch file:
#   rename(key.pem, k) is EPERM, and cp key.pem k / cat key.pem > k fail
#   with EPERM leaving no key bytes in k.
# The audit log: no mutation at all.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 12 --seed 23
pending=$(first_instance '.CertificateId == null and .Status != "closed"')
issued=$(first_instance '.CertificateId != null and .Status == "normal"')
[ "$pending" != null ] && [ "$issued" != null ] || fail "the data set needs a pending and an issued instance"
mutations() { jq -c 'select(.action | test("^(Update|Delete|Refund|Add|Upload)"))' "$AUDIT" | wc -l; }
# free scratch entries: the limit (64) less the entries .cas/stats counts
# (statfs shows "unlimited" since df must not trip monitoring)
free_entries() { echo $((64 - $(jq .writes.scratch_files "$MNT/.cas/stats"))); }
denied() { expect_fail "Permission denied" "$@"; }

# ---- default options ----
mount_casfs
p=$MNT/instances/$pending
i=$MNT/instances/$issued
expect_eq "$(free_entries)" 64 "free scratch entries at mount"
expect_absent "$p" cert.pem
expect_absent "$p" not_after
expect_absent "$i" key.pem
errs0=$(errors_count)
denied touch "$i/key.pem"
denied touch "$p/cert.pem"
denied touch "$p/not_after"
denied mkdir "$p/not_before"
denied mkdir "$i/key.pem"
denied bash -c 'echo x > "$1"' _ "$p/fullchain.pem"
expect_eq "$(free_entries)" 64 "free scratch entries after creates under claimed names"
expect_absent "$i" key.pem
expect_absent "$p" cert.pem
[ -e "$i/key.pem" ] && fail "key.pem exists after a refused create"
grep -q 'never a scratch name' "$MNT/.cas/errors" || fail "no record for a claimed name: $(tail -2 "$MNT/.cas/errors")"
expect_eq "$(($(errors_count) - errs0))" 6 "records of the refused creates"
# rmdir reaches the allow_delete rule, not ENOTEMPTY
expect_fail "Operation not permitted" rmdir "$i"
# the table does not fill up
for n in $(seq 1 70); do touch "$i/key.pem" 2>/dev/null && fail "create of key.pem #$n succeeded"; done
echo scratch >"$i/work.tmp" || fail "a scratch file cannot be created after 70 refused creates"
expect_eq "$(free_entries)" 63 "free scratch entries with one scratch file"
# rename onto a claimed name that is absent: refused, the scratch file stays
denied rename "$i/work.tmp" "$i/key.pem"
expect_eq "$(cat "$i/work.tmp")" "scratch" "the scratch file after a refused rename"
cp /etc/hostname "$p/w.tmp"
denied rename "$p/w.tmp" "$p/cert.pem"
denied rename "$p/w.tmp" "$p/not_after"
[ -f "$p/w.tmp" ] || fail "w.tmp vanished after refused renames"
# an API file renamed away (vim's backup) onto a claimed name
denied rename "$p/config" "$p/cert.pem"
expect_absent "$p" cert.pem
# certificate-like names are refused, with a hint
printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' >"$T/le.crt"
printf 'not a key, just its name\n' >"$T/le.key"
cp "$T/le.crt" "$T/le.pem"
denied cp "$T/le.crt" "$T/le.key" "$i/"
denied cp "$T/le.pem" "$i/"
denied rename "$i/work.tmp" "$i/work.pem"
denied mkdir "$i/certs.crt"
grep -q 'le.key.*UploadUserCertificate\|UploadUserCertificate.*le.key\|le.key.*not uploaded' "$MNT/.cas/errors" ||
	fail "no hint for le.key: $(grep le.key "$MNT/.cas/errors")"
expect_absent "$i" le.key
expect_absent "$i" le.crt
expect_absent "$i" le.pem
expect_eq "$(free_entries)" 62 "free scratch entries (work.tmp and w.tmp)"
# names that merely contain the suffixes are scratch names (editors' temporaries)
touch "$i/.config.pem.swp" "$i/name.pem~" || fail "a name that does not end in .pem was refused"
rm "$i/work.tmp" "$p/w.tmp" "$i/.config.pem.swp" "$i/name.pem~"
expect_eq "$(free_entries)" 64 "free scratch entries after the cleanup"
expect_eq "$(mutations)" 0 "mutating calls at default options"

# ---- -o keys: the key never becomes a scratch file ----
remount_casfs keys
i=$MNT/instances/$issued
grep -q "PRIVATE KEY" "$i/key.pem" || fail "key.pem holds no key with -o keys"
expect_fail "Operation not permitted" rename "$i/key.pem" "$i/k"
expect_absent "$i" k
expect_fail "Operation not permitted" cp "$i/key.pem" "$i/k"
[ -s "$i/k" ] && fail "cp key.pem k left bytes in k: $(head -c 40 "$i/k")"
expect_fail "Operation not permitted" bash -c 'cat "$1" > "$2"' _ "$i/key.pem" "$i/k2"
[ -s "$i/k2" ] && fail "cat key.pem > k2 left bytes in k2"
# a key written in small pieces (the marker split across writes) is caught too
expect_fail "Operation not permitted" python3 -c '
import os, sys
data = open(sys.argv[1], "rb").read()
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o600)
for j in range(0, len(data), 7):
    os.write(fd, data[j:j + 7])
' "$i/key.pem" "$i/k3"
[ -s "$i/k3" ] && fail "a key written 7 bytes at a time left bytes in k3"
denied cp "$i/key.pem" "$i/copy.pem"
grep -q 'private key' "$MNT/.cas/errors" || fail "no record for the refused key copy"
! grep -rq "PRIVATE KEY" "$MNT/.cas/errors" || fail ".cas/errors shows key bytes"
rm -f "$i/k" "$i/k2" "$i/k3"
expect_eq "$(free_entries)" 64 "free scratch entries after the key attempts"
# an ordinary atomic save still works beside it
sed -i 's/./&/' "$i/name" || fail "sed -i on name failed"
expect_eq "$(mutations)" 0 "mutating calls with -o keys"
log "ok"
