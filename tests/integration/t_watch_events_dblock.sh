#!/usr/bin/env bash
# .cas/events keeps a mutation's line when the journal cannot record it:
# with another process holding the state database (sqlite3, BEGIN
# EXCLUSIVE), a write through the mount is applied (audit log) and has no
# journal record, yet the feed shows its "mutation" line with the outcome
# (and no journal_seq). Once the database is free again, the next write's
# line carries the journal_seq of its record in .cas/journal.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 missing (contrib/deps.sh)"
SQL_PID=""
trap 'r=$?; set +e; exec 7>&-; [ -n "$SQL_PID" ] && stop_pid "$SQL_PID"; (exit $r); cleanup' EXIT
start_emulator --instances 4
mount_casfs
id=$(first_instance)
f="$MNT/instances/$id/domain"
old=$(cat "$f")
db=$(ls "$HOME"/.local/state/casfs/account-*.db)

# another process holds the database
mkfifo "$T/sql"
sqlite3 "$db" <"$T/sql" >"$T/sql.out" 2>&1 &
SQL_PID=$!
exec 7>"$T/sql"
echo 'BEGIN EXCLUSIVE; INSERT INTO calls(month, class, n) VALUES("1999-01", "read", 0) ON CONFLICT DO NOTHING;' >&7
sleep 0.5
journal_before=$(grep -c . "$MNT/.cas/journal" || true)
echo "locked.example.com" >"$f" || fail "the write failed with the database locked"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied (audit log)"
m=$(jq -c "select(.kind == \"mutation\" and .path == \"/instances/$id/domain\")" "$MNT/.cas/events")
[ -n "$m" ] || fail "no mutation line for the write made while the journal was locked: $(cat "$MNT/.cas/events")"
expect_eq "$(jq -r '.action + " " + .outcome' <<<"$m")" "UpdateInstance ok" "mutation line: action and outcome"
expect_eq "$(jq -r '.fields.Domain.old + " -> " + .fields.Domain.new' <<<"$m")" "$old -> locked.example.com" \
	"mutation line fields"
expect_eq "$(jq -r 'has("journal_seq")' <<<"$m")" false "no journal_seq: the journal has no record"
exec 7>&-
stop_pid "$SQL_PID"
SQL_PID=""
expect_eq "$(grep -c . "$MNT/.cas/journal" || true)" "$journal_before" "journal records (the locked write is not in it)"

# the database free again: the next write's line names its journal record
echo "free.example.com" >"$f"
expect_eq "$(applied UpdateInstance)" 2 "UpdateInstance applied (audit log)"
m2=$(jq -c "select(.kind == \"mutation\" and .fields.Domain.new == \"free.example.com\")" "$MNT/.cas/events")
[ -n "$m2" ] || fail "no mutation line for the second write: $(cat "$MNT/.cas/events")"
js=$(jq -r '.journal_seq' <<<"$m2")
expect_eq "$(jq -r "select(.seq == $js) | .action + \" \" + .outcome" "$MNT/.cas/journal")" "UpdateInstance ok" \
	"the journal record the line names"
expect_eq "$(jq -s 'map(select(.kind == "mutation")) | length' "$MNT/.cas/events")" 2 "mutation lines"
echo PASS
