/* server: libmicrohttpd glue. One thread per connection (so --latency-ms
 * delays overlap across connections; keep-alive works), the raw request URI
 * captured before MHD decodes it (signatures are checked against the decoded
 * and re-canonicalised query, never MHD's view of it), request bodies
 * gathered up to 1 MiB, responses with the gateway's headers, and the
 * "reset" fault as a TCP RST (SO_LINGER {1,0}, an AF_UNSPEC disconnect, and
 * MHD_NO). */
#include "server.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "buf.h"

#define MAX_BODY (1024 * 1024)

struct req_ctx {
	char *uri;          /* raw request target: path?query */
	struct cas_buf body;
	int started;
	int too_large;
};

struct hdr_vec {
	struct cas_header *v;
	size_t n, cap;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	struct req_ctx *ctx = cas_xcalloc(1, sizeof(*ctx));
	ctx->uri = cas_xstrdup(uri ? uri : "/");
	return ctx;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	(void)cls;
	(void)c;
	(void)t;
	struct req_ctx *ctx = *con_cls;
	if (!ctx)
		return;
	free(ctx->uri);
	cas_buf_free(&ctx->body);
	free(ctx);
	*con_cls = NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct hdr_vec *hv = cls;
	if (hv->n == hv->cap) {
		hv->cap = hv->cap ? hv->cap * 2 : 16;
		hv->v = cas_xrealloc(hv->v, hv->cap * sizeof(*hv->v));
	}
	hv->v[hv->n].name = key;
	hv->v[hv->n].value = value ? value : "";
	hv->n++;
	return MHD_YES;
}

static void host_without_port(const char *host, char out[256])
{
	out[0] = '\0';
	if (!host)
		return;
	size_t n;
	if (host[0] == '[') {
		const char *end = strchr(host, ']');
		n = end ? (size_t)(end - host + 1) : strlen(host);
	} else {
		n = strcspn(host, ":");
	}
	if (n > 255)
		n = 255;
	memcpy(out, host, n);
	out[n] = '\0';
}

static enum MHD_Result send_reply(struct MHD_Connection *c, int status, char *body, size_t len, const char *rid,
				  long retry_after_ms)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json;charset=utf-8");
	MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
	MHD_add_response_header(resp, "Access-Control-Expose-Headers", "*");
	/* the emulator's clock, shifted by /_emulator/clock (MHD would send the real one) */
	char date[64];
	time_t now = (time_t)(emu_now_ms() / 1000);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	MHD_add_response_header(resp, "Date", date);
	if (rid)
		MHD_add_response_header(resp, "x-acs-request-id", rid);
	if (retry_after_ms >= 0) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%ld", retry_after_ms);
		MHD_add_response_header(resp, "x-acs-retry-after", tmp);
	}
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result reset_connection(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };
		setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		/* MHD shuts the write side down (a FIN) before closing; disconnecting
		 * the socket first (connect to AF_UNSPEC) aborts it with an RST now. */
		struct sockaddr unspec = { .sa_family = AF_UNSPEC };
		connect(ci->connect_fd, &unspec, sizeof(unspec));
	}
	return MHD_NO;
}

static int is_form(const char *ctype)
{
	return ctype && strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0;
}

static enum MHD_Result serve_api(struct emu_server *s, struct MHD_Connection *c, const char *method,
				 struct req_ctx *ctx)
{
	struct hdr_vec hv = { 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &hv);
	const char *q = strchr(ctx->uri, '?');
	char *path = cas_xstrndup(ctx->uri, q ? (size_t)(q - ctx->uri) : strlen(ctx->uri));
	struct emu_http h = { .method = method, .path = path, .hdr = hv.v, .nhdr = hv.n };
	h.body = cas_buf_str(&ctx->body);
	h.body_len = ctx->body.len;
	host_without_port(emu_http_header(&h, "Host"), h.host);
	int bad = ctx->too_large ? EMU_BAD_TOO_LARGE : q && cas_params_parse(&h.query, q + 1) ? EMU_BAD_QUERY : 0;
	if (!bad && is_form(emu_http_header(&h, "Content-Type")) && cas_params_parse(&h.form, h.body))
		bad = EMU_BAD_QUERY;
	cas_params_copy(&h.all, &h.query);
	cas_params_copy(&h.all, &h.form);

