#!/usr/bin/env bash
# Complete and consistent listings. One emulator with 250
# instances; the emulator's /_emulator/listing makes the account drift
# between page requests, caps the server's page size, lies about TotalCount
# or sends it as a string / not at all. The oracle is /_emulator/state (what
# exists) and the audit log (what it cost):
#   - the mount probe is page 1 of the listing: N instances cost ceil(N/100)
#     ListInstances, mount included;
#   - an instance deleted or created between pages: `ls` shows exactly the
#     instances that exist (a fresh, consistent snapshot), at the cost of one
#     more listing; rsync -a --delete of a backup keeps every existing one;
#   - drift on every attempt: the union of all seen is shown (nothing
#     existing is missing), with a record in .cas/errors and a counter;
#   - a server page smaller than asked, TotalCount as "250" or absent;
#   - a TotalCount that lies (100000, then the same entry on every page):
#     the sane instances exactly once, a bounded number of calls;
#   - odd field types never drop an instance.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 250 --seed 77
mount_casfs

listing() { emu_post listing "$1" || fail "could not set listing $1"; }
lcalls() { audit_count ListInstances; }
existing() { emu_get state | jq -r '.instances[].InstanceId' | sort; }
refresh() { echo 1 >"$MNT/.cas/refresh"; }
# check_ls WHAT: ls instances/ exits 0 and shows exactly the existing ids
check_ls() {
	local rc=0
	timeout 60 ls "$MNT/instances" >"$T/ls" 2>"$T/ls.err" || rc=$?
	expect_eq "$rc" "0" "ls instances/ ($1): $(cat "$T/ls.err")"
	existing >"$T/want"
	diff "$T/want" "$T/ls" >"$T/diff" || fail "listing ($1) differs from the service: $(head -5 "$T/diff")"
}
stat_of() { jq -r ".listings.$1" "$MNT/.cas/stats"; }

# ---- case 8: the probe is page 1; value files of 250 cost ceil(250/100) = 3 calls, mount included
cat "$MNT"/instances/*/status >"$T/statuses"
expect_eq "$(wc -l <"$T/statuses")" "250" "status lines"
expect_eq "$(lcalls)" "3" "ListInstances for mount + cat */status of 250"
expect_eq "$(stat_of probe_page_reused)" "1" "probe page reused"
expect_eq "$(audit_count GetInstanceDetail)" "0" "details for value files"

# backup of every instance's status (list data only), for the rsync check below
mkdir -p "$T/backup"
rsync -a --delete --include='*/' --include=status --exclude='*' "$MNT/instances/" "$T/backup/" ||
	fail "first rsync"

# ---- case 1: an instance on page 1 deleted after page 1 was fetched, before page 2
refresh
victim=$(emu_get state | jq -r '.instances[0].InstanceId')
before=$(lcalls)
listing '{"drift":{"page":2,"delete":1,"times":1}}'
check_ls "delete between pages"
drift_delete_calls=$(($(lcalls) - before))
[ -e "$MNT/instances/$victim" ] && fail "the deleted instance $victim is still shown"
expect_eq "$(wc -l <"$T/ls")" "249" "instances after the delete"
# page 1, page 2 (TotalCount changed: stop), then pages 1..3 again
expect_eq "$drift_delete_calls" "5" "calls of a listing with one drift"
log "drift (delete) cost: $drift_delete_calls ListInstances for 250 instances (3 without drift)"
[ "$(stat_of refetched_after_drift)" -ge 1 ] || fail "no refetch counted"
expect_eq "$(stat_of inconsistent)" "0" "inconsistent listings after one drift"

# ---- case 2: an instance created during paging pushes page 1's last entry onto page 2
refresh
before=$(lcalls)
listing '{"drift":{"page":2,"add":1,"times":1}}'
check_ls "create between pages"
expect_eq "$(wc -l <"$T/ls")" "250" "instances after the create"
log "drift (create) cost: $(($(lcalls) - before)) ListInstances"
grep -q "appears 2 times; skipped" "$T/casfs.log" && fail "a repeated id was dropped"

# ---- rsync -a --delete during drift keeps every existing instance's backup
# (the issue's case: an instance on page 1 deleted before page 2 is fetched)
refresh
listing '{"drift":{"page":2,"delete":1}}'
rc=0
rsync -a --delete --include='*/' --include=status --exclude='*' "$MNT/instances/" "$T/backup/" 2>"$T/rsync.err" || rc=$?
expect_eq "$rc" "0" "rsync during drift ($(head -3 "$T/rsync.err"))"
while read -r id; do
	[ -f "$T/backup/$id/status" ] || fail "rsync --delete lost the backup of existing instance $id"
done < <(existing)

