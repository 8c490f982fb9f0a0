#!/usr/bin/env bash
# test.sh: the one test command. Installs what is missing, builds, runs every
# test (unit, emulator, client, integration with real mounts), then builds
# an ASan+UBSan variant and runs the whole suite again, then builds every
# target as a distribution would (Release, dpkg-buildflags' CFLAGS,
# CPPFLAGS and LDFLAGS, -Werror: GCC -O2/-O3 warns about things -O0 never
# sees) and runs only the unit tests there, then runs each fuzz harness
# (tests/fuzz) for about 10 s when clang is present. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source contrib/deps.sh
casfs_install_deps

jobs=$(nproc)
run_suite() { # build-dir cmake-args...
	local dir=$1
	shift
	echo "== configure and build $dir ($*)"
	cmake -S . -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^(Consolidate|Scanning|Built target)' || true
	cmake --build "$dir" -j"$jobs" >/dev/null # fail here if the build failed
	echo "== test $dir"
	(cd "$dir" && ctest -j"$jobs" --output-on-failure --timeout 300)
}

# CI mode: a test that skips (a tool missing) fails instead of passing
export CASFS_CI=${CASFS_CI:-1}
start=$(date +%s)
run_suite build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DCASFS_SANITIZE=ON
# the distribution build: the flags debhelper passes (CPPFLAGS go into
# CFLAGS: CMake reads no CPPFLAGS), as cache entries so a reused build-dist
# always has today's flags; incremental, like the other builds
echo "== configure and build build-dist (Release, dpkg-buildflags)"
cmake -S . -B build-dist -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_C_FLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
	-DCMAKE_EXE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" \
	-DCMAKE_SHARED_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" \
	-DCMAKE_MODULE_LINKER_FLAGS="$(dpkg-buildflags --get LDFLAGS)" >/dev/null
cmake --build build-dist -j"$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^(Consolidate|Scanning|Built target)' || true
cmake --build build-dist -j"$jobs" >/dev/null # fail here if the build failed
build-dist/fs/casfs --version
(cd build-dist && ctest -j"$jobs" --output-on-failure --timeout 300 -R '^unit\.')
if command -v clang >/dev/null; then
	echo "== fuzz (libFuzzer, ASan+UBSan), about 10 s per harness"
	FUZZ_SECONDS=10 FUZZ_BUILD=build-fuzz tests/fuzz/run.sh
fi
echo "== all tests passed in $(( $(date +%s) - start )) s"
