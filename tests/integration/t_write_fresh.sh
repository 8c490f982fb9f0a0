#!/usr/bin/env bash
# The state a write is compared with is at most ttl old (SEMANTICS "The
# current state"), also when the cache holds only a stale copy: City changes
# behind the mount, one refresh fails (the cache then serves the stale copy
# for a while), and writing the old City value back must be compared with
# the service's value, fetched fresh: exactly one UpdateInstance, and the
# service ends with the value written. (Before: compared with the stale copy,
# "no change", 0 calls, the service kept the other value.)
source "$(dirname "$0")/lib.sh"
start_emulator --instances 20 --seed 71
mount_casfs ttl=2

id=$(first_instance '.Status == "normal" and (.City | type) == "string" and .City != ""')
[ "$id" != null ] || fail "no suitable instance"
d="$MNT/instances/$id"
upd() { audit_count UpdateInstance ".params.InstanceId == \"$id\""; }
stale_on_error() { jq -r .cache.stale_on_error "$MNT/.cas/stats"; }

city=$(jq -r .City "$d/config") # the detail is cached now
emu_post "instances/$id" '{"City": "Changed Behind"}'
sleep 2.3 # past the ttl
# one refresh fails: the read gets the stale copy (the old City) and the
# cache serves that copy for a while before it tries again
S0=$(stale_on_error)
emu_post faults '500=1@GetInstanceDetail#50'
# every read while the refresh fails gets the stale copy; on a loaded machine
# the first may get it for slowness (the refresh's retries outlast the soft
# deadline) before the refresh has failed, so read until one is served for
# the error, and only then let the service answer again
for _ in $(seq 1 20); do
	expect_eq "$(jq -r .City "$d/config")" "$city" "config read while the refresh fails (stale)"
	[ "$(stale_on_error)" -gt "$S0" ] && break
	sleep 0.5
done
[ "$(stale_on_error)" -gt "$S0" ] || fail "the refresh did not fail (cache.stale_on_error did not rise)"
curl -sf -X DELETE "$EMU_URL/_emulator/faults" >/dev/null || fail "clearing the faults"
D0=$(audit_count GetInstanceDetail)

# write the old City: the mount's stale copy equals it, the service does not
bash -c 'echo "{\"City\": \"$2\"}" > "$1"' _ "$d/config" "$city" || fail "writing the old City"
expect_eq "$(upd)" 1 "UpdateInstance calls for a write compared with a fresh copy"
expect_eq "$(applied UpdateInstance)" 1 "applied UpdateInstance"
expect_eq "$(jq -c 'select(.action == "UpdateInstance") | .params' "$AUDIT" | tail -n1)" \
	"{\"InstanceId\":\"$id\",\"City\":\"$city\"}" "params of the UpdateInstance"
expect_eq "$(emu_instance "$id" | jq -r .City)" "$city" "the service's City after the write"
[ "$(audit_count GetInstanceDetail)" -gt "$D0" ] || fail "the commit did not fetch a fresh detail"
expect_eq "$(jq -r .City "$d/config")" "$city" "config reads the written City"

# within the ttl the cached copy is the comparison state: a repeated write costs no call
D1=$(audit_count GetInstanceDetail)
bash -c 'echo "{\"City\": \"$2\"}" > "$1"' _ "$d/config" "$city" || fail "writing the same City again"
expect_eq "$(upd)" 1 "UpdateInstance calls for a repeated write within the ttl"
[ "$(audit_count GetInstanceDetail)" -le $((D1 + 1)) ] || fail "a write within the ttl fetched more than once"
