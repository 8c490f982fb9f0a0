#!/usr/bin/env bash
# run.sh: the official Node SDK (@alicloud/cas20200407, from the npm
# registry) calls GetUserCertificateDetail on a fresh emulator: a full
# answer, CertFilter=true, and an unknown CertId. Not part of ctest (it
# needs the registry); run it by hand: tests/sdk/run.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: run.sh BUILD_DIR}
D=$(mktemp -d /tmp/casfs-sdk.XXXXXX)
EMU_PID=""
trap '[ -n "$EMU_PID" ] && kill "$EMU_PID"; rm -rf "$D"' EXIT
(cd "$D" && npm install --silent --no-audit --no-fund @alicloud/cas20200407 @alicloud/openapi-client >/dev/null)
"$BUILD/contrib/cas-emulator/cas-emulator" --instances 12 --seed 11 --access-key LTAIsdk:sdksecret >"$D/emu.out" 2>&1 &
EMU_PID=$!
for _ in $(seq 1 100); do grep -q '^listening on ' "$D/emu.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$D/emu.out")
cid=$(curl -sf "$url/_emulator/state" |
	jq '[.instances[] | select(.CertificateId != null and .GenerateCsrMethod == "online")][0].CertificateId')
NODE_PATH=$D/node_modules node "$(dirname "$0")/get_user_certificate_detail.js" "${url#http://}" LTAIsdk sdksecret "$cid" 4242
