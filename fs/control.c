/* control: the hidden .cas directory: stats (calls per action, errors,
 * retries, throttles, cache behaviour, bytes, and calls this month against
 * the free tier), errors (recent failures) and refresh (drop every cache,
 * the kernel's included). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "accounting.h"
#include "buf.h"
#include "canon.h"
#include "errlog.h"
#include "front.h"
#include "kinds.h"
#include "log.h"
#include "memo.h"
#include "notify.h"
#include "scratch.h"
#include "snapshot.h"
#include "statedb.h"
#include "stattab.h"


int render_stats(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)n;
	(void)e;
	cJSON *root = cJSON_CreateObject();
	stattab_json(fs, root); /* one table for .cas/stats and .cas/metrics.prom (stattab.c) */
	struct cas_buf b = CAS_BUF_INIT;
	cas_canon_render(&b, root);
	cJSON_Delete(root);
	*out = snap_new(b.p, b.len);
	cas_buf_free(&b);
	return 0;
}

int render_errors(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)n;
	(void)e;
	struct cas_buf b = CAS_BUF_INIT;
	errlog_render(fs->errors, &b);
	*out = snap_new(b.p ? b.p : "", b.len);
	cas_buf_free(&b);
	return 0;
}

void control_refresh_all(struct casfs *fs, const char *why)
{
	/* take what the tree currently shows, so every path the kernel may hold
	 * can be invalidated after the caches are gone */
	struct cas_instances *l = cas_cache_peek(fs->cache, CAS_CK_INSTANCES, "");
	struct cas_entries *access = cas_cache_peek(fs->cache, CAS_CK_ACCESS, "");
	struct cas_entries *ca = cas_cache_peek(fs->cache, CAS_CK_CA, "");
	struct cas_certs *store = cas_cache_peek(fs->cache, CAS_CK_STORE, "");
	cas_cache_drop_all(fs->cache);
	memo_clear_renders(fs->memo);
	memo_clear_all_written(fs->memo); /* written bytes never outlive a refresh */
	notify_tree(fs->notify, l, access, ca, store);
	/* the write returns once the kernel has forgotten: a read right after
	 * it must not see a size the kernel kept from before (a cut read) */
	if (notify_wait(fs->notify, 2000))
		cas_warn(".cas/refresh: the kernel's invalidations are still being sent");
	cas_obj_unref(l);
	cas_obj_unref(access);
	cas_obj_unref(ca);
	cas_obj_unref(store);
	cas_info("%s", why);
}

int commit_refresh(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e)
{
	(void)n;
	(void)data;
	(void)len;
	(void)e;
	control_refresh_all(fs, ".cas/refresh: every cache dropped, written bytes forgotten");
	return 0;
}
