/* fuzz_query: percent-decoding and query canonicalisation (proto/params.h),
 * which the emulator's verifier runs on untrusted requests.
 * Properties: decode(encode(x)) == x for any bytes; a parsed query encodes
 * to a canonical form that parses and encodes to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct cas_buf enc = CAS_BUF_INIT;
	cas_pct_encode(&enc, s, size);
	char *back = cas_pct_decode(enc.p ? enc.p : "", enc.len, 0);
	if (!back || memcmp(back, s, size) != 0)
		abort();
	free(back);
	cas_buf_free(&enc);
	free(cas_pct_decode(s, size, 1));

	char *q = strndup(s, size);
	struct cas_params p = CAS_PARAMS_INIT, p2 = CAS_PARAMS_INIT;
	if (cas_params_parse(&p, q) == 0) {
		cas_params_sort(&p);
		char *a = cas_params_encode(&p, 1);
		if (cas_params_parse(&p2, a) != 0)
			abort();
		cas_params_sort(&p2);
		char *b = cas_params_encode(&p2, 1);
		if (strcmp(a, b) != 0)
			abort();
		free(a);
		free(b);
	}
	cas_params_free(&p);
	cas_params_free(&p2);
	free(q);
	return 0;
}
