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

static void instance_free(struct cas_instance *i)
{
	free(i->json);
	free(i->id);
	free(i->name);
	free(i->domain);
	free(i->status);
	free(i->cert_status);
	free(i->auto_reissue);
	free(i->key_algorithm);
}

static void instances_destroy(struct cas_obj *o)
{
	struct cas_instances *l = (struct cas_instances *)o;
	for (size_t i = 0; i < l->n; i++)
		instance_free(&l->v[i]);
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

/* Sorts an array by key and drops every element whose key appears more than
 * once: a duplicated id is ambiguous, so no copy is trusted. Returns the new
 * count; drop() frees a dropped element. */
static size_t sort_drop_duplicates(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
				   const char *(*key)(const void *), void (*drop)(void *), const char *what)
{
	char *v = base;
	if (n > 1)
		qsort(v, n, size, cmp);
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		size_t k = i + 1;
		while (k < n && cmp(v + k * size, v + i * size) == 0)
			k++;
		if (k - i > 1) {
			cas_err("%s: id '%s' appears %zu times; skipped", what, key(v + i * size), k - i);
			for (size_t m = i; m < k; m++)
				drop(v + m * size);
		} else {
			if (j != i)
				memcpy(v + j * size, v + i * size, size);
			j++;
		}
		i = k;
	}
	return j;
}

static const char *inst_key(const void *p)
{
	return ((const struct cas_instance *)p)->id;
}

static void inst_drop(void *p)
{
	instance_free(p);
}

void cas_instances_sort_unique(struct cas_instances *l)
{
	size_t n = sort_drop_duplicates(l->v, l->n, sizeof(*l->v), inst_cmp, inst_key, inst_drop, "ListInstances");
	l->skipped += l->n - n;
	l->n = n;
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

void cas_entries_sort_unique(struct cas_entries *l)
{
	l->n = sort_drop_duplicates(l->v, l->n, sizeof(*l->v), entry_cmp, entry_key, entry_drop, "entry list");
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
