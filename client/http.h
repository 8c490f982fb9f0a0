/* http: the transport. One libcurl share (connections, DNS, TLS sessions)
 * and a pool of easy handles used by all threads, so a warm connection is
 * reused by whichever thread calls next. TLS verification is always on; an
 * extra CA file may be added. Every request has a timeout. */
#ifndef CAS_HTTP_H
#define CAS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "retry.h"

struct cas_http;

struct cas_http_opts {
	const char *cafile;   /* extra CA bundle (PEM), or NULL */
	size_t max_body;      /* responses larger than this fail (default 32 MiB) */
	int verbose;          /* libcurl verbose output (headers are never logged by us) */
};

struct cas_http_result {
	enum cas_net net;
	long status;            /* HTTP status, 0 when no response */
	struct cas_buf body;
	char request_id[80];    /* x-acs-request-id */
	long retry_after_ms;    /* x-acs-retry-after (ms) or Retry-After (s); -1 if absent */
	int64_t date_ms;        /* the Date header (1 s resolution), epoch ms; 0 if absent or unparsable */
	long new_connections;   /* connections this request had to open (0 = reused) */
	int timed_out;          /* the transfer hit its timeout */
	char detail[256];       /* transport error text */
};

struct cas_http *cas_http_new(const struct cas_http_opts *o);
void cas_http_free(struct cas_http *h);
/* POST url with no body. headers: "Name: value" lines. timeout_ms bounds the
 * whole transfer. fresh: use a new connection. libcurl silently sends a
 * request again when a reused connection dies before any answer; for a
 * mutation that resend could apply it twice, so mutations never ride a
 * reused connection. The caller frees r->body. */
void cas_http_post(struct cas_http *h, const char *url, const char *const *headers, size_t nheaders,
		   long timeout_ms, int fresh, struct cas_http_result *r);
/* Total connections opened so far. */
long cas_http_connections(struct cas_http *h);
/* Shutdown: transfers in flight end at once (CAS_NET_LOST, "aborted"), later ones are not sent. */
void cas_http_abort(struct cas_http *h);
int cas_http_aborted(struct cas_http *h);

#endif
