/* deadline: one deadline per file-system operation. The FUSE layer starts an
 * operation on its thread (cas_op_begin); every call the operation makes
 * (the cache's waits, the client's retries, page workers that adopt it)
 * ends by the same instant, however many steps the operation takes. A
 * thread without an operation (background refreshes, read-ahead) has no
 * operation deadline: its calls keep only their own per-call timeout. The
 * operation also says who asked for it, for the journal. */
#ifndef CAS_DEADLINE_H
#define CAS_DEADLINE_H

#include <stdint.h>

struct cas_op {
	int64_t start_ns;     /* CLOCK_MONOTONIC at the operation's start; 0 = no operation */
	int64_t deadline_ns;  /* start + timeout */
	int64_t uid, pid;     /* who asked (the FUSE request's caller); -1 = not known */
};

/* Starts an operation on this thread lasting at most timeout_ms, asked for
 * by process pid of user uid (-1 when not known). */
void cas_op_begin(int64_t timeout_ms, int64_t uid, int64_t pid);
/* Ends the thread's operation (the thread has no operation afterwards):
 * for a background thread between its rounds (fs/watch.c). */
void cas_op_end(void);
/* The current operation ({0, 0} without one), and adopting it on another thread. */
struct cas_op cas_op_current(void);
void cas_op_adopt(const struct cas_op *op);
/* now + ms, cut to the operation's deadline when there is one. */
int64_t cas_op_cap_ns(int64_t now_ns, int64_t ms);

#endif
