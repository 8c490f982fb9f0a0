/* fuzz_csr: the CSR checks (proto/validate.h: PEM, self-signature, key
 * against KeyAlgorithm) on untrusted text written to csr or config.
 * Property: a CSR accepted for an algorithm reports that algorithm. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pem = strndup((const char *)data, size);
	static const char *const algs[] = { "RSA_2048", "RSA_4096", "ECC_256", "SM2_256" };
	const char *found = cas_csr_key_algorithm(pem);
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct cas_error e;
		cas_error_clear(&e);
		if (cas_validate_csr(pem, algs[i], &e) == 0 && (!found || strcmp(found, algs[i]) != 0))
			abort();
	}
	free(pem);
	return 0;
}
