#!/usr/bin/env bash
# bench.sh: casfs performance figures, side by side, in one run. Never a
# pass/fail test: it prints numbers for the notes and the README.
#   1. warm whole-tree tar of 1,000 instances: casfs vs memfs (a null FUSE
#      filesystem serving the same bytes from memory) vs the same tree on tmpfs
#   2. cold `ls -l instances/` and `cat instances/*/status` for 10,000
#      instances at --latency-ms 20: wall time and calls; RSS afterwards
#   3. cold tar of 1,000 instances at --latency-ms 20: calls against
#      N + issued + ceil(N/100) (details, one certificate per issued
#      instance, list pages) and wall time against the rate-limit bound
#   4. the same backup the way a script user does it today: a shell loop
#      calling the API once per instance with curl and a bearer token
#   5. RSS of casfs with 10,000 instances cached (list only, then details too)
#   7. (with 1) warm `find -type f | xargs cat` of the same tree against tmpfs
#   8. warm `ls -l instances/` of 10,000 instances against 10,000 directories on tmpfs
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
if [ ! -x "$build/fs/casfs" ] || [ ! -x "$build/tests/bench/memfs" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target casfs cas-emulator memfs >/dev/null
fi
EMU=$build/contrib/cas-emulator/cas-emulator
CASFS=$build/fs/casfs
MEMFS=$build/tests/bench/memfs
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

calls() { [ -f "$AUDIT" ] && wc -l <"$AUDIT" || echo 0; }
count() { jq -c --arg a "$1" 'select(.action==$a)' "$AUDIT" | wc -l; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
tar_time() { # dir -> seconds of one full tar read
	local t0
	t0=$(now)
	tar -cf - -C "$1" . 2>"$W/tar.err" | cat >/dev/null
	[ -s "$W/tar.err" ] && { echo "tar warned:" >&2; head -3 "$W/tar.err" >&2; }
	elapsed "$t0"
}

echo "casfs benchmarks ($(nproc) cores, $(date -u +%FT%TZ))"
echo
steps=" ${BENCH_STEPS:-1 2 3 4 5 9} "
step() { [[ "$steps" == *" $1 "* ]]; }

# 1 --------------------------------------------------------------------------
if step 1; then
start_emu warm --instances 1000 --seed 11
mount_casfs "$W/warm" "${BENCH_CASFS_OPTS:-}"
tar_time "$W/warm" >/dev/null # cold pass: fills the cache
tar_time "$W/warm" >/dev/null # and the kernel's
cp -a "$W/warm/." "$W/tmpfs/tree"
"$MEMFS" "$W/tmpfs/tree" "$W/mem" -f 2>/dev/null &
pids+=($!)
mounts+=("$W/mem")
mkdir -p "$W/mem"
for _ in $(seq 1 200); do mountpoint -q "$W/mem" && break; sleep 0.05; done
tar_time "$W/mem" >/dev/null
files=$(find "$W/tmpfs/tree" | wc -l)
# interleaved, best of 7 each, so drift of the machine hits all three alike
c=999 m=999 t=999
for _ in 1 2 3 4 5 6 7; do
	c=$(echo "x=$(tar_time "$W/warm"); if (x < $c) x else $c" | bc -l)
	m=$(echo "x=$(tar_time "$W/mem"); if (x < $m) x else $m" | bc -l)
	t=$(echo "x=$(tar_time "$W/tmpfs/tree"); if (x < $t) x else $t" | bc -l)
done
c=$(printf '%.3f' "$c") m=$(printf '%.3f' "$m") t=$(printf '%.3f' "$t")
echo "1. warm whole-tree tar, 1,000 instances ($files entries), best of 7, interleaved"
printf '   %-28s %8s s\n' "casfs" "$c" "memfs (null FUSE, same bytes)" "$m" "tmpfs" "$t"
printf '   casfs / memfs = %.2f; casfs / tmpfs = %.2f (target <= 2)\n' "$(echo "$c / $m" | bc -l)" "$(echo "$c / $t" | bc -l)"
# the requests that reach casfs during one more warm tar, by kind (.cas/stats)
jq -c .fuse_requests "$W/warm/.cas/stats" >"$W/req0"
tar_time "$W/warm" >/dev/null
jq -c .fuse_requests "$W/warm/.cas/stats" >"$W/req1"
printf '   FUSE requests reaching casfs in one warm tar:'
jq -rn --slurpfile a "$W/req0" --slurpfile b "$W/req1" \
	'$b[0] | to_entries | map(select(.key != "other") | "\(.key) \(.value - $a[0][.key])") | join(", ")' | sed 's/^/ /'
echo "   (the read of .cas/stats itself adds one getattr, open, read, release)"
echo
fusermount3 -u "$W/mem"
# 7: warm find | xargs cat against tmpfs, on the same trees
if step 7; then
	fc() { # dir -> seconds
		local t0
		t0=$(now)
		(cd "$1" && find . -type f -print0 | xargs -0 cat >/dev/null)
		elapsed "$t0"
	}
	fc "$W/warm" >/dev/null
	c=999 t=999
	for _ in 1 2 3 4 5; do
		c=$(echo "x=$(fc "$W/warm"); if (x < $c) x else $c" | bc -l)
		t=$(echo "x=$(fc "$W/tmpfs/tree"); if (x < $t) x else $t" | bc -l)
	done
	echo "7. warm find -type f | xargs cat, 1,000 instances, best of 5, interleaved"
	printf '   casfs %.3f s, tmpfs %.3f s, casfs / tmpfs = %.2f\n\n' "$c" "$t" "$(echo "$c / $t" | bc -l)"
fi
fusermount3 -u "$W/warm"
fi

# 8 ----------------------------------------------------------------------------
if step 8; then
start_emu ls --instances 10000 --seed 18
mount_casfs "$W/ls" "${BENCH_CASFS_OPTS:-}"
ls -l "$W/ls/instances" >/dev/null # cold: fills the cache
ls -l "$W/ls/instances" >/dev/null # and the kernel's
mkdir -p "$W/tmpfs/ls"
(cd "$W/tmpfs/ls" && ls "$W/ls/instances" | xargs mkdir -p)
lt() { # dir -> seconds of one ls -l
	local t0
	t0=$(now)
	ls -l "$1" >/dev/null
	elapsed "$t0"
}
c=999 t=999
for _ in 1 2 3 4 5; do
	c=$(echo "x=$(lt "$W/ls/instances"); if (x < $c) x else $c" | bc -l)
	t=$(echo "x=$(lt "$W/tmpfs/ls"); if (x < $t) x else $t" | bc -l)
done
jq -c .fuse_requests "$W/ls/.cas/stats" >"$W/req0"
ls -l "$W/ls/instances" >/dev/null
jq -c .fuse_requests "$W/ls/.cas/stats" >"$W/req1"
echo "8. warm ls -l instances/ of 10,000 instances, best of 5, interleaved"
printf '   casfs %.3f s, tmpfs %.3f s, casfs / tmpfs = %.2f\n' "$c" "$t" "$(echo "$c / $t" | bc -l)"
printf '   FUSE requests reaching casfs in one warm ls -l:'
jq -rn --slurpfile a "$W/req0" --slurpfile b "$W/req1" \
	'$b[0] | to_entries | map(select(.value != $a[0][.key]) | "\(.key) \(.value - $a[0][.key])") | join(", ")' | sed 's/^/ /'
echo
fusermount3 -u "$W/ls"
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
