#!/usr/bin/env bash
# -o share_password_file=: the environment's password variables are wiped
# too (never left in /proc/PID/environ); a file whose first line is empty is
# refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/fleet_lib.sh"
start_emulator --instances 5 --seed 3
start_redis
echo filepw >"$T/pw"
chmod 600 "$T/pw"
CASFS_SHARE_PASSWORD=envSecret123 REDISCLI_AUTH=envSecret456 mount_fleet 1 "$(share_url)" "share_password_file=$T/pw"
env=$(tr '\0' '\n' </proc/${FLEET_PIDS[1]}/environ)
echo "$env" | grep -q envSecret && fail "the password is in casfs's environment: $(echo "$env" | grep envSecret)"
umount_fleet 1
printf '\nsecond\n' >"$T/pw2"
chmod 600 "$T/pw2"
mkdir -p "$T/m4" "$T/s4"
chmod 700 "$T/s4"
"$CASFS_BIN" -f -o "endpoint=$EMU_URL,state_dir=$T/s4,$(share_url),share_password_file=$T/pw2" "$T/m4" >"$T/c4.log" 2>&1 &
p=$!
for i in $(seq 1 60); do kill -0 $p 2>/dev/null || break; mountpoint -q "$T/m4" && break; sleep 0.05; done
if mountpoint -q "$T/m4"; then
	fusermount3 -u "$T/m4"
	wait $p
	fail "a password file with an empty first line was accepted"
fi
wait $p && fail "casfs exited 0 for an empty first line"
grep -q "empty" "$T/c4.log" || fail "no message: $(cat "$T/c4.log")"
