/* params_test: what only the tests use of params.c (building array
 * parameters as the SDK flattens them, for its signing vectors). Included by tests only. */
#ifndef CAS_PARAMS_TEST_H
#define CAS_PARAMS_TEST_H

#include "params.h"

/* Base.1=..., Base.2=... (1-based, as the SDK flattens arrays). */
void cas_params_set_list(struct cas_params *p, const char *base, const char *const *vals, size_t n);

#endif
