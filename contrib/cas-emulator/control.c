/* control: the unauthenticated, unthrottled /_emulator endpoints that tests
 * use to look at and change the state behind the client's back:
 *   GET    /_emulator/state            everything (no secrets) + counters
 *   GET    /_emulator/instances        the instance ids, in list order
 *   GET    /_emulator/instances/<id>   one stored instance object
 *   POST   /_emulator/instances/<id>   merge a JSON object into it (created with
 *                                      generated defaults if absent); values are
 *                                      stored as given, a string "InstanceId"
 *                                      becomes the id verbatim
 *   DELETE /_emulator/instances/<id>   remove it
 *   GET|POST /_emulator/clock          {"offset_ms": N} shifts "now"
 *   GET|POST|DELETE /_emulator/faults  the fault SPEC (body text; empty clears)
 *   GET|POST /_emulator/listing      page cap, lying TotalCount, drift (listing.h)
 *   POST   /_emulator/cloud-access/<AccessId>  merge a JSON object into the entry (values as given)
 *   POST   /_emulator/private-ca      append a GetCAInstanceStatus entry exactly as given
 *   GET    /_emulator/ca.pem           the root CA certificate (PEM) the leaves chain to
 *   /_emulator/store..., /_emulator/leaf  the certificate store (control_store.h)
 *   GET    /_emulator/health
 * <id> is percent-decoded from the raw path. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "canon.h"
#include "data.h"
#include "pki.h"
#include "control_store.h"
#include "server.h"

#define PREFIX "/_emulator/"

static char *json_out(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static char *error_out(const char *fmt, const char *detail)
{
	cJSON *o = cJSON_CreateObject();
	char *msg = cas_xasprintf(fmt, detail ? detail : "");
	char *fixed = emu_utf8_fix(msg);
	cJSON_AddStringToObject(o, "error", fixed);
	free(msg);
	free(fixed);
	return json_out(o);
}

static uint64_t id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return h;
}

static void merge_members(cJSON *obj, const cJSON *patch)
{
	for (const cJSON *e = patch->child; e; e = e->next)
		emu_json_set(obj, e->string, cJSON_Duplicate(e, 1));
}

/* A JSON object body, or NULL with the status and the error body set. */
static cJSON *object_body(const char *body, size_t len, int *status, char **out)
{
	cJSON *o = cas_json_parse(body ? body : "", len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		*out = error_out("the body must be a JSON object%s", "");
		*status = 400;
		return NULL;
	}
	return o;
}

/* POST cloud-access/<AccessId>: merge into that entry, values as given. */
static int merge_access(struct emu_server *s, const char *id, const char *body, size_t len, char **out)
{
	int status = 200;
	int64_t n;
	cJSON *patch = object_body(body, len, &status, out);
	if (!patch)
		return status;
	struct emu_state *st = &s->state;
	pthread_rwlock_wrlock(&st->lock);
	ssize_t pos = emu_parse_i64(id, &n) ? -1 : emu_access_find(st, n);
	if (pos < 0) {
		status = 404;
		*out = error_out("no cloud-access entry \"%.40s\"", id);
	} else {
		merge_members(st->acc[pos].obj, patch);
		*out = cJSON_PrintUnformatted(st->acc[pos].obj);
	}
	pthread_rwlock_unlock(&st->lock);
	cJSON_Delete(patch);
	return status;
}

/* POST private-ca: append an entry exactly as given. */
static int add_private_ca(struct emu_server *s, const char *body, size_t len, char **out)
{
	int status = 201;
	cJSON *o = object_body(body, len, &status, out);
	if (!o)
		return status;
	pthread_rwlock_wrlock(&s->state.lock);
	cJSON_AddItemToArray(s->state.cas, o);
	*out = cJSON_PrintUnformatted(o);
	pthread_rwlock_unlock(&s->state.lock);
	return status;
}

static int merge_instance(struct emu_server *s, const char *id, const char *body, size_t len, char **out)
{
	int status = 400;
	cJSON *patch = object_body(body, len, &status, out);
	if (!patch)
		return status;
	struct emu_state *st = &s->state;
	pthread_rwlock_wrlock(&st->lock);
	ssize_t pos = emu_state_find(st, id);
	int created = pos < 0;
	if (created) {
		cJSON *obj = emu_gen_instance(st->seed ^ id_hash(id), 1000000 + st->created++, emu_now_ms());
		emu_json_set_str(obj, "InstanceId", id);
		emu_state_append(st, id, obj);
		pos = (ssize_t)st->ninst - 1;
	}
	cJSON *obj = st->inst[pos].obj;
	merge_members(obj, patch);
	const char *new_id = emu_json_str(patch, "InstanceId");
	if (new_id)
		emu_state_rekey(st, (size_t)pos, new_id);
	*out = cJSON_PrintUnformatted(obj);
	pthread_rwlock_unlock(&st->lock);
	cJSON_Delete(patch);
	return created ? 201 : 200;
}

