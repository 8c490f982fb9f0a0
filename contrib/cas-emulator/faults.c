/* faults: parsing, drawing and body mangling of injected faults (see faults.h). */
#include "faults.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cas.h"
#include "rng.h"

struct item {
	enum emu_fault kind;
	double rate;
	char action[48];   /* "" = every action */
	long count;        /* -1 = unlimited */
	long ms;           /* the :MS of 429, throttle, stall, slow; -1 = none */
	long fired;
};

struct emu_faults {
	pthread_mutex_t mu;
	uint64_t seed;
	struct emu_rng rng;
	char *spec;
	struct item *items;
	size_t n;
};

static const char *const names[] = { [EMU_FAULT_500] = "500",	      [EMU_FAULT_503] = "503",
				     [EMU_FAULT_429] = "429", [EMU_FAULT_403] = "403",	      [EMU_FAULT_RESET] = "reset",
				     [EMU_FAULT_STALL] = "stall",     [EMU_FAULT_MALFORMED] = "malformed",
				     [EMU_FAULT_BADTOTAL] = "badtotal", [EMU_FAULT_WRONGTYPE] = "wrongtype",
				     [EMU_FAULT_THROTTLE] = "throttle", [EMU_FAULT_SLOW] = "slow" };

/* the kinds that take a :MS (a hold or a retry-after) */
static int takes_ms(enum emu_fault k)
{
	return k == EMU_FAULT_429 || k == EMU_FAULT_THROTTLE || k == EMU_FAULT_STALL || k == EMU_FAULT_SLOW;
}

const char *emu_fault_name(enum emu_fault k)
{
	return k > EMU_FAULT_NONE && k <= EMU_FAULT_LAST ? names[k] : NULL;
}

struct emu_faults *emu_faults_new(uint64_t seed)
{
	struct emu_faults *f = cas_xcalloc(1, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->seed = seed;
	emu_rng_seed(&f->rng, seed, 0xFA017ULL);
	f->spec = cas_xstrdup("");
	return f;
}

void emu_faults_free(struct emu_faults *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->mu);
	free(f->items);
	free(f->spec);
	free(f);
}

static int is_list_action(const char *a)
{
	return strcmp(a, "ListInstances") == 0 || strcmp(a, "ListCloudAccess") == 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static int parse_item(char *text, struct item *it, char *err, size_t errlen)
{
	memset(it, 0, sizeof(*it));
	it->count = -1;
	it->ms = -1;
	char *eq = strchr(text, '=');
	if (!eq) {
		snprintf(err, errlen, "fault item \"%.40s\" is not KIND[:MS]=RATE[@Action][#COUNT]", text);
		return -1;
	}
	*eq = '\0';
	char *end = NULL, *colon = strchr(text, ':');
	if (colon)
		*colon++ = '\0';
	char *kind = trim(text), *rest = eq + 1;
	for (int k = EMU_FAULT_500; k <= EMU_FAULT_LAST; k++)
		if (strcmp(kind, names[k]) == 0)
			it->kind = (enum emu_fault)k;
	if (!it->kind) {
		snprintf(err, errlen, "unknown fault kind \"%.20s\" (500, 503, 429, 403, throttle, reset, stall, slow, "
				      "malformed, badtotal, wrongtype)", kind);
		return -1;
	}
	if (colon) {
		it->ms = strtol(trim(colon), &end, 10);
		if (!takes_ms(it->kind) || !*trim(colon) || *end || it->ms < 0 || it->ms > 86400000) {
			snprintf(err, errlen, "\":%.20s\": only 429, throttle, stall and slow take :MS (0..86400000)", colon);
			return -1;
		}
	}
	char *hash = strchr(rest, '#'), *at = strchr(rest, '@');
	if (hash)
		*hash++ = '\0';
	if (at)
		*at++ = '\0';
	it->rate = strtod(trim(rest), &end);
	if (!*trim(rest) || *end || !(it->rate >= 0.0 && it->rate <= 1.0)) {
		snprintf(err, errlen, "fault rate \"%.20s\" must be a number in [0,1]", rest);
		return -1;
	}
	if (hash) {
		it->count = strtol(trim(hash), &end, 10);
		if (!*trim(hash) || *end || it->count < 0) {
			snprintf(err, errlen, "fault count \"%.20s\" must be a non-negative integer", hash);
			return -1;
		}
	}
	if (at) {
		char *a = trim(at);
		if (cas_action_by_name(a) < 0) {
			snprintf(err, errlen, "unknown action \"%.40s\" in fault item", a);
			return -1;
		}
		snprintf(it->action, sizeof(it->action), "%s", a);
		if (it->kind == EMU_FAULT_BADTOTAL && !is_list_action(a)) {
			snprintf(err, errlen, "badtotal applies only to ListInstances and ListCloudAccess");
			return -1;
		}
	}
	return 0;
}

int emu_faults_set(struct emu_faults *f, const char *spec, char *err, size_t errlen)
{
	char *copy = cas_xstrdup(spec ? spec : "");
	struct item *items = NULL;
	size_t n = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ",\n", &save); tok; tok = strtok_r(NULL, ",\n", &save)) {
		if (!*trim(tok))
			continue;
		items = cas_xrealloc(items, (n + 1) * sizeof(*items));
		if (parse_item(tok, &items[n], err, errlen)) {
			free(items);
			free(copy);
			return -1;
		}
		n++;
	}
	free(copy);
	pthread_mutex_lock(&f->mu);
	free(f->items);
	free(f->spec);
	f->items = items;
	f->n = n;
	f->spec = cas_xstrdup(spec ? spec : "");
	emu_rng_seed(&f->rng, f->seed, 0xFA017ULL);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

