/* fuzz_path: the path grammar (fs/nodes.h) on untrusted paths, over a
 * FUSE-less fake mount. Properties: a resolved node's path is the input
 * path (for normalised paths, which is what FUSE sends); resolving a child of a resolved directory agrees with resolving the
 * joined path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsfix.h"
#include "log.h"
#include "nodes.h"

static struct fake_fs *v;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!v) {
		cas_log_init("fuzz_path", 0, 0);
		v = fake_fs_new(4);
	}
	if (size > 300)
		return 0;
	char path[512];
	path[0] = '/';
	memcpy(path + 1, data, size);
	path[size + 1] = '\0';
	struct node n, c, j;
	struct cas_error e;
	if (node_resolve(&v->fs, path, &n, &e) != 0)
		return 0;
	/* FUSE sends normalised paths: for those the node is named exactly so */
	size_t pl = strlen(path);
	if (!strstr(path, "//") && (pl == 1 || path[pl - 1] != '/') && strcmp(n.path, path) != 0)
		abort();
	if (node_is_dir(&n)) {
		struct namelist kids = { 0 };
		if (node_children(&v->fs, &n, &kids, NULL, &e) == 0) {
			for (size_t i = 0; i < kids.n && i < 4; i++) {
				char joined[4096 + 256];
				snprintf(joined, sizeof(joined), "%s/%s", strcmp(path, "/") ? path : "", kids.v[i]);
				int a = node_child(&v->fs, &n, kids.v[i], &c, &e);
				int b = node_resolve(&v->fs, joined, &j, &e);
				if (a != b || (a == 0 && (c.type != j.type || c.ino != j.ino)))
					abort();
			}
		}
		namelist_free(&kids);
	}
	return 0;
}
