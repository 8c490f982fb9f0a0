/* progress: periodic progress lines for long work (see progress.h). */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "worker.h"

#define INTERVAL_NS (10 * 1000000000LL)
#define IDLE_NS (2 * 1000000000LL) /* a scan with no hint for this long is over */

/* One kind of long work, as data: how to read its position, and its words. */
struct track {
	const char *what;
	int64_t since;       /* when this run of work started, 0 = idle */
	int64_t last_line;   /* when its last line (or its start) was */
	long last_pos;       /* its position then */
};

struct progress {
	struct casfs *fs;
	struct cas_worker w; /* the thread: a sample a second until stopped */
	struct track t[2];  /* the thread's own */
};

/* 2400 -> "2,400" */
static const char *grouped(long v, char *buf, size_t n)
{
	char raw[32];
	int len = snprintf(raw, sizeof(raw), "%ld", v < 0 ? 0 : v);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = 0;
	return buf;
}

static void step(struct track *t, int active, long pos, long total, int64_t now)
{
	if (!active) {
		t->since = 0;
		return;
	}
	if (!t->since) {
		t->since = t->last_line = now;
		t->last_pos = pos;
		return;
	}
	if (now - t->last_line < INTERVAL_NS)
		return;
	double rate = (double)(pos - t->last_pos) * 1e9 / (double)(now - t->last_line);
	char a[32], b[32], left[48] = "";
	if (rate > 0)
		snprintf(left, sizeof(left), ", ~%.0f s left", (double)(total - pos) / rate);
	cas_info("%s %s/%s, %.0f/s%s", t->what, grouped(pos, a, sizeof(a)), grouped(total, b, sizeof(b)), rate,
		 left);
	t->last_line = now;
	t->last_pos = pos;
}

static void sample(struct progress *p)
{
	int64_t now = cas_now_ns();
	struct cas_prefetch_progress pp;
	cas_prefetch_progress(p->fs->prefetch, &pp);
	int scanning = pp.scan_n > 0 && pp.scan_pos < pp.scan_n &&
		       (pp.pending > 0 || now - pp.last_hint_ns < IDLE_NS);
	step(&p->t[0], scanning, pp.scan_pos, pp.scan_n, now);
	struct cas_client_stats cs;
	cas_client_stats(p->fs->client, &cs);
	step(&p->t[1], cs.list_pages_total > 0, (long)cs.list_pages_done, (long)cs.list_pages_total, now);
}

static void *run(void *arg)
{
	struct progress *p = arg;
	while (!cas_worker_nap(&p->w, 1000))
		sample(p);
	return NULL;
}

struct progress *progress_start(struct casfs *fs)
{
	struct progress *p = cas_xcalloc(1, sizeof(*p));
	p->fs = fs;
	p->t[0].what = "details";
	p->t[1].what = "listing pages";
	cas_worker_init(&p->w);
	if (!cas_worker_start(&p->w, 1, run, p)) {
		cas_worker_destroy(&p->w);
		free(p);
		return NULL;
	}
	return p;
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	cas_worker_destroy(&p->w);
	free(p);
}
