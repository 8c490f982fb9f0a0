#!/usr/bin/env bash
# The certificate store's uploads by writing files: the four
# workflows (certbot deploy hook, cp -rL of a live directory in any order,
# atomic publish through a scratch directory, Ansible copy) each make exactly
# one UploadUserCertificate carrying the whole chain, and a second run makes
# no call at all; a renewal into the same name is one more upload (the
# lineage shows the newest); a duplicate by fingerprint costs nothing; a bad
# key, a chain in the wrong order, an encrypted key and non-PEM text are
# EINVAL with a record and no call, through bash cp and Python; a taken
# Name is EEXIST.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
start_emulator --instances 4 --seed 19
mount_casfs
C=$MNT/certificates
ls "$C" >/dev/null

# the uploaded Cert is the whole chain (leaf + intermediate) of the live directory
expect_chain() { # Name live-dir
	local got
	got=$(jq -c --arg n "$1" 'select(.action == "UploadUserCertificate" and .params.Name == $n) | .params.Cert' "$AUDIT" | head -1)
	[ -n "$got" ] || got=$(store_entry "$1" | jq -c .Cert)
	[ "$(jq -r . <<<"$got" | grep -c 'BEGIN CERTIFICATE')" = 2 ] || fail "$1: the upload did not carry the whole chain"
}

# ---- 1. certbot deploy hook: mkdir + cp fullchain.pem privkey.pem
make_live "$T/live/hook.example" hook.example
RENEWED_LINEAGE=$T/live/hook.example
u0=$(uploads)
mkdir -p "$C/hook.example"
cp "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" "$C/hook.example/"
expect_eq "$(($(uploads) - u0))" 1 "deploy hook: UploadUserCertificate calls"
[ "$(store_entry hook.example | jq -r .Name)" = hook.example ] || fail "deploy hook: not stored under its name"
expect_chain hook.example
ls -lR "$C" >/dev/null # what an upload invalidated (the list, the new detail): read once
n0=$(calls)
mkdir -p "$C/hook.example"
cp "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" "$C/hook.example/"
expect_eq "$(($(calls) - n0))" 0 "deploy hook run again: calls"
sleep 2.3 # settled: the directory shows the stored certificate
expect_eq "$(cat "$C/hook.example/fingerprint")" "$(fp_of "$RENEWED_LINEAGE/cert.pem")" "deploy hook: fingerprint"
cmp -s "$C/hook.example/fullchain.pem" "$RENEWED_LINEAGE/fullchain.pem" || fail "deploy hook: fullchain.pem differs"
expect_absent "$C/hook.example" privkey.pem
ls -lR "$C" >/dev/null # what an upload invalidated (the list, the new detail): read once
n0=$(calls)
cp "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" "$C/hook.example/"
expect_eq "$(($(calls) - n0))" 0 "deploy hook run again after it settled: calls"
# the key matched the stored certificate: kept as an empty receipt (its bytes
# wiped) while the directory settles, then gone
expect_eq "$(stat -c %s "$C/hook.example/privkey.pem")" 0 "the key's receipt: size"
sleep 2.3
expect_absent "$C/hook.example" privkey.pem

# a renewal through the same hook: one upload; the name shows the newest
old_id=$(cat "$C/hook.example/id")
make_live "$T/renew/hook.example" hook.example "$(($(date +%s) * 1000))"
RENEWED_LINEAGE=$T/renew/hook.example
u0=$(uploads)
mkdir -p "$C/hook.example"
cp "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" "$C/hook.example/"
expect_eq "$(($(uploads) - u0))" 1 "renewal: UploadUserCertificate calls"
new_name=$(jq -r 'select(.action == "UploadUserCertificate") | .params.Name' "$AUDIT" | tail -1)
[[ $new_name == hook.example~* ]] || fail "renewal: uploaded as '$new_name', not in the lineage"
expect_eq "$(cat "$C/hook.example/fingerprint")" "$(fp_of "$RENEWED_LINEAGE/cert.pem")" "renewal: the name shows the newest"
expect_present "$C" "hook.example~$old_id"
expect_eq "$(readlink "$C/by-id/$old_id")" "../hook.example~$old_id" "by-id of the older upload"
ls -lR "$C" >/dev/null # what an upload invalidated (the list, the new detail): read once
n0=$(calls)
cp "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" "$C/hook.example/"
expect_eq "$(($(calls) - n0))" 0 "renewal run again: calls"

