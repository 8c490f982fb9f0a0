#!/usr/bin/env bash
# Puppet: `puppet apply` of file resources on a value file and on
# config changes each with exactly one UpdateInstance carrying only that
# field (Ruby's tempfile makes a lock directory beside the target: a
# scratch directory), leaves no scratch entry behind, and a second run
# changes nothing and calls nothing. Facter's complaints about the sandbox
# are ignored; resource errors are what count.
source "$(dirname "$0")/lib.sh"
command -v puppet >/dev/null || fail "puppet is not installed (contrib/deps.sh installs it)"
start_emulator --instances 6 --seed 17
mount_casfs

id=$(first_instance '.AutoReissue == "disable"')
[ -n "$id" ] && [ "$id" != null ] || fail "no instance with AutoReissue disable"
d=$MNT/instances/$id
cat >"$T/site.pp" <<PP
file { "$d/auto_reissue": content => "enable\n" }
file { "$d/config": content => "{\"City\": \"Puppetville\"}\n" }
PP
run_puppet() { # exit status of puppet apply --detailed-exitcodes (0 nothing changed, 2 changes)
	local rc=0
	puppet apply --confdir "$T/puppet" --vardir "$T/puppet/var" --codedir "$T/puppet/code" \
		--logdir "$T/puppet/log" --rundir "$T/puppet/run" --facts_terminus=memory --color=false \
		--detailed-exitcodes "$T/site.pp" >"$T/puppet.out" 2>&1 || rc=$?
	grep -v "Facter:" "$T/puppet.out" | grep -E "^(Error|Warning)" >&2 && fail "puppet reported resource errors"
	return "$rc"
}

rc=0
run_puppet || rc=$?
expect_eq "$rc" 2 "puppet's exit status for the first run (changes, no failures): $(cat "$T/puppet.out")"
expect_eq "$(audit_count UpdateInstance)" 2 "UpdateInstance calls of the first run"
expect_eq "$(audit_count UpdateInstance '.params | keys == ["AutoReissue", "InstanceId"]')" 1 "the auto_reissue update"
expect_eq "$(audit_count UpdateInstance '.params | keys == ["City", "InstanceId"]')" 1 "the config update"
expect_eq "$(emu_instance "$id" | jq -r '.AutoReissue + " " + .City')" "enable Puppetville" "remote state"
expect_eq "$(ls -A "$d" | grep -cvxE 'detail|config|status|certificate_status|domain|name|auto_reissue|key_algorithm|brand|type|not_before|not_after|tags|csr|refund')" 0 "scratch entries left by puppet"

rc=0
run_puppet || rc=$?
expect_eq "$rc" 0 "puppet's exit status for the second run (nothing changed): $(cat "$T/puppet.out")"
expect_eq "$(audit_count UpdateInstance)" 2 "UpdateInstance calls after the second run"
echo PASS
