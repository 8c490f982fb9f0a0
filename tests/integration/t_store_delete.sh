#!/usr/bin/env bash
# The certificate store's listing, deletion and purge: expired
# certificates are listed (the CERT/UPLOAD default-Status trap does not hide
# them: ListCertificates is the source), a cold listing and every not_after
# cost only ⌈N/100⌉ ListCertificates, rm -r / rmdir with -o allow_delete is
# one DeleteUserCertificate, without it EPERM and nothing sent, in use EBUSY
# naming the products and nothing sent, an issued certificate backing an
# instance refused, and `find certificates/expired -mindepth 1 -maxdepth 1
# -exec rm -r {} +` deletes exactly the expired unused ones; tar, rsync -a
# and diff -r of certificates/ are stable.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
start_emulator --instances 3 --seed 7
now=$(($(date +%s) * 1000))
day=86400000
for i in $(seq 1 6); do
	emu_post store "{\"Name\":\"old$i.example\",\"CommonName\":\"old$i.example\",\"NotBefore\":$((now - 400 * day)),\"NotAfter\":$((now - i * day))}"
done
for i in $(seq 1 4); do
	emu_post store "{\"Name\":\"live$i.example\",\"CommonName\":\"live$i.example\"}"
done
id_of() { emu_get store | jq -r --arg n "$1" '.[] | select(.Name == $n) | .CertificateId'; }
emu_post "store/$(id_of old2.example)/in-use" '{"Product":"CDN","Resource":"cdn.old2.example"}'
emu_post "store/$(id_of live1.example)/in-use" '{"Product":"SLB","Resource":"lb-1"}'
N=$(curl -sf "$EMU_URL/_emulator/state" | jq '.store | length') # uploads; issued ones come on top
mount_casfs
C=$MNT/certificates

# cold listing: ⌈N/100⌉ ListCertificates and nothing else of the store
ls -l "$C/" >/dev/null
cat "$C"/*/not_after >/dev/null
total=$(ls "$C" | grep -vcxE 'by-id|expired|by-expiry')
expect_eq "$(audit_count ListCertificates)" "$(((total + 99) / 100))" "cold ls -l + cat */not_after: ListCertificates"
expect_eq "$(audit_count GetUserCertificateDetail)" 0 "cold ls -l + cat */not_after: details"
expect_eq "$(audit_count ListUserCertificateOrder)" 0 "ListUserCertificateOrder (the trap's listing) is not used"
# every expired upload is listed (the default-Status trap would have hidden them)
for i in $(seq 1 6); do expect_present "$C/expired" "old$i.example"; done
expect_eq "$(cat "$C/old2.example/in_use")" "$(emu_get store | jq -r --arg n old2.example '.[] | select(.Name == $n) | .UsingProductList[]?')" "in_use"
[ -s "$C/old2.example/in_use" ] || fail "in_use of a used certificate is empty"
expect_eq "$(wc -l <"$MNT/certificates.jsonl")" "$total" "certificates.jsonl lines"
expect_eq "$(readlink "$C/by-id/$(id_of live2.example)")" "../live2.example" "by-id link"

# tar, rsync -a and diff -r are stable; a cold tar costs one detail per certificate
d0=$(audit_count GetUserCertificateDetail)
tar -C "$MNT" -cf "$T/a.tar" certificates 2>"$T/tar.err" || fail "tar: $(cat "$T/tar.err")"
expect_eq "$(($(audit_count GetUserCertificateDetail) - d0))" "$total" "cold tar: details"
tar -C "$MNT" -cf "$T/b.tar" certificates
cmp -s "$T/a.tar" "$T/b.tar" || fail "tar of certificates/ is not stable"
rsync -a "$C/" "$T/r1/" && rsync -a "$C/" "$T/r2/" || fail "rsync -a"
diff -r "$T/r1" "$T/r2" >/dev/null || fail "rsync -a of certificates/ is not stable"
diff -r "$C" "$T/r1" >/dev/null || fail "diff -r of the mount and its copy"

# without allow_delete: EPERM, nothing sent
expect_fail "Operation not permitted" rm -r "$C/live2.example"
expect_fail "Operation not permitted" rm "$C/expired/old1.example"
expect_eq "$(audit_count DeleteUserCertificate)" 0 "without allow_delete: DeleteUserCertificate"

remount_casfs allow_delete
# in use: EBUSY naming the product, nothing sent
expect_fail "Device or resource busy" rm -r "$C/live1.example"
tail -1 "$MNT/.cas/errors" | grep -q SLB || fail "in use: the record does not name the product: $(tail -1 "$MNT/.cas/errors")"
# an issued certificate backing an instance: refused, nothing sent
issued=$(jq -r 'select(.CertificateSource == "BUY" and .InstanceId != "" and .NotAfter > '"$now"') | .Directory' "$MNT/certificates.jsonl" | head -1)
if [ -n "$issued" ]; then
	expect_fail "Operation not permitted" rmdir "$C/$issued"
	tail -1 "$MNT/.cas/errors" | grep -q "paid instance" || fail "issued: $(tail -1 "$MNT/.cas/errors")"
fi
expect_eq "$(audit_count DeleteUserCertificate)" 0 "refusals: DeleteUserCertificate"
# rm -r of an unused one: exactly one call
rm -r "$C/live2.example"
expect_eq "$(applied DeleteUserCertificate)" 1 "rm -r: DeleteUserCertificate"
expect_absent "$C" live2.example

# the purge: every expired unused one, one call each; the used one stays with a record
expired_n=$(ls "$C/expired" | wc -l)
e0=$(errors_count)
rc=0
find "$C/expired" -mindepth 1 -maxdepth 1 -exec rm -r {} + 2>"$T/purge.err" || rc=$?
[ "$rc" -ne 0 ] || fail "the purge hid the in-use refusal"
expect_eq "$(applied DeleteUserCertificate)" "$((1 + expired_n - 1))" "purge: DeleteUserCertificate applied"
expect_eq "$(audit_count DeleteUserCertificate)" "$((1 + expired_n - 1))" "purge: DeleteUserCertificate sent"
expect_eq "$(ls "$C/expired")" "old2.example" "after the purge"
[ "$(errors_count)" -gt "$e0" ] || fail "purge: no record for the in-use certificate"
exit 0
