/* state: storage, indexing and dumping of the emulator's account (see
 * state.h). The business rules of the fifteen actions live in act_*.c
 * (act_store.c: the certificate store's four). */
#include "state.h"

#include "pki.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "data.h"
#include "pki.h"

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void index_put(struct emu_state *s, size_t pos)
{
	size_t mask = s->index_cap - 1;
	for (size_t i = hash_str(s->inst[pos].key) & mask;; i = (i + 1) & mask) {
		uint32_t v = s->index[i];
		if (!v) {
			s->index[i] = (uint32_t)(pos + 1);
			return;
		}
		if (strcmp(s->inst[v - 1].key, s->inst[pos].key) == 0)
			return; /* a duplicate id: the first one wins */
	}
}

static void reindex(struct emu_state *s)
{
	size_t want = 64;
	while (want < s->ninst * 2 + 2)
		want *= 2;
	if (want != s->index_cap) {
		free(s->index);
		s->index = cas_xcalloc(want, sizeof(*s->index));
		s->index_cap = want;
	} else {
		memset(s->index, 0, want * sizeof(*s->index));
	}
	for (size_t i = 0; i < s->ninst; i++)
		index_put(s, i);
}

ssize_t emu_state_find(const struct emu_state *s, const char *id)
{
	if (!id || !s->index_cap)
		return -1;
	size_t mask = s->index_cap - 1;
	for (size_t i = hash_str(id) & mask;; i = (i + 1) & mask) {
		uint32_t v = s->index[i];
		if (!v)
			return -1;
		if (strcmp(s->inst[v - 1].key, id) == 0)
			return (ssize_t)(v - 1);
	}
}

void emu_state_append(struct emu_state *s, const char *key, cJSON *obj)
{
	if (s->ninst == s->inst_cap) {
		s->inst_cap = s->inst_cap ? s->inst_cap * 2 : 64;
		s->inst = cas_xrealloc(s->inst, s->inst_cap * sizeof(*s->inst));
	}
	s->inst[s->ninst].key = cas_xstrdup(key);
	s->inst[s->ninst].obj = obj;
	s->ninst++;
	if (s->ninst * 2 + 2 > s->index_cap)
		reindex(s);
	else
		index_put(s, s->ninst - 1);
}

void emu_state_prepend(struct emu_state *s, const char *key, cJSON *obj)
{
	emu_state_append(s, key, obj);
	struct emu_inst last = s->inst[s->ninst - 1];
	memmove(&s->inst[1], &s->inst[0], (s->ninst - 1) * sizeof(*s->inst));
	s->inst[0] = last;
	reindex(s);
}

void emu_state_remove(struct emu_state *s, size_t pos)
{
	free(s->inst[pos].key);
	cJSON_Delete(s->inst[pos].obj);
	memmove(&s->inst[pos], &s->inst[pos + 1], (s->ninst - pos - 1) * sizeof(*s->inst));
	s->ninst--;
	reindex(s);
}

void emu_state_rekey(struct emu_state *s, size_t pos, const char *key)
{
	if (strcmp(s->inst[pos].key, key) == 0)
		return;
	free(s->inst[pos].key);
	s->inst[pos].key = cas_xstrdup(key);
	reindex(s);
}

static void access_append(struct emu_state *s, cJSON *obj, int64_t id, const char *hash)
{
	if (s->nacc == s->acc_cap) {
		s->acc_cap = s->acc_cap ? s->acc_cap * 2 : 16;
		s->acc = cas_xrealloc(s->acc, s->acc_cap * sizeof(*s->acc));
	}
	struct emu_access *a = &s->acc[s->nacc++];
	a->id = id;
	a->obj = obj;
	memcpy(a->secret_hash, hash, 65);
}

ssize_t emu_access_find(const struct emu_state *s, int64_t id)
{
	for (size_t i = 0; i < s->nacc; i++)
		if (s->acc[i].id == id)
			return (ssize_t)i;
	return -1;
}

void emu_access_add(struct emu_state *s, const char *cloud, const char *secret_id, const char *secret_key)
{
	char hash[65];
	cas_sha256_hex(secret_key, strlen(secret_key), hash);
	int64_t id = s->next_access_id++;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "AccessId", (double)id);
	cJSON_AddStringToObject(o, "CloudName", cloud);
	cJSON_AddStringToObject(o, "SecretId", secret_id);
	cJSON_AddStringToObject(o, "ServiceStatus", "normal");
	access_append(s, o, id, hash);
}

void emu_access_remove(struct emu_state *s, size_t pos)
{
	cJSON_Delete(s->acc[pos].obj);
	memmove(&s->acc[pos], &s->acc[pos + 1], (s->nacc - pos - 1) * sizeof(*s->acc));
	s->nacc--;
}

int emu_token_seen(struct emu_state *s, const char *token, int64_t now_ms)
{
	const int64_t day = 86400000LL;
	size_t j = 0;
	int seen = 0;
	for (size_t i = 0; i < s->ntokens; i++) {
		if (now_ms - s->tokens[i].time_ms > day) {
			free(s->tokens[i].token);
			continue;
		}
		if (strcmp(s->tokens[i].token, token) == 0)
			seen = 1;
		s->tokens[j++] = s->tokens[i];
	}
	s->ntokens = j;
	return seen;
}

void emu_token_add(struct emu_state *s, const char *token, int64_t now_ms)
{
	if (s->ntokens == s->tokens_cap) {
		s->tokens_cap = s->tokens_cap ? s->tokens_cap * 2 : 16;
		s->tokens = cas_xrealloc(s->tokens, s->tokens_cap * sizeof(*s->tokens));
	}
	s->tokens[s->ntokens].token = cas_xstrdup(token);
	s->tokens[s->ntokens].time_ms = now_ms;
	s->ntokens++;
}

