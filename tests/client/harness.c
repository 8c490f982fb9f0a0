/* harness: emulator process control, control-endpoint requests, audit log
 * reading and client construction for the client tests (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"

const char *g_bin;
struct emu g_emu;

#define MAX_CLIENTS 16
static struct cas_client *g_clients[MAX_CLIENTS];
static int g_nclients;
static int g_emu_failed;

void emu_up(const char *const *extra)
{
	assert_int_equal(g_emu.proc.pid, 0); /* one emulator per test */
	static const char *const creds[] = { "--access-key", T_AK ":" T_SECRET, "--sts",
					     T_STS_AK ":" T_STS_SECRET ":" T_STS_TOKEN, "--bearer", T_BEARER, NULL };
	if (emu_proc_start(&g_emu.proc, g_bin, creds, extra))
		fail_msg("emulator did not start");
	snprintf(g_emu.url, sizeof(g_emu.url), "%s", g_emu.proc.base);
}

static int emu_down(void)
{
	if (g_emu.proc.pid <= 0)
		return 0;
	int rc = emu_proc_stop(&g_emu.proc);
	if (rc != 0) {
		fprintf(stderr, "emulator exited with status %d\n", rc);
		g_emu_failed = 1;
	}
	return rc;
}

int emu_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < g_nclients; i++)
		cas_client_free(g_clients[i]);
	g_nclients = 0;
	int rc = emu_down();
	g_emu.cafile[0] = '\0';
	return rc;
}

int emu_failures(void)
{
	return g_emu_failed;
}

struct cas_client *client_with(const struct cas_creds *cr, const struct cas_client_opts *o)
{
	struct cas_client_opts opts = { 0 };
	if (o)
		opts = *o;
	if (!opts.endpoint)
		opts.endpoint = g_emu.url;
	if (opts.qps == 0)
		opts.qps = 100000;
	if (!o)
		opts.max_retries = -1;
	struct cas_error e;
	struct cas_client *c = cas_client_new(&opts, cr, &e);
	if (!c)
		fail_msg("cas_client_new: %s", e.message);
	assert_true(g_nclients < MAX_CLIENTS);
	g_clients[g_nclients++] = c;
	return c;
}

struct cas_client *client_for(enum cred kind, const struct cas_client_opts *o)
{
	struct cas_creds cr = { .source = "test" };
	switch (kind) {
	case CRED_AK:
		cr.kind = CAS_CRED_AK;
		cr.access_key_id = T_AK;
		cr.access_key_secret = T_SECRET;
		break;
	case CRED_WRONG_SECRET:
		cr.kind = CAS_CRED_AK;
		cr.access_key_id = T_AK;
		cr.access_key_secret = "not-the-secret";
		break;
	case CRED_STS:
		cr.kind = CAS_CRED_STS;
		cr.access_key_id = T_STS_AK;
		cr.access_key_secret = T_STS_SECRET;
		cr.security_token = T_STS_TOKEN;
		break;
	case CRED_BEARER:
		cr.kind = CAS_CRED_BEARER;
		cr.bearer_token = T_BEARER;
		break;
	}
	return client_with(&cr, o);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	cas_buf_add(ud, p, size * n);
	return size * n;
}

static cJSON *control(const char *method, const char *path, const char *body)
{
	CURL *c = curl_easy_init();
	assert_non_null(c);
	char *url = cas_xasprintf("%s%s", g_emu.url, path);
	struct cas_buf b = CAS_BUF_INIT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (g_emu.cafile[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, g_emu.cafile);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	free(url);
	if (rc != CURLE_OK || (status != 200 && status != 201)) {
		fprintf(stderr, "%s %s: curl %d, HTTP %ld: %s\n", method, path, (int)rc, status, cas_buf_str(&b));
		cas_buf_free(&b);
		fail_msg("control request failed");
	}
	cJSON *j = cJSON_ParseWithLength(cas_buf_str(&b), b.len);
	cas_buf_free(&b);
	return j;
}

cJSON *emu_get(const char *path)
{
	return control("GET", path, NULL);
}

cJSON *emu_post(const char *path, const char *body)
{
	return control("POST", path, body);
}

cJSON *emu_delete(const char *path)
{
	return control("DELETE", path, NULL);
}

cJSON *emu_state(void)
{
	cJSON *st = emu_get("/_emulator/state");
	assert_non_null(st);
	return st;
}

cJSON *state_instance(cJSON *st, const char *id)
{
	cJSON *it;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(st, "instances"))
	{
		const char *s = jstr(it, "InstanceId");
		if (s && strcmp(s, id) == 0)
			return it;
	}
	return NULL;
}

void emu_faults(const char *spec)
{
	cJSON_Delete(control("POST", "/_emulator/faults", spec));
}

static char *audit_text(void)
{
	return emu_proc_audit_text(&g_emu.proc);
}

cJSON *audit_all(void)
{
	char *text = audit_text();
	cJSON *arr = cJSON_CreateArray();
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			fail_msg("audit line without a newline");
		*nl = '\0';
		cJSON *j = cJSON_Parse(line);
		if (!j)
			fail_msg("audit line is not JSON: %s", line);
		cJSON_AddItemToArray(arr, j);
	}
	free(text);
	return arr;
}

int audit_lines(void)
{
	char *text = audit_text();
	int n = 0;
	for (char *p = text; *p; p++)
		n += *p == '\n';
	free(text);
	return n;
}

/* Audit lines of action (NULL = any) for which keep(line, arg) holds. */
static int count_where(const cJSON *audit, const char *action, int (*keep)(const cJSON *, int), int arg)
{
	int n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, audit)
	{
		const char *a = jstr(it, "action");
		if ((!action || (a && strcmp(a, action) == 0)) && keep(it, arg))
			n++;
	}
	return n;
}

static int applied_is(const cJSON *line, int applied)
{
	return applied < 0 || cJSON_IsTrue(cJSON_GetObjectItem(line, "applied")) == applied;
}

static int status_is(const cJSON *line, int status)
{
	return (int)jnum(line, "status") == status;
}

int audit_count(const cJSON *audit, const char *action, int applied)
{
	return count_where(audit, action, applied_is, applied);
}

int audit_count_status(const cJSON *audit, const char *action, int status)
{
	return count_where(audit, action, status_is, status);
}

void expect_rc_at(int rc, int want, const struct cas_error *e, const char *file, int line)
{
	if (rc != want || (want && e->err != -want) || (!want && e->err)) {
		char msg[1024];
		cas_error_format(e, msg, sizeof(msg));
		fprintf(stderr, "%s:%d: expected %d (%s), got %d (%s); error %d: %s\n", file, line, want,
			want ? strerror(-want) : "ok", rc, rc ? strerror(-rc) : "ok", e->err, msg);
	}
	assert_int_equal(rc, want);
	assert_int_equal(e->err, -want);
}

uint64_t stats_sum(struct cas_client *c, size_t field_offset)
{
	struct cas_client_stats st;
	cas_client_stats(c, &st);
	uint64_t sum = 0;
	for (int i = 0; i < CAS_NACTIONS; i++)
		sum += *(const uint64_t *)((const char *)&st.a[i] + field_offset);
	return sum;
}
