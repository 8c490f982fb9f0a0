/* csrgen: PEM CSRs from the embedded test keys (see csrgen.c). */
#ifndef EMU_CSRGEN_H
#define EMU_CSRGEN_H

#include <openssl/evp.h>

/* True for the algorithms with an embedded key: RSA_2048 and ECC_256. */
int emu_csr_supported(const char *key_algorithm);
/* A malloc'd PEM CSR with subject C=CN, O=..., CN=cn; NULL if unsupported. */
char *emu_csr_make(const char *key_algorithm, const char *cn);
/* The subject CN of a PEM CSR (malloc'd), or NULL. */
char *emu_csr_common_name(const char *pem);
void emu_csr_cleanup(void);
/* The embedded test key of RSA_2048 or ECC_256 (owned here; NULL otherwise).
 * Certificates for those algorithms use it too (pki.c). */
EVP_PKEY *emu_csr_key(const char *key_algorithm);

#endif
