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

/* The certificate store (store.c). Checks an UploadUserCertificate's Cert
 * (leaf first, then its chain) and Key (unencrypted PEM) and fills out with
 * the leaf's CommonName, Issuer, Fingerprint (SHA-1, upper hex), Sha2,
 * SerialNo, NotBefore/NotAfter (ms), Sans, Algorithm and KeySize. NULL when
 * they are acceptable, else the error Code: PrivateKeyFormatException (an
 * encrypted or unreadable key), CertificateFormatException (no PEM
 * certificate), NotMatch.CertificateAndPrivateKey (the first certificate is
 * not the key's: a wrong key, or the chain before the leaf). */
const char *emu_pki_check_upload(const char *cert, const char *key, cJSON *out);
/* A fresh P-256 leaf for cn signed by the intermediate: *chain = leaf +
 * intermediate PEM, *key = PKCS#8 PEM (malloc'd). 0 or -1. */
int emu_pki_leaf(const char *cn, int64_t nb_ms, int64_t na_ms, long serial, char **chain, char **key);
const char *emu_pki_intermediate_pem(void);
/* The store fields (as emu_pki_check_upload fills them) of an issued
 * instance's certificate. 0, or -1 when it has none. */
int emu_pki_describe_instance(const cJSON *inst, cJSON *out);

#endif
