/* clientapi: the struct cas_api face of a client (the vtable the cache and
 * the snapshot decorate), over the single calls (ops.c), whole lists
 * (paging.c), mutations (mutate.c), certificates (certdetail.c) and the
 * certificate store (store.c). */
#include "client.h"

#include "certdetail.h"
#include "mutate.h"
#include "ops.h"
#include "paging.h"
#include "store.h"

/* The struct cas_api view of the client. */
static int api_list_instances(struct cas_api *a, const struct cas_list_filter *f, struct cas_instances **out,
			      struct cas_error *e)
{
	return cas_list_all_instances(cas_client_of(a), f, out, e);
}

static int api_detail(struct cas_api *a, const char *id, struct cas_doc **out, struct cas_error *e)
{
	return cas_get_instance_detail(cas_client_of(a), id, out, e);
}

static int api_summary(struct cas_api *a, struct cas_doc **out, struct cas_error *e)
{
	return cas_get_instance_summary(cas_client_of(a), NULL, out, e);
}

static int api_update(struct cas_api *a, const struct cas_update *u, struct cas_error *e)
{
	return cas_update_instance(cas_client_of(a), u, e);
}

static int api_delete(struct cas_api *a, const char *id, struct cas_error *e)
{
	return cas_delete_instance(cas_client_of(a), id, e);
}

static int api_refund(struct cas_api *a, const char *id, struct cas_error *e)
{
	return cas_refund_instance(cas_client_of(a), id, e);
}

static int api_list_access(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return cas_list_all_cloud_access(cas_client_of(a), out, e);
}

static int api_add_access(struct cas_api *a, const struct cas_access_new *n, struct cas_error *e)
{
	return cas_add_cloud_access(cas_client_of(a), n, e);
}

static int api_delete_access(struct cas_api *a, const char *id, struct cas_error *e)
{
	return cas_delete_cloud_access(cas_client_of(a), id, e);
}

static int api_ca_status(struct cas_api *a, struct cas_entries **out, struct cas_error *e)
{
	return cas_get_ca_instance_status(cas_client_of(a), NULL, NULL, out, e);
}

static int api_cert(struct cas_api *a, const char *cert_id, struct cas_cert **out, struct cas_error *e)
{
	struct cas_client *c = cas_client_of(a);
	return cas_get_user_certificate_detail(c, cert_id, cas_client_keep_keys(c), out, e);
}

static int api_list_store(struct cas_api *a, struct cas_certs **out, struct cas_error *e)
{
	struct cas_store_list l;
	*out = NULL;
	int rc = cas_store_list_all(cas_client_of(a), &l, e);
	if (rc)
		return rc;
	*out = cas_certs_new(l.v, l.n);
	(*out)->calls = l.calls;
	(*out)->as_of_ms = cas_client_service_now_ms(cas_client_of(a));
	return 0;
}

static int api_upload(struct cas_api *a, const struct cas_upload *u, int64_t *cert_id, struct cas_error *e)
{
	return cas_store_upload(cas_client_of(a), u->name, u->cert, u->key, cert_id, e);
}

static int api_delete_cert(struct cas_api *a, int64_t cert_id, struct cas_error *e)
{
	return cas_store_delete(cas_client_of(a), cert_id, e);
}

const struct cas_api_ops cas_client_ops = {
	.list_instances = api_list_instances,
	.get_instance_detail = api_detail,
	.get_instance_summary = api_summary,
	.update_instance = api_update,
	.delete_instance = api_delete,
	.refund_instance = api_refund,
	.list_cloud_access = api_list_access,
	.add_cloud_access = api_add_access,
	.delete_cloud_access = api_delete_access,
	.get_ca_instance_status = api_ca_status,
	.get_user_certificate_detail = api_cert,
	.list_store = api_list_store,
	.upload_certificate = api_upload,
	.delete_certificate = api_delete_cert,
};
