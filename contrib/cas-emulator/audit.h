/* audit: --audit FILE, one JSON line per API request, flushed per line: the
 * test oracle for "each mutation happened exactly once". Parameters that
 * carry secrets (SecretKey, Signature, BearerToken, SecurityToken) are
 * written as "<redacted>"; headers are never written. */
#ifndef EMU_AUDIT_H
#define EMU_AUDIT_H

#include <stddef.h>

#include "params.h"

struct emu_audit;

struct emu_audit_rec {
	long long time_ms;
	const char *action;          /* NULL if the request named none */
	const struct cas_params *params;
	int status;
	const char *code;            /* NULL on success */
	const char *request_id;
	const char *auth;            /* "v3", "v2", "bearer", "none" */
	const char *access_key_id;   /* NULL for bearer / unknown */
	int applied;
	const char *fault;           /* NULL or the fault's name */
};

/* Opens FILE for appending; NULL with err set on failure. */
struct emu_audit *emu_audit_open(const char *path, char *err, size_t errlen);
void emu_audit_close(struct emu_audit *a);
/* No-op when a is NULL. */
void emu_audit_write(struct emu_audit *a, const struct emu_audit_rec *r);

#endif
