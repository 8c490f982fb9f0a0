#!/usr/bin/env bash
# Writes with bash's builtin echo (which ignores close(2) errors): a valid change
# is committed inside write(2) as exactly one UpdateInstance carrying only the
# changed field, and shows in detail and the value files; the same echo again
# costs nothing; every bad input fails the echo itself with zero calls, a
# record in .cas/errors, and the old content still readable.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 11
mount_casfs

# a normal RSA_2048 instance with AutoReissue enabled and an online CSR
id=$(first_instance '.Status == "normal" and .KeyAlgorithm == "RSA_2048" and .AutoReissue == "enable" and .GenerateCsrMethod == "online"')
[ "$id" != null ] || fail "no suitable instance in the generated data"
d="$MNT/instances/$id"
ecc=$(first_instance '.KeyAlgorithm == "ECC_256"')
[ "$ecc" != null ] || fail "no ECC_256 instance in the generated data"

upd() { audit_count UpdateInstance ".params.InstanceId == \"$1\""; }
last_upd_keys() {
	jq -c --arg id "$1" 'select(.action == "UpdateInstance" and .params.InstanceId == $id) | .params | keys' "$AUDIT" |
		tail -n1
}
# bash_echo TEXT FILE: bash's builtin echo, as a user types it
bash_echo() { bash -c 'echo "$1" > "$2"' _ "$1" "$2"; }

# ---- a valid change: one call, only the changed field, visible everywhere
cat "$d/config" >/dev/null
rc=0
bash_echo '{"AutoReissue":"disable"}' "$d/config" || rc=$?
expect_eq "$rc" 0 "echo of a valid change"
expect_eq "$(upd "$id")" 1 "UpdateInstance calls after one change"
expect_eq "$(applied UpdateInstance)" 1 "applied UpdateInstance"
expect_eq "$(last_upd_keys "$id")" '["AutoReissue","InstanceId"]' "params of the UpdateInstance"
expect_eq "$(jq -r .AutoReissue "$d/detail")" disable "detail after the change"
expect_eq "$(cat "$d/auto_reissue")" disable "auto_reissue after the change"
expect_eq "$(emu_instance "$id" | jq -r .AutoReissue)" disable "remote state"
# reading config returns the bytes written (checksum-comparing tools stay idempotent)
expect_eq "$(cat "$d/config")" '{"AutoReissue":"disable"}' "config reads back what was written"
expect_eq "$(stat -c %s "$d/config")" 26 "st_size of the written config"

# the same echo again: zero calls
bash_echo '{"AutoReissue":"disable"}' "$d/config" || fail "repeating the echo failed"
expect_eq "$(upd "$id")" 1 "UpdateInstance calls after the same echo again"

# a value file: one call carrying CertificateName only; again: none
bash_echo "renamed-by-echo" "$d/name" || fail "echo > name"
expect_eq "$(upd "$id")" 2 "UpdateInstance calls after echo > name"
expect_eq "$(last_upd_keys "$id")" '["CertificateName","InstanceId"]' "params of echo > name"
expect_eq "$(cat "$d/name")" renamed-by-echo "name after the change"
expect_eq "$(jq -r .CertificateName "$d/detail")" renamed-by-echo "detail after echo > name"
bash_echo "renamed-by-echo" "$d/name" || fail "repeating echo > name failed"
expect_eq "$(upd "$id")" 2 "UpdateInstance calls after the same echo > name"

# tags: the full set in one write (/usr/bin/printf; bash's builtin writes line
# by line, see t_safe_write), committed in that write; the same set again costs nothing
bash -c '/usr/bin/printf "env=prod\nteam=web\n" > "$1"' _ "$d/tags" || fail "printf > tags"
expect_eq "$(upd "$id")" 3 "UpdateInstance calls after writing tags"
expect_eq "$(emu_instance "$id" | jq -c '[.Tags[] | "\(.TagKey)=\(.TagValue)"] | sort')" '["env=prod","team=web"]' "remote tags"
expect_eq "$(cat "$d/tags" | tr '\n' ' ')" "env=prod team=web " "tags file"
bash -c 'printf "team=web\nenv=prod\n" > "$1"' _ "$d/tags" || fail "same tags again"
expect_eq "$(upd "$id")" 3 "UpdateInstance calls after the same tag set in another order"

# a verbatim round trip of the canonical config is free
cat "$d/detail" >/dev/null
jq -S . "$d/config" >"$T/config.copy"
cp "$T/config.copy" "$d/config" || fail "cp of the config onto itself"
expect_eq "$(upd "$id")" 3 "UpdateInstance calls after a verbatim round trip"

# ---- bad inputs: the echo fails, nothing is sent, .cas/errors has the reason,
# the remote state and the file content are unchanged
openssl req -new -newkey rsa:2048 -nodes -subj /CN=x.example.com \
	-keyout "$T/rsa.key" -out "$T/rsa.csr" 2>/dev/null || fail "openssl req"
rsa_csr=$(cat "$T/rsa.csr")
tags21=$(jq -nc '{Tags: [range(21) | {TagKey: "k\(.)", TagValue: "v"}]}')

