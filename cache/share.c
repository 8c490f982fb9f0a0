/* share: the fleet's shared state in Redis (see share.h). */
#include "share.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "buf.h"
#include "clock.h"
#include "deadline.h"
#include "log.h"
#include "ratelimit.h"
#include "sign.h"

/* ---- scripts (EVAL: each is atomic in Redis) ---------------------------- */

/* A read's answer: the stored one, or the fetch lock (this mount fetches),
 * or "wait" (another mount fetches), or "skip" (ARGV[5] = 1: the reader must
 * reach the service; only the generation, to store its answer under). ARGV:
 * prefix, request hash, lock token, lock px, skip. KEYS[1]: the generation. */
static const char lua_lookup[] =
	"local g = redis.call('GET', KEYS[1]) or '0'\n"
	"if ARGV[5] == '1' then return {g, 'skip'} end\n"
	"local v = redis.call('GET', ARGV[1] .. 'r:' .. g .. ':' .. ARGV[2])\n"
	"if v then return {g, 'hit', v} end\n"
	"if redis.call('SET', ARGV[1] .. 'l:' .. g .. ':' .. ARGV[2], ARGV[3], 'NX', 'PX', ARGV[4]) then\n"
	"  return {g, 'mine'} end\n"
	"return {g, 'wait'}\n";

/* Stores an answer (ARGV[4] non-empty) under the generation the fetch began
 * in, and releases the lock if it is still ours. ARGV: prefix, gen, hash,
 * value, px, token. */
static const char lua_store[] =
	"local lk = ARGV[1] .. 'l:' .. ARGV[2] .. ':' .. ARGV[3]\n"
	"if ARGV[4] ~= '' then redis.call('SET', ARGV[1] .. 'r:' .. ARGV[2] .. ':' .. ARGV[3], ARGV[4], 'PX', ARGV[5]) end\n"
	"if redis.call('GET', lk) == ARGV[6] then redis.call('DEL', lk) end\n"
	"return 1\n";

/* A change: a new generation (every shared answer is dropped) and the
 * message. KEYS[1]: the generation; ARGV: channel, message. */
static const char lua_changed[] =
	"redis.call('INCR', KEYS[1])\n"
	"return redis.call('PUBLISH', ARGV[1], ARGV[2])\n";

/* The account's token bucket (tokens may go negative: reserved debt, so
 * waiting mounts are served in arrival order) and the fleet's roll call.
 * KEYS: bucket, fleet set. ARGV: rate, burst, longest wait (us), mount id.
 * Returns {wait us, or -1: not within the longest wait; mounts seen}. */
static const char lua_bucket[] =
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
	"local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
	"local b = redis.call('HMGET', KEYS[1], 'tk', 'ts')\n"
	"local tk, ts = tonumber(b[1]) or burst, tonumber(b[2]) or now\n"
	"if now > ts then tk = math.min(burst, tk + (now - ts) * rate / 1e6); ts = now end\n"
	"redis.call('ZADD', KEYS[2], now, ARGV[4])\n"
	"redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, now - 15000000)\n"
	"redis.call('PEXPIRE', KEYS[2], 60000)\n"
	"local fleet = redis.call('ZCARD', KEYS[2])\n"
	"local wait = 0\n"
	"if tk < 1 then wait = math.ceil((1 - tk) * 1e6 / rate) end\n"
	"if wait > tonumber(ARGV[3]) then return {-1, fleet} end\n"
	"redis.call('HSET', KEYS[1], 'tk', tostring(tk - 1), 'ts', tostring(ts))\n"
	"redis.call('PEXPIRE', KEYS[1], 60000)\n"
	"return {wait, fleet}\n";

/* One call of the month: refused (1) when the budget (ARGV[2], 0 = none) is
 * used up, else counted (0). KEYS: reads, writes, by action. ARGV: 1|2 (the
 * class's key), budget, action. Returns {refused, reads + writes}. */
static const char lua_count[] =
	"local n = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(redis.call('GET', KEYS[2]) or '0')\n"
	"local budget = tonumber(ARGV[2])\n"
	"if budget > 0 and n >= budget then return {1, n} end\n"
	"local k = KEYS[tonumber(ARGV[1])]\n"
	"redis.call('INCR', k)\n"
	"redis.call('PEXPIRE', k, 3456000000)\n"
	"redis.call('HINCRBY', KEYS[3], ARGV[3], 1)\n"
	"redis.call('PEXPIRE', KEYS[3], 3456000000)\n"
	"return {0, n + 1}\n";

