/* jsonc: json-c helpers of the write path: a walk over a document's string
 * values, and wiping (OPENSSL_cleanse) what json-c would free unwiped: the
 * strings of a parsed document and a tokener's string buffer. */
#ifndef CASFS_JSONC_H
#define CASFS_JSONC_H

#include <stddef.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

/* 1 when fn returns non-zero for some string value of o (depth first). */
int jsonc_any_string(json_object *o, int (*fn)(json_object *s));
/* Overwrites every string value of o (before json_object_put). */
void jsonc_wipe(json_object *o);
/* Frees tok after making it overwrite its string buffer; len: at least
 * the longest text it was fed. NULL is fine. */
void jsonc_tokener_free_wiped(json_tokener *tok, size_t len);

#endif
