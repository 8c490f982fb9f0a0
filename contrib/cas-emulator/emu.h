/* emu: types shared by the modules of the CAS emulator: the command-line
 * options and credentials, one received HTTP request (independent of MHD),
 * the reply an action produces, and the process-wide clock, sleep and
 * request-id helpers (util.c). */
#ifndef EMU_H
#define EMU_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "params.h"
#include "sign.h"

#define EMU_VERSION "0.1.0"

enum emu_cred_kind { EMU_CRED_AK, EMU_CRED_STS, EMU_CRED_BEARER };

struct emu_cred {
	enum emu_cred_kind kind;
	char *id;     /* AccessKeyId (AK/STS); NULL for bearer */
	char *secret; /* AccessKeySecret (AK/STS) */
	char *token;  /* STS security token, or the bearer token */
};

struct emu_opts {
	char *listen;          /* "ADDR:PORT" */
	long instances;
	long cloud_access;
	long private_ca;
	uint64_t seed;
	struct emu_cred *creds;
	size_t ncreds;
	long latency_ms;
	long qps;              /* 0 = unlimited */
	long throttle_status;  /* HTTP status of Throttling.User (400; 429 selectable) */
	long page_cap;         /* 0 = none: most entries a list page holds */
	long stall_ms;
	char *faults;
	char *audit;
	char *tls_cert;
	char *tls_key;
};

/* One received API request. Header names are as received; lookups are
 * case-insensitive. `query` is the decoded URL query, `form` the decoded
 * application/x-www-form-urlencoded body, `all` both (query first). */
struct emu_http {
	const char *method;
	const char *path;
	struct cas_header *hdr;
	size_t nhdr;
	struct cas_params query;
	struct cas_params form;
	struct cas_params all;
	const char *body;
	size_t body_len;
	char host[256];        /* Host header without the port (HostId) */
};
const char *emu_http_header(const struct emu_http *h, const char *name);

/* What an action (or a check before it) answers. body is the success object
 * without RequestId; for errors code/message are set and body is NULL. */
struct emu_reply {
	int status;
	cJSON *body;
	char code[96];
	char message[1024];
	long retry_after_ms;   /* >= 0: send x-acs-retry-after */
	int applied;           /* a mutating action changed state */
};
void emu_reply_init(struct emu_reply *r);
void emu_reply_free(struct emu_reply *r);
/* Returns -1 so that handlers can `return emu_fail(...)`. */
int emu_fail(struct emu_reply *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A proto/ validation error: status 400 with its Code and Message. */
int emu_fail_cas(struct emu_reply *r, const struct cas_error *e);
int emu_ok(struct emu_reply *r, cJSON *body);

/* util.c: clocks (real and shifted by the /_emulator/clock offset). */
int64_t emu_real_ms(void);
int64_t emu_now_ms(void);
void emu_clock_set_offset(int64_t offset_ms);
/* Tests only: pin the "real" clock (to check the SDK vectors at their dates). */
void emu_clock_freeze(int64_t ms);
int64_t emu_clock_offset(void);
/* Sleeps ms milliseconds, or less when shutdown begins. */
void emu_sleep_ms(long ms);
void emu_shutdown_begin(void);
int emu_shutting_down(void);
/* "12345678-1234-5234-9234-123456789ABC": unique per process, uppercase. */
void emu_request_id_init(uint64_t seed);
void emu_request_id(char out[37]);
/* "2025-01-15T08:30:00.123Z" */
void emu_iso8601_ms(int64_t ms, char out[32]);

/* JSON helpers */
const char *emu_json_str(const cJSON *obj, const char *key);     /* NULL unless a string */
int emu_json_i64(const cJSON *obj, const char *key, int64_t *out); /* 0 if a number */
void emu_json_set(cJSON *obj, const char *key, cJSON *val);       /* replace or add */
void emu_json_set_str(cJSON *obj, const char *key, const char *s);
void emu_json_set_i64(cJSON *obj, const char *key, int64_t v);
/* A copy of s with invalid UTF-8 bytes replaced by U+FFFD (malloc'd). */
char *emu_utf8_fix(const char *s);
/* Parses a decimal int64 (optional '-'); 0 on success. */
int emu_parse_i64(const char *s, int64_t *out);

#endif
