/* commit: what a completed write, or an unlink/rmdir, does to the account.
 * Every UpdateInstance write goes through commit_update(): check types and
 * field names, compare with the current state, validate every field that
 * would change, and send only those (nothing at all when nothing differs). Writers of one
 * instance are serialised so each sees the state the previous one left. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "apifile.h"
#include "canon.h"
#include "ilock.h"
#include "journal.h"
#include "jsonc.h"
#include "kinds.h"
#include "log.h"
#include "memo.h"
#include "notify.h"
#include "scratch.h"
#include "update.h"
#include "validate.h"

static int read_only(struct casfs *fs, struct cas_error *e)
{
	return fs->o.ro ? cas_error_set(e, EROFS, "Local.ReadOnly", "mounted with -o ro") : 0;
}

/* The value without its trailing line ends. */
static size_t value_len(const char *s, size_t n)
{
	return cas_trim_len(s, n, "\r\n");
}

/* The state a write is compared with: at most ttl old (SEMANTICS), so a
 * copy past its ttl is fetched again, and a stale one (a failed or slow
 * refresh, a degraded cache) never stands for it. */
static int current_detail(struct casfs *fs, const char *id, struct cas_doc **d, struct cas_error *e)
{
	if (fs->cache && fs->api == cas_cache_api(fs->cache))
		return cas_cache_get_fresh(fs->cache, CAS_CK_DETAIL, id, (void **)d, e);
	return fs->api->ops->get_instance_detail(fs->api, id, d, e);
}

static int commit_update(struct casfs *fs, const struct node *n, struct cas_update *want, struct cas_error *e)
{
	int rc = read_only(fs, e);
	if (rc)
		return rc;
	want->instance_id = cas_xstrdup(n->id);
	struct ilock *lock = ilock_acquire(fs->locks, n->id);
	struct cas_doc *d = NULL;
	cJSON *dj = NULL;
	struct cas_update diff = { 0 };
	rc = current_detail(fs, n->id, &d, e);
	if (rc)
		goto out;
	snprintf(e->action, sizeof(e->action), "UpdateInstance");
	dj = cas_json_parse(d->text, d->len);
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(dj, "KeyAlgorithm");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(dj, "GenerateCsrMethod");
	const cJSON *csr = cJSON_GetObjectItemCaseSensitive(dj, "Csr");
	int uploaded = cJSON_IsString(method) && strcmp(method->valuestring, "upload") == 0;
	/* constraints are checked on what would change: a field equal to the
	 * current state is the service's own value (a verbatim round trip of
	 * config must always succeed) */
	if (cas_update_diff(want, dj, &diff) == 0) {
		atomic_fetch_add(&fs->st.noop_commits, 1);
		cas_debug("%s: no field differs from the current state; nothing sent", n->path);
		goto out;
	}
	rc = cas_validate_update(&diff, cJSON_IsString(alg) ? alg->valuestring : NULL,
				 uploaded && cJSON_IsString(csr) ? csr->valuestring : NULL, e);
	if (rc)
		goto out;
	if (diff.has_tags && diff.ntags == 0) {
		rc = cas_error_set(e, EINVAL, "InvalidParameter.Tags",
				   "UpdateInstance cannot remove every tag (an empty list is not sent on the wire); "
				   "keep at least one tag");
		goto out;
	}
	int64_t seq = journal_begin(fs, n->path, "UpdateInstance", cas_update_changes_json(&diff, dj));
	rc = fs->api->ops->update_instance(fs->api, &diff, e);
	journal_end(fs, seq, rc, e);
out:
	ilock_release(fs->locks, lock);
	cas_update_free(&diff);
	cJSON_Delete(dj);
	cas_obj_unref(d);
	return rc;
}

static int nul_in(json_object *s)
{
	return (size_t)json_object_get_string_len(s) != strlen(json_object_get_string(s));
}

/* A NUL (\u0000) in any string value: cJSON would cut the string there and
 * send what comes before it, so it is refused (json-c keeps the length). */
static int refuse_nul(const char *data, size_t len, struct cas_error *e)
{
	json_tokener *tok = json_tokener_new();
	json_object *o = json_tokener_parse_ex(tok, data, (int)len);
	int bad = o && jsonc_any_string(o, nul_in);
	jsonc_wipe(o); /* cloud-access/new: the SecretKey */
	json_object_put(o);
	jsonc_tokener_free_wiped(tok, len);
	return bad ? cas_error_set(e, EINVAL, "Local.Value", "a string value contains a NUL character (\\u0000)") : 0;
}

