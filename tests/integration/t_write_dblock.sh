#!/usr/bin/env bash
# With -o timeout=12 and the state database locked by
# another process (sqlite3 holding BEGIN EXCLUSIVE), no mutation is sent
# with less than min(1 s, timeout/2) = 1 s of its deadline left: the
# UpdateInstance arrives (audit log time) at most 11 s after the write
# began, or not at all (then the writer got ETIMEDOUT). The call budget's
# count waits on the locked database at most 200 ms per call, so the write
# is bounded (the write took 14.9 s before, 0.8 s now).
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || skip_test "sqlite3 (the CLI) is not installed (contrib/deps.sh)"
start_emulator --instances 4
mount_casfs timeout=12
id=$(first_instance)
f="$MNT/instances/$id/config"
cat "$f" >/dev/null
db=$(ls "$HOME"/.local/state/casfs/account-*.db)
mkfifo "$T/sql"
sqlite3 "$db" <"$T/sql" >/dev/null 2>&1 &
SQL_PID=$!
exec 7>"$T/sql"
echo 'BEGIN EXCLUSIVE; INSERT INTO calls(month, class, n) VALUES("1999-01", "read", 0) ON CONFLICT DO NOTHING;' >&7
sleep 0.5
t0=$(date +%s%3N)
rc=0
bash -c 'echo "{\"City\":\"Locked\"}" > "$1"' _ "$f" 2>"$T/w.err" || rc=$?
t1=$(date +%s%3N)
exec 7>&-
stop_pid "$SQL_PID"
log "write rc $rc in $((t1 - t0)) ms: $(cat "$T/w.err")"
n=$(audit_count UpdateInstance)
if [ "$n" -ge 1 ]; then
	sent=$(jq -r 'select(.action == "UpdateInstance") | .time' "$AUDIT" | head -n1)
	sent_ms=$(date -d "$sent" +%s%3N)
	log "UpdateInstance arrived $((sent_ms - t0)) ms after the write began"
	[ $((sent_ms - t0)) -le 11000 ] || fail "UpdateInstance sent $((sent_ms - t0)) ms after the write began (timeout 12 s)"
	expect_eq "$n" 1 "UpdateInstance sends"
else
	grep -q "timed out" "$T/w.err" || fail "no UpdateInstance, and the writer got: $(cat "$T/w.err")"
fi
[ $((t1 - t0)) -le 13000 ] || fail "the write took $((t1 - t0)) ms with -o timeout=12"
echo PASS
