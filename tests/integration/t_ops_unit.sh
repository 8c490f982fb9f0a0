#!/usr/bin/env bash
# The systemd template unit. casfs@.service as installed:
# `systemd-analyze verify` of an instance is silent, and its ExecStart= run
# the way systemd runs it (env -i: no HOME, STATE_DIRECTORY and
# CREDENTIALS_DIRECTORY set, %i and %d filled in) keeps its state database in
# STATE_DIRECTORY across two starts: the journal of the first start is there
# in the second, and .cas/stats names the database. Without any state
# directory the mount warns loudly, in the log and in .cas/stats.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 4 --seed 2111
P=$T/prefix
cmake --install "$CASFS_BUILD" --prefix "$P" >"$T/install.out" 2>&1 || fail "cmake --install: $(cat "$T/install.out")"
U=$P/lib/systemd/system/casfs@.service
[ -f "$U" ] || fail "no casfs@.service installed"
for w in "StateDirectory=casfs/%i" "LoadCredential=aliyun.json:/etc/casfs/aliyun.json" "EnvironmentFile=-/etc/casfs/%i.conf"; do
	grep -qxF "$w" "$U" || fail "the unit lacks $w"
done
grep -q '^ExecStart=.*fsname=casfs:%i' "$U" || fail "the unit does not set fsname=casfs:%i"
if command -v systemd-analyze >/dev/null; then
	cp "$U" "$T/casfs@it.service"
	MANPATH=$P/share/man timeout 30 systemd-analyze verify "$T/casfs@it.service" >"$T/verify.txt" 2>&1 || true
	[ -s "$T/verify.txt" ] && fail "systemd-analyze verify casfs@it.service: $(cat "$T/verify.txt")"
fi

# what systemd hands the service: the credential, the state directory, no HOME
mkdir -p "$T/creds" "$T/var/lib/casfs/it"
chmod 700 "$T/var/lib/casfs/it"
cat >"$T/creds/aliyun.json" <<JSON
{"current":"default","profiles":[{"name":"it","mode":"AK","access_key_id":"$AK","access_key_secret":"$SK"}]}
JSON
chmod 600 "$T/creds/aliyun.json"
# ExecStart= with systemd's substitutions: %i, %d, ${CASFS_OPTIONS}, ${CASFS_MOUNTPOINT}
cmdline=$(sed -n 's/^ExecStart=//p' "$U" | sed -e "s|%d|$T/creds|g" -e 's|%i|it|g' \
	-e "s|\${CASFS_OPTIONS}|ttl=60,endpoint=$EMU_URL|" -e "s|\${CASFS_MOUNTPOINT}|$MNT|")
read -r -a argv <<<"$cmdline"
start_unit() { # [VAR=value...]: runs the unit's command under env -i
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 INVOCATION_ID=0123456789abcdef "$@" \
		CREDENTIALS_DIRECTORY="$T/creds" CASFS_MOUNTPOINT="$MNT" "${argv[@]}" >>"$T/casfs.log" 2>&1 &
	CASFS_PID=$!
	local i
	for i in $(seq 1 200); do
		mountpoint -q "$MNT" && return 0
		kill -0 "$CASFS_PID" 2>/dev/null || fail "casfs exited at start: $(tail -5 "$T/casfs.log")"
		sleep 0.05
	done
	fail "casfs did not mount"
}
DB=$T/var/lib/casfs/it/account-name-it.db
start_unit STATE_DIRECTORY="$T/var/lib/casfs/it"
expect_eq "$(awk -v m="$MNT" '$2 == m {print $1}' /proc/mounts)" "casfs:it" "fsname"
expect_eq "$(jq -r .state.database "$MNT/.cas/stats")" "$DB" "the database in .cas/stats"
id=$(first_instance true)
echo unit-first-start >"$MNT/instances/$id/name"
umount_casfs || fail "unclean unmount"
[ -f "$DB" ] || fail "no database in STATE_DIRECTORY: $(ls -la "$T/var/lib/casfs/it")"
start_unit STATE_DIRECTORY="$T/var/lib/casfs/it"
grep -q unit-first-start "$MNT/.cas/journal" || fail "the second start lost the first one's journal: $(cat "$MNT/.cas/journal")"
umount_casfs || fail "unclean unmount"

# no state directory at all: a loud warning, in the log and in .cas/stats
start_unit
jq -e '.state.database == null and (.state.warning | test("IN MEMORY ONLY"))' "$MNT/.cas/stats" >/dev/null ||
	fail ".cas/stats without a state directory: $(jq -c .state "$MNT/.cas/stats")"
grep -q "WARNING: .*IN MEMORY ONLY" "$T/casfs.log" || fail "no warning in the log"
umount_casfs || fail "unclean unmount"
echo PASS
