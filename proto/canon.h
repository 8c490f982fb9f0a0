/* canon: JSON in and out. Output is canonical JSON byte-identical to
 * `jq -S .` (jq 1.6): keys sorted bytewise, two-space indent, ": ",
 * shortest round-trip numbers with jq's exponent rule, jq's escapes, invalid
 * UTF-8 replaced by U+FFFD, one trailing newline. Input parsing wraps cJSON
 * so that a "\u0000" escape (which cJSON would silently cut the string at)
 * becomes U+FFFD, keeping hostile strings visible to the validators. */
#ifndef CAS_CANON_H
#define CAS_CANON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"

/* Renders v followed by "\n". */
void cas_canon_render(struct cas_buf *out, const cJSON *v);
/* The same on one line, byte-identical to `jq -S -c .`, followed by "\n". */
void cas_canon_render_line(struct cas_buf *out, const cJSON *v);
/* Appends a JSON string literal for the UTF-8 text s (jq escaping). */
void cas_canon_string(struct cas_buf *out, const char *s, size_t n);
/* Parses a complete document (trailing whitespace allowed); NULL if invalid. */
cJSON *cas_json_parse(const char *text, size_t len);
/* True if s (NUL-terminated) is valid UTF-8 without U+FFFD. */
int cas_utf8_clean(const char *s);

#endif
