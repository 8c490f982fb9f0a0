/* cas: the CAS operations as one interface. struct cas_api is a table of
 * operations; the HTTP client (client.c) implements it and cache/ decorates
 * it with the same signatures, so callers cannot tell them apart. Each
 * operation returns 0 or a negative errno and fills the cas_error. */
#ifndef CAS_CAS_H
#define CAS_CAS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"
#include "params.h"

enum cas_action {
	CAS_LIST_INSTANCES,
	CAS_GET_INSTANCE_DETAIL,
	CAS_GET_INSTANCE_SUMMARY,
	CAS_UPDATE_INSTANCE,
	CAS_DELETE_INSTANCE,
	CAS_REFUND_INSTANCE,
	CAS_LIST_CLOUD_ACCESS,
	CAS_ADD_CLOUD_ACCESS,
	CAS_DELETE_CLOUD_ACCESS,
	CAS_GET_CA_INSTANCE_STATUS,
	CAS_GET_USER_CERTIFICATE_DETAIL,
	CAS_LIST_USER_CERTIFICATE_ORDER,
	CAS_LIST_CERTIFICATES,
	CAS_UPLOAD_USER_CERTIFICATE,
	CAS_DELETE_USER_CERTIFICATE,
	CAS_NACTIONS
};

struct cas_action_info {
	const char *name;
	const char *version;
	int mutating;        /* changes remote state: retried only when certainly not executed */
	int ca_limited;      /* subject to the separate 10 QPS GetCAInstanceStatus limit */
};
extern const struct cas_action_info cas_actions[CAS_NACTIONS];
int cas_action_by_name(const char *name); /* index or -1 */

/* ListInstances filters (NULL = not sent). */
struct cas_list_filter {
	const char *status;
	const char *brand;
	const char *cert_status;
	const char *cert_type;
	const char *instance_type;
	const char *keyword;
	const char *resource_group_id;
};

/* The 14 writable UpdateInstance fields; a field is sent when set. */
struct cas_update {
	char *instance_id;
	char *auto_reissue;
	char *certificate_name;
	char *city;
	char *country_code;
	char *csr;
	char *domain;
	char *generate_csr_method;
	char *key_algorithm;
	char *province;
	char *resource_group_id;
	char *validation_method;
	int has_company_id;
	int64_t company_id;
	int has_contacts;
	int64_t *contact_ids;
	size_t ncontacts;
	int has_tags;
	struct cas_tag *tags;
	size_t ntags;
};

struct cas_access_new {
	const char *cloud_name;
	const char *secret_id;
	const char *secret_key;  /* sent once, never stored or logged */
};

/* An upload: Name, the PEM certificate (leaf first, then its chain) and
 * the PEM private key (borrowed; the key's bytes are the caller's to wipe). */
struct cas_upload {
	const char *name;
	const char *cert;
	const char *key;
};

/* Ownership: every `**out` result is a new reference to an immutable,
 * shareable object (model.h) that the caller drops with cas_obj_unref();
 * after a failure the caller owns nothing (the client and the cache leave
 * *out NULL). Inputs (ids, the update, the new access,
 * the filter) are borrowed for the duration of the call only. Every
 * operation may be called from any thread at once. */
struct cas_api;
struct cas_api_ops {
	/* every instance (all pages) */
	int (*list_instances)(struct cas_api *a, const struct cas_list_filter *f, struct cas_instances **out,
			      struct cas_error *e);
	int (*get_instance_detail)(struct cas_api *a, const char *id, struct cas_doc **out, struct cas_error *e);
	int (*get_instance_summary)(struct cas_api *a, struct cas_doc **out, struct cas_error *e);
	int (*update_instance)(struct cas_api *a, const struct cas_update *u, struct cas_error *e);
	int (*delete_instance)(struct cas_api *a, const char *id, struct cas_error *e);
	int (*refund_instance)(struct cas_api *a, const char *id, struct cas_error *e);
	/* every cloud-access entry (all pages), keyed by AccessId */
	int (*list_cloud_access)(struct cas_api *a, struct cas_entries **out, struct cas_error *e);
	int (*add_cloud_access)(struct cas_api *a, const struct cas_access_new *n, struct cas_error *e);
	int (*delete_cloud_access)(struct cas_api *a, const char *access_id, struct cas_error *e);
	/* every private CA entry, keyed by InstanceId */
	int (*get_ca_instance_status)(struct cas_api *a, struct cas_entries **out, struct cas_error *e);
	/* one issued certificate by CertId (decimal): PEM leaf and chain, and
	 * the private key only when the client keeps keys */
	int (*get_user_certificate_detail)(struct cas_api *a, const char *cert_id, struct cas_cert **out,
					   struct cas_error *e);
	/* the certificate store (docs/PROTOCOL.md §14): every certificate,
	 * issued and uploaded, expired ones included, with the products using
	 * each (ListCertificates, all pages) */
	int (*list_store)(struct cas_api *a, struct cas_certs **out, struct cas_error *e);
	/* UploadUserCertificate, sent once (local checks first: EINVAL with no
	 * call); *cert_id receives the new CertId */
	int (*upload_certificate)(struct cas_api *a, const struct cas_upload *u, int64_t *cert_id,
				  struct cas_error *e);
	/* DeleteUserCertificate of one CertId */
	int (*delete_certificate)(struct cas_api *a, int64_t cert_id, struct cas_error *e);
};

struct cas_api {
	const struct cas_api_ops *ops;
};

/* The object a member is part of: how an implementation of struct cas_api
 * (the client, the cache, the snapshot) finds itself from the struct cas_api
 * pointer its methods are given. */
#ifndef container_of
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif


#endif
