/* actions: the table of the CAS actions the emulator serves (name,
 * API version, handler) and helpers shared by the handlers. Handlers take
 * the state lock themselves and fill an emu_reply (body without RequestId). */
#ifndef EMU_ACTIONS_H
#define EMU_ACTIONS_H

#include "cas.h"
#include "emu.h"
#include "state.h"

typedef int (*emu_action_fn)(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);

struct emu_action {
	enum cas_action id;
	emu_action_fn fn;
};

/* The action for (name, version), or NULL: a known name under another
 * version is as unknown as a misspelt one (InvalidAction.NotFound). */
const struct emu_action *emu_action_find(const char *name, const char *version);

/* A parameter's value, with "" treated as absent. */
const char *emu_param(const struct cas_params *p, const char *key);
/* CurrentPage and ShowSize with defaults 1 and 10 and the limits of proto/validate.
 * sent_page and sent_size tell whether the request carried them. */
int emu_page_params(const struct cas_params *p, int cloud_access, int64_t *page, int64_t *size, int *sent_page,
		    int *sent_size, struct emu_reply *r);
int emu_require_instance_id(const struct cas_params *p, const char **id, struct emu_reply *r);
int emu_instance_not_found(struct emu_reply *r, const char *id);

int emu_act_list_instances(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_get_instance_detail(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_get_instance_summary(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_update_instance(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_delete_instance(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_refund_instance(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_list_cloud_access(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_add_cloud_access(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_delete_cloud_access(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_get_ca_instance_status(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_list_user_certificate_order(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_list_certificates(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_upload_user_certificate(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
int emu_act_delete_user_certificate(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);
/* act_store.c helpers for GetUserCertificateDetail and /_emulator/store:
 * the detail of an upload (1 = found); adding a checked certificate (takes
 * fields; NameRepeat when the name is taken); marking one in use by a
 * product and resource (product NULL clears); -1 when unknown. */
int emu_store_detail(struct emu_state *s, int64_t id, int with_secrets, cJSON *body);
int emu_store_add(struct emu_state *s, const char *name, const char *cert, const char *key, cJSON *fields,
		  struct emu_reply *r);
int emu_store_mark_in_use(struct emu_state *s, int64_t id, const char *product, const char *resource);
int emu_act_get_user_certificate_detail(struct emu_state *s, const struct cas_params *p, struct emu_reply *r);

/* GetInstanceDetail fields that ListInstances also shows, plus the
 * list-only CertificateDomain (kept in the stored object, hidden in detail). */
cJSON *emu_instance_list_entry(const cJSON *obj);
cJSON *emu_instance_detail(const cJSON *obj);

#endif
