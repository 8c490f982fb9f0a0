/* stattab: .cas/stats and the health series of .cas/metrics.prom from one
 * table (see stattab.h). A row names its JSON place (group, key), its
 * Prometheus name (casfs_<metric>, with fixed labels), its type and help,
 * and where the value comes from: a member of the view gathered once per
 * rendering (U64/LONG/I64/DBL at an offset), or a getter. Rows marked
 * EACH_ACTION / EACH_FUSE repeat per API action / FUSE request kind (JSON:
 * <group>.<name>.<key>; Prometheus: one sample per label value). Rows that
 * share a metric name are adjacent (the text format wants a metric's
 * samples together) and differ in their fixed labels. */
#include "stattab.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "accounting.h"
#include "canon.h"
#include "errlog.h"
#include "front.h"
#include "notify.h"
#include "scratch.h"
#include "share.h"
#include "snapshot.h"
#include "statedb.h"

struct view {
	struct casfs *fs;
	struct cas_client_stats cs;
	struct cas_cache_stats ch;
	struct cas_prefetch_progress pp;
	struct cas_accounting_view av;
	struct share_stats sh; /* -o share= (all 0 without) */
	uint64_t reads, writes, errors, retries, throttled, bytes, dry;   /* sums over the actions */
	uint64_t prefetched, kernel_inval, stamps, stamps_stored, state_errors, snapshot_rows;
	uint64_t commits, noop, commit_errors, unknown, rejected, scratch, errors_recorded;
	uint64_t budget_left;
	int64_t offline_since, live_since;
	double ttl_s, last_listing_s;
	int offline, persistent, ro, dry_run, allow_delete;
};

enum ctype { C_FN, C_U64, C_LONG, C_I64, C_DBL, C_INT };
enum rtype { R_COUNTER, R_GAUGE, R_TEXT, R_BOOL };
enum each { EACH_ONE, EACH_ACTION, EACH_FUSE };

struct row {
	const char *group;   /* .cas/stats object holding it (NULL: top level) */
	const char *key;     /* its JSON key (NULL: metrics only) */
	const char *metric;  /* casfs_<metric> (NULL: .cas/stats only) */
	const char *labels;  /* fixed labels, e.g. class="read" */
	enum rtype type;
	enum each each;
	enum ctype ctype;
	size_t at;           /* offset in struct view (EACH_ACTION: in struct cas_action_stats) */
	double (*num)(const struct view *v, int i);
	const char *(*text)(const struct view *v);
	int (*shown)(const struct view *v, int i); /* NULL: always */
	int null_hidden;     /* JSON: null when not shown */
	const char *help;
};

#define V(type_, member) .ctype = type_, .at = offsetof(struct view, member)
#define A(member) .each = EACH_ACTION, .ctype = C_U64, .at = offsetof(struct cas_action_stats, member)

