/* namelist: a growable list of owned names (see namelist.h). */
#include "namelist.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void namelist_add(struct namelist *l, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = cas_xrealloc(l->v, l->cap * sizeof(char *));
	}
	l->v[l->n++] = cas_xstrdup(name);
}

void namelist_free(struct namelist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}
