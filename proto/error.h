/* error: the uniform result of every API call (HTTP status, Code, Message,
 * RequestId, action) and the errno mapping of docs/PROTOCOL.md §5. */
#ifndef CAS_ERROR_H
#define CAS_ERROR_H

#include <stddef.h>

struct cas_error {
	int err;          /* positive errno; 0 means success */
	int http_status;  /* 0 when no HTTP response was received */
	char code[96];    /* service Code, or a local code such as "Local.Validation" */
	char message[512];
	char request_id[80];
	char action[40];
	int ambiguous;    /* a mutation whose outcome is unknown (response lost) */
	int from_cache;   /* answered by a cached negative result, not by the service now */
};

void cas_error_clear(struct cas_error *e);
/* Fills e and returns -err, for `return cas_error_set(...)`. */
int cas_error_set(struct cas_error *e, int err, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Names the action e is about (NULL: none); cas_error_set keeps it. */
void cas_error_action(struct cas_error *e, const char *action);
/* errno for an HTTP error response (code rules first, then the status). */
int cas_errno_for(int http_status, const char *code);
/* True when the Code or status says "throttled" (429, *Throttling*, 503). */
int cas_is_throttle(int http_status, const char *code);
/* Fills e from an error response body (JSON; tolerant of junk). */
void cas_error_from_response(struct cas_error *e, int http_status, const char *body, size_t len,
			     const char *header_request_id);
/* One line: "ACTION: Code (HTTP n): Message [RequestId r]". */
void cas_error_format(const struct cas_error *e, char *out, size_t n);

#endif