# ---- drift on every attempt: the union of everything seen, and an honest record
refresh
errs_before=$(errors_count)
before=$(lcalls)
listing '{"drift":{"page":2,"delete":1,"times":-1}}'
rc=0
timeout 60 ls "$MNT/instances" >"$T/ls" 2>"$T/ls.err" || rc=$?
listing '{"drift":{"page":0}}'
expect_eq "$rc" "0" "ls under constant drift: $(cat "$T/ls.err")"
persistent_calls=$(($(lcalls) - before))
log "constant drift: $persistent_calls ListInstances for one ls (3 attempts)"
[ "$persistent_calls" -le 12 ] || fail "$persistent_calls calls for one listing under constant drift"
existing >"$T/want"
missing=$(comm -23 "$T/want" "$T/ls" | wc -l)
expect_eq "$missing" "0" "existing instances missing from the union under constant drift"
expect_eq "$(stat_of inconsistent)" "1" "inconsistent listings counted"
[ "$(errors_count)" -gt "$errs_before" ] || fail "no record in .cas/errors for the inconsistent listing"
tail -n 5 "$MNT/.cas/errors" | jq -e 'select(.code == "Local.InconsistentListing") | .errno' >/dev/null ||
	fail ".cas/errors has no Local.InconsistentListing record: $(tail -3 "$MNT/.cas/errors")"
grep -q "no consistent listing" "$T/casfs.log" || fail "no log line for the inconsistent listing"
# an instance shown in the union although deleted gives ENOENT, never stale data
gone=$(comm -13 "$T/want" "$T/ls" | head -n1)
if [ -n "$gone" ]; then
	refresh
	[ -e "$MNT/instances/$gone/status" ] && fail "deleted $gone still shown after a refresh"
fi

# ---- case 3: the server's page is smaller than asked (50 for 100)
refresh
listing '{"page_cap":50}'
before=$(lcalls)
check_ls "page cap 50"
n=$(wc -l <"$T/ls")
expect_eq "$(($(lcalls) - before))" "$(((n + 49) / 50))" "calls with a 50-entry server page"
listing '{"page_cap":0}'

# ---- case 5: TotalCount as a digit string, and absent
for form in 1 2; do
	refresh
	listing "{\"total_form\":$form}"
	check_ls "TotalCount form $form"
done
listing '{"total_form":0}'

# ---- the hostile case: TotalCount 100000, then the first entry on every page after the first
refresh
listing '{"lie_total":100000}'
before=$(lcalls)
rc=0
timeout 60 ls "$MNT/instances" >"$T/ls" 2>"$T/ls.err" || rc=$?
expect_eq "$rc" "0" "ls under a lying TotalCount: $(cat "$T/ls.err")"
# what such a server serves at all: its first page (100 entries in list order)
emu_get state | jq -r '.instances[:100][].InstanceId' | sort >"$T/want"
diff "$T/want" "$T/ls" >"$T/diff" || fail "listing under a lying TotalCount: $(head -5 "$T/diff")"
lie_calls=$(($(lcalls) - before))
log "lying TotalCount: $lie_calls ListInstances"
[ "$lie_calls" -le 12 ] || fail "$lie_calls calls for a lying TotalCount"
expect_eq "$(sort "$T/ls" | uniq -d | wc -l)" "0" "ids listed twice under a lying TotalCount"
listing '{"lie_total":0}'

# ---- case 4/6: odd field types never drop an instance; the detail stays as sent
odd=$(emu_get state | jq -r '.instances[5].InstanceId')
emu_post "instances/$odd" '{"CertificateName":12345,"AutoReissue":true,"CertificateNotBefore":"2024-01-01","ContactIdList":["101","202"],"CompanyId":"47305"}'
refresh
check_ls "odd field types"
expect_eq "$(cat "$MNT/instances/$odd/name")" "12345" "a number as CertificateName"
expect_eq "$(cat "$MNT/instances/$odd/auto_reissue")" "true" "a boolean as AutoReissue"
[ -e "$MNT/by-status/$(cat "$MNT/instances/$odd/status")/$odd" ] || fail "$odd missing from by-status"
jq -e '.ContactIdList == [101,202] and .CompanyId == 47305' "$MNT/instances/$odd/config" >/dev/null ||
	fail "config of digit strings: $(jq -c '{ContactIdList,CompanyId}' "$MNT/instances/$odd/config")"
jq -e '.ContactIdList == ["101","202"] and .CompanyId == "47305"' "$MNT/instances/$odd/detail" >/dev/null ||
	fail "detail is not what the service said"
# writing the config back verbatim changes nothing and sends nothing
upd=$(audit_count UpdateInstance)
cat "$MNT/instances/$odd/config" >"$T/cfg"
cp "$T/cfg" "$MNT/instances/$odd/config" || fail "verbatim config write-back"
expect_eq "$(audit_count UpdateInstance)" "$upd" "UpdateInstance calls for a verbatim write-back"
grep -q "of an unexpected JSON type" "$T/casfs.log" || fail "no log line for the odd field"
echo PASS
