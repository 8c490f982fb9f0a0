/* nonce: replay protection and request-time checks for the signed schemes:
 * a store of (credential, nonce) pairs remembered for 15 minutes, and the
 * parser of x-acs-date / Timestamp values. */
#ifndef EMU_NONCE_H
#define EMU_NONCE_H

#include <stdint.h>

#define EMU_AUTH_WINDOW_MS (15 * 60 * 1000LL)

struct emu_nonces;

struct emu_nonces *emu_nonces_new(int64_t ttl_ms);
void emu_nonces_free(struct emu_nonces *n);
/* 1 if (cred, nonce) was used within the TTL; otherwise records it, 0. */
int emu_nonce_use(struct emu_nonces *n, int cred, const char *nonce, int64_t now_ms);
/* "YYYY-MM-DDTHH:MM:SSZ" (fractional seconds allowed) to epoch ms; -1 if malformed. */
int emu_parse_acs_date(const char *s, int64_t *ms);

#endif
