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
/* The pause (ns) a throttling answer imposes on the client's bucket: the
 * service's retry-after hint (ms; <= 0: none, CAS_BACKOFF_BASE_MS), cut to the
 * deadline of the call that got it, so one answer never blocks later calls
 * for longer than their own timeout. Never negative. */
int64_t cas_pause_cap_ns(int64_t retry_after_ms, int64_t now_ns, int64_t deadline_ns);

/* What follows a mutation's failed attempt (docs/PROTOCOL.md §6a). */
enum cas_mut_next {
	CAS_MUT_FAIL,      /* a plain failure: certainly not applied, report it */
	CAS_MUT_APPLIED,   /* a read shows the change: report success */
	CAS_MUT_RESEND,    /* the service answered an error and a read shows nothing: send again */
	CAS_MUT_UNKNOWN,   /* may have been applied (or may still be): EIO, never a second send */
};
/* The attempt ended with transport outcome `net`, HTTP status `http_status`
 * and error `code`; `applied` is what the read-back said (1 applied, 0 not,
 * -1 no answer; ignored unless the attempt may have run). `resend_ok`: a
 * duplicate of this mutation is harmless (idempotent by value, an
 * idempotency token, or a second call that fails and is reconciled);
 * AddCloudAccess, which has no token, passes 0. A mutation is sent again
 * only after a complete error answer (5xx) said the attempt had ended: after
 * a timeout or a connection lost mid-answer the first attempt may still be
 * running, and a "not applied yet" read proves nothing. */
enum cas_mut_next cas_mutation_next(enum cas_net net, int http_status, const char *code, int applied,
				    int resend_ok);
/* xorshift64*; *state must be non-zero. */
uint64_t cas_rand64(uint64_t *state);

#endif
