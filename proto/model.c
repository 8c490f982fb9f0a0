/* model: reference-counted result objects (see model.h). */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "canon.h"
#include "log.h"

uint64_t cas_hash64(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void cas_obj_init(struct cas_obj *o, void (*destroy)(struct cas_obj *))
{
	atomic_init(&o->ref, 1);
	o->destroy = destroy;
}

void *cas_obj_ref(void *p)
{
	struct cas_obj *o = p;
	if (o)
		atomic_fetch_add(&o->ref, 1);
	return p;
}

void cas_obj_unref(void *p)
{
	struct cas_obj *o = p;
	if (o && atomic_fetch_sub(&o->ref, 1) == 1)
		o->destroy(o);
}

static void doc_destroy(struct cas_obj *o)
{
	free(o);
}

struct cas_doc *cas_doc_new(const char *text, size_t len)
{
	struct cas_doc *d = cas_xmalloc(sizeof(*d) + len + 1);
	cas_obj_init(&d->obj, doc_destroy);
	d->len = len;
	memcpy(d->text, text, len);
	d->text[len] = '\0';
	d->hash = cas_hash64(text, len);
	return d;
}

static void cert_destroy(struct cas_obj *o)
{
	struct cas_cert *c = (struct cas_cert *)o;
	cas_secret_free(c->key, c->key_len);
	free(c->pem);
	free(c);
}

void cas_secret_free(char *s, size_t len)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, len);
	free(s);
}

struct cas_cert *cas_cert_new(char *pem, size_t pem_len, size_t leaf_len, char *key, size_t key_len)
{
	struct cas_cert *c = cas_xcalloc(1, sizeof(*c));
	cas_obj_init(&c->obj, cert_destroy);
	c->pem = pem;
	c->pem_len = pem_len;
	c->leaf_len = leaf_len;
	c->key = key;
	c->key_len = key_len;
	return c;
}

#define S(w, m) { w, offsetof(struct cas_instance, m) }
const struct cas_instance_str cas_instance_strs[] = {
	S("CertificateName", name),
	S("Domain", domain),
	S("Status", status),
	S("CertificateStatus", cert_status),
	S("AutoReissue", auto_reissue),
	S("KeyAlgorithm", key_algorithm),
	S("Brand", brand),
	S("CertificateType", cert_type),
};
#undef S
const size_t cas_instance_nstrs = sizeof(cas_instance_strs) / sizeof(cas_instance_strs[0]);

void cas_instance_clear(struct cas_instance *i)
{
	free(i->json);
	free(i->id);
	for (size_t k = 0; k < cas_instance_nstrs; k++)
		free(*(char **)((char *)i + cas_instance_strs[k].off));
	memset(i, 0, sizeof(*i));
}

static void instances_destroy(struct cas_obj *o)
{
	struct cas_instances *l = (struct cas_instances *)o;
	for (size_t i = 0; i < l->n; i++)
		cas_instance_clear(&l->v[i]);
	free(l->v);
	free(l);
}

struct cas_instances *cas_instances_new(void)
{
	struct cas_instances *l = cas_xcalloc(1, sizeof(*l));
	cas_obj_init(&l->obj, instances_destroy);
	return l;
}

static int inst_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cas_instance *)a)->id, ((const struct cas_instance *)b)->id);
}

struct keyed {
	const char *key;
	size_t pos;
};

static int keyed_cmp(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sorts an array by key; of the elements sharing a key, keeps the last one
 * (the newest answer: later pages and later fetches are appended later) and
 * frees the others with drop(). Returns the new count; *dropped is added to. */
static size_t sort_keep_newest(void *base, size_t n, size_t size, const char *(*key)(const void *),
			       void (*drop)(void *), size_t *dropped, const char *what)
{
	char *v = base;
	if (n < 2)
		return n;
	struct keyed *k = cas_xmalloc(n * sizeof(*k));
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){ key(v + i * size), i };
	qsort(k, n, sizeof(*k), keyed_cmp);
	char *out = cas_xmalloc(n * size);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(k[i].key, k[i + 1].key) == 0) {
			cas_warn("%s: id '%s' appears more than once; its newest entry is shown", what, k[i].key);
			drop(v + k[i].pos * size);
			(*dropped)++;
		} else {
			memcpy(out + j++ * size, v + k[i].pos * size, size);
		}
	}
	memcpy(v, out, j * size);
	free(out);
	free(k);
	return j;
}

