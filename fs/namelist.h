/* namelist: a growable list of owned names (readdir results, scratch names). */
#ifndef CASFS_NAMELIST_H
#define CASFS_NAMELIST_H

#include <stddef.h>

struct namelist {
	char **v;            /* each name is owned by the list */
	size_t n, cap;
};

/* Appends a copy of name. */
void namelist_add(struct namelist *l, const char *name);
/* Frees every name and the array, and empties l (l itself is the caller's). */
void namelist_free(struct namelist *l);

#endif
