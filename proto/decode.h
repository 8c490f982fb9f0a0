/* decode: lenient reading of the fields of a CAS response, the one place
 * every response parser (ListInstances, GetInstanceDetail's typed values,
 * GetInstanceSummary, ListCloudAccess, GetCAInstanceStatus, and any new
 * operation) gets a typed value from a cJSON member. The rules follow the
 * official Go SDK's response decoder (docs/PROTOCOL.md, "Lenient decoding"):
 *   - a member that is missing or JSON null is ABSENT, and so is "" where
 *     an integer is expected ("" stays "" where a string is expected);
 *   - an integer is a JSON number with no fraction, or a string of decimal
 *     digits (optional leading '-'), within +-2^53;
 *   - a string is a JSON string; a number or a boolean is rendered as text
 *     ("47305", "true") where a string is expected;
 *   - anything else (an object or array where a scalar is expected, "abc"
 *     where an integer is expected) is BAD: the caller treats the field as
 *     absent and notes it in a cas_dec_tally, which logs one line per
 *     response instead of one per entry.
 * The canonical `detail` text is never coerced: only typed values are. */
#ifndef CAS_DECODE_H
#define CAS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum cas_dec { CAS_DEC_BAD = -1, CAS_DEC_ABSENT = 0, CAS_DEC_OK = 1 };

/* One value (a member or an array element). */
enum cas_dec cas_dec_int_value(const cJSON *v, int64_t *out);
/* Member k of object o; *out is set only for CAS_DEC_OK. */
enum cas_dec cas_dec_int(const cJSON *o, const char *k, int64_t *out);
/* *out is malloc'd text for CAS_DEC_OK, NULL otherwise. */
enum cas_dec cas_dec_str_value(const cJSON *v, char **out);
enum cas_dec cas_dec_str(const cJSON *o, const char *k, char **out);

/* Odd fields met while decoding one response. */
struct cas_dec_tally {
	size_t n;
	char first[160]; /* "<field> of <entry>" of the first one */
};
/* Records a BAD field (no-op for other results) and returns r. */
enum cas_dec cas_dec_note(struct cas_dec_tally *t, enum cas_dec r, const char *field, const char *entry);
/* Logs one warning for the response `what` if anything was noted. */
void cas_dec_report(const struct cas_dec_tally *t, const char *what);

/* EPROTO for a response that is not the documented shape: "what" says how,
 * with the response's RequestId when it has one. */
struct cas_error;
int cas_protocol_error(struct cas_error *e, const char *what, const cJSON *resp);

#endif