/* ---- the share --------------------------------------------------------- */

struct share {
	char *host;
	int port, db;
	char *password;     /* wiped at free */
	char *prefix;       /* "casfs:{<account>}:<endpoint hash>:" */
	char *gen_key, *channel;
	char id[33];        /* this mount's random id (the roll call; its own messages) */
	int64_t ttl_ms;
	double qps, ca_qps;
	int keep_keys;
	/* the command connection */
	pthread_mutex_t cmd_mu;
	redisContext *cmd;  /* under cmd_mu */
	/* health and figures */
	pthread_mutex_t st_mu;
	int up, ever_up;    /* under st_mu */
	int64_t retry_at_ns; /* down: no command before then; under st_mu */
	struct share_stats st; /* under st_mu */
	struct cas_bucket local[2]; /* the fallback buckets: the limit / the fleet last seen */
	/* the subscriber */
	pthread_t sub;
	int sub_started;
	atomic_int stopping;  /* share_stop: the subscriber ends */
	atomic_int closing;   /* the client shuts down: no lookup waits any more */
	/* changes whose publish failed: replayed (INCR + PUBLISH) before any
	 * lookup may take a shared answer; none is taken while one is pending.
	 * pend_mu is a leaf held for a few instructions, never across a Redis
	 * command: the replaying thread takes the list out (replaying = 1),
	 * publishes without it and puts back, in front, what did not go out;
	 * meanwhile the others count the changes as pending (a lookup takes no
	 * shared answer, a new change queues behind them) and never wait. */
	pthread_mutex_t pend_mu;
	char **pending;       /* messages, oldest first; under pend_mu */
	size_t npending;      /* under pend_mu */
	int replaying;        /* a thread publishes the list it took out; under pend_mu */
	size_t inflight;      /* how many of its messages are still unsent; under pend_mu */
	atomic_llong fresh_after_ms; /* .cas/refresh: shared answers stored before this are not taken */
	share_inval_fn inval;
	void *inval_ctx;
};

static __thread int64_t oldest_age_ms;

void share_age_reset(void)
{
	oldest_age_ms = 0;
}

