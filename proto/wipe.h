/* wipe: memory that may have held a secret (the AccessKey secret, a
 * SecretKey being written, a request carrying one) is overwritten with
 * OPENSSL_cleanse when it is freed or moved, so no copy lingers in the heap
 * for a core image to show. cas_buf, libcurl (http.c) and cJSON
 * (cas_wipe_cjson_hooks) allocate through it. */
#ifndef CAS_WIPE_H
#define CAS_WIPE_H

#include <stddef.h>

void cas_wipe_free(void *p);                 /* NULL is fine */
void *cas_wipe_realloc(void *p, size_t n);   /* aborts on failure, like cas_xrealloc */
/* realloc that never leaves the old block behind unwiped; NULL on failure
 * (libcurl's realloc callback, curl_global_init_mem in http.c). */
void *cas_wipe_try_realloc(void *p, size_t n);
/* cJSON frees through cas_wipe_free. */
void cas_wipe_cjson_hooks(void);

#endif
