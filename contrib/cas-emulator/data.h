/* data: deterministic, realistic sample data: certificate instances (full
 * GetInstanceDetail objects), cloud-access entries and private CAs. The same
 * (seed, index) always gives the same record, whatever N is; times are
 * epoch milliseconds relative to the `now` passed in. */
#ifndef EMU_DATA_H
#define EMU_DATA_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* Instances with index < EMU_CSR_UPLOAD_LIMIT may carry an uploaded CSR. */
#define EMU_CSR_UPLOAD_LIMIT 200

cJSON *emu_gen_instance(uint64_t seed, long index, int64_t now_ms);
/* A cloud-access entry; *secret_hash receives SHA-256 hex of its (fake) secret. */
cJSON *emu_gen_cloud_access(uint64_t seed, long index, int64_t access_id, char secret_hash[65]);
cJSON *emu_gen_private_ca(uint64_t seed, long index, int64_t now_ms);
/* Counts the exact and wildcard names of a comma-separated domain list. */
void emu_domain_counts(const char *domain, int *full, int *wildcard);

#endif
