/* error: error values and the errno mapping (see error.h and docs/PROTOCOL.md §5). */
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

void cas_error_clear(struct cas_error *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

int cas_error_set(struct cas_error *e, int err, const char *code, const char *fmt, ...)
{
	if (e) {
		char action[sizeof(e->action)];
		memcpy(action, e->action, sizeof(action));
		memset(e, 0, sizeof(*e));
		memcpy(e->action, action, sizeof(action));
		e->err = err;
		snprintf(e->code, sizeof(e->code), "%s", code ? code : "");
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	return -err;
}

void cas_error_action(struct cas_error *e, const char *action)
{
	if (e)
		snprintf(e->action, sizeof(e->action), "%s", action ? action : "");
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int cas_is_throttle(int http_status, const char *code)
{
	return http_status == 429 || http_status == 503 || (code && strstr(code, "Throttling"));
}

int cas_errno_for(int http_status, const char *code)
{
	const char *c = code ? code : "";
	if (cas_is_throttle(http_status, c))
		return EAGAIN;
	/* credentials and signatures, whatever status the gateway picked */
	if (has_prefix(c, "SignatureDoesNotMatch") || has_prefix(c, "IncompleteSignature") ||
	    has_prefix(c, "InvalidAccessKeyId") || has_prefix(c, "InvalidSecurityToken") ||
	    has_prefix(c, "InvalidBearerToken") || has_prefix(c, "Forbidden") || has_prefix(c, "NoPermission") ||
	    has_prefix(c, "SignatureNonceUsed") || has_prefix(c, "IllegalTimestamp") ||
	    has_prefix(c, "InvalidTimeStamp") || has_prefix(c, "InvalidCredentials"))
		return EACCES;
	/* the certificate store (docs/PROTOCOL.md §14) */
	if (strcmp(c, "NameRepeat") == 0)
		return EEXIST;
	if (has_prefix(c, "OperationDenied.CertificateInUse"))
		return EBUSY;
	/* refused because of the resource's state (e.g. refund window over) */
	if (has_prefix(c, "OperationDenied") || has_prefix(c, "IncorrectInstanceStatus") ||
	    has_prefix(c, "InvalidStatus"))
		return EPERM;
	if (has_prefix(c, "InvalidAction"))
		return EOPNOTSUPP;
	if (has_prefix(c, "InvalidParameter") || has_prefix(c, "MissingParameter") || has_prefix(c, "Missing"))
		return EINVAL;
	if (http_status == 404)
		return ENOENT;
	if (http_status == 403 || http_status == 401)
		return EACCES;
	if (http_status >= 400 && http_status < 500)
		return EINVAL;
	return EIO;
}

/* Server text goes to logs, stderr and .cas/errors: control characters
 * become spaces so a message can neither forge log lines nor break the
 * one-line reason. */
static void copy_clean(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src);
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = ' ';
}

static void copy_str(char *dst, size_t n, const cJSON *obj, const char *k1, const char *k2)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, k1);
	if (!cJSON_IsString(v) && k2)
		v = cJSON_GetObjectItemCaseSensitive(obj, k2);
	if (cJSON_IsString(v) && v->valuestring)
		copy_clean(dst, n, v->valuestring);
}

void cas_error_from_response(struct cas_error *e, int http_status, const char *body, size_t len,
			     const char *header_request_id)
{
	char action[sizeof(e->action)];
	memcpy(action, e->action, sizeof(action));
	memset(e, 0, sizeof(*e));
	memcpy(e->action, action, sizeof(action));
	e->http_status = http_status;
	cJSON *j = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	if (cJSON_IsObject(j)) {
		copy_str(e->code, sizeof(e->code), j, "Code", "code");
		copy_str(e->message, sizeof(e->message), j, "Message", "message");
		copy_str(e->request_id, sizeof(e->request_id), j, "RequestId", "requestId");
	}
	cJSON_Delete(j);
	if (!e->request_id[0] && header_request_id)
		copy_clean(e->request_id, sizeof(e->request_id), header_request_id);
	if (!e->code[0])
		snprintf(e->code, sizeof(e->code), "HTTP%d", http_status);
	if (!e->message[0])
		snprintf(e->message, sizeof(e->message), "HTTP %d with %s body", http_status,
			 len ? "an unparseable" : "an empty");
	e->err = cas_errno_for(http_status, e->code);
}

void cas_error_format(const struct cas_error *e, char *out, size_t n)
{
	int k = snprintf(out, n, "%s%s%s", e->action[0] ? e->action : "", e->action[0] ? ": " : "",
			 e->code[0] ? e->code : strerror(e->err));
	if (k < 0 || (size_t)k >= n)
		return;
	if (e->http_status)
		k += snprintf(out + k, n - (size_t)k, " (HTTP %d)", e->http_status);
	if ((size_t)k < n && e->message[0])
		k += snprintf(out + k, n - (size_t)k, ": %s", e->message);
	if ((size_t)k < n && e->request_id[0])
		snprintf(out + k, n - (size_t)k, " [RequestId %s]", e->request_id);
}
