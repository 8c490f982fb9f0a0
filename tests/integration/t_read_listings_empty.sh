#!/usr/bin/env bash
# Listing an empty account at mount time: an empty account that answers without a
# TotalCount (or with TotalCount "0") mounts, lists nothing and exits 0;
# TotalCount as a digit string on a non-empty account lists everything.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 0 --cloud-access 0 --private-ca 0
for form in 2 1; do
	emu_post listing "{\"total_form\":$form}" || fail "could not set total_form"
	mount_casfs
	rc=0
	ls -A "$MNT/instances" >"$T/ls" 2>"$T/ls.err" || rc=$?
	expect_eq "$rc" "0" "ls of an empty account, TotalCount form $form: $(cat "$T/ls.err")"
	expect_eq "$(wc -l <"$T/ls")" "0" "entries of an empty account (form $form)"
	expect_eq "$(audit_count ListInstances 'true')" "$((form == 2 ? 1 : 2))" "ListInstances so far (the probe is the listing)"
	umount_casfs
done
# a digit-string TotalCount on a non-empty account
for i in 1 2 3; do emu_post "instances/cas-cn-empty0$i" '{"Status":"normal"}' || fail "inject"; done
mount_casfs
expect_eq "$(ls "$MNT/instances" | wc -l)" "3" "instances with TotalCount \"3\""
echo PASS
