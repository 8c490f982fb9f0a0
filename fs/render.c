/* render: file contents for every node kind (see render.h, kinds.h). */
#include "render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "canon.h"
#include "kinds.h"
#include "memo.h"
#include "update.h"

static int get_instance(struct casfs *fs, const char *id, struct cas_instances **l,
			const struct cas_instance **it, struct cas_error *e)
{
	int rc = fs->api->ops->list_instances(fs->api, NULL, l, e);
	if (rc)
		return rc;
	*it = cas_instances_find(*l, id);
	if (!*it) {
		cas_obj_unref(*l);
		*l = NULL;
		return cas_error_set(e, ENOENT, "Local.NotFound", "instance %s is no longer listed", id);
	}
	return 0;
}

void add_iso8601(struct cas_buf *b, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char s[40];
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cas_buf_adds(b, s);
}

int render_value(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct cas_instances *l;
	const struct cas_instance *it;
	int rc = get_instance(fs, n->id, &l, &it, e);
	if (rc)
		return rc;
	const struct list_value *v = &node_kind(n)->value;
	const char *field = (const char *)it + v->off;
	struct cas_buf b = CAS_BUF_INIT;
	if (v->type == VAL_TIME)
		add_iso8601(&b, *(const int64_t *)field);
	else if (*(char *const *)field)
		cas_buf_adds(&b, *(char *const *)field);
	cas_buf_addc(&b, '\n');
	*out = snap_new(b.p, b.len);
	cas_buf_free(&b);
	cas_obj_unref(l);
	return 0;
}

static int get_detail(struct casfs *fs, const char *id, struct cas_doc **d, struct cas_error *e)
{
	return fs->api->ops->get_instance_detail(fs->api, id, d, e);
}

int render_detail(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct cas_doc *d;
	int rc = get_detail(fs, n->id, &d, e);
	if (rc)
		return rc;
	*out = snap_of_doc(d);
	cas_obj_unref(d);
	return 0;
}

/* Renders a file derived from the detail through `make`, memoised per source. */
static int derived(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e,
		   int (*make)(const cJSON *detail, struct cas_buf *b, struct cas_error *e))
{
	struct cas_doc *d;
	int rc = get_detail(fs, n->id, &d, e);
	if (rc)
		return rc;
	*out = memo_get(fs->memo, n->ino, d);
	if (!*out) {
		cJSON *j = cas_json_parse(d->text, d->len);
		struct cas_buf b = CAS_BUF_INIT;
		rc = j ? make(j, &b, e) : cas_error_set(e, EPROTO, "Local.Response", "cached detail is not JSON");
		if (!rc) {
			*out = snap_new(b.p ? b.p : "", b.len);
			memo_put(fs->memo, n->ino, d, *out);
		}
		cas_buf_free(&b);
		cJSON_Delete(j);
	}
	cas_obj_unref(d);
	return rc;
}

static int make_config(const cJSON *detail, struct cas_buf *b, struct cas_error *e)
{
	(void)e;
	cJSON *cfg = cas_update_config_json(detail);
	cas_canon_render(b, cfg);
	cJSON_Delete(cfg);
	return 0;
}

int render_config(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	return derived(fs, n, out, e, make_config);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int make_tags(const cJSON *detail, struct cas_buf *b, struct cas_error *e)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(detail, "Tags");
	if (tags && !cJSON_IsArray(tags) && !cJSON_IsNull(tags))
		return cas_error_set(e, EPROTO, "Local.Response", "Tags in the detail is not an array");
	size_t n = (size_t)cJSON_GetArraySize(tags), k = 0;
	char **lines = cas_xcalloc(n + 1, sizeof(char *));
	const cJSON *t;
	cJSON_ArrayForEach(t, tags)
	{
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(t, "TagKey");
		const cJSON *val = cJSON_GetObjectItemCaseSensitive(t, "TagValue");
		if (cJSON_IsString(key))
			lines[k++] = cas_xasprintf("%s=%s", key->valuestring, cJSON_IsString(val) ? val->valuestring : "");
	}
	qsort(lines, k, sizeof(char *), str_cmp);
	for (size_t i = 0; i < k; i++) {
		cas_buf_adds(b, lines[i]);
		cas_buf_addc(b, '\n');
		free(lines[i]);
	}
	free(lines);
	return 0;
}

int render_tags(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	return derived(fs, n, out, e, make_tags);
}

static int make_csr(const cJSON *detail, struct cas_buf *b, struct cas_error *e)
{
	(void)e;
	const cJSON *csr = cJSON_GetObjectItemCaseSensitive(detail, "Csr");
	if (cJSON_IsString(csr) && *csr->valuestring) {
		cas_buf_adds(b, csr->valuestring);
		if (b->p[b->len - 1] != '\n')
			cas_buf_addc(b, '\n');
	}
	return 0;
}

