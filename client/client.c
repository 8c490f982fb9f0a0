/* client: signing, rate limiting, retries and counters around one call (see client.h). */
#include "client.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "buf.h"
#include "canon.h"
#include "clock.h"
#include "deadline.h"
#include "http.h"
#include "log.h"
#include "meter.h"
#include "ratelimit.h"
#include "retry.h"
#include "sign.h"
#include "wipe.h"

struct cas_client {
	struct cas_api api; /* cas_client_api() hands out &api; cas_client_of() goes back */
	struct cas_creds creds;
	char *base;         /* scheme://authority */
	char *host;         /* authority exactly as in the URL (signed as host) */
	struct cas_http *http;
	struct cas_bucket bucket, ca_bucket;
	long timeout_ms;
	int max_retries;
	int dry_run;
	int page_workers;
	int keep_keys;
	cas_gate_fn gate;   /* set before the first call, then read-only */
	void *gate_ctx;
	struct cas_client_share share; /* set before the FUSE loop, then read-only */
	pthread_mutex_t stats_mu; /* leaf: guards stats and the progress fields below */
	struct cas_action_stats stats[CAS_NACTIONS];
	/* progress, under stats_mu */
	long in_flight;
	int64_t list_done, list_total;
	uint64_t list_fetched;
	struct cas_meter sent; /* its own lock */
	pthread_mutex_t rng_mu;   /* leaf: guards rng */
	uint64_t rng;
	/* the service's clock (Date header) minus ours, in ms; lock-free */
	atomic_llong clock_offset_ms;
	/* lists_mu (a leaf) guards lists, notice, notice_ctx, primed and
	 * primed_at_ns; first_page_ttl_ms is set at creation, then read-only */
	pthread_mutex_t lists_mu;
	struct cas_list_stats lists;
	void (*notice)(void *ctx, const struct cas_error *e);
	void *notice_ctx;
	struct cas_instances *primed;  /* owned reference or NULL */
	int64_t primed_at_ns;
	long first_page_ttl_ms;
};

extern const struct cas_api_ops cas_client_ops; /* clientapi.c */

#define MUTATION_MIN_MS 1000
/* kept back from a mutation's attempt for the read that reconciles it (PROTOCOL.md §6a) */
#define RECONCILE_RESERVE_MS 2000

int64_t cas_client_service_now_ms(struct cas_client *c)
{
	return cas_wall_ms() + (int64_t)atomic_load(&c->clock_offset_ms);
}

const char *cas_region_host(const char *region, char *buf, size_t n)
{
	static const char *const regional[] = { "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-south-1",
						"eu-central-1",   "me-east-1",      "me-central-1",   NULL };
	for (size_t i = 0; region && regional[i]; i++) {
		if (strcmp(region, regional[i]) == 0) {
			snprintf(buf, n, "cas.%s.aliyuncs.com", region);
			return buf;
		}
	}
	/* the China site and every other mapped region use the central host */
	snprintf(buf, n, "cas.aliyuncs.com");
	return buf;
}

int cas_region_known(const char *region)
{
	static const char *const known[] = {
		"cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou",
		"cn-shanghai", "cn-nanjing", "cn-fuzhou", "cn-wuhan-lr", "cn-shenzhen", "cn-heyuan", "cn-guangzhou",
		"cn-chengdu", "cn-hongkong", "cn-beijing-finance-1", "cn-shanghai-finance-1", "cn-shenzhen-finance-1",
		"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-5", "ap-southeast-6",
		"ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "us-east-1", "us-west-1",
		"eu-west-1", "eu-central-1", "me-east-1", "me-central-1", "na-south-1", NULL,
	};
	for (size_t i = 0; region && known[i]; i++)
		if (strcmp(region, known[i]) == 0)
			return 1;
	return 0;
}

