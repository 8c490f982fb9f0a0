/* model: reference-counted result objects (see model.h). */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "log.h"

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
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)text[i];
		h *= 1099511628211ULL;
	}
	d->hash = h;
	return d;
}

static void instance_free(struct cas_instance *i)
{
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

void cas_instances_sort_unique(struct cas_instances *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), inst_cmp);
	/* a duplicated id is ambiguous: drop every copy rather than guess */
	size_t j = 0;
	for (size_t i = 0; i < l->n;) {
		size_t k = i + 1;
		while (k < l->n && strcmp(l->v[k].id, l->v[i].id) == 0)
			k++;
		if (k - i > 1) {
			cas_err("ListInstances: instance id '%s' appears %zu times; skipped", l->v[i].id, k - i);
			for (size_t m = i; m < k; m++)
				instance_free(&l->v[m]);
			l->skipped += k - i;
		} else {
			l->v[j++] = l->v[i];
		}
		i = k;
	}
	l->n = j;
}

const struct cas_instance *cas_instances_find(const struct cas_instances *l, const char *id)
{
	struct cas_instance key = { .id = (char *)id };
	return l ? bsearch(&key, l->v, l->n, sizeof(*l->v), inst_cmp) : NULL;
}

static void entries_destroy(struct cas_obj *o)
{
	struct cas_entries *l = (struct cas_entries *)o;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].key);
		free(l->v[i].cloud_name);
		free(l->v[i].secret_id);
		cas_obj_unref(l->v[i].doc);
	}
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

void cas_entries_sort_unique(struct cas_entries *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), entry_cmp);
	size_t j = 0;
	for (size_t i = 0; i < l->n;) {
		size_t k = i + 1;
		while (k < l->n && strcmp(l->v[k].key, l->v[i].key) == 0)
			k++;
		if (k - i > 1) {
			cas_err("entry key '%s' appears %zu times; skipped", l->v[i].key, k - i);
			for (size_t m = i; m < k; m++) {
				free(l->v[m].key);
				free(l->v[m].cloud_name);
				free(l->v[m].secret_id);
				cas_obj_unref(l->v[m].doc);
			}
		} else {
			l->v[j++] = l->v[i];
		}
		i = k;
	}
	l->n = j;
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