static double fuse_count(const struct view *v, int i)
{
	return (double)fuse_req_count(v->fs, (enum fuse_req_kind)i);
}
static double total_calls(const struct view *v, int i)
{
	(void)i;
	return (double)(v->reads + v->writes);
}
static double offline_num(const struct view *v, int i)
{
	(void)i;
	return v->offline;
}
static double read_free(const struct view *v, int i)
{
	(void)v, (void)i;
	return CAS_FREE_READS;
}
static double write_free(const struct view *v, int i)
{
	(void)v, (void)i;
	return CAS_FREE_WRITES;
}
static double month_reads(const struct view *v, int i)
{
	(void)i;
	return (double)v->av.calls[STATEDB_READ];
}
static double month_writes(const struct view *v, int i)
{
	(void)i;
	return (double)v->av.calls[STATEDB_WRITE];
}
static int mutating(const struct view *v, int i)
{
	(void)v;
	return cas_actions[i].mutating;
}
static int shared(const struct view *v, int i)
{
	(void)i;
	return v->fs->share != NULL;
}
static int has_budget(const struct view *v, int i)
{
	(void)i;
	return v->av.budget != 0;
}
static int not_persistent(const struct view *v, int i)
{
	(void)i;
	return !v->persistent;
}
static int persistent(const struct view *v, int i)
{
	(void)i;
	return v->persistent;
}
static int was_offline(const struct view *v, int i)
{
	(void)i;
	return v->offline_since != 0;
}
static int went_live(const struct view *v, int i)
{
	(void)i;
	return v->offline_since && v->live_since;
}
static int listed(const struct view *v, int i)
{
	(void)i;
	return v->last_listing_s > 0;
}
static const char *t_month(const struct view *v)
{
	return v->av.month;
}
static const char *t_tz(const struct view *v)
{
	(void)v;
	return "UTC+8";
}
static const char *t_counted(const struct view *v)
{
	return v->av.persisted ? "read_calls/write_calls: this mount; month_*: every mount of the account this billing month"
			       : "calls sent by this mount since it started (no state database)";
}
static const char *t_database(const struct view *v)
{
	return statedb_path(v->fs->state);
}
static const char *t_warning(const struct view *v)
{
	return v->fs->o.no_state ? "in memory only (-o no_state): journal, mtimes, call counts, call_budget and offline "
				   "reset at every restart"
				 : "IN MEMORY ONLY (no usable state directory): journal, mtimes, call counts, "
				   "call_budget and offline reset at every restart; set -o state_dir= or STATE_DIRECTORY";
}
static const char *t_mode(const struct view *v)
{
	return v->offline ? "offline (read-only from the snapshot; retrying)" : "live";
}
static const char *t_front(const struct view *v)
{
	return v->fs->front ? v->fs->front : "none";
}
static const char *t_endpoint(const struct view *v)
{
	return cas_client_endpoint(v->fs->client);
}

