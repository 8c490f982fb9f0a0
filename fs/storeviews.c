/* storeviews: the read side of certificates/ (see store.h): directory
 * names from the cached store list, the files of a certificate directory,
 * by-id/, expired/, by-expiry/ and certificates.jsonl. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "canon.h"
#include "kinds.h"
#include "notify.h"
#include "store.h"

#define DAY_MS 86400000LL

/* ---- names ------------------------------------------------------------ */

static void names_destroy(struct cas_obj *o)
{
	struct store_names *nm = (struct store_names *)o;
	for (size_t i = 0; nm->certs && i < nm->certs->n; i++)
		free(nm->dir[i]);
	free(nm->dir);
	free(nm->order);
	cas_obj_unref(nm->certs);
	free(nm);
}

static const struct cas_certs *sort_certs;
static char **sort_lineage;

/* by lineage, then newest first (NotBefore, then CertificateId) */
static int by_lineage(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(sort_lineage[i], sort_lineage[j]);
	if (c)
		return c;
	const struct cas_store_cert *x = &sort_certs->v[i], *y = &sort_certs->v[j];
	if (x->not_before != y->not_before)
		return x->not_before > y->not_before ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

static char **sort_dirs;
static int by_dir(const void *a, const void *b)
{
	return strcmp(sort_dirs[*(const size_t *)a], sort_dirs[*(const size_t *)b]);
}

static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER; /* qsort has no context argument */

static struct store_names *names_new(struct cas_certs *l)
{
	struct store_names *nm = cas_xcalloc(1, sizeof(*nm));
	cas_obj_init(&nm->obj, names_destroy);
	nm->certs = cas_obj_ref(l);
	size_t n = l->n;
	nm->dir = cas_xcalloc(n + 1, sizeof(char *));
	nm->order = cas_xcalloc(n + 1, sizeof(size_t));
	char **lin = cas_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		store_lineage(l->v[i].name, buf, sizeof(buf));
		lin[i] = cas_xstrdup(buf);
		nm->order[i] = i;
	}
	pthread_mutex_lock(&sort_mu);
	sort_certs = l;
	sort_lineage = lin;
	qsort(nm->order, n, sizeof(size_t), by_lineage);
	for (size_t k = 0; k < n; k++) {
		size_t i = nm->order[k];
		int newest = k == 0 || strcmp(lin[nm->order[k - 1]], lin[i]) != 0;
		if (lin[i][0] && newest)
			nm->dir[i] = cas_xstrdup(lin[i]);
		else
			nm->dir[i] = cas_xasprintf("%s~%lld", lin[i], (long long)l->v[i].id);
	}
	sort_dirs = nm->dir;
	qsort(nm->order, n, sizeof(size_t), by_dir);
	pthread_mutex_unlock(&sort_mu);
	for (size_t i = 0; i < n; i++)
		free(lin[i]);
	free(lin);
	return nm;
}

int store_names_get(struct casfs *fs, struct store_names **out, struct cas_error *e)
{
	struct cas_certs *l = NULL;
	*out = NULL;
	int rc = fs->api->ops->list_store(fs->api, &l, e);
	if (rc)
		return rc;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	if (s->names && s->names->certs == l)
		*out = cas_obj_ref(s->names);
	pthread_mutex_unlock(&s->mu);
	if (!*out) {
		struct store_names *nm = names_new(l);
		pthread_mutex_lock(&s->mu);
		struct store_names *old = s->names;
		s->names = cas_obj_ref(nm);
		pthread_mutex_unlock(&s->mu);
		cas_obj_unref(old);
		*out = nm;
	}
	cas_obj_unref(l);
	return 0;
}