	struct emu_api_result res;
	emu_api_handle(s, &h, bad, &res);
	enum MHD_Result rc;
	if (res.fault == EMU_FAULT_RESET) {
		free(res.body);
		rc = reset_connection(c);
	} else {
		rc = send_reply(c, res.status, res.body, res.len, res.request_id, res.retry_after_ms);
	}
	cas_params_free(&h.query);
	cas_params_free(&h.form);
	cas_params_free(&h.all);
	free(hv.v);
	free(path);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	(void)url;
	(void)version;
	struct emu_server *s = cls;
	struct req_ctx *ctx = *con_cls;
	if (!ctx)
		*con_cls = ctx = on_uri(NULL, url, c);
	if (!ctx->started) {
		ctx->started = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (ctx->body.len + *upload_size > MAX_BODY)
			ctx->too_large = 1;
		else
			cas_buf_add(&ctx->body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (ctx->too_large && strncmp(ctx->uri, "/_emulator/", 11) == 0) {
		const char *msg = "{\"error\":\"the request body is larger than 1 MiB\"}";
		return send_reply(c, 413, cas_xstrdup(msg), strlen(msg), NULL, -1);
	}
	if (strncmp(ctx->uri, "/_emulator/", 11) == 0) {
		const char *q = strchr(ctx->uri, '?');
		char *path = cas_xstrndup(ctx->uri, q ? (size_t)(q - ctx->uri) : strlen(ctx->uri));
		int status = 500;
		char *out = NULL;
		emu_control_handle(s, method, path, cas_buf_str(&ctx->body), ctx->body.len, &status, &out);
		free(path);
		return send_reply(c, status, out, strlen(out), NULL, -1);
	}
	return serve_api(s, c, method, ctx);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strstr(msg, "Application reported internal error"))
		return; /* that is how the "reset" fault closes a connection */
	fprintf(stderr, "cas-emulator: %s", msg);
}

/* "ADDR:PORT" ("[v6]:PORT") to a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *ss, int *v6, char *err, size_t errlen)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || !colon[1]) {
		snprintf(err, errlen, "--listen must be ADDR:PORT (got \"%s\")", listen);
		return -1;
	}
	char *host = cas_xstrndup(listen, (size_t)(colon - listen));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &ai);
	free(host);
	if (rc || !ai) {
		snprintf(err, errlen, "cannot resolve --listen %s: %s", listen, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct cas_buf b = CAS_BUF_INIT;
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		cas_buf_add(&b, tmp, n);
	fclose(f);
	return cas_buf_steal(&b);
}

int emu_server_start(struct emu_server *s, const struct emu_opts *o, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->opts = o;
	struct sockaddr_storage ss;
	int v6 = 0;
	if (resolve(o->listen, &ss, &v6, err, errlen))
		return -1;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
			 (v6 ? MHD_USE_IPv6 : 0);
	if (o->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "this libmicrohttpd has no TLS support");
			return -1;
		}
		if (!(s->cert_pem = slurp(o->tls_cert, err, errlen)) || !(s->key_pem = slurp(o->tls_key, err, errlen)))
			return -1;
		flags |= MHD_USE_TLS;
	}
	s->faults = emu_faults_new(o->seed);
	if (emu_faults_set(s->faults, o->faults, err, errlen))
		return -1;
	if (o->audit && !(s->audit = emu_audit_open(o->audit, err, errlen)))
		return -1;
	emu_state_init(&s->state, o);
	s->auth = emu_auth_new(o->creds, o->ncreds);
	s->throttle = emu_throttle_new(o->qps, o->ncreds);
	s->order_throttle = emu_throttle_new(10, o->ncreds);
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, s,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(512 * 1024),
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_ARRAY,
				  o->tls_cert ? tls : tls + 2, MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "cannot listen on %s", o->listen);
		return -1;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	return 0;
}

void emu_server_stop(struct emu_server *s)
{
	emu_shutdown_begin();
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	s->mhd = NULL;
	emu_throttle_free(s->throttle);
	emu_throttle_free(s->order_throttle);
	emu_auth_free(s->auth);
	emu_state_free(&s->state);
	emu_audit_close(s->audit);
	emu_faults_free(s->faults);
	free(s->cert_pem);
	free(s->key_pem);
	memset(s, 0, sizeof(*s));
}
