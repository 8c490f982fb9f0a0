#!/usr/bin/env bash
# In-place rewrites (no O_TRUNC: Python 'r+', rsync --inplace) and emptied
# files. A handle opened without O_TRUNC commits only at close, so a
# truncate after a shorter write cuts the old tail before anything is sent:
# tags a=1 b=2 c=3 rewritten in place with d=4 become exactly d=4 (before:
# the tail parsed, d=4 b=2 c=3 was committed inside the write, and the
# truncate was skipped). config and the one-line files take such rewrites
# too; without the truncate the leftover tail fails close(2) with EINVAL and
# a record, nothing sent.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 20 --seed 73
mount_casfs

id=$(first_instance '.Status == "normal" and (.Tags | length) >= 1')
[ "$id" != null ] || fail "no suitable instance"
d="$MNT/instances/$id"
rel=${d#"$MNT"}
upd() { audit_count UpdateInstance ".params.InstanceId == \"$id\""; }
last_params() { jq -c 'select(.action == "UpdateInstance") | .params | del(.InstanceId)' "$AUDIT" | tail -n1; }
last_error() { tail -n1 "$MNT/.cas/errors" | jq -r '.errno + " " + .path'; }
# rewrite FILE TEXT [truncate]: Python 'r+', write TEXT at offset 0, optionally truncate there
rewrite() {
	python3 - "$@" <<'PY'
import sys
path, text = sys.argv[1], sys.argv[2]
with open(path, "r+") as f:
    f.seek(0)
    f.write(text)
    if len(sys.argv) > 3:
        f.truncate()
PY
}

/usr/bin/printf 'a=1\nb=2\nc=3\n' >"$d/tags" || fail "setting a=1 b=2 c=3"
expect_eq "$(instance_tags "$id")" "a=1,b=2,c=3" "remote tags before"
U=$(upd)

# ---- item 3: tags, in place + truncate: exactly the new set, one call
rewrite "$d/tags" $'d=4\n' truncate || fail "r+ rewrite of tags with truncate"
expect_eq "$(upd)" $((U + 1)) "UpdateInstance calls for an in-place rewrite of tags"
expect_eq "$(instance_tags "$id")" "d=4" "remote tags after the in-place rewrite (no old tail)"
expect_eq "$(cat "$d/tags")" "d=4" "tags read back"

# rsync --inplace of a shorter set (it writes, then truncates to the new size)
printf 'e=5\n' >"$T/tags.new"
/usr/bin/printf 'a=1\nb=2\nc=3\n' >"$d/tags" || fail "setting a=1 b=2 c=3 again"
U=$(upd)
rsync --inplace -I "$T/tags.new" "$d/tags" || fail "rsync --inplace of tags"
expect_eq "$(upd)" $((U + 1)) "UpdateInstance calls for rsync --inplace"
expect_eq "$(instance_tags "$id")" "e=5" "remote tags after rsync --inplace"

# ---- config: in place + truncate works
U=$(upd)
rewrite "$d/config" '{"City": "Inplace"}' truncate || fail "r+ rewrite of config with truncate"
expect_eq "$(upd)" $((U + 1)) "UpdateInstance calls for an in-place rewrite of config"
expect_eq "$(last_params)" '{"City":"Inplace"}' "params of the in-place config rewrite"
expect_eq "$(emu_instance "$id" | jq -r .City)" "Inplace" "remote City"

# ---- a one-line file: in place + truncate works
U=$(upd)
old_name=$(cat "$d/name")
rewrite "$d/name" $'nm\n' truncate || fail "r+ rewrite of name with truncate"
expect_eq "$(upd)" $((U + 1)) "UpdateInstance calls for an in-place rewrite of name"
expect_eq "$(emu_instance "$id" | jq -r .CertificateName)" "nm" "remote CertificateName"
[ "$old_name" != nm ] || fail "the name was already nm"

# ---- without the truncate the old tail stays: close fails clearly, nothing sent
bash -c 'echo "a-much-longer-certificate-name" > "$1"' _ "$d/name" || fail "a longer name"
U=$(upd)
E0=$(errors_count)
expect_fail "Invalid argument" rewrite "$d/name" $'x\n'
expect_eq "$(upd)" "$U" "UpdateInstance calls for a shorter in-place name without truncate"
wait_errors $((E0 + 1))
expect_eq "$(last_error)" "EINVAL $rel/name" "record of the shorter in-place name"
expect_eq "$(emu_instance "$id" | jq -r .CertificateName)" "a-much-longer-certificate-name" "remote name kept"
E0=$(errors_count)
expect_fail "Invalid argument" rewrite "$d/config" '{"City": "Z"}'
expect_eq "$(upd)" "$U" "UpdateInstance calls for a shorter in-place config without truncate"
wait_errors $((E0 + 1))
expect_eq "$(last_error)" "EINVAL $rel/config" "record of the shorter in-place config"
# a longer tags set in place needs no truncate: one call
rewrite "$d/tags" $'a=1\nb=2\nc=3\n' || fail "r+ rewrite of tags with a longer set"
expect_eq "$(upd)" $((U + 1)) "UpdateInstance calls for a longer in-place tags rewrite"
expect_eq "$(instance_tags "$id")" "a=1,b=2,c=3" "remote tags after the longer in-place rewrite"