int render_csr(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	return derived(fs, n, out, e, make_csr);
}

int render_empty(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)fs;
	(void)n;
	(void)e;
	*out = snap_new("", 0);
	return 0;
}

int render_link(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)fs;
	(void)e;
	char *t = node_link_target(n);
	*out = snap_new(t, strlen(t));
	free(t);
	return 0;
}

/* instances.jsonl: every list entry as received, canonical on one line, in
 * id order; memoised per list snapshot (no call beyond the list). */
int render_jsonl(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct cas_instances *l = NULL;
	int rc = fs->api->ops->list_instances(fs->api, NULL, &l, e);
	if (rc)
		return rc;
	*out = memo_get(fs->memo, n->ino, l);
	if (!*out) {
		struct cas_buf b = CAS_BUF_INIT;
		for (size_t i = 0; i < l->n; i++)
			cas_buf_add(&b, l->v[i].json, l->v[i].json_len);
		*out = snap_new(b.p ? b.p : "", b.len);
		memo_put(fs->memo, n->ino, l, *out);
		cas_buf_free(&b);
	}
	cas_obj_unref(l);
	return 0;
}

int render_summary(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)n;
	struct cas_doc *d;
	int rc = fs->api->ops->get_instance_summary(fs->api, &d, e);
	if (rc)
		return rc;
	*out = snap_of_doc(d);
	cas_obj_unref(d);
	return 0;
}

int render_entry(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct cas_entries *l;
	int rc = node_kind(n)->entries(fs, &l, e);
	if (rc)
		return rc;
	const struct cas_entry *it = cas_entries_find(l, n->id);
	if (it)
		*out = snap_of_doc(it->doc);
	else
		rc = cas_error_set(e, ENOENT, "Local.NotFound", "%s is no longer listed", n->id);
	cas_obj_unref(l);
	return rc;
}

/* ---- written bytes that still mean the same ---------------------------- */

char *tags_normalize(const char *data, size_t len)
{
	char **lines = NULL;
	size_t n = 0;
	for (const char *p = data, *end = data + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = cas_trim_len(p, nl ? (size_t)(nl - p) : (size_t)(end - p), CAS_BLANKS);
		if (l) {
			lines = cas_xrealloc(lines, (n + 1) * sizeof(char *));
			lines[n++] = cas_xstrndup(p, l);
		}
		p = nl ? nl + 1 : end;
	}
	if (n) /* no lines: lines is NULL, which qsort must not get (UBSan) */
		qsort(lines, n, sizeof(char *), str_cmp);
	struct cas_buf b = CAS_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		cas_buf_addf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return cas_buf_steal(&b);
}

int same_config(const struct snap *w, const struct snap *canon)
{
	cJSON *wj = cas_json_parse(w->data, w->len), *cj = cas_json_parse(canon->data, canon->len);
	struct cas_update want = { 0 }, diff;
	struct cas_error e;
	int same = 0;
	if (wj && cj && cas_update_from_json(wj, &want, &e) == 0) {
		same = cas_update_diff(&want, cj, &diff) == 0;
		cas_update_free(&diff);
	}
	cas_update_free(&want);
	cJSON_Delete(wj);
	cJSON_Delete(cj);
	return same;
}

int same_tags(const struct snap *w, const struct snap *canon)
{
	char *a = tags_normalize(w->data, w->len), *b = tags_normalize(canon->data, canon->len);
	int same = strcmp(a, b) == 0;
	free(a);
	free(b);
	return same;
}

int same_line(const struct snap *w, const struct snap *canon)
{
	size_t a = cas_trim_len(w->data, w->len, CAS_BLANKS), b = cas_trim_len(canon->data, canon->len, CAS_BLANKS);
	return a == b && memcmp(w->data, canon->data, a) == 0;
}

int render_node(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	const struct node_kind *k = node_kind(n);
	*out = NULL;
	if (!k->render)
		return cas_error_set(e, EISDIR, "Local.Node", "not a file");
	if (k->flags & (NF_DETAIL | NF_CERT)) {
		struct cas_instances *l = NULL;
		struct cas_error e2;
		if (fs->api->ops->list_instances(fs->api, NULL, &l, &e2) == 0) {
			cas_prefetch_hint((k->flags & NF_CERT) ? fs->prefetch_cert : fs->prefetch, l, n->id);
			cas_obj_unref(l);
		}
	}
	int rc = k->render(fs, n, out, e);
	if (rc || !k->same)
		return rc;
	struct snap *w = memo_written(fs->memo, n->ino);
	if (w) {
		if (k->same(w, *out)) {
			cas_obj_unref(*out);
			*out = w;
			return 0;
		}
		memo_clear_written(fs->memo, n->ino);
		cas_obj_unref(w);
	}
	return 0;
}
