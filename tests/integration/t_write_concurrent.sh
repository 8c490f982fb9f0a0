#!/usr/bin/env bash
# Concurrent writers. Two writers of one config, each changing a different
# field and writing in interleaved chunks, both get their change applied
# (one UpdateInstance each, carrying only its own field and value: buffers
# are per open file, never mixed). Two full-document writers (jq edit, then
# write back) each get success or an error; the final state is one writer's
# document or both changes, never a blend of bytes; no call carries a field
# neither writer changed. Writers of different instances do not interfere.
source "$(dirname "$0")/lib.sh"
start_emulator --instances 30 --seed 37
mount_casfs

mapfile -t ids < <(emu_get state | jq -r '[.instances[] | select(.Status == "normal" or .Status == "inactive")][0:4][].InstanceId')
[ "${#ids[@]}" -eq 4 ] || fail "need four instances"
id=${ids[0]}
d="$MNT/instances/$id"
cat "$d/config" >/dev/null

upd_params() { # all UpdateInstance params of $id, one compact line each
	jq -c --arg id "$1" 'select(.action == "UpdateInstance" and .params.InstanceId == $id) | .params | del(.InstanceId)' "$AUDIT"
}

# ---- partial documents, written in chunks that interleave
for round in 1 2 3 4; do
	n0=$(upd_params "$id" | wc -l)
	# both files are open before either writer finishes; the sleeps only invite
	# interleaving, the assertions hold for any order. One process (cat) writes
	# each file: the sleeps must not hold the descriptor, as every close(2) of
	# it (a flush) commits what the buffer holds (docs/SEMANTICS.md, Writing).
	(
		printf '{"City":'
		sleep 0.2
		printf ' "City %s"' "$round"
		sleep 0.1
		printf '}\n'
	) | cat >"$d/config" &
	pa=$!
	(
		printf '{"Province"'
		sleep 0.1
		printf ': "Province %s"' "$round"
		sleep 0.2
		printf '}\n'
	) | cat >"$d/config" &
	pb=$!
	ra=0 rb=0
	wait "$pa" || ra=$?
	wait "$pb" || rb=$?
	expect_eq "$ra" 0 "round $round: City writer"
	expect_eq "$rb" 0 "round $round: Province writer"
	upd_params "$id" | tail -n +"$((n0 + 1))" | sort >"$T/calls"
	expect_eq "$(cat "$T/calls")" "$(printf '{"City":"City %s"}\n{"Province":"Province %s"}' "$round" "$round")" \
		"round $round: one UpdateInstance per writer with only its own field"
	expect_eq "$(emu_instance "$id" | jq -r '.City + "/" + .Province')" "City $round/Province $round" "round $round: remote"
	expect_eq "$(jq -r '.City + "/" + .Province' "$d/detail")" "City $round/Province $round" "round $round: detail"
done

# ---- bash echo of partial documents, many pairs at once
n0=$(upd_params "$id" | wc -l)
pids=()
for k in 1 2 3 4 5; do
	bash -c 'echo "{\"CertificateName\": \"par-name-$2\"}" > "$1"' _ "$d/config" "$k" &
	pids+=($!)
	bash -c 'echo "{\"City\": \"par-city-$2\"}" > "$1"' _ "$d/config" "$k" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a parallel echo failed"; done
expect_eq "$(upd_params "$id" | tail -n +"$((n0 + 1))" | wc -l)" 10 "UpdateInstance calls of 10 parallel echos"
upd_params "$id" | tail -n +"$((n0 + 1))" | jq -e 'keys | length == 1' >/dev/null ||
	fail "a parallel echo sent more than its own field"
remote=$(emu_instance "$id")
[[ "$(jq -r .CertificateName <<<"$remote")" == par-name-[1-5] ]] || fail "CertificateName is not one writer's value"
[[ "$(jq -r .City <<<"$remote")" == par-city-[1-5] ]] || fail "City is not one writer's value"

