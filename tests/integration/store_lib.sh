# store_lib.sh: helpers of the certificate-store tests (sourced after lib.sh).

# make_live DIR [CN] [NotBefore ms]: a certbot live directory (cert.pem, chain.pem,
# fullchain.pem, privkey.pem, README) with a fresh leaf the emulator's CA signed
make_live() {
	local dir=$1 cn=${2:-example.com} nb=${3:-}
	mkdir -p "$dir"
	local body="{\"CommonName\":\"$cn\"${nb:+,\"NotBefore\":$nb}}"
	curl -sf -X POST --data-binary "$body" "$EMU_URL/_emulator/leaf" >"$dir/.leaf.json"
	jq -j .Cert "$dir/.leaf.json" | sed "/^$/d" >"$dir/fullchain.pem"
	jq -j .Key "$dir/.leaf.json" | sed "/^$/d" >"$dir/privkey.pem"
	rm -f "$dir/.leaf.json"
	# the leaf, then the rest
	awk '/BEGIN CERT/{n++} n==1' "$dir/fullchain.pem" >"$dir/cert.pem"
	awk '/BEGIN CERT/{n++} n>=2' "$dir/fullchain.pem" >"$dir/chain.pem"
	echo "This directory contains your keys and certificates." >"$dir/README"
}

# fp_of PEM: the leaf's SHA-1 fingerprint as the store shows it (upper hex, no colons)
fp_of() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }

# uploads: UploadUserCertificate requests so far; calls: every API request
uploads() { audit_count UploadUserCertificate; }
calls() { wc -l <"$AUDIT"; }

# store_cert_of NAME: the store's (emulator state) entry uploaded under Name
store_entry() { emu_get store | jq -c --arg n "$1" '[.[] | select(.Name == $n)][0]'; }
