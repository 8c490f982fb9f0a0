/* listing: how the emulator pages its lists, beyond the plain offset paging
 * of act_*.c: a cap on the page size the server really uses (ListInstances
 * and ListCloudAccess), a lying TotalCount (reported for every page, with
 * the first entry served again on every page after the first), and drift:
 * instances deleted from the front of the list order, new ones added at
 * the front (newest first), and existing ones moved from the end of the
 * list order to the front (TotalCount unchanged, every entry between
 * shifted one place later) when a given page is requested. Set by
 * --page-cap and POST /_emulator/listing; the mutex guards the fields. */
#ifndef EMU_LISTING_H
#define EMU_LISTING_H

#include <pthread.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct emu_listing {
	pthread_mutex_t mu;
	long page_cap;      /* 0 = none: entries per page at most */
	long lie_total;     /* 0 = none */
	long total_form;    /* TotalCount as 0 a number, 1 a digit string, 2 absent */
	long drift_page;    /* 0 = no drift: fires on a ListInstances request for this CurrentPage */
	long drift_delete;  /* instances removed from the front of the list order */
	long drift_add;     /* new instances added at the front */
	long drift_move;    /* instances moved from the end of the list order to the front */
	long drift_times;   /* firings left; -1 = every time */
	unsigned long drift_fired;
};

void emu_listing_init(struct emu_listing *l, long page_cap);
void emu_listing_free(struct emu_listing *l);
/* The page size actually used for a request that asked for `asked`. */
int64_t emu_listing_page_size(struct emu_listing *l, int64_t asked);
/* What one drift firing does (emu_state_drift applies it in this order). */
struct emu_drift {
	long del, add, move;
};
/* Is drift due for a ListInstances request of this CurrentPage? Counts the
 * firing and gives what to do. */
int emu_listing_drift_due(struct emu_listing *l, int64_t page, struct emu_drift *d);
/* The TotalCount to report (lie_total or the true one). */
int64_t emu_listing_total(struct emu_listing *l, int64_t real);
/* Adds TotalCount to a ListInstances body in the configured form. */
void emu_listing_add_total(struct emu_listing *l, cJSON *body, int64_t total);
/* /_emulator/listing: body NULL = GET. Returns the HTTP status; *out is JSON. */
int emu_listing_control(struct emu_listing *l, const char *body, size_t len, char **out);

#endif
