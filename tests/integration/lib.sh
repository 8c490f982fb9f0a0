#!/usr/bin/env bash
# lib.sh: shared harness of the mount tests. Each test script sources it,
# gets its own emulator on an ephemeral port (with an audit log, the oracle
# for "how many calls, which fields"), its own casfs mount, and a cleanup
# that unmounts, stops both processes by pid, and fails the test if either
# printed a sanitizer report. Set KEEP=1 to keep the scratch directory.
set -euo pipefail

: "${CASFS_BUILD:?CASFS_BUILD must point at the build directory}"
EMU_BIN=$CASFS_BUILD/contrib/cas-emulator/cas-emulator
CASFS_BIN=$CASFS_BUILD/fs/casfs
T=$(mktemp -d /tmp/casfs-it.XXXXXX)
MNT=$T/mnt
AUDIT=$T/audit.log
mkdir -p "$MNT" "$T/home"
EMU_PID="" CASFS_PID="" EMU_URL="" UNCLEAN=""
AK=LTAI5tIntegrationTest
SK=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
# isolate from the caller's credentials and profile files
unset ALIBABA_CLOUD_SECURITY_TOKEN DASHSCOPE_API_KEY ALIBABA_CLOUD_BEARER_TOKEN ALIBABA_CLOUD_PROFILE
export HOME=$T/home ALIBABA_CLOUD_ACCESS_KEY_ID=$AK ALIBABA_CLOUD_ACCESS_KEY_SECRET=$SK
# and from the caller's state: every database goes to $T/home/.local/state/casfs
unset XDG_STATE_HOME STATE_DIRECTORY
# sanitizer builds: report leaks, and make UBSan findings fatal and visible
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log() { echo "[$(date +%T.%3N)] $*" >&2; }

dump_logs() {
	for f in "$T/emu.err" "$T/casfs.log"; do
		[ -s "$f" ] && { echo "---- $f (last 40 lines)" >&2; tail -n 40 "$f" >&2; }
	done
	return 0
}

fail() {
	echo "FAIL: $*" >&2
	dump_logs
	exit 1
}

sanitizer_check() {
	local f
	for f in "$T/emu.err" "$T/casfs.log"; do
		if [ -f "$f" ] && grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f"; then
			echo "FAIL: sanitizer report in $f" >&2
			grep -A30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -60 >&2
			return 1
		fi
	done
}

# umount_casfs: unmounts and waits for casfs to exit. A casfs that does not
# unmount, does not exit within 30 s (an exit may wait for calls in flight,
# each bounded by the default -o timeout of 20 s), or exits non-zero (a
# crash, a sanitizer abort) fails the test: the status is collected here,
# never ignored.
umount_casfs() {
	[ -n "$CASFS_PID" ] || return 0
	local i pid=$CASFS_PID rc=0 why=""
	CASFS_PID=""
	for i in $(seq 1 50); do
		mountpoint -q "$MNT" || break
		fusermount3 -u "$MNT" 2>/dev/null && break
		sleep 0.1
	done
	if mountpoint -q "$MNT"; then
		fusermount3 -uz "$MNT" 2>/dev/null
		why="the mount was busy for 5 s and had to be detached lazily"
	fi
	grep -qF " $MNT " /proc/mounts && fusermount3 -uz "$MNT" 2>/dev/null # a dead mount (kill -9)
	for i in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		# where it hangs, for the report (gdb is optional)
		if command -v gdb >/dev/null; then
			timeout 20 gdb -p "$pid" -batch -ex "thread apply all bt" >"$T/casfs.hang" 2>&1 || true
			grep -E '^#|^Thread' "$T/casfs.hang" | head -60 >&2
		fi
		kill -9 "$pid"
		why="casfs did not exit within 30 s of the unmount (killed; stacks in $T/casfs.hang)"
	fi
	wait "$pid" 2>/dev/null || rc=$?
	# 127: not a child of this shell (a daemon adopted by pid): its status is unknown
	[ -n "$why" ] || [ "$rc" -eq 0 ] || [ "$rc" -eq 127 ] || why="casfs exited with status $rc at unmount"
	if [ -n "$why" ]; then
		echo "FAIL: $why" >&2
		UNCLEAN=1
		return 1
	fi
}

