#!/usr/bin/env bash
# One mount per account, named in the command.
# SOURCE names the profile and becomes the fsname in /proc/mounts;
# credentials_file= wins over credentials in the environment (the audit log
# shows the profile's AccessKey, not the environment's); a rejected secret
# names its source and gives a hint. df shows free space and inodes (never
# 100% used) while the scratch limit stays ENOSPC. A refused rmdir's record
# names its action. http:// to another host is refused (no call made),
# https:// against a plain-HTTP port says the server does not speak TLS, and
# bad values get casfs's own one-line message.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 2121
port=${EMU_URL##*:}
cat >"$T/aliyun.json" <<JSON
{"current":"default","profiles":[
 {"name":"intl","mode":"AK","access_key_id":"$AK","access_key_secret":"$SK"},
 {"name":"bad","mode":"AK","access_key_id":"$AK","access_key_secret":"wrong-secret"}]}
JSON
chmod 600 "$T/aliyun.json"
# the environment holds another account's key: it must not be used
export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEnvironment ALIBABA_CLOUD_ACCESS_KEY_SECRET=env-secret

CASFS_FLAGS="intl" mount_casfs "credentials_file=$T/aliyun.json"
line=$(grep -F " $MNT " /proc/mounts)
expect_eq "$(awk '{print $1, $3}' <<<"$line")" "casfs:intl fuse.casfs" "fsname and type in /proc/mounts"
df --output=source "$MNT" | grep -qx "casfs:intl" || fail "df does not name the account: $(df "$MNT")"
ls "$MNT/instances" >/dev/null
expect_eq "$(audit_count ListInstances '.auth == "ak:LTAI5tEnvironment"')" "0" "calls made with the environment's key"
[ "$(audit_count ListInstances)" -ge 1 ] || fail "no ListInstances in the audit log"
grep -q "environment's credentials are not used" "$T/casfs.log" || fail "no log line about the unused environment"

# df: free space and inodes, never 100% used (node_exporter's alerts)
df --output=ipcent "$MNT" | tail -n1 | grep -qE '^ *0% *$' || fail "df -i: $(df -i "$MNT")"
df --output=pcent "$MNT" | tail -n1 | grep -qE '^ *0% *$' || fail "df: $(df -h "$MNT")"
[ "$(stat -f -c %d "$MNT")" -ge 1000000 ] || fail "free inodes: $(stat -f -c %d "$MNT")"
[ "$(stat -f -c %a "$MNT")" -ge 1000000 ] || fail "free blocks: $(stat -f -c %a "$MNT")"
id=$(first_instance true)
for k in $(seq 1 64); do : >"$MNT/instances/$id/s$k" || fail "scratch file $k"; done
expect_fail "No space left on device" touch "$MNT/instances/$id/s65"
rm -f "$MNT"/instances/"$id"/s[0-9]*

# a refused rmdir names the action in .cas/errors
expect_fail "Operation not permitted" rmdir "$MNT/instances/$id"
tail -n1 "$MNT/.cas/errors" | jq -e '.action == "DeleteInstance"' >/dev/null ||
	fail "refused rmdir record: $(tail -n1 "$MNT/.cas/errors")"
expect_fail "Operation not permitted" rmdir "$MNT/instances"
tail -n1 "$MNT/.cas/errors" | jq -e '.action == "rmdir"' >/dev/null ||
	fail "refused rmdir of instances: $(tail -n1 "$MNT/.cas/errors")"
umount_casfs || fail "unclean unmount"

# SOURCE and profile= contradicting each other, an unsafe SOURCE
try() { # expected-text args...: casfs fails at once with one line naming it
	local out rc=0
	out=$(timeout 30 "$CASFS_BIN" -f "$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || { mountpoint -q "$MNT" && fusermount3 -u "$MNT"; fail "casfs $* succeeded"; }
	grep -qF -- "$want" <<<"$out" || fail "casfs $*: expected '$want', got: $out"
	expect_eq "$(grep -v ' info: ' <<<"$out" | grep -c .)" 1 "lines printed by casfs $* (info lines aside: $out)"
}
want='names another' try -o "endpoint=$EMU_URL,credentials_file=$T/aliyun.json,profile=bad" intl "$MNT"
want='must be casfs, a profile name' try -o "endpoint=$EMU_URL" 'a,b' "$MNT"

# a wrong secret: the source and a hint
n0=$(audit_count ListInstances)
want="credentials from profile \"bad\" in $T/aliyun.json rejected" try -o "endpoint=$EMU_URL,credentials_file=$T/aliyun.json" bad "$MNT"
want="hint: the AccessKey secret does not belong" try -o "endpoint=$EMU_URL,credentials_file=$T/aliyun.json" bad "$MNT"
# the environment's own wrong key names the environment
want="credentials from environment (ALIBABA_CLOUD_ACCESS_KEY_ID) rejected" try -o "endpoint=$EMU_URL" "$MNT"

# transport: plain HTTP to another host is refused before any call
want="plain HTTP to another host" try -o "endpoint=http://192.0.2.1:$port,credentials_file=$T/aliyun.json" intl "$MNT"
out=$(timeout 30 "$CASFS_BIN" -f -o "endpoint=http://192.0.2.1:9,timeout=1,insecure_http,credentials_file=$T/aliyun.json" intl "$MNT" 2>&1) &&
	fail "a mount against 192.0.2.1 succeeded"
grep -q "WARNING: -o insecure_http" <<<"$out" || fail "no warning with -o insecure_http: $out"
want="speak TLS" try -o "endpoint=https://127.0.0.1:$port,timeout=2,credentials_file=$T/aliyun.json" intl "$MNT"
expect_eq "$(audit_count ListInstances)" "$((n0 + 3))" "API calls (only the three rejected ones reached the service)"

# bad values: casfs's own one line, never libfuse's
for o in ttl=abc qps= timeout=1x max_stale=-1 call_budget=1e400 ttl; do
	want="casfs: -o ${o%%=*}" try -o "endpoint=$EMU_URL,$o" "$MNT"
done
for o in max_threads=abc entry_timeout=soon max_read=4294967296; do
	want="casfs: -o ${o%%=*} needs" try -o "endpoint=$EMU_URL,$o" "$MNT"
done
# umask=, uid=, gid= are casfs's own (names allowed for uid/gid)
for o in umask=999 uid=no-such-user-x gid=no-such-group-x; do
	want="casfs: -o $o:" try -o "endpoint=$EMU_URL,$o" "$MNT"
done
want="-o account=a/b" try -o "endpoint=$EMU_URL,account=a/b" "$MNT"
# libfuse options that cannot work on casfs: casfs's reason, not the
# kernel's bare "mount failed" (blkdev, blksize=) or a module's complaint
# after the daemon started (modules=subdir without subdir=)
for o in blkdev blksize=4096 modules=subdir; do
	want="casfs: -o $o: " try -o "endpoint=$EMU_URL,$o" "$MNT"
done
for o in state_dir= profile= cafile= region=; do
	want="casfs: -o $o needs a value" try -o "endpoint=$EMU_URL,$o" "$MNT"
done

echo PASS
