#!/usr/bin/env bash
# The state database in daemon mode (no -f): two daemonized mounts of one
# account share it with a `sqlite3` process reading it at the same time.
# Each daemon opened the database itself after the fork, so it holds
# SQLite's locks: the reader never deletes the WAL under a daemon (no
# "(deleted)" database file among its fds), PRAGMA integrity_check is ok,
# every applied UpdateInstance of the audit log has its own journal record
# (none lost, none overwritten), the month's call counts equal the audit
# log's lines, and a mutation in flight in a daemon shows as "pending" (its
# daemon's pid was recorded, not the pid of the process that forked it),
# never "interrupted", and "ok" once done.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 175 --latency-ms 150
command -v sqlite3 >/dev/null || skip_test "no sqlite3 command (contrib/deps.sh installs it)"
S=$T/state M2=$T/mnt2 P2="" RD=""
mkdir -p "$M2"
second_down() {
	[ -z "$RD" ] || { kill "$RD" 2>/dev/null; wait "$RD" 2>/dev/null; }
	mountpoint -q "$M2" && fusermount3 -u "$M2"
	local i
	for i in $(seq 1 100); do [ -n "$P2" ] && kill -0 "$P2" 2>/dev/null || break; sleep 0.1; done
	return 0
}
trap 'rc=$?; set +e; second_down; (exit $rc); cleanup' EXIT

# daemon MOUNTPOINT LOG: mounts in daemon mode (no -f) and prints the daemon's pid
daemon() {
	ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$T/asan" timeout 60 "$CASFS_BIN" -o "endpoint=$EMU_URL,ttl=1,state_dir=$S,log_file=$2" "$1" 2>>"$T/casfs.log" ||
		fail "daemon mount of $1: $(tail -3 "$T/casfs.log")"
	mountpoint -q "$1" || fail "no mount at $1"
	local p
	p=$(daemon_of "$1")
	[ -n "$p" ] || { fusermount3 -u "$1"; fail "no daemon found for $1"; }
	echo "$p"
}
no_deleted_db() { # pid what
	local d
	d=$(ls -l "/proc/$1/fd" 2>/dev/null | grep -F "$S/" | grep -F '(deleted)' || true)
	[ -z "$d" ] || fail "$2: the daemon's state database files were deleted under it: $d"
}

CASFS_PID=$(daemon "$MNT" "$T/a.log")
db=$(ls "$S"/account-*.db)
ls "$MNT/instances" >/dev/null
# a reader that opens and closes the database: the last connection to close
# checkpoints and deletes the WAL, unless a daemon holds its lock
sqlite3 "$db" 'SELECT count(*) FROM calls;' >/dev/null || fail "sqlite3 cannot read $db"
ls "$MNT/instances" >/dev/null
no_deleted_db "$CASFS_PID" "after one sqlite3 reader"

P2=$(daemon "$M2" "$T/b.log")
sqlite3 "$db" 'SELECT count(*) FROM journal;' >/dev/null
no_deleted_db "$P2" "second daemon, after a sqlite3 reader"
(while :; do sqlite3 "$db" 'SELECT count(*) FROM journal; SELECT sum(n) FROM calls;' >/dev/null 2>&1; sleep 0.05; done) &
RD=$!

ids=($(emu_get state | jq -r '.instances[].InstanceId'))
a=${ids[0]} b=${ids[1]}
# in_flight NAME...: polls both mounts' journals while writes of NAMEs run;
# fails on "interrupted", prints 1 when a record was seen "pending"
in_flight() {
	local i n line pending=0 done
	for i in $(seq 1 100); do
		done=1
		for n in "$@"; do
			line=$(cat "$MNT/.cas/journal" "$M2/.cas/journal" | grep -F "\"$n\"" || true)
			case "$line" in *'"interrupted"'*) fail "a mutation in flight shows as interrupted: $line" ;; esac
			case "$line" in *'"pending"'*) pending=1 ;; esac
			[ "$(grep -c '"ok"' <<<"$line")" = 2 ] || done=0 # ok in both mounts' journals
		done
		[ "$done" = 0 ] || break
		sleep 0.03
	done
	echo "$pending"
}
pend=0
for i in 1 2 3 4; do
	echo "fork-a-$i" >"$MNT/instances/$a/name" & wa=$!
	echo "fork-b-$i" >"$M2/instances/$b/name" & wb=$!
	p=$(in_flight "fork-a-$i" "fork-b-$i")
	wait "$wa" || fail "write fork-a-$i"
	wait "$wb" || fail "write fork-b-$i"
	pend=$((pend + p))
	cat "$MNT"/instances/*/detail "$M2"/instances/*/detail >/dev/null
done
[ "$pend" -gt 0 ] || fail "no write was seen in flight (pending) in 4 tries"
no_deleted_db "$CASFS_PID" "first daemon, after the workload"
no_deleted_db "$P2" "second daemon, after the workload"
for m in "$MNT" "$M2"; do
	grep -q '"interrupted"' "$m/.cas/journal" && fail "$m/.cas/journal shows interrupted: $(grep interrupted "$m/.cas/journal")"
done

kill "$RD"; wait "$RD" 2>/dev/null || true; RD=""
second_down
P2=""
umount_casfs || fail "unclean unmount"
# a daemon's stderr is /dev/null: sanitizer builds write their reports to files
! ls "$T"/asan.* >/dev/null 2>&1 || fail "sanitizer report from a daemon: $(head -40 "$T"/asan.*)"
expect_eq "$(sqlite3 "$db" 'PRAGMA integrity_check;')" "ok" "integrity_check"
# the journal: one ok record per applied UpdateInstance, with its RequestId
jq -r 'select(.action == "UpdateInstance" and .applied == true) | .request_id' "$AUDIT" | sort >"$T/applied"
sqlite3 "$db" "SELECT request_id FROM journal WHERE outcome = 'ok';" | sort >"$T/journal"
expect_eq "$(wc -l <"$T/applied")" 8 "applied UpdateInstance calls"
diff "$T/applied" "$T/journal" >/dev/null || fail "journal records and applied calls differ: $(diff "$T/applied" "$T/journal")"
expect_eq "$(sqlite3 "$db" 'SELECT count(*) FROM journal;')" 8 "journal records"
expect_eq "$(sqlite3 "$db" 'SELECT count(DISTINCT seq) FROM journal;')" 8 "distinct journal sequence numbers"
# every call either mount made is counted once
expect_eq "$(sqlite3 "$db" 'SELECT sum(n) FROM calls;')" "$(grep -c . "$AUDIT")" "calls counted = audit log lines"
grep -h 'state database' "$T/a.log" "$T/b.log" | grep -v ' info: state database ' | grep -q . &&
	fail "database trouble: $(grep -h 'state database' "$T/a.log" "$T/b.log" | head -3)"
echo PASS
