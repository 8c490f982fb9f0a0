#!/usr/bin/env bash
# seeds.sh: regenerates corpus/<harness>/ from the emulator: its list,
# cloud-access and private-CA objects wrapped as the API wraps them, real
# error bodies (unsigned and wrongly signed requests), and what a casfs
# mount renders (detail, config, tags, csr, summary, entries), plus paths,
# queries, CSRs and profile files. Needs a normal build:
#   CASFS_BUILD=build tests/fuzz/seeds.sh
source "$(dirname "$0")/../integration/lib.sh"
C=$(cd "$(dirname "$0")" && pwd)/corpus
rm -rf "$C"
mkdir -p "$C"/{fuzz_json,fuzz_response,fuzz_query,fuzz_csr,fuzz_profile,fuzz_path,fuzz_write}
start_emulator --instances 6 --cloud-access 2 --private-ca 2 --seed 7
mount_casfs
emu_get state >"$T/state"
# response bodies: first byte 0 = list, 1 = entries, 2 = document, 3 = error
body() { { printf "\\x$1"; cat; } >"$C/fuzz_response/$2"; }
jq -c '{RequestId: "R", TotalCount: (.instances | length), CurrentPage: 1, ShowSize: 50, InstanceList: .instances}' \
	"$T/state" | body 00 list
jq -c '{RequestId: "R", TotalCount: (.cloud_access | length), CloudAccessList: .cloud_access}' "$T/state" | body 01 access
jq -c '{RequestId: "R", InstanceStatusList: .private_ca}' "$T/state" | body 01 ca
jq -c '.instances[0] + {RequestId: "R"}' "$T/state" | body 02 detail
curl -s "$EMU_URL/?Action=ListInstances" | body 03 error-unsigned
curl -s -X POST "$EMU_URL/?Action=NoSuchAction&AccessKeyId=$AK" | body 03 error-action
for f in detail config tags csr; do cp "$MNT/instances/$(ls "$MNT/instances" | head -1)/$f" "$C/fuzz_json/$f"; done
cp "$MNT/summary" "$C/fuzz_json/summary"
for f in "$MNT"/cloud-access/[0-9]* "$MNT"/private-ca/*; do cp "$f" "$C/fuzz_json/$(basename "$f")"; done
jq -c . "$T/state" >"$C/fuzz_json/state"
# write buffers: byte 0 picks the instance, byte 1 the file (config tags csr domain name auto_reissue refund)
w() { { printf "\\x00\\x$1"; cat; } >"$C/fuzz_write/$2"; }
w 00 config-empty </dev/null
printf '{"City": "Hangzhou"}\n' | w 00 config-city
printf '{"Tags": [{"TagKey": "env", "TagValue": "prod"}]}' | w 00 config-tags
printf 'env=prod\nteam=pki\n' | w 01 tags
printf 'example.com\n' | w 03 domain
printf 'yes\n' | w 06 refund
csr=$(jq -r '[.instances[] | select(.Csr != null and .Csr != "")][0].Csr // empty' "$T/state")
[ -n "$csr" ] && printf '%s\n' "$csr" | w 02 csr && printf '%s\n' "$csr" >"$C/fuzz_csr/emulator.csr"
openssl req -new -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=example.com 2>/dev/null >"$C/fuzz_csr/rsa2048.csr"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null -subj /CN=example.com \
	2>/dev/null >"$C/fuzz_csr/ecc256.csr"
# paths (without the leading /), as FUSE sends them
id=$(ls "$MNT/instances" | head -1)
for p in "" instances "instances/$id" "instances/$id/config" "instances/$id/vim.swp" by-status/normal \
	"by-status/normal/$id" summary cloud-access cloud-access/new private-ca .cas .cas/stats .cas/errors; do
	printf '%s' "$p" >"$C/fuzz_path/$(echo "${p:-root}" | tr '/.' '__')"
done
# queries, as the emulator's verifier receives them
printf 'Action=ListInstances&Format=JSON&Version=2020-04-07&SignatureNonce=abc%%20def&Tags.1.TagKey=a%%2Bb+c' \
	>"$C/fuzz_query/list"
printf 'AccessKeyId=LTAI&Signature=a%%2Fb%%3D&Timestamp=2025-01-15T08%%3A30%%3A00Z' >"$C/fuzz_query/v2"
# profile files
jq -n '{current: "default", profiles: [{name: "default", mode: "AK", access_key_id: "LTAI", access_key_secret: "s",
	region_id: "cn-hangzhou"}, {name: "x", mode: "StsToken", access_key_id: "STS", access_key_secret: "s",
	sts_token: "t"}, {name: "b", mode: "BearerToken", bearer_token: "tok"}]}' >"$C/fuzz_profile/aliyun.json"
echo "seeds written to $C: $(find "$C" -type f | wc -l) files"
