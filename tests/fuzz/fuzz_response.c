/* fuzz_response: the response-body parsers of client/ops.c (list entries,
 * totals, cloud access, private CA entries, detail and summary documents)
 * and the error-body parser (proto/error.h), on untrusted bodies. The first
 * byte picks the parser. Properties: no memory error; a parsed instance id
 * is always safe as a file name; an error body never yields errno 0. The
 * parsers are static, so this file includes ops.c (nothing is copied). */
#include "../../client/ops.c"

#include "error.h"

static void entries(const cJSON *resp, const char *list, int ca)
{
	struct cas_error e;
	int rc = 0;
	const cJSON *items = list_of(resp, list, &e, &rc);
	const cJSON *it;
	struct cas_dec_tally tally = { 0 };
	cJSON_ArrayForEach(it, items) {
		struct cas_entry en;
		if (ca) {
			cJSON *copy = cJSON_Duplicate(it, 1);
			struct cas_doc *d = copy ? doc_of(copy) : NULL;
			cas_obj_unref(d);
			cJSON_Delete(copy);
			continue;
		}
		if (parse_access(it, &en, &tally)) {
			if (!cas_safe_name(en.key))
				abort();
			free(en.key);
			free(en.cloud_name);
			free(en.secret_id);
			cas_obj_unref(en.doc);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned which = data[0] % 4;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	if (which == 3) {
		struct cas_error e;
		cas_error_clear(&e);
		char *nt = malloc(len + 1); /* bodies may hold NUL bytes: pass all len of them */
		memcpy(nt, body, len);
		nt[len] = '\0';
		cas_error_from_response(&e, 400 + (int)(data[0] % 200), nt, len, "RID");
		if (e.err == 0)
			abort();
		free(nt);
		return 0;
	}
	cJSON *resp = cas_json_parse(body, len);
	if (!resp)
		return 0;
	struct cas_error e;
	int64_t total = 0;
	if (which == 0) {
		total_of(resp, &total, &e);
		int rc = 0;
		const cJSON *items = list_of(resp, "InstanceList", &e, &rc);
		const cJSON *it;
		struct cas_dec_tally tally = { 0 };
		cJSON_ArrayForEach(it, items) {
			struct cas_instance in;
			if (cas_instance_parse(it, &in, &tally)) {
				if (!cas_safe_name(in.id))
					abort();
				cas_instance_clear(&in);
			}
		}
		cJSON_Delete(resp);
	} else if (which == 1) {
		total_of(resp, &total, &e);
		entries(resp, "CloudAccessList", 0);
		entries(resp, "InstanceStatusList", 1);
		cJSON_Delete(resp);
	} else {
		struct cas_doc *d = doc_of(resp);
		cas_obj_unref(d);
		cJSON_Delete(resp);
	}
	return 0;
}
