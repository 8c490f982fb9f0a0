#!/usr/bin/env bash
# 404s: an instance deleted behind the mount (still in the cached list) whose
# detail is then read gives ENOENT, the 404 is cached (a second read makes no
# call, whether casfs keeps a negative entry or drops the instance from its
# list), is recorded in .cas/errors, and after .cas/refresh the instance is
# gone from the listing. Names that were never listed give ENOENT without any
# detail call.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 8 --seed 91
mount_casfs ttl=600

mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId')
x=${ids[3]}
ls "$MNT/instances" | grep -qxF "$x" || fail "$x not listed"
curl -sf -X DELETE "$EMU_URL/_emulator/instances/$x" >/dev/null || fail "could not delete $x behind the mount"
emu_instance "$x" >/dev/null 2>&1 && fail "test setup: $x still in the emulator"

# still in the cached list, but its detail is gone
[ -d "$MNT/instances/$x" ] || fail "$x vanished from the cached list before a refresh"
expect_fail "No such file or directory" cat "$MNT/instances/$x/detail"
expect_eq "$(audit_count GetInstanceDetail "(.params.InstanceId == \"$x\") and .status == 404")" "1" \
	"one 404 GetInstanceDetail (never retried)"
expect_eq "$(audit_count GetInstanceDetail "(.params.InstanceId == \"$x\")")" "1" "GetInstanceDetail calls for $x"
# the 404 is cached: the same and the derived files fail without a new call
expect_fail "No such file or directory" cat "$MNT/instances/$x/detail"
expect_fail "No such file or directory" cat "$MNT/instances/$x/config"
expect_fail "No such file or directory" cat "$MNT/instances/$x/tags"
expect_eq "$(audit_count GetInstanceDetail "(.params.InstanceId == \"$x\")")" "1" "GetInstanceDetail calls for $x after the cached 404"

# other instances are unaffected
jq -e ".InstanceId == \"${ids[2]}\"" "$MNT/instances/${ids[2]}/detail" >/dev/null || fail "another instance's detail"

# never-listed names: ENOENT from the list, no detail call
expect_fail "No such file or directory" cat "$MNT/instances/cas-cn-neverexisted/detail"
expect_fail "No such file or directory" ls "$MNT/instances/cas-cn-neverexisted"
expect_eq "$(audit_count GetInstanceDetail '.params.InstanceId == "cas-cn-neverexisted"')" "0" "detail calls for a never-listed id"

# after a refresh the instance is gone from the tree
echo 1 >"$MNT/.cas/refresh"
ls "$MNT/instances" | grep -qxF "$x" && fail "$x still listed after refresh"
expect_fail "No such file or directory" stat "$MNT/instances/$x"
expect_eq "$(ls "$MNT/instances" | wc -l)" "$((${#ids[@]} - 1))" "listing after refresh"
# docs/SEMANTICS.md (Errors): every failure leaves a record in .cas/errors and a log line with the RequestId
rid=$(jq -r "select(.action == \"GetInstanceDetail\" and .params.InstanceId == \"$x\") | .request_id" "$AUDIT")
grep -F "$x" "$MNT/.cas/errors" | grep -q -e 404 -e NotFound || fail ".cas/errors has no 404 record for $x"
grep -qF "$rid" "$T/casfs.log" || fail "no log line with the RequestId $rid of the 404"
echo PASS
