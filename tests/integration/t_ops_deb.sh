#!/usr/bin/env bash
# Operations: the Debian package. cpack -G DEB builds it from this build
# (into the scratch directory), it declares its dependencies, has a
# copyright file, a changelog of its version, a stripped binary, a gzipped
# man page and /etc/logrotate.d/casfs as a conffile, lintian reports no
# error on it, dpkg -i
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
for f in ./usr/bin/casfs ./usr/sbin/mount.fuse.casfs ./usr/share/man/man1/casfs.1.gz ./usr/lib/systemd/system/casfs@.service \
	./usr/share/doc/casfs/copyright ./usr/share/doc/casfs/changelog.gz ./etc/logrotate.d/casfs; do
	grep -qx -- "$f" "$T/files" || fail "the package lacks $f"
done
grep -q '\.1$' "$T/files" && fail "an uncompressed man page: $(grep '\.1$' "$T/files")"
# what a distribution asks of a package
dpkg-deb -x "$deb" "$T/x"
dpkg-deb -e "$deb" "$T/ctl"
grep -qx /etc/logrotate.d/casfs "$T/ctl/conffiles" || fail "the logrotate file is not a conffile"
file "$T/x/usr/bin/casfs" | grep -q ', stripped' || fail "the binary is not stripped: $(file "$T/x/usr/bin/casfs")"
grep -q '^License: Apache-2.0' "$T/x/usr/share/doc/casfs/copyright" || fail "copyright names no licence"
zcat "$T/x/usr/share/doc/casfs/changelog.gz" | head -n1 | grep -q "^casfs ($(dpkg-deb -f "$deb" Version)) " ||
	fail "the changelog's first entry is not this version: $(zcat "$T/x/usr/share/doc/casfs/changelog.gz" | head -n1)"
command -v lintian >/dev/null || fail "lintian missing (contrib/deps.sh)"
lrc=0
lintian --allow-root --fail-on error "$deb" >"$T/lintian.out" 2>&1 || lrc=$?
[ "$lrc" -eq 0 ] && ! grep -q '^E: ' "$T/lintian.out" || fail "lintian (exit $lrc): $(cat "$T/lintian.out")"

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
[ "$(man -w casfs)" = /usr/share/man/man1/casfs.1.gz ] || fail "man -w casfs: $(man -w casfs 2>&1)"
[ -f /etc/logrotate.d/casfs ] || fail "dpkg -i did not install /etc/logrotate.d/casfs"
remove
trap cleanup EXIT
[ -e /usr/bin/casfs ] && fail "dpkg -r left /usr/bin/casfs"
echo PASS
