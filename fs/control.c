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
#include "fuse_ops.h"
#include "kinds.h"
#include "log.h"
#include "memo.h"
#include "notify.h"
#include "scratch.h"
#include "snapshot.h"
#include "statedb.h"


int render_stats(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)n;
	(void)e;
	struct cas_client_stats cs;
	struct cas_cache_stats ch;
	cas_client_stats(fs->client, &cs);
	cas_cache_stats(fs->cache, &ch);
	cJSON *root = cJSON_CreateObject();
	cJSON *calls = cJSON_AddObjectToObject(root, "calls");
	uint64_t reads = 0, writes = 0, tot_err = 0, tot_retry = 0, tot_thr = 0, bytes = 0, dry = 0;
	for (int a = 0; a < CAS_NACTIONS; a++) {
		const struct cas_action_stats *s = &cs.a[a];
		cJSON *o = cJSON_AddObjectToObject(calls, cas_actions[a].name);
		cJSON_AddNumberToObject(o, "sent", (double)s->calls);
		cJSON_AddNumberToObject(o, "ok", (double)s->ok);
		cJSON_AddNumberToObject(o, "errors", (double)s->errors);
		cJSON_AddNumberToObject(o, "retries", (double)s->retries);
		cJSON_AddNumberToObject(o, "throttled", (double)s->throttled);
		cJSON_AddNumberToObject(o, "bytes_in", (double)s->bytes_in);
		if (cas_actions[a].mutating)
			cJSON_AddNumberToObject(o, "dry_run", (double)s->dry_run);
		*(cas_actions[a].mutating ? &writes : &reads) += s->calls;
		tot_err += s->errors;
		tot_retry += s->retries;
		tot_thr += s->throttled;
		bytes += s->bytes_in;
		dry += s->dry_run;
	}
	cJSON *tot = cJSON_AddObjectToObject(root, "totals");
	cJSON_AddNumberToObject(tot, "calls", (double)(reads + writes));
	cJSON_AddNumberToObject(tot, "errors", (double)tot_err);
	cJSON_AddNumberToObject(tot, "retries", (double)tot_retry);
	cJSON_AddNumberToObject(tot, "throttled", (double)tot_thr);
	cJSON_AddNumberToObject(tot, "bytes_in", (double)bytes);
	cJSON_AddNumberToObject(tot, "connections_opened", (double)cs.connections);
	cJSON_AddNumberToObject(tot, "rate_limit_waits", (double)cs.rate_waits);
	cJSON_AddNumberToObject(tot, "dry_run_mutations", (double)dry);

	/* progress (issue 13): what is running now */
	struct cas_prefetch_progress pp;
	cas_prefetch_progress(fs->prefetch, &pp);
	cJSON *pr = cJSON_AddObjectToObject(root, "progress");
	cJSON_AddNumberToObject(pr, "calls_in_flight", (double)cs.in_flight);
	cJSON_AddNumberToObject(pr, "calls_per_second_10s", cs.rate_10s);
	cJSON_AddNumberToObject(pr, "readahead_queued", (double)pp.queued);
	cJSON_AddNumberToObject(pr, "readahead_done", (double)pp.done);
	cJSON_AddNumberToObject(pr, "readahead_pending", (double)pp.pending);
	cJSON_AddNumberToObject(pr, "scan_position", (double)pp.scan_pos);
	cJSON_AddNumberToObject(pr, "scan_instances", (double)pp.scan_n);
	cJSON_AddNumberToObject(pr, "listing_pages_done", (double)cs.list_pages_done);
	cJSON_AddNumberToObject(pr, "listing_pages_total", (double)cs.list_pages_total);
	cJSON_AddNumberToObject(pr, "listing_pages_fetched", (double)cs.list_pages_fetched);

	struct cas_accounting_view av;
	cas_accounting_view(fs->acct, &av);
	cJSON *ft = cJSON_AddObjectToObject(root, "free_tier");
	cJSON_AddStringToObject(ft, "month", av.month);
	cJSON_AddStringToObject(ft, "month_timezone", "UTC+8");
	cJSON_AddStringToObject(ft, "counted", av.persisted ? "read_calls/write_calls: this mount; month_*: every mount of the account this billing month"
							    : "calls sent by this mount since it started (no state database)");
	cJSON_AddNumberToObject(ft, "read_calls", (double)reads);
	cJSON_AddNumberToObject(ft, "write_calls", (double)writes);
	cJSON_AddNumberToObject(ft, "month_read_calls", (double)av.calls[STATEDB_READ]);
	cJSON_AddNumberToObject(ft, "month_write_calls", (double)av.calls[STATEDB_WRITE]);
	cJSON_AddNumberToObject(ft, "read_free", CAS_FREE_READS);
	cJSON_AddNumberToObject(ft, "write_free", CAS_FREE_WRITES);
	if (av.budget) {
		uint64_t used = av.calls[STATEDB_READ] + av.calls[STATEDB_WRITE];
		cJSON_AddNumberToObject(ft, "budget", (double)av.budget);
		cJSON_AddNumberToObject(ft, "budget_left", (double)(used >= av.budget ? 0 : av.budget - used));
	} else {
		cJSON_AddNullToObject(ft, "budget");
	}
	cJSON_AddNumberToObject(ft, "refused_by_budget", (double)av.refused);
	cJSON_AddNumberToObject(ft, "uncounted", (double)av.uncounted); /* sent, not (yet) in the database */

	cJSON *sd = cJSON_AddObjectToObject(root, "state");
	if (statedb_persistent(fs->state))
		cJSON_AddStringToObject(sd, "database", statedb_path(fs->state));
	else
		cJSON_AddNullToObject(sd, "database");
	if (!statedb_persistent(fs->state)) /* loud, where monitoring and a curious admin look */
		cJSON_AddStringToObject(sd, "warning", fs->o.no_state ? "in memory only (-o no_state): journal, "
					"mtimes, call counts, call_budget and offline reset at every restart"
					: "IN MEMORY ONLY (no usable state directory): journal, mtimes, call counts, "
					"call_budget and offline reset at every restart; set -o state_dir= or "
					"STATE_DIRECTORY");
	cJSON_AddNumberToObject(sd, "stamps", (double)cas_stamps_count(fs->stamps));
	cJSON_AddNumberToObject(sd, "stamps_stored", (double)statedb_stamps_count(fs->state));
	cJSON_AddNumberToObject(sd, "errors", (double)statedb_errors(fs->state));
	cJSON_AddNumberToObject(sd, "snapshot_rows", (double)statedb_snapshot_count(fs->state));
	int64_t since, live;
	cas_snapshot_times(fs->snapshot, &since, &live);
	int off = cas_snapshot_offline(fs->snapshot);
	cJSON_AddStringToObject(root, "mode", off ? "offline (read-only from the snapshot; retrying)" : "live");
	if (since) {
		cJSON_AddNumberToObject(sd, "offline_since_ms", (double)since);
		if (live)
			cJSON_AddNumberToObject(sd, "live_since_ms", (double)live);
	}

	cJSON *c = cJSON_AddObjectToObject(root, "cache");
	cJSON_AddNumberToObject(c, "ttl_seconds", (double)cas_cache_ttl_ms(fs->cache) / 1000);
	cJSON_AddNumberToObject(c, "hits", (double)ch.hits);
	cJSON_AddNumberToObject(c, "misses", (double)ch.misses);
	cJSON_AddNumberToObject(c, "coalesced", (double)ch.coalesced);
	cJSON_AddNumberToObject(c, "negative_hits", (double)ch.negative_hits);
	cJSON_AddNumberToObject(c, "stale_served", (double)ch.stale_served);
	cJSON_AddNumberToObject(c, "stale_on_error", (double)ch.stale_on_error);
	cJSON_AddNumberToObject(c, "refreshes", (double)ch.refreshes);
	cJSON_AddNumberToObject(c, "fetch_errors", (double)ch.fetch_errors);
	cJSON_AddNumberToObject(c, "invalidations", (double)ch.invalidations);
	cJSON_AddNumberToObject(c, "list_entry_updates", (double)ch.entry_updates);
	cJSON_AddNumberToObject(c, "entries", (double)ch.entries);
	cJSON_AddNumberToObject(c, "prefetched", /* details and certificates */
				(double)(cas_prefetch_issued(fs->prefetch) + cas_prefetch_issued(fs->prefetch_cert)));
	cJSON_AddNumberToObject(c, "kernel_invalidations", (double)notify_sent(fs->notify));

	/* what the kernel asked of casfs (whatever it answered itself never shows here) */
	cJSON *fr = cJSON_AddObjectToObject(root, "fuse_requests");
	for (int k = 0; k < FREQ_N; k++)
		cJSON_AddNumberToObject(fr, fuse_req_name((enum fuse_req_kind)k), (double)fuse_req_count(fs, (enum fuse_req_kind)k));

	cJSON *ls = cJSON_AddObjectToObject(root, "listings");
	cJSON_AddNumberToObject(ls, "assembled", (double)cs.lists.listings);
	cJSON_AddNumberToObject(ls, "refetched_after_drift", (double)cs.lists.refetches);
	cJSON_AddNumberToObject(ls, "inconsistent", (double)cs.lists.inconsistent);
	cJSON_AddNumberToObject(ls, "repeated_entries", (double)cs.lists.repeated);
	cJSON_AddNumberToObject(ls, "skipped_unsafe_ids", (double)cs.lists.skipped);
	cJSON_AddNumberToObject(ls, "probe_page_reused", (double)cs.lists.probe_reused);

	cJSON *w = cJSON_AddObjectToObject(root, "writes");
	cJSON_AddNumberToObject(w, "committed", (double)atomic_load(&fs->st.commits));
	cJSON_AddNumberToObject(w, "unchanged_no_call", (double)atomic_load(&fs->st.noop_commits));
	cJSON_AddNumberToObject(w, "failed", (double)atomic_load(&fs->st.commit_errors));
	cJSON_AddNumberToObject(w, "outcome_unknown", (double)atomic_load(&fs->st.outcome_unknown));
	cJSON_AddNumberToObject(w, "rejected_before_sending", (double)atomic_load(&fs->st.validation_errors));
	cJSON_AddNumberToObject(w, "scratch_files", (double)scratch_count(fs->scratch));
	cJSON_AddNumberToObject(root, "errors_recorded", (double)errlog_total(fs->errors));
	cJSON_AddStringToObject(root, "endpoint", cas_client_endpoint(fs->client));
	cJSON_AddBoolToObject(root, "read_only", fs->o.ro || off);
	cJSON_AddBoolToObject(root, "dry_run", fs->o.dry_run);
	cJSON_AddBoolToObject(root, "allow_delete", fs->o.allow_delete);

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
	cas_cache_drop_all(fs->cache);
	memo_clear_renders(fs->memo);
	memo_clear_all_written(fs->memo); /* written bytes never outlive a refresh */
	notify_tree(fs->notify, l, access, ca);
	/* the write returns once the kernel has forgotten: a read right after
	 * it must not see a size the kernel kept from before (a cut read) */
	if (notify_wait(fs->notify, 2000))
		cas_warn(".cas/refresh: the kernel's invalidations are still being sent");
	cas_obj_unref(l);
	cas_obj_unref(access);
	cas_obj_unref(ca);
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
