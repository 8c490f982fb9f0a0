#!/usr/bin/env bash
# Concurrent listers of one directory each get a consistent listing. A
# ro,ttl=1,watch=1 mount (the inode front) of 600 instances, the service
# adding one instance every 0.2 s behind it, and 4 processes running
# os.listdir(instances/) in a loop for 12 s: no listing may hold a name
# twice, and every instance that existed for the whole run (the initial
# 600, none deleted) must be in every listing. A listing takes several
# READDIRs (600 names do not fit one reply), each at the offset the
# previous one ended at; a lister that starts (offset 0) while another is
# in the middle of its pass must not shift the entries under the other's
# offsets (a listing shared by every open of the directory and replaced at
# each offset 0 did: duplicates, and names skipped). The same run against
# ro,front=path is the control (its listing lives in each open's buffer).
# The kernel keeps the listing of an inode-front directory and re-reads it
# only after an invalidation (here about once a second), so the test drops
# the kernel's copy every millisecond (POSIX_FADV_DONTNEED on the
# directory: what memory pressure does), and the listers keep reaching
# casfs. Timing-dependent still: before the fix, 12-16 of ~30000 listings
# had a name twice in each of 3 runs; without the drops, 1-8 in 3 of 5.
source "$(dirname "$0")/lib.sh"
ADDER=""
trap 'r=$?; set +e; [ -z "$ADDER" ] || stop_pid "$ADDER"; (exit $r); cleanup' EXIT
start_emulator --instances 600 --seed 611
I=$MNT/instances
emu_get state | jq -r '.instances[].InstanceId' | sort >"$T/initial"
[ "$(wc -l <"$T/initial")" -eq 600 ] || fail "the emulator holds $(wc -l <"$T/initial") instances, not 600"

# run_listers LABEL SECONDS: the adder behind the mount and 4 listers;
# prints a JSON summary, fails the check if any listing is inconsistent
run_listers() {
	local label=$1 secs=$2
	ls "$I" >/dev/null || fail "first listing of the $label mount"
	(n=0; while :; do n=$((n + 1)); emu_post "instances/cas-cn-new-$label-$n" "{\"Domain\":\"new-$n.$label.example.com\"}" || true; sleep 0.2; done) &
	ADDER=$!
	python3 - "$I" "$T/initial" "$secs" >"$T/listers.$label" 2>&1 <<'PY' || true
import json, os, sys, time, collections, multiprocessing as mp
d, initial, secs = sys.argv[1], set(open(sys.argv[2]).read().split()), float(sys.argv[3])
def lister(stop, q):
    res, bad = collections.Counter(), []
    while time.time() < stop:
        try:
            names = os.listdir(d)
        except OSError as e:
            res["errors"] += 1
            bad.append("listdir: %s" % e)
            continue
        res["listings"] += 1
        dups = [n for n, c in collections.Counter(names).items() if c > 1]
        missing = initial.difference(names)
        if dups:
            res["with_duplicates"] += 1
            bad.append("%d names, %d twice (e.g. %s)" % (len(names), len(dups), dups[0]))
        if missing:
            res["with_missing"] += 1
            bad.append("%d names, %d initial ones missing (e.g. %s)" % (len(names), len(missing), sorted(missing)[0]))
    q.put((dict(res), bad[:3]))
q = mp.Queue()
stop = time.time() + secs
ps = [mp.Process(target=lister, args=(stop, q)) for _ in range(4)]
for p in ps: p.start()
# memory pressure's work, done on purpose: drop the kernel's cached listing
# of the directory (its pages) every millisecond, so that listers keep
# reaching the filesystem instead of the kernel's copy
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
drops = 0
while time.time() < stop:
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    drops += 1
    time.sleep(0.001)
os.close(fd)
res, bad = collections.Counter(), []
for _ in ps:
    r, b = q.get(timeout=secs + 60)
    res.update(r)
    bad += b
for p in ps: p.join()
print(json.dumps({"drops": drops, "listings": res["listings"], "with_duplicates": res["with_duplicates"],
                  "with_missing": res["with_missing"], "errors": res["errors"], "first_bad": bad[:3]}))
PY
	stop_pid "$ADDER"
	ADDER=""
	local s
	s=$(tail -n1 "$T/listers.$label")
	log "$label: $s"
	jq -e . <<<"$s" >/dev/null 2>&1 || { check_fail "$label: the listers did not finish: $(tail -c 600 "$T/listers.$label")"; return; }
	[ "$(jq .listings <<<"$s")" -ge 20 ] || check_fail "$label: only $(jq .listings <<<"$s") listings in $secs s"
	check_eq "$(jq -c '[.with_duplicates, .with_missing, .errors]' <<<"$s")" "[0,0,0]" \
		"$label: listings [with a name twice, missing an initial instance, failed] (first: $(jq -c .first_bad <<<"$s"))"
	# the adder's instances did reach the mount (the listing did change under the listers)
	local after
	after=$(ls "$I") || fail "$label: listing after the run"
	grep -q "^cas-cn-new-$label-" <<<"$after" || check_fail "$label: no added instance is listed after the run"
}

mount_casfs ro ttl=1 watch=1
check_eq "$(front)" inode "front of a ro,ttl=1,watch=1 mount"
run_listers inode 12

remount_casfs ro ttl=1 watch=1 front=path
check_eq "$(front)" path "front of a ro,ttl=1,watch=1,front=path mount"
run_listers path 8
check_eq "$(audit_count UpdateInstance)" 0 "calls that change the account"
checks_done
echo PASS
