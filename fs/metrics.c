/* metrics: .cas/metrics.prom, the Prometheus text format for node_exporter's
 * textfile collector (--collector.textfile.directory=<mnt>/.cas). Two parts:
 * the certificates' series, one sample per instance with a certificate

 * (NotAfter in Unix seconds, expired 0/1 by the service's clock; labels source, id, domain, brand)
 * and the instances counted by status, all from the instance list; and the
 * mount's health, rendered from the table .cas/stats uses (stattab.c).
 * Cost rule: the list is read through the cache, so a scrape is served from
 * the cached list and refreshes it at most once per ttl (never a detail).
 * Sources: the instances (source="instance") and the certificate store
 * (source="store": id is the CertificateId, domain the CommonName, brand the
 * Issuer), under the same metric names. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "kinds.h"
#include "model.h"
#include "stattab.h"
#include "validate.h"

/* One certificate a source shows. */
struct cert_row {
	const char *id, *domain, *brand;
	int64_t not_after_ms;
};

/* A source of certificates: calls emit for each of its certificates; 1
 * when it could be read. */
struct cert_source {
	const char *name;   /* the `source` label */
	int (*each)(struct casfs *fs, void (*emit)(void *ctx, const struct cert_row *c), void *ctx,
		    struct cas_instances **list);
};

static int instance_certs(struct casfs *fs, void (*emit)(void *ctx, const struct cert_row *c), void *ctx,
			  struct cas_instances **list)
{
	struct cas_error e;
	cas_error_clear(&e);
	if (!*list && fs->api->ops->list_instances(fs->api, NULL, list, &e))
		return 0;
	for (size_t i = 0; i < (*list)->n; i++) {
		const struct cas_instance *it = &(*list)->v[i];
		if (!it->not_after)
			continue; /* nothing issued */
		struct cert_row c = { it->id, it->domain ? it->domain : "", it->brand ? it->brand : "", it->not_after };
		emit(ctx, &c);
	}
	return 1;
}

/* The certificate store (issue 19): every stored certificate, uploaded and
 * issued, expired ones included, from the store listing read through the
 * cache (at most one ListCertificates walk per ttl; never a detail). */
static int store_certs(struct casfs *fs, void (*emit)(void *ctx, const struct cert_row *c), void *ctx,
		       struct cas_instances **list)
{
	(void)list;
	struct cas_error e;
	cas_error_clear(&e);
	struct cas_certs *l = NULL;
	if (fs->api->ops->list_store(fs->api, &l, &e))
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct cas_store_cert *it = &l->v[i];
		if (!it->not_after)
			continue;
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)it->id);
		struct cert_row c = { id, it->common_name ? it->common_name : "", it->issuer ? it->issuer : "",
				      it->not_after };
		emit(ctx, &c);
	}
	cas_obj_unref(l);
	return 1;
}

static const struct cert_source sources[] = {
	{ "instance", instance_certs },
	{ "store", store_certs },
};

struct emit_ctx {
	struct cas_buf *b;
	const char *metric, *source;
	int64_t now_ms;
	int expired; /* 0: NotAfter; 1: expired */
};

static void emit(void *ctx, const struct cert_row *c)
{
	struct emit_ctx *x = ctx;
	cas_buf_addf(x->b, "casfs_%s{source=\"%s\",id=\"", x->metric, x->source);
	prom_label(x->b, c->id);
	cas_buf_adds(x->b, "\",domain=\"");
	prom_label(x->b, c->domain);
	cas_buf_adds(x->b, "\",brand=\"");
	prom_label(x->b, c->brand);
	if (x->expired)
		cas_buf_addf(x->b, "\"} %d\n", c->not_after_ms <= x->now_ms);
	else
		cas_buf_addf(x->b, "\"} %.15g\n", (double)c->not_after_ms / 1000);
}

int render_metrics(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	(void)n;
	(void)e;
	struct cas_buf b = CAS_BUF_INIT;
	/* "expired" by the service's clock, as by-expiry/ decides */
	int64_t now = fs->client ? cas_client_service_now_ms(fs->client) : (int64_t)time(NULL) * 1000;
	struct cas_instances *list = NULL;
	int ok[sizeof(sources) / sizeof(sources[0])];
	static const struct { const char *metric, *help, *type; } cert_metrics[] = {
		{ "certificate_not_after_seconds", "NotAfter of the certificate, Unix seconds", "gauge" },
		{ "certificate_expired", "1 when the certificate's NotAfter has passed (the service's clock), else 0", "gauge" },
	};
	for (int m = 0; m < 2; m++) {
		prom_header(&b, cert_metrics[m].metric, cert_metrics[m].help, cert_metrics[m].type);
		for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++) {
			struct emit_ctx x = { &b, cert_metrics[m].metric, sources[s].name, now, m };
			if (m == 0)
				ok[s] = sources[s].each(fs, emit, &x, &list);
			else if (ok[s])
				sources[s].each(fs, emit, &x, &list);
		}
	}
	prom_header(&b, "source_up", "1 when the source's list could be read (fresh or stale), else 0", "gauge");
	for (size_t s = 0; s < sizeof(sources) / sizeof(sources[0]); s++)
		cas_buf_addf(&b, "casfs_source_up{source=\"%s\"} %d\n", sources[s].name, ok[s]);
	if (list) {
		/* every status the service defines (0 included, so alerts see it), then any other seen */
		prom_header(&b, "instances", "instances by Status, from the list", "gauge");
		const char *const *known = cas_enum_values(CAS_ENUM_STATUS);
		for (const char *const *st = known; *st; st++) {
			size_t c = 0;
			for (size_t i = 0; i < list->n; i++)
				c += list->v[i].status && strcmp(list->v[i].status, *st) == 0;
			cas_buf_addf(&b, "casfs_instances{status=\"%s\"} %zu\n", *st, c);
		}
		size_t other = 0;
		for (size_t i = 0; i < list->n; i++) {
			int k = 0;
			for (const char *const *st = known; *st && !k; st++)
				k = list->v[i].status && strcmp(list->v[i].status, *st) == 0;
			other += !k;
		}
		cas_buf_addf(&b, "casfs_instances{status=\"other\"} %zu\n", other);
	}
	cas_obj_unref(list);
	stattab_prom(fs, &b);
	*out = snap_new(b.p, b.len);
	cas_buf_free(&b);
	return 0;
}
