/* control_store: the /_emulator/store endpoints (the certificate store):
 *   GET  /_emulator/store                 the uploaded certificates (no keys)
 *   POST /_emulator/store                 {"Name","CommonName","NotBefore","NotAfter"(ms)}: make a
 *                                         leaf with these dates and store it as an upload
 *                                         (expired ones too); answers {"CertId","Cert","Key"}
 *   POST /_emulator/leaf                  the same leaf and key, not stored (for uploads by tests)
 *   POST /_emulator/store/<CertId>/in-use {"Product","Resource"}: a product uses the certificate
 *   DELETE /_emulator/store/<CertId>/in-use  no product uses it any more
 * <CertId> may be an upload's or an issued instance's CertificateId. */
#ifndef EMU_CONTROL_STORE_H
#define EMU_CONTROL_STORE_H

#include <stddef.h>

struct emu_server;

/* rest is the path after /_emulator/; the status, or 0 when rest is not a store path. */
int emu_control_store(struct emu_server *s, const char *method, const char *rest, const char *body, size_t len,
		      char **out);

#endif