/* Appends src's n elements of `size` bytes to *dst (count *dn). */
static void append_elems(void **dst, size_t *dn, void *src, size_t *sn, size_t size)
{
	*dst = cas_xrealloc(*dst, (*dn + *sn + 1) * size);
	memcpy((char *)*dst + *dn * size, src, *sn * size);
	*dn += *sn;
	*sn = 0; /* ownership moved */
}

static const char *inst_key(const void *p)
{
	return ((const struct cas_instance *)p)->id;
}

static void inst_drop(void *p)
{
	cas_instance_clear(p);
}

void cas_instances_sort_unique(struct cas_instances *l)
{
	l->n = sort_keep_newest(l->v, l->n, sizeof(*l->v), inst_key, inst_drop, &l->repeated, "ListInstances");
}

void cas_instances_append(struct cas_instances *dst, struct cas_instances *src)
{
	append_elems((void **)&dst->v, &dst->n, src->v, &src->n, sizeof(*src->v));
	dst->skipped += src->skipped;
	dst->repeated += src->repeated;
}

const struct cas_instance *cas_instances_find(const struct cas_instances *l, const char *id)
{
	struct cas_instance key = { .id = (char *)id };
	return l ? bsearch(&key, l->v, l->n, sizeof(*l->v), inst_cmp) : NULL;
}

static void entry_drop(void *p);

static void entries_destroy(struct cas_obj *o)
{
	struct cas_entries *l = (struct cas_entries *)o;
	for (size_t i = 0; i < l->n; i++)
		entry_drop(&l->v[i]);
	free(l->v);
	free(l);
}

struct cas_entries *cas_entries_new(void)
{
	struct cas_entries *l = cas_xcalloc(1, sizeof(*l));
	cas_obj_init(&l->obj, entries_destroy);
	return l;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cas_entry *)a)->key, ((const struct cas_entry *)b)->key);
}

static const char *entry_key(const void *p)
{
	return ((const struct cas_entry *)p)->key;
}

static void entry_drop(void *p)
{
	struct cas_entry *e = p;
	free(e->key);
	free(e->cloud_name);
	free(e->secret_id);
	cas_obj_unref(e->doc);
}

size_t cas_entries_sort_unique(struct cas_entries *l)
{
	size_t dropped = 0;
	l->n = sort_keep_newest(l->v, l->n, sizeof(*l->v), entry_key, entry_drop, &dropped, "entry list");
	return dropped;
}

void cas_entries_append(struct cas_entries *dst, struct cas_entries *src)
{
	append_elems((void **)&dst->v, &dst->n, src->v, &src->n, sizeof(*src->v));
}

const struct cas_entry *cas_entries_find(const struct cas_entries *l, const char *key)
{
	struct cas_entry k = { .key = (char *)key };
	return l ? bsearch(&k, l->v, l->n, sizeof(*l->v), entry_cmp) : NULL;
}

int cas_safe_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 255 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7F)
			return 0;
	return cas_utf8_clean(s);
}

void cas_store_cert_clear(struct cas_store_cert *x)
{
	char **strs[] = { &x->ident,  &x->name,	  &x->common_name, &x->fingerprint, &x->serial,
			  &x->issuer, &x->source, &x->status,	   &x->instance_id, &x->algorithm };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < x->nsans; i++)
		free(x->sans[i]);
	for (size_t i = 0; i < x->nusing; i++)
		free(x->using[i]);
	free(x->sans);
	free(x->using);
	memset(x, 0, sizeof(*x));
}

static void certs_destroy(struct cas_obj *o)
{
	struct cas_certs *l = (struct cas_certs *)o;
	for (size_t i = 0; i < l->n; i++)
		cas_store_cert_clear(&l->v[i]);
	free(l->v);
	free(l);
}

struct cas_certs *cas_certs_new(struct cas_store_cert *v, size_t n)
{
	struct cas_certs *l = cas_xcalloc(1, sizeof(*l));
	cas_obj_init(&l->obj, certs_destroy);
	l->v = v;
	l->n = n;
	return l;
}

const struct cas_store_cert *cas_certs_find(const struct cas_certs *l, int64_t id)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->v[i].id == id)
			return &l->v[i];
	return NULL;
}