static long find_dir(const struct store_names *nm, const char *dir)
{
	size_t lo = 0, hi = nm->certs->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(nm->dir[nm->order[mid]], dir);
		if (!c)
			return (long)nm->order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const struct cas_store_cert *store_names_cert(const struct store_names *nm, const char *dir)
{
	long i = find_dir(nm, dir);
	return i >= 0 ? &nm->certs->v[i] : NULL;
}

const char *store_names_dir(const struct store_names *nm, int64_t id)
{
	for (size_t i = 0; i < nm->certs->n; i++)
		if (nm->certs->v[i].id == id)
			return nm->dir[i];
	return NULL;
}

int store_lineage_taken(const struct store_names *nm, const char *dir)
{
	for (size_t i = 0; i < nm->certs->n; i++) {
		char buf[256];
		store_lineage(nm->certs->v[i].name, buf, sizeof(buf));
		if (strcmp(buf, dir) == 0)
			return 1;
	}
	return 0;
}

/* The certificate directory `dir` shows (stored, or a staging alias):
 * names and the certificate, or -ENOENT. */
static int cert_of(struct casfs *fs, const char *dir, struct store_names **nm, const struct cas_store_cert **c,
		   struct cas_error *e)
{
	int rc = store_names_get(fs, nm, e);
	if (rc)
		return rc;
	*c = store_names_cert(*nm, dir);
	if (!*c) {
		int64_t id = store_alias(fs, dir);
		*c = id ? cas_certs_find((*nm)->certs, id) : NULL;
	}
	if (!*c) {
		cas_obj_unref(*nm);
		*nm = NULL;
		return cas_error_set(e, ENOENT, "Local.NotFound", "certificate %s is no longer in the store", dir);
	}
	return 0;
}

void store_notify(struct casfs *fs, const char *dir)
{
	if (!fs->notify)
		return;
	notify_path(fs->notify, "/certificates");
	notify_path(fs->notify, "/certificates.jsonl");
	notify_path(fs->notify, "/certificates/by-id");
	notify_path(fs->notify, "/certificates/expired");
	if (dir) {
		char *p = cas_xasprintf("/certificates/%s", dir);
		notify_path(fs->notify, p);
		free(p);
		for (int t = 0; t < T_N; t++) /* its files now show another certificate */
			if (node_kinds[t].parent == T_SC_CERT && node_kinds[t].name) {
				p = cas_xasprintf("/certificates/%s/%s", dir, node_kinds[t].name);
				notify_path(fs->notify, p);
				free(p);
			}
	}
	/* names shift within a lineage: every link and directory the last
	 * listing showed may now point elsewhere (links are kernel-cached) */
	pthread_mutex_lock(&fs->store->mu);
	struct store_names *nm = cas_obj_ref(fs->store->names);
	pthread_mutex_unlock(&fs->store->mu);
	for (size_t i = 0; nm && i < nm->certs->n; i++) {
		char *p = cas_xasprintf("/certificates/by-id/%lld", (long long)nm->certs->v[i].id);
		notify_path(fs->notify, p);
		free(p);
		p = cas_xasprintf("/certificates/%s", nm->dir[i]);
		notify_path(fs->notify, p);
		free(p);
		p = cas_xasprintf("/certificates/expired/%s", nm->dir[i]);
		notify_path(fs->notify, p);
		free(p);
	}
	cas_obj_unref(nm);
}

/* ---- the notifier's binding (nodes.h, keys): names a change touches --- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Every certificate directory either list shows, once. */
void keys_store_dirs(const void *was, const void *now, struct namelist *out)
{
	struct namelist all = { 0 };
	for (int l = 0; l < 2; l++) {
		struct cas_certs *c = (struct cas_certs *)(l ? now : was);
		if (!c)
			continue;
		struct store_names *nm = names_new(c);
		for (size_t i = 0; i < c->n; i++)
			namelist_add(&all, nm->dir[i]);
		cas_obj_unref(nm);
	}
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), cmp_str);
	for (size_t i = 0; i < all.n; i++)
		if (!i || strcmp(all.v[i - 1], all.v[i]) != 0)
			namelist_add(out, all.v[i]);
	namelist_free(&all);
}

