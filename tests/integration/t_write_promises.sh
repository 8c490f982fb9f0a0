#!/usr/bin/env bash
# README promises of the write path, at default options, with the audit log
# as the oracle:
# - the README's own example: a process that inherited the descriptor but
#   never wrote (the sleep) does not commit the incomplete document; the
#   writer's close does, once;
# - fsync on an API file commits the pending bytes (a one-line value without
#   its newline yet); the close after it sends nothing more;
# - a tag set that would become empty: EINVAL, no call, a record, tags kept;
# - .cas/errors keeps the last 100 failures, newest last;
# - the defaults: ttl 60 (in .cas/stats and in behaviour: a change made
#   elsewhere is not seen 3 s later), read-write, not dry_run;
# - -o ro: the kernel mount is read-only (ro in /proc/mounts), so writes,
#   including .cas/refresh, fail with EROFS before casfs sees them; and
#   nothing is sent.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 8 --seed 51
mount_casfs
mapfile -t ids < <(emu_get state | jq -r '.instances[].InstanceId' | LC_ALL=C sort)
upd() { audit_count UpdateInstance "(.params.InstanceId == \"$1\")"; }

# the inherited descriptor
d=$MNT/instances/${ids[0]}
(printf '{"City":'; sleep 1; printf '"Xian"}') >"$d/config" || fail "the README's sleep example failed"
expect_eq "$(upd "${ids[0]}")" "1" "UpdateInstance calls of the sleep example"
expect_eq "$(audit_count UpdateInstance "(.params.InstanceId == \"${ids[0]}\") and .params.City == \"Xian\" and .applied")" \
	"1" "the sleep example's City applied"
expect_eq "$(emu_instance "${ids[0]}" | jq -r .City)" "Xian" "City after the sleep example"

# fsync commits; the close after it sends nothing
d=$MNT/instances/${ids[2]}
python3 - "$d/name" "$AUDIT" "${ids[2]}" <<'PY' || fail "fsync on name"
import json, os, sys
path, audit, iid = sys.argv[1:]
def calls():
    return sum(1 for l in open(audit) if json.loads(l)["action"] == "UpdateInstance"
               and json.loads(l)["params"].get("InstanceId") == iid)
fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
os.write(fd, b"fsynced-name")  # no newline yet: not complete, so not committed
assert calls() == 0, "committed before fsync"
os.fsync(fd)
assert calls() == 1, "fsync did not commit: %d calls" % calls()
os.close(fd)
assert calls() == 1, "close after fsync sent again"
PY
expect_eq "$(cat "$d/name")" "fsynced-name" "name after fsync"

# an empty tag set: EINVAL before any call, a record, the tags kept
/usr/bin/printf 'env=kept\n' >"$d/tags" || fail "setting one tag"
before=$(cat "$d/tags") e0=$(errors_count)
expect_fail "Invalid argument" python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC); os.write(fd, b"\n")' "$d/tags"
expect_eq "$(upd "${ids[2]}")" "2" "UpdateInstance calls after writing an empty tag set"
expect_eq "$(cat "$d/tags")" "$before" "tags after a refused empty set"
[ "$(errors_count)" -gt "$e0" ] || fail "no .cas/errors record for an empty tag set"
tail -1 "$MNT/.cas/errors" | jq -e '.errno == "EINVAL" or .errno == 22' >/dev/null ||
	fail "the empty-tags record: $(tail -1 "$MNT/.cas/errors")"

# the last 100 failures, newest last
python3 - "$MNT/instances/${ids[4]}/config" <<'PY'
import os, sys
for i in range(105):
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, b'{"Nope%d": 1}' % i)
    except OSError:
        pass
    try:
        os.close(fd)
    except OSError:
        pass
PY
expect_eq "$(errors_count)" "100" ".cas/errors lines after 105+ failures"
jq -se 'map(.message) | last | test("Nope104")' "$MNT/.cas/errors" >/dev/null ||
	fail "the newest failure is not the last line: $(tail -1 "$MNT/.cas/errors")"
jq -se 'map(.message) | any(test("Nope4\\b"))' "$MNT/.cas/errors" >/dev/null &&
	fail "the oldest failures were kept past 100"
expect_eq "$(upd "${ids[4]}")" "0" "UpdateInstance calls of 105 invalid configs"

# defaults
expect_eq "$(jq -r .cache.ttl_seconds "$MNT/.cas/stats")" "60" "default ttl in .cas/stats"
expect_eq "$(jq -r .read_only "$MNT/.cas/stats")" "false" "read_only by default"
expect_eq "$(jq -r .dry_run "$MNT/.cas/stats")" "false" "dry_run by default"
d=$MNT/instances/${ids[6]}
cat "$d/name" >"$T/name.1"
[ -s "$T/name.1" ] || fail "name of ${ids[6]} read empty (stat: $(stat -c %s "$d/name"))"
emu_post "instances/${ids[6]}" '{"CertificateName": "renamed-elsewhere"}'
sleep 3
expect_eq "$(cat "$d/name")" "$(cat "$T/name.1")" "name 3 s after a change elsewhere (default ttl 60)"
echo 1 >"$MNT/.cas/refresh"
expect_eq "$(cat "$d/name")" "renamed-elsewhere" "name after .cas/refresh"

# -o ro: enforced by the kernel mount, so nothing reaches casfs (no record)
remount_casfs ro
grep -E "^[^ ]+ $MNT fuse[^ ]* ro[, ]" /proc/mounts >/dev/null ||
	fail "-o ro did not make the kernel mount read-only: $(grep " $MNT " /proc/mounts)"
expect_eq "$(jq -r .read_only "$MNT/.cas/stats")" "true" "read_only in .cas/stats"
e0=$(errors_count)
declare -A m0
for a in UpdateInstance DeleteInstance RefundInstance AddCloudAccess DeleteCloudAccess; do m0[$a]=$(audit_count $a); done
d=$MNT/instances/${ids[1]}
expect_fail "Read-only file system" bash -c 'echo "{\"City\": \"RO\"}" > "$1"' _ "$d/config"
expect_fail "Read-only file system" bash -c 'echo x=y > "$1"' _ "$d/tags"
expect_fail "Read-only file system" bash -c 'echo 1 > "$1"' _ "$d/refund"
expect_fail "Read-only file system" rmdir "$d"
expect_fail "Read-only file system" bash -c 'echo 1 > "$1"' _ "$MNT/.cas/refresh"
expect_fail "Read-only file system" touch "$d/scratch.tmp"
expect_eq "$(errors_count)" "$e0" ".cas/errors records of kernel-refused writes under ro"
expect_eq "$(audit_count UpdateInstance "(.params.InstanceId == \"${ids[1]}\")")" "0" "UpdateInstance under ro"
for a in UpdateInstance DeleteInstance RefundInstance AddCloudAccess DeleteCloudAccess; do
	expect_eq "$(audit_count $a)" "${m0[$a]}" "$a calls under ro"
done
echo PASS
