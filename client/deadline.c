/* deadline: the thread's current file-system operation (see deadline.h). */
#include "deadline.h"

#include "clock.h"
#include "deadline.h"

static _Thread_local struct cas_op current;

void cas_op_begin(int64_t timeout_ms, int64_t uid, int64_t pid)
{
	current.uid = uid;
	current.pid = pid;
	current.start_ns = cas_now_ns();
	current.deadline_ns = current.start_ns + timeout_ms * 1000000;
}

void cas_op_end(void)
{
	current.start_ns = current.deadline_ns = 0;
	current.uid = current.pid = -1;
}

struct cas_op cas_op_current(void)
{
	return current;
}

void cas_op_adopt(const struct cas_op *op)
{
	current = *op;
}

int64_t cas_op_cap_ns(int64_t now_ns, int64_t ms)
{
	int64_t t = now_ns + ms * 1000000;
	return current.deadline_ns && current.deadline_ns < t ? current.deadline_ns : t;
}
