/* control_store: the certificate store's control endpoints (see control_store.h). */
#include "control_store.h"

#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "buf.h"
#include "canon.h"
#include "pki.h"
#include "server.h"

static char *err_json(const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "error", msg);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A leaf from {"CommonName","NotBefore","NotAfter"} (defaults: example.com,
 * now-1d, now+90d); stores it under "Name" when store is set. */
static int make_leaf(struct emu_server *s, const char *body, size_t len, int store, char **out)
{
	cJSON *o = cas_json_parse(body ? body : "", len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		*out = err_json("the body must be a JSON object");
		return 400;
	}
	int64_t now = emu_now_ms(), nb = now - 86400000LL, na = now + 90 * 86400000LL;
	emu_json_i64(o, "NotBefore", &nb);
	emu_json_i64(o, "NotAfter", &na);
	const char *cn = emu_json_str(o, "CommonName"), *name = emu_json_str(o, "Name");
	char *chain = NULL, *key = NULL;
	static long serial = 5000;
	int status = 200;
	if (store && (!name || !*name)) {
		*out = err_json("\"Name\" is required");
		status = 400;
	} else if (emu_pki_leaf(cn && *cn ? cn : "example.com", nb, na, __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED),
				&chain, &key)) {
		*out = err_json("OpenSSL could not make the leaf");
		status = 500;
	} else if (!store) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "Cert", chain);
		cJSON_AddStringToObject(r, "Key", key);
		*out = cJSON_PrintUnformatted(r);
		cJSON_Delete(r);
	} else {
		cJSON *fields = cJSON_CreateObject();
		struct emu_reply rep;
		emu_reply_init(&rep);
		const char *code = emu_pki_check_upload(chain, key, fields);
		if (code) {
			cJSON_Delete(fields);
			*out = err_json(code);
			status = 500;
		} else if (emu_store_add(&s->state, name, chain, key, fields, &rep)) {
			*out = err_json(rep.code);
			status = 409;
		} else {
			cJSON_AddStringToObject(rep.body, "Cert", chain);
			cJSON_AddStringToObject(rep.body, "Key", key);
			*out = cJSON_PrintUnformatted(rep.body);
			status = 201;
		}
		emu_reply_free(&rep);
	}
	if (key)
		memset(key, 0, strlen(key));
	free(chain);
	free(key);
	cJSON_Delete(o);
	return status;
}

static int in_use(struct emu_server *s, const char *method, const char *id_text, const char *body, size_t len,
		  char **out)
{
	int64_t id;
	if (emu_parse_i64(id_text, &id)) {
		*out = err_json("the CertId must be an integer");
		return 400;
	}
	const char *product = NULL, *resource = NULL;
	cJSON *o = NULL;
	if (strcmp(method, "POST") == 0) {
		o = cas_json_parse(body ? body : "", len);
		product = emu_json_str(o, "Product");
		resource = emu_json_str(o, "Resource");
		if (!product || !*product) {
			cJSON_Delete(o);
			*out = err_json("expected {\"Product\": \"SLB\", \"Resource\": \"lb-...\"}");
			return 400;
		}
	} else if (strcmp(method, "DELETE") != 0) {
		*out = err_json("use POST or DELETE");
		return 405;
	}
	int rc = emu_store_mark_in_use(&s->state, id, product, resource);
	cJSON_Delete(o);
	if (rc) {
		*out = err_json("no certificate with this CertId");
		return 404;
	}
	*out = cas_xstrdup("{\"ok\":true}");
	return 200;
}

int emu_control_store(struct emu_server *s, const char *method, const char *rest, const char *body, size_t len,
		      char **out)
{
	if (strcmp(rest, "leaf") == 0 && strcmp(method, "POST") == 0)
		return make_leaf(s, body, len, 0, out);
	if (strcmp(rest, "store") == 0 && strcmp(method, "POST") == 0)
		return make_leaf(s, body, len, 1, out);
	if (strcmp(rest, "store") == 0 && strcmp(method, "GET") == 0) {
		cJSON *d = emu_state_dump(&s->state);
		cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(d, "store");
		cJSON_Delete(d);
		*out = cJSON_PrintUnformatted(st);
		cJSON_Delete(st);
		return 200;
	}
	if (strncmp(rest, "store/", 6) == 0) {
		const char *id = rest + 6, *slash = strchr(id, '/');
		if (slash && strcmp(slash, "/in-use") == 0) {
			char *idt = cas_xstrndup(id, (size_t)(slash - id));
			int st = in_use(s, method, idt, body, len, out);
			free(idt);
			return st;
		}
	}
	return 0;
}