static const struct row rows[] = {
	/* per action: what this mount sent and got */
	{ "calls", "sent", "api_requests_total", NULL, R_COUNTER, A(calls), .help = "HTTP requests sent to the API by this mount (retries included), by action" },
	{ "calls", "ok", "api_requests_ok_total", NULL, R_COUNTER, A(ok), .help = "API calls that succeeded, by action" },
	{ "calls", "errors", "api_errors_total", NULL, R_COUNTER, A(errors), .help = "API calls that finally failed, by action" },
	{ "calls", "retries", "api_retries_total", NULL, R_COUNTER, A(retries), .help = "API requests sent again after a failure or throttle, by action" },
	{ "calls", "throttled", "api_throttled_total", NULL, R_COUNTER, A(throttled), .help = "throttle answers received, by action" },
	{ "calls", "bytes_in", "api_response_bytes_total", NULL, R_COUNTER, A(bytes_in), .help = "bytes of API responses received, by action" },
	{ "calls", "dry_run", "api_dry_run_total", NULL, R_COUNTER, A(dry_run), .shown = mutating, .help = "mutations not sent because of -o dry_run, by action" },
	{ "totals", "calls", NULL, NULL, R_COUNTER, .num = total_calls },
	{ "totals", "errors", NULL, NULL, R_COUNTER, V(C_U64, errors) },
	{ "totals", "retries", NULL, NULL, R_COUNTER, V(C_U64, retries) },
	{ "totals", "throttled", NULL, NULL, R_COUNTER, V(C_U64, throttled) },
	{ "totals", "bytes_in", NULL, NULL, R_COUNTER, V(C_U64, bytes) },
	{ "totals", "connections_opened", "connections_opened_total", NULL, R_COUNTER, V(C_LONG, cs.connections), .help = "HTTPS connections opened to the endpoint" },
	{ "totals", "rate_limit_waits", "rate_limit_waits_total", NULL, R_COUNTER, V(C_U64, cs.rate_waits), .help = "requests that waited for the client's own rate limit (-o qps)" },
	{ "totals", "dry_run_mutations", NULL, NULL, R_COUNTER, V(C_U64, dry) },
	/* progress: what runs now */
	{ "progress", "calls_in_flight", "api_requests_in_flight", NULL, R_GAUGE, V(C_LONG, cs.in_flight), .help = "API requests on the wire now" },
	{ "progress", "calls_per_second_10s", "api_requests_per_second", NULL, R_GAUGE, V(C_DBL, cs.rate_10s), .help = "API requests sent per second over the last 10 s" },
	{ "progress", "readahead_queued", NULL, NULL, R_COUNTER, V(C_U64, pp.queued) },
	{ "progress", "readahead_done", NULL, NULL, R_COUNTER, V(C_U64, pp.done) },
	{ "progress", "readahead_pending", NULL, NULL, R_GAUGE, V(C_LONG, pp.pending) },
	{ "progress", "scan_position", NULL, NULL, R_GAUGE, V(C_LONG, pp.scan_pos) },
	{ "progress", "scan_instances", NULL, NULL, R_GAUGE, V(C_LONG, pp.scan_n) },
	{ "progress", "listing_pages_done", NULL, NULL, R_GAUGE, V(C_I64, cs.list_pages_done) },
	{ "progress", "listing_pages_total", NULL, NULL, R_GAUGE, V(C_I64, cs.list_pages_total) },
	{ "progress", "listing_pages_fetched", "listing_pages_fetched_total", NULL, R_COUNTER, V(C_U64, cs.list_pages_fetched), .help = "ListInstances pages of every finished listing" },
	/* the billing month and the free tier */
	{ "free_tier", "month", NULL, NULL, R_TEXT, .text = t_month },
	{ "free_tier", "month_timezone", NULL, NULL, R_TEXT, .text = t_tz },
	{ "free_tier", "counted", NULL, NULL, R_TEXT, .text = t_counted },
	{ "free_tier", "read_calls", NULL, NULL, R_COUNTER, V(C_U64, reads) },
	{ "free_tier", "write_calls", NULL, NULL, R_COUNTER, V(C_U64, writes) },
	{ "free_tier", "month_read_calls", "billing_month_calls", "class=\"read\"", R_GAUGE, .num = month_reads, .help = "calls this billing month (calendar month in UTC+8), every mount of the account (this mount's alone without a state database)" },
	{ "free_tier", "month_write_calls", "billing_month_calls", "class=\"write\"", R_GAUGE, .num = month_writes },
	{ "free_tier", "read_free", "free_tier_calls", "class=\"read\"", R_GAUGE, .num = read_free, .help = "calls a month the free tier includes" },
	{ "free_tier", "write_free", "free_tier_calls", "class=\"write\"", R_GAUGE, .num = write_free },
	{ "free_tier", "budget", "call_budget", NULL, R_GAUGE, V(C_U64, av.budget), .shown = has_budget, .null_hidden = 1, .help = "-o call_budget: calls allowed a month (absent: none)" },
	{ "free_tier", "budget_left", "call_budget_remaining", NULL, R_GAUGE, V(C_U64, budget_left), .shown = has_budget, .help = "calls left of -o call_budget this month" },
	{ "free_tier", "uncounted", "calls_uncounted", NULL, R_GAUGE, V(C_U64, av.uncounted), .help = "calls sent but not (yet) counted in the state database" },
	{ "free_tier", "refused_by_budget", "budget_refusals_total", NULL, R_COUNTER, V(C_U64, av.refused), .help = "calls this mount refused because the budget was used up" },
	/* the state database and the mode */
	{ "state", "database", NULL, NULL, R_TEXT, .text = t_database, .shown = persistent, .null_hidden = 1 },
	{ "state", "warning", NULL, NULL, R_TEXT, .text = t_warning, .shown = not_persistent },
	{ "state", "stamps", NULL, NULL, R_GAUGE, V(C_U64, stamps) },
	{ "state", "stamps_stored", NULL, NULL, R_GAUGE, V(C_U64, stamps_stored) },
	{ "state", "errors", "state_errors_total", NULL, R_COUNTER, V(C_U64, state_errors), .help = "errors of the state database (logged; never fail a read)" },
	{ "state", "snapshot_rows", NULL, NULL, R_GAUGE, V(C_U64, snapshot_rows) },
	{ "state", "offline_since_ms", NULL, NULL, R_GAUGE, V(C_I64, offline_since), .shown = was_offline },
	{ "state", "live_since_ms", NULL, NULL, R_GAUGE, V(C_I64, live_since), .shown = went_live },
	{ NULL, "mode", NULL, NULL, R_TEXT, .text = t_mode },
	{ NULL, "front", NULL, NULL, R_TEXT, .text = t_front },
	{ NULL, NULL, "offline", NULL, R_GAUGE, .num = offline_num, .help = "1 while the mount serves the offline snapshot (read-only, retrying), 0 when live" },
	{ NULL, NULL, "state_persistent", NULL, R_GAUGE, V(C_INT, persistent), .help = "1 when the state database is on disk, 0 when in memory only" },
	/* the cache */
	{ "cache", "ttl_seconds", "cache_ttl_seconds", NULL, R_GAUGE, V(C_DBL, ttl_s), .help = "-o ttl: how long cached data is fresh" },
	{ "cache", "hits", "cache_hits_total", NULL, R_COUNTER, V(C_U64, ch.hits), .help = "reads served from a fresh cached copy" },
	{ "cache", "misses", "cache_misses_total", NULL, R_COUNTER, V(C_U64, ch.misses), .help = "reads that needed a fetch" },
	{ "cache", "coalesced", "cache_coalesced_total", NULL, R_COUNTER, V(C_U64, ch.coalesced), .help = "reads that shared another reader's fetch" },
	{ "cache", "negative_hits", NULL, NULL, R_COUNTER, V(C_U64, ch.negative_hits) },
	{ "cache", "stale_served", "cache_stale_served_total", NULL, R_COUNTER, V(C_U64, ch.stale_served), .help = "stale copies served (slow refresh or API error)" },
	{ "cache", "stale_on_error", "cache_stale_on_error_total", NULL, R_COUNTER, V(C_U64, ch.stale_on_error), .help = "stale copies served because the refresh failed" },
	{ "cache", "refreshes", "cache_refreshes_total", NULL, R_COUNTER, V(C_U64, ch.refreshes), .help = "fetches the cache completed" },
	{ "cache", "fetch_errors", "cache_fetch_errors_total", NULL, R_COUNTER, V(C_U64, ch.fetch_errors), .help = "fetches that failed" },
	{ "cache", "invalidations", NULL, NULL, R_COUNTER, V(C_U64, ch.invalidations) },
	{ "cache", "list_entry_updates", NULL, NULL, R_COUNTER, V(C_U64, ch.entry_updates) },
	{ "cache", "entries", "cache_entries", NULL, R_GAUGE, V(C_U64, ch.entries), .help = "values held by the cache" },
	{ "cache", "prefetched", NULL, NULL, R_COUNTER, V(C_U64, prefetched) },
	{ "cache", "kernel_invalidations", NULL, NULL, R_COUNTER, V(C_U64, kernel_inval) },
	/* what the kernel asked of casfs */
	{ "fuse_requests", NULL, "fuse_requests_total", NULL, R_COUNTER, .each = EACH_FUSE, .num = fuse_count, .help = "FUSE requests that reached casfs, by operation" },
	/* listings */
	{ "listings", "assembled", "listings_total", NULL, R_COUNTER, V(C_U64, cs.lists.listings), .help = "whole instance listings assembled" },
	{ "listings", "refetched_after_drift", "listing_refetches_total", NULL, R_COUNTER, V(C_U64, cs.lists.refetches), .help = "listings fetched again because the account changed between pages" },
	{ "listings", "inconsistent", "listing_unions_total", NULL, R_COUNTER, V(C_U64, cs.lists.inconsistent), .help = "listings shown as the union of every entry seen (no consistent snapshot in 3 attempts)" },
	{ "listings", "repeated_entries", NULL, NULL, R_COUNTER, V(C_U64, cs.lists.repeated) },
	{ "listings", "skipped_unsafe_ids", "listing_skipped_ids_total", NULL, R_COUNTER, V(C_U64, cs.lists.skipped), .help = "entries whose id cannot be a file name (skipped)" },
	{ "listings", "probe_page_reused", NULL, NULL, R_COUNTER, V(C_U64, cs.lists.probe_reused) },
	{ "listings", "last_success_s", "last_listing_timestamp_seconds", NULL, R_GAUGE, V(C_DBL, last_listing_s), .shown = listed, .null_hidden = 1, .help = "when the instance list the mount holds was fetched (the service's clock, Unix seconds)" },
	/* writes */
	{ "writes", "committed", "writes_committed_total", NULL, R_COUNTER, V(C_U64, commits), .help = "writes committed to the service" },
	{ "writes", "unchanged_no_call", "writes_unchanged_total", NULL, R_COUNTER, V(C_U64, noop), .help = "writes that changed nothing (no call)" },
	{ "writes", "failed", "writes_failed_total", NULL, R_COUNTER, V(C_U64, commit_errors), .help = "writes whose commit failed" },
	{ "writes", "outcome_unknown", "writes_outcome_unknown_total", NULL, R_COUNTER, V(C_U64, unknown), .help = "mutations that may or may not have been applied (EIO)" },
	{ "writes", "rejected_before_sending", "writes_rejected_total", NULL, R_COUNTER, V(C_U64, rejected), .help = "writes refused before any call (EINVAL)" },
	{ "writes", "scratch_files", NULL, NULL, R_GAUGE, V(C_U64, scratch) },
	/* -o share=: the fleet (cache/share.h) */
	{ "share", "up", "share_up", NULL, R_BOOL, V(C_INT, sh.up), .shown = shared, .null_hidden = 1, .help = "-o share=: 1 while Redis answers, 0 while this mount works alone" },
	{ "share", "fallbacks", "share_fallbacks_total", NULL, R_COUNTER, V(C_U64, sh.fallbacks), .shown = shared, .null_hidden = 1, .help = "Redis operations not done (down, slow, no time left): local behaviour instead" },
	{ "share", "downs", NULL, NULL, R_COUNTER, V(C_U64, sh.downs), .shown = shared, .null_hidden = 1 },
	{ "share", "rejoins", NULL, NULL, R_COUNTER, V(C_U64, sh.rejoins), .shown = shared, .null_hidden = 1 },
	{ "share", "hits", "share_hits_total", NULL, R_COUNTER, V(C_U64, sh.hits), .shown = shared, .null_hidden = 1, .help = "reads answered by the fleet's copy (no call)" },
	{ "share", "misses", NULL, NULL, R_COUNTER, V(C_U64, sh.misses), .shown = shared, .null_hidden = 1 },
	{ "share", "waits", NULL, NULL, R_COUNTER, V(C_U64, sh.waits), .shown = shared, .null_hidden = 1 },
	{ "share", "stored", NULL, NULL, R_COUNTER, V(C_U64, sh.stored), .shown = shared, .null_hidden = 1 },
	{ "share", "stored_without_secrets", NULL, NULL, R_COUNTER, V(C_U64, sh.stripped), .shown = shared, .null_hidden = 1 },
	{ "share", "too_old", NULL, NULL, R_COUNTER, V(C_U64, sh.too_old), .shown = shared, .null_hidden = 1 },
	{ "share", "wait_timeouts", NULL, NULL, R_COUNTER, V(C_U64, sh.wait_timeouts), .shown = shared, .null_hidden = 1 },
	{ "share", "refused_private_key", NULL, NULL, R_COUNTER, V(C_U64, sh.refused), .shown = shared, .null_hidden = 1 },
	{ "share", "published", NULL, NULL, R_COUNTER, V(C_U64, sh.published), .shown = shared, .null_hidden = 1 },
	{ "share", "pending", "share_pending", NULL, R_GAUGE, V(C_U64, sh.pending), .shown = shared, .null_hidden = 1, .help = "changes of this mount whose publish failed, replayed before any shared answer is taken" },
	{ "share", "received", NULL, NULL, R_COUNTER, V(C_U64, sh.received), .shown = shared, .null_hidden = 1 },
	{ "share", "rate_shared", NULL, NULL, R_COUNTER, V(C_U64, sh.rate_shared), .shown = shared, .null_hidden = 1 },
	{ "share", "rate_local", NULL, NULL, R_COUNTER, V(C_U64, sh.rate_local), .shown = shared, .null_hidden = 1 },
	{ "share", "fleet", "share_fleet_mounts", NULL, R_GAUGE, V(C_U64, sh.fleet), .shown = shared, .null_hidden = 1, .help = "mounts of the account seen in the last 15 s" },
	{ "share", "month_calls", "share_month_calls", NULL, R_GAUGE, V(C_U64, sh.month_calls), .shown = shared, .null_hidden = 1, .help = "the fleet's calls this billing month, as Redis last counted them" },
	{ NULL, "errors_recorded", "errors_recorded_total", NULL, R_COUNTER, V(C_U64, errors_recorded), .help = "failures recorded in .cas/errors" },
	{ NULL, "endpoint", NULL, NULL, R_TEXT, .text = t_endpoint },
	{ NULL, "read_only", "read_only", NULL, R_BOOL, V(C_INT, ro), .help = "1 when the mount refuses writes (-o ro or offline)" },
	{ NULL, "dry_run", NULL, NULL, R_BOOL, V(C_INT, dry_run) },
	{ NULL, "allow_delete", NULL, NULL, R_BOOL, V(C_INT, allow_delete) },
};