# ---- 2. cp -rL of a live directory, the files in several orders
for order in "cert.pem chain.pem privkey.pem fullchain.pem README" "privkey.pem README fullchain.pem cert.pem chain.pem" \
	"README chain.pem cert.pem privkey.pem fullchain.pem"; do
	i=$((${i:-0} + 1))
	src=$T/live/cp$i.example
	make_live "$src" "cp$i.example"
	# a directory listing in exactly this order: files created in it one by one
	# (ext4 and tmpfs list in creation order for small directories is not
	# guaranteed: copy file by file as cp -r would, in this order)
	u0=$(uploads)
	mkdir "$C/cp$i.example"
	for f in $order; do cp -L "$src/$f" "$C/cp$i.example/$f" || fail "cp of $f (order $order)"; done
	expect_eq "$(($(uploads) - u0))" 1 "order '$order': UploadUserCertificate calls"
	expect_chain "cp$i.example"
done
make_live "$T/live/cpr.example" cpr.example
u0=$(uploads)
cp -rL "$T/live/cpr.example" "$C/cpr.example"
expect_eq "$(($(uploads) - u0))" 1 "cp -rL: UploadUserCertificate calls"
expect_chain cpr.example
sleep 2.3
ls -lR "$C" >/dev/null # what an upload invalidated (the list, the new detail): read once
n0=$(calls)
cp -rLT "$T/live/cpr.example" "$C/cpr.example"
expect_eq "$(($(calls) - n0))" 0 "cp -rLT again: calls"

# ---- 3. atomic publish: a scratch directory, then mv
make_live "$T/live/pub.example" pub.example
u0=$(uploads)
mkdir "$C/.tmp-pub"
cp "$T/live/pub.example/fullchain.pem" "$T/live/pub.example/privkey.pem" "$C/.tmp-pub/"
expect_eq "$(($(uploads) - u0))" 0 "publish: nothing before the rename"
mv -T "$C/.tmp-pub" "$C/pub.example"
expect_eq "$(($(uploads) - u0))" 1 "publish: UploadUserCertificate calls"
expect_chain pub.example
expect_absent "$C" .tmp-pub
ls -lR "$C" >/dev/null # what an upload invalidated (the list, the new detail): read once
n0=$(calls)
mkdir "$C/.tmp-pub2"
cp "$T/live/pub.example/fullchain.pem" "$T/live/pub.example/privkey.pem" "$C/.tmp-pub2/"
mv -T "$C/.tmp-pub2" "$C/pub.example" || fail "publish again"
expect_eq "$(($(calls) - n0))" 0 "publish again: calls"
# an incomplete publish fails and is undone
make_live "$T/live/half.example" half.example
mkdir "$C/.tmp-half"
cp "$T/live/half.example/fullchain.pem" "$C/.tmp-half/"
expect_fail "" rename "$C/.tmp-half" "$C/half.example"
expect_present "$C" .tmp-half

# ---- 4. Ansible copy of the two files into a new directory
if command -v ansible >/dev/null; then
	make_live "$T/live/ans.example" ans.example
	u0=$(uploads)
	ANSIBLE_LOCAL_TEMP=$T/ansible ANSIBLE_NOCOLOR=1 ansible localhost -c local -i localhost, -m file \
		-a "path=$C/ans.example state=directory" >"$T/ans0.out" 2>&1 || fail "ansible file: $(cat "$T/ans0.out")"
	for f in fullchain.pem privkey.pem; do
		ANSIBLE_LOCAL_TEMP=$T/ansible ANSIBLE_NOCOLOR=1 ansible localhost -c local -i localhost, -m copy \
			-a "src=$T/live/ans.example/$f dest=$C/ans.example/$f" >"$T/ans.out" 2>&1 ||
			fail "ansible copy $f: $(cat "$T/ans.out")"
	done
	expect_eq "$(($(uploads) - u0))" 1 "ansible: UploadUserCertificate calls"
	expect_chain ans.example
	sleep 2.3
	ls -lR "$C" >/dev/null # what an upload invalidated (the list, the new detail): read once
