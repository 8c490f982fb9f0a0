/* api: the pipeline of one API request, independent of the HTTP library:
 * authentication, per-credential throttling, routing by (action, version),
 * fault injection, the action itself, the response body (the real success
 * and error shapes, docs/PROTOCOL.md §1 and §5), the audit line, and the
 * --latency-ms / stall delays. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "buf.h"
#include "server.h"

#define RECOMMEND "https://api.aliyun.com/troubleshoot?q=%s&product=cas"

static char *render_error(const struct emu_http *h, const char *rid, const struct emu_reply *r)
{
	cJSON *o = cJSON_CreateObject();
	char *msg = emu_utf8_fix(r->message), *host = emu_utf8_fix(h->host[0] ? h->host : "cas.aliyuncs.com");
	char *rec = cas_xasprintf(RECOMMEND, r->code);
	cJSON_AddStringToObject(o, "RequestId", rid);
	cJSON_AddStringToObject(o, "HostId", host);
	cJSON_AddStringToObject(o, "Code", r->code);
	cJSON_AddStringToObject(o, "Message", msg);
	cJSON_AddStringToObject(o, "Recommend", rec);
	char *out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	free(msg);
	free(host);
	free(rec);
	return out;
}

static char *render_ok(cJSON *body, const char *rid)
{
	cJSON *id = cJSON_CreateString(rid);
	id->string = cas_xstrdup("RequestId");
	cJSON_InsertItemInArray(body, 0, id);
	return cJSON_PrintUnformatted(body);
}

/* Authentication, throttling and routing; NULL (with r filled) when refused. */
static const struct emu_action *admit(struct emu_server *s, const struct emu_http *h, int bad_request,
				      struct emu_identity *id, struct emu_reply *r)
{
	const struct emu_action *act;
	long wait;
	memset(id, 0, sizeof(*id));
	id->scheme = "none";
	id->cred = -1;
	if (bad_request == EMU_BAD_TOO_LARGE) {
		emu_fail(r, 413, "RequestEntityTooLarge", "The request body is larger than 1 MiB.");
	} else if (bad_request) {
		emu_fail(r, 400, "InvalidParameter", "The query string or form body contains a malformed percent escape.");
	} else if (emu_auth_check(s->auth, h, id, r)) {
		atomic_fetch_add(&s->state.auth_failures, 1);
	} else if ((wait = emu_throttle_take(s->throttle, id->cred)) > 0) {
		atomic_fetch_add(&s->state.throttled, 1);
		emu_fail(r, (int)s->opts->throttle_status, "Throttling.User", "Request was denied due to user flow control.");
		r->retry_after_ms = wait;
	} else if (!id->action || !*id->action) {
		emu_fail(r, 400, "MissingParameter.Action",
			 "The input parameter \"Action\" that is mandatory for processing this request is not "
			 "supplied.");
	} else if (!id->version || !*id->version) {
		emu_fail(r, 400, "MissingParameter.Version",
			 "The input parameter \"Version\" that is mandatory for processing this request is not "
			 "supplied.");
	} else if (!(act = emu_action_find(id->action, id->version))) {
		emu_fail(r, 404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.");
	} else if (act->id == CAS_LIST_USER_CERTIFICATE_ORDER && (wait = emu_throttle_take(s->order_throttle, id->cred)) > 0) {
		atomic_fetch_add(&s->state.throttled, 1);
		emu_fail(r, (int)s->opts->throttle_status, "Throttling.User", "Request was denied due to user flow control.");
		r->retry_after_ms = wait;
	} else {
		return act;
	}
	return NULL;
}

/* 500/503/429/403/throttle faults answer instead of the action; ms is the
 * item's :MS (-1: none), the retry-after of 429 and throttle. */
static int fault_before(struct emu_server *s, enum emu_fault f, long ms, struct emu_reply *r)
{
	switch (f) {
	case EMU_FAULT_500:
		return emu_fail(r, 500, "InternalError",
				"The request processing has failed due to some unknown error, exception or failure.");
	case EMU_FAULT_503:
		return emu_fail(r, 503, "ServiceUnavailable",
				"The request has failed due to a temporary failure of the server.");
	case EMU_FAULT_429:
		emu_fail(r, 429, "Throttling.User", "Request was denied due to user flow control.");
		r->retry_after_ms = ms >= 0 ? ms : 100;
		return -1;
	case EMU_FAULT_THROTTLE: /* the gateway's flow control, as --qps answers it */
		emu_fail(r, (int)s->opts->throttle_status, "Throttling.User", "Request was denied due to user flow control.");
		r->retry_after_ms = ms >= 0 ? ms : 1000;
		return -1;
	case EMU_FAULT_403: /* a RAM policy that denies the action (e.g. revoked after mount time) */
		return emu_fail(r, 403, "Forbidden.RAM",
				"User not authorized to operate on the specified resource, or this API doesn't support RAM.");
	default:
		return 0;
	}
}

void emu_api_handle(struct emu_server *s, const struct emu_http *h, int bad_request, struct emu_api_result *res)
{
	struct emu_reply r;
	struct emu_identity id;
	emu_reply_init(&r);
	memset(res, 0, sizeof(*res));
	emu_request_id(res->request_id);
	int64_t started = emu_real_ms();
	long fault_ms = -1;
	atomic_fetch_add(&s->state.requests, 1);

	const struct emu_action *act = admit(s, h, bad_request, &id, &r);
	if (act) {
		atomic_fetch_add(&s->state.calls[act->id], 1);
		res->fault = emu_faults_pick(s->faults, id.action, &fault_ms);
		if (res->fault)
			atomic_fetch_add(&s->state.faults_fired, 1);
		if (res->fault == EMU_FAULT_SLOW) /* the service takes its time, then applies */
			emu_sleep_ms(fault_ms >= 0 ? fault_ms : s->opts->stall_ms);
		if (!fault_before(s, res->fault, fault_ms, &r))
			act->fn(&s->state, &h->all, &r);
		if (r.status == 200 && (res->fault == EMU_FAULT_BADTOTAL || res->fault == EMU_FAULT_WRONGTYPE))
			emu_fault_mangle(res->fault, r.body);
	}
	res->status = r.status;
	res->retry_after_ms = r.retry_after_ms;
	res->body = r.status == 200 ? render_ok(r.body, res->request_id) : render_error(h, res->request_id, &r);
	res->len = strlen(res->body);
	if (res->fault == EMU_FAULT_MALFORMED)
		res->len = res->len / 2; /* a 200 whose JSON stops mid-way */

	struct emu_audit_rec rec = {
		.time_ms = started,
		.action = id.action,
		.params = &h->all,
		.status = r.status,
		.code = r.status == 200 ? NULL : r.code,
		.request_id = res->request_id,
		.auth = id.scheme,
		.access_key_id = id.scheme && strcmp(id.scheme, "bearer") ? id.access_key_id : NULL,
		.applied = r.status == 200 && r.applied,
		.fault = emu_fault_name(res->fault),
	};
	emu_audit_write(s->audit, &rec);
	emu_reply_free(&r);

	emu_sleep_ms(s->opts->latency_ms);
	if (res->fault == EMU_FAULT_STALL)
		emu_sleep_ms(fault_ms >= 0 ? fault_ms : s->opts->stall_ms);
}
