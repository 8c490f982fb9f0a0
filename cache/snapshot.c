/* snapshot: the offline snapshot decorator (see snapshot.h). */
#include "snapshot.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "cache.h" /* enum cas_ck: the snapshot's row kinds */
#include "clock.h"
#include "decode.h"
#include "log.h"
#include "ops.h"
#include "worker.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 60000
#define CHANGED_MAX 16

struct cas_snapshot {
	struct cas_api api; /* the decorator's face (container_of goes back) */
	struct cas_api *live;
	struct statedb *db;
	int store;          /* the database is a file: only that outlives the mount */
	atomic_int offline;
	atomic_llong since_ms, live_ms;
	cas_probe_fn probe;
	void *probe_ctx;
	void (*on_live)(void *ctx);
	void *live_ctx;
	struct cas_worker retry; /* the background retry thread, while offline */
	pthread_mutex_t mu; /* guards changed[] (a leaf) */
	/* instances changed by a mutation that succeeded here, whose stored list
	 * entry is rewritten from the next detail fetched for them (the cache
	 * fetches it at once, cache.c instance_updated): the listing stored
	 * offline then shows the change, as the cached one does live */
	char *changed[CHANGED_MAX];
};

/* A document with a secret in it is never written to disk. */
static int holds_secret(const char *text, size_t len)
{
	static const char *const marks[] = { "\"SecretKey\"", "\"AccessKeySecret\"", "PRIVATE KEY-----" };
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (memmem(text, len, marks[i], strlen(marks[i])))
			return 1;
	return 0;
}

static void put_text(struct cas_snapshot *s, enum cas_ck kind, const char *key, const char *text, size_t len)
{
	if (holds_secret(text, len)) {
		cas_warn("offline snapshot: a %s document holds a secret; not stored", key[0] ? key : "listing");
		return;
	}
	statedb_snapshot_put(s->db, kind, key, text, len);
}

static void put_json(struct cas_snapshot *s, enum cas_ck kind, const char *key, cJSON *j)
{
	char *t = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (t)
		put_text(s, kind, key, t, strlen(t));
	free(t);
}

static cJSON *get_json(struct cas_snapshot *s, enum cas_ck kind, const char *key)
{
	size_t len;
	char *t = statedb_snapshot_get(s->db, kind, key, &len, NULL);
	cJSON *j = t ? cJSON_ParseWithLength(t, len) : NULL;
	free(t);
	return j;
}

static int not_in_snapshot(struct cas_error *e, const char *what)
{
	return cas_error_set(e, EIO, "Local.Offline", "the service is unreachable and %s is not in the offline snapshot",
			     what);
}

static int offline_refusal(struct cas_error *e)
{
	return cas_error_set(e, EROFS, "Local.Offline",
			     "mounted offline from the snapshot (the service did not answer): read-only until it does");
}

/* --- serialisation: instances ------------------------------------------------ */

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
}

/* A listing is stored as the entries the service sent (each one's canonical
 * line), and read back through the client's own entry parser, so a
 * restored list has every field a live one has. */
static cJSON *instances_json(const struct cas_instances *l)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "v");
	cJSON_AddNumberToObject(o, "total", (double)l->total_count);
	cJSON_AddNumberToObject(o, "skipped", (double)l->skipped);
	cJSON_AddNumberToObject(o, "as_of_ms", (double)l->as_of_ms);
	for (size_t i = 0; i < l->n; i++) {
		cJSON *x = l->v[i].json ? cJSON_ParseWithLength(l->v[i].json, l->v[i].json_len) : NULL;
		if (x)
			cJSON_AddItemToArray(a, x);
	}
	return o;
}

static char *dup_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? cas_xstrdup(v->valuestring) : NULL;
}

static int64_t get_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static struct cas_instances *instances_from_json(const cJSON *o)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "v");
	if (!cJSON_IsArray(a))
		return NULL;
	struct cas_instances *l = cas_instances_new();
	size_t n = (size_t)cJSON_GetArraySize(a);
	l->v = cas_xcalloc(n ? n : 1, sizeof(*l->v));
	l->total_count = get_num(o, "total");
	l->skipped = (size_t)get_num(o, "skipped");
	l->as_of_ms = get_num(o, "as_of_ms");
	struct cas_dec_tally t = { 0 };
	const cJSON *x;
	cJSON_ArrayForEach(x, a)
	{
		if (cas_instance_parse(x, &l->v[l->n], &t))
			l->n++;
	}
	cas_dec_report(&t, "the offline snapshot's listing");
	cas_instances_sort_unique(l);
	return l;
}

/* --- serialisation: keyed entries -------------------------------------------- */

