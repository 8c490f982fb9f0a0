#!/usr/bin/env bash
# Writes after the instance changed behind the mount's back (the console,
# another mount). A write is compared with the state the mount knows (at most
# ttl old, README "Writing"): writing back the value the mount still shows
# sends nothing; after .cas/refresh the same write is compared with the
# service's latest state and sent. A write to an instance deleted elsewhere
# fails with ENOENT and a record; a CSR written to the csr file is one
# UpdateInstance with GenerateCsrMethod=upload; the written bytes are read
# back only while they still mean the remote state.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 47
mount_casfs ttl=60

mapfile -t ids < <(emu_get state | jq -r '[.instances[] | select(.Status == "normal" and .KeyAlgorithm == "RSA_2048")][0:3][].InstanceId')
[ "${#ids[@]}" -eq 3 ] || fail "need three normal RSA_2048 instances"
id=${ids[0]}
d="$MNT/instances/$id"
upd() { audit_count UpdateInstance ".params.InstanceId == \"$1\""; }

# ---- config: the mount shows City A; elsewhere it became "Behind". Writing A
# is compared with what the mount knows (no call); after .cas/refresh it is sent.
city=$(jq -r .City "$d/config")
name=$(cat "$d/name")
emu_post "instances/$id" '{"City": "Behind", "CertificateName": "behind-name"}'
bash -c 'echo "{\"City\": \"$2\"}" > "$1"' _ "$d/config" "$city" || fail "writing the shown City back"
expect_eq "$(upd "$id")" 0 "UpdateInstance calls for a write equal to the state the mount knows"
expect_eq "$(emu_instance "$id" | jq -r .City)" "Behind" "remote City before the refresh"
echo 1 >"$MNT/.cas/refresh"
expect_eq "$(jq -r .City "$d/config")" "Behind" "config shows the change made elsewhere after .cas/refresh"
bash -c 'echo "{\"City\": \"$2\"}" > "$1"' _ "$d/config" "$city" || fail "writing the old City back"
expect_eq "$(upd "$id")" 1 "UpdateInstance calls after writing the old City back"
expect_eq "$(emu_instance "$id" | jq -r .City)" "$city" "remote City after writing it back"
# ---- a value file: the same (the refresh above already showed behind-name)
expect_eq "$(cat "$d/name")" "behind-name" "name file after the refresh"
bash -c 'echo "$2" > "$1"' _ "$d/name" "$name" || fail "writing the old name back"
expect_eq "$(upd "$id")" 2 "UpdateInstance calls after writing the old name back"
expect_eq "$(emu_instance "$id" | jq -r .CertificateName)" "$name" "remote CertificateName after writing it back"
expect_eq "$(cat "$d/name")" "$name" "name file"
# ---- only the fields that differ from the remote state are sent
prov=$(jq -r .Province "$d/detail")
emu_post "instances/$id" '{"Province": "Elsewhere"}'
echo 1 >"$MNT/.cas/refresh"
expect_eq "$(jq -r .Province "$d/detail")" "Elsewhere" "the mount shows the change after .cas/refresh"
bash -c 'echo "{\"Province\": \"$2\", \"City\": \"$3\"}" > "$1"' _ "$d/config" "$prov" "$city" ||
	fail "writing Province back and City unchanged"
expect_eq "$(upd "$id")" 3 "UpdateInstance calls after writing Province back"
expect_eq "$(jq -c 'select(.action == "UpdateInstance") | .params | del(.InstanceId)' "$AUDIT" | tail -n1)" \
	"{\"Province\":\"$prov\"}" "params of the write (City unchanged is not sent)"
expect_eq "$(emu_instance "$id" | jq -r '.City + "/" + .Province')" "$city/$prov" "remote after writing Province back"

# ---- an instance deleted elsewhere: ENOENT with a record, nothing applied, the directory goes away
gone=${ids[1]}
cat "$MNT/instances/$gone/name" >/dev/null
curl -sf -X DELETE "$EMU_URL/_emulator/instances/$gone" >/dev/null || fail "deleting $gone in the emulator"
expect_fail "No such file or directory" bash -c 'echo new-name > "$1"' _ "$MNT/instances/$gone/name"
rec=$(tail -n1 "$MNT/.cas/errors")
expect_eq "$(jq -r '.errno + " " + .path' <<<"$rec")" "ENOENT /instances/$gone/name" "error record of a write to a deleted instance"
expect_eq "$(applied UpdateInstance)" 3 "applied UpdateInstance after writing a deleted instance"
# the mount learnt that the instance is gone: its listing drops it (readdir is not kernel-cached)
expect_absent "$MNT/instances" "$gone"
expect_fail "No such file or directory" rmdir "$MNT/instances/$gone"
expect_eq "$(applied DeleteInstance)" 0 "applied DeleteInstance of an instance deleted elsewhere"

