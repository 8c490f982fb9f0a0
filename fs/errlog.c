/* errlog: recent failures and their logging (see errlog.h). */
#include "errlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "canon.h"
#include "log.h"
#include "nodes.h"

struct rec {
	struct timespec when;
	char path[sizeof(((struct node *)0)->path)]; /* any node's path whole */
	int err;
	struct cas_error e;
};

struct errlog {
	pthread_mutex_t mu;
	struct rec r[ERRLOG_CAP];
	unsigned long total;
};

struct errlog *errlog_new(void)
{
	struct errlog *l = cas_xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	return l;
}

void errlog_free(struct errlog *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

unsigned long errlog_total(struct errlog *l)
{
	pthread_mutex_lock(&l->mu);
	unsigned long n = l->total;
	pthread_mutex_unlock(&l->mu);
	return n;
}

/* Copies src into dst[cap]; a longer one is cut before the UTF-8
 * character the cut would split (the record stays valid JSON text). */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void fs_fail(struct casfs *fs, const char *path, int rc, const struct cas_error *e)
{
	struct rec r;
	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_REALTIME, &r.when);
	copy_cut(r.path, sizeof(r.path), path);
	r.err = rc < 0 ? -rc : rc;
	if (e)
		r.e = *e;
	if (e && e->ambiguous)
		atomic_fetch_add(&fs->st.outcome_unknown, 1);
	if (!r.e.message[0])
		snprintf(r.e.message, sizeof(r.e.message), "%s", strerror(r.err));
	char line[900];
	cas_error_format(&r.e, line, sizeof(line));
	cas_err("%s: %s (%s)", path, line, strerror(r.err));
	struct errlog *l = fs->errors;
	pthread_mutex_lock(&l->mu);
	l->r[l->total % ERRLOG_CAP] = r;
	l->total++;
	pthread_mutex_unlock(&l->mu);
}

void fs_fail_read(struct casfs *fs, const char *path, int rc, const struct cas_error *e)
{
	if (rc == -ENOENT && (!e || !e->http_status || e->from_cache))
		return;
	if (rc == -ENOTDIR || rc == -ENAMETOOLONG)
		return;
	fs_fail(fs, path, rc, e);
}

int fs_refuse(struct casfs *fs, const char *path, int err, const char *why)
{
	return fs_refuse_as(fs, path, err, "", why);
}

int fs_refuse_as(struct casfs *fs, const char *path, int err, const char *action, const char *why)
{
	struct cas_error e;
	cas_error_clear(&e);
	cas_error_action(&e, action);
	/* a refusal that is about writing says why: the mount is read-only; casfs's
	 * own access check (EACCES) and EXDEV are answers of their own */
	if (fs->o.ro && err != EXDEV && err != EACCES) {
		err = EROFS;
		why = "mounted with -o ro";
	}
	cas_error_set(&e, err, err == EROFS ? "Local.ReadOnly" : "Local.NotAllowed", "%s", why);
	fs_fail(fs, path, -err, &e);
	return -err;
}

void errlog_render(struct errlog *l, struct cas_buf *out)
{
	pthread_mutex_lock(&l->mu);
	unsigned long first = l->total > ERRLOG_CAP ? l->total - ERRLOG_CAP : 0;
	for (unsigned long i = first; i < l->total; i++) {
		const struct rec *r = &l->r[i % ERRLOG_CAP];
		struct tm tm;
		gmtime_r(&r->when.tv_sec, &tm);
		char t[64];
		snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, r->when.tv_nsec / 1000000);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "time", t);
		cJSON_AddStringToObject(o, "path", r->path);
		cJSON_AddStringToObject(o, "action", r->e.action);
		cJSON_AddStringToObject(o, "errno", strerrorname_np(r->err) ? strerrorname_np(r->err) : "?");
		if (r->e.http_status)
			cJSON_AddNumberToObject(o, "http_status", r->e.http_status);
		else
			cJSON_AddNullToObject(o, "http_status");
		cJSON_AddStringToObject(o, "code", r->e.code);
		cJSON_AddStringToObject(o, "message", r->e.message);
		cJSON_AddStringToObject(o, "request_id", r->e.request_id);
		char *s = cJSON_PrintUnformatted(o);
		cas_buf_adds(out, s);
		cas_buf_addc(out, '\n');
		free(s);
		cJSON_Delete(o);
	}
	pthread_mutex_unlock(&l->mu);
}