enum emu_fault emu_faults_pick(struct emu_faults *f, const char *action, long *ms)
{
	enum emu_fault k = EMU_FAULT_NONE;
	*ms = -1;
	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->n && !k; i++) {
		struct item *it = &f->items[i];
		if ((it->action[0] && strcmp(it->action, action) != 0) || it->count == 0 ||
		    (it->kind == EMU_FAULT_BADTOTAL && !is_list_action(action)))
			continue;
		if (emu_rng_unit(&f->rng) < it->rate) {
			k = it->kind;
			*ms = it->ms;
			it->fired++;
			if (it->count > 0)
				it->count--;
		}
	}
	pthread_mutex_unlock(&f->mu);
	return k;
}

cJSON *emu_faults_json(struct emu_faults *f)
{
	cJSON *o = cJSON_CreateObject();
	pthread_mutex_lock(&f->mu);
	cJSON_AddStringToObject(o, "spec", f->spec);
	cJSON *a = cJSON_AddArrayToObject(o, "items");
	for (size_t i = 0; i < f->n; i++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "kind", names[f->items[i].kind]);
		cJSON_AddNumberToObject(e, "rate", f->items[i].rate);
		if (f->items[i].ms >= 0)
			cJSON_AddNumberToObject(e, "ms", (double)f->items[i].ms);
		if (f->items[i].action[0])
			cJSON_AddStringToObject(e, "action", f->items[i].action);
		else
			cJSON_AddNullToObject(e, "action");
		if (f->items[i].count >= 0)
			cJSON_AddNumberToObject(e, "remaining", (double)f->items[i].count);
		else
			cJSON_AddNullToObject(e, "remaining");
		cJSON_AddNumberToObject(e, "fired", (double)f->items[i].fired);
		cJSON_AddItemToArray(a, e);
	}
	pthread_mutex_unlock(&f->mu);
	return o;
}

/* Every value gets another JSON type: arrays become XML-style wrapper objects
 * ({"Item":[...]}), strings numbers, numbers strings, booleans strings. */
static cJSON *wrong(const cJSON *v)
{
	if (cJSON_IsArray(v)) {
		cJSON *o = cJSON_CreateObject(), *inner = cJSON_AddArrayToObject(o, "Item");
		const cJSON *e;
		cJSON_ArrayForEach(e, v) cJSON_AddItemToArray(inner, wrong(e));
		return o;
	}
	if (cJSON_IsObject(v)) {
		cJSON *o = cJSON_CreateObject();
		const cJSON *e;
		cJSON_ArrayForEach(e, v) cJSON_AddItemToObject(o, e->string, wrong(e));
		return o;
	}
	if (cJSON_IsString(v))
		return cJSON_CreateNumber((double)strlen(v->valuestring) * 1000 + 7);
	if (cJSON_IsNumber(v)) {
		char tmp[64];
		snprintf(tmp, sizeof(tmp), "%.17g", v->valuedouble);
		return cJSON_CreateString(tmp);
	}
	if (cJSON_IsBool(v))
		return cJSON_CreateString(cJSON_IsTrue(v) ? "true" : "false");
	return cJSON_CreateNumber(0);
}

void emu_fault_mangle(enum emu_fault k, cJSON *body)
{
	if (!cJSON_IsObject(body))
		return;
	if (k == EMU_FAULT_BADTOTAL) {
		/* raw, so that it prints as an integer rather than 1e+15 */
		cJSON *raw = cJSON_CreateRaw("1000000000000000");
		if (cJSON_GetObjectItemCaseSensitive(body, "TotalCount"))
			cJSON_ReplaceItemInObjectCaseSensitive(body, "TotalCount", raw);
		else
			cJSON_AddItemToObject(body, "TotalCount", raw);
	} else if (k == EMU_FAULT_WRONGTYPE) {
		for (cJSON *e = body->child, *next; e; e = next) {
			next = e->next;
			char *key = cas_xstrdup(e->string);
			cJSON_ReplaceItemInObjectCaseSensitive(body, key, wrong(e));
			free(key);
		}
	}
}
