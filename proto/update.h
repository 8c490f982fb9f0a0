/* update: the 14 writable UpdateInstance fields as data. Converts a config
 * JSON object to a struct cas_update (rejecting unknown keys and wrong
 * types), renders the config view of a GetInstanceDetail document, computes
 * which fields differ from the current state, and flattens an update into
 * query parameters. */
#ifndef CAS_UPDATE_H
#define CAS_UPDATE_H

#include <cjson/cJSON.h>

#include "cas.h"

#define CAS_UPDATE_NFIELDS 14

/* Field names in canonical (sorted) order. */
extern const char *const cas_update_fields[CAS_UPDATE_NFIELDS];

/* obj must be a JSON object whose keys are update fields; null values are
 * "not given". Fills u (instance_id untouched). 0 or -EINVAL with e. */
int cas_update_from_json(const cJSON *obj, struct cas_update *u, struct cas_error *e);
/* The config object for a detail object: every field, null when absent. */
cJSON *cas_update_config_json(const cJSON *detail);
/* Fields of want that differ from detail go into diff (with instance_id).
 * Tags and ContactIdList compare as sets; Csr ignores trailing whitespace.
 * A changed Csr implies GenerateCsrMethod=upload. Returns the count. */
int cas_update_diff(const struct cas_update *want, const cJSON *detail, struct cas_update *diff);
/* The fields set in u as {"Field": {"old": <value in detail or null>, "new": <value>}}
 * (the journal's record of a change). */
cJSON *cas_update_changes_json(const struct cas_update *u, const cJSON *detail);
void cas_update_to_params(const struct cas_update *u, struct cas_params *p);
/* The inverse for the string fields: each one present in p (by wire name)
 * replaces u's copy. Lists and integers are the caller's (their wire forms
 * need per-field checks). */
void cas_update_strings_from_params(const struct cas_params *p, struct cas_update *u);
/* Sets the string field named `field` (its wire name, e.g. "Domain") to a
 * copy of v. 0, or -EINVAL when no string field has that name. */
int cas_update_set_str(struct cas_update *u, const char *field, const char *v);
/* Frees every string and list of u and zeroes it (u itself is the caller's). */
void cas_update_free(struct cas_update *u);

#endif
