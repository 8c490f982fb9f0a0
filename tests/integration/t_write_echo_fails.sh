#!/usr/bin/env bash
# bash's builtin `echo a=b > tags` against a failing UpdateInstance exits 1.
# The builtin ignores close(2)'s result, so the failure
# must reach it through write(2): a tags line ending in a newline is a
# complete document, committed inside the write. The oracle is the audit
# log (UpdateInstance sent, nothing applied) and the service's tags; the
# writer sees exit status 1 and EIO, .cas/errors holds one record.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 23
mount_casfs

id=$(first_instance '(.Tags // []) | length > 0')
[ -n "$id" ] && [ "$id" != null ] || fail "no instance with tags"
tags_file=$MNT/instances/$id/tags
remote_tags() { emu_instance "$id" | jq -c '[.Tags[] | "\(.TagKey)=\(.TagValue)"] | sort'; }
remote0=$(remote_tags)
shown0=$(cat "$tags_file")
E0=$(errors_count)

emu_post faults '500=1@UpdateInstance' || fail "could not set the fault"
rc=0
bash -c 'echo a=b > "$1"' _ "$tags_file" 2>"$T/echo.err" || rc=$?
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null
expect_eq "$rc" "1" "exit status of bash's builtin echo a=b > tags under a failing UpdateInstance"
grep -q "Input/output error" "$T/echo.err" || fail "the writer was not told EIO: $(cat "$T/echo.err")"
[ "$(audit_count UpdateInstance)" -ge 1 ] || fail "no UpdateInstance reached the service"
expect_eq "$(applied UpdateInstance)" "0" "applied UpdateInstance"
expect_eq "$(audit_count UpdateInstance '.params.InstanceId == "'"$id"'"')" "$(audit_count UpdateInstance)" \
	"UpdateInstance for another instance"
expect_eq "$(remote_tags)" "$remote0" "the service's tags after the failed echo"
expect_eq "$(cat "$tags_file")" "$shown0" "tags shown after the failed echo"
expect_eq "$(errors_count)" "$((E0 + 1))" ".cas/errors records after the failed echo"
expect_eq "$(tail -n1 "$MNT/.cas/errors" | jq -r '.errno + " " + .path')" "EIO /instances/$id/tags" \
	"the record of the failed echo"

# the same echo without the fault: exit 0, one applied UpdateInstance
bash -c 'echo a=b > "$1"' _ "$tags_file" || fail "echo a=b > tags without a fault"
expect_eq "$(applied UpdateInstance)" "1" "applied UpdateInstance without the fault"
expect_eq "$(remote_tags)" '["a=b"]' "the service's tags after echo a=b"
echo PASS
