/* pki: the emulator's certificate authority. At start a root and an
 * intermediate CA are made with Ed25519 keys derived from --seed (Ed25519
 * signatures are deterministic, so the same seed gives byte-identical CA
 * certificates and leaves); every issued instance gets a leaf on demand. */
#ifndef EMU_PKI_H
#define EMU_PKI_H

#include <stdint.h>

#include <cjson/cJSON.h>

void emu_pki_init(uint64_t seed);
void emu_pki_cleanup(void);
/* The root CA certificate, PEM (static storage). */
const char *emu_pki_root_pem(void);

/* A leaf for the instance object inst (SANs from CertificateDomain or
 * Domain, validity from CertificateNotBefore/NotAfter, a key of its
 * KeyAlgorithm, or the uploaded CSR's key). Fills the
 * GetUserCertificateDetail fields of body; with_secrets = 0 leaves out Cert,
 * Key and the SM2 fields (CertFilter=true). 0, or -1 when the instance has no
 * certificate or OpenSSL fails. */
int emu_pki_issue(const cJSON *inst, int with_secrets, cJSON *body);

#endif