static void gather(struct casfs *fs, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->fs = fs;
	cas_client_stats(fs->client, &v->cs);
	cas_cache_stats(fs->cache, &v->ch);
	cas_prefetch_progress(fs->prefetch, &v->pp);
	cas_accounting_view(fs->acct, &v->av);
	share_stats(fs->share, &v->sh);
	for (int a = 0; a < CAS_NACTIONS; a++) {
		const struct cas_action_stats *s = &v->cs.a[a];
		*(cas_actions[a].mutating ? &v->writes : &v->reads) += s->calls;
		v->errors += s->errors;
		v->retries += s->retries;
		v->throttled += s->throttled;
		v->bytes += s->bytes_in;
		v->dry += s->dry_run;
	}
	uint64_t used = v->av.calls[STATEDB_READ] + v->av.calls[STATEDB_WRITE];
	v->budget_left = used >= v->av.budget ? 0 : v->av.budget - used;
	v->prefetched = cas_prefetch_issued(fs->prefetch) + cas_prefetch_issued(fs->prefetch_cert);
	v->kernel_inval = notify_sent(fs->notify);
	v->persistent = statedb_persistent(fs->state);
	v->stamps = cas_stamps_count(fs->stamps);
	v->stamps_stored = statedb_stamps_count(fs->state);
	v->state_errors = statedb_errors(fs->state);
	v->snapshot_rows = statedb_snapshot_count(fs->state);
	cas_snapshot_times(fs->snapshot, &v->offline_since, &v->live_since);
	v->offline = cas_snapshot_offline(fs->snapshot);
	v->ttl_s = (double)cas_cache_ttl_ms(fs->cache) / 1000;
	struct cas_instances *l = cas_cache_peek(fs->cache, CAS_CK_INSTANCES, "");
	v->last_listing_s = l ? (double)l->as_of_ms / 1000 : 0;
	cas_obj_unref(l);
	v->commits = atomic_load(&fs->st.commits);
	v->noop = atomic_load(&fs->st.noop_commits);
	v->commit_errors = atomic_load(&fs->st.commit_errors);
	v->unknown = atomic_load(&fs->st.outcome_unknown);
	v->rejected = atomic_load(&fs->st.validation_errors);
	v->scratch = scratch_count(fs->scratch);
	v->errors_recorded = errlog_total(fs->errors);
	v->ro = fs->o.ro || v->offline;
	v->dry_run = fs->o.dry_run;
	v->allow_delete = fs->o.allow_delete;
}

