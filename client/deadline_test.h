/* deadline_test: what only the tests use of deadline.c. casfs never ends an
 * operation: the next cas_op_begin on the thread replaces it. Included by tests only. */
#ifndef CAS_DEADLINE_TEST_H
#define CAS_DEADLINE_TEST_H

#include "deadline.h"

/* Ends the thread's operation (the thread has no operation afterwards). */
void cas_op_end(void);

#endif
