/* mutate: the five mutations, each sent at most once in effect: after a
 * failure that may have run the state is read back (single calls from ops.c,
 * whole lists from paging.c) to learn whether it was applied, and nothing is
 * sent again while the first attempt may still be running (see mutate.h). */
#include "mutate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon.h"
#include "log.h"
#include "ops.h"
#include "paging.h"
#include "retry.h"
#include "sign.h"
#include "update.h"
#include "validate.h"

/* Reads the instance's detail as a parsed object (for reconciliation). */
static cJSON *read_detail(struct cas_client *c, const char *id, int *rc)
{
	struct cas_doc *d = NULL;
	struct cas_error e2;
	*rc = cas_get_instance_detail(c, id, &d, &e2);
	if (*rc)
		return NULL;
	cJSON *j = cas_json_parse(d->text, d->len);
	cas_obj_unref(d);
	return j;
}

/* A mutation that may have been applied: the errno is EIO, and the message
 * says what the caller must do. */
static void outcome_unknown(struct cas_error *e, int read_failed)
{
	char was[sizeof(e->message)];
	snprintf(was, sizeof(was), "%s", e->message);
	snprintf(e->message, sizeof(e->message),
		 read_failed ? "the change may have been applied: the response was lost (%.300s) and the state could "
			       "not be read back; read the file to see"
			     : "the change may have been applied: the response was lost (%.300s) and the service may "
			       "still apply it; it was not sent again; read the file in a while to see",
		 was);
	e->err = EIO;
	e->ambiguous = 1;
}

static void succeeded(struct cas_error *e, enum cas_action a)
{
	cas_error_clear(e);
	cas_error_action(e, cas_actions[a].name);
}

/* Runs a mutation, sent again only when it certainly did not run
 * (cas_mutation_next, docs/PROTOCOL.md §6a): the client retries one that
 * never left (connect failed, throttled) within its deadline; after an
 * attempt that may have run, `applied` reads the state back. resend_ok: a
 * duplicate is harmless (see retry.h). A resend that fails is reconciled
 * too, so that "already refunded / already gone" after a first attempt that
 * applied is the success it is. e->ambiguous stays set on return only when
 * the outcome is really unknown. */
/* The reconciling read: from the service, never the fleet's copy from
 * before the change (cas_client_must_reach). */
static int read_back(struct cas_client *c, int (*applied)(struct cas_client *c, const void *arg), const void *arg)
{
	int was = cas_client_must_reach(1);
	int st = applied(c, arg);
	cas_client_must_reach(was);
	return st;
}

static int mutate(struct cas_client *c, enum cas_action a, const struct cas_params *p,
		  int (*applied)(struct cas_client *c, const void *arg), const void *arg, int resend_ok,
		  struct cas_error *e)
{
	for (int round = 0; round < 3; round++) {
		cJSON *resp = NULL;
		int rc = cas_client_call(c, a, p, &resp, e);
		cJSON_Delete(resp);
		if (rc == 0)
			return 0;
		if (!e->ambiguous) {
			/* a resend's plain failure may only say that an earlier send applied */
			if (round > 0 && read_back(c, applied, arg) > 0) {
				cas_warn("%s: the second send failed (%s), but a read shows the first was applied",
					 cas_actions[a].name, e->code);
				succeeded(e, a);
				return 0;
			}
			return rc;
		}
		/* a complete answer carries its status; a timeout or a lost connection none */
		enum cas_net net = e->http_status > 0 ? CAS_NET_OK : CAS_NET_TIMEOUT;
		int st = read_back(c, applied, arg);
		enum cas_mut_next next = cas_mutation_next(net, e->http_status, e->code, st, resend_ok);
		if (next == CAS_MUT_RESEND && round == 2)
			next = CAS_MUT_FAIL; /* three error answers and nothing applied: a plain failure */
		switch (next) {
		case CAS_MUT_APPLIED:
			cas_warn("%s: response lost (%s); a read shows it was applied", cas_actions[a].name, e->code);
			succeeded(e, a);
			return 0;
		case CAS_MUT_RESEND:
			cas_warn("%s: the service answered %s and a read shows nothing applied, sending again",
				 cas_actions[a].name, e->code);
			continue;
		case CAS_MUT_FAIL:
			e->ambiguous = 0;
			return -e->err;
		case CAS_MUT_UNKNOWN:
			cas_warn("%s: response lost (%s); %s, not sending again", cas_actions[a].name, e->code,
				 st < 0 ? "the state could not be read back" : "the service may still apply it");
			outcome_unknown(e, st < 0);
			return -e->err;
		}
	}
	return -e->err;
}

