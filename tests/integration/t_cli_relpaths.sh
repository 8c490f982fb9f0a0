#!/usr/bin/env bash
# Relative path options in daemon mode (no -f): the daemon runs in /, so
# casfs makes every path option absolute when it parses it. Against the
# emulator's TLS mode, a daemon mounted from the directory holding the CA
# bundle with -o cafile=ca.pem (and state_dir, log_file relative too) reads,
# and a write (which opens a new TLS connection, reading the CA bundle
# again) is applied once; the database and the log are where the relative
# paths pointed, and a SIGHUP reopens the log there.
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip_test "no openssl command to make a TLS certificate"
W=$T/work
mkdir -p "$W"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 \
	-keyout "$W/key.pem" -out "$W/ca.pem" >/dev/null 2>&1 || skip_test "openssl could not make a certificate"
start_emulator --instances 3 --seed 183 --tls-cert "$W/ca.pem" --tls-key "$W/key.pem"
case "$EMU_URL" in https://*) ;; *) fail "the emulator does not serve HTTPS: $EMU_URL" ;; esac
id=$(curl -sf --cacert "$W/ca.pem" "$EMU_URL/_emulator/state" | jq -r '.instances[0].InstanceId')

rc=0
(cd "$W" && ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$T/asan" timeout 60 "$CASFS_BIN" -o "endpoint=$EMU_URL,cafile=ca.pem,state_dir=state,log_file=d.log" "$MNT") \
	>"$T/d.out" 2>"$T/d.err" || rc=$?
if mountpoint -q "$MNT"; then
	CASFS_PID=$(daemon_of "$MNT")
	[ -n "$CASFS_PID" ] || { fusermount3 -u "$MNT"; fail "no daemon found"; }
fi
expect_eq "$rc" 0 "daemon mount with relative paths ($(cat "$T/d.err"))"
ls "$MNT/instances" | grep -qxF "$id" || fail "listing: $(ls "$MNT/instances" 2>&1)"
cat "$MNT/instances/$id/detail" >/dev/null || fail "detail read"
echo rel-cafile >"$MNT/instances/$id/name" || fail "a write through the daemon: $(tail -3 "$W/d.log")"
expect_eq "$(applied UpdateInstance)" 1 "UpdateInstance applied"
expect_eq "$(audit_count UpdateInstance '.params.CertificateName == "rel-cafile"')" 1 "UpdateInstance calls"
ls "$W/state"/account-*.db >/dev/null || fail "no database in $W/state"
[ ! -e /state ] || [ -z "$(ls /state/account-*.db 2>/dev/null)" ] || fail "a database in /state"
grep -q ' info: mounted at ' "$W/d.log" || fail "no log in $W/d.log"
mv "$W/d.log" "$W/d.log.1"
kill -HUP "$CASFS_PID"
wait_log_reopened "$CASFS_PID" "$W/d.log.1"
echo 1 >"$MNT/.cas/refresh"
for i in $(seq 1 200); do grep -qs 'every cache dropped' "$W/d.log" && break; sleep 0.1; done
grep -q 'every cache dropped' "$W/d.log" || fail "no record in the reopened $W/d.log"
umount_casfs || fail "unclean unmount"
# a daemon's stderr is /dev/null: sanitizer builds write their reports to files
! ls "$T"/asan.* >/dev/null 2>&1 || fail "sanitizer report from the daemon: $(head -40 "$T"/asan.*)"
echo PASS