# cheap counters (jq costs ~80 ms a run on a loaded machine)
upd_total() { grep -c '"action":"UpdateInstance"' "$AUDIT" || true; }
# bad_write FILE ERRNO_TEXT command...: the command fails, with no call and no change
bad_write() {
	local f=$1 want=$2
	shift 2
	local before u0 e0 rec
	before=$(sha256sum <"$f")
	u0=$(upd_total)
	e0=$(wc -l <"$MNT/.cas/errors")
	expect_fail "$want" "$@"
	expect_eq "$(upd_total)" "$u0" "UpdateInstance calls after: $*"
	[ "$(wc -l <"$MNT/.cas/errors")" -gt "$e0" ] || [ "$e0" -ge 100 ] ||
		fail "no new .cas/errors record after: $*"
	rec=$(tail -n1 "$MNT/.cas/errors")
	case $rec in
	*"\"path\":\"${f#"$MNT"}\""*) ;;
	*) fail ".cas/errors record is not about ${f#"$MNT"}: $rec" ;;
	esac
	case $rec in
	*'"errno":"E'*'"message":"'?*) ;;
	*) fail ".cas/errors record lacks errno/message: $rec" ;;
	esac
	expect_eq "$(sha256sum <"$f")" "$before" "content of ${f##*/} after the failed write: $*"
	LAST_ERR=$rec
}

remote_before_bad=$(emu_instance "$id" | sha256sum)
bad_write "$d/config" "Invalid argument" bash_echo '{"AutoReissue" "enable"}' "$d/config"
grep -q '"errno":"EINVAL"' <<<"$LAST_ERR" || fail "errno of invalid JSON: $LAST_ERR"
bad_write "$d/config" "Invalid argument" bash_echo 'AutoReissue=enable' "$d/config"
bad_write "$d/config" "Invalid argument" bash_echo '{"AutoReissue":"enable"} trailing' "$d/config"
bad_write "$d/config" "Invalid argument" bash_echo '{"NoSuchField":"x"}' "$d/config"
grep -q NoSuchField <<<"$LAST_ERR" || fail "the unknown key is not named in .cas/errors: $LAST_ERR"
bad_write "$d/config" "Invalid argument" bash_echo '{"AutoReissue":"sometimes"}' "$d/config"
grep -q AutoReissue <<<"$LAST_ERR" || fail "the bad enum is not named in .cas/errors: $LAST_ERR"
bad_write "$d/config" "Invalid argument" bash_echo '{"KeyAlgorithm":"RSA_1024"}' "$d/config"
bad_write "$d/config" "Invalid argument" bash_echo '{"CompanyId":"not a number"}' "$d/config"
bad_write "$d/config" "Invalid argument" bash_echo "$tags21" "$d/config"
bad_write "$d/config" "Invalid argument" bash_echo '{"Tags":[{"TagKey":"acs:x","TagValue":"v"}]}' "$d/config"
bad_write "$d/config" "Invalid argument" bash_echo '{"Csr":"hello, I am not a PEM"}' "$d/config"
bad_write "$d/config" "Invalid argument" bash_echo \
	"$(jq -nc --arg c "$rsa_csr" '{Csr: $c, KeyAlgorithm: "ECC_256"}')" "$d/config"
grep -qi ECC_256 <<<"$LAST_ERR" || fail "the key mismatch is not explained: $LAST_ERR"
bad_write "$d/config" "File too large" bash -c \
	'big=$(head -c 2097152 /dev/zero | tr "\0" a); echo "{\"CertificateName\":\"$big\"}" > "$1"' _ "$d/config"
grep -q '"errno":"EFBIG"' <<<"$LAST_ERR" || fail "errno of a 2 MiB write: $LAST_ERR"

# the same bad inputs through the value files
bad_write "$d/auto_reissue" "Invalid argument" bash_echo sometimes "$d/auto_reissue"
bad_write "$d/key_algorithm" "Invalid argument" bash_echo RSA_1024 "$d/key_algorithm"
# two lines (the first is the current value, so even a split write sends nothing)
bad_write "$d/auto_reissue" "Invalid argument" bash_echo $'disable\nenable' "$d/auto_reissue"
# 21 tags in one write (a bash loop of builtin echos writes line by line: see t_safe_write)
bad_write "$d/tags" "Invalid argument" bash -c 'seq 1 21 | sed "s/.*/k&=v/" > "$1"' _ "$d/tags"
bad_write "$d/tags" "Invalid argument" bash_echo 'acs:x=1' "$d/tags"
bad_write "$d/tags" "Invalid argument" bash_echo 'no equals sign' "$d/tags"
bad_write "$d/csr" "Invalid argument" bash_echo 'not a PEM' "$d/csr"
bad_write "$d/name" "File too large" bash -c \
	'big=$(head -c 2097152 /dev/zero | tr "\0" a); echo "$big" > "$1"' _ "$d/name"
# an RSA CSR for an ECC_256 instance, through the csr file
id_save=$id
id=$ecc
bad_write "$MNT/instances/$ecc/csr" "Invalid argument" bash_echo "$rsa_csr" "$MNT/instances/$ecc/csr"
grep -qi ECC_256 <<<"$LAST_ERR" || fail "the key mismatch (csr file) is not explained: $LAST_ERR"
id=$id_save

expect_eq "$(audit_count UpdateInstance)" 3 "UpdateInstance calls in the whole test"
expect_eq "$(emu_instance "$id" | sha256sum)" "$remote_before_bad" "remote state after all the bad writes"
expect_eq "$(jq -r .AutoReissue "$d/detail")" disable "AutoReissue after the bad writes"
echo PASS