# ---- csr: a PEM CSR written to the csr file is one call with GenerateCsrMethod=upload
c=${ids[2]}
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=csr-test.example.com" \
	-keyout "$T/k.pem" -out "$T/req.pem" 2>/dev/null || fail "openssl req"
bash -c 'echo "$(cat "$2")" > "$1"' _ "$MNT/instances/$c/csr" "$T/req.pem" || fail "echo of a CSR > csr"
expect_eq "$(upd "$c")" 1 "UpdateInstance calls after writing csr"
expect_eq "$(jq -c 'select(.action == "UpdateInstance") | .params | keys' "$AUDIT" | tail -n1)" \
	'["Csr","GenerateCsrMethod","InstanceId"]' "params of the csr write"
expect_eq "$(jq -c 'select(.action == "UpdateInstance") | .params.GenerateCsrMethod' "$AUDIT" | tail -n1)" '"upload"' "GenerateCsrMethod sent"
remote=$(emu_instance "$c")
expect_eq "$(jq -r .GenerateCsrMethod <<<"$remote")" upload "remote GenerateCsrMethod"
expect_eq "$(jq -r '.Csr | rtrimstr("\n")' <<<"$remote")" "$(cat "$T/req.pem")" "remote Csr"
expect_eq "$(cat "$MNT/instances/$c/csr")" "$(cat "$T/req.pem")" "csr file"
expect_eq "$(jq -r .GenerateCsrMethod "$MNT/instances/$c/config")" upload "config GenerateCsrMethod"
# the same CSR again (cp this time): no call
cp "$T/req.pem" "$MNT/instances/$c/csr" || fail "cp of the same CSR"
expect_eq "$(upd "$c")" 1 "UpdateInstance calls after writing the same CSR again"
# a PEM frame around garbage, and a truncated PEM: refused, no call
printf -- '-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgY3Ny\n-----END CERTIFICATE REQUEST-----\n' >"$T/garbage.pem"
expect_fail "Invalid argument" bash -c 'echo "$(cat "$2")" > "$1"' _ "$MNT/instances/$c/csr" "$T/garbage.pem"
head -n 5 "$T/req.pem" >"$T/trunc.pem"
expect_fail "Invalid argument" bash -c 'cat "$2" | tee "$1" >/dev/null' _ "$MNT/instances/$c/csr" "$T/trunc.pem"
# an ECC key algorithm with the uploaded RSA CSR in place: refused
expect_fail "Invalid argument" bash -c 'echo ECC_256 > "$1"' _ "$MNT/instances/$c/key_algorithm"
expect_eq "$(upd "$c")" 1 "UpdateInstance calls after bad CSR writes"
expect_eq "$(cat "$MNT/instances/$c/csr")" "$(cat "$T/req.pem")" "csr file after bad CSR writes"

# ---- written bytes are shown while they still mean the remote state, and
# never outlive .cas/refresh (afterwards config is the full canonical state)
m=${ids[2]}
cfg="$MNT/instances/$m/config"
bash -c 'echo "{\"City\": \"Mine\"}" > "$1"' _ "$cfg" || fail "echo > config"
expect_eq "$(cat "$cfg")" '{"City": "Mine"}' "config reads back the written bytes"
emu_post "instances/$m" '{"Province": "Unrelated"}' # another field changes elsewhere
expect_eq "$(cat "$cfg")" '{"City": "Mine"}' "config within the ttl after an unrelated change elsewhere"
echo 1 >"$MNT/.cas/refresh"
cmp <(cat "$cfg") <(jq -S . "$cfg") || fail "config is not the canonical rendering after .cas/refresh"
expect_eq "$(jq -r '.City + " " + .Province' "$cfg")" "Mine Unrelated" "City and Province after .cas/refresh"
emu_post "instances/$m" '{"City": "Theirs"}' # the written field changes elsewhere
echo 1 >"$MNT/.cas/refresh"
expect_eq "$(jq -r .City "$cfg")" Theirs "config after the written field changed elsewhere"
echo PASS
