/* certfiles: cert.pem, chain.pem, fullchain.pem and (with -o keys) key.pem
 * of an instance with an issued certificate. Presence comes from the list
 * (CertificateId), so a readdir costs no call; content comes from the cached
 * GetUserCertificateDetail of that CertId and is served zero-copy from the
 * cached object, so the key exists in one place only and is wiped with it.
 * key.pem's content hash (its mtime and page-cache stamp) is derived from
 * the leaf, never from the key's bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kinds.h"

/* The instance's CertId in buf, or NULL when it has no certificate. */
static const char *cert_id_of(struct casfs *fs, const char *id, char buf[24], struct cas_error *e, int *rc)
{
	struct cas_instances *l = NULL;
	*rc = fs->api->ops->list_instances(fs->api, NULL, &l, e);
	if (*rc)
		return NULL;
	const struct cas_instance *it = cas_instances_find(l, id);
	const char *out = NULL;
	if (it && it->cert_id > 0) {
		snprintf(buf, 24, "%lld", (long long)it->cert_id);
		out = buf;
	}
	cas_obj_unref(l);
	return out;
}

int exists_cert_file(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		     struct cas_error *e)
{
	(void)name;
	char buf[24];
	int rc;
	if ((k->flags & NF_KEYS) && !fs->o.keys)
		return 0;
	const char *cid = cert_id_of(fs, p->id, buf, e, &rc);
	return rc ? rc : cid != NULL;
}

/* A certificate's part, from the cached GetUserCertificateDetail of cid,
 * zero-copy. */
int render_cert_pem(struct casfs *fs, const char *cid, enum cert_part part, struct snap **out, struct cas_error *e)
{
	struct cas_cert *c = NULL;
	int rc;
	if ((rc = fs->api->ops->get_user_certificate_detail(fs->api, cid, &c, e)))
		return rc;
	const char *data = c->pem;
	size_t len = c->pem_len;
	switch (part) {
	case PEM_LEAF: len = c->leaf_len; break;
	case PEM_CHAIN:
		data += c->leaf_len;
		len -= c->leaf_len;
		break;
	case PEM_FULLCHAIN: break;
	case PEM_KEY:
		data = c->key ? c->key : "";
		len = c->key ? c->key_len : 0;
		break;
	}
	uint64_t hash = cas_hash64(data, len);
	if (part == PEM_KEY) /* never a value computed from the key */
		hash = cas_hash64(c->pem, c->leaf_len) ^ (c->key ? 0x6b65792e70656dULL : 0);
	*out = snap_of_bytes(c, data, len, hash);
	cas_obj_unref(c);
	return 0;
}

static int render_part(struct casfs *fs, const struct node *n, enum cert_part part, struct snap **out,
		       struct cas_error *e)
{
	char buf[24];
	int rc;
	const char *cid = cert_id_of(fs, n->id, buf, e, &rc);
	if (rc)
		return rc;
	if (!cid)
		return cas_error_set(e, ENOENT, "Local.NotFound", "instance %s has no issued certificate", n->id);
	return render_cert_pem(fs, cid, part, out, e);
}

int render_cert_leaf(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	return render_part(fs, n, PEM_LEAF, out, e);
}

int render_cert_chain(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	return render_part(fs, n, PEM_CHAIN, out, e);
}

int render_cert_fullchain(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	return render_part(fs, n, PEM_FULLCHAIN, out, e);
}

int render_cert_key(struct casfs *fs, const struct node *n, struct snap **out, struct cas_error *e)
{
	return render_part(fs, n, PEM_KEY, out, e);
}