static int instance_route(struct emu_server *s, const char *method, const char *enc, const char *body, size_t len,
			  char **out)
{
	char *id = cas_pct_decode(enc, strlen(enc), 0);
	if (!id) {
		*out = error_out("malformed percent escape in the instance id%s", "");
		return 400;
	}
	int status = 200;
	struct emu_state *st = &s->state;
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		status = merge_instance(s, id, body, len, out);
	} else if (strcmp(method, "GET") == 0 || strcmp(method, "DELETE") == 0) {
		int del = method[0] == 'D';
		del ? pthread_rwlock_wrlock(&st->lock) : pthread_rwlock_rdlock(&st->lock);
		ssize_t pos = emu_state_find(st, id);
		if (pos < 0) {
			status = 404;
			*out = error_out("no instance \"%.200s\"", id);
		} else if (del) {
			emu_state_remove(st, (size_t)pos);
			*out = cas_xstrdup("{\"deleted\":true}");
		} else {
			*out = cJSON_PrintUnformatted(st->inst[pos].obj);
		}
		pthread_rwlock_unlock(&st->lock);
	} else {
		status = 405;
		*out = error_out("method %s not allowed", method);
	}
	free(id);
	return status;
}

static int list_ids(struct emu_server *s, char **out)
{
	cJSON *a = cJSON_CreateArray();
	pthread_rwlock_rdlock(&s->state.lock);
	for (size_t i = 0; i < s->state.ninst; i++) {
		char *fixed = emu_utf8_fix(s->state.inst[i].key);
		cJSON_AddItemToArray(a, cJSON_CreateString(fixed));
		free(fixed);
	}
	pthread_rwlock_unlock(&s->state.lock);
	*out = json_out(a);
	return 200;
}

static int clock_route(const char *method, const char *body, size_t len, char **out)
{
	if (strcmp(method, "POST") == 0) {
		cJSON *o = cas_json_parse(body ? body : "", len);
		int64_t off;
		if (!cJSON_IsObject(o) || emu_json_i64(o, "offset_ms", &off)) {
			cJSON_Delete(o);
			*out = error_out("expected {\"offset_ms\": N}%s", "");
			return 400;
		}
		cJSON_Delete(o);
		emu_clock_set_offset(off);
	}
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "offset_ms", (double)emu_clock_offset());
	cJSON_AddNumberToObject(o, "now_ms", (double)emu_now_ms());
	*out = json_out(o);
	return 200;
}

static int faults_route(struct emu_server *s, const char *method, const char *body, size_t len, char **out)
{
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0) {
		char *spec = method[0] == 'D' ? cas_xstrdup("") : cas_xstrndup(body ? body : "", len);
		char err[256];
		int rc = emu_faults_set(s->faults, spec, err, sizeof(err));
		free(spec);
		if (rc) {
			*out = error_out("%s", err);
			return 400;
		}
	}
	*out = json_out(emu_faults_json(s->faults));
	return 200;
}

void emu_control_handle(struct emu_server *s, const char *method, const char *raw_path, const char *body,
			size_t len, int *status, char **out)
{
	const char *rest = strncmp(raw_path, PREFIX, strlen(PREFIX)) == 0 ? raw_path + strlen(PREFIX) : "";
	if (strcmp(rest, "state") == 0 && strcmp(method, "GET") == 0) {
		*out = json_out(emu_state_dump(&s->state));
		*status = 200;
	} else if (strcmp(rest, "instances") == 0 && strcmp(method, "GET") == 0) {
		*status = list_ids(s, out);
	} else if (strncmp(rest, "instances/", 10) == 0) {
		*status = instance_route(s, method, rest + 10, body, len, out);
	} else if (strcmp(rest, "clock") == 0) {
		*status = clock_route(method, body, len, out);
	} else if (strcmp(rest, "faults") == 0) {
		*status = faults_route(s, method, body, len, out);
	} else if (strncmp(rest, "cloud-access/", 13) == 0 && strcmp(method, "POST") == 0) {
		*status = merge_access(s, rest + 13, body, len, out);
	} else if (strcmp(rest, "private-ca") == 0 && strcmp(method, "POST") == 0) {
		*status = add_private_ca(s, body, len, out);
	} else if (strcmp(rest, "listing") == 0) {
		int post = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
		*status = emu_listing_control(&s->state.listing, post ? (body ? body : "") : NULL, post ? len : 0, out);
	} else if (strcmp(rest, "ca.pem") == 0 && strcmp(method, "GET") == 0) {
		*out = cas_xstrdup(emu_pki_root_pem());
		*status = 200;
	} else if ((*status = emu_control_store(s, method, rest, body, len, out)) != 0) {
		/* answered */
	} else if (strcmp(rest, "health") == 0) {
		*out = cas_xstrdup("{\"ok\":true}");
		*status = 200;
	} else {
		*out = error_out("no such control endpoint %.200s", raw_path);
		*status = 404;
	}
}
