/* params: the flat key/value query of an RPC call, the SDK's flattening
 * rules for lists and objects (ContactIdList.1, Tags.1.TagKey; see
 * docs/PROTOCOL.md §1) and RFC 3986 percent-encoding. */
#ifndef CAS_PARAMS_H
#define CAS_PARAMS_H

#include <stddef.h>
#include <stdint.h>

struct cas_buf;

/* Every byte except A-Z a-z 0-9 - _ . ~ becomes %XX (uppercase hex), as both
 * SDK signers encode values. */
void cas_pct_encode(struct cas_buf *out, const char *s, size_t n);
/* Decodes %XX (and '+' as space when plus_is_space); NULL on a bad escape. */
char *cas_pct_decode(const char *s, size_t n, int plus_is_space);

struct cas_param {
	char *key;
	char *val;
};

struct cas_params {
	struct cas_param *v;
	size_t n;
	size_t cap;
};

struct cas_tag {
	char *key;
	char *value;
};

/* One line of a tags file, "key=value" (without its newline; trailing CRs
 * are dropped), into t (malloc'd strings; free both). 0, or -1 when the line
 * is not key=value with a non-empty key (t untouched). */
int cas_tag_from_line(const char *line, size_t n, struct cas_tag *t);

#define CAS_PARAMS_INIT { NULL, 0, 0 }

void cas_params_free(struct cas_params *p);
void cas_params_copy(struct cas_params *dst, const struct cas_params *src);
void cas_params_set(struct cas_params *p, const char *key, const char *val);
void cas_params_set_i64(struct cas_params *p, const char *key, int64_t v);
void cas_params_set_i64_list(struct cas_params *p, const char *base, const int64_t *vals, size_t n);
/* Base.N.TagKey / Base.N.TagValue */
void cas_params_set_tags(struct cas_params *p, const char *base, const struct cas_tag *tags, size_t n);
const char *cas_params_get(const struct cas_params *p, const char *key);
int cas_params_remove(struct cas_params *p, const char *key);
/* Sorts by key in byte order (the canonical order of both signers). */
void cas_params_sort(struct cas_params *p);
/* "k=v&k=v" with values percent-encoded per RFC 3986 (keys too when encode_keys). */
char *cas_params_encode(const struct cas_params *p, int encode_keys);
/* Parses a received query string; '+' decodes to a space as in form encoding.
 * Returns 0, or -1 on a malformed percent escape. */
int cas_params_parse(struct cas_params *p, const char *query);

#endif
