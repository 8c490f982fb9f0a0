/* faults: injected failures. SPEC is a comma-separated list of
 * KIND[:MS]=RATE[@Action][#COUNT] with KIND one of 500, 503, 429, throttle
 * (answered before the action runs; nothing is applied; 429 and throttle
 * carry x-acs-retry-after MS), reset, stall, malformed (after the action
 * ran: the answer is lost; stall holds it MS), slow (the request is held MS,
 * then the action runs and is answered: a service that applies late, which
 * still applies when the client has given up), badtotal (ListInstances /
 * ListCloudAccess answer TotalCount 10^15) and wrongtype (a 200 whose fields
 * have wrong JSON types). RATE is a probability in [0,1]; @Action limits the
 * item to one action; #COUNT caps how often it fires. At most one item fires
 * per request (the first, in SPEC order, whose draw succeeds). Draws come
 * from an RNG seeded with --seed, reseeded whenever the SPEC is replaced. */
#ifndef EMU_FAULTS_H
#define EMU_FAULTS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum emu_fault {
	EMU_FAULT_NONE,
	EMU_FAULT_500,
	EMU_FAULT_503,
	EMU_FAULT_429,
	EMU_FAULT_403,
	EMU_FAULT_RESET,
	EMU_FAULT_STALL,
	EMU_FAULT_MALFORMED,
	EMU_FAULT_BADTOTAL,
	EMU_FAULT_WRONGTYPE,
	EMU_FAULT_THROTTLE,
	EMU_FAULT_SLOW,
};
#define EMU_FAULT_LAST EMU_FAULT_SLOW

struct emu_faults;

struct emu_faults *emu_faults_new(uint64_t seed);
void emu_faults_free(struct emu_faults *f);
/* Replaces the active items (NULL or "" clears). -1 with err set on a bad SPEC
 * (the active items are then unchanged). */
int emu_faults_set(struct emu_faults *f, const char *spec, char *err, size_t errlen);
/* The fault for one request; *ms is the item's :MS, or -1 when it has none. */
enum emu_fault emu_faults_pick(struct emu_faults *f, const char *action, long *ms);
/* "500", "reset", ...; NULL for EMU_FAULT_NONE. */
const char *emu_fault_name(enum emu_fault k);
/* The active items with their fire counts, for GET /_emulator/faults. */
cJSON *emu_faults_json(struct emu_faults *f);
/* badtotal / wrongtype applied to a success body (before RequestId is added). */
void emu_fault_mangle(enum emu_fault k, cJSON *body);

#endif
