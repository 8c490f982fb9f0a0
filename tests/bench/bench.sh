#!/usr/bin/env bash
# bench.sh: casfs performance figures, side by side, in one run. Never a
# pass/fail test: it prints numbers for the notes and the README.
#   1. warm whole-tree tar of 1,000 instances: casfs (default rw mount) and
#      casfs -o ro (its inode front) vs the null FUSE filesystems serving the
#      same bytes from memory (memfs: high-level API; memfs_ll --open: the
#      low-level API answering OPEN with everything kept; memfs_ll --no-open:
#      declining OPEN/OPENDIR, so the kernel sends no open/release at all) vs
#      the same tree on tmpfs; the FUSE requests of one warm tar, by kind
#   2. cold `ls -l instances/` and `cat instances/*/status` for 10,000
#      instances at --latency-ms 20: wall time and calls; RSS afterwards
#   3. cold tar of 1,000 instances at --latency-ms 20: calls against
#      N + issued + ceil(N/100) (details, one certificate per issued
#      instance, list pages) and wall time against the rate-limit bound
#   4. the same backup the way a script user does it today: a shell loop
#      calling the API once per instance with curl and a bearer token
#   5. RSS of casfs with 10,000 instances cached (list only, then details too)
#   7. (with 1) warm `find -type f | xargs cat` of the same tree, casfs and
#      casfs -o ro against tmpfs
#   8. warm `ls -l instances/` of 10,000 instances, casfs and casfs -o ro
#      against 10,000 directories on tmpfs
#   6. what drift costs a listing of 10,000 instances at 20 ms: one deletion
#      between pages 1 and 2, then a deletion before every page 2 (the union)
#   9. the certificate store at 20 ms: cold `ls -l certificates/` and
#      `cat certificates/*/not_after` against ceil(M/100) list pages, and a
#      cold tar of the store against M details + ceil(M/100)
# Usage: tests/bench/bench.sh [build-dir]   (default: build-bench, built here)
# BENCH_STEPS="1 3" runs only some steps.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-bench}
if [ ! -x "$build/fs/casfs" ] || [ ! -x "$build/tests/bench/memfs" ] || [ ! -x "$build/tests/bench/memfs_ll" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target casfs cas-emulator memfs memfs_ll >/dev/null
fi
EMU=$build/contrib/cas-emulator/cas-emulator
CASFS=$build/fs/casfs
MEMFS=$build/tests/bench/memfs
MEMFS_LL=$build/tests/bench/memfs_ll
W=$(mktemp -d /tmp/casfs-bench.XXXXXX)
mkdir -p "$W/tmpfs"
mount -t tmpfs -o size=512m tmpfs "$W/tmpfs"
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tBench ALIBABA_CLOUD_ACCESS_KEY_SECRET=benchsecret0123456789
export XDG_STATE_HOME=$W/state # never the caller's state directory
unset STATE_DIRECTORY # (systemd's, which casfs prefers)
unset ALIBABA_CLOUD_SECURITY_TOKEN DASHSCOPE_API_KEY ALIBABA_CLOUD_BEARER_TOKEN
TOKEN=bench-bearer-token
pids=()
mounts=()

cleanup() {
	set +e
	for m in "${mounts[@]}"; do fusermount3 -u "$m" 2>/dev/null; done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	umount "$W/tmpfs" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l | xargs printf '%.2f'; }
elapsed_ms() { echo "$(now) - $1" | bc -l | xargs printf '%.3f'; } # for the warm, best-of rows

start_emu() { # name args...: sets URL and AUDIT
	local name=$1
	shift
	AUDIT=$W/$name.audit
	"$EMU" --access-key "$ALIBABA_CLOUD_ACCESS_KEY_ID:$ALIBABA_CLOUD_ACCESS_KEY_SECRET" --bearer "$TOKEN" \
		--audit "$AUDIT" "$@" >"$W/$name.out" 2>"$W/$name.err" &
	pids+=($!)
	URL=""
	for _ in $(seq 1 200); do
		URL=$(sed -n 's/^listening on //p' "$W/$name.out" 2>/dev/null || true) # the file may not exist yet
		[ -n "$URL" ] && break
		sleep 0.05
	done
}

mount_casfs() { # dir opts
	mkdir -p "$1"
	"$CASFS" -f -o "endpoint=$URL${2:+,$2}" "$1" 2>"$W/casfs-$(basename "$1").log" &
	CASFS_PID=$!
	pids+=($CASFS_PID)
	mounts+=("$1")
	for _ in $(seq 1 200); do mountpoint -q "$1" && return; sleep 0.05; done
	echo "mount failed" >&2
	exit 1
}

ro_opts() { # the options of the "casfs -o ro" mount beside a default one
	echo "ro${BENCH_CASFS_OPTS:+,$BENCH_CASFS_OPTS}"
}

mount_null() { # dir command...: a null FUSE filesystem in the foreground
	local dir=$1
	shift
	mkdir -p "$dir"
	"$@" 2>"$W/null-$(basename "$dir").log" &
	pids+=($!)
	mounts+=("$dir")
	for _ in $(seq 1 200); do mountpoint -q "$dir" && return; sleep 0.05; done
	echo "mount of $* failed" >&2
	exit 1
}

calls() { [ -f "$AUDIT" ] && wc -l <"$AUDIT" || echo 0; }
count() { jq -c --arg a "$1" 'select(.action==$a)' "$AUDIT" | wc -l; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
tar_time() { # dir -> seconds of one full tar read
	local t0
	t0=$(now)
	tar -cf - -C "$1" . 2>"$W/tar.err" | cat >/dev/null
	[ -s "$W/tar.err" ] && { echo "tar warned:" >&2; head -3 "$W/tar.err" >&2; }
	elapsed_ms "$t0"
}

# best_of N FN DIR...: runs FN DIR for every DIR in turn, N rounds, so drift
# of the machine hits all alike; BEST[i] is the best time of the i-th DIR
best_of() {
	local n=$1 fn=$2 i d x
	shift 2
	BEST=()
	for i in $(seq 0 $(($# - 1))); do BEST[i]=999; done
	for _ in $(seq 1 "$n"); do
		i=0
		for d in "$@"; do
			x=$("$fn" "$d")
			BEST[i]=$(echo "if ($x < ${BEST[i]}) $x else ${BEST[i]}" | bc -l)
			i=$((i + 1))
		done
	done
}
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }

# req_delta FILE0 FILE1 [changed]: the fuse_requests of .cas/stats read into
# FILE1 less those of FILE0, by kind ("kind n, ..."). Kinds missing from either
# count as 0 (a kind this casfs does not know yet); "other" and, with
# "changed", every kind that did not change are left out.
req_delta() {
	jq -rn --slurpfile a "$1" --slurpfile b "$2" --arg changed "${3:-}" '
		($a[0] // {}) as $x | ($b[0] // {}) as $y
		| [($x + $y) | keys_unsorted[] | {key: ., value: (($y[.] // 0) - ($x[.] // 0))}]
		| map(select(if $changed != "" or .key == "other" then .value != 0 else true end))
		| map("\(.key) \(.value)") | join(", ")'
}
# requests DIR FN ARG [changed]: what one FN ARG sends to the casfs at DIR
requests() {
	jq -c .fuse_requests "$1/.cas/stats" >"$W/req0"
	"$2" "$3" >/dev/null
	jq -c .fuse_requests "$1/.cas/stats" >"$W/req1"
	req_delta "$W/req0" "$W/req1" "${4:-}"
}

echo "casfs benchmarks ($(nproc) cores, $(date -u +%FT%TZ))"
echo
steps=" ${BENCH_STEPS:-1 2 3 4 5 9} "
step() { [[ "$steps" == *" $1 "* ]]; }

# 1 --------------------------------------------------------------------------
if step 1; then
start_emu warm --instances 1000 --seed 11
mount_casfs "$W/warm" "${BENCH_CASFS_OPTS:-}"
mount_casfs "$W/ro" "$(ro_opts)" # the same account, read-only: casfs's inode front
for d in "$W/warm" "$W/ro"; do
	tar_time "$d" >/dev/null # cold pass: fills the cache
	tar_time "$d" >/dev/null # and the kernel's
done
cp -a "$W/warm/." "$W/tmpfs/tree"
mount_null "$W/mem" "$MEMFS" "$W/tmpfs/tree" "$W/mem" -f
mount_null "$W/llopen" "$MEMFS_LL" --open "$W/tmpfs/tree" "$W/llopen"
mount_null "$W/llnoopen" "$MEMFS_LL" --no-open "$W/tmpfs/tree" "$W/llnoopen"
for d in "$W/mem" "$W/llopen" "$W/llnoopen"; do tar_time "$d" >/dev/null; done
files=$(find "$W/tmpfs/tree" | wc -l)
labels=("casfs" "casfs -o ro" "memfs (null FUSE, high-level)" "memfs_ll --open (null, low-level)" "memfs_ll --no-open (declines OPEN)" "tmpfs")
best_of 7 tar_time "$W/warm" "$W/ro" "$W/mem" "$W/llopen" "$W/llnoopen" "$W/tmpfs/tree"
echo "1. warm whole-tree tar, 1,000 instances ($files entries), best of 7, interleaved"
printf '   %-36s %8s   %7s %7s\n' "" "time" "/ tmpfs" "/ memfs"
for i in "${!labels[@]}"; do
	printf '   %-36s %6.3f s   %7s %7s\n' "${labels[i]}" "${BEST[i]}" "$(ratio "${BEST[i]}" "${BEST[5]}")" "$(ratio "${BEST[i]}" "${BEST[2]}")"
done
printf '   casfs / memfs = %s, casfs / tmpfs = %s; casfs -o ro / memfs = %s, casfs -o ro / tmpfs = %s (target <= 2)\n' \
	"$(ratio "${BEST[0]}" "${BEST[2]}")" "$(ratio "${BEST[0]}" "${BEST[5]}")" "$(ratio "${BEST[1]}" "${BEST[2]}")" "$(ratio "${BEST[1]}" "${BEST[5]}")"
# the requests that reach casfs during one more warm tar, by kind (.cas/stats)
echo "   FUSE requests reaching casfs in one warm tar (.cas/stats fuse_requests):"
printf '     %-12s %s\n' "casfs" "$(requests "$W/warm" tar_time "$W/warm")"
printf '     %-12s %s\n' "casfs -o ro" "$(requests "$W/ro" tar_time "$W/ro")"
echo "   (the reads of .cas/stats themselves add a few: a getattr, open, read, release)"
echo
for d in "$W/mem" "$W/llopen" "$W/llnoopen"; do fusermount3 -u "$d"; done
# 7: warm find | xargs cat against tmpfs, on the same trees
if step 7; then
	fc() { # dir -> seconds
		local t0
		t0=$(now)
		(cd "$1" && find . -type f -print0 | xargs -0 cat >/dev/null)
		elapsed_ms "$t0"
	}
	fc "$W/warm" >/dev/null
	fc "$W/ro" >/dev/null
	best_of 5 fc "$W/warm" "$W/ro" "$W/tmpfs/tree"
	echo "7. warm find -type f | xargs cat, 1,000 instances, best of 5, interleaved"
	printf '   casfs %.3f s, casfs -o ro %.3f s, tmpfs %.3f s; casfs / tmpfs = %s, casfs -o ro / tmpfs = %s\n\n' \
		"${BEST[0]}" "${BEST[1]}" "${BEST[2]}" "$(ratio "${BEST[0]}" "${BEST[2]}")" "$(ratio "${BEST[1]}" "${BEST[2]}")"
fi
fusermount3 -u "$W/warm"
fusermount3 -u "$W/ro"
fi

# 8 ----------------------------------------------------------------------------
if step 8; then
start_emu ls --instances 10000 --seed 18
mount_casfs "$W/ls" "${BENCH_CASFS_OPTS:-}"
mount_casfs "$W/lsro" "$(ro_opts)"
for d in "$W/ls" "$W/lsro"; do
	ls -l "$d/instances" >/dev/null # cold: fills the cache
	ls -l "$d/instances" >/dev/null # and the kernel's
done
mkdir -p "$W/tmpfs/ls"
(cd "$W/tmpfs/ls" && ls "$W/ls/instances" | xargs mkdir -p)
lt() { # dir -> seconds of one ls -l
	local t0
	t0=$(now)
	ls -l "$1" >/dev/null
	elapsed_ms "$t0"
}
best_of 5 lt "$W/ls/instances" "$W/lsro/instances" "$W/tmpfs/ls"
echo "8. warm ls -l instances/ of 10,000 instances, best of 5, interleaved"
printf '   casfs %.3f s, casfs -o ro %.3f s, tmpfs %.3f s; casfs / tmpfs = %s, casfs -o ro / tmpfs = %s\n' \
	"${BEST[0]}" "${BEST[1]}" "${BEST[2]}" "$(ratio "${BEST[0]}" "${BEST[2]}")" "$(ratio "${BEST[1]}" "${BEST[2]}")"
echo "   FUSE requests reaching casfs in one warm ls -l (kinds that changed):"
printf '     %-12s %s\n' "casfs" "$(requests "$W/ls" lt "$W/ls/instances" changed)"
printf '     %-12s %s\n' "casfs -o ro" "$(requests "$W/lsro" lt "$W/lsro/instances" changed)"
echo
fusermount3 -u "$W/ls"
fusermount3 -u "$W/lsro"
fi

# 2 ----------------------------------------------------------------------------
if step 2; then
start_emu big --instances 10000 --seed 12 --latency-ms 20
mount_casfs "$W/big"
base=$(calls)
t0=$(now)
ls -l "$W/big/instances" >/dev/null
tl=$(elapsed "$t0")
cl=$(( $(calls) - base ))
t0=$(now)
cat "$W/big/instances"/*/status >/dev/null
ts=$(elapsed "$t0")
cs=$(( $(calls) - base - cl ))
echo "2. cold listing of 10,000 instances at 20 ms latency"
printf '   ls -l instances/              %6s s  %4d calls (%d ListInstances, the mount probe as page 1; minimum 100)\n' "$tl" "$cl" "$(count ListInstances)"
printf '   cat instances/*/status        %6s s  %4d calls (%d GetInstanceDetail)\n\n' "$ts" "$cs" "$(count GetInstanceDetail)"
fusermount3 -u "$W/big"
fi

# 3 ----------------------------------------------------------------------------
if step 3 || step 4; then
start_emu cold --instances 1000 --seed 13 --latency-ms 20
mount_casfs "$W/cold"
base=$(calls)
t0=$(now)
tar -cf - -C "$W/cold" . 2>"$W/tar.err" | cat >/dev/null
tc=$(elapsed "$t0")
cc=$(( $(calls) - base ))
n=1000
issued=$(curl -sf "$URL/_emulator/state" | jq '[.instances[] | select(.CertificateId != null)] | length')
min=$(( n + issued + (n + 99) / 100 + 3 )) # details, certificates, list pages, summary, cloud access, private CA
bound=$(echo "($cc - 10) / 100" | bc -l) # 100 QPS with a burst of 10
echo "3. cold tar of 1,000 instances at 20 ms latency (default -o qps=100)"
printf '   wall time %s s; rate-limit bound for %d calls %.2f s; ratio %.2f (target <= 1.3)\n' "$tc" "$cc" "$bound" "$(echo "$tc / $bound" | bc -l)"
printf '   calls %d; N + issued (%d) + ceil(N/100) + 3 = %d; GetInstanceDetail %d; GetUserCertificateDetail %d\n\n' \
	"$cc" "$issued" "$min" "$(count GetInstanceDetail)" "$(count GetUserCertificateDetail)"
fusermount3 -u "$W/cold"
fi

# 4 ----------------------------------------------------------------------------
if step 4; then
curl_call() { # action query
	curl -s -X POST -H "x-acs-action: $1" -H 'x-acs-version: 2020-04-07' -H "x-acs-bearer-token: $TOKEN" \
		-H "x-acs-date: $(date -u +%FT%TZ)" -H "x-acs-signature-nonce: $(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" \
		-H "x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$URL/?$2&SignatureType=BEARERTOKEN"
}
mkdir -p "$W/script"
t0=$(now)
for page in $(seq 1 10); do
	curl_call ListInstances "CurrentPage=$page&ShowSize=100" | jq -r '.InstanceList[].InstanceId'
done >"$W/script/ids"
while read -r id; do
	curl_call GetInstanceDetail "InstanceId=$id" >"$W/script/$id.json"
done <"$W/script/ids"
tcurl=$(elapsed "$t0")
echo "4. the same backup as a shell loop of curl calls (one process and connection per call)"
printf '   %s s for %d instances (casfs cold tar above: %s s)\n\n' "$tcurl" "$(wc -l <"$W/script/ids")" "$tc"
fi

# 5 ----------------------------------------------------------------------------
if step 5; then
start_emu rss --instances 10000 --seed 14
mount_casfs "$W/rss" "qps=5000"
ls -l "$W/rss/instances" >/dev/null
cat "$W/rss/instances"/*/status >/dev/null
r1=$(rss_mb "$CASFS_PID")
cat "$W/rss/instances"/*/detail >/dev/null
r2=$(rss_mb "$CASFS_PID")
echo "5. casfs RSS with 10,000 instances cached (target <= 64 MiB)"
printf '   list + value files read: %s MiB\n' "$r1"
printf '   every detail read too:   %s MiB\n' "$r2"
fi

# 6 ----------------------------------------------------------------------------
if step 6; then
start_emu drift --instances 10000 --seed 16 --latency-ms 20
mount_casfs "$W/drift"
ls "$W/drift/instances" >/dev/null
echo "6. listing 10,000 instances at 20 ms latency under drift (calls of one ls after .cas/refresh)"
for spec in '{"drift":{"page":0}}' '{"drift":{"page":2,"delete":1}}' '{"drift":{"page":2,"delete":1,"times":-1}}'; do
	curl -sf -X POST --data-binary "$spec" "$URL/_emulator/listing" >/dev/null
	echo 1 >"$W/drift/.cas/refresh"
	base=$(count ListInstances)
	t0=$(now)
	n=$(ls "$W/drift/instances" | wc -l)
	printf '   %-45s %6s s  %4d ListInstances  %5d entries\n' "$spec" "$(elapsed "$t0")" "$(( $(count ListInstances) - base ))" "$n"
done
jq -c .listings "$W/drift/.cas/stats" | sed 's/^/   .cas\/stats listings: /'
fusermount3 -u "$W/drift"
fi

# 9 ----------------------------------------------------------------------------
# The certificate store (issue 19): M certificates (the issued ones of 1,000
# instances plus BENCH_UPLOADS uploads, every fifth expired) at 20 ms latency.
if step 9; then
start_emu store --instances 1000 --seed 19 --latency-ms 20
ups=${BENCH_UPLOADS:-200}
for i in $(seq 1 "$ups"); do
	na=$([ $((i % 5)) = 0 ] && echo 1600000000000 || echo 4000000000000)
	curl -sf -X POST --data-binary "{\"Name\":\"u$i.bench\",\"CommonName\":\"u$i.bench.example\",\"NotAfter\":$na}" \
		"$URL/_emulator/store" >/dev/null
done
: >"$AUDIT" # the seeding is not the mount's
mount_casfs "$W/store"
base=$(calls)
t0=$(now)
ls -l "$W/store/certificates" >/dev/null
tl=$(elapsed "$t0")
cl=$(( $(calls) - base ))
lc=$(count ListCertificates)
t0=$(now)
cat "$W/store/certificates"/*/not_after >/dev/null
ts=$(elapsed "$t0")
cs=$(( $(calls) - base - cl ))
m=$(jq -s length "$W/store/certificates.jsonl")
pages=$(( (m + 99) / 100 ))
echo "9. the certificate store: $m certificates ($ups uploads, the rest issued), 20 ms latency"
printf '   %-32s %6s s  %5d calls (%d ListCertificates); minimum ceil(M/100) = %d\n' "cold ls -l certificates/" "$tl" "$cl" "$lc" "$pages"
printf '   %-32s %6s s  %5d calls; minimum 0 (the list has NotAfter)\n' "cat certificates/*/not_after" "$ts" "$cs"
fusermount3 -u "$W/store"
: >"$AUDIT"
mount_casfs "$W/store"
base=$(calls)
t0=$(now)
tar -cf - -C "$W/store" certificates certificates.jsonl 2>"$W/tar.err" | cat >/dev/null
tc=$(elapsed "$t0")
cc=$(( $(calls) - base ))
printf '   %-32s %6s s  %5d calls (%d ListCertificates, %d GetUserCertificateDetail); minimum M + ceil(M/100) = %d\n\n' \
	"cold tar of the store" "$tc" "$cc" "$(count ListCertificates)" "$(count GetUserCertificateDetail)" "$((m + pages))"
fusermount3 -u "$W/store"
fi
