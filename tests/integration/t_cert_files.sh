#!/usr/bin/env bash
# Certificates as files, at default options and with -o keys:
# - cert.pem/chain.pem/fullchain.pem exist exactly for instances with a
#   CertificateId; openssl shows the instance's domains as SANs and its
#   not_after, and verifies the leaf against the emulator's root + chain.pem;
# - key.pem exists only with -o keys, mode 0400, matches cert.pem (public
#   keys compared), is empty for an uploaded CSR; no key bytes in the logs,
#   the audit log or .cas/*;
# - a cold tar makes N GetInstanceDetail + one GetUserCertificateDetail per
#   issued instance and nothing else per instance; a warm tar makes none;
# - by-expiry/ agrees with CertificateNotAfter against the service clock and
#   moves when that clock is shifted; instances.jsonl is one canonical line
#   per instance at no call beyond the list.
source "$(dirname "$0")/lib.sh"
N=24
start_emulator --instances $N --seed 11 --latency-ms 5
emu_get ca.pem >"$T/root.pem"
grep -q "BEGIN CERTIFICATE" "$T/root.pem" || fail "/_emulator/ca.pem is not a certificate"
# the CA comes from --seed: the same seed gives the same root, another seed another
root_of_seed() { # seed -> the root PEM of a fresh emulator with that seed
	local out=$T/emu-$1.out pid url=""
	"$EMU_BIN" --seed "$1" --instances 1 --access-key "$AK:$SK" >"$out" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do url=$(sed -n 's/^listening on //p' "$out"); [ -n "$url" ] && break; sleep 0.05; done
	curl -sf "$url/_emulator/ca.pem"
	stop_pid "$pid"
}
root_of_seed 11 | cmp -s - "$T/root.pem" || fail "two emulators with --seed 11 have different roots"
root_of_seed 12 | cmp -s - "$T/root.pem" && fail "emulators with --seed 11 and 12 have the same root"
# cover every key kind: an SM2 dual certificate, ECC and RSA-3072 keys
i=0
for alg in SM2 ECC_256 RSA_3072; do
	id=$(emu_get state | jq -r --argjson i $i '[.instances[] | select(.CertificateId != null and .Status == "normal" and
		.GenerateCsrMethod == "online")][$i].InstanceId')
	emu_post "instances/$id" "{\"KeyAlgorithm\": \"$alg\"}"
	i=$((i + 1))
done
emu_get state >"$T/state.json"
jq -r '.instances[] | select(.CertificateId != null) | .InstanceId' "$T/state.json" | sort >"$T/issued"
ISSUED=$(wc -l <"$T/issued")
[ "$ISSUED" -ge 5 ] || fail "the data set has too few issued certificates ($ISSUED)"

# ---- default options: no key.pem anywhere; a cold tar's calls are exact ----
mount_casfs ttl=600
ls "$MNT/instances" >/dev/null
# (a readdir costs no call; a stat of a certificate file fetches it, like detail)
for id in $(ls "$MNT/instances"); do
	pems=$(ls "$MNT/instances/$id" | { grep '\.pem$' || true; } | tr '\n' ' ')
	if grep -qx "$id" "$T/issued"; then
		expect_eq "$pems" "cert.pem chain.pem fullchain.pem " "$id: certificate files without -o keys"
	else
		expect_eq "$pems" "" "$id: certificate files of an instance without a certificate"
	fi
	[ -e "$MNT/instances/$id/key.pem" ] && fail "$id/key.pem exists without -o keys"
done
expect_fail "No such file" cat "$MNT/instances/$(head -1 "$T/issued")/key.pem"
expect_eq "$(audit_count GetUserCertificateDetail)" "0" "certificate calls of readdir and key.pem lookups"
rc=0
tar -cf "$T/a.tar" -C "$MNT" . 2>"$T/tar.err" || rc=$?
expect_eq "$rc" "0" "tar exit status ($(head -3 "$T/tar.err"))"
[ -s "$T/tar.err" ] && fail "tar wrote to stderr: $(head -5 "$T/tar.err")"
expect_eq "$(audit_count GetInstanceDetail)" "$N" "GetInstanceDetail calls of a cold tar"
expect_eq "$(audit_count GetUserCertificateDetail)" "$ISSUED" "GetUserCertificateDetail calls of a cold tar"
expect_eq "$(jq -r 'select(.action == "GetUserCertificateDetail") | .params.CertId' "$AUDIT" | sort -u | wc -l)" \
	"$ISSUED" "distinct certificates fetched"
