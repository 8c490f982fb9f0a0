/* emu_client: process control and signed requests for the emulator tests
 * (see emu_client.h). */
#include "emu_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "cas.h"
#include "sign.h"

static __thread CURL *g_curl; /* one keep-alive connection per thread */

/* The standard test credentials of the emulator tests. */
static const char *const test_creds[] = { "--access-key", T_AK ":" T_SECRET, "--sts",
					  T_STS_AK ":" T_STS_SECRET ":" T_STS_TOKEN, "--bearer", T_BEARER, NULL };

int emu_start(struct emu_proc *p, const char *bin, const char *const *extra)
{
	return emu_proc_start(p, bin, test_creds, extra);
}

int emu_stop(struct emu_proc *p)
{
	int rc = emu_proc_stop(p);
	if (g_curl) { /* the next emulator gets fresh connections */
		curl_easy_cleanup(g_curl);
		g_curl = NULL;
	}
	return rc;
}

int emu_run_exit(const char *bin, const char *const *args, char *errline, size_t n)
{
	const char *argv[32];
	size_t k = 0;
	argv[k++] = bin;
	for (size_t i = 0; args[i] && k < 31; i++)
		argv[k++] = args[i];
	argv[k] = NULL;
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", 1);
		dup2(null, 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	char *line = emu_proc_read_line(fds[0], 10000);
	snprintf(errline, n, "%s", line);
	free(line);
	close(fds[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void emu_client_thread_done(void)
{
	if (g_curl)
		curl_easy_cleanup(g_curl);
	g_curl = NULL;
}

void call_init(struct call *c, const char *action)
{
	memset(c, 0, sizeof(*c));
	c->action = action;
}

void call_free(struct call *c)
{
	cas_params_free(&c->q);
}

void resp_free(struct resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

static void now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fresh_nonce(char out[40])
{
	static unsigned long counter;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, 40, "%08lx%08lx%08lx%06x", (unsigned long)ts.tv_sec, (unsigned long)ts.tv_nsec,
		 ++counter, (unsigned)getpid() & 0xFFFFFF);
}

/* Node's querystring.stringify: encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) */
static void node_encode(struct cas_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.!~*'()", *p)) {
			cas_buf_addc(b, (char)*p);
		} else {
			cas_buf_addc(b, '%');
			cas_buf_addc(b, hex[*p >> 4]);
			cas_buf_addc(b, hex[*p & 15]);
		}
	}
}

static char *wire_query(const struct cas_params *q, int node)
{
	if (!node) {
		struct cas_params s = CAS_PARAMS_INIT;
		cas_params_copy(&s, q);
		cas_params_sort(&s);
		char *out = cas_params_encode(&s, 1);
		cas_params_free(&s);
		return out;
	}
	struct cas_buf b = CAS_BUF_INIT;
	cas_buf_adds(&b, "");
	for (size_t i = 0; i < q->n; i++) {
		if (i)
			cas_buf_addc(&b, '&');
		node_encode(&b, q->v[i].key);
		cas_buf_addc(&b, '=');
		node_encode(&b, q->v[i].val);
	}
	return cas_buf_steal(&b);
}

static size_t on_body(char *d, size_t sz, size_t n, void *ud)
{
	cas_buf_add(ud, d, sz * n);
	return sz * n;
}

static void header_copy(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	const char *v = line + nl + 1;
	size_t vl = len - nl - 1;
	while (vl && (*v == ' '))
		v++, vl--;
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		vl--;
	snprintf(out, outlen, "%.*s", (int)vl, v);
}

static size_t on_header(char *d, size_t sz, size_t n, void *ud)
{
	struct resp *r = ud;
	header_copy(d, sz * n, "x-acs-request-id", r->request_id, sizeof(r->request_id));
	header_copy(d, sz * n, "x-acs-retry-after", r->retry_after, sizeof(r->retry_after));
	header_copy(d, sz * n, "content-type", r->content_type, sizeof(r->content_type));
	return sz * n;
}

static int perform(const char *method, const char *url, struct curl_slist *hl, const char *body, struct resp *r,
		   int fresh)
{
	if (!g_curl)
		g_curl = curl_easy_init();
	CURL *c = g_curl;
	curl_easy_reset(c);
	struct cas_buf b = CAS_BUF_INIT;
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, (long)fresh);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, (long)fresh);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	r->curl_error = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->len = b.len;
	r->body = cas_buf_steal(&b);
	r->json = cJSON_ParseWithLength(r->body, r->len);
	return r->curl_error ? -1 : 0;
}

int http_raw(const struct emu_proc *p, const char *method, const char *path, const char *body, struct resp *r)
{
	char *url = cas_xasprintf("%s%s", p->base, path);
	struct curl_slist *hl = curl_slist_append(NULL, "Content-Type:");
	int rc = perform(method, url, hl, body, r, 0);
	curl_slist_free_all(hl);
	free(url);
	return rc;
}

static void hset(struct cas_header *h, size_t *n, const char *name, const char *value)
{
	h[*n].name = name;
	h[*n].value = value;
	(*n)++;
}

static const char *version_of(const struct call *c)
{
	if (c->version)
		return c->version;
	int i = cas_action_by_name(c->action);
	return i >= 0 ? cas_actions[i].version : "2020-04-07";
}

static void set_param(struct cas_params *q, const char *key, const char *val)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->v[i].key, key) == 0) {
			free(q->v[i].val);
			q->v[i].val = cas_xstrdup(val);
			return;
		}
	cas_params_set(q, key, val);
}