int commit_config(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e)
{
	int nul = refuse_nul(data, len, e);
	if (nul)
		return nul;
	cJSON *j = cas_json_parse(data, len);
	if (!j)
		return cas_error_set(e, EINVAL, "Local.Config", "config is not valid JSON");
	struct cas_update want = { 0 };
	int rc = cas_update_from_json(j, &want, e);
	cJSON_Delete(j);
	if (!rc)
		rc = commit_update(fs, n, &want, e);
	cas_update_free(&want);
	return rc;
}

static int parse_tags(const char *data, size_t len, struct cas_update *u, struct cas_error *e)
{
	u->has_tags = 1;
	const char *p, *at = data;
	size_t l;
	while (cas_line_next(&at, data + len, &p, &l)) {
		l = value_len(p, l);
		if (l) {
			struct cas_tag t;
			if (cas_tag_from_line(p, l, &t))
				return cas_error_set(e, EINVAL, "InvalidParameter.Tags",
						     "tags lines must be key=value (got \"%.*s\")", (int)(l > 64 ? 64 : l), p);
			u->tags = cas_xrealloc(u->tags, (u->ntags + 1) * sizeof(*u->tags));
			u->tags[u->ntags++] = t;
		}
	}
	return 0;
}

/* Commits a want built by the caller and frees it. */
static int commit_want(struct casfs *fs, const struct node *n, struct cas_update *want, int rc, struct cas_error *e)
{
	if (!rc)
		rc = commit_update(fs, n, want, e);
	cas_update_free(want);
	return rc;
}

static int no_nul(const char *data, size_t len, struct cas_error *e)
{
	return memchr(data, '\0', len) ? cas_error_set(e, EINVAL, "Local.Value", "the value contains a NUL byte") : 0;
}

/* A one-line value file: its row's update field gets the line. */
int commit_value(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e)
{
	const struct node_kind *k = node_kind(n);
	struct cas_update want = { 0 };
	size_t l = value_len(data, len);
	int rc = no_nul(data, len, e);
	if (!rc && memchr(data, '\n', l))
		rc = cas_error_set(e, EINVAL, "Local.Value", "%s holds one line", k->name);
	if (!rc) {
		char *v = cas_xstrndup(data, l);
		rc = cas_update_set_str(&want, k->update, v);
		free(v);
	}
	return commit_want(fs, n, &want, rc, e);
}

int commit_tags(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e)
{
	struct cas_update want = { 0 };
	int rc = no_nul(data, len, e);
	if (!rc)
		rc = parse_tags(data, len, &want, e);
	return commit_want(fs, n, &want, rc, e);
}

static int blank_text(const char *s, size_t n)
{
	return cas_trim_len(s, n, CAS_BLANKS) == 0;
}

int commit_empty_refused(const struct node *n, const char *cur, size_t cur_len, char *why, size_t whylen)
{
	const struct node_kind *k = node_kind(n);
	if (k->commit == commit_csr || k->commit == commit_refund) {
		snprintf(why, whylen, "%s: the empty document is not a value (nothing was written)", k->name);
		return 1;
	}
	if (k->commit == commit_tags && !blank_text(cur, cur_len)) {
		snprintf(why, whylen, "an empty tag set: UpdateInstance cannot remove every tag (an empty list is not "
				      "sent on the wire); keep at least one tag");
		return 1;
	}
	if (k->commit == commit_value && !blank_text(cur, cur_len)) {
		struct cas_update want = { 0 };
		struct cas_error e;
		cas_error_clear(&e);
		int bad = cas_update_set_str(&want, k->update, "") || cas_validate_update(&want, NULL, NULL, &e);
		if (bad)
			snprintf(why, whylen, "%s", e.message[0] ? e.message : "an empty value");
		cas_update_free(&want);
		return bad;
	}
	return 0;
}

/* A CSR is sent with GenerateCsrMethod=upload. */
int commit_csr(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e)
{
	struct cas_update want = { 0 };
	size_t l = value_len(data, len);
	int rc = no_nul(data, len, e);
	if (!rc && !l)
		rc = cas_error_set(e, EINVAL, "InvalidParameter.Csr",
				   "write a PEM CSR (to return to online generation write "
				   "{\"GenerateCsrMethod\":\"online\"} to config)");
	if (!rc) {
		want.csr = cas_xasprintf("%.*s\n", (int)l, data);
		want.generate_csr_method = cas_xstrdup("upload");
	}
	return commit_want(fs, n, &want, rc, e);
}

int commit_refund(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e)
{
	int rc = read_only(fs, e);
	if (rc)
		return rc;
	size_t l = value_len(data, len);
	if (!((l == 1 && data[0] == '1') || (l == 3 && memcmp(data, "yes", 3) == 0)))
		return cas_error_set(e, EINVAL, "Local.Value", "write 1 or yes to refund the instance");
	int64_t seq = journal_begin(fs, n->path, "RefundInstance", NULL);
	rc = fs->api->ops->refund_instance(fs->api, n->id, e);
	journal_end(fs, seq, rc, e);
	if (!rc && !fs->o.dry_run)
		cas_info("%s: instance %s refunded", n->path, n->id);
	return rc;
}

