#!/usr/bin/env bash
# A SecretKey refused by validation never appears in the casfs log or in
# .cas/errors. cloud-access/new refuses a SecretKey over
# 256 characters or with a control character with EINVAL before any call;
# the refusal names the field, never its value. Written with bash's builtin
# echo and /bin/echo, at the default options. The oracle is the audit log
# (no AddCloudAccess) and a search for any 16-character piece of the key in
# the log, .cas/errors, .cas/stats and the audit log.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 2 --seed 29
mount_casfs

rand() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
long="SKlong$(rand 160)"                  # 326 characters
ctl_head="SKctl$(rand 12)" ctl_tail="$(rand 12)"
E0=$(errors_count)
n=0
for how in builtin /bin/echo; do
	for doc in \
		"$(jq -nc --arg k "$long" '{CloudName: "Tencent", SecretId: "AKIDrefused1", SecretKey: $k}')" \
		"{\"CloudName\":\"Tencent\",\"SecretId\":\"AKIDrefused2\",\"SecretKey\":\"$ctl_head\\u0001$ctl_tail\"}"; do
		if [ "$how" = builtin ]; then
			expect_fail "Invalid argument" bash -c 'echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$doc"
		else
			expect_fail "Invalid argument" bash -c '/bin/echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$doc"
		fi
		n=$((n + 1))
	done
done
expect_eq "$(audit_count AddCloudAccess)" "0" "AddCloudAccess calls for refused SecretKeys"
expect_eq "$(errors_count)" "$((E0 + n))" ".cas/errors records for the refused SecretKeys"
tail -n "$n" "$MNT/.cas/errors" | jq -r '.code' | sort -u >"$T/codes"
expect_eq "$(cat "$T/codes")" "InvalidParameter.SecretKey" "codes of the refusals"
tail -n "$n" "$MNT/.cas/errors" | jq -e -s 'all(.errno == "EINVAL")' >/dev/null || fail "a refusal is not EINVAL"
grep -q "SecretKey must be at most 256 characters" "$T/casfs.log" || fail "the refusal is not logged"

# no 16-character piece of either key anywhere
cat "$T/casfs.log" "$MNT/.cas/errors" "$MNT/.cas/stats" "$AUDIT" >"$T/everything"
for key in "$long" "$ctl_head" "$ctl_tail"; do
	for ((i = 0; i + 16 <= ${#key}; i += 8)); do
		piece=${key:i:16}
		grep -q -F -- "$piece" "$T/everything" && fail "a piece of a refused SecretKey ($piece) is in the log or .cas"
	done
done
echo PASS
