#!/usr/bin/env bash
# Command-line misuse: every unusable invocation (no credentials, a
# credentials file readable by others, bad option values, an unknown option,
# no / missing / non-directory mountpoint, an unreachable endpoint, a wrong
# secret or unknown key) exits non-zero with exactly one clear line on stderr
# and leaves nothing mounted; local mistakes are refused before any network
# call. --help and --version exit 0. Every case is checked and all failures
# are reported together.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 3 --seed 3
mkdir -p "$T/empty" "$T/notadir.d"
touch "$T/afile"
ERRS=()

# misuse NAME LOCAL(1=no network call allowed) REGEX -- command...
misuse() {
	local name=$1 local_only=$2 re=$3
	shift 4
	local before rc=0 lines
	before=$(audit_count ListInstances)
	timeout 60 "$@" >"$T/out" 2>"$T/err" || rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" -eq 124 ]; then
		ERRS+=("$name: hung (killed after 60 s)")
	elif [ "$rc" -eq 0 ]; then
		ERRS+=("$name: exit status 0")
	fi
	[ "$lines" -eq 1 ] || ERRS+=("$name: $lines lines on stderr, want 1: $(tr '\n' '|' <"$T/err")")
	grep -qiE -- "$re" "$T/err" || ERRS+=("$name: stderr does not match /$re/: $(tr '\n' '|' <"$T/err")")
	if mountpoint -q "$MNT"; then
		ERRS+=("$name: left $MNT mounted")
		fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT"
	fi
	grep -qF " $MNT " /proc/mounts && ERRS+=("$name: $MNT in /proc/mounts")
	if [ "$local_only" = 1 ] && [ "$(audit_count ListInstances)" != "$before" ]; then
		ERRS+=("$name: made a network call before refusing")
	fi
	return 0
}

C=$CASFS_BIN
E="endpoint=$EMU_URL"
noenv=(env -u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET)

misuse "no credentials" 1 "credential" -- "${noenv[@]}" HOME="$T/empty" "$C" -f -o "$E" "$MNT"
# a credentials file readable by others is refused, even though it is valid
mkdir -p "$T/h644/.aliyun" "$T/h600/.aliyun"
profile=$(jq -cn --arg id "$AK" --arg s "$SK" \
	'{current: "default", profiles: [{name: "default", mode: "AK", access_key_id: $id, access_key_secret: $s}]}')
echo "$profile" >"$T/h644/.aliyun/config.json"
chmod 644 "$T/h644/.aliyun/config.json"
misuse "world-readable credentials file" 1 "config.json.*(group|others|mode|permission)" -- \
	"${noenv[@]}" HOME="$T/h644" "$C" -f -o "$E" "$MNT"

for o in ttl=-1 qps=0 timeout=abc ttl=abc timeout=0 max_stale=-1; do
	misuse "-o $o" 1 "${o%%=*}" -- "$C" -f -o "$E,$o" "$MNT"
done
misuse "-o bogus=1" 1 "^casfs: unknown option \"bogus=1\"" -- "$C" -f -o "$E,bogus=1" "$MNT"
misuse "-o nonsense" 1 "^casfs: unknown option \"nonsense\"" -- "$C" -f -o "$E,allow_other,nonsense" "$MNT"
misuse "missing credentials_file" 1 "credentials_file=$T/none.json.*No such file" -- \
	"$C" -f -o "$E,credentials_file=$T/none.json" "$MNT"
misuse "missing cafile" 1 "cafile=$T/no-ca.pem.*No such file" -- "$C" -f -o "$E,cafile=$T/no-ca.pem" "$MNT"
misuse "no mountpoint" 1 "mountpoint" -- "$C" -f -o "$E"
misuse "missing mountpoint" 1 "$T/nope.*(No such file|does not exist)" -- "$C" -f -o "$E" "$T/nope"
misuse "mountpoint is a file" 1 "$T/afile.*not a directory" -- "$C" -f -o "$E" "$T/afile"
misuse "unreachable endpoint" 0 "127\.0\.0\.1:1" -- "$C" -f -o endpoint=http://127.0.0.1:1 "$MNT"
misuse "wrong secret" 0 "credential.*SignatureDoesNotMatch|SignatureDoesNotMatch.*credential" -- \
	env ALIBABA_CLOUD_ACCESS_KEY_SECRET=not-the-secret "$C" -f -o "$E" "$MNT"
misuse "unknown access key" 0 "credential|AccessKey" -- \
	env ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tUnknownKey "$C" -f -o "$E" "$MNT"
# daemon mode (no -f) refuses the same way before it detaches
misuse "wrong secret, daemon mode" 0 "credential|SignatureDoesNotMatch" -- \
	env ALIBABA_CLOUD_ACCESS_KEY_SECRET=not-the-secret "$C" -o "$E" "$MNT"

# --help and --version
rc=0
"$C" --help >"$T/help" 2>"$T/help.err" || rc=$?
[ "$rc" -eq 0 ] || ERRS+=("--help: exit status $rc")
grep -q "^usage: casfs" "$T/help" || ERRS+=("--help: no usage line on stdout")
grep -q "ttl=SECONDS" "$T/help" || ERRS+=("--help: the casfs options are not described")
rc=0
"$C" --version >"$T/version" 2>"$T/version.err" || rc=$?
[ "$rc" -eq 0 ] || ERRS+=("--version: exit status $rc")
grep -qE "^casfs [0-9]+\.[0-9]+" "$T/version" || ERRS+=("--version: $(cat "$T/version")")

# positive controls: the same invocations with usable inputs do mount
chmod 600 "$T/h644/.aliyun/config.json"
(
	unset ALIBABA_CLOUD_ACCESS_KEY_ID ALIBABA_CLOUD_ACCESS_KEY_SECRET
	export HOME=$T/h644
	mount_casfs ttl=5 qps=20 timeout=10
	ls "$MNT/instances" | wc -l | grep -qx 3 || fail "profile-file mount shows no instances"
	umount_casfs
) || ERRS+=("a 0600 credentials file does not mount")
mountpoint -q "$MNT" && fusermount3 -u "$MNT"

if [ "${#ERRS[@]}" -ne 0 ]; then
	printf 'FAIL: %s\n' "${ERRS[@]}" >&2
	exit 1
fi
echo PASS
