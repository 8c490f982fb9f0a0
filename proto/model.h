/* model: immutable, reference-counted results of the CAS operations.
 * Results are shared between the cache and any number of readers; a holder
 * calls cas_obj_unref() when done. Documents are stored as canonical JSON
 * text (jq -S form, RequestId removed), which is what casfs shows and is far
 * more compact than a parsed tree. */
#ifndef CAS_MODEL_H
#define CAS_MODEL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "params.h"

struct cas_obj {
	atomic_int ref;
	void (*destroy)(struct cas_obj *o);
};

/* 64-bit FNV-1a: content hashes of documents, renders and path names. */
uint64_t cas_hash64(const void *data, size_t n);

void cas_obj_init(struct cas_obj *o, void (*destroy)(struct cas_obj *));
void *cas_obj_ref(void *o);     /* NULL-safe; returns o */
void cas_obj_unref(void *o);    /* NULL-safe */

/* A canonical JSON document (detail, summary, one cloud-access or CA entry). */
struct cas_doc {
	struct cas_obj obj;
	uint64_t hash;       /* FNV-1a of text */
	size_t len;
	char text[];
};
struct cas_doc *cas_doc_new(const char *text, size_t len);

/* One ListInstances entry: the fields the value files show. */
struct cas_instance {
	char *id;
	char *name;          /* CertificateName */
	char *domain;
	char *status;
	char *cert_status;   /* CertificateStatus */
	char *auto_reissue;
	char *key_algorithm;
	char *brand;         /* Brand */
	char *cert_type;     /* CertificateType */
	int64_t not_before;  /* CertificateNotBefore, epoch ms; 0 = none issued */
	int64_t not_after;
	int64_t cert_id;     /* CertificateId: the CertId of GetUserCertificateDetail; 0 = none */
	char *json;          /* the entry as received, canonical on one line (jq -S -c) with "\n" */
	size_t json_len;
	uint64_t hash;       /* of the entry as received, to detect changes cheaply */
};

/* The string members of struct cas_instance other than id, by wire name:
 * the parser fills them and the destructor frees them from this table, so
 * a new list field is one member above and one row here. */
struct cas_instance_str {
	const char *wire;
	size_t off;          /* of the char * in struct cas_instance */
};
extern const struct cas_instance_str cas_instance_strs[];
extern const size_t cas_instance_nstrs;

/* Every instance, sorted by id (bytewise), ids unique and safe as names.
 * One page (ops.c) has the same shape, in server order until merged. */
struct cas_instances {
	struct cas_obj obj;
	size_t n;
	struct cas_instance *v;
	int64_t total_count; /* as reported by the service; -1 = not given */
	int64_t page_size;   /* one page: ShowSize as echoed (0 = not given) */
	size_t received;     /* one page: entries in the response, skipped ones included */
	size_t skipped;      /* entries refused as unsafe names */
	size_t repeated;     /* entries whose id was already seen (the newest kept) */
	int inconsistent;    /* the whole list: no consistent snapshot was obtained (paging.c) */
	int64_t as_of_ms;    /* the whole list: the service's clock when it was fetched (epoch ms) */
};
const struct cas_instance *cas_instances_find(const struct cas_instances *l, const char *id);
/* Frees the strings of one entry (not the entry itself). */
void cas_instance_clear(struct cas_instance *i);

/* A list of keyed documents: cloud-access entries (key = AccessId) or private
 * CA entries (key = InstanceId), sorted by key. */
struct cas_entry {
	char *key;
	char *cloud_name;    /* cloud access only */
	char *secret_id;     /* cloud access only */
	struct cas_doc *doc;
};
struct cas_entries {
	struct cas_obj obj;
	size_t n;
	struct cas_entry *v;
};
const struct cas_entry *cas_entries_find(const struct cas_entries *l, const char *key);

/* A certificate from GetUserCertificateDetail: the PEM blocks of the leaf
 * and then its chain, and the private key only when the mount keeps keys.
 * The key's bytes are wiped (OPENSSL_cleanse) when the object is freed, so a
 * key leaves memory with the last reference. */
struct cas_cert {
	struct cas_obj obj;
	char *pem;           /* leaf then intermediates, each block ending in "\n" */
	size_t pem_len;
	size_t leaf_len;     /* pem[0, leaf_len) is the leaf; the rest is the chain */
	char *key;           /* PEM private key or NULL; never logged or copied */
	size_t key_len;
};
/* Takes ownership of pem and key. */
struct cas_cert *cas_cert_new(char *pem, size_t pem_len, size_t leaf_len, char *key, size_t key_len);
/* Wipes and frees a secret string (NULL-safe). */
void cas_secret_free(char *s, size_t len);

/* One certificate of the store (a ListCertificates entry, docs/PROTOCOL.md
 * §14): issued and uploaded alike. */
struct cas_store_cert {
	int64_t id;                 /* CertificateId (a string on the wire) */
	char *ident;                /* CertIdentifier */
	char *name, *common_name, *fingerprint, *serial, *issuer, *source, *status, *instance_id, *algorithm;
	int64_t not_before, not_after; /* ms */
	int has_key;                /* ExistPrivateKey */
	char **sans;
	size_t nsans;
	char **using;               /* UsingProductList */
	size_t nusing;
};
/* Frees the strings of one entry (not the entry itself). */
void cas_store_cert_clear(struct cas_store_cert *x);

/* The whole store, in the service's order, ids unique. */
struct cas_certs {
	struct cas_obj obj;
	size_t n;
	struct cas_store_cert *v;
	int64_t as_of_ms;    /* the service's clock when it was fetched (epoch ms): "now" of expired/ */
	int calls;           /* ListCertificates calls the listing made */
};
/* Takes ownership of v[0, n). */
struct cas_certs *cas_certs_new(struct cas_store_cert *v, size_t n);
const struct cas_store_cert *cas_certs_find(const struct cas_certs *l, int64_t id);

/* Builders used by the parsers (they take ownership of nothing). */
struct cas_instances *cas_instances_new(void);
struct cas_entries *cas_entries_new(void);
/* Sort by key; of entries with one key, the one that came last (the newest)
 * is kept, the others are freed and counted in l->repeated / returned. */
void cas_instances_sort_unique(struct cas_instances *l);
size_t cas_entries_sort_unique(struct cas_entries *l);
/* Moves src's entries to the end of dst (src is left empty). */
void cas_instances_append(struct cas_instances *dst, struct cas_instances *src);
void cas_entries_append(struct cas_entries *dst, struct cas_entries *src);

/* Name rules for identifiers that become path components: 1..255 bytes, not
 * "." or "..", no '/', no control characters, valid UTF-8. */
int cas_safe_name(const char *s);

#endif