/* Every CertificateId either list holds, once. */
void keys_store_ids(const void *was, const void *now, struct namelist *out)
{
	const struct cas_certs *w = was, *c = now;
	size_t n = (w ? w->n : 0) + (c ? c->n : 0), k = 0;
	int64_t *ids = cas_xcalloc(n + 1, sizeof(*ids));
	for (size_t i = 0; w && i < w->n; i++)
		ids[k++] = w->v[i].id;
	for (size_t i = 0; c && i < c->n; i++)
		ids[k++] = c->v[i].id;
	qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < n; i++)
		if (!i || ids[i - 1] != ids[i]) {
			char b[24];
			snprintf(b, sizeof(b), "%lld", (long long)ids[i]);
			namelist_add(out, b);
		}
	free(ids);
}

/* ---- the certificate directories -------------------------------------- */

int list_store_certs(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		     struct cas_error *e)
{
	(void)k;
	(void)dir;
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < nm->certs->n; i++)
		if (!store_staging(fs, nm->dir[nm->order[i]]))
			namelist_add(out, nm->dir[nm->order[i]]);
	struct namelist al = { 0 };
	store_aliases(fs, &al);
	for (size_t i = 0; i < al.n; i++)
		if (!store_names_cert(nm, al.v[i]) && cas_certs_find(nm->certs, store_alias(fs, al.v[i])))
			namelist_add(out, al.v[i]);
	namelist_free(&al);
	cas_obj_unref(nm);
	return 0;
}

int exists_store_cert(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		      struct cas_error *e)
{
	(void)k;
	(void)p;
	struct store_names *nm;
	const struct cas_store_cert *c;
	if (store_staging(fs, name))
		return 0;
	int rc = cert_of(fs, name, &nm, &c, e);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	cas_obj_unref(nm);
	return 1;
}

/* key.pem: with -o keys, when the service holds the key (ExistPrivateKey) */
int exists_store_key(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		     struct cas_error *e)
{
	(void)k;
	(void)name;
	if (!fs->o.keys)
		return 0;
	struct store_names *nm;
	const struct cas_store_cert *c;
	int rc = cert_of(fs, p->id, &nm, &c, e);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	int has = c->has_key;
	cas_obj_unref(nm);
	return has;
}

/* ---- views ------------------------------------------------------------ */

int list_store_ids(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		   struct cas_error *e)
{
	(void)k;
	(void)dir;
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	/* in directory order, so the listing is stable as the names are */
	for (size_t i = 0; i < nm->certs->n; i++) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)nm->certs->v[nm->order[i]].id);
		namelist_add(out, id);
	}
	cas_obj_unref(nm);
	return 0;
}

static int64_t parse_id(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	return *s && *s != '0' && !*end && v > 0 ? v : 0;
}

int exists_store_id(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		    struct cas_error *e)
{
	(void)k;
	(void)p;
	int64_t id = parse_id(name);
	if (!id)
		return 0;
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	int found = cas_certs_find(nm->certs, id) != NULL;
	cas_obj_unref(nm);
	return found;
}

static const struct window {
	const char *name;
	int days; /* 0: already expired */
} windows[] = { { "expired", 0 }, { "7d", 7 }, { "30d", 30 }, { "90d", 90 } };
#define NWINDOWS (sizeof(windows) / sizeof(windows[0]))

static const struct window *window_named(const char *name)
{
	for (size_t i = 0; i < NWINDOWS; i++)
		if (strcmp(windows[i].name, name) == 0)
			return &windows[i];
	return NULL;
}

/* "Now" is the service's clock when the list was fetched, as by-expiry/. */
static int in_window(const struct window *w, const struct cas_store_cert *c, int64_t now)
{
	if (c->not_after <= 0)
		return 0;
	if (!w->days)
		return c->not_after <= now;
	return c->not_after > now && c->not_after <= now + w->days * DAY_MS;
}

