/* lineage: see lineage.h. */
#include "lineage.h"

#include <string.h>

#include "model.h"
#include "nodes.h"

void store_lineage(const char *name, char *buf, size_t n)
{
	size_t len = name ? strcspn(name, "~") : 0;
	if (len >= n)
		len = 0;
	memcpy(buf, name ? name : "", len);
	buf[len] = '\0';
	/* unsafe, hidden-looking, or one of the tree's own names: no lineage */
	if (!len || !cas_safe_name(buf) || buf[0] == '.' || node_name_claimed(T_STORE, buf))
		buf[0] = '\0';
}
