#!/usr/bin/env bash
# Detail read-ahead is exact: a readdir-only walk (find), `ls -l instances/`
# and `cat */status` make no GetInstanceDetail call; a cold tar of N=40
# instances makes exactly N, one per instance (none twice, none lost to a
# prefetch/reader race), and a second tar within the TTL makes none.
source "$(dirname "$0")/lib.sh"
N=40
start_emulator --instances $N --seed 101 --latency-ms 20
mount_casfs ttl=600

find "$MNT/instances" >"$T/find" || fail "find failed"
expect_eq "$(grep -c '/detail$' "$T/find")" "$N" "details seen by find"
ls -l "$MNT/instances" >/dev/null || fail "ls -l instances/ failed"
cat "$MNT"/instances/*/status >"$T/status" || fail "cat */status failed"
expect_eq "$(wc -l <"$T/status")" "$N" "status lines"
cat "$MNT"/instances/*/name "$MNT"/instances/*/domain >/dev/null || fail "cat */name */domain failed"
expect_eq "$(audit_count GetInstanceDetail)" "0" "GetInstanceDetail calls of readdir walks and list-data files"

rc=0
tar -cf "$T/a.tar" -C "$MNT" . 2>"$T/tar.err" || rc=$?
expect_eq "$rc" "0" "tar exit status ($(head -3 "$T/tar.err"))"
[ -s "$T/tar.err" ] && fail "tar wrote to stderr: $(head -5 "$T/tar.err")"
expect_eq "$(tar -tf "$T/a.tar" | grep -c '/detail$')" "$N" "details in the archive"
expect_eq "$(audit_count GetInstanceDetail)" "$N" "GetInstanceDetail calls of a cold tar of $N instances"
expect_eq "$(jq -r 'select(.action == "GetInstanceDetail") | .params.InstanceId' "$AUDIT" | sort -u | wc -l)" "$N" \
	"distinct instances fetched"
expect_eq "$(audit_count GetInstanceDetail '.status != 200')" "0" "failed detail calls"
# read-ahead did the fetching: the reader goes through the details in order,
# so the workers (window 16) are ahead of it for most of them
pf=$(jq -r .cache.prefetched "$MNT/.cas/stats")
log "prefetched $pf of $N details"
[ "$pf" -ge $((N / 4)) ] || fail "only $pf of $N details were prefetched by a cold tar (read-ahead)"

# a second tar within the TTL costs no detail call
tar -cf "$T/b.tar" -C "$MNT" . 2>"$T/tar2.err" || fail "second tar failed: $(head -3 "$T/tar2.err")"
[ -s "$T/tar2.err" ] && fail "second tar wrote to stderr: $(head -5 "$T/tar2.err")"
expect_eq "$(audit_count GetInstanceDetail)" "$N" "GetInstanceDetail calls after a warm tar"
cmp -s "$T/a.tar" "$T/b.tar" || fail "two tars of an unchanged tree differ"
echo PASS
