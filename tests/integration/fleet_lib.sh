# fleet_lib.sh: several casfs processes of one account (stand-ins for hosts,
# each with its own state directory) and a redis-server on a loopback port,
# started and stopped by pid. Sourced after lib.sh.
command -v redis-server >/dev/null && command -v redis-cli >/dev/null ||
	{ echo "SKIP: redis-server/redis-cli missing (contrib/deps.sh installs them)"; exit 77; }
REDIS_PID="" REDIS_PORT=""
FLEET_PIDS=() FLEET_MNTS=()

# start_redis [port]: a throwaway redis-server (no persistence) on 127.0.0.1
start_redis() {
	REDIS_PORT=${1:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --enable-debug-command local \
		--dir "$T" >"$T/redis.log" 2>&1 &
	REDIS_PID=$!
	local i
	for i in $(seq 1 400); do # up to 20 s
		redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	fail "redis-server did not start: $(tail -3 "$T/redis.log")"
}
stop_redis() {
	[ -n "$REDIS_PID" ] || return 0
	stop_pid "$REDIS_PID"
	REDIS_PID=""
}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

# mount_fleet I [options...]: mounts $T/m<I> (state in $T/s<I>: its own host)
mount_fleet() {
	local i=$1
	shift
	local mnt=$T/m$i opts="endpoint=$EMU_URL,state_dir=$T/s$i" o
	mkdir -p "$mnt" "$T/s$i"
	chmod 700 "$T/s$i"
	for o in "$@"; do opts="$opts,$o"; done
	"$CASFS_BIN" -f -o "$opts" "$mnt" >>"$T/casfs$i.log" 2>&1 &
	FLEET_PIDS[$i]=$!
	FLEET_MNTS[$i]=$mnt
	for o in $(seq 1 600); do # up to 30 s (an ASan build on a loaded machine starts slowly)
		mountpoint -q "$mnt" && return 0
		kill -0 "${FLEET_PIDS[$i]}" 2>/dev/null || fail "casfs $i exited at mount time: $(tail -5 "$T/casfs$i.log")"
		sleep 0.05
	done
	fail "casfs $i did not mount"
}
umount_fleet() { # I
	local i=$1 pid=${FLEET_PIDS[$1]:-} j rc=0
	[ -n "$pid" ] || return 0
	FLEET_PIDS[$i]=""
	for j in $(seq 1 50); do
		fusermount3 -u "${FLEET_MNTS[$i]}" 2>/dev/null && break
		mountpoint -q "${FLEET_MNTS[$i]}" || break
		sleep 0.1
	done
	mountpoint -q "${FLEET_MNTS[$i]}" && fusermount3 -uz "${FLEET_MNTS[$i]}"
	for j in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; UNCLEAN=1; echo "FAIL: casfs $i did not exit" >&2; }
	wait "$pid" 2>/dev/null || rc=$?
	[ "$rc" -eq 0 ] || { UNCLEAN=1; echo "FAIL: casfs $i exited with status $rc" >&2; }
}
fleet_cleanup() {
	local rc=$? i
	for i in "${!FLEET_PIDS[@]}"; do umount_fleet "$i"; done
	stop_redis
	[ "$rc" -eq 0 ] || for i in "${!FLEET_MNTS[@]}"; do echo "--- casfs$i.log" >&2; tail -5 "$T/casfs$i.log" >&2; done
	(exit "$rc")
	cleanup
}
trap fleet_cleanup EXIT
share_url() { echo "share=redis://127.0.0.1:$REDIS_PORT"; }
stat_of() { jq -r "$2" "${FLEET_MNTS[$1]}/.cas/stats"; } # I jq-path
# audit_rate_excess QPS: the most that requests of any action in the audit
# log ran ahead of QPS (see audit_burst; a bucket of burst B keeps it <= B + 1)
audit_rate_excess() {
	jq -r '.time' "$AUDIT" | python3 -c '
import sys, datetime
qps = float(sys.argv[1])
t = sorted(datetime.datetime.fromisoformat(l.strip().replace("Z", "+00:00")).timestamp() for l in sys.stdin if l.strip())
best, low = 0.0, None
for j, tj in enumerate(t):
    v = j - qps * tj
    low = v if low is None or v < low else low
    best = max(best, v - low + 1)
print(int(best))' "$1"
}
# tar_all DIR...: a cold tar of each mount at once; fails on any tar error
tar_all() {
	local p=() i
	for i in "$@"; do tar -cf "$T/t$i.tar" -C "$T/m$i" . 2>"$T/tar$i.err" & p+=($!); done
	for i in "${!p[@]}"; do wait "${p[$i]}" || fail "tar of mount $((i + 1)) failed: $(head -3 "$T/tar$((i + 1)).err")"; done
}
