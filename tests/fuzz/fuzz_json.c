/* fuzz_json: canonical JSON (proto/canon.h) on untrusted text. Property: a
 * document that parses renders to text that re-parses and re-renders to the
 * same bytes (the canonical form is a fixed point), and the render is valid
 * UTF-8 without raw control characters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *v = cas_json_parse((const char *)data, size);
	if (!v)
		return 0;
	struct cas_buf a = CAS_BUF_INIT, b = CAS_BUF_INIT;
	cas_canon_render(&a, v);
	cJSON_Delete(v);
	cJSON *w = cas_json_parse(a.p, a.len);
	if (!w)
		abort(); /* canonical output must parse */
	cas_canon_render(&b, w);
	cJSON_Delete(w);
	if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort(); /* and be a fixed point */
	for (size_t i = 0; i < a.len; i++)
		if ((unsigned char)a.p[i] < 0x20 && a.p[i] != '\n')
			abort(); /* control characters are escaped */
	if (!cas_utf8_clean(a.p) && !strstr(a.p, "\\ufffd") && !memmem(a.p, a.len, "\xef\xbf\xbd", 3))
		abort(); /* invalid UTF-8 became U+FFFD */
	cas_buf_free(&a);
	cas_buf_free(&b);
	return 0;
}
