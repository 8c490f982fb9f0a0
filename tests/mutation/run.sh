#!/usr/bin/env bash
# run.sh: the mutation check (on demand, not in CI). Copies the working tree
# to a scratch directory, builds it once, checks that every guarding test
# passes unmutated, then for each mutant in mutants.ini: applies the edit
# (a code fragment that must occur exactly once, else the mutant is STALE
# and must be rewritten), rebuilds incrementally, runs the ctest tests that
# guard that promise, and restores the file. A mutant is KILLED when a
# guarding test fails, SURVIVED when all pass, EQUIVALENT when mutants.ini
# says why no test can tell it apart. Prints the kill rate; exits non-zero
# unless every mutant is killed or equivalent.
# Before anything is copied or built, every selected mutant is checked: a
# STALE one (its fragment not found exactly once, its file gone, no tests)
# or an unknown name fails the run at once (exit 2): a mutant that cannot
# be applied guards nothing, and must be re-derived against today's code.
#   tests/mutation/run.sh [MUTANT...]   (default: all)
#   tests/mutation/run.sh --check       only that check, for every mutant
#                                       (ctest mutation.fragments)
#   MUT_DIR=dir keeps the scratch copy there (reused: faster rebuilds)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

check_only=0
if [ "${1:-}" = "--check" ]; then
	check_only=1
	shift
fi
python3 - "$here/mutants.ini" "$root" "$@" <<'PY' || exit 2
import configparser, os, sys
ini, root, only = sys.argv[1], sys.argv[2], sys.argv[3:]
cp = configparser.ConfigParser(interpolation=None)
cp.optionxform = str
cp.read(ini)
bad = ["unknown mutant %s" % n for n in only if n not in cp.sections()]
for name in [s for s in cp.sections() if not only or s in only]:
    m = cp[name]
    missing = [k for k in ("file", "from", "to", "tests") if not m.get(k, "").strip()]
    if missing:
        bad.append("%s: no %s" % (name, ", ".join(missing)))
        continue
    path = os.path.join(root, m["file"])
    if not os.path.isfile(path):
        bad.append("%s: STALE (%s does not exist)" % (name, m["file"]))
        continue
    n = open(path, errors="replace").read().count(m["from"])
    if n != 1:
        bad.append("%s: STALE (fragment found %d times in %s)" % (name, n, m["file"]))
    elif m["from"] == m["to"]:
        bad.append("%s: `to` equals `from`" % name)
for b in bad:
    print("mutants.ini: " + b, file=sys.stderr)
if bad:
    print("== %d mutant(s) cannot be applied: re-derive them against today's code" % len(bad), file=sys.stderr)
    sys.exit(1)
PY
if [ "$check_only" = 1 ]; then
	echo "== every mutant in mutants.ini applies"
	exit 0
fi
W=${MUT_DIR:-$(mktemp -d /tmp/casfs-mut.XXXXXX)}
mkdir -p "$W/src"
jobs=${JOBS:-2}

echo "== copying the tree to $W/src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -cf - -T -) | tar -xmf - -C "$W/src" # -m: fresh mtimes, so no object of an earlier mutant survives
echo "== building"
cmake -S "$W/src" -B "$W/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$W/build" -j"$jobs" >"$W/build.log" 2>&1 || { tail -20 "$W/build.log"; exit 1; }

python3 - "$here/mutants.ini" "$W" "$jobs" "$@" <<'PY'
import configparser, os, re, subprocess, sys, time
ini, W, jobs, only = sys.argv[1], sys.argv[2], sys.argv[3], set(sys.argv[4:])
cp = configparser.ConfigParser(interpolation=None)
cp.optionxform = str
cp.read(ini)
src, build = os.path.join(W, "src"), os.path.join(W, "build")
env = dict(os.environ, CASFS_CI="1")

def ctest(tests):
    rx = "^(" + "|".join(re.escape(t) for t in tests) + ")$"
    r = subprocess.run(["ctest", "-R", rx, "--timeout", "300", "-j", jobs, "--output-on-failure"], cwd=build,
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    failed = re.findall(r"\d+ - (\S+) \(", r.stdout)
    if failed:
        with open(os.path.join(W, "failures.log"), "a") as f:
            f.write(r.stdout)
    ran = len(re.findall(r"Test +#\d+: ", r.stdout))
    return r.returncode, failed, ran

def build_ok():
    return subprocess.run(["cmake", "--build", build, "-j", jobs], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0

muts = [s for s in cp.sections() if not only or s in only]
guards = sorted({t for s in muts for t in cp[s]["tests"].split()})
print("== baseline: %d guarding tests, unmutated" % len(guards), flush=True)
rc, failed, ran = ctest(guards)
if rc != 0 and ran == len(guards) and failed:
    # a loaded machine can fail a test once: retry those alone before giving up
    print("   baseline: %s failed; retrying them alone" % " ".join(failed), flush=True)
    rc, failed, _ = ctest(failed)
if rc != 0 or ran != len(guards):
    print("baseline failed (%s) or ran %d of %d tests: fix the tree first" % (failed, ran, len(guards)))
    sys.exit(1)

res = {}
for name in muts:
    m = cp[name]
    path = os.path.join(src, m["file"])
    orig = open(path).read()
    frm, to = m["from"], m["to"]
    t0 = time.time()
    if "equivalent" in m:
        res[name] = "EQUIVALENT"
    elif orig.count(frm) != 1:  # checked before the build; kept for a tree changed meanwhile
        res[name] = "STALE (fragment found %d times)" % orig.count(frm)
    else:
        open(path, "w").write(orig.replace(frm, to))
        try:
            if not build_ok():
                res[name] = "BUILD-ERROR"
            else:
                rc, failed, ran = ctest(m["tests"].split())
                res[name] = ("KILLED by " + " ".join(failed or ["(ctest rc %d)" % rc])) if rc else "SURVIVED"
        finally:
            open(path, "w").write(orig)
            build_ok()  # never leave a mutated object behind
    print("%-28s %-60s %5.0f s  [%s]" % (name, res[name], time.time() - t0, m.get("promise", "")), flush=True)
killed = sum(v.startswith("KILLED") for v in res.values())
equiv = sum(v == "EQUIVALENT" for v in res.values())
judged = len(res) - equiv
print("== %d mutants: %d killed, %d survived, %d equivalent, %d stale or not building"
      % (len(res), killed, sum(v == "SURVIVED" for v in res.values()), equiv,
         sum(v.startswith(("STALE", "BUILD")) for v in res.values())))
print("== kill rate: %d/%d = %.0f%%" % (killed, judged, 100.0 * killed / judged if judged else 0))
for n, v in res.items():
    if v == "SURVIVED" or v.startswith(("STALE", "BUILD")):
        print("   %s: %s" % (n, v))
sys.exit(0 if killed + equiv == len(res) else 1)
PY
