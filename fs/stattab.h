/* stattab: the mount's own figures as ONE table (name, help, type, getter),
 * from which both .cas/stats (JSON, grouped) and the health part of
 * .cas/metrics.prom (Prometheus text format) are rendered, so the two
 * never disagree and a new figure is one row. */
#ifndef CASFS_STATTAB_H
#define CASFS_STATTAB_H

#include <cjson/cJSON.h>

#include "buf.h"
#include "casfs.h"

/* Fills root (an object) with every row that has a JSON key. */
void stattab_json(struct casfs *fs, cJSON *root);
/* Appends every row that has a metric name, with # HELP and # TYPE. */
void stattab_prom(struct casfs *fs, struct cas_buf *b);
/* One Prometheus label value, escaped (\\, \", \n; bytes of invalid UTF-8 as '?'). */
void prom_label(struct cas_buf *b, const char *s);
/* One # HELP / # TYPE header. */
void prom_header(struct cas_buf *b, const char *name, const char *help, const char *type);

#endif