static int parse_endpoint(struct cas_client *c, const char *url, struct cas_error *e)
{
	const char *p = strstr(url, "://");
	if (!p || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return cas_error_set(e, EINVAL, "Local.Endpoint", "endpoint \"%s\" must start with https:// or http://",
				     url);
	const char *auth = p + 3;
	size_t alen = strcspn(auth, "/?#");
	if (alen == 0)
		return cas_error_set(e, EINVAL, "Local.Endpoint", "endpoint \"%s\" has no host", url);
	if (auth[alen] && strcmp(auth + alen, "/") != 0)
		return cas_error_set(e, EINVAL, "Local.Endpoint",
				     "endpoint \"%s\" must be scheme://host[:port] without a path", url);
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@' || auth[i] <= ' ')
			return cas_error_set(e, EINVAL, "Local.Endpoint", "endpoint \"%s\" has an invalid host", url);
	c->host = cas_xstrndup(auth, alen);
	c->base = cas_xstrndup(url, (size_t)(auth - url) + alen);
	return 0;
}

struct cas_client *cas_client_new(const struct cas_client_opts *o, const struct cas_creds *cr, struct cas_error *e)
{
	struct cas_client *c = cas_xcalloc(1, sizeof(*c));
	c->api.ops = &cas_client_ops;
	char hostbuf[128], *url;
	if (o->endpoint) {
		url = cas_xstrdup(o->endpoint);
	} else {
		const char *region = o->region ? o->region : cr->region;
		if (region)
			for (const char *p = region; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
					cas_error_set(e, EINVAL, "Local.Region", "region \"%s\" is not a region id", region);
					free(c);
					return NULL;
				}
		url = cas_xasprintf("https://%s", cas_region_host(region, hostbuf, sizeof(hostbuf)));
	}
	int rc = parse_endpoint(c, url, e);
	free(url);
	if (rc) {
		free(c->host);
		free(c->base);
		free(c);
		return NULL;
	}
	c->creds.kind = cr->kind;
	c->creds.access_key_id = cr->access_key_id ? cas_xstrdup(cr->access_key_id) : NULL;
	c->creds.access_key_secret = cr->access_key_secret ? cas_xstrdup(cr->access_key_secret) : NULL;
	c->creds.security_token = cr->security_token ? cas_xstrdup(cr->security_token) : NULL;
	c->creds.bearer_token = cr->bearer_token ? cas_xstrdup(cr->bearer_token) : NULL;
	c->creds.source = cr->source ? cas_xstrdup(cr->source) : NULL;
	struct cas_http_opts ho = { .cafile = o->cafile };
	c->http = cas_http_new(&ho);
	double qps = o->qps > 0 ? o->qps : 100, ca_qps = o->ca_qps > 0 ? o->ca_qps : 10;
	/* a small burst keeps traffic smooth: at most qps + qps/10 calls in any second */
	cas_bucket_init(&c->bucket, qps, qps / 10, cas_now_ns());
	cas_bucket_init(&c->ca_bucket, ca_qps, 1, cas_now_ns());
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 20000;
	c->max_retries = o->max_retries >= 0 ? o->max_retries : CAS_MAX_RETRIES;
	c->dry_run = o->dry_run;
	c->page_workers = o->page_workers > 0 ? o->page_workers : 8;
	c->keep_keys = o->keep_keys;
	c->first_page_ttl_ms = o->first_page_ttl_ms > 0 ? o->first_page_ttl_ms : 60000;
	pthread_mutex_init(&c->lists_mu, NULL);
	pthread_mutex_init(&c->stats_mu, NULL);
	cas_meter_init(&c->sent);
	pthread_mutex_init(&c->rng_mu, NULL);
	if (RAND_bytes((unsigned char *)&c->rng, sizeof(c->rng)) != 1 || !c->rng)
		c->rng = (uint64_t)time(NULL) | 1;
	return c;
}

void cas_client_free(struct cas_client *c)
{
	if (!c)
		return;
	cas_http_free(c->http);
	cas_bucket_destroy(&c->bucket);
	cas_bucket_destroy(&c->ca_bucket);
	pthread_mutex_destroy(&c->stats_mu);
	cas_meter_destroy(&c->sent);
	pthread_mutex_destroy(&c->rng_mu);
	cas_obj_unref(c->primed);
	pthread_mutex_destroy(&c->lists_mu);
	cas_creds_free(&c->creds);
	free(c->base);
	free(c->host);
	free(c);
}

void cas_client_shutdown(struct cas_client *c)
{
	if (!c)
		return;
	if (c->share.shutdown)
		c->share.shutdown(c->share.ctx);
	cas_http_abort(c->http);
}

struct cas_api *cas_client_api(struct cas_client *c)
{
	return &c->api;
}

struct cas_client *cas_client_of(struct cas_api *a)
{
	return container_of(a, struct cas_client, api);
}

const char *cas_client_endpoint(const struct cas_client *c)
{
	return c->base;
}

int cas_client_keep_keys(const struct cas_client *c)
{
	return c->keep_keys;
}

int cas_client_page_workers(const struct cas_client *c)
{
	return c->page_workers;
}

int cas_client_dry_run(const struct cas_client *c)
{
	return c->dry_run;
}

void cas_client_set_gate(struct cas_client *c, cas_gate_fn fn, void *ctx)
{
	c->gate = fn;
	c->gate_ctx = ctx;
}

void cas_client_set_share(struct cas_client *c, const struct cas_client_share *h)
{
	c->share = *h;
}

static __thread int tl_must_reach;        /* see cas_client_must_reach */
static __thread int64_t tl_share_max_age; /* see cas_client_share_max_age */
static __thread uint64_t tl_mutations_sent;

int cas_client_must_reach(int on)
{
	int was = tl_must_reach;
	tl_must_reach = on;
	return was;
}

int cas_client_must_reach_get(void)
{
	return tl_must_reach;
}

int64_t cas_client_share_max_age(int64_t ms)
{
	int64_t was = tl_share_max_age;
	tl_share_max_age = ms;
	return was;
}

uint64_t cas_client_mutations_sent(void)
{
	return tl_mutations_sent;
}

/* The fleet's key of a read: its action and sorted query (no signature). */
static char *share_request(enum cas_action a, const struct cas_params *q)
{
	struct cas_params s = CAS_PARAMS_INIT;
	if (q)
		cas_params_copy(&s, q);
	cas_params_sort(&s);
	char *enc = cas_params_encode(&s, 1);
	char *r = cas_xasprintf("%s?%s", cas_actions[a].name, enc ? enc : "");
	free(enc);
	cas_params_free(&s);
	return r;
}

void cas_client_stats(struct cas_client *c, struct cas_client_stats *out)
{
	pthread_mutex_lock(&c->stats_mu);
	memcpy(out->a, c->stats, sizeof(c->stats));
	out->in_flight = c->in_flight;
	out->list_pages_done = c->list_done;
	out->list_pages_total = c->list_total;
	out->list_pages_fetched = c->list_fetched;
	pthread_mutex_unlock(&c->stats_mu);
	out->rate_10s = cas_meter_rate(&c->sent, cas_now_ns());
	out->connections = cas_http_connections(c->http);
	out->rate_waits = c->bucket.waits + c->ca_bucket.waits;
	pthread_mutex_lock(&c->lists_mu);
	out->lists = c->lists;
	pthread_mutex_unlock(&c->lists_mu);
}

void cas_client_list_count(struct cas_client *c, const struct cas_list_stats *d)
{
	pthread_mutex_lock(&c->lists_mu);
	c->lists.listings += d->listings;
	c->lists.refetches += d->refetches;
	c->lists.inconsistent += d->inconsistent;
	c->lists.repeated += d->repeated;
	c->lists.skipped += d->skipped;
	c->lists.probe_reused += d->probe_reused;
	pthread_mutex_unlock(&c->lists_mu);
}

void cas_client_set_notice(struct cas_client *c, void (*fn)(void *ctx, const struct cas_error *e), void *ctx)
{
	pthread_mutex_lock(&c->lists_mu);
	c->notice = fn;
	c->notice_ctx = ctx;
	pthread_mutex_unlock(&c->lists_mu);
}

void cas_client_notice(struct cas_client *c, const struct cas_error *e)
{
	pthread_mutex_lock(&c->lists_mu);
	void (*fn)(void *, const struct cas_error *) = c->notice;
	void *ctx = c->notice_ctx;
	pthread_mutex_unlock(&c->lists_mu);
	if (fn)
		fn(ctx, e);
}

void cas_client_notify(struct cas_client *c, const char *action, int err, const char *code, const char *msg)
{
	struct cas_error ne;
	cas_error_clear(&ne);
	cas_error_action(&ne, action);
	cas_error_set(&ne, err, code, "%s", msg);
	cas_err("%s: %s", action, msg);
	cas_client_notice(c, &ne);
}

static void set_primed(struct cas_client *c, struct cas_instances *page)
{
	pthread_mutex_lock(&c->lists_mu);
	struct cas_instances *old = c->primed;
	c->primed = page;
	c->primed_at_ns = cas_now_ns();
	pthread_mutex_unlock(&c->lists_mu);
	cas_obj_unref(old);
}

void cas_client_prime(struct cas_client *c, struct cas_instances *page)
{
	set_primed(c, cas_obj_ref(page));
}

struct cas_instances *cas_client_take_primed(struct cas_client *c)
{
	pthread_mutex_lock(&c->lists_mu);
	struct cas_instances *p = c->primed;
	int fresh = p && cas_now_ns() - c->primed_at_ns < (int64_t)c->first_page_ttl_ms * 1000000;
	c->primed = NULL;
	pthread_mutex_unlock(&c->lists_mu);
	if (!fresh) {
		cas_obj_unref(p);
		return NULL;
	}
	return p;
}

static void listing_add(struct cas_client *c, int64_t total, int64_t done, uint64_t fetched)
{
	pthread_mutex_lock(&c->stats_mu);
	c->list_total += total;
	c->list_done += done;
	c->list_fetched += fetched;
	pthread_mutex_unlock(&c->stats_mu);
}

void cas_client_listing_start(struct cas_client *c, int64_t total)
{
	listing_add(c, total, 0, 0);
}

void cas_client_listing_page(struct cas_client *c)
{
	listing_add(c, 0, 1, 0);
}

void cas_client_listing_end(struct cas_client *c, int64_t total, int64_t done)
{
	listing_add(c, -total, -done, (uint64_t)done);
}

#define STAT(c, a, field, n)                      \
	do {                                      \
		pthread_mutex_lock(&(c)->stats_mu);   \
		(c)->stats[a].field += (n);           \
		pthread_mutex_unlock(&(c)->stats_mu); \
	} while (0)

static void utc_stamp(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A signed request ready to send: URL plus header lines. */
struct signed_req {
	char *url;
	char *hdrs[16];
	size_t nh;
};

/* The URL and headers may carry a SecretKey or a token: wiped, not just freed. */
static void req_free(struct signed_req *r)
{
	cas_wipe_free(r->url);
	for (size_t i = 0; i < r->nh; i++)
		cas_wipe_free(r->hdrs[i]);
}

static void add_hdr(struct signed_req *r, struct cas_header *sh, size_t *nsh, const char *name, const char *value)
{
	r->hdrs[r->nh++] = cas_xasprintf("%s: %s", name, value);
	if (sh) {
		sh[*nsh].name = name;
		sh[*nsh].value = value;
		(*nsh)++;
	}
}

/* Headers every request carries unsigned, and the URL; frees q. */
static void finish_request(struct cas_client *c, struct cas_params *q, struct signed_req *r)
{
	add_hdr(r, NULL, NULL, "Accept", "application/json");
	add_hdr(r, NULL, NULL, "User-Agent", "casfs/" CASFS_VERSION);
	char *qs = cas_params_encode(q, 0);
	r->url = cas_xasprintf("%s/?%s", c->base, qs);
	cas_wipe_free(qs);
	cas_params_free(q);
}

static void sign_v3(struct cas_client *c, enum cas_action a, const struct cas_params *q0, int attempt,
		    int64_t last_delay_ms, struct signed_req *r)
{
	const struct cas_action_info *ai = &cas_actions[a];
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_copy(&q, q0);
	int bearer = c->creds.kind == CAS_CRED_BEARER;
	if (bearer)
		cas_params_set(&q, "SignatureType", "BEARERTOKEN");
	char date[32], nc[33], attempts[16], delay[24];
	utc_stamp(date);
	cas_random_hex(nc);
	struct cas_header sh[12];
	size_t nsh = 0;
	add_hdr(r, sh, &nsh, "host", c->host);
	add_hdr(r, sh, &nsh, "x-acs-action", ai->name);
	add_hdr(r, sh, &nsh, "x-acs-version", ai->version);
	add_hdr(r, sh, &nsh, "x-acs-date", date);
	add_hdr(r, sh, &nsh, "x-acs-signature-nonce", nc);
	add_hdr(r, sh, &nsh, "x-acs-content-sha256", CAS_EMPTY_SHA256);
	if (attempt > 0) {
		snprintf(attempts, sizeof(attempts), "%d", attempt);
		snprintf(delay, sizeof(delay), "%lld", (long long)last_delay_ms);
		add_hdr(r, sh, &nsh, "x-acs-retry-attempts", attempts);
		add_hdr(r, sh, &nsh, "x-acs-retry-delay", delay);
	}
	if (bearer) {
		add_hdr(r, sh, &nsh, "x-acs-bearer-token", c->creds.bearer_token);
		char *auth = cas_xasprintf("Bearer %s", c->creds.bearer_token);
		add_hdr(r, NULL, NULL, "Authorization", auth);
		cas_wipe_free(auth);
	} else {
		if (c->creds.kind == CAS_CRED_STS) {
			add_hdr(r, sh, &nsh, "x-acs-accesskey-id", c->creds.access_key_id);
			add_hdr(r, sh, &nsh, "x-acs-security-token", c->creds.security_token);
		}
		char *signed_headers = NULL;
		char *canon = cas_v3_canonical_request("POST", "/", &q, sh, nsh, CAS_EMPTY_SHA256, NULL, &signed_headers);
		char *sts = cas_v3_string_to_sign(canon);
		char sig[65];
		cas_v3_signature(c->creds.access_key_secret, sts, sig);
		char *auth = cas_v3_authorization(c->creds.access_key_id, signed_headers, sig);
		add_hdr(r, NULL, NULL, "Authorization", auth);
		free(auth);
		cas_wipe_free(sts);
		cas_wipe_free(canon);
		free(signed_headers);
	}
	finish_request(c, &q, r);
}

/* The request as it would be sent, with secrets removed (dry_run and debug logs). */
static char *describe_request(struct cas_client *c, enum cas_action a, const struct cas_params *q)
{
	struct cas_params red = CAS_PARAMS_INIT;
	cas_params_copy(&red, q);
	for (size_t i = 0; i < red.n; i++) {
		if (strcmp(red.v[i].key, "SecretKey") == 0) {
			free(red.v[i].val);
			red.v[i].val = cas_xstrdup("<redacted>");
		}
	}
	char *qs = cas_params_encode(&red, 0);
	cas_params_free(&red);
	char *s = cas_xasprintf("POST %s/?%s (x-acs-action: %s, x-acs-version: %s)", c->base, qs,
				cas_actions[a].name, cas_actions[a].version);
	free(qs);
	return s;
}

static int64_t backoff(struct cas_client *c, int attempt, long retry_after_ms)
{
	pthread_mutex_lock(&c->rng_mu);
	int64_t d = cas_backoff_ms(attempt, retry_after_ms, &c->rng);
	pthread_mutex_unlock(&c->rng_mu);
	return d;
}

/* Turns one attempt's outcome into an error value. Returns the parsed body on success. */
static cJSON *interpret(struct cas_http_result *hr, struct cas_error *e)
{
	char action[sizeof(e->action)];
	memcpy(action, e->action, sizeof(action));
	cas_error_clear(e); /* describe this attempt only, not an earlier one */
	switch (hr->net) {
	case CAS_NET_NOT_SENT:
		if (hr->timed_out)
			cas_error_set(e, ETIMEDOUT, "Local.Timeout", "no connection in time: %s", hr->detail);
		else
			cas_error_set(e, EIO, "Local.Network", "cannot reach the endpoint: %s", hr->detail);
		break;
	case CAS_NET_TLS:
		/* a plain-HTTP answer read as TLS; or the server hung up mid-handshake
		 * (a plain-HTTP server closing on the garbage it got does that too):
		 * neither is a certificate problem, so no cafile hint */
		if (strstr(hr->detail, "wrong version number") || strstr(hr->detail, "packet length too long") ||
		    strstr(hr->detail, "record layer failure"))
			cas_error_set(e, EIO, "Local.TLS", "the server does not speak TLS (a plain-HTTP port behind an "
				      "https:// endpoint?): %s", hr->detail);
		else if (strstr(hr->detail, "SSL_ERROR_SYSCALL") || strstr(hr->detail, "unexpected eof"))
			cas_error_set(e, EIO, "Local.TLS", "the server broke off the TLS handshake (it may not speak TLS: "
				      "a plain-HTTP port behind an https:// endpoint?): %s", hr->detail);
		else
			cas_error_set(e, EIO, "Local.TLS", "TLS failed (certificate not trusted? see -o cafile=): %s",
				      hr->detail);
		break;
	case CAS_NET_TIMEOUT:
		cas_error_set(e, ETIMEDOUT, "Local.Timeout", "no response in time: %s", hr->detail);
		break;
	case CAS_NET_LOST:
		cas_error_set(e, EIO, "Local.Network", "connection lost: %s", hr->detail);
		break;
	case CAS_NET_TOO_BIG:
		cas_error_set(e, EPROTO, "Local.Response", "response larger than the limit");
		break;
	case CAS_NET_OK:
		if (hr->status >= 200 && hr->status < 300) {
			cJSON *j = cas_json_parse(cas_buf_str(&hr->body), hr->body.len);
			if (cJSON_IsObject(j))
				return j;
			cJSON_Delete(j);
			cas_error_set(e, EPROTO, "Local.Response", "malformed response body (%zu bytes, not a JSON object)",
				      hr->body.len);
			e->http_status = (int)hr->status;
			snprintf(e->request_id, sizeof(e->request_id), "%s", hr->request_id);
		} else {
			cas_error_from_response(e, (int)hr->status, cas_buf_str(&hr->body), hr->body.len,
						hr->request_id);
		}
		break;
	}
	memcpy(e->action, action, sizeof(action));
	return NULL;
}

/* The deadline guard of a mutation: 1 (with e set) when less than
 * min(1 s, timeout/2) of the deadline is left. */
static int mutation_too_late(struct cas_client *c, int64_t deadline, struct cas_error *e)
{
	long min_ms = c->timeout_ms / 2 < MUTATION_MIN_MS ? c->timeout_ms / 2 : MUTATION_MIN_MS;
	if (deadline - cas_now_ns() >= (int64_t)min_ms * 1000000)
		return 0;
	if (!e->err)
		cas_error_set(e, ETIMEDOUT, "Local.Timeout",
			      "not sent: the operation's deadline (-o timeout=) leaves under %ld ms", min_ms);
	return 1;
}

/* A mutation's attempt: what is left of the deadline less the reserve for
 * the reconciling read, min(RECONCILE_RESERVE_MS, timeout/4), and never
 * less than half of what is left. */
static long mutation_attempt_ms(const struct cas_client *c, int64_t remaining_ms)
{
	int64_t reserve = c->timeout_ms / 4 < RECONCILE_RESERVE_MS ? c->timeout_ms / 4 : RECONCILE_RESERVE_MS;
	int64_t ms = remaining_ms - reserve;
	return (long)(ms > remaining_ms / 2 ? ms : remaining_ms / 2);
}

int cas_client_call(struct cas_client *c, enum cas_action a, const struct cas_params *q, cJSON **out,
		    struct cas_error *e)
{
	const struct cas_action_info *ai = &cas_actions[a];
	*out = NULL;
	cas_error_clear(e);
	cas_error_action(e, ai->name);
	if (ai->mutating)
		set_primed(c, NULL); /* the probe's page may no longer be true */
	if (ai->mutating && c->dry_run) {
		char *d = describe_request(c, a, q);
		cas_info("dry_run: would send %s", d);
		free(d);
		STAT(c, a, dry_run, 1);
		*out = cJSON_CreateObject();
		return 0;
	}
	/* the call's own timeout, cut to the file-system operation's deadline */
	int64_t deadline = cas_op_cap_ns(cas_now_ns(), c->timeout_ms);
	int64_t last_delay = 0;
	void *ticket = NULL; /* the fleet's: this mount sends the read and shares its answer */
	if (!ai->mutating && c->share.lookup) {
		char *req = share_request(a, q);
		int hit = c->share.lookup(c->share.ctx, a, req, deadline, tl_must_reach, tl_share_max_age, out,
					  &ticket);
		free(req);
		if (hit == 1)
			return 0;
	}
	for (int attempt = 0;; attempt++) {
		if ((c->share.take && c->share.take(c->share.ctx, 0, deadline)) ||
		    (ai->ca_limited && c->share.take && c->share.take(c->share.ctx, 1, deadline)) ||
		    cas_bucket_take(&c->bucket, deadline) ||
		    (ai->ca_limited && cas_bucket_take(&c->ca_bucket, deadline))) {
			if (!e->err)
				cas_error_set(e, ETIMEDOUT, "Local.Timeout",
					      "the client rate limit (-o qps=) leaves no slot within the timeout");
			break;
		}
		/* a mutation sent with almost no time left would likely end with an
		 * unknown outcome: refuse it while it is certainly not applied. Checked
		 * before the budget gate (so a refused call is not counted) and again
		 * after it, right before sending: the gate may have waited. */
		if (ai->mutating && mutation_too_late(c, deadline, e))
			break;
		if (c->gate && c->gate(c->gate_ctx, a, e) < 0)
			break;
		if (ai->mutating && mutation_too_late(c, deadline, e))
			break;
		struct signed_req r = { 0 };
		sign_v3(c, a, q, attempt, last_delay, &r);
		int64_t remaining_ms = (deadline - cas_now_ns()) / 1000000;
		/* a read's attempt gets a third of the timeout (a stuck connection is
		 * retried); a mutation's only attempt gets what is left but the
		 * reconciliation reserve, so that the read that learns whether a slow
		 * attempt applied still fits in the deadline; it is never sent again
		 * while it may still be running (docs/PROTOCOL.md §6a) */
		long per_attempt = ai->mutating ? mutation_attempt_ms(c, remaining_ms)
						: (long)(c->timeout_ms / 3 > 2000 ? c->timeout_ms / 3 : 2000);
		if (per_attempt > remaining_ms)
			per_attempt = remaining_ms > 1 ? (long)remaining_ms : 1;
		struct cas_http_result hr;
		cas_meter_add(&c->sent, cas_now_ns(), 1);
		if (ai->mutating)
			tl_mutations_sent++; /* from here on it may reach the service */
		pthread_mutex_lock(&c->stats_mu);
		c->in_flight++;
		pthread_mutex_unlock(&c->stats_mu);
		cas_http_post(c->http, r.url, (const char *const *)r.hdrs, r.nh, per_attempt, ai->mutating, &hr);
		req_free(&r);
		pthread_mutex_lock(&c->stats_mu);
		c->in_flight--;
		pthread_mutex_unlock(&c->stats_mu);
		STAT(c, a, calls, 1);
		STAT(c, a, bytes_in, hr.body.len);
		if (hr.date_ms > 0)
			atomic_store(&c->clock_offset_ms, (long long)(hr.date_ms - cas_wall_ms()));
		cJSON *j = interpret(&hr, e);
		enum cas_retry_class rc = cas_retry_classify(hr.net, (int)hr.status, e->code, j != NULL);
		struct cas_bucket *bucket = ai->ca_limited ? &c->ca_bucket : &c->bucket;
		if (hr.net == CAS_NET_OK && cas_is_throttle((int)hr.status, e->code)) {
			STAT(c, a, throttled, 1);
			/* slow the whole client down, not just this call; however long the
			 * service asks for, the pause ends by this call's deadline, so one
			 * answer never holds a later operation past its own timeout */
			int64_t now = cas_now_ns();
			cas_bucket_throttled(bucket, now, cas_pause_cap_ns(hr.retry_after_ms, now, deadline));
		} else if (j) {
			cas_bucket_success(bucket);
		}
		long retry_after = hr.retry_after_ms;
		if (hr.body.p) /* a response may carry a private key */
			OPENSSL_cleanse(hr.body.p, hr.body.len);
		cas_buf_free(&hr.body);
		if (rc == CAS_RC_DONE && j) {
			cas_error_clear(e);
			cas_error_action(e, ai->name);
			const cJSON *rid = cJSON_GetObjectItemCaseSensitive(j, "RequestId");
			if (cJSON_IsString(rid))
				snprintf(e->request_id, sizeof(e->request_id), "%s", rid->valuestring);
			STAT(c, a, ok, 1);
			*out = j;
			if (ticket)
				c->share.done(c->share.ctx, ticket, j, deadline);
			return 0;
		}
		if (rc == CAS_RC_AMBIGUOUS && ai->mutating) {
			e->ambiguous = 1;
			break;
		}
		if (rc == CAS_RC_FATAL || rc == CAS_RC_DONE || attempt >= c->max_retries || cas_http_aborted(c->http))
			break;
		int64_t delay = backoff(c, attempt, retry_after);
		if (cas_now_ns() + delay * 1000000 >= deadline)
			break;
		cas_debug("%s: retry %d in %lld ms after %s", ai->name, attempt + 1, (long long)delay, e->code);
		STAT(c, a, retries, 1);
		cas_sleep_ns(delay * 1000000);
		last_delay = delay;
	}
	if (ticket)
		c->share.done(c->share.ctx, ticket, NULL, deadline);
	if (e->err == EAGAIN || cas_is_throttle(e->http_status, e->code))
		e->err = EAGAIN;
	STAT(c, a, errors, 1);
	return -e->err;
}
