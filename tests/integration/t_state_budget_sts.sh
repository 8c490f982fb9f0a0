#!/usr/bin/env bash
# call_budget under STS credentials without account=: the state (and the
# month's count the budget reads) is keyed by the temporary AccessKey ID, so
# a new token starts the count from zero. The mount warns about it (and
# says to set account=); with account= it does not. The audit log shows the
# mounts' calls were made with the STS identity (the oracle that the STS
# path was taken), and the two databases are separate files.
source "$(dirname "$0")/lib.sh"
A_SK=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
start_emulator --instances 2 --seed 37 --sts "STS.CCCC:$A_SK:tokC"
export ALIBABA_CLOUD_ACCESS_KEY_ID=STS.CCCC ALIBABA_CLOUD_ACCESS_KEY_SECRET=$A_SK ALIBABA_CLOUD_SECURITY_TOKEN=tokC
mount_casfs call_budget=50
ls "$MNT/instances" >/dev/null
[ "$(audit_count ListInstances '.access_key_id == "STS.CCCC"')" -ge 1 ] || fail "no call with the STS identity"
grep -q "call_budget=50 without -o account=" "$T/casfs.log" || fail "no warning for call_budget without account= under STS"
umount_casfs || fail "unclean unmount"
: >"$T/casfs.log"
mount_casfs call_budget=50 account=team
ls "$MNT/instances" >/dev/null
! grep -q "without -o account=" "$T/casfs.log" || fail "warned although account= was given"
umount_casfs || fail "unclean unmount"
expect_eq "$(ls "$HOME"/.local/state/casfs/*.db | wc -l)" 2 "state databases (one per key)"
echo "PASS: call_budget without account= under STS warns"
