#!/usr/bin/env bash
# run.sh: builds the libFuzzer harnesses with clang (ASan+UBSan) in
# build-fuzz/ and runs each for FUZZ_SECONDS (default 300; contrib/test.sh
# uses 10) on a working copy of its seeds (corpus/<name>/ is never
# modified). Prints executions and coverage per harness; exits non-zero on
# any crash, sanitizer report or broken property (the input is kept in
# build-fuzz/fuzz-out/<name>/).  tests/fuzz/run.sh [HARNESS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
B=$(realpath -m "${FUZZ_BUILD:-$root/build-fuzz}") # absolute: the harnesses run from their own directory
secs=${FUZZ_SECONDS:-300}
command -v clang >/dev/null || { echo "fuzz: clang is not installed (contrib/deps.sh)" >&2; exit 1; }
cmake -S "$root" -B "$B" -DCMAKE_C_COMPILER=clang -DCASFS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
names=("$@")
[ ${#names[@]} -gt 0 ] || names=($(cd "$here" && ls fuzz_*.c | sed 's/\.c$//'))
cmake --build "$B" -j"$(nproc)" --target "${names[@]}" >"$B/fuzz-build.log" 2>&1 || { tail -30 "$B/fuzz-build.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
printf '%-14s %12s %8s %8s %s\n' harness executions cov features result
for n in "${names[@]}"; do
	out=$B/fuzz-out/$n
	rm -rf "$out"
	mkdir -p "$out/corpus"
	cp -r "$here/corpus/$n/." "$out/corpus/" 2>/dev/null || true
	r=0
	(cd "$out" && "$B/tests/fuzz/$n" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=1024 \
		corpus >fuzz.log 2>&1) || r=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
	cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$out/fuzz.log" | tail -1 || true) # none when it failed at once
	res=ok
	if [ "$r" -ne 0 ] || grep -qE 'runtime error:|ERROR: (Address|Leak|libFuzzer)' "$out/fuzz.log"; then
		res="FAILED (exit $r; see $out/fuzz.log)"
		rc=1
		grep -E 'runtime error:|ERROR:|SUMMARY' "$out/fuzz.log" | head -5 >&2
	fi
	printf '%-14s %12s %8s %8s %s\n' "$n" "${execs:-?}" "$(awk '{print $2}' <<<"$cov")" "$(awk '{print $4}' <<<"$cov")" "$res"
done
exit "$rc"