expect_eq "$(audit_count GetUserCertificateDetail '.status != 200')" "0" "failed certificate calls"
expect_eq "$(tar -tf "$T/a.tar" | grep -v 'certificates/' | grep -c '/fullchain.pem$')" "$ISSUED" "fullchain.pem files in the archive"
tar -tf "$T/a.tar" | grep -q 'key.pem$' && fail "the archive holds a key.pem without -o keys"
tar -cf "$T/b.tar" -C "$MNT" . 2>"$T/tar2.err" || fail "second tar failed"
expect_eq "$(audit_count GetUserCertificateDetail)" "$ISSUED" "certificate calls after a warm tar"
cmp -s "$T/a.tar" "$T/b.tar" || fail "two tars of an unchanged tree differ"
log "cold tar: $N details + $ISSUED certificates; calls in all: $(jq -s length "$AUDIT")"

# what openssl sees agrees with the list
for id in $(cat "$T/issued"); do
	d=$MNT/instances/$id
	when=() # an expired certificate is verified as of its validity period
	[ "$(date -u -d "$(cat "$d/not_after")" +%s)" -le "$(date +%s)" ] && when=(-no_check_time)
	openssl verify "${when[@]}" -CAfile "$T/root.pem" -untrusted "$d/chain.pem" "$d/cert.pem" >/dev/null 2>&1 ||
		fail "$id: openssl verify failed: $(openssl verify "${when[@]}" -CAfile "$T/root.pem" -untrusted "$d/chain.pem" "$d/cert.pem" 2>&1)"
	want=$(tr ',' '\n' <"$d/domain" | sed '/^$/d' | sort | tr '\n' ' ')
	got=$(openssl x509 -noout -ext subjectAltName -in "$d/cert.pem" | tail -n +2 | tr ',' '\n' |
		sed 's/^ *DNS://' | sed '/^$/d' | sort | tr '\n' ' ')
	expect_eq "$got" "$want" "$id: SANs of cert.pem"
	openssl x509 -noout -text -in "$d/cert.pem" | grep -qF "DNS:$(cut -d, -f1 <"$d/domain")" ||
		fail "$id: openssl x509 -text does not show the domain"
	na=$(date -u -d "$(openssl x509 -noout -enddate -in "$d/cert.pem" | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)
	expect_eq "$na" "$(cat "$d/not_after")" "$id: notAfter of cert.pem"
	cat "$d/cert.pem" "$d/chain.pem" | cmp -s - "$d/fullchain.pem" || fail "$id: fullchain.pem is not cert + chain"
	expect_eq "$(grep -c 'BEGIN CERTIFICATE' "$d/cert.pem")" "1" "$id: blocks in cert.pem"
done

# ---- -o keys, cold, while certificate calls fail now and then (retried) ----
remount_casfs ttl=600,keys
emu_post faults "500=0.3@GetUserCertificateDetail#4,429=0.3@GetUserCertificateDetail#3,reset=0.2@GetUserCertificateDetail#2"
checked=0
for id in $(cat "$T/issued"); do
	d=$MNT/instances/$id
	[ -f "$d/key.pem" ] || fail "$id/key.pem missing with -o keys"
	expect_eq "$(stat -c %a "$d/key.pem")" "400" "$id: mode of key.pem"
	if [ -s "$d/csr" ]; then
		expect_eq "$(stat -c %s "$d/key.pem")" "0" "$id: key.pem of an uploaded CSR (the service has no key)"
		continue
	fi
	a=$(openssl pkey -pubout -in "$d/key.pem" 2>&1) || fail "$id: key.pem does not parse: $a"
	b=$(openssl x509 -noout -pubkey -in "$d/cert.pem")
	expect_eq "$a" "$b" "$id: public key of key.pem vs cert.pem"
	# a distinctive line of the key must not appear anywhere casfs writes
	sed -n 3p "$d/key.pem" >>"$T/key-lines"
	checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || fail "too few keys checked ($checked)"
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null
[ "$(audit_count GetUserCertificateDetail '.status != 200 or .fault != null')" -ge 1 ] || fail "no fault fired"
expect_eq "$(audit_count GetUserCertificateDetail '.status == 200 and .fault == null')" "$((2 * ISSUED))" \
	"successful certificate calls (one per issued instance per mount)"
for f in "$T/casfs.log" "$T/emu.err" "$AUDIT" "$MNT/.cas/stats" "$MNT/.cas/errors"; do
	grep -qFf "$T/key-lines" "$f" && fail "key bytes found in $f"
	grep -q "PRIVATE KEY" "$f" && fail "a private key marker found in $f"
done
# nor on disk: the state database (under $HOME) never holds a key
grep -rqaFf "$T/key-lines" "$T/home" && fail "key bytes found under the state directory"
grep -rqa "PRIVATE KEY" "$T/home" && fail "a private key marker found under the state directory"

# ---- by-expiry: agrees with the service clock, moves when it moves ----
check_expiry() {
	local now w days want got
	now=$(emu_get clock | jq .now_ms)
	for w in expired 7d 30d 90d; do
		days=${w%d}
		[ "$w" = expired ] && days=0
		want=$(jq -r --argjson now "$now" --argjson d "$days" '.instances[] | select(.CertificateNotAfter != null) |
			select(if $d == 0 then .CertificateNotAfter <= $now
			       else .CertificateNotAfter > $now and .CertificateNotAfter <= $now + $d * 86400000 end) |
			.InstanceId' "$T/state.json" | sort | tr '\n' ' ')
		got=$(ls "$MNT/by-expiry/$w" | sort | tr '\n' ' ')
		expect_eq "$got" "$want" "by-expiry/$w ($1)"
		for id in $got; do
			expect_eq "$(readlink "$MNT/by-expiry/$w/$id")" "../../instances/$id" "link target"
			[ -f "$MNT/by-expiry/$w/$id/not_after" ] || fail "by-expiry/$w/$id does not resolve"
		done
	done
}
expect_eq "$(ls "$MNT/by-expiry" | tr '\n' ' ')" "30d 7d 90d expired " "by-expiry windows"
check_expiry "now"
before=$(ls "$MNT/by-expiry/expired" | wc -l)
emu_post clock '{"offset_ms": 3456000000}' # 40 days on
echo 1 >"$MNT/.cas/refresh"
check_expiry "40 days on"
after=$(ls "$MNT/by-expiry/expired" | wc -l)
[ "$after" -gt "$before" ] || fail "by-expiry/expired did not grow after the clock moved 40 days ($before -> $after)"
emu_post clock '{"offset_ms": 0}'

# ---- instances.jsonl: one canonical line per instance, no extra call ----
remount_casfs ttl=600
: >"$AUDIT"
cp "$MNT/instances.jsonl" "$T/i.jsonl"
expect_eq "$(wc -l <"$T/i.jsonl")" "$N" "lines of instances.jsonl"
jq -S -c . "$T/i.jsonl" | cmp -s - "$T/i.jsonl" || fail "instances.jsonl is not canonical (jq -S -c)"
expect_eq "$(jq -r .InstanceId "$T/i.jsonl" | tr '\n' ' ')" "$(ls "$MNT/instances" | tr '\n' ' ')" "ids of instances.jsonl"
expect_eq "$(jq -s length "$AUDIT")" "$(audit_count ListInstances)" "calls of instances.jsonl beyond the list"
jq -r '[.InstanceId, .Status, .CertificateNotAfter // ""] | @csv' "$T/i.jsonl" >/dev/null || fail "jq @csv failed"
# a change seen when the ttl runs out reaches instances.jsonl, size included
remount_casfs ttl=1
cat "$MNT/instances.jsonl" >/dev/null
id=$(head -1 "$T/issued")
emu_post "instances/$id" '{"CertificateName": "renamed-for-jsonl"}'
sleep 2.5
cat "$MNT/instances.jsonl" >"$T/j2"
expect_eq "$(jq -r --arg id "$id" 'select(.InstanceId == $id) | .CertificateName' "$T/j2")" "renamed-for-jsonl" \
	"instances.jsonl after the ttl"
expect_eq "$(stat -c %s "$MNT/instances.jsonl")" "$(stat -c %s "$T/j2")" "st_size of instances.jsonl after a change"
echo PASS