static int list_in(struct casfs *fs, const struct window *w, struct namelist *out, struct cas_error *e)
{
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	for (size_t k = 0; w && k < nm->certs->n; k++) {
		size_t i = nm->order[k];
		if (in_window(w, &nm->certs->v[i], nm->certs->as_of_ms))
			namelist_add(out, nm->dir[i]);
	}
	cas_obj_unref(nm);
	return 0;
}

static int exists_in(struct casfs *fs, const struct window *w, const char *name, struct cas_error *e)
{
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	const struct cas_store_cert *c = store_names_cert(nm, name);
	int found = w && c && in_window(w, c, nm->certs->as_of_ms);
	cas_obj_unref(nm);
	return found;
}

/* by-expiry/'s windows (fixed; what they hold moves with either list). */
void keys_store_windows(const void *was, const void *now, struct namelist *out)
{
	(void)was;
	(void)now;
	for (size_t i = 0; i < NWINDOWS; i++)
		namelist_add(out, windows[i].name);
}

int list_store_expired(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		       struct cas_error *e)
{
	(void)k;
	(void)dir;
	return list_in(fs, &windows[0], out, e);
}

int exists_store_expired(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			 struct cas_error *e)
{
	(void)k;
	(void)p;
	return exists_in(fs, &windows[0], name, e);
}

int list_store_windows(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		       struct cas_error *e)
{
	(void)fs;
	(void)k;
	(void)dir;
	(void)e;
	for (size_t i = 0; i < NWINDOWS; i++)
		namelist_add(out, windows[i].name);
	return 0;
}

int exists_store_window(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			struct cas_error *e)
{
	(void)fs;
	(void)k;
	(void)p;
	(void)e;
	return window_named(name) != NULL;
}

int list_store_window_links(struct casfs *fs, const struct node_kind *k, const struct node *dir,
			    struct namelist *out, struct cas_error *e)
{
	(void)k;
	return list_in(fs, window_named(dir->id), out, e);
}

int exists_store_window_link(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
			     struct cas_error *e)
{
	(void)k;
	return exists_in(fs, window_named(p->id), name, e);
}

/* ---- contents --------------------------------------------------------- */

static void iso8601(struct cas_buf *b, int64_t ms)
{
	if (ms > 0) /* unset: an empty file */
		add_iso8601(b, ms);
}

static void add_str(struct cas_buf *b, const char *s)
{
	if (s)
		cas_buf_adds(b, s);
}

/* One-value files: the row's name selects the field. */
int render_store_value(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct store_names *nm;
	const struct cas_store_cert *c;
	int rc = cert_of(fs, n->id, &nm, &c, e);
	if (rc)
		return rc;
	const char *f = node_kind(n)->name;
	struct cas_buf b = CAS_BUF_INIT;
	if (strcmp(f, "id") == 0)
		cas_buf_addf(&b, "%lld", (long long)c->id);
	else if (strcmp(f, "name") == 0)
		add_str(&b, c->name);
	else if (strcmp(f, "not_before") == 0)
		iso8601(&b, c->not_before);
	else if (strcmp(f, "not_after") == 0)
		iso8601(&b, c->not_after);
	else if (strcmp(f, "fingerprint") == 0)
		add_str(&b, c->fingerprint);
	else if (strcmp(f, "cert_identifier") == 0)
		add_str(&b, c->ident);
	if (strcmp(f, "in_use") == 0) {
		for (size_t i = 0; i < c->nusing; i++) {
			cas_buf_adds(&b, c->using[i]);
			cas_buf_addc(&b, '\n');
		}
	} else {
		cas_buf_addc(&b, '\n');
	}
	*out = snap_new(b.p ? b.p : "", b.len);
	cas_buf_free(&b);
	cas_obj_unref(nm);
	return 0;
}

