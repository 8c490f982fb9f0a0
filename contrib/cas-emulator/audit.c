/* audit: the JSON-lines request log (see audit.h). */
#include "audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "emu.h"

struct emu_audit {
	pthread_mutex_t mu;
	FILE *f;
};

static const char *const redacted[] = { "SecretKey", "Signature", "BearerToken", "SecurityToken" };

struct emu_audit *emu_audit_open(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "a");
	if (!f) {
		snprintf(err, errlen, "cannot open audit file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct emu_audit *a = cas_xcalloc(1, sizeof(*a));
	pthread_mutex_init(&a->mu, NULL);
	a->f = f;
	return a;
}

void emu_audit_close(struct emu_audit *a)
{
	if (!a)
		return;
	fclose(a->f);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static int is_redacted(const char *key)
{
	for (size_t i = 0; i < sizeof(redacted) / sizeof(redacted[0]); i++)
		if (strcmp(key, redacted[i]) == 0)
			return 1;
	return 0;
}

static cJSON *str_or_null(const char *s)
{
	if (!s)
		return cJSON_CreateNull();
	char *fixed = emu_utf8_fix(s);
	cJSON *v = cJSON_CreateString(fixed);
	free(fixed);
	return v;
}

void emu_audit_write(struct emu_audit *a, const struct emu_audit_rec *r)
{
	if (!a)
		return;
	char when[32];
	emu_iso8601_ms(r->time_ms, when);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddItemToObject(o, "action", str_or_null(r->action));
	cJSON *p = cJSON_AddObjectToObject(o, "params");
	for (size_t i = 0; r->params && i < r->params->n; i++) {
		const char *k = r->params->v[i].key;
		if (cJSON_GetObjectItemCaseSensitive(p, k))
			continue; /* a repeated key: the first value is the one the actions read */
		char *fk = emu_utf8_fix(k), *fv = emu_utf8_fix(is_redacted(k) ? "<redacted>" : r->params->v[i].val);
		cJSON_AddStringToObject(p, fk, fv);
		free(fk);
		free(fv);
	}
	cJSON_AddNumberToObject(o, "status", r->status);
	cJSON_AddItemToObject(o, "code", str_or_null(r->code));
	cJSON_AddStringToObject(o, "request_id", r->request_id ? r->request_id : "");
	cJSON_AddStringToObject(o, "auth", r->auth ? r->auth : "none");
	cJSON_AddItemToObject(o, "access_key_id", str_or_null(r->access_key_id));
	cJSON_AddBoolToObject(o, "applied", r->applied);
	cJSON_AddItemToObject(o, "fault", str_or_null(r->fault));
	char *line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	pthread_mutex_lock(&a->mu);
	fputs(line, a->f);
	fputc('\n', a->f);
	fflush(a->f);
	pthread_mutex_unlock(&a->mu);
	free(line);
}
