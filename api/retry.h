/* retry: the retry policy of docs/PROTOCOL.md §6 as pure functions: how to classify an
 * attempt's outcome and how long to back off (full jitter from 100 ms,
 * honouring the server's retry-after hint). */
#ifndef CAS_RETRY_H
#define CAS_RETRY_H

#include <stdint.h>

#define CAS_MAX_RETRIES 5
#define CAS_BACKOFF_BASE_MS 100
#define CAS_BACKOFF_CAP_MS 5000

/* What the transport could say about an attempt. */
enum cas_net {
	CAS_NET_OK,        /* a complete HTTP response arrived */
	CAS_NET_NOT_SENT,  /* resolve or connect failed: the request certainly did not run */
	CAS_NET_TLS,       /* TLS handshake or verification failed: permanent */
	CAS_NET_TIMEOUT,   /* sent, then no answer in time: outcome unknown */
	CAS_NET_LOST,      /* sent, then the connection broke: outcome unknown */
	CAS_NET_TOO_BIG,   /* response larger than the limit */
};

enum cas_retry_class {
	CAS_RC_DONE,       /* success or a final answer */
	CAS_RC_SAFE,       /* certainly not executed: may retry anything */
	CAS_RC_AMBIGUOUS,  /* may have executed: retry reads, reconcile mutations */
	CAS_RC_FATAL,      /* do not retry (400/403/404, TLS, ...) */
};

/* body_ok: a 2xx response whose body parsed as a JSON object. */
enum cas_retry_class cas_retry_classify(enum cas_net net, int http_status, const char *code, int body_ok);
/* Delay before retry number `attempt` (0-based): uniform in [0, min(cap,
 * base * 2^attempt)], and never less than retry_after_ms (when >= 0). */
int64_t cas_backoff_ms(int attempt, int64_t retry_after_ms, uint64_t *rng);
/* xorshift64*; *state must be non-zero. */
uint64_t cas_rand64(uint64_t *state);

#endif
