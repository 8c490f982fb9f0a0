/* decode: lenient field decoding shared by every response parser (see decode.h). */
#include "decode.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "log.h"

#define MAX_EXACT 9007199254740992.0 /* 2^53: larger doubles are not exact integers */

static int absent(const cJSON *v)
{
	return !v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring);
}

enum cas_dec cas_dec_int_value(const cJSON *v, int64_t *out)
{
	if (absent(v))
		return CAS_DEC_ABSENT;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d != floor(d) || fabs(d) > MAX_EXACT)
			return CAS_DEC_BAD;
		*out = (int64_t)d;
		return CAS_DEC_OK;
	}
	if (!cJSON_IsString(v))
		return CAS_DEC_BAD;
	const char *s = v->valuestring, *p = s + (*s == '-');
	if (!*p || strspn(p, "0123456789") != strlen(p) || strlen(p) > 16)
		return CAS_DEC_BAD;
	errno = 0;
	long long n = strtoll(s, NULL, 10);
	if (errno || (double)llabs(n) > MAX_EXACT)
		return CAS_DEC_BAD;
	*out = n;
	return CAS_DEC_OK;
}

enum cas_dec cas_dec_int(const cJSON *o, const char *k, int64_t *out)
{
	return cas_dec_int_value(cJSON_GetObjectItemCaseSensitive(o, k), out);
}

enum cas_dec cas_dec_str_value(const cJSON *v, char **out)
{
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return CAS_DEC_ABSENT;
	if (cJSON_IsString(v)) {
		*out = cas_xstrdup(v->valuestring);
	} else if (cJSON_IsBool(v)) {
		*out = cas_xstrdup(cJSON_IsTrue(v) ? "true" : "false");
	} else if (cJSON_IsNumber(v)) {
		*out = cJSON_PrintUnformatted(v); /* the number's own text form */
		if (!*out)
			return CAS_DEC_BAD;
	} else {
		return CAS_DEC_BAD;
	}
	return CAS_DEC_OK;
}

enum cas_dec cas_dec_str(const cJSON *o, const char *k, char **out)
{
	return cas_dec_str_value(cJSON_GetObjectItemCaseSensitive(o, k), out);
}

enum cas_dec cas_dec_note(struct cas_dec_tally *t, enum cas_dec r, const char *field, const char *entry)
{
	if (r == CAS_DEC_BAD && t) {
		if (!t->n++)
			snprintf(t->first, sizeof(t->first), "%s of %.100s", field, entry ? entry : "the response");
	}
	return r;
}

void cas_dec_report(const struct cas_dec_tally *t, const char *what)
{
	if (t->n)
		cas_warn("%s: %zu field%s of an unexpected JSON type shown as absent (first: %s)", what, t->n,
			 t->n == 1 ? "" : "s", t->first);
}

int cas_protocol_error(struct cas_error *e, const char *what, const cJSON *resp)
{
	const cJSON *rid = cJSON_GetObjectItemCaseSensitive(resp, "RequestId");
	int rc = cas_error_set(e, EPROTO, "Local.Response", "unexpected response: %s", what);
	if (cJSON_IsString(rid))
		snprintf(e->request_id, sizeof(e->request_id), "%s", rid->valuestring);
	return rc;
}
