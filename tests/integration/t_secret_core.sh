#!/usr/bin/env bash
# Secrets gone from memory: after a cloud-access/new write, a core image of
# the casfs process (gdb's gcore) holds the written document nowhere, and the
# AccessKey secret at most once (the client's copy); the process is not
# dumpable (PR_GET_DUMPABLE = 0) unless -d is given. Under ASan the core
# image would hold terabytes of shadow mappings (gcore does not finish) and
# the allocator keeps freed memory unscrubbed, so there only dumpability is
# checked.
source "$(dirname "$0")/lib.sh"
command -v gcore >/dev/null || fail "gcore (Debian package gdb) is missing: contrib/deps.sh installs it"
asan=""
# (through a file: under pipefail, grep -q closing the pipe early would
# SIGPIPE ldd and hide the match, and gcore would then fill the disk)
ldd "$CASFS_BIN" >"$T/ldd.out"
grep -q libasan "$T/ldd.out" && asan=1

start_emulator --instances 3 --seed 53
mount_casfs
secret="SK$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
doc=$(jq -nc --arg k "$secret" '{CloudName: "Tencent", SecretId: "AKIDcore0001", SecretKey: $k}')
bash -c 'echo "$2" > "$1"' _ "$MNT/cloud-access/new" "$doc" || fail "AddCloudAccess via cloud-access/new"
expect_eq "$(applied AddCloudAccess)" 1 "applied AddCloudAccess"
cat "$MNT/cloud-access/"* >/dev/null # more traffic after the write: buffers reused

dumpable=$(gdb -p "$CASFS_PID" -batch -ex 'print (int)prctl(3, 0, 0, 0, 0)' 2>/dev/null | sed -n 's/^\$1 = //p')
expect_eq "$dumpable" 0 "PR_GET_DUMPABLE of casfs without -d"
if [ -z "$asan" ]; then
	# a core of the release build is tens of MiB; the file-size limit keeps a
	# mistaken sanitizer build from writing terabytes of shadow memory
	(ulimit -f 4194304 && gcore -o "$T/core" "$CASFS_PID" >/dev/null 2>&1) || fail "gcore failed"
	core=$(ls "$T"/core.* | head -n1)
	[ -s "$core" ] || fail "no core image"
	n_ak=$(grep -aoF "$SK" "$core" | wc -l || true)
	n_sk=$(grep -aoF "$secret" "$core" | wc -l || true)
	log "copies in the core image: AccessKey secret $n_ak, written SecretKey $n_sk"
	[ "$n_ak" -le 1 ] || fail "the AccessKey secret appears $n_ak times in a core image (at most once: the client's copy)"
	expect_eq "$n_sk" 0 "copies of the written SecretKey in a core image"
	rm -f "$core"
fi

# -d keeps the process debuggable
umount_casfs
"$CASFS_BIN" -d -o "endpoint=$EMU_URL" "$MNT" >>"$T/casfs.log" 2>&1 &
CASFS_PID=$!
for i in $(seq 1 200); do mountpoint -q "$MNT" && break; sleep 0.05; done
mountpoint -q "$MNT" || fail "casfs -d did not mount"
dumpable=$(gdb -p "$CASFS_PID" -batch -ex 'print (int)prctl(3, 0, 0, 0, 0)' 2>/dev/null | sed -n 's/^\$1 = //p')
expect_eq "$dumpable" 1 "PR_GET_DUMPABLE of casfs -d"
echo PASS
