#!/usr/bin/env bash
# Emptied files: open(p, 'w').close() on tags or config (O_TRUNC, never
# written; the empty document is refused without a call) fails close(2)
# with EINVAL, with a .cas/errors record and no call (before: close
# returned 0 and the refusal came at release). The shell's own close of the
# descriptor it redirects, before the command writes, does not spoil the
# write that follows (echo f=6 > tags: one call, no record).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 20 --seed 79
mount_casfs

id=$(first_instance '.Status == "normal" and (.Tags | length) >= 1')
[ "$id" != null ] || fail "no suitable instance"
d="$MNT/instances/$id"
rel=${d#"$MNT"}
upd() { audit_count UpdateInstance ".params.InstanceId == \"$id\""; }
last_error() { tail -n1 "$MNT/.cas/errors" | jq -r '.errno + " " + .path'; }
tags0=$(instance_tags "$id")

# ---- item 4: emptied and never written: close(2) says EINVAL, a record, no call
for f in tags config; do
	U=$(upd)
	E0=$(errors_count)
	expect_fail "Invalid argument" python3 -c 'open(__import__("sys").argv[1], "w").close()' "$d/$f"
	wait_errors $((E0 + 1))
	expect_eq "$(last_error)" "EINVAL $rel/$f" "record of open('$f', 'w').close()"
	expect_eq "$(upd)" "$U" "UpdateInstance calls after open('$f', 'w').close()"
done
expect_eq "$(instance_tags "$id")" "$tags0" "remote tags after the emptied open"
# the shell closes the descriptor it redirected before the command writes:
# the write that follows still commits
U=$(upd)
E0=$(errors_count)
echo f=6 >"$d/tags" || fail "echo f=6 > tags"
expect_eq "$(upd)" $((U + 1)) "UpdateInstance calls for echo f=6 > tags"
expect_eq "$(instance_tags "$id")" "f=6" "remote tags after echo"
sleep 0.3
expect_eq "$(errors_count)" "$E0" ".cas/errors records after a successful echo > tags"