static double value(const struct row *r, const struct view *v, int i)
{
	const char *base = r->each == EACH_ACTION ? (const char *)&v->cs.a[i] : (const char *)v;
	switch (r->ctype) {
	case C_FN: return r->num ? r->num(v, i) : 0;
	case C_U64: return (double)*(const uint64_t *)(base + r->at);
	case C_LONG: return (double)*(const long *)(base + r->at);
	case C_I64: return (double)*(const int64_t *)(base + r->at);
	case C_DBL: return *(const double *)(base + r->at);
	case C_INT: return *(const int *)(base + r->at);
	}
	return 0;
}

static int count_of(const struct row *r)
{
	return r->each == EACH_ACTION ? CAS_NACTIONS : r->each == EACH_FUSE ? FREQ_N : 1;
}

static const char *name_of(const struct row *r, int i)
{
	return r->each == EACH_ACTION ? cas_actions[i].name : fuse_req_name((enum fuse_req_kind)i);
}

static cJSON *group(cJSON *root, const char *name)
{
	if (!name)
		return root;
	cJSON *g = cJSON_GetObjectItemCaseSensitive(root, name);
	return g ? g : cJSON_AddObjectToObject(root, name);
}

static void json_put(cJSON *o, const char *key, const struct row *r, const struct view *v, int i)
{
	if (r->shown && !r->shown(v, i)) {
		if (r->null_hidden)
			cJSON_AddNullToObject(o, key);
		return;
	}
	switch (r->type) {
	case R_TEXT: cJSON_AddStringToObject(o, key, r->text(v)); break;
	case R_BOOL: cJSON_AddBoolToObject(o, key, value(r, v, i) != 0); break;
	default: cJSON_AddNumberToObject(o, key, value(r, v, i)); break;
	}
}

