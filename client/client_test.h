/* client_test: what only the tests ask of a client. Included by tests only. */
#ifndef CAS_CLIENT_TEST_H
#define CAS_CLIENT_TEST_H

#include "client.h"

/* Whether the client was made with dry_run (it sends nothing). */
int cas_client_dry_run(const struct cas_client *c);

#endif
