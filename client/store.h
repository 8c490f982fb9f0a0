/* store: the certificate store's calls (docs/PROTOCOL.md §14): the whole
 * store through ListCertificates (issued and uploaded, every status, with
 * UsingProductList) at ⌈N/100⌉ calls, one page of ListUserCertificateOrder,
 * UploadUserCertificate sent exactly once (reconciled by listing, never
 * resent) and DeleteUserCertificate. Local checks come first: a bad Name, a
 * key that does not match the leaf, a chain before the leaf, an encrypted
 * key and non-PEM text are EINVAL with no call. Errno: NameRepeat EEXIST, a
 * certificate in use EBUSY (error.c). */
#ifndef CAS_STORE_H
#define CAS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "error.h"
#include "model.h"

#define CAS_STORE_PAGE 100       /* ListCertificates' documented maximum */
#define CAS_STORE_NAME_MAX 64    /* characters (UTF-8), the current SDK's limit */

struct cas_store_list {
	struct cas_store_cert *v;
	size_t n;
	int calls;                  /* ListCertificates calls this listing made */
};

void cas_store_list_free(struct cas_store_list *l);
/* The whole store, consistent across pages (restarted when TotalCount moves
 * or an id repeats, at most 3 attempts). 0 or -errno. */
int cas_store_list_all(struct cas_client *c, struct cas_store_list *out, struct cas_error *e);
/* One page of ListUserCertificateOrder (order_type NULL = the service's CPACK
 * default; status NULL = its default, which hides expired certificates for
 * CERT/UPLOAD). *out is the response object (caller deletes). */
int cas_store_order_page(struct cas_client *c, const char *order_type, const char *status, const char *keyword,
			 int64_t page, int64_t size, cJSON **out, struct cas_error *e);
/* The local checks of an upload (no call): 0 or -EINVAL with e filled.
 * fingerprint (41 bytes) receives the leaf's SHA-1, upper hex, as the store shows it. */
int cas_store_check_upload(const char *name, const char *cert, const char *key, char fingerprint[41],
			   struct cas_error *e);
/* Uploads once. A lost response is never answered by sending it again: the
 * store is listed and an entry with the leaf's fingerprint and this Name is
 * the upload (*cert_id); otherwise EIO, outcome unknown. NameRepeat where
 * the stored certificate of that Name has the same fingerprint is success.
 * Under -o dry_run the local checks run, the call is logged and not sent,
 * and the answer is 0 with *cert_id 0 (nothing stored: no id). */
int cas_store_upload(struct cas_client *c, const char *name, const char *cert, const char *key, int64_t *cert_id,
		     struct cas_error *e);
/* Deletes once; a lost response is reconciled by listing (gone = done). */
int cas_store_delete(struct cas_client *c, int64_t cert_id, struct cas_error *e);

#endif
