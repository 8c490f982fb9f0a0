/* validate: every documented parameter constraint of the instance,
 * cloud-access and private-CA operations and GetUserCertificateDetail (the
 * certificate store's local checks, Name, key and PEM, are client/store.c's).
 * The client checks before any network call; the emulator checks on receipt.
 * A failure fills the cas_error with EINVAL, Code InvalidParameter.<Field>
 * (or MissingParameter.<Field>) and a message that names the field and rule. */
#ifndef CAS_VALIDATE_H
#define CAS_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include "cas.h"

enum cas_enum {
	CAS_ENUM_STATUS,
	CAS_ENUM_BRAND,
	CAS_ENUM_CERT_STATUS,
	CAS_ENUM_CERT_TYPE,
	CAS_ENUM_INSTANCE_TYPE,
	CAS_ENUM_KEY_ALGORITHM,
	CAS_ENUM_AUTO_REISSUE,
	CAS_ENUM_CSR_METHOD,
	CAS_ENUM_VALIDATION_METHOD,
	CAS_ENUM_CLOUD_NAME,
	CAS_NENUMS
};

#define CAS_MAX_TAGS 20
#define CAS_MAX_TAG_KEY 64
#define CAS_MAX_TAG_VALUE 128
#define CAS_MAX_CSR_BYTES 65536

/* NULL-terminated list of allowed values. */
const char *const *cas_enum_values(enum cas_enum which);
int cas_validate_enum(enum cas_enum which, const char *field, const char *value, struct cas_error *e);
int cas_validate_show_size(int64_t v, int cloud_access, struct cas_error *e);
int cas_validate_current_page(int64_t v, struct cas_error *e);
int cas_validate_tags(const struct cas_tag *t, size_t n, struct cas_error *e);
int cas_validate_contacts(const int64_t *ids, size_t n, struct cas_error *e);
int cas_validate_country(const char *cc, struct cas_error *e);
int cas_validate_domain(const char *d, struct cas_error *e);
int cas_validate_text(const char *field, const char *v, size_t max_chars, int allow_empty, struct cas_error *e);
int cas_validate_id(const char *field, const char *v, struct cas_error *e);
/* PEM CSR that OpenSSL parses, whose self-signature verifies, and whose key
 * matches key_algorithm (RSA_2048/3072/4096, ECC_256 = P-256, SM2). */
int cas_validate_csr(const char *pem, const char *key_algorithm, struct cas_error *e);
/* The key algorithm of a PEM CSR ("RSA_2048", ..., or NULL). */
const char *cas_csr_key_algorithm(const char *pem);

/* Whole requests. current_key_algorithm/current_csr describe the instance as
 * it is now (NULL when unknown) for the rules that span fields. */
int cas_validate_update(const struct cas_update *u, const char *current_key_algorithm, const char *current_csr,
			struct cas_error *e);
int cas_validate_list_filter(const struct cas_list_filter *f, struct cas_error *e);
int cas_validate_access_new(const struct cas_access_new *n, struct cas_error *e);

#endif
