#!/usr/bin/env bash
# Ansible re-runs of an upload (issue 19, workflow 4): ansible-playbook of
# contrib/ansible-upload-certificate.yml and of the plain example (copy of
# fullchain.pem and privkey.pem, default force=yes) into a new directory make
# one UploadUserCertificate, and each re-run succeeds at 0 calls: at once
# (the staging view: the staged key reads as an empty receipt, so Ansible's
# checksum differs and it writes the key again, which matches the stored
# leaf: no change) and after the directory settled (privkey.pem absent: the
# copy writes a temporary file and renames it onto privkey.pem, then
# chmods it; the receipt stays for that). No key is ever read back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store_lib.sh"
command -v ansible-playbook >/dev/null || fail "ansible-playbook is not installed (contrib/deps.sh installs ansible-core)"
start_emulator --instances 2 --seed 20
mount_casfs
C=$MNT/certificates
ls "$C" >/dev/null
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cat >"$T/plain.yml" <<'EOF'
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.file:
        path: "{{ casfs_mount }}/certificates/{{ name }}"
        state: directory
    - ansible.builtin.copy:
        src: "{{ src }}/fullchain.pem"
        dest: "{{ casfs_mount }}/certificates/{{ name }}/fullchain.pem"
    - ansible.builtin.copy:
        src: "{{ src }}/privkey.pem"
        dest: "{{ casfs_mount }}/certificates/{{ name }}/privkey.pem"
EOF
play() { # playbook name what
	ANSIBLE_LOCAL_TEMP=$T/ansible ANSIBLE_HOME=$T/ansible ANSIBLE_NOCOLOR=1 ansible-playbook -i localhost, -c local \
		"$1" -e "casfs_mount=$MNT" -e "name=$2" -e "src=$T/live/$2" >"$T/play.out" 2>&1 ||
		fail "$3: ansible-playbook failed: $(grep -E 'fatal|msg' "$T/play.out" | head -3)"
	grep -q "failed=0" "$T/play.out" || fail "$3: $(tail -3 "$T/play.out")"
}
for pb in "$SRC/contrib/ansible-upload-certificate.yml" "$T/plain.yml"; do
	name=$(basename "$pb" .yml).example
	make_live "$T/live/$name" "$name"
	u0=$(uploads)
	play "$pb" "$name" "$name first run"
	expect_eq "$(($(uploads) - u0))" 1 "$name: UploadUserCertificate calls"
	ls -lR "$C" >/dev/null # what the upload invalidated (the list): read once
	n0=$(calls)
	d0=$(audit_count GetUserCertificateDetail)
	play "$pb" "$name" "$name run again at once"
	# (a slow machine's play may outlast the 2 s staging view: then Ansible
	# compares the stored fullchain.pem, whose first read is one detail)
	d=$(($(audit_count GetUserCertificateDetail) - d0))
	[ "$d" -le 1 ] || fail "$name run again at once: $d details"
	expect_eq "$(($(calls) - n0 - d))" 0 "$name run again at once: calls but the stored chain's read"
	# settled (2 s after the play's last write): the directory shows the stored
	# certificate; a loaded machine may end the play's writes late, so wait for it
	for _ in $(seq 1 100); do # up to 20 s
		ls -a "$C/$name" | grep -qxF privkey.pem || break
		sleep 0.2
	done
	expect_absent "$C/$name" privkey.pem
	cat "$C/$name/fullchain.pem" >/dev/null # the stored chain Ansible compares: one detail, read once
	n0=$(calls)
	play "$pb" "$name" "$name run again after it settled"
	expect_eq "$(($(calls) - n0))" 0 "$name run again after it settled: calls"
	play "$pb" "$name" "$name run a third time"
	expect_eq "$(($(calls) - n0))" 0 "$name run a third time: calls"
	expect_eq "$(cat "$C/$name/fingerprint")" "$(fp_of "$T/live/$name/cert.pem")" "$name: the directory shows the upload"
	expect_eq "$(store_entry "$name" | jq -r .Name)" "$name" "$name: stored under its name"
done
# a different key written again with the same chain inside the staging view is refused, nothing sent
make_live "$T/live/other" other.example
n0=$(calls)
e0=$(errors_count)
mkdir "$C/mix.example"
cp "$T/live/plain.example/fullchain.pem" "$T/live/plain.example/privkey.pem" "$C/mix.example/" # a duplicate: 0 calls
expect_fail "Invalid argument" cp "$T/live/other/privkey.pem" "$C/mix.example/privkey.pem"
expect_eq "$(($(calls) - n0))" 0 "a wrong key with a known chain: calls"
[ "$(errors_count)" -gt "$e0" ] || fail "a wrong key: no record in .cas/errors"
grep -q "PRIVATE KEY" "$T/casfs.log" && fail "a private key in the casfs log"
echo PASS