static cJSON *entries_json(const struct cas_entries *l)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < l->n; i++) {
		cJSON *x = cJSON_CreateObject();
		add_str(x, "key", l->v[i].key);
		add_str(x, "cloud_name", l->v[i].cloud_name);
		add_str(x, "secret_id", l->v[i].secret_id);
		if (l->v[i].doc)
			cJSON_AddItemToObject(x, "doc", cJSON_CreateString(l->v[i].doc->text));
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

static struct cas_entries *entries_from_json(const cJSON *a)
{
	if (!cJSON_IsArray(a))
		return NULL;
	struct cas_entries *l = cas_entries_new();
	size_t n = (size_t)cJSON_GetArraySize(a);
	l->v = cas_xcalloc(n ? n : 1, sizeof(*l->v));
	const cJSON *x;
	cJSON_ArrayForEach(x, a)
	{
		char *key = dup_str(x, "key");
		const cJSON *doc = cJSON_GetObjectItemCaseSensitive(x, "doc");
		if (!key || !cas_safe_name(key) || !cJSON_IsString(doc)) {
			free(key);
			continue;
		}
		struct cas_entry *en = &l->v[l->n++];
		en->key = key;
		en->cloud_name = dup_str(x, "cloud_name");
		en->secret_id = dup_str(x, "secret_id");
		en->doc = cas_doc_new(doc->valuestring, strlen(doc->valuestring));
	}
	cas_entries_sort_unique(l);
	return l;
}

/* --- the decorator ----------------------------------------------------------- */

/* A complete listing: the stored details of instances it no longer has
 * (deleted ones) are dropped, so the database does not grow forever. */
static void prune_details(struct cas_snapshot *s, const struct cas_instances *l)
{
	if (l->skipped)
		return; /* entries casfs does not show: keep what is stored */
	const char **ids = cas_xcalloc(l->n + 1, sizeof(*ids));
	for (size_t i = 0; i < l->n; i++)
		ids[i] = l->v[i].id;
	statedb_snapshot_keep(s->db, CAS_CK_DETAIL, ids, l->n);
	free(ids);
}

static int d_list_instances(struct cas_api *a, const struct cas_list_filter *f, struct cas_instances **out,
			    struct cas_error *e)
{
	struct cas_snapshot *s = container_of(a, struct cas_snapshot, api);
	if (!atomic_load(&s->offline)) {
		int rc = s->live->ops->list_instances(s->live, f, out, e);
		if (!rc && !f && s->store) {
			put_json(s, CAS_CK_INSTANCES, "", instances_json(*out));
			prune_details(s, *out);
		}
		return rc;
	}
	cJSON *j = f ? NULL : get_json(s, CAS_CK_INSTANCES, "");
	*out = j ? instances_from_json(j) : NULL;
	cJSON_Delete(j);
	return *out ? 0 : not_in_snapshot(e, "the listing");
}

/* Remembers that instance id changed (a successful mutation). */
static void mark_changed(struct cas_snapshot *s, const char *id)
{
	if (!s->store || !id)
		return;
	pthread_mutex_lock(&s->mu);
	size_t i = 0;
	while (i < CHANGED_MAX && s->changed[i] && strcmp(s->changed[i], id) != 0)
		i++;
	if (i == CHANGED_MAX) { /* full: the oldest goes (its list entry then waits for a listing) */
		free(s->changed[0]);
		memmove(s->changed, s->changed + 1, (CHANGED_MAX - 1) * sizeof(s->changed[0]));
		s->changed[i = CHANGED_MAX - 1] = NULL;
	}
	if (!s->changed[i])
		s->changed[i] = cas_xstrdup(id);
	pthread_mutex_unlock(&s->mu);
}

/* 1 (and forgets it) when id was marked changed. */
static int take_changed(struct cas_snapshot *s, const char *id)
{
	int found = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < CHANGED_MAX && s->changed[i]; i++) {
		if (strcmp(s->changed[i], id) != 0)
			continue;
		free(s->changed[i]);
		memmove(s->changed + i, s->changed + i + 1, (CHANGED_MAX - 1 - i) * sizeof(s->changed[0]));
		s->changed[CHANGED_MAX - 1] = NULL;
		found = 1;
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* The stored listing's entry of the detail's instance rewritten from it
 * (the same rule as the cached list's, cas_cache_entry_from_detail). */
static void rewrite_entry(struct cas_snapshot *s, const char *id, const struct cas_doc *d)
{
	cJSON *j = get_json(s, CAS_CK_INSTANCES, "");
	struct cas_instances *l = j ? instances_from_json(j) : NULL;
	cJSON_Delete(j);
	const struct cas_instance *was = l ? cas_instances_find(l, id) : NULL;
	struct cas_instance now;
	if (was && cas_cache_entry_from_detail(was, d, &now)) {
		struct cas_instance *slot = &l->v[was - l->v];
		cas_instance_clear(slot);
		*slot = now;
		put_json(s, CAS_CK_INSTANCES, "", instances_json(l));
	}
	cas_obj_unref(l);
}

static int doc_call(struct cas_snapshot *s, enum cas_ck kind, const char *key, struct cas_doc **out,
		    struct cas_error *e)
{
	if (!atomic_load(&s->offline)) {
		int rc = kind == CAS_CK_DETAIL ? s->live->ops->get_instance_detail(s->live, key, out, e)
					       : s->live->ops->get_instance_summary(s->live, out, e);
		if (!rc && s->store)
			put_text(s, kind, key, (*out)->text, (*out)->len);
		if (!rc && kind == CAS_CK_DETAIL && take_changed(s, key))
			rewrite_entry(s, key, *out);
		return rc;
	}
	size_t len;
	char *t = statedb_snapshot_get(s->db, kind, key, &len, NULL);
	*out = t ? cas_doc_new(t, len) : NULL;
	free(t);
	return *out ? 0 : not_in_snapshot(e, kind == CAS_CK_DETAIL ? "this instance's detail" : "the summary");
}

static int d_detail(struct cas_api *a, const char *id, struct cas_doc **out, struct cas_error *e)
{
	return doc_call(container_of(a, struct cas_snapshot, api), CAS_CK_DETAIL, id, out, e);
}

static int d_summary(struct cas_api *a, struct cas_doc **out, struct cas_error *e)
{
	return doc_call(container_of(a, struct cas_snapshot, api), CAS_CK_SUMMARY, "", out, e);
}

static int entries_call(struct cas_snapshot *s, enum cas_ck kind, struct cas_entries **out, struct cas_error *e)
{
	if (!atomic_load(&s->offline)) {
		int rc = kind == CAS_CK_ACCESS ? s->live->ops->list_cloud_access(s->live, out, e)
					       : s->live->ops->get_ca_instance_status(s->live, out, e);
		if (!rc && s->store)
			put_json(s, kind, "", entries_json(*out));
		return rc;
	}
	cJSON *j = get_json(s, kind, "");
	*out = j ? entries_from_json(j) : NULL;
	cJSON_Delete(j);
	return *out ? 0 : not_in_snapshot(e, kind == CAS_CK_ACCESS ? "the cloud-access list" : "the private CA list");
}

static int d_list_access(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return entries_call(container_of(a, struct cas_snapshot, api), CAS_CK_ACCESS, out, e);
}

static int d_ca(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return entries_call(container_of(a, struct cas_snapshot, api), CAS_CK_CA, out, e);
}

/* A mutation goes to the live service, unless offline; those that change
 * an instance mark it changed. */
#define MUTATION(fn, member, argtype)                                               \
	static int fn(struct cas_api *a, argtype arg, struct cas_error *e)          \
	{                                                                          \
		struct cas_snapshot *s = container_of(a, struct cas_snapshot, api); \
		if (atomic_load(&s->offline))                                      \
			return offline_refusal(e);                                 \
		return s->live->ops->member(s->live, arg, e);                      \
	}
MUTATION(d_delete, delete_instance, const char *)
MUTATION(d_add_access, add_cloud_access, const struct cas_access_new *)
MUTATION(d_delete_access, delete_cloud_access, const char *)
#undef MUTATION
#define MUTATION(fn, member, argtype, id)                                           \
	static int fn(struct cas_api *a, argtype arg, struct cas_error *e)          \
	{                                                                          \
		struct cas_snapshot *s = container_of(a, struct cas_snapshot, api); \
		if (atomic_load(&s->offline))                                      \
			return offline_refusal(e);                                 \
		int rc = s->live->ops->member(s->live, arg, e);                    \
		if (rc == 0)                                                       \
			mark_changed(s, id);                                       \
		return rc;                                                         \
	}
MUTATION(d_update, update_instance, const struct cas_update *, arg->instance_id)
MUTATION(d_refund, refund_instance, const char *, arg)
#undef MUTATION

/* Certificates pass through and are never stored: the answer may carry a
 * private key, which must never reach the database file. Offline a read of
 * one is EIO, like any read the snapshot cannot answer. */
static int d_cert(struct cas_api *a, const char *cert_id, struct cas_cert **out, struct cas_error *e)
{
	struct cas_snapshot *s = container_of(a, struct cas_snapshot, api);
	*out = NULL;
	if (atomic_load(&s->offline))
		return not_in_snapshot(e, "a certificate (never stored: it comes with its private key)");
	return s->live->ops->get_user_certificate_detail(s->live, cert_id, out, e);
}

/* The certificate store passes through and is not stored (it is kept
 * live only): offline, listing it is EIO and changing it is refused. */
static int d_list_store(struct cas_api *a, struct cas_certs **out, struct cas_error *e)
{
	struct cas_snapshot *s = container_of(a, struct cas_snapshot, api);
	*out = NULL;
	if (atomic_load(&s->offline))
		return not_in_snapshot(e, "the certificate store");
	return s->live->ops->list_store(s->live, out, e);
}

static int d_upload_cert(struct cas_api *a, const struct cas_upload *u, int64_t *cert_id, struct cas_error *e)
{
	struct cas_snapshot *s = container_of(a, struct cas_snapshot, api);
	if (atomic_load(&s->offline))
		return offline_refusal(e);
	return s->live->ops->upload_certificate(s->live, u, cert_id, e);
}

static int d_delete_cert(struct cas_api *a, int64_t cert_id, struct cas_error *e)
{
	struct cas_snapshot *s = container_of(a, struct cas_snapshot, api);
	if (atomic_load(&s->offline))
		return offline_refusal(e);
	return s->live->ops->delete_certificate(s->live, cert_id, e);
}

static const struct cas_api_ops snapshot_ops = {
	.list_instances = d_list_instances,
	.get_instance_detail = d_detail,
	.get_instance_summary = d_summary,
	.update_instance = d_update,
	.delete_instance = d_delete,
	.refund_instance = d_refund,
	.list_cloud_access = d_list_access,
	.add_cloud_access = d_add_access,
	.delete_cloud_access = d_delete_access,
	.get_ca_instance_status = d_ca,
	.get_user_certificate_detail = d_cert,
	.list_store = d_list_store,
	.upload_certificate = d_upload_cert,
	.delete_certificate = d_delete_cert,
};

struct cas_snapshot *cas_snapshot_new(struct cas_api *live, struct statedb *db)
{
	struct cas_snapshot *s = cas_xcalloc(1, sizeof(*s));
	s->api.ops = &snapshot_ops;
	s->live = live;
	s->db = db;
	s->store = statedb_persistent(db);
	cas_worker_init(&s->retry);
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

struct cas_api *cas_snapshot_api(struct cas_snapshot *s)
{
	return &s->api;
}

int cas_snapshot_usable(struct cas_snapshot *s, int64_t *stored_ms)
{
	size_t len;
	char *t = statedb_snapshot_get(s->db, CAS_CK_INSTANCES, "", &len, stored_ms);
	free(t);
	return t != NULL;
}

static void *retry_thread(void *arg)
{
	struct cas_snapshot *s = arg;
	int64_t delay = RETRY_FIRST_MS;
	while (!cas_worker_nap(&s->retry, delay)) {
		struct cas_error e;
		cas_error_clear(&e);
		if (s->probe(s->probe_ctx, &e) == 0) {
			atomic_store(&s->offline, 0);
			atomic_store(&s->live_ms, cas_wall_ms());
			cas_info("the service answers: switched from the offline snapshot to live data");
			s->on_live(s->live_ctx);
			break;
		}
		char line[800];
		cas_error_format(&e, line, sizeof(line));
		cas_debug("offline: the service still does not answer (%s); next try in %lld ms", line,
			  (long long)(delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2));
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
	return NULL;
}

void cas_snapshot_go_offline(struct cas_snapshot *s, cas_probe_fn probe, void *probe_ctx,
			     void (*on_live)(void *ctx), void *live_ctx)
{
	s->probe = probe;
	s->probe_ctx = probe_ctx;
	s->on_live = on_live;
	s->live_ctx = live_ctx;
	atomic_store(&s->offline, 1);
	atomic_store(&s->since_ms, cas_wall_ms());
}

void cas_snapshot_start(struct cas_snapshot *s)
{
	if (!s || !atomic_load(&s->offline) || s->retry.n)
		return;
	if (!cas_worker_start(&s->retry, 1, retry_thread, s))
		cas_err("offline: cannot start the background retry thread; remount to go live");
}

int cas_snapshot_offline(struct cas_snapshot *s)
{
	return atomic_load(&s->offline);
}

void cas_snapshot_times(struct cas_snapshot *s, int64_t *since_ms, int64_t *live_ms)
{
	*since_ms = atomic_load(&s->since_ms);
	*live_ms = atomic_load(&s->live_ms);
}

void cas_snapshot_stop(struct cas_snapshot *s)
{
	if (!s)
		return;
	cas_worker_stop(&s->retry);
}

void cas_snapshot_free(struct cas_snapshot *s)
{
	if (!s)
		return;
	cas_worker_destroy(&s->retry);
	for (size_t i = 0; i < CHANGED_MAX; i++)
		free(s->changed[i]);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
