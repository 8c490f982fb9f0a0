/* snap: immutable per-open renderings of a file (see casfs.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "casfs.h"
#include "stamps.h"

static void snap_destroy(struct cas_obj *o)
{
	struct snap *s = (struct snap *)o;
	cas_obj_unref(s->owner);
	free(s);
}

struct snap *snap_new(const char *data, size_t len)
{
	struct snap *s = cas_xmalloc(sizeof(*s) + len + 1);
	cas_obj_init(&s->obj, snap_destroy);
	memcpy(s->inline_data, data, len);
	s->inline_data[len] = '\0';
	s->data = s->inline_data;
	s->len = len;
	s->owner = NULL;
	s->hash = cas_hash64(data, len);
	return s;
}

struct snap *snap_of_bytes(void *owner, const char *data, size_t len, uint64_t hash)
{
	struct snap *s = cas_xmalloc(sizeof(*s) + 1);
	cas_obj_init(&s->obj, snap_destroy);
	s->owner = cas_obj_ref(owner);
	s->data = data;
	s->len = len;
	s->hash = hash;
	return s;
}

struct snap *snap_of_doc(struct cas_doc *d)
{
	return snap_of_bytes(d, d->text, d->len, d->hash);
}
