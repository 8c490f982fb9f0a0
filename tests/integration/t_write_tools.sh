#!/usr/bin/env bash
# Atomic-save tools: sed -i, vim in ex mode (backupcopy=yes, =no and =auto,
# with its 4913 probe, swap and backup files), a Python mkstemp + os.replace,
# cp and rsync onto config each save exactly once (one UpdateInstance carrying only the
# changed field) and leave no scratch file behind. A > 8 KiB config with an
# RSA-4096 CSR written in several chunks commits once.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 5
mount_casfs

id=$(first_instance '.Status == "normal" and .AutoReissue == "enable" and .GenerateCsrMethod == "online"')
[ "$id" != null ] || fail "no suitable instance"
d="$MNT/instances/$id"
ls -A "$d" >"$T/nodes"
free0=$(jq .writes.scratch_files "$MNT/.cas/stats")

upd() { audit_count UpdateInstance ".params.InstanceId == \"$id\""; }
last_keys() {
	jq -c --arg id "$id" 'select(.action == "UpdateInstance" and .params.InstanceId == $id) | .params | keys' "$AUDIT" |
		tail -n1
}
no_leftovers() {
	ls -A "$d" >"$T/nodes.now"
	diff "$T/nodes" "$T/nodes.now" >&2 || fail "scratch files left behind after $1"
	expect_eq "$(jq .writes.scratch_files "$MNT/.cas/stats")" "$free0" "scratch files (.cas/stats) after $1"
}
# saved_once WHAT FIELD N: N UpdateInstance calls so far, the last one carrying only FIELD
saved_once() {
	expect_eq "$(upd)" "$3" "UpdateInstance calls after $1"
	expect_eq "$(last_keys)" "$(jq -nc --arg f "$2" '[$f, "InstanceId"] | sort')" "params of the UpdateInstance of $1"
	no_leftovers "$1"
}

# ---- sed -i on a value file
sed -i 's/enable/disable/' "$d/auto_reissue" || fail "sed -i auto_reissue"
expect_eq "$(cat "$d/auto_reissue")" disable "auto_reissue after sed -i"
expect_eq "$(emu_instance "$id" | jq -r .AutoReissue)" disable "remote AutoReissue after sed -i"
saved_once "sed -i auto_reissue" AutoReissue 1
# sed -i that changes nothing: zero calls, no leftovers
sed -i 's/enable/disable/' "$d/auto_reissue" || fail "sed -i (no change)"
expect_eq "$(upd)" 1 "UpdateInstance calls after a no-op sed -i"
no_leftovers "a no-op sed -i"
# sed -i on config
sed -i 's/"City": "[^"]*"/"City": "Sed City"/' "$d/config" || fail "sed -i config"
expect_eq "$(jq -r .City "$d/detail")" "Sed City" "City after sed -i"
saved_once "sed -i config" City 2

# ---- vim in ex mode. The mount lives under /tmp, which vim's default
# 'backupskip' excludes from backups, so clear it: then backupcopy=no renames
# config to config~ and writes a new config, =auto first probes with a 4913
# file, and =yes copies to config~ and writes config in place.
vimsave() { # 'vim settings' 'new City'
	vim -es -u NONE -i NONE -c "set backupskip= writebackup $1" \
		-c "%s/\"City\": \"[^\"]*\"/\"City\": \"$2\"/" -c wq "$d/config" </dev/null ||
		fail "vim ($1) exited non-zero"
}
n=2
for bc in yes no auto; do
	city="Vim City $bc"
	vimsave "backupcopy=$bc" "$city"
	n=$((n + 1))
	expect_eq "$(jq -r .City "$d/detail")" "$city" "City after vim backupcopy=$bc"
	expect_eq "$(jq -r .City "$d/config")" "$city" "config after vim backupcopy=$bc"
	saved_once "vim backupcopy=$bc" City $n
done
# with the default 'backupskip' vim writes in place (open, ftruncate, write)
vim -es -u NONE -i NONE -c '%s/"City": "[^"]*"/"City": "Vim City inplace"/' -c wq "$d/config" </dev/null ||
	fail "vim (defaults) exited non-zero"
n=$((n + 1))
expect_eq "$(jq -r .City "$d/detail")" "Vim City inplace" "City after vim with defaults"
saved_once "vim with defaults" City $n
# set backup keeps config~ (a scratch file with the old config); rm removes it
vimsave "backup backupcopy=no" "Vim City backup"
n=$((n + 1))
expect_eq "$(upd)" $n "UpdateInstance calls after vim set backup"
expect_eq "$(last_keys)" '["City","InstanceId"]' "params of vim set backup"
[ -f "$d/config~" ] || fail "vim's backup config~ is missing"
expect_eq "$(jq -r .City "$d/config~")" "Vim City inplace" "config~ holds the old config"
expect_eq "$(jq -r .City "$d/config")" "Vim City backup" "config after vim set backup"
rm "$d/config~" || fail "rm of the backup scratch file"
no_leftovers "vim set backup"

# ---- Python: tempfile.mkstemp in the directory + os.replace
python3 - "$d" <<'EOF' || fail "python atomic replace"
import json, os, sys, tempfile
d = sys.argv[1]
with open(os.path.join(d, "config")) as f:
    cfg = json.load(f)
