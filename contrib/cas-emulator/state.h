/* state: the emulator's in-memory account: instances (each a full
 * GetInstanceDetail-shaped cJSON object, in a stable order, with an id index
 * that resolves duplicates to the first), cloud-access entries (SecretKey kept
 * only as a SHA-256), private CAs, DeleteInstance ClientTokens and request
 * counters. One rwlock guards everything; handlers take it themselves. */
#ifndef EMU_STATE_H
#define EMU_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "cas.h"
#include "emu.h"
#include "listing.h"

struct emu_inst {
	char *key;   /* the id requests use (InstanceId as a string, verbatim) */
	cJSON *obj;
};

struct emu_access {
	int64_t id;
	cJSON *obj;  /* AccessId, CloudName, SecretId, ServiceStatus */
	char secret_hash[65];
};

struct emu_token {
	char *token;
	int64_t time_ms;
};

struct emu_state {
	pthread_rwlock_t lock;
	uint64_t seed;
	struct emu_inst *inst;
	size_t ninst, inst_cap;
	uint32_t *index;        /* open addressing: instance position + 1, 0 = empty */
	size_t index_cap;
	struct emu_access *acc;
	size_t nacc, acc_cap;
	int64_t next_access_id;
	cJSON *cas;             /* array of GetCAInstanceStatus entries */
	struct emu_token *tokens;
	size_t ntokens, tokens_cap;
	long created;           /* instances created through /_emulator */
	cJSON *store;           /* uploaded certificates (store.c), newest last */
	int64_t next_cert_id;
	atomic_ulong calls[CAS_NACTIONS];
	atomic_ulong auth_failures, throttled, faults_fired, requests;
	struct emu_listing listing; /* its own mutex */
};

void emu_state_init(struct emu_state *s, const struct emu_opts *o);
void emu_state_free(struct emu_state *s);

/* Position of the first instance with this id, or -1. Caller holds the lock. */
ssize_t emu_state_find(const struct emu_state *s, const char *id);
/* Appends (takes obj); caller holds the write lock. */
void emu_state_append(struct emu_state *s, const char *key, cJSON *obj);
/* Inserts at the front of the list order (the newest first). */
void emu_state_prepend(struct emu_state *s, const char *key, cJSON *obj);
void emu_state_remove(struct emu_state *s, size_t pos);
/* Changes an instance's key (after InstanceId was overwritten). */
void emu_state_rekey(struct emu_state *s, size_t pos, const char *key);

ssize_t emu_access_find(const struct emu_state *s, int64_t id);
void emu_access_add(struct emu_state *s, const char *cloud, const char *secret_id, const char *secret_key);
void emu_access_remove(struct emu_state *s, size_t pos);

/* DeleteInstance idempotency: whether a ClientToken succeeded within the
 * last 24 h (of `now`), and remembering one that did. */
int emu_token_seen(struct emu_state *s, const char *token, int64_t now_ms);
void emu_token_add(struct emu_state *s, const char *token, int64_t now_ms);

/* The whole state as JSON for /_emulator/state (no secrets). */
cJSON *emu_state_dump(struct emu_state *s);

/* Drift during paging (listing.h): called by ListInstances before it takes
 * the state lock; deletes, adds and moves instances at the front when due. */
void emu_state_drift(struct emu_state *s, int64_t page);

#endif
