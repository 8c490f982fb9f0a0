/* expiry: by-expiry/<window>/<InstanceId> -> ../../instances/<InstanceId>,
 * computed from the cached list (CertificateNotAfter) at no extra call. The
 * windows nest: "7d" holds the certificates whose NotAfter is after now and
 * at most 7 days away, "30d" those at most 30 days away (the 7-day ones
 * included), "90d" likewise; "expired" holds NotAfter <= now and is apart
 * from the others. "Now" is the service's clock when the list was fetched
 * (its Date header), so the view is a pure function of the list snapshot:
 * it moves when the list is refreshed, like every other list-backed file. */
#include <string.h>

#include "kinds.h"

#define DAY_MS 86400000LL

static const struct window {
	const char *name;
	int days; /* 0: already expired */
} windows[] = { { "expired", 0 }, { "7d", 7 }, { "30d", 30 }, { "90d", 90 } };

const char *expiry_window(size_t i)
{
	return i < sizeof(windows) / sizeof(windows[0]) ? windows[i].name : NULL;
}

static const struct window *window_named(const char *name)
{
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		if (strcmp(windows[i].name, name) == 0)
			return &windows[i];
	return NULL;
}

static int in_window(const struct window *w, const struct cas_instance *it, int64_t now)
{
	if (it->not_after <= 0)
		return 0; /* no certificate issued */
	if (!w->days)
		return it->not_after <= now;
	return it->not_after > now && it->not_after <= now + w->days * DAY_MS;
}

int list_windows(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		 struct cas_error *e)
{
	(void)fs;
	(void)k;
	(void)dir;
	(void)e;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
		namelist_add(out, windows[i].name);
	return 0;
}

int exists_window(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		  struct cas_error *e)
{
	(void)fs;
	(void)k;
	(void)p;
	(void)e;
	return window_named(name) != NULL;
}

int list_expiry_links(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		      struct cas_error *e)
{
	(void)k;
	const struct window *w = window_named(dir->id);
	struct cas_instances *l = NULL;
	int rc = fs->api->ops->list_instances(fs->api, NULL, &l, e);
	if (rc)
		return rc;
	for (size_t i = 0; w && i < l->n; i++)
		if (in_window(w, &l->v[i], l->as_of_ms))
			namelist_add(out, l->v[i].id);
	cas_obj_unref(l);
	return 0;
}

int exists_expiry_link(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		       struct cas_error *e)
{
	(void)k;
	const struct window *w = window_named(p->id);
	struct cas_instances *l = NULL;
	int rc = fs->api->ops->list_instances(fs->api, NULL, &l, e);
	if (rc)
		return rc;
	const struct cas_instance *it = cas_instances_find(l, name);
	int found = w && it && in_window(w, it, l->as_of_ms);
	cas_obj_unref(l);
	return found;
}