cfg["CertificateName"] = "python-replaced"
fd, tmp = tempfile.mkstemp(dir=d, prefix=".config.", suffix=".tmp")
with os.fdopen(fd, "w") as f:
    json.dump(cfg, f, indent=2, sort_keys=True)
    f.write("\n")
    f.flush()
    os.fsync(f.fileno())
os.chmod(tmp, 0o644)
os.replace(tmp, os.path.join(d, "config"))
EOF
n=$((n + 1))
expect_eq "$(cat "$d/name")" python-replaced "name after the Python replace"
saved_once "python os.replace" CertificateName $n

# ---- cp onto config (open O_TRUNC, write, close)
jq '.ValidationMethod = (if .ValidationMethod == "DNS" then "HTTP" else "DNS" end)' "$d/config" >"$T/cfg.json"
want=$(jq -r .ValidationMethod "$T/cfg.json")
cp "$T/cfg.json" "$d/config" || fail "cp onto config"
n=$((n + 1))
expect_eq "$(jq -r .ValidationMethod "$d/detail")" "$want" "ValidationMethod after cp"
cmp "$T/cfg.json" "$d/config" || fail "config does not read back the bytes cp wrote"
saved_once "cp onto config" ValidationMethod $n
cp "$T/cfg.json" "$d/config" || fail "cp again"
expect_eq "$(upd)" $n "UpdateInstance calls after the same cp again"

# ---- rsync (writes .config.XXXXXX, sets its times and mode, renames it onto config)
jq -S '.City = "Rsync City"' "$d/config" >"$T/rsync.json"
rsync "$T/rsync.json" "$d/config" || fail "rsync onto config"
n=$((n + 1))
expect_eq "$(jq -r .City "$d/detail")" "Rsync City" "City after rsync"
saved_once "rsync onto config" City $n
jq -S '.City = "Rsync -a City"' "$d/config" >"$T/rsync.json"
rsync -a "$T/rsync.json" "$d/config" || fail "rsync -a onto config"
n=$((n + 1))
saved_once "rsync -a onto config" City $n
rsync -a "$T/rsync.json" "$d/config" || fail "rsync -a again"
expect_eq "$(upd)" $n "UpdateInstance calls after the same rsync -a again"
no_leftovers "rsync -a again"

# ---- a > 8 KiB config with an RSA-4096 CSR, written in chunks: one commit
openssl req -new -newkey rsa:4096 -nodes -subj /CN=big.example.com \
	-keyout "$T/r4.key" -out "$T/r4.csr" 2>/dev/null || fail "openssl req rsa:4096"
long=$(printf '\xe4\xb8\xad%.0s' $(seq 1 120)) # 120 CJK characters
jq -n --rawfile csr "$T/r4.csr" --arg l "$long" '{
	Csr: $csr, KeyAlgorithm: "RSA_4096", GenerateCsrMethod: "upload",
	CertificateName: ("big-" + $l), City: ("C" + $l), Province: ("P" + $l),
	Tags: [range(20) | {TagKey: "key-\(.)-\("k" * 50)", TagValue: ("v" * 128)}]
}' | jq -S --ascii-output . >"$T/big.json"
[ "$(wc -c <"$T/big.json")" -gt 8192 ] || fail "the big config is not > 8 KiB"
(
	head -c 3000 "$T/big.json"
	sleep 0.2
	tail -c +3001 "$T/big.json"
) | cat >"$d/config" || fail "chunked write of the big config"
n=$((n + 1))
expect_eq "$(upd)" $n "UpdateInstance calls after the chunked big config"
expect_eq "$(applied UpdateInstance)" $n "applied UpdateInstance after the chunked big config"
remote=$(emu_instance "$id")
expect_eq "$(jq -r .KeyAlgorithm <<<"$remote")" RSA_4096 "remote KeyAlgorithm"
expect_eq "$(jq -r .GenerateCsrMethod <<<"$remote")" upload "remote GenerateCsrMethod"
expect_eq "$(jq -r '.Csr | rtrimstr("\n")' <<<"$remote")" "$(cat "$T/r4.csr")" "remote Csr"
expect_eq "$(jq -r .City <<<"$remote")" "C$long" "remote City"
expect_eq "$(jq '.Tags | length' <<<"$remote")" 20 "remote tag count"
cmp "$T/big.json" "$d/config" || fail "config does not read back the big document"
# the same document again with dd bs=1000 (9+ writes): no call at all
dd if="$T/big.json" of="$d/config" bs=1000 status=none || fail "dd of the big config"
expect_eq "$(upd)" $n "UpdateInstance calls after the same big config via dd"
# a change via dd bs=1000: one call carrying only the change
jq -S --ascii-output '.City = "dd city"' "$T/big.json" >"$T/big2.json"
dd if="$T/big2.json" of="$d/config" bs=1000 status=none || fail "dd of the changed big config"
n=$((n + 1))
saved_once "dd bs=1000 of the big config" City $n
expect_eq "$(cat "$d/csr")" "$(cat "$T/r4.csr")" "csr file"
echo PASS
