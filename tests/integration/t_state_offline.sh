#!/usr/bin/env bash
# The offline snapshot: a mount fills it as it reads; with the emulator
# stopped, a mount without -o offline fails with one line, and with
# -o offline it comes up read-only from the snapshot (the same tree, writes
# refused with EROFS and a record), says so in the log and .cas/stats, and
# turns live without a remount once the emulator answers again.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 10 --seed 141
port=${EMU_URL##*:}
mount_casfs
cp -a "$MNT" "$T/live" 2>"$T/cp.err" || fail "cp -a: $(head -3 "$T/cp.err")"
jq -e '.mode == "live" and .state.snapshot_rows > 10' "$MNT/.cas/stats" >/dev/null ||
	fail "snapshot not filled: $(jq -c '[.mode, .state]' "$MNT/.cas/stats")"
umount_casfs
stop_emulator

# without -o offline: one line, non-zero exit, no mount
rc=0
"$CASFS_BIN" -f -o "endpoint=$EMU_URL" "$MNT" >"$T/nooff.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "mount without -o offline succeeded against a stopped API"
expect_eq "$(grep -c . "$T/nooff.out")" "1" "lines printed by a failed mount ($(cat "$T/nooff.out"))"
grep -q "cannot use endpoint" "$T/nooff.out" || fail "unexpected message: $(cat "$T/nooff.out")"
mountpoint -q "$MNT" && fail "mounted anyway"

# with -o offline: read-only from the snapshot
mount_casfs offline,ttl=2
grep -q "mounted READ-ONLY from the offline snapshot" "$T/casfs.log" || fail "no offline line in the log"
jq -e '(.mode | startswith("offline")) and .read_only == true' "$MNT/.cas/stats" >/dev/null ||
	fail ".cas/stats while offline: $(jq -c '[.mode, .read_only]' "$MNT/.cas/stats")"
# certificates are never stored (they come with their private key): offline
# they are listed and a read is EIO; everything else is the same tree
diff -r --no-dereference -x cert.pem -x chain.pem -x fullchain.pem -x certificates -x certificates.jsonl "$T/live" "$MNT" >"$T/diff" ||
	fail "the offline tree differs: $(head -5 "$T/diff")"
cert=$(cd "$T/live" && find instances -name cert.pem | sort | head -n1)
ls "$MNT/$(dirname "$cert")" >"$T/offline-ls" || fail "listing an instance offline failed"
grep -qx cert.pem "$T/offline-ls" || fail "cert.pem not listed offline: $(tr '\n' ' ' <"$T/offline-ls")"
[ -n "$cert" ] || fail "no certificate listed offline (the data set has issued instances)"
expect_fail "Input/output error" cat "$MNT/$cert"
jq -e 'select(.errno == "EIO" and .code == "Local.Offline")' "$MNT/.cas/errors" >/dev/null ||
	fail "no EIO record for the certificate read offline"
id=$(ls "$MNT/instances" | head -n1)
expect_fail "Read-only file system" bash -c "echo offline-name >'$MNT/instances/$id/name'"
jq -e 'select(.errno == "EROFS" and .code == "Local.Offline")' "$MNT/.cas/errors" >/dev/null ||
	fail "no EROFS record for the refused write"

# the emulator comes back (same port, same data) with one change behind the mount
start_emulator --instances 10 --seed 141 --listen "127.0.0.1:$port"
emu_post "instances/$id" '{"CertificateName":"seen-live"}'
for i in $(seq 1 150); do
	[ "$(jq -r .mode "$MNT/.cas/stats")" == "live" ] && break
	sleep 0.2
done
expect_eq "$(jq -r .mode "$MNT/.cas/stats")" "live" "mode 30 s after the service came back"
expect_eq "$(cat "$MNT/instances/$id/name")" "seen-live" "live data after the switch"
echo live-name >"$MNT/instances/$id/name" || fail "write after going live"
expect_eq "$(applied UpdateInstance)" "1" "UpdateInstance applied after going live"
echo PASS