static void sign_v2(const struct call *c, struct cas_params *q, const char *when, const char *nonce,
		    const char *ak, const char *secret, const char *token)
{
	cas_params_set(q, "Action", c->action);
	cas_params_set(q, "Version", version_of(c));
	cas_params_set(q, "Format", "json");
	cas_params_set(q, "Timestamp", when);
	cas_params_set(q, "SignatureNonce", nonce);
	if (c->mode == SIGN_BEARER_V2) {
		cas_params_set(q, "BearerToken", token);
		cas_params_set(q, "SignatureType", "BEARERTOKEN");
		return;
	}
	cas_params_set(q, "SignatureMethod", "HMAC-SHA1");
	cas_params_set(q, "SignatureVersion", "1.0");
	cas_params_set(q, "AccessKeyId", ak);
	if (c->sts)
		cas_params_set(q, "SecurityToken", token);
	char *sts = cas_v2_string_to_sign("POST", q);
	char *sig = cas_v2_signature(secret, sts);
	cas_params_set(q, "Signature", sig);
	free(sig);
	free(sts);
}

int api_call(const struct emu_proc *p, const struct call *c, struct resp *r)
{
	struct cas_params q = CAS_PARAMS_INIT;
	cas_params_copy(&q, &c->q);
	char date[32], nonce[40], hash[65];
	now_iso(date);
	fresh_nonce(nonce);
	const char *when = c->date ? c->date : date, *nn = c->nonce ? c->nonce : nonce;
	const char *ak = c->ak ? c->ak : c->sts ? T_STS_AK : T_AK;
	const char *secret = c->secret ? c->secret : c->sts ? T_STS_SECRET : T_SECRET;
	const char *token = c->token ? c->token : c->sts ? T_STS_TOKEN : T_BEARER;
	const char *body = c->form_body;
	struct cas_header h[16];
	size_t nh = 0;
	char *authz = NULL;
	if (c->mode == SIGN_V2 || c->mode == SIGN_BEARER_V2) {
		sign_v2(c, &q, when, nn, ak, secret, token);
	} else if (c->mode != SIGN_NONE) {
		cas_sha256_hex(body ? body : "", body ? strlen(body) : 0, hash);
		hset(h, &nh, "host", p->host);
		hset(h, &nh, "x-acs-action", c->action);
		hset(h, &nh, "x-acs-version", version_of(c));
		hset(h, &nh, "x-acs-date", when);
		hset(h, &nh, "x-acs-signature-nonce", nn);
		hset(h, &nh, "x-acs-content-sha256", hash);
		if (body)
			hset(h, &nh, "content-type", "application/x-www-form-urlencoded");
		if (c->mode == SIGN_V3 && c->sts) {
			hset(h, &nh, "x-acs-accesskey-id", ak);
			hset(h, &nh, "x-acs-security-token", token);
		}
		if (c->mode == SIGN_BEARER_HDR) {
			hset(h, &nh, "x-acs-bearer-token", token);
			cas_params_set(&q, "SignatureType", "BEARERTOKEN");
		} else if (c->mode == SIGN_BEARER_AUTH) {
			authz = cas_xasprintf("Bearer %s", token);
		} else {
			char *signed_headers = NULL, sig[65];
			char *canon = cas_v3_canonical_request("POST", "/", &q, h, nh, hash, NULL, &signed_headers);
			char *sts = cas_v3_string_to_sign(canon);
			cas_v3_signature(secret, sts, sig);
			authz = cas_v3_authorization(ak, signed_headers, sig);
			free(canon);
			free(sts);
			free(signed_headers);
		}
	}
	if (c->tamper_key)
		set_param(&q, c->tamper_key, c->tamper_val);
	struct curl_slist *hl = curl_slist_append(NULL, body ? "Content-Type: application/x-www-form-urlencoded"
							      : "Content-Type:");
	for (size_t i = 0; i < nh; i++) {
		if ((c->drop_header && strcasecmp(h[i].name, c->drop_header) == 0) ||
		    strcasecmp(h[i].name, "content-type") == 0)
			continue;
		char *line = cas_xasprintf("%s: %s", h[i].name, h[i].value);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	if (authz) {
		char *line = cas_xasprintf("Authorization: %s", authz);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	char *qs = wire_query(&q, c->node_encoding);
	char *url = cas_xasprintf("%s/?%s", p->base, qs);
	int rc = perform("POST", url, hl, body, r, c->fresh_connection);
	curl_slist_free_all(hl);
	free(url);
	free(qs);
	free(authz);
	cas_params_free(&q);
	return rc;
}

int v3(const struct emu_proc *p, struct resp *r, const char *action, ...)
{
	struct call c;
	call_init(&c, action);
	va_list ap;
	va_start(ap, action);
	for (const char *k; (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		cas_params_set(&c.q, k, v);
	}
	va_end(ap);
	int rc = api_call(p, &c, r);
	call_free(&c);
	return rc;
}

char *audit_text(const struct emu_proc *p)
{
	return emu_proc_audit_text(p);
}

cJSON *audit_lines(const struct emu_proc *p)
{
	char *text = audit_text(p);
	cJSON *a = cJSON_CreateArray();
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *o = cJSON_Parse(line);
		cJSON_AddItemToArray(a, o ? o : cJSON_CreateNull());
	}
	free(text);
	return a;
}
