/* retry: classification and backoff (see retry.h). */
#include "retry.h"

#include <string.h>

#include "error.h"

enum cas_retry_class cas_retry_classify(enum cas_net net, int http_status, const char *code, int body_ok)
{
	switch (net) {
	case CAS_NET_NOT_SENT:
		return CAS_RC_SAFE;
	case CAS_NET_TLS:
	case CAS_NET_TOO_BIG:
		return CAS_RC_FATAL;
	case CAS_NET_TIMEOUT:
	case CAS_NET_LOST:
		return CAS_RC_AMBIGUOUS;
	case CAS_NET_OK:
		break;
	}
	if (http_status >= 200 && http_status < 300)
		return body_ok ? CAS_RC_DONE : CAS_RC_AMBIGUOUS; /* malformed body: the call may have run */
	if (cas_is_throttle(http_status, code))
		return CAS_RC_SAFE; /* refused before running */
	/* the nonce was seen: an identical earlier send of this very request (a
	 * transport-level resend) reached the service and may have run */
	if (code && strcmp(code, "SignatureNonceUsed") == 0)
		return CAS_RC_AMBIGUOUS;
	if (http_status >= 500)
		return CAS_RC_AMBIGUOUS;
	return CAS_RC_FATAL;
}

uint64_t cas_rand64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int64_t cas_backoff_ms(int attempt, int64_t retry_after_ms, uint64_t *rng)
{
	int64_t ceiling = CAS_BACKOFF_BASE_MS;
	for (int i = 0; i < attempt && ceiling < CAS_BACKOFF_CAP_MS; i++)
		ceiling *= 2;
	if (ceiling > CAS_BACKOFF_CAP_MS)
		ceiling = CAS_BACKOFF_CAP_MS;
	int64_t d = (int64_t)(cas_rand64(rng) % (uint64_t)(ceiling + 1));
	if (retry_after_ms >= 0 && d < retry_after_ms)
		d = retry_after_ms;
	return d;
}

int64_t cas_pause_cap_ns(int64_t retry_after_ms, int64_t now_ns, int64_t deadline_ns)
{
	int64_t ms = retry_after_ms > 0 ? retry_after_ms : CAS_BACKOFF_BASE_MS;
	int64_t left = deadline_ns - now_ns;
	if (left < 0)
		left = 0;
	/* compare in ms first: an hour's worth of ns would still fit, but a
	 * hostile header's value need not */
	if (ms > left / 1000000)
		return left;
	return ms * 1000000;
}

enum cas_mut_next cas_mutation_next(enum cas_net net, int http_status, const char *code, int applied,
				    int resend_ok)
{
	/* body_ok 0: a 2xx reaching here had a body that did not parse */
	if (cas_retry_classify(net, http_status, code, 0) != CAS_RC_AMBIGUOUS)
		return CAS_MUT_FAIL;
	if (applied > 0)
		return CAS_MUT_APPLIED;
	if (applied < 0)
		return CAS_MUT_UNKNOWN;
	/* a complete 5xx error answer: the attempt is over and did nothing visible */
	int answered_error = net == CAS_NET_OK && http_status >= 500 &&
			     !(code && strcmp(code, "SignatureNonceUsed") == 0);
	return answered_error && resend_ok ? CAS_MUT_RESEND : CAS_MUT_UNKNOWN;
}