# stop_pid PID: SIGTERM (after SIGCONT), up to 5 s, then SIGKILL; reaps it
stop_pid() {
	kill -CONT "$1" 2>/dev/null || true
	kill -TERM "$1" 2>/dev/null || true
	local i
	for i in $(seq 1 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$1" 2>/dev/null && kill -9 "$1"
	wait "$1" 2>/dev/null || true
}

stop_emulator() {
	[ -n "$EMU_PID" ] || return 0
	stop_pid "$EMU_PID"
	EMU_PID=""
}

# at_cleanup CMD: run CMD (eval'd) in cleanup, before the unmount; the last
# registered runs first
CLEANUP_HOOKS=()
at_cleanup() { CLEANUP_HOOKS=("$1" "${CLEANUP_HOOKS[@]}"); }

cleanup() {
	local rc=$? h
	set +e
	for h in "${CLEANUP_HOOKS[@]}"; do eval "$h"; done
	umount_casfs || rc=1
	stop_emulator
	sanitizer_check || rc=1
	[ -z "$UNCLEAN" ] || rc=1
	if { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; } || [ -n "${KEEP:-}" ]; then
		echo "test files kept in $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap cleanup EXIT

# start_emulator [emulator options...]: sets EMU_PID and EMU_URL
start_emulator() {
	: >"$T/emu.out" # the loop below may read it before the child has opened it (sed would fail: set -e)
	"$EMU_BIN" --access-key "$AK:$SK" --audit "$AUDIT" "$@" >"$T/emu.out" 2>"$T/emu.err" &
	EMU_PID=$!
	local i
	for i in $(seq 1 600); do # up to 30 s (an ASan build on a loaded machine starts slowly)
		EMU_URL=$(sed -n 's/^listening on //p' "$T/emu.out" 2>/dev/null | head -n1 || true) # (pipefail: emu.out may not exist yet)
		[ -n "$EMU_URL" ] && return 0
		kill -0 "$EMU_PID" 2>/dev/null || fail "emulator exited: $(cat "$T/emu.err")"
		sleep 0.05
	done
	fail "emulator did not start"
}

# mount_casfs [casfs -o options...]: mounts $MNT against the emulator
# (with the flags in CASFS_FLAGS too, e.g. CASFS_FLAGS=-s)
mount_casfs() {
	local opts="endpoint=$EMU_URL"
	local o
	for o in "$@"; do opts="$opts,$o"; done
	# shellcheck disable=SC2086 # CASFS_FLAGS: extra flags, e.g. "-s"
	"$CASFS_BIN" -f ${CASFS_FLAGS:-} -o "$opts" "$MNT" >>"$T/casfs.log" 2>&1 &
	CASFS_PID=$!
	local i
	for i in $(seq 1 600); do # up to 30 s (an ASan build on a loaded machine starts slowly)
		mountpoint -q "$MNT" && return 0
		kill -0 "$CASFS_PID" 2>/dev/null || fail "casfs exited at mount time: $(tail -5 "$T/casfs.log")"
		sleep 0.05
	done
	fail "casfs did not mount"
}

# state_db: mounts once, so the account's state database exists, and sets
# DB to its path (not in a $(...): a failure must reach the test's cleanup)
state_db() {
	mount_casfs
	ls "$MNT/instances" >/dev/null
	umount_casfs || fail "unclean unmount"
	DB=$(ls "$HOME"/.local/state/casfs/account-*.db)
}

remount_casfs() {
	umount_casfs || fail "unclean unmount before the remount"
	mount_casfs "$@"
}

# audit_count ACTION [jq condition]: API requests of ACTION in the audit log
audit_count() {
	local cond=${2:-true}
	# a missing audit log would make every "0 calls" check pass vacuously
	[ -f "$AUDIT" ] || fail "audit log $AUDIT is missing (the emulator creates it at start)"
	jq -c --arg a "$1" "select(.action == \$a) | select($cond)" "$AUDIT" | wc -l
}

# applied ACTION: mutations of ACTION that changed state
applied() { audit_count "$1" '.applied == true'; }

# audit_burst ACTION QPS: how far the requests of ACTION in the audit log
# (by the emulator's arrival times) run ahead of QPS: the most, over every
# window [t_i, t_j], of (requests in it) - QPS * (t_j - t_i). A token bucket
# of rate QPS and capacity B keeps this at most B + 1.
audit_burst() {
	[ -f "$AUDIT" ] || fail "audit log $AUDIT is missing (the emulator creates it at start)"
	jq -r --arg a "$1" 'select(.action == $a) | .time' "$AUDIT" | python3 -c '
import sys, datetime
qps = float(sys.argv[1])
t = sorted(datetime.datetime.fromisoformat(l.strip().replace("Z", "+00:00")).timestamp() for l in sys.stdin if l.strip())
best, low = 0.0, None  # low: min over i of (i - qps * t_i)
for j, tj in enumerate(t):
    v = j - qps * tj
    low = v if low is None or v < low else low
    best = max(best, v - low + 1)
print(int(best))' "$2"
}

emu_get() { curl -sf "$EMU_URL/_emulator/$1"; }
emu_post() { curl -sf -X POST --data-binary "$2" "$EMU_URL/_emulator/$1" >/dev/null; }
emu_instance() { emu_get "instances/$1"; }

# first_instance [jq condition on the instance]: an instance id from the emulator's state
first_instance() {
	local cond=${1:-true}
	emu_get state | jq -r --arg dummy x "[.instances[] | select($cond)][0].InstanceId"
}

expect_eq() { # actual expected message
	[ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"
}

# check_eq ACTUAL EXPECTED MESSAGE, check_fail MESSAGE: like expect_eq and
# fail, but the test goes on and fails at checks_done, so one run names every
# check that fails (for checks that do not make the later ones meaningless)
CHECKS_FAILED=()
check_fail() { echo "FAIL: $*" >&2; CHECKS_FAILED+=("$*"); }
check_eq() { [ "$1" == "$2" ] || check_fail "$3: expected '$2', got '$1'"; }
checks_done() {
	[ ${#CHECKS_FAILED[@]} -eq 0 ] || fail "${#CHECKS_FAILED[@]} checks failed: $(printf '%s; ' "${CHECKS_FAILED[@]}")"
}
# fuse_requests KIND: FUSE requests of KIND that reached casfs (.cas/stats)
fuse_requests() { jq -r --arg k "$1" '.fuse_requests[$k] // "missing"' "$MNT/.cas/stats"; }
# front: which FUSE front the mount runs ("inode", "path"; .cas/stats)
front() { jq -r '.front // "missing"' "$MNT/.cas/stats"; }

# expect_fail ERRNO_TEXT command...: the command must fail and its output must
# mention ERRNO_TEXT (pin it: "Invalid argument", "Read-only file system").
# A dead mount's errors never count as the expected failure, even with "".
expect_fail() {
	local want=$1
	shift
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "expected failure ($want) from: $*"
	if grep -qE 'Transport endpoint is not connected|Software caused connection abort' <<<"$out"; then
		fail "the mount is dead (casfs crashed?) during: $* ; got: $out"
	fi
	[ -z "$want" ] || grep -q -- "$want" <<<"$out" || fail "expected '$want' from: $* ; got: $out"
}

# expect_absent DIR NAME: the listing of DIR succeeds and has no entry NAME
# (a failing ls must not pass for an absence).
expect_absent() {
	local out
	out=$(ls -a -- "$1") || fail "listing $1 failed while checking that $2 is absent"
	! grep -qxF -- "$2" <<<"$out" || fail "$1/$2 exists"
}

# expect_present DIR NAME: the listing of DIR succeeds and has an entry NAME.
expect_present() {
	local out
	out=$(ls -a -- "$1") || fail "listing $1 failed while looking for $2"
	grep -qxF -- "$2" <<<"$out" || fail "$1/$2 is missing"
}

# skip_test REASON: this test cannot run here (exit 77, which ctest reports
# as skipped). Under CI (CASFS_CI set, as contrib/test.sh does) a skip is a
# failure, unless the script declared OPTIONAL="why it may be skipped"
# before sourcing lib.sh.
skip_test() {
	if [ -n "${CASFS_CI:-}" ] && [ "${CASFS_CI}" != 0 ] && [ -z "${OPTIONAL:-}" ]; then
		fail "skipped under CI: $*"
	fi
	echo "SKIP: $*${OPTIONAL:+ (optional: $OPTIONAL)}" >&2
	SKIPPED=1
	exit 77
}

# rename SRC DST: rename(2) itself (mv falls back to copying and rewords
# errnos); a failure prints Python's "[Errno N] strerror".
rename() { python3 -c 'import os, sys; os.rename(sys.argv[1], sys.argv[2])' "$1" "$2"; }

errors_count() { wc -l <"$MNT/.cas/errors"; }
# wait_errors N: until .cas/errors holds N records (at most 20 s: a record
# committed at release comes after close returned, and an ASan build on a
# loaded machine took most of the former 5 s cap)
wait_errors() {
	local i
	for i in $(seq 1 200); do
		[ "$(errors_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "expected $1 records in .cas/errors, have $(errors_count)"
}
# instance_tags ID: the emulator's tags of instance ID, "k=v" sorted, comma-joined
instance_tags() { emu_instance "$1" | jq -r '[.Tags[] | "\(.TagKey)=\(.TagValue)"] | sort | join(",")'; }
# db_calls DB: the calls a state database counted (its calls table's sum)
db_calls() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select coalesce(sum(n),0) from calls").fetchone()[0])' "$1"; }
# lock_db DB SECONDS: another process takes DB's write lock (BEGIN IMMEDIATE)
# and holds it SECONDS; returns once it holds it. LOCKER is its pid (wait
# for it, then empty LOCKER); the cleanup kills it.
LOCKER=""
lock_db() {
	python3 - "$1" "$2" 2>"$T/locker.err" <<'PY' &
import sys, time, sqlite3
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
c.execute("BEGIN IMMEDIATE"); print("locked", flush=True, file=sys.stderr)
time.sleep(float(sys.argv[2])); c.execute("COMMIT")
PY
	LOCKER=$!
	at_cleanup '[ -z "$LOCKER" ] || kill "$LOCKER" 2>/dev/null'
	local i
	for i in $(seq 1 100); do grep -q locked "$T/locker.err" 2>/dev/null && break; sleep 0.02; done
}
# daemon_of MOUNTPOINT: the casfs daemon whose last argument is exactly MOUNTPOINT
daemon_of() {
	local p
	for p in $(pgrep -x casfs || true); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$CASFS_BIN")" ] || continue
		[ "$(tr '\0' '\n' <"/proc/$p/cmdline" | tail -n1)" = "$1" ] && { echo "$p"; return; }
	done
}

# wait_line JQ-FILTER SECONDS: waits for a line of $T/tail.out (a `tail -f` of
# .cas/events) matching the filter; 1 when none came in time. SECONDS is a
# cap, not a promise under test: pass a generous one (tail polls once a second
# on FUSE, and a loaded machine delays both the mount's threads and tail).
wait_line() {
	local i
	for i in $(seq 1 $(($2 * 20))); do
		[ -n "$(jq -c "select($1)" "$T/tail.out" 2>/dev/null)" ] && return 0
		sleep 0.05
	done
	return 1
}

# wait_following PID FILE: waits (at most 20 s) until process PID, a
# `tail -n 0 -f FILE` started in the background, holds FILE open at its
# current end, so every line appended from now on reaches it. A fixed sleep
# after starting tail raced its start on a loaded machine: a line appended
# before tail had opened and positioned itself is skipped by -n 0. (FILE's
# size must not change while this waits: nothing may be appended yet.)
wait_following() {
	local pid=$1 file i fd size link
	file=$(readlink -f "$2")
	for i in $(seq 1 200); do
		size=$(stat -c %s "$file")
		for fd in /proc/"$pid"/fd/*; do
			# " (deleted)": the mount invalidated the entry meanwhile (the
			# inode front does on every change of a volatile file); tail
			# keeps its open file
			link=$(readlink "$fd" 2>/dev/null)
			[ "${link% (deleted)}" = "$file" ] || continue
			[ "$(sed -n 's/^pos:[[:space:]]*//p' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null)" = "$size" ] && return 0
		done
		sleep 0.1
	done
	fail "tail (pid $pid) did not open $file at its end (size $size) within 20 s: $(for fd in /proc/"$pid"/fd/*; do echo "$(readlink "$fd") $(head -1 "/proc/$pid/fdinfo/${fd##*/}")"; done)"
}

# wait_log_reopened PID OLD: after `mv LOG OLD; kill -HUP PID`, waits (at most
# 20 s) until PID holds OLD open no more: its SIGHUP handler has reopened the
# log by its path, so every record from now on goes to the new file. A fixed
# sleep raced the signal's delivery under load: a record written before the
# reopen went to OLD, which the tests check stays untouched.
wait_log_reopened() {
	local pid=$1 old i fd held
	old=$(readlink -f "$2")
	for i in $(seq 1 200); do
		held=""
		for fd in /proc/"$pid"/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = "$old" ] && held=1
		done
		[ -z "$held" ] && return 0
		sleep 0.1
	done
	fail "casfs (pid $pid) still writes its log to the renamed $old 20 s after SIGHUP"
}
