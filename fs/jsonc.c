/* jsonc: string walk and wiping over json-c (see jsonc.h). */
#include "jsonc.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/linkhash.h> /* json_object_object_foreach expands to lh_table_head() */
#include <openssl/crypto.h>

#include "buf.h"

int jsonc_any_string(json_object *o, int (*fn)(json_object *s))
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return fn(o) != 0;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (jsonc_any_string(json_object_array_get_idx(o, i), fn))
				return 1;
		return 0;
	case json_type_object: {
		json_object_object_foreach(o, key, val)
		{
			(void)key;
			if (jsonc_any_string(val, fn))
				return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static int wipe_one(json_object *s)
{
	OPENSSL_cleanse((char *)json_object_get_string(s), (size_t)json_object_get_string_len(s));
	return 0;
}

void jsonc_wipe(json_object *o)
{
	jsonc_any_string(o, wipe_one);
}

void jsonc_tokener_free_wiped(json_tokener *tok, size_t len)
{
	if (!tok)
		return;
	/* a string token as long as anything it saw rewrites its buffer from the start */
	size_t n = len + 2;
	char *dummy = cas_xmalloc(n + 1);
	memset(dummy, 'x', n);
	dummy[0] = dummy[n - 1] = '"';
	dummy[n] = '\0';
	json_tokener_reset(tok);
	json_object_put(json_tokener_parse_ex(tok, dummy, (int)n));
	free(dummy);
	json_tokener_free(tok);
}