void stattab_json(struct casfs *fs, cJSON *root)
{
	struct view v;
	gather(fs, &v);
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		const struct row *r = &rows[k];
		if (r->each == EACH_ACTION) {
			if (!r->key)
				continue;
			for (int i = 0; i < CAS_NACTIONS; i++)
				json_put(group(group(root, r->group), cas_actions[i].name), r->key, r, &v, i);
		} else if (r->each == EACH_FUSE) {
			for (int i = 0; i < FREQ_N; i++)
				json_put(group(root, r->group), name_of(r, i), r, &v, i);
		} else if (r->key) {
			json_put(group(root, r->group), r->key, r, &v, 0);
		}
	}
}

void prom_label(struct cas_buf *b, const char *s)
{
	int clean = cas_utf8_clean(s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\' || *p == '"')
			cas_buf_addc(b, '\\'), cas_buf_addc(b, (char)*p);
		else if (*p == '\n')
			cas_buf_adds(b, "\\n");
		else
			cas_buf_addc(b, !clean && *p >= 0x80 ? '?' : (char)*p);
	}
}

void prom_header(struct cas_buf *b, const char *name, const char *help, const char *type)
{
	cas_buf_addf(b, "# HELP casfs_%s %s\n# TYPE casfs_%s %s\n", name, help, name, type);
}

void stattab_prom(struct casfs *fs, struct cas_buf *b)
{
	struct view v;
	gather(fs, &v);
	const char *prev = NULL;
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		const struct row *r = &rows[k];
		if (!r->metric || r->type == R_TEXT)
			continue;
		if (!prev || strcmp(prev, r->metric) != 0)
			prom_header(b, r->metric, r->help ? r->help : r->key,
				    r->type == R_COUNTER ? "counter" : "gauge");
		prev = r->metric;
		for (int i = 0; i < count_of(r); i++) {
			if (r->shown && !r->shown(&v, i))
				continue;
			cas_buf_addf(b, "casfs_%s", r->metric);
			if (r->each != EACH_ONE)
				cas_buf_addf(b, "{%s=\"%s\"}", r->each == EACH_ACTION ? "action" : "op", name_of(r, i));
			else if (r->labels)
				cas_buf_addf(b, "{%s}", r->labels);
			cas_buf_addf(b, " %.15g\n", value(r, &v, i));
		}
	}
}
