/* util: the emulator's clocks (real time and the shifted "now" that
 * /_emulator/clock moves), interruptible sleeps, RequestIds, ISO-8601
 * times, small cJSON helpers, and the reply constructors (see emu.h). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "emu.h"
#include "buf.h"
#include "rng.h"

static atomic_llong g_offset;
static atomic_llong g_frozen; /* tests: a fixed "real" time, 0 = the system clock */
static atomic_int g_shutdown;
static pthread_mutex_t g_sleep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_sleep_cv;
static pthread_once_t g_sleep_once = PTHREAD_ONCE_INIT;
static atomic_ullong g_rid_counter;
static uint64_t g_rid_seed;

void emu_clock_freeze(int64_t ms)
{
	atomic_store(&g_frozen, (long long)ms);
}

int64_t emu_real_ms(void)
{
	if (atomic_load(&g_frozen))
		return (int64_t)atomic_load(&g_frozen);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t emu_now_ms(void)
{
	return emu_real_ms() + (int64_t)atomic_load(&g_offset);
}

void emu_clock_set_offset(int64_t offset_ms)
{
	atomic_store(&g_offset, (long long)offset_ms);
}

int64_t emu_clock_offset(void)
{
	return (int64_t)atomic_load(&g_offset);
}

static void sleep_init(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&g_sleep_cv, &a);
	pthread_condattr_destroy(&a);
}

void emu_sleep_ms(long ms)
{
	if (ms <= 0)
		return;
	pthread_once(&g_sleep_once, sleep_init);
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&g_sleep_mu);
	while (!atomic_load(&g_shutdown)) {
		if (pthread_cond_timedwait(&g_sleep_cv, &g_sleep_mu, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&g_sleep_mu);
}

void emu_shutdown_begin(void)
{
	pthread_once(&g_sleep_once, sleep_init);
	pthread_mutex_lock(&g_sleep_mu);
	atomic_store(&g_shutdown, 1);
	pthread_cond_broadcast(&g_sleep_cv);
	pthread_mutex_unlock(&g_sleep_mu);
}

int emu_shutting_down(void)
{
	return atomic_load(&g_shutdown);
}

void emu_request_id_init(uint64_t seed)
{
	g_rid_seed = emu_mix64(seed ^ (uint64_t)emu_real_ms());
}

void emu_request_id(char out[37])
{
	uint64_t n = atomic_fetch_add(&g_rid_counter, 1);
	/* mix64 is a bijection, so the first half alone is unique per request */
	uint64_t a = emu_mix64(g_rid_seed + n * 0x9E3779B97F4A7C15ULL);
	uint64_t b = emu_mix64(a ^ 0xD1B54A32D192ED03ULL);
	snprintf(out, 37, "%08" PRIX64 "-%04" PRIX64 "-5%03" PRIX64 "-%04" PRIX64 "-%012" PRIX64, a >> 32,
		 (a >> 16) & 0xFFFF, a & 0xFFF, (uint64_t)0x8000 | (b >> 50), b & (uint64_t)0xFFFFFFFFFFFF);
}

void emu_iso8601_ms(int64_t ms, char out[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char date[24];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", date, (int)(ms % 1000));
}

const char *emu_http_header(const struct emu_http *h, const char *name)
{
	for (size_t i = 0; i < h->nhdr; i++)
		if (strcasecmp(h->hdr[i].name, name) == 0)
			return h->hdr[i].value;
	return NULL;
}

void emu_reply_init(struct emu_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
}

void emu_reply_free(struct emu_reply *r)
{
	cJSON_Delete(r->body);
	r->body = NULL;
}

int emu_fail(struct emu_reply *r, int status, const char *code, const char *fmt, ...)
{
	cJSON_Delete(r->body);
	r->body = NULL;
	r->status = status;
	r->applied = 0;
	snprintf(r->code, sizeof(r->code), "%s", code);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
	return -1;
}

int emu_fail_cas(struct emu_reply *r, const struct cas_error *e)
{
	return emu_fail(r, 400, e->code[0] ? e->code : "InvalidParameter", "%s", e->message);
}

int emu_ok(struct emu_reply *r, cJSON *body)
{
	cJSON_Delete(r->body);
	r->body = body ? body : cJSON_CreateObject();
	r->status = 200;
	r->code[0] = '\0';
	r->message[0] = '\0';
	return 0;
}

const char *emu_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int emu_json_i64(const cJSON *obj, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!cJSON_IsNumber(v))
		return -1;
	double d = v->valuedouble;
	if (!(d > -9.2e18 && d < 9.2e18))
		return -1;
	*out = (int64_t)d;
	return 0;
}

void emu_json_set(cJSON *obj, const char *key, cJSON *val)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, val);
	else
		cJSON_AddItemToObject(obj, key, val);
}

void emu_json_set_str(cJSON *obj, const char *key, const char *s)
{
	emu_json_set(obj, key, cJSON_CreateString(s ? s : ""));
}

void emu_json_set_i64(cJSON *obj, const char *key, int64_t v)
{
	emu_json_set(obj, key, cJSON_CreateNumber((double)v));
}

int emu_parse_i64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	const char *p = s;
	if (*p == '-')
		p++;
	if (!*p)
		return -1;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return -1;
	errno = 0;
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 && p[0] < 0xE0 ? 2 : 0;
	if (p[0] >= 0xF5)
		n = 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
		return 0;
	if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
		return 0;
	return n;
}

char *emu_utf8_fix(const char *s)
{
	struct cas_buf b = CAS_BUF_INIT;
	cas_buf_adds(&b, "");
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_seq(p);
		if (n) {
			cas_buf_add(&b, p, n);
			p += n;
		} else {
			cas_buf_adds(&b, "\xEF\xBF\xBD");
			p++;
		}
	}
	return cas_buf_steal(&b);
}
