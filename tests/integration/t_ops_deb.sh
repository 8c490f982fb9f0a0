#!/usr/bin/env bash
# Operations: the Debian package. cpack -G DEB builds it from this build
# (into the scratch directory), it declares its dependencies, dpkg -i
# installs it, the installed /usr/bin/casfs --version runs, the helper and
# the man page are where mount(8) and man(1) look, and dpkg -r removes it
# again, also when a step fails. A lock serialises builds that share the
# machine; dpkg's own lock is waited for.
source "$(dirname "$0")/lib.sh"
command -v cpack >/dev/null && command -v dpkg >/dev/null || fail "cpack or dpkg missing"
cpack -G DEB --config "$CASFS_BUILD/CPackConfig.cmake" -B "$T/pkg" >"$T/cpack.out" 2>&1 ||
	fail "cpack: $(tail -20 "$T/cpack.out")"
deb=$(ls "$T"/pkg/casfs_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || fail "no .deb: $(cat "$T/cpack.out")"
deps=$(dpkg-deb -f "$deb" Depends)
for d in fuse3 libfuse3-3 libcurl4 libcjson1 libjson-c5 libssl3 libsystemd0 libsqlite3-0; do
	grep -qE "(^|, )$d( |,|$)" <<<"$deps" || fail "Depends lacks $d: $deps"
done
dpkg-deb -c "$deb" | awk '{print $6}' >"$T/files"
for f in ./usr/bin/casfs ./usr/sbin/mount.fuse.casfs ./usr/share/man/man1/casfs.1 ./usr/lib/systemd/system/casfs@.service; do
	grep -qx -- "$f" "$T/files" || fail "the package lacks $f"
done

dpkg_retry() { # dpkg args...: waits up to 60 s for another dpkg to finish
	local i out
	for i in $(seq 1 120); do
		out=$(dpkg "$@" 2>&1) && return 0
		grep -qi lock <<<"$out" || { echo "$out" >&2; return 1; }
		sleep 0.5
	done
	echo "$out" >&2
	return 1
}
exec 9>/tmp/casfs-deb-test.lock
flock -w 120 9 || fail "another package test holds /tmp/casfs-deb-test.lock"
if dpkg-query -W -f='${Status}' casfs 2>/dev/null | grep -q "ok installed"; then
	fail "a casfs package is already installed on this machine; not touching it"
fi
remove() { dpkg_retry -r casfs >/dev/null || echo "WARNING: dpkg -r casfs failed" >&2; }
trap 'remove; cleanup' EXIT
dpkg_retry -i "$deb" >"$T/dpkg.out" || fail "dpkg -i: $(cat "$T/dpkg.out")"
v=$(/usr/bin/casfs --version) || fail "/usr/bin/casfs --version failed"
grep -q "^casfs $(dpkg-deb -f "$deb" Version) " <<<"$v" || fail "--version said: $v"
grep -qx "CASFS=/usr/bin/casfs" /sbin/mount.fuse.casfs || fail "the helper does not name /usr/bin/casfs"
[ "$(man -w casfs)" = /usr/share/man/man1/casfs.1 ] || [ "$(man -w casfs)" = /usr/share/man/man1/casfs.1.gz ] ||
	fail "man -w casfs: $(man -w casfs 2>&1)"
remove
trap cleanup EXIT
[ -e /usr/bin/casfs ] && fail "dpkg -r left /usr/bin/casfs"
echo PASS
