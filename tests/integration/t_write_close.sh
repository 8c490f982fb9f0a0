#!/usr/bin/env bash
# Open modes and close-time errors: O_TRUNC needs no separate truncate, a
# write without O_TRUNC edits the current bytes, >> appends (a tag added with
# >>, a second document refused), errors found only at close reach tee and
# /bin/echo (coreutils check close(2)); read-only files refuse writes, rm of
# an instance file is EPERM, and after every failure the old content stays.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 17
mount_casfs

id=$(first_instance '.Status == "normal" and (.Tags | length) >= 1 and (.Tags | length) <= 5')
[ "$id" != null ] || fail "no suitable instance"
d="$MNT/instances/$id"
rel=${d#"$MNT"}

upd() { grep -c '"action":"UpdateInstance"' "$AUDIT" || true; }
last_params() { jq -c 'select(.action == "UpdateInstance") | .params' "$AUDIT" | tail -n1; }
# no_change WHAT: no new UpdateInstance, config and remote state as before
snapshot() {
	U0=$(upd)
	C0=$(sha256sum <"$d/config")
	R0=$(emu_instance "$id" | sha256sum)
	E0=$(wc -l <"$MNT/.cas/errors")
}
no_change() {
	expect_eq "$(upd)" "$U0" "UpdateInstance calls after $1"
	expect_eq "$(sha256sum <"$d/config")" "$C0" "config content after $1"
	expect_eq "$(emu_instance "$id" | sha256sum)" "$R0" "remote state after $1"
}
recorded() { # WHAT PATH ERRNO: the newest .cas/errors record is about PATH with ERRNO
	[ "$(wc -l <"$MNT/.cas/errors")" -gt "$E0" ] || [ "$E0" -ge 100 ] || fail "no .cas/errors record after $1"
	local rec
	rec=$(tail -n1 "$MNT/.cas/errors")
	expect_eq "$(jq -r .path <<<"$rec")" "$2" ".cas/errors path after $1"
	expect_eq "$(jq -r .errno <<<"$rec")" "$3" ".cas/errors errno after $1"
}

# ---- O_TRUNC without a separate truncate (Python opens with O_WRONLY|O_TRUNC and
# writes once; with atomic O_TRUNC the kernel sends no setattr, and none is needed)
snapshot
python3 - "$d/config" <<'EOF' || fail "os.open(O_TRUNC) + one write"
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
os.write(fd, b'{"City": "Trunc City"}\n')
os.close(fd)
EOF
expect_eq "$(upd)" $((U0 + 1)) "UpdateInstance calls after an O_TRUNC write"
expect_eq "$(last_params)" "{\"InstanceId\":\"$id\",\"City\":\"Trunc City\"}" "params of the O_TRUNC write"
expect_eq "$(cat "$d/config")" '{"City": "Trunc City"}' "config after the O_TRUNC write"
# open O_TRUNC and close without writing: the empty document is committed at
# release (after close returned), so the EINVAL is a record, and no call
snapshot
: >"$d/config" || fail ": > config"
for i in $(seq 1 200); do # up to 20 s
	[ "$(wc -l <"$MNT/.cas/errors")" -gt "$E0" ] && break
	sleep 0.1
done
no_change ": > config (O_TRUNC, no write)"
expect_eq "$(wc -l <"$MNT/.cas/errors")" "$((E0 + 1))" ".cas/errors after : > config"
expect_eq "$(tail -n1 "$MNT/.cas/errors" | jq -r .errno)" EINVAL "error record of : > config"

# ---- without O_TRUNC a write replaces bytes of the current content
# a longer document over the shorter one replaces it completely
snapshot
printf '{"City": "Longer city name than before", "Province": "Hubei"}\n' |
	dd of="$d/config" conv=notrunc status=none || fail "dd conv=notrunc of a longer document"
expect_eq "$(upd)" $((U0 + 1)) "UpdateInstance calls after the longer notrunc write"
expect_eq "$(emu_instance "$id" | jq -r '.City + "/" + .Province')" "Longer city name than before/Hubei" "remote after notrunc"
# a shorter one leaves old bytes after it: refused, nothing sent
snapshot
expect_fail "Invalid argument" dd of="$d/config" conv=notrunc status=none <<<'{"City": "X"}'
no_change "a shorter notrunc write"
recorded "a shorter notrunc write" "$rel/config" EINVAL
# truncate(1) to 0 bytes is an empty document: refused at close
snapshot
expect_fail "Invalid argument" truncate -s 0 "$d/config"
no_change "truncate -s 0 config"
# a truncate that changes nothing is fine
truncate -s "$(stat -c %s "$d/config")" "$d/config" || fail "truncate to the same size"

# ---- >> appends to what is there
# tags: the current set plus one line = one UpdateInstance with the full set
tags0=$(cat "$d/tags")
snapshot
echo "appended=yes" >>"$d/tags" || fail "echo >> tags"
expect_eq "$(upd)" $((U0 + 1)) "UpdateInstance calls after echo >> tags"
want=$(printf '%s\nappended=yes\n' "$tags0" | sort)
expect_eq "$(emu_instance "$id" | jq -r '.Tags[] | "\(.TagKey)=\(.TagValue)"' | sort)" "$want" "remote tags after >>"
expect_eq "$(cat "$d/tags")" "$(printf '%s\nappended=yes' "$tags0")" "tags file after >>"
# config: a second JSON document after the first is refused, nothing sent
snapshot
expect_fail "Invalid argument" bash -c 'echo "{\"City\": \"Appended\"}" >> "$1"' _ "$d/config"
no_change "echo {...} >> config"
recorded "echo {...} >> config" "$rel/config" EINVAL
# a blank line appended: the same document, no call
snapshot
echo >>"$d/config" || fail "echo >> config (blank line)"
expect_eq "$(upd)" "$U0" "UpdateInstance calls after a blank line appended"
# a one-line file: a second line is refused
snapshot
before=$(cat "$d/auto_reissue")
expect_fail "Invalid argument" bash -c 'echo enable >> "$1"' _ "$d/auto_reissue"
no_change "echo >> auto_reissue"
expect_eq "$(cat "$d/auto_reissue")" "$before" "auto_reissue after the refused append"

# ---- errors found only at close reach tee and /bin/echo
# an incomplete document is only known at close; bash's echo cannot see it
snapshot
expect_fail "Invalid argument" bash -c 'printf "{\"City\":" | tee "$1" >/dev/null' _ "$d/config"
no_change "tee of an incomplete document"
recorded "tee of an incomplete document" "$rel/config" EINVAL
snapshot
expect_fail "Invalid argument" bash -c '/bin/echo -n "{\"City\":" > "$1"' _ "$d/config"
no_change "/bin/echo of an incomplete document"
recorded "/bin/echo of an incomplete document" "$rel/config" EINVAL
# tags commit at close: a server failure there reaches tee and /bin/echo
emu_post faults '500=1@UpdateInstance'
snapshot
tags0=$(cat "$d/tags")
expect_fail "Input/output error" bash -c 'printf "server=fails\n" | tee "$1" >/dev/null' _ "$d/tags"
recorded "tee of tags under HTTP 500" "$rel/tags" EIO
expect_eq "$(cat "$d/tags")" "$tags0" "tags after the failed tee"
snapshot
expect_fail "Input/output error" bash -c '/bin/echo server=fails > "$1"' _ "$d/tags"
recorded "/bin/echo > tags under HTTP 500" "$rel/tags" EIO
expect_eq "$(cat "$d/tags")" "$tags0" "tags after the failed /bin/echo"
emu_post faults ''
expect_eq "$(applied UpdateInstance)" 3 "applied UpdateInstance in the whole test"

# ---- read-only files refuse writes, rm of an instance file is EPERM
for f in detail status not_after; do
	[ -e "$d/$f" ] || continue
	before=$(sha256sum <"$d/$f")
	snapshot
	expect_fail "Permission denied" bash -c 'echo x > "$1"' _ "$d/$f"
	expect_fail "Permission denied" bash -c 'echo x >> "$1"' _ "$d/$f"
	expect_fail "Permission denied" cp /etc/hostname "$d/$f"
	expect_eq "$(sha256sum <"$d/$f")" "$before" "$f after the refused writes"
	expect_eq "$(upd)" "$U0" "UpdateInstance calls after writing $f"
done
for f in domain config detail refund; do
	snapshot
	expect_fail "Operation not permitted" rm -f "$d/$f"
	[ -e "$d/$f" ] || fail "$f is gone after rm"
	recorded "rm $f" "$rel/$f" EPERM
done
mkdir "$d/sub" || fail "mkdir of a scratch directory"
rmdir "$d/sub" || fail "rmdir of a scratch directory"
expect_fail "Operation not permitted" mkdir "$MNT/instances/sub"
expect_fail "Operation not permitted" ln -s config "$d/link"
expect_fail "Operation not permitted" mv "$d/config" "$d/name"
# writes outside instance directories cannot create files
expect_fail "Permission denied" bash -c 'echo x > "$1"' _ "$MNT/instances/newfile"
expect_fail "Permission denied" bash -c 'echo x > "$1"' _ "$MNT/summary"
expect_eq "$(audit_count DeleteInstance)" 0 "DeleteInstance calls"
expect_eq "$(jq .writes.scratch_files "$MNT/.cas/stats")" 0 "scratch files left at the end (none leaked)"
echo PASS