n0=$(calls)
	# the key is not readable back without -o keys, so Ansible cannot compare it: the
	# idempotent rerun compares fullchain.pem (a new key comes with a new certificate)
	for f in fullchain.pem; do
		ANSIBLE_LOCAL_TEMP=$T/ansible ansible localhost -c local -i localhost, -m copy \
			-a "src=$T/live/ans.example/$f dest=$C/ans.example/$f" >"$T/ans.out" 2>&1 ||
			fail "ansible copy again $f: $(cat "$T/ans.out")"
	done
	expect_eq "$(($(calls) - n0))" 0 "ansible again: calls"
fi

# ---- duplicates: the same certificate into another name costs nothing, and shows it
ls -lR "$C" >/dev/null # what an upload invalidated (the list, the new detail): read once
n0=$(calls)
mkdir "$C/dup.example"
cp "$T/live/pub.example/fullchain.pem" "$T/live/pub.example/privkey.pem" "$C/dup.example/"
expect_eq "$(($(calls) - n0))" 0 "duplicate: calls"
sleep 2.3
expect_eq "$(cat "$C/dup.example/fingerprint")" "$(fp_of "$T/live/pub.example/cert.pem")" "duplicate: shown"

# ---- errors: each EINVAL locally, with a record, no call
make_live "$T/bad" bad.example
make_live "$T/other" other.example
openssl pkey -in "$T/bad/privkey.pem" -aes256 -passout pass:x -out "$T/enc.pem" 2>/dev/null
cat "$T/bad/chain.pem" "$T/bad/cert.pem" >"$T/reversed.pem"
echo "not a certificate" >"$T/junk.pem"
try_cp() { # what dir fullchain key
	local e0 n0
	e0=$(errors_count)
	n0=$(uploads)
	mkdir -p "$C/$2" "$T/src-$2"
	cp "$3" "$T/src-$2/fullchain.pem"
	cp "$4" "$T/src-$2/privkey.pem"
	expect_fail "Invalid argument" cp "$T/src-$2/fullchain.pem" "$T/src-$2/privkey.pem" "$C/$2/"
	expect_eq "$(($(uploads) - n0))" 0 "$1 (cp): UploadUserCertificate calls"
	[ "$(errors_count)" -gt "$e0" ] || fail "$1 (cp): no record in .cas/errors"
	tail -1 "$MNT/.cas/errors" | jq -e '.path | startswith("/certificates/")' >/dev/null || fail "$1: record $(tail -1 "$MNT/.cas/errors")"
}
try_cp "wrong key" e1.example "$T/bad/fullchain.pem" "$T/other/privkey.pem"
try_cp "chain first" e2.example "$T/reversed.pem" "$T/bad/privkey.pem"
try_cp "encrypted key" e3.example "$T/bad/fullchain.pem" "$T/enc.pem"
try_cp "non-PEM" e4.example "$T/junk.pem" "$T/bad/privkey.pem"
# through Python: close() raises EINVAL
n0=$(uploads)
python3 - "$C" "$T" <<'PY' || fail "python: $?"
import errno, os, sys
c, t = sys.argv[1], sys.argv[2]
os.mkdir(os.path.join(c, "py.example"))
for src, dst in ((t + "/bad/fullchain.pem", "fullchain.pem"), (t + "/other/privkey.pem", "privkey.pem")):
    data = open(src, "rb").read()
    try:
        with open(os.path.join(c, "py.example", dst), "wb") as f:
            f.write(data)
    except OSError as e:
        assert e.errno == errno.EINVAL, e
        assert dst == "privkey.pem"
        break
else:
    sys.exit("no EINVAL")
PY
expect_eq "$(($(uploads) - n0))" 0 "python: UploadUserCertificate calls"

# a taken Name (another client uploaded it since the list was cached): EEXIST from the service
emu_post store '{"Name":"taken.example","CommonName":"taken.example"}'
make_live "$T/taken" taken.example
mkdir "$C/taken.example"
expect_fail "File exists" cp "$T/taken/fullchain.pem" "$T/taken/privkey.pem" "$C/taken.example/"
tail -1 "$MNT/.cas/errors" | grep -q NameRepeat || fail "taken name: record $(tail -1 "$MNT/.cas/errors")"

grep -q "PRIVATE KEY" "$T/casfs.log" && fail "a private key in the casfs log"
exit 0
