/* throttle: --qps N, a token bucket per credential (capacity N, refilled at
 * N tokens per second), as the gateway's per-user flow control. */
#ifndef EMU_THROTTLE_H
#define EMU_THROTTLE_H

#include <stddef.h>

struct emu_throttle;

/* qps <= 0 disables throttling (every take succeeds). */
struct emu_throttle *emu_throttle_new(long qps, size_t ncreds);
void emu_throttle_free(struct emu_throttle *t);
/* 0 when the request may proceed; otherwise the milliseconds until the
 * credential's bucket holds a token again (at least 1). */
long emu_throttle_take(struct emu_throttle *t, int cred);

#endif
