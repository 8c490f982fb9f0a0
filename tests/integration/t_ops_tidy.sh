#!/usr/bin/env bash
# The caller's state stays the caller's: contrib/demo.sh
# and a state-heavy mount test, run with a caller's HOME, XDG_STATE_HOME and
# STATE_DIRECTORY that each hold a database already, leave all three folders
# exactly as they were (names, sizes, mtimes). Every benchmark that starts
# casfs points XDG_STATE_HOME into its scratch directory and drops
# STATE_DIRECTORY (which casfs prefers).
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
C=$T/caller
for d in "$C/.local/state/casfs" "$C/xdg/casfs" "$C/sd"; do
	mkdir -p "$d"
	echo "caller's" >"$d/account-0000000000000000.db"
done
chmod -R go-rwx "$C"
snap() { find "$C" -printf '%p %s %T@ %m\n' | sort; }
snap >"$T/before"
as_caller() { env HOME="$C" XDG_STATE_HOME="$C/xdg" STATE_DIRECTORY="$C/sd" "$@"; }

mkdir -p "$T/demo-mnt"
as_caller env CASFS_DEMO_ONCE=1 CASFS_DEMO_BUILD="$CASFS_BUILD" timeout 120 bash "$ROOT/contrib/demo.sh" "$T/demo-mnt" \
	>"$T/demo.out" 2>&1 || fail "demo.sh: $(tail -20 "$T/demo.out")"
grep -q "unmounted" "$T/demo.out" || fail "the demo did not finish: $(tail -5 "$T/demo.out")"
mountpoint -q "$T/demo-mnt" && fail "the demo left its mount"
as_caller timeout 200 bash "$ROOT/tests/integration/t_state_journal.sh" >"$T/it.out" 2>&1 ||
	fail "t_state_journal under the caller's environment: $(tail -20 "$T/it.out")"
snap >"$T/after"
diff "$T/before" "$T/after" >&2 || fail "the caller's state folders changed"

for b in "$ROOT"/tests/bench/*.sh; do
	grep -qE 'casfs"? .*-f|CASFS_BIN|mount_casfs|fs/casfs' "$b" || continue
	grep -q 'export XDG_STATE_HOME=' "$b" && grep -q 'unset STATE_DIRECTORY' "$b" ||
		fail "$b starts casfs without its own state directory"
done
echo PASS
