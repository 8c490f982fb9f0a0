/* fake_api: the scriptable struct cas_api of the cache/ tests (see fake_api.h). */
#include "fake_api.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "update.h"
#include "update_test.h"

static struct fake_api *F(struct cas_api *a)
{
	return (struct fake_api *)a;
}

/* Counts the call and returns the version it sees (or the failure to give). */
static int begin(struct fake_api *f, enum cas_action a, int *version)
{
	pthread_mutex_lock(&f->mu);
	f->calls[a]++;
	*version = f->version;
	int rc = cas_actions[a].mutating ? f->mutate_rc : f->read_rc;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int fail(struct cas_error *e, enum cas_action a, int rc)
{
	cas_error_set(e, -rc, rc == -ENOENT ? "InvalidInstanceId.NotFound" : "InternalError", "fake %s failure",
		      cas_actions[a].name);
	e->http_status = rc == -ENOENT ? 404 : 500;
	snprintf(e->request_id, sizeof(e->request_id), "FAKE-RID");
	return rc;
}

char *fake_detail_text(const char *id, int version)
{
	return cas_xasprintf("{\n  \"InstanceId\": \"%s\",\n  \"Version\": %d\n}\n", id, version);
}

static int f_list(struct cas_api *a, const struct cas_list_filter *flt, struct cas_instances **out,
		  struct cas_error *e)
{
	struct fake_api *f = F(a);
	int v;
	int rc = begin(f, CAS_LIST_INSTANCES, &v);
	pthread_mutex_lock(&f->mu);
	snprintf(f->last_filter_status, sizeof(f->last_filter_status), "%s",
		 flt && flt->status ? flt->status : "");
	int n = f->ninstances;
	pthread_mutex_unlock(&f->mu);
	if (rc)
		return fail(e, CAS_LIST_INSTANCES, rc);
	struct cas_instances *l = cas_instances_new();
	l->v = cas_xcalloc((size_t)n + 1, sizeof(*l->v));
	for (int i = 0; i < n; i++) {
		struct cas_instance *it = &l->v[i];
		it->id = cas_xasprintf("cas-%04d", i);
		it->name = cas_xasprintf("name-%d", i);
		it->domain = cas_xstrdup("example.com");
		it->status = cas_xstrdup("normal");
		it->cert_status = cas_xstrdup("issued");
		it->auto_reissue = cas_xstrdup("disable");
		it->key_algorithm = cas_xstrdup("RSA_2048");
		it->brand = cas_xasprintf("Brand-%d", i);
		it->cert_type = cas_xstrdup("DV");
		it->not_before = i % 2 ? 0 : 1700000000000LL;
		it->not_after = i % 2 ? 0 : 1731536000000LL;
		it->cert_id = i % 2 ? 0 : 5000 + i; /* every other instance has a certificate */
		it->hash = (uint64_t)v * 1000003u + (uint64_t)i;
		if (f->list_json) {
			it->json = cas_xasprintf("{\"InstanceId\":\"%s\",\"CertificateName\":\"%s\",\"Status\":\"normal\"}",
						 it->id, it->name);
			it->json_len = strlen(it->json);
		}
	}
	l->n = (size_t)n;
	l->total_count = n;
	cas_instances_sort_unique(l);
	*out = l;
	return 0;
}

static int f_detail(struct cas_api *a, const char *id, struct cas_doc **out, struct cas_error *e)
{
	struct fake_api *f = F(a);
	int v;
	int rc = begin(f, CAS_GET_INSTANCE_DETAIL, &v);
	if (f->on_detail)
		f->on_detail(f, id);
	pthread_mutex_lock(&f->mu);
	int missing = 0;
	for (int i = 0; i < f->nmissing; i++)
		missing |= strcmp(f->missing[i], id) == 0;
	if (f->gate > 0) {
		f->gate--;
		f->held++;
		uint64_t r = f->release;
		pthread_cond_broadcast(&f->cv);
		while (f->release == r)
			pthread_cond_wait(&f->cv, &f->mu);
		f->held--;
	}
	pthread_mutex_unlock(&f->mu);
	if (rc)
		return fail(e, CAS_GET_INSTANCE_DETAIL, rc);
	if (missing)
		return fail(e, CAS_GET_INSTANCE_DETAIL, -ENOENT);
	char *t = f->detail_fields ? cas_xasprintf("{\"InstanceId\": \"%s\", \"Version\": %d, %s}", id, v,
						   f->detail_fields)
				   : fake_detail_text(id, v);
	*out = cas_doc_new(t, strlen(t));
	free(t);
	return 0;
}

static int f_summary(struct cas_api *a, struct cas_doc **out, struct cas_error *e)
{
	int v;
	int rc = begin(F(a), CAS_GET_INSTANCE_SUMMARY, &v);
	if (rc)
		return fail(e, CAS_GET_INSTANCE_SUMMARY, rc);
	char *t = cas_xasprintf("{\n  \"TotalCount\": %d\n}\n", v);
	*out = cas_doc_new(t, strlen(t));
	free(t);
	return 0;
}

static struct cas_entries *entries(const char *key, int v)
{
	struct cas_entries *l = cas_entries_new();
	l->v = cas_xcalloc(1, sizeof(*l->v));
	l->v[0].key = cas_xstrdup(key);
	char *t = cas_xasprintf("{\n  \"Version\": %d\n}\n", v);
	l->v[0].doc = cas_doc_new(t, strlen(t));
	free(t);
	l->n = 1;
	return l;
}

static int f_list_access(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	int v;
	int rc = begin(F(a), CAS_LIST_CLOUD_ACCESS, &v);
	if (rc)
		return fail(e, CAS_LIST_CLOUD_ACCESS, rc);
	*out = entries("888", v);
	return 0;
}

static int f_ca(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	int v;
	int rc = begin(F(a), CAS_GET_CA_INSTANCE_STATUS, &v);
	if (rc)
		return fail(e, CAS_GET_CA_INSTANCE_STATUS, rc);
	*out = entries("cas-member-1", v);
	return 0;
}

static int mutation(struct cas_api *a, enum cas_action act, struct cas_error *e)
{
	struct fake_api *f = F(a);
	int v;
	int rc = begin(f, act, &v);
	if (rc)
		return fail(e, act, rc);
	fake_bump_version(f);
	return 0;
}

static int f_update(struct cas_api *a, const struct cas_update *u, struct cas_error *e)
{
	struct fake_api *f = F(a);
	pthread_mutex_lock(&f->mu);
	f->last_update_fields = cas_update_count(u);
	pthread_mutex_unlock(&f->mu);
	return mutation(a, CAS_UPDATE_INSTANCE, e);
}

static int f_delete(struct cas_api *a, const char *id, struct cas_error *e)
{
	(void)id;
	return mutation(a, CAS_DELETE_INSTANCE, e);
}

static int f_refund(struct cas_api *a, const char *id, struct cas_error *e)
{
	(void)id;
	return mutation(a, CAS_REFUND_INSTANCE, e);
}

static int f_add_access(struct cas_api *a, const struct cas_access_new *n, struct cas_error *e)
{
	(void)n;
	return mutation(a, CAS_ADD_CLOUD_ACCESS, e);
}

static int f_delete_access(struct cas_api *a, const char *id, struct cas_error *e)
{
	(void)id;
	return mutation(a, CAS_DELETE_CLOUD_ACCESS, e);
}

static int f_cert(struct cas_api *a, const char *cert_id, struct cas_cert **out, struct cas_error *e)
{
	int v;
	int rc = begin(F(a), CAS_GET_USER_CERTIFICATE_DETAIL, &v);
	if (rc)
		return fail(e, CAS_GET_USER_CERTIFICATE_DETAIL, rc);
	char *pem = cas_xasprintf("CERT %s v%d\n", cert_id, v);
	size_t n = strlen(pem);
	*out = cas_cert_new(pem, n, n, NULL, 0);
	return 0;
}

/* The store: three certificates, ids 7001..7003, the last one expired. */
static int f_list_store(struct cas_api *a, struct cas_certs **out, struct cas_error *e)
{
	int v;
	int rc = begin(F(a), CAS_LIST_CERTIFICATES, &v);
	if (rc)
		return fail(e, CAS_LIST_CERTIFICATES, rc);
	struct cas_store_cert *c = cas_xcalloc(3, sizeof(*c));
	for (int i = 0; i < 3; i++) {
		c[i].id = 7001 + i;
		c[i].name = cas_xasprintf("store-%d", i);
		c[i].fingerprint = cas_xasprintf("%040d", 7001 + i);
		c[i].not_after = i == 2 ? 1000 : 4102444800000LL;
	}
	*out = cas_certs_new(c, 3);
	(*out)->as_of_ms = 1700000000000LL;
	return 0;
}

static int f_upload(struct cas_api *a, const struct cas_upload *u, int64_t *cert_id, struct cas_error *e)
{
	(void)u;
	*cert_id = 7100;
	return mutation(a, CAS_UPLOAD_USER_CERTIFICATE, e);
}

static int f_delete_cert(struct cas_api *a, int64_t cert_id, struct cas_error *e)
{
	(void)cert_id;
	return mutation(a, CAS_DELETE_USER_CERTIFICATE, e);
}

static const struct cas_api_ops fake_ops = {
	.list_instances = f_list,
	.get_instance_detail = f_detail,
	.get_instance_summary = f_summary,
	.update_instance = f_update,
	.delete_instance = f_delete,
	.refund_instance = f_refund,
	.list_cloud_access = f_list_access,
	.add_cloud_access = f_add_access,
	.delete_cloud_access = f_delete_access,
	.get_ca_instance_status = f_ca,
	.get_user_certificate_detail = f_cert,
	.list_store = f_list_store,
	.upload_certificate = f_upload,
	.delete_certificate = f_delete_cert,
};

void fake_init(struct fake_api *f)
{
	memset(f, 0, sizeof(*f));
	f->api.ops = &fake_ops;
	f->version = 1;
	f->ninstances = 5;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
}

void fake_destroy(struct fake_api *f)
{
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
}

int fake_calls(struct fake_api *f, enum cas_action a)
{
	pthread_mutex_lock(&f->mu);
	int n = f->calls[a];
	pthread_mutex_unlock(&f->mu);
	return n;
}

void fake_set(struct fake_api *f, int *field, int value)
{
	pthread_mutex_lock(&f->mu);
	*field = value;
	pthread_mutex_unlock(&f->mu);
}

void fake_bump_version(struct fake_api *f)
{
	pthread_mutex_lock(&f->mu);
	f->version++;
	pthread_mutex_unlock(&f->mu);
}

void fake_add_missing(struct fake_api *f, const char *id)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->missing[f->nmissing++], sizeof(f->missing[0]), "%s", id);
	pthread_mutex_unlock(&f->mu);
}

void fake_hold(struct fake_api *f, int n)
{
	pthread_mutex_lock(&f->mu);
	f->gate = n;
	pthread_mutex_unlock(&f->mu);
}

void fake_wait_held(struct fake_api *f, int n)
{
	pthread_mutex_lock(&f->mu);
	while (f->held < n)
		pthread_cond_wait(&f->cv, &f->mu);
	pthread_mutex_unlock(&f->mu);
}

void fake_release(struct fake_api *f)
{
	pthread_mutex_lock(&f->mu);
	f->gate = 0;
	f->release++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

int64_t fake_now_ms(void *ctx)
{
	struct fake_clock *c = ctx;
	return atomic_load(&c->now);
}

void wait_until(int (*cond)(void *arg), void *arg)
{
	while (!cond(arg)) {
		sched_yield();
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
}
