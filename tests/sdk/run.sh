#!/usr/bin/env bash
# run.sh: the official Node SDK (@alicloud/cas20200407, from the npm
# registry) against a fresh emulator: GetUserCertificateDetail (a full
# answer, CertFilter=true, an unknown CertId) and the certificate store
# (store.js: upload, NameRepeat, both listings, detail, delete). ctest runs it
# as sdk.node; it skips (77) when node or npm is missing or the registry is
# unreachable. By hand: tests/sdk/run.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR}
command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm missing"; exit 77; }
D=$(mktemp -d /tmp/casfs-sdk.XXXXXX)
EMU_PID=""
trap '[ -n "$EMU_PID" ] && kill "$EMU_PID"; rm -rf "$D"' EXIT
if ! (cd "$D" && timeout 180 npm install --silent --no-audit --no-fund @alicloud/cas20200407 @alicloud/openapi-client \
	@alicloud/tea-util >/dev/null 2>&1); then
	echo "SKIP: the npm registry is unreachable"
	exit 77
fi
"$BUILD/contrib/cas-emulator/cas-emulator" --instances 12 --seed 11 --access-key LTAIsdk:sdksecret >"$D/emu.out" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$D/emu.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$D/emu.out")
cid=$(curl -sf "$url/_emulator/state" |
	jq '[.instances[] | select(.CertificateId != null and .GenerateCsrMethod == "online")][0].CertificateId')
NODE_PATH=$D/node_modules node "$(dirname "$0")/get_user_certificate_detail.js" "${url#http://}" LTAIsdk sdksecret "$cid" 4242
# the store: an expired upload so that the EXPIRED listing has one, then store.js
curl -sf -XPOST "$url/_emulator/store" -d '{"Name":"sdk-expired","NotBefore":1500000000000,"NotAfter":1600000000000}' >/dev/null
leaf=$(curl -sf -XPOST "$url/_emulator/leaf" -d '{"CommonName":"sdk.example.com"}')
out=$(NODE_PATH=$D/node_modules node "$(dirname "$0")/store.js" "${url#http://}" LTAIsdk sdksecret \
	"$(jq -r .Cert <<<"$leaf")" "$(jq -r .Key <<<"$leaf")")
echo "$out"
# every answer parsed, with the types of the models
jq -se '.[0].certIdType == "number" and .[1].code == "NameRepeat" and .[2].name == "sdk-up" and .[2].upload == true
	and .[2].expiredTotal >= 1 and .[3].idType == "string" and .[3].notAfterType == "number"
	and .[3].sans == ["sdk.example.com"] and .[3].source == "UPLOAD" and .[4].sameCert and .[4].hasKey
	and .[5].status == 200' <<<"$out" >/dev/null || { echo "FAIL: unexpected SDK results"; exit 1; }
# the audit log is the oracle: exactly one applied upload and one applied delete
state=$(curl -sf "$url/_emulator/state")
jq -e '.counters.UploadUserCertificate == 2 and .counters.DeleteUserCertificate == 1 and (.store | length) == 1' \
	<<<"$state" >/dev/null || { echo "FAIL: counters $(jq -c .counters <<<"$state")"; exit 1; }
echo "PASS"