static cJSON *strings(char **v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

/* What the listing says of one certificate, on the wire's names, plus the
 * directory casfs shows it as. */
static cJSON *info_of(const struct cas_store_cert *c, const char *dir)
{
	cJSON *o = cJSON_CreateObject();
	struct {
		const char *k, *v;
	} s[] = { { "Algorithm", c->algorithm },	  { "CertIdentifier", c->ident },
		  { "CertificateName", c->name },	  { "CertificateSource", c->source },
		  { "CertificateStatus", c->status },	  { "CommonName", c->common_name },
		  { "FingerPrint", c->fingerprint },	  { "InstanceId", c->instance_id },
		  { "Issuer", c->issuer },		  { "Serial", c->serial },
		  { "Directory", dir } };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].v)
			cJSON_AddStringToObject(o, s[i].k, s[i].v);
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	cJSON_AddStringToObject(o, "CertificateId", id);
	cJSON_AddBoolToObject(o, "ExistPrivateKey", c->has_key);
	cJSON_AddNumberToObject(o, "NotBefore", (double)c->not_before);
	cJSON_AddNumberToObject(o, "NotAfter", (double)c->not_after);
	cJSON_AddItemToObject(o, "SubjectAlternativeNames", strings(c->sans, c->nsans));
	cJSON_AddItemToObject(o, "UsingProductList", strings(c->using, c->nusing));
	return o;
}

int render_store_info(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct store_names *nm;
	const struct cas_store_cert *c;
	int rc = cert_of(fs, n->id, &nm, &c, e);
	if (rc)
		return rc;
	cJSON *o = info_of(c, n->id);
	struct cas_buf b = CAS_BUF_INIT;
	cas_canon_render(&b, o);
	cJSON_Delete(o);
	*out = snap_new(b.p, b.len);
	cas_buf_free(&b);
	cas_obj_unref(nm);
	return 0;
}

int render_store_jsonl(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)n;
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	struct cas_buf b = CAS_BUF_INIT;
	for (size_t k = 0; k < nm->certs->n; k++) {
		size_t i = nm->order[k];
		cJSON *o = info_of(&nm->certs->v[i], nm->dir[i]);
		cas_canon_render_line(&b, o);
		cJSON_Delete(o);
	}
	*out = snap_new(b.p ? b.p : "", b.len);
	cas_buf_free(&b);
	cas_obj_unref(nm);
	return 0;
}

/* by-id/<id> -> ../<dir>; expired/<dir> -> ../<dir>; by-expiry/<w>/<dir> -> ../../<dir> */
int render_store_link(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	/* the row's target (a certificate directory) spells the path; a by-id
	 * link's own name is the CertificateId, so its last component is the
	 * directory that id has now */
	char *t = node_link_target(n);
	int64_t id = parse_id(n->id);
	const char *dir = n->type == T_SC_ID_LINK && id ? store_names_dir(nm, id) : NULL;
	if (dir) {
		char *slash = strrchr(t, '/');
		char *u = cas_xasprintf("%.*s%s", slash ? (int)(slash - t + 1) : 0, t, dir);
		free(t);
		t = u;
	}
	*out = snap_new(t, strlen(t));
	free(t);
	cas_obj_unref(nm);
	return 0;
}

/* cert.pem, chain.pem, fullchain.pem, key.pem: from the cached
 * GetUserCertificateDetail of the CertificateId, zero-copy (the key lives
 * in that object only, wiped with it; key.pem's content hash comes from
 * the leaf, never from the key). */
int render_store_pem(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	struct store_names *nm;
	const struct cas_store_cert *sc;
	int rc = cert_of(fs, n->id, &nm, &sc, e);
	if (rc)
		return rc;
	char cid[24];
	snprintf(cid, sizeof(cid), "%lld", (long long)sc->id);
	cas_obj_unref(nm);
	const char *f = node_kind(n)->name;
	enum cert_part part = strcmp(f, "cert.pem") == 0    ? PEM_LEAF
			      : strcmp(f, "chain.pem") == 0 ? PEM_CHAIN
			      : strcmp(f, "key.pem") == 0   ? PEM_KEY
							    : PEM_FULLCHAIN;
	return render_cert_pem(fs, cid, part, out, e);
}