int64_t share_age_ms(void)
{
	return oldest_age_ms;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct share *share_new(const struct share_opts *o, char *why, size_t whylen)
{
	const char *u = o->url;
	if (strncmp(u, "redis://", 8) != 0) {
		snprintf(why, whylen, "-o share=%s: the form is redis://HOST:PORT[/DB]", u);
		return NULL;
	}
	u += 8;
	if (strchr(u, '@')) {
		snprintf(why, whylen, "-o share=: no password in the URL (it would show in the process list); "
				      "use -o share_password_file= or REDISCLI_AUTH");
		return NULL;
	}
	char host[256];
	int port = 6379, db = 0, n = 0;
	const char *colon = strchr(u, ':'), *slash = strchr(u, '/');
	size_t hl = colon ? (size_t)(colon - u) : slash ? (size_t)(slash - u) : strlen(u);
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(why, whylen, "-o share=%s: no host", o->url);
		return NULL;
	}
	memcpy(host, u, hl);
	host[hl] = 0;
	if (colon && (sscanf(colon + 1, "%d%n", &port, &n) != 1 || port < 1 || port > 65535 ||
		      (colon[1 + n] && colon[1 + n] != '/'))) {
		snprintf(why, whylen, "-o share=%s: bad port", o->url);
		return NULL;
	}
	if (slash && slash[1] && (sscanf(slash + 1, "%d%n", &db, &n) != 1 || db < 0 || slash[1 + n])) {
		snprintf(why, whylen, "-o share=%s: bad database number", o->url);
		return NULL;
	}
	struct share *s = cas_xcalloc(1, sizeof(*s));
	s->host = cas_xstrdup(host);
	s->port = port;
	s->db = db;
	s->password = o->password ? cas_xstrdup(o->password) : NULL;
	char eh[65];
	cas_sha256_hex(o->endpoint ? o->endpoint : "", o->endpoint ? strlen(o->endpoint) : 0, eh);
	eh[16] = 0;
	s->prefix = cas_xasprintf("casfs:{%s}:%s:", o->account, eh);
	s->gen_key = cas_xasprintf("%sgen", s->prefix);
	s->channel = cas_xasprintf("%sinval", s->prefix);
	unsigned char r[16];
	if (RAND_bytes(r, sizeof(r)) != 1)
		for (size_t i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(s->id + 2 * i, 3, "%02x", r[i]);
	s->ttl_ms = o->ttl_ms;
	s->qps = o->qps > 0 ? o->qps : 100;
	s->ca_qps = o->ca_qps > 0 ? o->ca_qps : 10;
	s->keep_keys = o->keep_keys;
	pthread_mutex_init(&s->cmd_mu, NULL);
	pthread_mutex_init(&s->st_mu, NULL);
	pthread_mutex_init(&s->pend_mu, NULL);
	/* until Redis says how many mounts there are: a quarter of the limit */
	cas_bucket_init(&s->local[0], s->qps / 4, s->qps / 40 > 1 ? s->qps / 40 : 1, cas_now_ns());
	cas_bucket_init(&s->local[1], s->ca_qps / 4, 1, cas_now_ns());
	s->st.fleet = 4;
	return s;
}

/* ---- health ------------------------------------------------------------ */

static void mark_down(struct share *s, const char *why)
{
	pthread_mutex_lock(&s->st_mu);
	int was = s->up || !s->ever_up;
	int first = s->up || (!s->ever_up && !s->st.downs);
	s->up = 0;
	s->retry_at_ns = cas_now_ns() + (int64_t)SHARE_RETRY_MS * 1000000;
	s->st.fallbacks++;
	if (was && first)
		s->st.downs++;
	pthread_mutex_unlock(&s->st_mu);
	if (was && first)
		cas_warn("share: redis://%s:%d unavailable (%s): this mount works on its own (its cache, its "
			 "share of the rate limit, its own call count) until Redis answers",
			 s->host, s->port, why);
}

static void mark_up(struct share *s)
{
	pthread_mutex_lock(&s->st_mu);
	int rejoin = !s->up;
	int was_ever = s->ever_up || s->st.downs;
	s->up = s->ever_up = 1;
	s->st.ops++;
	if (rejoin && was_ever)
		s->st.rejoins++;
	pthread_mutex_unlock(&s->st_mu);
	if (rejoin)
		cas_info("share: redis://%s:%d %s", s->host, s->port, was_ever ? "answers again: rejoined the fleet"
										 : "connected");
}

/* Counted as a fallback without marking Redis down (no time left, or the
 * connection busy past the deadline). */
static void fallback(struct share *s)
{
	pthread_mutex_lock(&s->st_mu);
	s->st.fallbacks++;
	pthread_mutex_unlock(&s->st_mu);
}

static struct timeval tv_of_ns(int64_t ns)
{
	if (ns < 1000000)
		ns = 1000000;
	return (struct timeval){ .tv_sec = ns / 1000000000, .tv_usec = (ns % 1000000000) / 1000 };
}

/* Connects (AUTH, SELECT) within budget_ns; NULL on failure (why filled). */
static redisContext *connect_redis(struct share *s, int64_t budget_ns, char *why, size_t wl)
{
	redisContext *c = redisConnectWithTimeout(s->host, s->port, tv_of_ns(budget_ns));
	if (!c || c->err) {
		snprintf(why, wl, "%s", c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv_of_ns(budget_ns));
	redisReply *r = NULL;
	if (s->password) {
		r = redisCommand(c, "AUTH %s", s->password);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, wl, "AUTH: %s", r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	if (s->db) {
		r = redisCommand(c, "SELECT %d", s->db);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(why, wl, "SELECT: %s", r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	return c;
fail:
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return NULL;
}

/* One command within min(SHARE_OP_MS, what the deadline leaves); NULL when
 * Redis is down, slow or no time is left (the caller falls back). An error
 * reply is returned (Redis answered). */
static redisReply *command(struct share *s, int64_t deadline_ns, int argc, const char **argv, const size_t *lens)
{
	int64_t now = cas_now_ns();
	int64_t budget = (int64_t)SHARE_OP_MS * 1000000;
	if (deadline_ns && deadline_ns - now < budget)
		budget = deadline_ns - now;
	if (budget < 2000000) {
		fallback(s);
		return NULL;
	}
	pthread_mutex_lock(&s->st_mu);
	int resting = !s->up && now < s->retry_at_ns;
	pthread_mutex_unlock(&s->st_mu);
	if (resting) {
		fallback(s);
		return NULL;
	}
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += budget / 1000000000;
	until.tv_nsec += budget % 1000000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	if (pthread_mutex_timedlock(&s->cmd_mu, &until) != 0) {
		fallback(s);
		return NULL;
	}
	char why[256] = "";
	int64_t left = budget - (cas_now_ns() - now);
	if (!s->cmd && left > 1000000)
		s->cmd = connect_redis(s, left, why, sizeof(why));
	redisReply *r = NULL;
	left = budget - (cas_now_ns() - now);
	if (s->cmd && left > 1000000) {
		redisSetTimeout(s->cmd, tv_of_ns(left));
		r = redisCommandArgv(s->cmd, argc, argv, lens);
		if (!r || s->cmd->err) {
			snprintf(why, sizeof(why), "%s", s->cmd->errstr[0] ? s->cmd->errstr : "no answer");
			if (r)
				freeReplyObject(r);
			r = NULL;
		}
	} else if (s->cmd) {
		snprintf(why, sizeof(why), "no answer within %d ms", SHARE_OP_MS);
	}
	if (!r && s->cmd) { /* a reply may still come: the connection cannot be reused */
		redisFree(s->cmd);
		s->cmd = NULL;
	}
	pthread_mutex_unlock(&s->cmd_mu);
	if (!r)
		mark_down(s, why[0] ? why : "timeout");
	else
		mark_up(s);
	return r;
}

static redisReply *eval(struct share *s, int64_t deadline_ns, const char *script, int nkeys, int nargs,
			const char **kv)
{
	const char *argv[16];
	size_t lens[16];
	char nk[8];
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVAL";
	argv[1] = script;
	argv[2] = nk;
	int argc = 3;
	for (int i = 0; i < nkeys + nargs && argc < 16; i++)
		argv[argc++] = kv[i];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	redisReply *r = command(s, deadline_ns, argc, argv, lens);
	if (r && r->type == REDIS_REPLY_ERROR) {
		cas_warn("share: script error: %s", r->str);
		freeReplyObject(r);
		fallback(s);
		return NULL;
	}
	return r;
}

/* ---- secrets ------------------------------------------------------------ */

int share_strip_secrets(cJSON *j)
{
	int n = 0;
	if (!j)
		return 0;
	if (cJSON_IsObject(j))
		for (size_t i = 0; i < cas_secret_members_n; i++)
			while (cJSON_HasObjectItem(j, cas_secret_members[i])) {
				cJSON_DeleteItemFromObjectCaseSensitive(j, cas_secret_members[i]);
				n++;
			}
	for (cJSON *c = j->child; c; c = c->next)
		n += share_strip_secrets(c);
	return n;
}

/* ---- shared responses ---------------------------------------------------- */

struct ticket {
	char hash[65];
	char gen[24];
	char token[33];
	int locked;
};

/* The fetch lock lives SHARE_LOCK_MS: a mount that dies holding it stalls
 * the others' reads that long at most; a waiter fetches itself after it
 * (a slow live holder costs one more call, never a stall). */
#define SHARE_LOCK_MS 2000

static int64_t lock_px(int64_t deadline_ns)
{
	int64_t left = deadline_ns ? (deadline_ns - cas_now_ns()) / 1000000 : SHARE_LOCK_MS;
	return left < 500 ? 500 : left > SHARE_LOCK_MS ? SHARE_LOCK_MS : left;
}

static int pending_any(struct share *s);

static int h_lookup(void *ctx, enum cas_action a, const char *request, int64_t deadline_ns, int must_reach,
		    int64_t max_age_ms, cJSON **out, void **ticket)
{
	struct share *s = ctx;
	*ticket = NULL;
	if (!s->ttl_ms)
		return 0;
	/* a change of this mount's not yet published: the fleet's copies may be
	 * from before it; neither taken nor stored until it is */
	if (pending_any(s))
		return 0;
	if (max_age_ms <= 0 || max_age_ms > s->ttl_ms)
		max_age_ms = s->ttl_ms;
	int64_t wait_until = cas_now_ns() + (int64_t)SHARE_LOCK_MS * 1000000;
	struct ticket *t = cas_xcalloc(1, sizeof(*t));
	cas_sha256_hex(request, strlen(request), t->hash);
	unsigned char r[16];
	RAND_bytes(r, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(t->token + 2 * i, 3, "%02x", r[i]);
	/* -o keys: this mount fetches its certificates (the fleet's copy has no key) */
	if (s->keep_keys && a == CAS_GET_USER_CERTIFICATE_DETAIL) {
		snprintf(t->gen, sizeof(t->gen), "?");
		*ticket = t;
		return 0;
	}
	char px[24];
	for (int polls = 0;; polls++) {
		snprintf(px, sizeof(px), "%lld", (long long)lock_px(deadline_ns));
		const char *kv[] = { s->gen_key, s->prefix, t->hash, t->token, px, must_reach ? "1" : "0" };
		redisReply *rep = eval(s, deadline_ns, lua_lookup, 1, 5, kv);
		if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 2) {
			if (rep)
				freeReplyObject(rep);
			free(t); /* Redis is down or slow: fetch alone, share nothing */
			return 0;
		}
		snprintf(t->gen, sizeof(t->gen), "%s", rep->element[0]->str ? rep->element[0]->str : "0");
		const char *what = rep->element[1]->str ? rep->element[1]->str : "";
		if (strcmp(what, "skip") == 0) { /* must reach the service: its answer replaces the shared one */
			freeReplyObject(rep);
			*ticket = t;
			return 0;
		}
		if (strcmp(what, "hit") == 0 && rep->elements == 3) {
			const char *v = rep->element[2]->str;
			char *sp = v ? strchr(v, ' ') : NULL;
			long long stored = v ? strtoll(v, NULL, 10) : 0;
			/* older than the reader's ttl, or from before its .cas/refresh: a miss */
			int usable = stored >= atomic_load(&s->fresh_after_ms) && wall_ms() - stored <= max_age_ms;
			cJSON *j = sp && usable ? cJSON_ParseWithLength(sp + 1, rep->element[2]->len - (size_t)(sp + 1 - v))
					    : NULL;
			if (j) {
				int64_t age = wall_ms() - stored;
				if (age < 0)
					age = 0;
				if (age > oldest_age_ms)
					oldest_age_ms = age;
				freeReplyObject(rep);
				free(t);
				pthread_mutex_lock(&s->st_mu);
				s->st.hits++;
				pthread_mutex_unlock(&s->st_mu);
				*out = j;
				return 1;
			}
			freeReplyObject(rep); /* too old, or not JSON: fetch, and overwrite it */
			if (usable) {
				pthread_mutex_lock(&s->st_mu);
				s->st.misses++;
				pthread_mutex_unlock(&s->st_mu);
			} else {
				pthread_mutex_lock(&s->st_mu);
				s->st.too_old++;
				pthread_mutex_unlock(&s->st_mu);
			}
			*ticket = t;
			return 0;
		}
		int mine = strcmp(what, "mine") == 0;
		freeReplyObject(rep);
		if (mine) {
			t->locked = 1;
			pthread_mutex_lock(&s->st_mu);
			s->st.misses++;
			pthread_mutex_unlock(&s->st_mu);
			*ticket = t;
			return 0;
		}
		/* another mount fetches: its answer within this call's deadline */
		if (polls == 0) {
			pthread_mutex_lock(&s->st_mu);
			s->st.waits++;
			pthread_mutex_unlock(&s->st_mu);
		}
		int64_t now = cas_now_ns();
		if (atomic_load(&s->closing) || (deadline_ns && now + 25000000 >= deadline_ns)) {
			free(t);
			return 0; /* shutting down, or no time left to wait: send it (the deadline decides) */
		}
		if (now >= wait_until) { /* the holder is slow or dead: fetch, and share the answer */
			pthread_mutex_lock(&s->st_mu);
			s->st.wait_timeouts++;
			pthread_mutex_unlock(&s->st_mu);
			*ticket = t;
			return 0;
		}
		cas_sleep_ns(20000000);
	}
}

static void h_done(void *ctx, void *ticket, const cJSON *answer, int64_t deadline_ns)
{
	struct share *s = ctx;
	struct ticket *t = ticket;
	if (strcmp(t->gen, "?") == 0) { /* -o keys: the certificate's generation is not known; not stored */
		free(t);
		return;
	}
	char *val = NULL;
	if (answer) {
		cJSON *copy = cJSON_Duplicate(answer, 1);
		int stripped = share_strip_secrets(copy);
		char *text = cJSON_PrintUnformatted(copy);
		cJSON_Delete(copy);
		if (text && strstr(text, "PRIVATE KEY-----")) { /* a key under an unknown name: never shared */
			stripped = -1;
		} else if (text) {
			val = cas_xasprintf("%lld %s", (long long)wall_ms(), text);
		}
		if (text) {
			OPENSSL_cleanse(text, strlen(text));
			free(text);
		}
		pthread_mutex_lock(&s->st_mu);
		s->st.stripped += stripped > 0;
		s->st.refused += stripped < 0;
		pthread_mutex_unlock(&s->st_mu);
	}
	char px[24];
	snprintf(px, sizeof(px), "%lld", (long long)s->ttl_ms);
	if (val || t->locked) {
		const char *kv[] = { s->prefix, t->gen, t->hash, val ? val : "", px, t->token };
		redisReply *r = eval(s, deadline_ns, lua_store, 0, 6, kv);
		if (r) {
			if (val) {
				pthread_mutex_lock(&s->st_mu);
				s->st.stored++;
				pthread_mutex_unlock(&s->st_mu);
			}
			freeReplyObject(r);
		}
	}
	free(val);
	free(t);
}

/* ---- the rate limit ------------------------------------------------------ */

static void local_rate(struct cas_bucket *b, double rate)
{
	pthread_mutex_lock(&b->mu);
	if (rate < 0.5)
		rate = 0.5;
	if (b->max_rate != rate) {
		b->max_rate = rate;
		if (b->rate > rate)
			b->rate = rate;
	}
	pthread_mutex_unlock(&b->mu);
}

static int h_take(void *ctx, int ca, int64_t deadline_ns)
{
	struct share *s = ctx;
	double rate = ca ? s->ca_qps : s->qps;
	double burst = ca ? 1 : (rate / 10 >= 1 ? rate / 10 : 1);
	int64_t now = cas_now_ns();
	int64_t max_us = deadline_ns ? (deadline_ns - now) / 1000 - (int64_t)SHARE_OP_MS * 1000 : 20000000;
	if (max_us < 0)
		max_us = 0;
	char ks[2][256], a1[32], a2[32], a3[32];
	snprintf(ks[0], sizeof(ks[0]), "%srl:%s", s->prefix, ca ? "ca" : "all");
	snprintf(ks[1], sizeof(ks[1]), "%sfleet", s->prefix);
	snprintf(a1, sizeof(a1), "%.3f", rate);
	snprintf(a2, sizeof(a2), "%.3f", burst);
	snprintf(a3, sizeof(a3), "%lld", (long long)max_us);
	const char *kv[] = { ks[0], ks[1], a1, a2, a3, s->id };
	redisReply *r = eval(s, deadline_ns, lua_bucket, 2, 4, kv);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		long long wait = r->element[0]->integer, fleet = r->element[1]->integer;
		freeReplyObject(r);
		pthread_mutex_lock(&s->st_mu);
		s->st.rate_shared++;
		s->st.fleet = fleet > 0 ? (uint64_t)fleet : 1;
		pthread_mutex_unlock(&s->st_mu);
		local_rate(&s->local[0], s->qps / (double)(fleet > 0 ? fleet : 1));
		local_rate(&s->local[1], s->ca_qps / (double)(fleet > 0 ? fleet : 1));
		if (wait < 0)
			return -ETIMEDOUT;
		cas_sleep_ns((int64_t)wait * 1000);
		return 0;
	}
	if (r)
		freeReplyObject(r);
	/* Redis unavailable: this mount's share of the limit (the fleet last seen) */
	pthread_mutex_lock(&s->st_mu);
	s->st.rate_local++;
	pthread_mutex_unlock(&s->st_mu);
	return cas_bucket_take(&s->local[ca ? 1 : 0], deadline_ns);
}

static void h_shutdown(void *ctx)
{
	struct share *s = ctx;
	atomic_store(&s->closing, 1);
}

void share_client_hooks(struct share *s, struct cas_client_share *h)
{
	*h = (struct cas_client_share){
		.ctx = s, .lookup = h_lookup, .done = h_done, .take = h_take, .shutdown = h_shutdown,
	};
}

/* ---- the month's calls --------------------------------------------------- */

int share_count_call(void *ctx, const char *month, int write, const char *action, uint64_t budget)
{
	struct share *s = ctx;
	char k[3][256], cls[4], b[24];
	snprintf(k[0], sizeof(k[0]), "%scalls:%s:read", s->prefix, month);
	snprintf(k[1], sizeof(k[1]), "%scalls:%s:write", s->prefix, month);
	snprintf(k[2], sizeof(k[2]), "%scalls:%s:by_action", s->prefix, month);
	snprintf(cls, sizeof(cls), "%d", write ? 2 : 1);
	snprintf(b, sizeof(b), "%llu", (unsigned long long)budget);
	const char *kv[] = { k[0], k[1], k[2], cls, b, action };
	redisReply *r = eval(s, cas_op_current().deadline_ns, lua_count, 3, 3, kv);
	if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
		if (r)
			freeReplyObject(r);
		return -1;
	}
	int refused = r->element[0]->integer == 1;
	pthread_mutex_lock(&s->st_mu);
	s->st.month_calls = (uint64_t)r->element[1]->integer;
	pthread_mutex_unlock(&s->st_mu);
	freeReplyObject(r);
	return refused;
}

/* ---- invalidations --------------------------------------------------------- */

#define SHARE_PENDING_MAX 256 /* beyond it the oldest message is dropped (its INCR is not: one suffices) */

/* INCR + PUBLISH of one message: 0, or -1 (Redis did not answer). */
static int publish_one(struct share *s, int64_t deadline_ns, const char *msg)
{
	const char *kv[] = { s->gen_key, s->channel, msg };
	redisReply *r = eval(s, deadline_ns, lua_changed, 1, 2, kv);
	if (!r)
		return -1;
	freeReplyObject(r);
	pthread_mutex_lock(&s->st_mu);
	s->st.published++;
	pthread_mutex_unlock(&s->st_mu);
	return 0;
}

/* The pending figure (st_mu inside pend_mu: the documented order). pend_mu held. */
static void pending_stat_locked(struct share *s)
{
	pthread_mutex_lock(&s->st_mu);
	s->st.pending = s->npending + s->inflight;
	pthread_mutex_unlock(&s->st_mu);
}

/* Adds msgs[0..n) (oldest first) in front of the list, dropping the oldest
 * beyond SHARE_PENDING_MAX. pend_mu held. */
static void pending_put_front_locked(struct share *s, char **msgs, size_t n)
{
	size_t total = n + s->npending, drop = total > SHARE_PENDING_MAX ? total - SHARE_PENDING_MAX : 0;
	char **all = cas_xmalloc((total ? total : 1) * sizeof(*all));
	memcpy(all, msgs, n * sizeof(*all));
	if (s->npending)
		memcpy(all + n, s->pending, s->npending * sizeof(*all));
	for (size_t i = 0; i < drop; i++)
		free(all[i]);
	memmove(all, all + drop, (total - drop) * sizeof(*all));
	free(s->pending);
	s->pending = all;
	s->npending = total - drop;
}

/* Changes of this mount not yet published (queued, or going out)? */
static int pending_any(struct share *s)
{
	pthread_mutex_lock(&s->pend_mu);
	int any = s->replaying || s->npending;
	pthread_mutex_unlock(&s->pend_mu);
	return any;
}

/* Publishes the pending changes in order, until deadline_ns or until Redis
 * does not answer (the rest stays pending, in order). No mutex is held
 * across a command. Only the subscriber's thread calls it (subscriber): an
 * operation that replayed a backlog on a slow Redis (64 changes at 180 ms)
 * spent its whole deadline on it (a mutation took 6.7 s under -o
 * timeout=5), so operations only queue behind a backlog. */
static void replay_pending(struct share *s, int64_t deadline_ns)
{
	for (;;) {
		pthread_mutex_lock(&s->pend_mu);
		if (!s->npending) {
			pthread_mutex_unlock(&s->pend_mu);
			return;
		}
		char **batch = s->pending;
		size_t n = s->npending, sent = 0;
		s->pending = NULL;
		s->npending = 0;
		s->replaying = 1;
		s->inflight = n;
		pthread_mutex_unlock(&s->pend_mu);
		while (sent < n && publish_one(s, deadline_ns, batch[sent]) == 0) {
			free(batch[sent++]);
			pthread_mutex_lock(&s->pend_mu);
			s->inflight = n - sent;
			pending_stat_locked(s);
			pthread_mutex_unlock(&s->pend_mu);
		}
		pthread_mutex_lock(&s->pend_mu);
		if (sent < n) /* before the changes queued meanwhile: the order is kept */
			pending_put_front_locked(s, batch + sent, n - sent);
		s->replaying = 0;
		s->inflight = 0;
		pending_stat_locked(s);
		pthread_mutex_unlock(&s->pend_mu);
		free(batch);
		if (sent < n)
			return;
		/* the changes queued while these went out: next */
	}
}

void share_changed(struct share *s, int kind, const char *key)
{
	if (!s)
		return;
	int64_t deadline = cas_op_current().deadline_ns;
	char *msg = cas_xasprintf("%s %d %s", s->id, kind, key ? key : "");
	/* after the pending ones (their order kept: the subscriber's thread
	 * sends them); a failure is kept pending */
	if (!pending_any(s) && publish_one(s, deadline, msg) == 0) {
		free(msg);
		return;
	}
	pthread_mutex_lock(&s->pend_mu);
	if (s->npending == SHARE_PENDING_MAX) {
		free(s->pending[0]);
		memmove(s->pending, s->pending + 1, (s->npending - 1) * sizeof(*s->pending));
		s->npending--;
	}
	s->pending = cas_xrealloc(s->pending, (s->npending + 1) * sizeof(*s->pending));
	s->pending[s->npending++] = msg;
	pending_stat_locked(s);
	pthread_mutex_unlock(&s->pend_mu);
}

void share_refreshed(struct share *s)
{
	if (s)
		atomic_store(&s->fresh_after_ms, (long long)wall_ms());
}

void share_set_inval(struct share *s, share_inval_fn fn, void *ctx)
{
	s->inval = fn;
	s->inval_ctx = ctx;
}

static void on_message(struct share *s, const char *msg)
{
	char id[64];
	int kind, n = 0;
	if (sscanf(msg, "%63s %d %n", id, &kind, &n) < 2 || kind < 0)
		return;
	if (strcmp(id, s->id) == 0)
		return; /* this mount's own change: already applied */
	pthread_mutex_lock(&s->st_mu);
	s->st.received++;
	pthread_mutex_unlock(&s->st_mu);
	if (s->inval)
		s->inval(s->inval_ctx, kind, msg + n);
}

/* The subscriber: its own connection, SUBSCRIBE, messages to the hook;
 * reconnects every SHARE_RETRY_MS while Redis is away. */
static void *subscriber(void *arg)
{
	struct share *s = arg;
	while (!atomic_load(&s->stopping)) {
		char why[256];
		redisContext *c = connect_redis(s, (int64_t)SHARE_OP_MS * 1000000 * 5, why, sizeof(why));
		redisReply *r = c ? redisCommand(c, "SUBSCRIBE %s", s->channel) : NULL;
		if (r)
			freeReplyObject(r);
		while (r && !atomic_load(&s->stopping) && !c->err) {
			struct pollfd p = { .fd = c->fd, .events = POLLIN };
			int pr = poll(&p, 1, 250);
			if (pr == 0) {
				/* quiet: the pending changes go out, for a second at most
				 * (share_stop waits for this thread) */
				replay_pending(s, cas_now_ns() + (int64_t)SHARE_OP_MS * 5 * 1000000);
				continue;
			}
			if (pr < 0 && errno == EINTR)
				continue;
			redisReply *m = NULL;
			redisSetTimeout(c, tv_of_ns(2000000000));
			if (redisGetReply(c, (void **)&m) != REDIS_OK || !m)
				break;
			do {
				if (m->type == REDIS_REPLY_ARRAY && m->elements == 3 && m->element[0]->str &&
				    strcmp(m->element[0]->str, "message") == 0 && m->element[2]->str)
					on_message(s, m->element[2]->str);
				freeReplyObject(m);
				m = NULL;
			} while (redisGetReplyFromReader(c, (void **)&m) == REDIS_OK && m);
		}
		if (c)
			redisFree(c);
		for (int i = 0; i < SHARE_RETRY_MS / 50 && !atomic_load(&s->stopping); i++)
			cas_sleep_ns(50000000);
	}
	return NULL;
}

void share_start(struct share *s)
{
	if (!s)
		return;
	/* a first command: connects, and logs whether Redis answers */
	const char *argv[] = { "PING" };
	size_t lens[] = { 4 };
	redisReply *r = command(s, 0, 1, argv, lens);
	if (r)
		freeReplyObject(r);
	s->sub_started = pthread_create(&s->sub, NULL, subscriber, s) == 0;
}

void share_stop(struct share *s)
{
	if (!s)
		return;
	atomic_store(&s->stopping, 1);
	atomic_store(&s->closing, 1);
	if (s->sub_started)
		pthread_join(s->sub, NULL);
	s->sub_started = 0;
}

void share_free(struct share *s)
{
	if (!s)
		return;
	share_stop(s);
	if (s->cmd)
		redisFree(s->cmd);
	cas_bucket_destroy(&s->local[0]);
	cas_bucket_destroy(&s->local[1]);
	pthread_mutex_destroy(&s->cmd_mu);
	pthread_mutex_destroy(&s->st_mu);
	for (size_t i = 0; i < s->npending; i++)
		free(s->pending[i]);
	free(s->pending);
	pthread_mutex_destroy(&s->pend_mu);
	if (s->password) {
		OPENSSL_cleanse(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->host);
	free(s->prefix);
	free(s->gen_key);
	free(s->channel);
	free(s);
}

void share_stats(struct share *s, struct share_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	pthread_mutex_lock(&s->st_mu);
	*out = s->st;
	out->up = s->up;
	pthread_mutex_unlock(&s->st_mu);
}