static const char *json_string(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void wipe_secret(cJSON *j)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "SecretKey");
	if (cJSON_IsString(v) && v->valuestring)
		OPENSSL_cleanse(v->valuestring, strlen(v->valuestring));
}

int commit_access_new(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e)
{
	(void)n;
	int rc = read_only(fs, e);
	if (rc || (rc = refuse_nul(data, len, e)))
		return rc;
	cJSON *j = cas_json_parse(data, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j); /* freed memory is scrubbed by the allocator (main) */
		return cas_error_set(e, EINVAL, "Local.Value",
				     "cloud-access/new takes a JSON object {\"CloudName\",\"SecretId\",\"SecretKey\"}");
	}
	for (const cJSON *m = j->child; m && !rc; m = m->next) {
		if (strcmp(m->string, "CloudName") && strcmp(m->string, "SecretId") && strcmp(m->string, "SecretKey"))
			rc = cas_error_set(e, EINVAL, "Local.Value",
					   "unknown field \"%.64s\"; cloud-access/new takes CloudName, SecretId, SecretKey",
					   m->string);
		else if (!cJSON_IsString(m))
			rc = cas_error_set(e, EINVAL, "Local.Value", "%s must be a string", m->string);
	}
	struct cas_access_new a = { json_string(j, "CloudName"), json_string(j, "SecretId"), json_string(j, "SecretKey") };
	if (!rc)
		rc = cas_validate_access_new(&a, e);
	struct cas_entries *l = NULL;
	if (!rc)
		rc = fs->api->ops->list_cloud_access(fs->api, &l, e);
	int exists = 0;
	for (size_t i = 0; !rc && i < l->n; i++)
		if (l->v[i].cloud_name && l->v[i].secret_id && strcmp(l->v[i].cloud_name, a.cloud_name) == 0 &&
		    strcmp(l->v[i].secret_id, a.secret_id) == 0)
			exists = 1;
	cas_obj_unref(l);
	l = NULL;
	if (!rc && exists)
		cas_info("cloud-access/new: %s key %s is already registered; nothing sent", a.cloud_name, a.secret_id);
	if (!rc && !exists) {
		snprintf(e->action, sizeof(e->action), "AddCloudAccess");
		/* SecretKey is never journalled */
		cJSON *f = cJSON_CreateObject();
		const char *names[] = { "CloudName", "SecretId" }, *vals[] = { a.cloud_name, a.secret_id };
		for (int i = 0; i < 2; i++) {
			cJSON *pair = cJSON_AddObjectToObject(f, names[i]);
			cJSON_AddNullToObject(pair, "old");
			cJSON_AddStringToObject(pair, "new", vals[i]);
		}
		int64_t seq = journal_begin(fs, n->path, "AddCloudAccess", f);
		rc = fs->api->ops->add_cloud_access(fs->api, &a, e);
		journal_end(fs, seq, rc, e);
		/* AddCloudAccess returns no id: list again so <AccessId> appears */
		if (!rc && fs->api->ops->list_cloud_access(fs->api, &l, e) == 0)
			cas_obj_unref(l);
		notify_kind(fs->notify, CAS_CK_ACCESS);
	}
	wipe_secret(j);
	cJSON_Delete(j);
	return rc;
}

int remove_instance(struct casfs *fs, const struct node *n, struct cas_error *e)
{
	int rc = read_only(fs, e);
	if (rc)
		return rc;
	struct ilock *lock = ilock_acquire(fs->locks, n->id);
	int64_t seq = journal_begin(fs, n->path, "DeleteInstance", NULL);
	rc = fs->api->ops->delete_instance(fs->api, n->id, e);
	journal_end(fs, seq, rc, e);
	ilock_release(fs->locks, lock);
	if (!rc) {
		scratch_drop_instance(fs->scratch, n->id);
		notify_instance(fs->notify, n->id);
	}
	return rc;
}

int remove_access(struct casfs *fs, const struct node *n, struct cas_error *e)
{
	int rc = read_only(fs, e);
	if (rc)
		return rc;
	int64_t seq = journal_begin(fs, n->path, "DeleteCloudAccess", NULL);
	rc = fs->api->ops->delete_cloud_access(fs->api, n->id, e);
	journal_end(fs, seq, rc, e);
	notify_kind(fs->notify, CAS_CK_ACCESS);
	return rc;
}
