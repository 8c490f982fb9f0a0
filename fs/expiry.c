/* expiry: by-expiry/<window>/<InstanceId> -> ../../instances/<InstanceId>,
 * computed from the cached list (CertificateNotAfter) at no extra call. The
 * windows nest: "7d" holds the certificates whose NotAfter is after now and
 * at most 7 days away, "30d" those at most 30 days away (the 7-day ones
 * included), "90d" likewise; "expired" holds NotAfter <= now and is apart
 * from the others. "Now" is the service's clock when the list was fetched
 * (its Date header), so the view is a pure function of the list snapshot:
 * it moves when the list is refreshed, like every other list-backed file.
 * The view's rows (tree.c) name the windows (expiry_window) and which
 * instances a window holds (expiry_holds); listing is generic. */
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

int expiry_holds(const char *group, const struct cas_instance *it, int64_t as_of_ms)
{
	const struct window *w = window_named(group);
	return w && in_window(w, it, as_of_ms);
}