void emu_state_init(struct emu_state *s, const struct emu_opts *o)
{
	memset(s, 0, sizeof(*s));
	pthread_rwlock_init(&s->lock, NULL);
	s->seed = o->seed;
	emu_pki_init(o->seed);
	emu_listing_init(&s->listing, o->page_cap);
	int64_t now = emu_real_ms();
	for (long i = 0; i < o->instances; i++) {
		cJSON *obj = emu_gen_instance(o->seed, i, now);
		const char *id = cJSON_GetObjectItem(obj, "InstanceId")->valuestring;
		if (emu_state_find(s, id) >= 0) { /* astronomically unlikely; keep ids unique */
			char *alt = cas_xasprintf("%s%ld", id, i);
			emu_json_set_str(obj, "InstanceId", alt);
			free(alt);
			id = cJSON_GetObjectItem(obj, "InstanceId")->valuestring;
		}
		emu_state_append(s, id, obj);
	}
	s->next_access_id = 100000 + (int64_t)(o->seed % 1000) * 100;
	for (long i = 0; i < o->cloud_access; i++) {
		char hash[65];
		int64_t id = s->next_access_id++;
		access_append(s, emu_gen_cloud_access(o->seed, i, id, hash), id, hash);
	}
	s->cas = cJSON_CreateArray();
	s->store = cJSON_CreateArray();
	s->next_cert_id = 21000000000LL + (int64_t)(o->seed % 1000) * 1000; /* above 2^32: an int32 would truncate */
	for (long i = 0; i < o->private_ca; i++)
		cJSON_AddItemToArray(s->cas, emu_gen_private_ca(o->seed, i, now));
}

void emu_state_free(struct emu_state *s)
{
	for (size_t i = 0; i < s->ninst; i++) {
		free(s->inst[i].key);
		cJSON_Delete(s->inst[i].obj);
	}
	free(s->inst);
	free(s->index);
	for (size_t i = 0; i < s->nacc; i++)
		cJSON_Delete(s->acc[i].obj);
	free(s->acc);
	cJSON_Delete(s->cas);
	cJSON_Delete(s->store);
	emu_listing_free(&s->listing);
	for (size_t i = 0; i < s->ntokens; i++)
		free(s->tokens[i].token);
	free(s->tokens);
	pthread_rwlock_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

cJSON *emu_state_dump(struct emu_state *s)
{
	cJSON *d = cJSON_CreateObject();
	pthread_rwlock_rdlock(&s->lock);
	cJSON *inst = cJSON_AddArrayToObject(d, "instances");
	for (size_t i = 0; i < s->ninst; i++)
		cJSON_AddItemToArray(inst, cJSON_Duplicate(s->inst[i].obj, 1));
	cJSON *acc = cJSON_AddArrayToObject(d, "cloud_access");
	for (size_t i = 0; i < s->nacc; i++)
		cJSON_AddItemToArray(acc, cJSON_Duplicate(s->acc[i].obj, 1));
	cJSON_AddItemToObject(d, "private_cas", cJSON_Duplicate(s->cas, 1));
	cJSON *store = cJSON_AddArrayToObject(d, "store"); /* uploaded certificates, without the key */
	for (const cJSON *e = s->store->child; e; e = e->next) {
		cJSON *c = cJSON_Duplicate(e, 1);
		cJSON_DeleteItemFromObjectCaseSensitive(c, "Key");
		cJSON_AddItemToArray(store, c);
	}
	cJSON_AddNumberToObject(d, "next_access_id", (double)s->next_access_id);
	pthread_rwlock_unlock(&s->lock);
	cJSON *c = cJSON_AddObjectToObject(d, "counters");
	for (int i = 0; i < CAS_NACTIONS; i++)
		cJSON_AddNumberToObject(c, cas_actions[i].name, (double)atomic_load(&s->calls[i]));
	cJSON_AddNumberToObject(c, "requests", (double)atomic_load(&s->requests));
	cJSON_AddNumberToObject(c, "auth_failures", (double)atomic_load(&s->auth_failures));
	cJSON_AddNumberToObject(c, "throttled", (double)atomic_load(&s->throttled));
	cJSON_AddNumberToObject(c, "faults", (double)atomic_load(&s->faults_fired));
	cJSON_AddNumberToObject(d, "clock_offset_ms", (double)emu_clock_offset());
	cJSON_AddNumberToObject(d, "now_ms", (double)emu_now_ms());
	return d;
}

void emu_state_drift(struct emu_state *s, int64_t page)
{
	struct emu_drift d;
	if (!emu_listing_drift_due(&s->listing, page, &d))
		return;
	pthread_rwlock_wrlock(&s->lock);
	for (long i = 0; i < d.del && s->ninst; i++)
		emu_state_remove(s, 0);
	for (long i = 0; i < d.add; i++) {
		long idx = 1000000 + s->created++;
		cJSON *obj = emu_gen_instance(s->seed ^ 0x5DEECE66DULL, idx, emu_now_ms());
		char *id = cas_xasprintf("cas-cn-drift%06ld", idx - 1000000);
		emu_json_set_str(obj, "InstanceId", id);
		emu_state_prepend(s, id, obj);
		free(id);
	}
	/* the last instance to the front: TotalCount stays, every entry before
	 * its old place moves one place later (across page boundaries) */
	for (long i = 0; i < d.move && s->ninst > 1; i++) {
		struct emu_inst last = s->inst[s->ninst - 1];
		memmove(&s->inst[1], &s->inst[0], (s->ninst - 1) * sizeof(*s->inst));
		s->inst[0] = last;
		reindex(s);
	}
	pthread_rwlock_unlock(&s->lock);
}
