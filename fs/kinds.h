/* kinds: the per-kind functions that rows of the node table point to,
 * implemented in render.c (content), certfiles.c (certificates), expiry.c
 * (by-expiry), commit.c (writes and removals), control.c (the .cas
 * directory) and journal.c (.cas/journal). */
#ifndef CASFS_KINDS_H
#define CASFS_KINDS_H

#include "nodes.h"

int render_detail(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_config(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_value(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_tags(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_csr(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_empty(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_link(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_summary(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_entry(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_jsonl(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
/* certfiles.c */
int render_cert_file(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int exists_cert_file(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e);
/* expiry.c */
int list_windows(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e);
int exists_window(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e);
int list_expiry_links(struct casfs *fs, const struct node *dir, struct namelist *out, struct cas_error *e);
int exists_expiry_link(struct casfs *fs, const struct node *p, const char *name, struct cas_error *e);
/* The name of window i ("expired", "7d", ...), NULL past the last. */
const char *expiry_window(size_t i);
int render_stats(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_errors(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);
int render_journal(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e);

int commit_config(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_value(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_refund(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_access_new(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);
int commit_refresh(struct casfs *fs, const struct node *n, const char *data, size_t len, struct cas_error *e);

/* Drops every cache, the kernel's included, and logs why (.cas/refresh, going live). */
void control_refresh_all(struct casfs *fs, const char *why);

int remove_instance(struct casfs *fs, const struct node *n, struct cas_error *e);
int remove_access(struct casfs *fs, const struct node *n, struct cas_error *e);
int remove_scratch(struct casfs *fs, const struct node *n, struct cas_error *e);

#endif
