#!/bin/bash
# client_rps.sh: a benchmark, never a pass/fail test. Starts the emulator
# with a bearer token, then measures GetInstanceDetail requests per second
# (1) through the casfs API client (tests/bench/client_rps: one warm
# connection, reused) and (2) the way a script user works today: one `curl`
# process per call in a shell loop (a new connection per call, headers built
# with `date` and $RANDOM). Prints the two figures side by side.
#
#   tests/bench/client_rps.sh [BUILD_DIR]        (default: build)
#   CLIENT_CALLS=N CURL_CALLS=M THREADS=T LATENCY_MS=L tests/bench/client_rps.sh
set -euo pipefail

build=${1:-build}
emu=$build/contrib/cas-emulator/cas-emulator
tool=$build/tests/bench/client_rps
client_calls=${CLIENT_CALLS:-3000}
curl_calls=${CURL_CALLS:-300}
threads=${THREADS:-1}
latency=${LATENCY_MS:-0}
for f in "$emu" "$tool"; do
	[ -x "$f" ] || { echo "client_rps.sh: $f not built (cmake --build $build --target cas-emulator client_rps)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "client_rps.sh: curl is not installed" >&2; exit 2; }

TOK=bench-bearer-token-$$
tmp=$(mktemp -d)
emu_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

"$emu" --bearer "$TOK" --instances 100 --latency-ms "$latency" >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
for _ in $(seq 100); do
	grep -q '^listening on ' "$tmp/emu.out" 2>/dev/null && break
	sleep 0.05
done
URL=$(sed -n 's/^listening on //p' "$tmp/emu.out")
[ -n "$URL" ] || { echo "client_rps.sh: the emulator did not start: $(cat "$tmp/emu.err")" >&2; exit 1; }
ID=$(curl -s "$URL/_emulator/instances" | tr -d '[]"' | cut -d, -f1)

# (1) the client, connection reuse
client_line=$("$tool" -n "$client_calls" -t "$threads" -b "$TOK" "$URL" "$ID")
client_rps=$(sed -n 's/.* s: \([0-9]*\) req\/s.*/\1/p' <<<"$client_line")

# (2) curl in a shell loop, one process and one connection per call
ok=0
start=$(date +%s.%N)
for _ in $(seq "$curl_calls"); do
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'x-acs-action: GetInstanceDetail' \
		-H 'x-acs-version: 2020-04-07' -H "x-acs-bearer-token: $TOK" \
		-H "x-acs-date: $(date -u +%FT%TZ)" -H "x-acs-signature-nonce: $RANDOM$RANDOM$RANDOM" \
		-H 'x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
		"$URL/?InstanceId=$ID&SignatureType=BEARERTOKEN")
	[ "$code" = 200 ] && ok=$((ok + 1))
done
end=$(date +%s.%N)
curl_rps=$(awk -v n="$curl_calls" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }')

echo "$client_line"
echo "curl loop: $curl_calls calls, $ok answered 200, $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') s"
printf '\n%-44s %10s\n' "GetInstanceDetail against the emulator" "req/s"
printf '%-44s %10s\n' "casfs API client (connection reuse, $threads thr)" "$client_rps"
printf '%-44s %10s\n' "curl per call in a shell loop" "$curl_rps"
awk -v a="$client_rps" -v b="$curl_rps" 'BEGIN { if (b > 0) printf "%-44s %9.1fx\n", "ratio", a / b }'
