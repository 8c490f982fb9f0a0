#!/usr/bin/env bash
# A service that returns hostile instance ids cannot make casfs create an
# escaping or ambiguous path: "", ".", "..", "../../etc", "a/b", a 300-char id,
# ids with a newline or a control character are not listed; a duplicate of an
# existing id is one instance, listed once with its newest entry; nothing
# outside the tree is reachable, by-status links stay inside, the mount keeps
# working, and the skips are reported. A benign injected id does show up
# (so the injection is really seen by the mount).
source "$(dirname "$0")/lib.sh"
start_emulator --instances 8 --seed 51
mount_casfs

mapfile -t orig < <(emu_get state | jq -r '.instances[].InstanceId')
n=${#orig[@]}
expect_eq "$(ls "$MNT/instances" | wc -l)" "$n" "instances before the injection"
dup=${orig[3]}
keep=${orig[0]}
cat "$MNT/instances/$keep/detail" >"$T/keep.detail"

long=cas-cn-$(printf 'x%.0s' $(seq 1 293))
expect_eq "${#long}" "300" "length of the long id"
hostile=("" "." ".." "../../etc" "a/b" "$long" $'cas-cn-new\nline' $'cas-cn-ctl\001x' "$dup")
benign=cas-cn-injected0k
# inject: create a placeholder, then rename it through the merged InstanceId
i=0
for id in "${hostile[@]}" "$benign"; do
	i=$((i + 1))
	emu_post "instances/tmp-hostile-$i" "$(jq -cn --arg id "$id" '{InstanceId: $id, Status: "normal"}')" ||
		fail "could not inject id #$i"
done
expect_eq "$(emu_get state | jq '.instances | length')" "$((n + ${#hostile[@]} + 1))" "instances in the emulator after the injection"
emu_get state | jq -e --arg d "$dup" '[.instances[] | select(.InstanceId == $d)] | length == 2' >/dev/null ||
	fail "test setup: the duplicate id is not in the emulator twice"

check_tree() { # phase
	local ph=$1 rc=0
	timeout 60 ls -a "$MNT/instances" >"$T/ls.$ph" 2>"$T/ls.$ph.err" || rc=$?
	expect_eq "$rc" "0" "ls instances/ with hostile ids ($ph: $(cat "$T/ls.$ph.err"))"
	# the expected listing: the original ids (the duplicated one once), plus the benign id
	{
		printf '%s\n' . .. "$benign"
		printf '%s\n' "${orig[@]}"
	} | sort >"$T/want.$ph"
	sort "$T/ls.$ph" >"$T/got.$ph"
	diff "$T/want.$ph" "$T/got.$ph" >"$T/diff.$ph" || fail "listing with hostile ids ($ph): $(cat "$T/diff.$ph")"
	# nothing named after a hostile id is reachable
	# the duplicate's newest entry (the injected copy, later in list order) is shown
	expect_eq "$(cat "$MNT/instances/$dup/status")" "normal" "status of the duplicated id ($ph)"
	[ -e "$MNT/instances/etc" ] && fail "'etc' (from '../../etc') exists ($ph)"
	[ -e "$MNT/instances/a" ] && fail "'a' (from 'a/b') exists ($ph)"
	[ -e "$MNT/instances/a/b/detail" ] && fail "a/b/detail exists ($ph)"
	stat "$MNT/instances/$long" >/dev/null 2>&1 && fail "the 300-char id is reachable ($ph)"
	[ -e "$MNT/instances/cas-cn-new" ] && fail "a fragment of the newline id exists ($ph)"
	[ -e "$MNT/instances/"$'cas-cn-new\nline' ] && fail "the newline id exists ($ph)"
	[ -e "$MNT/instances/"$'cas-cn-ctl\001x' ] && fail "the control-char id exists ($ph)"
	# every path in the tree stays inside the mount, every link resolves inside
	timeout 60 find "$MNT" >"$T/find.$ph" 2>"$T/find.$ph.err" || fail "find failed ($ph): $(head -3 "$T/find.$ph.err")"
	[ -s "$T/find.$ph.err" ] && fail "find complained ($ph): $(head -3 "$T/find.$ph.err")"
	grep -vE "^$MNT(/[A-Za-z0-9._-]+)*$" "$T/find.$ph" >"$T/odd.$ph" && fail "odd path in the tree ($ph): $(head -3 "$T/odd.$ph")"
	grep -q "/instances/$benign/detail$" "$T/find.$ph" || fail "benign injected instance missing from find ($ph)"
	find "$MNT/by-status" -type l | while read -r l; do
		t=$(readlink "$l")
		[[ "$t" =~ ^\.\./\.\./instances/[A-Za-z0-9._-]+$ ]] || fail "by-status link $l → $t"
		r=$(realpath "$l")
		[[ "$r" == "$MNT/instances/"* ]] || fail "by-status link $l resolves outside: $r"
	done
	expect_eq "$(find "$MNT/by-status" -type l | wc -l)" "$((n + 1))" "by-status links ($ph)"
	# the mount keeps working
	cmp -s "$MNT/instances/$keep/detail" "$T/keep.detail" || fail "detail of $keep changed ($ph)"
	expect_eq "$(cat "$MNT/instances/$benign/status")" "normal" "status of the benign injected id ($ph)"
	jq -e . "$MNT/summary" >/dev/null || fail "summary unreadable ($ph)"
	jq -e . "$MNT/.cas/stats" >/dev/null || fail ".cas/stats unreadable ($ph)"
}

echo 1 >"$MNT/.cas/refresh"
check_tree refreshed
grep -qiE 'skip' "$T/casfs.log" "$MNT/.cas/errors" || fail "no log line or error record mentions the skipped ids"
grep -hF "$dup" "$T/casfs.log" "$MNT/.cas/errors" >"$T/dup.lines" || true
grep -qiE 'more than once' "$T/dup.lines" ||
	fail "the duplicate id $dup is not reported"

# a cold mount over the hostile data behaves the same
remount_casfs
check_tree cold
echo PASS
