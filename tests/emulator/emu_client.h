/* emu_client: test-side helpers for the CAS emulator tests: start and stop
 * a cas-emulator process (parsing its "listening on" line), and send API
 * requests that the test signs itself with proto/sign.h (V3, V2, STS, bearer),
 * optionally tampered with or encoded the way the Node SDK puts them on the
 * wire. */
#ifndef EMU_CLIENT_H
#define EMU_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "emuproc.h"
#include "params.h"

#define T_AK "LTAI5tTestAccessKeyId01"
#define T_SECRET "TestAccessKeySecret0123456789ab"
#define T_STS_AK "STS.TestTemporaryAccessKeyId"
#define T_STS_SECRET "TestStsSecret"
#define T_STS_TOKEN "CAIS.test.security.token=="
#define T_BEARER "test-bearer-token-value"

/* Starts bin with the standard test credentials, --audit and extra args
 * (NULL-terminated). Returns 0, or -1 if it did not come up. */
int emu_start(struct emu_proc *p, const char *bin, const char *const *extra);
/* SIGTERM and wait; returns the exit status (0 expected), -1 on a signal. */
int emu_stop(struct emu_proc *p);
/* Runs bin with args only; returns its exit code and first stderr line. */
int emu_run_exit(const char *bin, const char *const *args, char *errline, size_t n);

enum sign_mode { SIGN_V3, SIGN_V2, SIGN_BEARER_HDR, SIGN_BEARER_AUTH, SIGN_BEARER_V2, SIGN_NONE };

struct call {
	const char *action;
	const char *version;      /* NULL: the action's own version */
	struct cas_params q;      /* operation parameters */
	enum sign_mode mode;
	int sts;                  /* sign with the STS credential */
	const char *ak, *secret;  /* override the credential */
	const char *token;        /* override the STS / bearer token */
	const char *date;         /* override x-acs-date / Timestamp */
	const char *nonce;        /* override the nonce */
	int node_encoding;        /* wire query in insertion order, *()!' unescaped */
	const char *tamper_key;   /* after signing, set this query parameter ... */
	const char *tamper_val;   /* ... to this value */
	const char *form_body;    /* V3: an application/x-www-form-urlencoded body */
	const char *drop_header;  /* V3: do not send (but still sign) this header */
	int fresh_connection;     /* a new TCP connection, not reused afterwards */
};

struct resp {
	long status;
	char *body;
	size_t len;
	char request_id[80];
	char retry_after[32];
	char content_type[80];
	int curl_error;           /* CURLcode */
	cJSON *json;              /* parsed body, or NULL */
};

/* Closes the calling thread's connection. */
void emu_client_thread_done(void);
void call_init(struct call *c, const char *action);
void call_free(struct call *c);
int api_call(const struct emu_proc *p, const struct call *c, struct resp *r);
void resp_free(struct resp *r);
/* Raw HTTP against the emulator (control endpoints). */
int http_raw(const struct emu_proc *p, const char *method, const char *path, const char *body, struct resp *r);

/* Convenience: a V3 call with the given key=value pairs (NULL-terminated). */
int v3(const struct emu_proc *p, struct resp *r, const char *action, ...);
const char *jstr(const cJSON *o, const char *key);
double jnum(const cJSON *o, const char *key);
/* The audit file's lines as parsed JSON objects (array). */
cJSON *audit_lines(const struct emu_proc *p);
/* The whole audit file as text (malloc'd). */
char *audit_text(const struct emu_proc *p);

#endif