static int update_applied(struct cas_client *c, const void *arg)
{
	const struct cas_update *u = arg;
	int rc;
	cJSON *d = read_detail(c, u->instance_id, &rc);
	if (!d)
		return -1;
	struct cas_update diff;
	int n = cas_update_diff(u, d, &diff);
	/* GenerateCsrMethod may be implied by the Csr; compare the fields we sent */
	if (n && diff.generate_csr_method && n == 1 && u->generate_csr_method)
		n = 0;
	cas_update_free(&diff);
	cJSON_Delete(d);
	return n == 0;
}

int cas_update_instance(struct cas_client *c, const struct cas_update *u, struct cas_error *e)
{
	cas_error_clear(e);
	cas_error_action(e, "UpdateInstance");
	int rc = cas_validate_update(u, NULL, NULL, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_update_to_params(u, &p);
	rc = mutate(c, CAS_UPDATE_INSTANCE, &p, update_applied, u, 1, e); /* idempotent by value */
	cas_params_free(&p);
	return rc;
}

static int gone(struct cas_client *c, const void *arg)
{
	int rc;
	cJSON *d = read_detail(c, arg, &rc);
	cJSON_Delete(d);
	return rc == -ENOENT ? 1 : rc == 0 ? 0 : -1;
}

int cas_delete_instance(struct cas_client *c, const char *id, struct cas_error *e)
{
	cas_error_clear(e);
	cas_error_action(e, "DeleteInstance");
	int rc = cas_validate_id("InstanceId", id, e);
	if (rc)
		return rc;
	char token[33];
	cas_random_hex(token);
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "InstanceId", id);
	cas_params_set(&p, "ClientToken", token); /* the service's own idempotency key */
	rc = mutate(c, CAS_DELETE_INSTANCE, &p, gone, id, 1, e); /* the ClientToken */
	cas_params_free(&p);
	return rc;
}

static int refunded(struct cas_client *c, const void *arg)
{
	int rc;
	cJSON *d = read_detail(c, arg, &rc);
	if (!d)
		return -1;
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "Status");
	int yes = cJSON_IsString(s) && strcmp(s->valuestring, "refund") == 0;
	cJSON_Delete(d);
	return yes;
}

int cas_refund_instance(struct cas_client *c, const char *id, struct cas_error *e)
{
	cas_error_clear(e);
	cas_error_action(e, "RefundInstance");
	int rc = cas_validate_id("InstanceId", id, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "InstanceId", id);
	rc = mutate(c, CAS_REFUND_INSTANCE, &p, refunded, id, 1, e); /* a duplicate fails, reconciled */
	cas_params_free(&p);
	return rc;
}

static int access_exists(struct cas_client *c, const void *arg)
{
	const struct cas_access_new *n = arg;
	struct cas_entries *all = NULL;
	struct cas_error e2;
	if (cas_list_all_cloud_access(c, &all, &e2))
		return -1;
	int found = 0;
	for (size_t i = 0; i < all->n; i++)
		if (all->v[i].cloud_name && all->v[i].secret_id && strcmp(all->v[i].cloud_name, n->cloud_name) == 0 &&
		    strcmp(all->v[i].secret_id, n->secret_id) == 0)
			found = 1;
	cas_obj_unref(all);
	return found;
}

int cas_add_cloud_access(struct cas_client *c, const struct cas_access_new *n, struct cas_error *e)
{
	cas_error_clear(e);
	cas_error_action(e, "AddCloudAccess");
	int rc = cas_validate_access_new(n, e);
	if (rc)
		return rc;
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "CloudName", n->cloud_name);
	cas_params_set(&p, "SecretId", n->secret_id);
	cas_params_set(&p, "SecretKey", n->secret_key);
	/* no idempotency token: never sent again once it may have reached the service */
	rc = mutate(c, CAS_ADD_CLOUD_ACCESS, &p, access_exists, n, 0, e);
	cas_params_free(&p);
	return rc;
}

static int access_gone(struct cas_client *c, const void *arg)
{
	struct cas_entries *all = NULL;
	struct cas_error e2;
	if (cas_list_all_cloud_access(c, &all, &e2))
		return -1;
	int found = cas_entries_find(all, arg) != NULL;
	cas_obj_unref(all);
	return !found;
}

int cas_delete_cloud_access(struct cas_client *c, const char *access_id, struct cas_error *e)
{
	cas_error_clear(e);
	cas_error_action(e, "DeleteCloudAccess");
	if (!access_id || !*access_id || strspn(access_id, "0123456789") != strlen(access_id) || strlen(access_id) > 19)
		return cas_error_set(e, EINVAL, "InvalidParameter.AccessId", "AccessId must be a decimal number");
	struct cas_params p = CAS_PARAMS_INIT;
	cas_params_set(&p, "AccessId", access_id);
	int rc = mutate(c, CAS_DELETE_CLOUD_ACCESS, &p, access_gone, access_id, 1, e); /* a duplicate fails, reconciled */
	cas_params_free(&p);
	return rc;
}
