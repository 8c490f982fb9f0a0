/* certdetail: GetUserCertificateDetail, the request and the decoding of its
 * response (see certdetail.c). cas_cert_parse is pure (no I/O) so that unit
 * tests can feed it hostile shapes. */
#ifndef CAS_CERTDETAIL_H
#define CAS_CERTDETAIL_H

#include "client.h"

/* Decodes resp (the secret fields in it are wiped, whatever the outcome).
 * keep_key: keep the private key in the result. 0 or -EPROTO. */
int cas_cert_parse(cJSON *resp, const char *cert_id, int keep_key, struct cas_cert **out, struct cas_error *e);
/* cert_id: the instance's CertificateId in decimal. */
int cas_get_user_certificate_detail(struct cas_client *c, const char *cert_id, int keep_key, struct cas_cert **out,
				    struct cas_error *e);

#endif
