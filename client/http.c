/* http: libcurl transport with shared connection reuse (see http.h). */
#include "http.h"
#include "wipe.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include <curl/curl.h>

#define POOL_MAX 64

struct cas_http {
	CURLSH *share;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_mu;
	CURL *idle[POOL_MAX];
	int nidle;
	char *cafile;
	size_t max_body;
	int verbose;
	atomic_long connections;
	atomic_int aborting;   /* shutdown: every transfer ends at its next progress tick */
};

void cas_http_abort(struct cas_http *h)
{
	atomic_store(&h->aborting, 1);
}

int cas_http_aborted(struct cas_http *h)
{
	return atomic_load(&h->aborting);
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return cas_http_aborted(ud); /* non-zero aborts the transfer */
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	/* libcurl's copies of a request (URL, request buffer) are wiped when freed or moved */
	curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, cas_wipe_free, cas_wipe_try_realloc, strdup, calloc);
}

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *userp)
{
	(void)c;
	(void)access;
	struct cas_http *h = userp;
	pthread_mutex_lock(&h->locks[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *userp)
{
	(void)c;
	struct cas_http *h = userp;
	pthread_mutex_unlock(&h->locks[data]);
}

struct cas_http *cas_http_new(const struct cas_http_opts *o)
{
	pthread_once(&global_once, global_init);
	struct cas_http *h = cas_xcalloc(1, sizeof(*h));
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->locks[i], NULL);
	pthread_mutex_init(&h->pool_mu, NULL);
	h->share = curl_share_init();
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	h->cafile = o && o->cafile ? cas_xstrdup(o->cafile) : NULL;
	h->max_body = o && o->max_body ? o->max_body : (32u << 20);
	h->verbose = o ? o->verbose : 0;
	return h;
}

void cas_http_free(struct cas_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < h->nidle; i++)
		curl_easy_cleanup(h->idle[i]);
	curl_share_cleanup(h->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->locks[i]);
	pthread_mutex_destroy(&h->pool_mu);
	free(h->cafile);
	free(h);
}

long cas_http_connections(struct cas_http *h)
{
	return atomic_load(&h->connections);
}

static CURL *get_handle(struct cas_http *h)
{
	CURL *c = NULL;
	pthread_mutex_lock(&h->pool_mu);
	if (h->nidle)
		c = h->idle[--h->nidle];
	pthread_mutex_unlock(&h->pool_mu);
	if (c)
		return c;
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	return c;
}

static void put_handle(struct cas_http *h, CURL *c)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	pthread_mutex_lock(&h->pool_mu);
	if (h->nidle < POOL_MAX) {
		h->idle[h->nidle++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->pool_mu);
	if (c)
		curl_easy_cleanup(c);
}

struct xfer {
	struct cas_http_result *r;
	size_t max_body;
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	if (x->r->body.len + len > x->max_body) {
		x->too_big = 1;
		return 0;
	}
	cas_buf_add(&x->r->body, p, len);
	return len;
}

static int header_is(const char *line, size_t len, const char *name, const char **value, size_t *vlen)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return 0;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	*value = v;
	*vlen = (size_t)(end - v);
	return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * n;
	const char *v;
	size_t vlen;
	char tmp[64];
	if (header_is(p, len, "x-acs-request-id", &v, &vlen)) {
		snprintf(x->r->request_id, sizeof(x->r->request_id), "%.*s", (int)vlen, v);
	} else if (header_is(p, len, "x-acs-retry-after", &v, &vlen) && vlen < sizeof(tmp)) {
		snprintf(tmp, sizeof(tmp), "%.*s", (int)vlen, v);
		long ms = strtol(tmp, NULL, 10);
		if (ms > 0)
			x->r->retry_after_ms = ms;
	} else if (header_is(p, len, "retry-after", &v, &vlen) && vlen < sizeof(tmp) && x->r->retry_after_ms < 0) {
		snprintf(tmp, sizeof(tmp), "%.*s", (int)vlen, v);
		long s = strtol(tmp, NULL, 10);
		if (s > 0)
			x->r->retry_after_ms = s * 1000;
	} else if (header_is(p, len, "date", &v, &vlen) && vlen < sizeof(tmp)) {
		snprintf(tmp, sizeof(tmp), "%.*s", (int)vlen, v);
		time_t t = curl_getdate(tmp, NULL);
		x->r->date_ms = t > 0 ? (int64_t)t * 1000 : 0;
	}
	return len;
}

static enum cas_net classify_curl(CURLcode rc, CURL *c, int too_big)
{
	if (too_big)
		return CAS_NET_TOO_BIG;
	switch (rc) {
	case CURLE_OK:
		return CAS_NET_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return CAS_NET_NOT_SENT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
		return CAS_NET_TLS;
	case CURLE_OPERATION_TIMEDOUT: {
		/* nothing sent yet (still connecting): the request certainly did not run.
		 * (The connect time says nothing on a reused connection.) */
		long sent = 0;
		curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
		return sent > 0 ? CAS_NET_TIMEOUT : CAS_NET_NOT_SENT;
	}
	default:
		return CAS_NET_LOST;
	}
}

void cas_http_post(struct cas_http *h, const char *url, const char *const *headers, size_t nheaders,
		   long timeout_ms, int fresh, struct cas_http_result *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
	if (cas_http_aborted(h)) {
		r->net = CAS_NET_NOT_SENT;
		snprintf(r->detail, sizeof(r->detail), "not sent: casfs is shutting down");
		return;
	}
	CURL *c = get_handle(h);
	struct curl_slist *hl = NULL;
	for (size_t i = 0; i < nheaders; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Content-Type:"); /* no body, so no content type */
	hl = curl_slist_append(hl, "Expect:");
	struct xfer x = { r, h->max_body, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 20000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 && timeout_ms < 5000 ? timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cafile);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
	if (h->verbose)
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	CURLcode rc = curl_easy_perform(c);
	r->net = classify_curl(rc, c, x.too_big);
	r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
	if (r->net == CAS_NET_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		snprintf(r->detail, sizeof(r->detail), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	long conns = 0;
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &conns);
	r->new_connections = conns;
	atomic_fetch_add(&h->connections, conns);
	curl_slist_free_all(hl);
	put_handle(h, c);
}