# ---- full documents: jq edits one field each, both written back at once
for round in 1 2 3; do
	emu_instance "$id" >"$T/before.json"
	# the full 14-field document, as a tool that read it would write it back
	jq -S '{AutoReissue, CertificateName, City, CompanyId, ContactIdList, CountryCode, Csr, Domain,
		GenerateCsrMethod, KeyAlgorithm, Province, ResourceGroupId, Tags, ValidationMethod}' "$d/detail" >"$T/full.json"
	jq -S '.ValidationMethod = (if .ValidationMethod == "DNS" then "HTTP" else "DNS" end)' "$T/full.json" >"$T/a.json"
	jq -S --arg r "$round" '.Province = "Full \($r)"' "$T/full.json" >"$T/b.json"
	va=$(jq -r .ValidationMethod "$T/a.json")
	vb=$(jq -r .Province "$T/b.json")
	v0=$(jq -r .ValidationMethod "$T/before.json")
	p0=$(jq -r .Province "$T/before.json")
	n0=$(upd_params "$id" | wc -l)
	cat "$T/a.json" >"$d/config" &
	pa=$!
	cat "$T/b.json" >"$d/config" &
	pb=$!
	ra=0 rb=0
	wait "$pa" || ra=$?
	wait "$pb" || rb=$?
	after=$(emu_instance "$id")
	got="$(jq -r .ValidationMethod <<<"$after")/$(jq -r .Province <<<"$after")"
	# every call carries only ValidationMethod and/or Province, with values from the two documents
	upd_params "$id" | tail -n +"$((n0 + 1))" >"$T/calls"
	jq -e --arg va "$va" --arg v0 "$v0" --arg vb "$vb" --arg p0 "$p0" '
		(keys - ["ValidationMethod", "Province"] | length == 0) and
		((.ValidationMethod // $va) as $v | $v == $va or $v == $v0) and
		((.Province // $vb) as $p | $p == $vb or $p == $p0)' "$T/calls" >/dev/null ||
		fail "round $round: a call carries a field or value neither writer wrote: $(cat "$T/calls")"
	case "$ra$rb:$got" in
	00:"$va/$vb" | 00:"$va/$p0" | 00:"$v0/$vb") ;; # both changes, or one writer's document last
	0?:"$va/$p0" | ?0:"$v0/$vb") ;;              # one writer failed: the other's document
	*) fail "round $round: writers rc=$ra,$rb left ValidationMethod/Province = $got (A wrote $va/$p0, B wrote $v0/$vb)" ;;
	esac
	# whatever happened, the files agree with the remote state
	expect_eq "$(jq -r '.ValidationMethod + "/" + .Province' "$d/detail")" "$got" "round $round: detail"
	expect_eq "$(jq -r '.ValidationMethod + "/" + .Province' "$d/config")" "$got" "round $round: config"
	expect_eq "$(jq -r .ValidationMethod "$d/detail")" "$(jq -r .ValidationMethod <<<"$after")" "round $round: detail vs remote"
done

# ---- writers of four instances at once: one call each
n0=$(audit_count UpdateInstance)
pids=()
for i in "${ids[@]}"; do
	bash -c 'echo "{\"City\": \"multi-$2\"}" > "$1"' _ "$MNT/instances/$i/config" "$i" &
	pids+=($!)
	bash -c 'echo "multi-name-$2" > "$1"' _ "$MNT/instances/$i/name" "$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a writer of several instances failed"; done
expect_eq "$(($(audit_count UpdateInstance) - n0))" 8 "UpdateInstance calls of 8 writers on 4 instances"
for i in "${ids[@]}"; do
	expect_eq "$(emu_instance "$i" | jq -r '.City + "/" + .CertificateName')" "multi-$i/multi-name-$i" "remote of $i"
	expect_eq "$(cat "$MNT/instances/$i/name")" "multi-name-$i" "name of $i"
done
# no UpdateInstance was sent twice in a row for the same change (a duplicate send)
dup=$(jq -r 'select(.action == "UpdateInstance" and .applied) | .params | tostring' "$AUDIT" | uniq -d)
[ -z "$dup" ] || fail "an identical UpdateInstance was applied twice in a row: $dup"
echo PASS
