/* listing: page-size cap, lying TotalCount and drift (see listing.h). */
#include "listing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "emu.h"

void emu_listing_init(struct emu_listing *l, long page_cap)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	l->page_cap = page_cap;
}

void emu_listing_free(struct emu_listing *l)
{
	pthread_mutex_destroy(&l->mu);
}

int64_t emu_listing_page_size(struct emu_listing *l, int64_t asked)
{
	pthread_mutex_lock(&l->mu);
	int64_t n = l->page_cap > 0 && l->page_cap < asked ? l->page_cap : asked;
	pthread_mutex_unlock(&l->mu);
	return n;
}

int64_t emu_listing_total(struct emu_listing *l, int64_t real)
{
	pthread_mutex_lock(&l->mu);
	int64_t n = l->lie_total > 0 ? l->lie_total : real;
	pthread_mutex_unlock(&l->mu);
	return n;
}

void emu_listing_add_total(struct emu_listing *l, cJSON *body, int64_t total)
{
	pthread_mutex_lock(&l->mu);
	long form = l->total_form;
	pthread_mutex_unlock(&l->mu);
	char digits[32];
	snprintf(digits, sizeof(digits), "%lld", (long long)total);
	if (form == 1)
		cJSON_AddStringToObject(body, "TotalCount", digits);
	else if (form != 2)
		cJSON_AddNumberToObject(body, "TotalCount", (double)total);
}

int emu_listing_drift_due(struct emu_listing *l, int64_t page, struct emu_drift *d)
{
	pthread_mutex_lock(&l->mu);
	int fire = l->drift_page > 0 && l->drift_page == page && l->drift_times != 0;
	*d = (struct emu_drift){ .del = l->drift_delete, .add = l->drift_add, .move = l->drift_move };
	if (fire) {
		if (l->drift_times > 0)
			l->drift_times--;
		l->drift_fired++;
	}
	pthread_mutex_unlock(&l->mu);
	return fire;
}

static int field(const cJSON *o, const char *k, long *out)
{
	int64_t v;
	if (!cJSON_GetObjectItemCaseSensitive(o, k))
		return 0;
	if (emu_json_i64(o, k, &v) || v < -1 || v > 100000000)
		return -1;
	*out = (long)v;
	return 0;
}

int emu_listing_control(struct emu_listing *l, const char *body, size_t len, char **out)
{
	int status = 200;
	pthread_mutex_lock(&l->mu);
	if (body) {
		cJSON *o = cas_json_parse(body, len);
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "drift");
		struct emu_listing n = *l;
		if (d) /* a drift replaces the previous one as a whole; times defaults to 1 */
			n.drift_page = n.drift_delete = n.drift_add = n.drift_move = 0, n.drift_times = 1;
		if (!cJSON_IsObject(o) || field(o, "page_cap", &n.page_cap) || field(o, "lie_total", &n.lie_total) ||
		    field(o, "total_form", &n.total_form) ||
		    (d && (!cJSON_IsObject(d) || field(d, "page", &n.drift_page) || field(d, "delete", &n.drift_delete) ||
			   field(d, "add", &n.drift_add) || field(d, "move", &n.drift_move) ||
			   field(d, "times", &n.drift_times)))) {
			status = 400;
		} else {
			l->page_cap = n.page_cap;
			l->lie_total = n.lie_total;
			l->total_form = n.total_form;
			l->drift_page = n.drift_page;
			l->drift_delete = n.drift_delete;
			l->drift_add = n.drift_add;
			l->drift_move = n.drift_move;
			l->drift_times = n.drift_times;
		}
		cJSON_Delete(o);
	}
	cJSON *r = cJSON_CreateObject();
	if (status != 200)
		cJSON_AddStringToObject(r, "error",
					"expected {\"page_cap\":N,\"lie_total\":N,\"total_form\":0|1|2,\"drift\":{\"page\":N,\"delete\":N,"
					"\"add\":N,\"move\":N,\"times\":N}}");
	cJSON_AddNumberToObject(r, "page_cap", (double)l->page_cap);
	cJSON_AddNumberToObject(r, "lie_total", (double)l->lie_total);
	cJSON_AddNumberToObject(r, "total_form", (double)l->total_form);
	cJSON *dr = cJSON_AddObjectToObject(r, "drift");
	cJSON_AddNumberToObject(dr, "page", (double)l->drift_page);
	cJSON_AddNumberToObject(dr, "delete", (double)l->drift_delete);
	cJSON_AddNumberToObject(dr, "add", (double)l->drift_add);
	cJSON_AddNumberToObject(dr, "move", (double)l->drift_move);
	cJSON_AddNumberToObject(dr, "times", (double)l->drift_times);
	cJSON_AddNumberToObject(dr, "fired", (double)l->drift_fired);
	pthread_mutex_unlock(&l->mu);
	*out = cJSON_PrintUnformatted(r);
	cJSON_Delete(r);
	return status;
}
