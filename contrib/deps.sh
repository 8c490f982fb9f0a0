#!/usr/bin/env bash
# deps.sh: installs the Debian packages casfs needs to build, test and demo,
# but only those that are missing. Sourced by test.sh and demo.sh.
casfs_install_deps() {
	local pkgs="cmake make gcc pkg-config libfuse3-dev fuse3 libcurl4-openssl-dev libcjson-dev
		libjson-c-dev uthash-dev libsqlite3-dev sqlite3 libssl-dev openssl libmicrohttpd-dev libcmocka-dev jq curl rsync vim
		python3 tar diffutils findutils procps util-linux gdb puppet ansible-core
		libsystemd-dev man-db groff-base dpkg-dev lintian systemd clang libclang-rt-14-dev nginx nodejs
		prometheus prometheus-node-exporter libhiredis-dev redis-server redis-tools"
	local missing="" p
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	# npm: Debian's package, unless a node that bundles its own npm is there
	# (Debian's npm conflicts with such a nodejs)
	command -v npm >/dev/null || missing="$missing npm"
	if [ -n "$missing" ]; then
		echo "casfs: installing:$missing" >&2
		local sudo=""
		[ "$(id -u)" -eq 0 ] || sudo="sudo"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
	if [ ! -e /dev/fuse ]; then
		echo "casfs: /dev/fuse is missing; load the fuse module (modprobe fuse) or run the container with --device /dev/fuse" >&2
		return 1
	fi
}
