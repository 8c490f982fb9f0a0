/* events: the change feed behind .cas/events (see events.h). */
#include "events.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "model.h"
#include "notify.h"
#include "lineage.h"

struct line {
	uint64_t off; /* absolute offset of its first byte */
	uint64_t seq;
	char *text;   /* ends in "\n" */
	size_t len;
};

struct pending {
	struct pending *next;
	uint64_t token;      /* the feed's own: a mutation the journal could not record has one too */
	int64_t journal_seq; /* the journal's record; 0: none (e.g. the state database was locked) */
	char *path, *action, *fields;
};

struct events {
	pthread_mutex_t mu;    /* the ring, the counters, pending */
	struct line *ring;     /* EVENTS_KEEP slots; first, n: the retained lines */
	size_t first, n, bytes;
	uint64_t base;         /* offset of the first retained line = bytes dropped */
	uint64_t total;        /* bytes ever appended */
	uint64_t seq;          /* of the last line */
	uint64_t dropped_seq;  /* of the last dropped line */
	int64_t last_ms;       /* of the last line; the feed's start before any */
	struct pending *pending;
	uint64_t next_token;   /* of the next pending mutation */
	struct notifier *notify;
	pthread_mutex_t diff_mu;          /* taken before mu */
	struct cas_instances *baseline;   /* the last listing the feed compared with */
	uint64_t baseline_gen;            /* its generation (cache.h): older listings are ignored */
	struct cas_certs *store_baseline; /* the same for the certificate store */
	uint64_t store_gen;               /* its generation, as baseline_gen */
	uint64_t unions_seen;             /* listings shown as a union, already reported */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct events *events_new(struct notifier *n)
{
	struct events *ev = cas_xcalloc(1, sizeof(*ev));
	pthread_mutex_init(&ev->mu, NULL);
	pthread_mutex_init(&ev->diff_mu, NULL);
	ev->ring = cas_xcalloc(EVENTS_KEEP, sizeof(*ev->ring));
	ev->notify = n;
	ev->last_ms = now_ms();
	return ev;
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < ev->n; i++)
		free(ev->ring[(ev->first + i) % EVENTS_KEEP].text);
	free(ev->ring);
	while (ev->pending) {
		struct pending *p = ev->pending;
		ev->pending = p->next;
		free(p->path);
		free(p->action);
		free(p->fields);
		free(p);
	}
	cas_obj_unref(ev->baseline);
	cas_obj_unref(ev->store_baseline);
	pthread_mutex_destroy(&ev->mu);
	pthread_mutex_destroy(&ev->diff_mu);
	free(ev);
}

static void drop_first(struct events *ev)
{
	struct line *l = &ev->ring[ev->first];
	ev->base = l->off + l->len;
	ev->dropped_seq = l->seq;
	ev->bytes -= l->len;
	free(l->text);
	l->text = NULL;
	ev->first = (ev->first + 1) % EVENTS_KEEP;
	ev->n--;
}

void events_add(struct events *ev, const char *kind, const char *path, cJSON *more)
{
	if (!ev) {
		cJSON_Delete(more);
		return;
	}
	int64_t t = now_ms();
	time_t secs = (time_t)(t / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char ts[40], iso[48];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(iso, sizeof(iso), "%s.%03dZ", ts, (int)(t % 1000));
	pthread_mutex_lock(&ev->mu);
	uint64_t seq = ++ev->seq;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seq", (double)seq);
	cJSON_AddStringToObject(o, "time", iso);
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "path", path);
	for (cJSON *c = more ? more->child : NULL; c;) {
		cJSON *next = c->next;
		cJSON_AddItemToObject(o, c->string, cJSON_DetachItemViaPointer(more, c));
		c = next;
	}
	cJSON_Delete(more);
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	size_t len = strlen(s);
	char *text = cas_xmalloc(len + 2);
	memcpy(text, s, len);
	text[len++] = '\n';
	text[len] = 0;
	cJSON_free(s);
	while (ev->n && (ev->n == EVENTS_KEEP || ev->bytes + len > EVENTS_KEEP_BYTES))
		drop_first(ev);
	struct line *l = &ev->ring[(ev->first + ev->n) % EVENTS_KEEP];
	*l = (struct line){ .off = ev->total, .seq = seq, .text = text, .len = len };
	ev->n++;
	ev->bytes += len;
	ev->total += len;
	ev->last_ms = t;
	pthread_mutex_unlock(&ev->mu);
	/* tail -f polls the size: the kernel must not answer it from its cache */
	if (ev->notify)
		notify_path(ev->notify, "/.cas/events");
}

uint64_t events_size(struct events *ev, int64_t *last_ms)
{
	if (!ev) {
		if (last_ms)
			*last_ms = 0;
		return 0;
	}
	pthread_mutex_lock(&ev->mu);
	uint64_t t = ev->total;
	if (last_ms)
		*last_ms = ev->last_ms;
	pthread_mutex_unlock(&ev->mu);
	return t;
}

/* The byte at offset p of the dropped region [0, base): one line, a marker
 * padded with spaces, ending in "\n" (the marker only if it fits). */
static char gap_byte(const char *marker, size_t mlen, uint64_t base, uint64_t p)
{
	if (p == base - 1)
		return '\n';
	if (mlen + 1 <= base && p < mlen)
		return marker[p];
	return ' ';
}

ssize_t events_read(struct events *ev, char *buf, size_t size, off_t off)
{
	if (!ev || off < 0)
		return 0;
	pthread_mutex_lock(&ev->mu);
	uint64_t pos = (uint64_t)off, end = pos + size;
	if (end > ev->total)
		end = ev->total;
	size_t got = 0;
	if (pos < ev->base) {
		char marker[96];
		int ml = snprintf(marker, sizeof(marker), "{\"kind\":\"dropped\",\"through_seq\":%llu}",
				  (unsigned long long)ev->dropped_seq);
		for (; pos < ev->base && pos < end; pos++)
			buf[got++] = gap_byte(marker, (size_t)ml, ev->base, pos);
	}
	/* the first retained line that ends after pos */
	size_t lo = 0, hi = ev->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct line *l = &ev->ring[(ev->first + mid) % EVENTS_KEEP];
		if (l->off + l->len <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < ev->n && pos < end; i++) {
		const struct line *l = &ev->ring[(ev->first + i) % EVENTS_KEEP];
		size_t from = (size_t)(pos - l->off), take = l->len - from;
		if (take > end - pos)
			take = (size_t)(end - pos);
		memcpy(buf + got, l->text + from, take);
		got += take;
		pos += take;
	}
	pthread_mutex_unlock(&ev->mu);
	return (ssize_t)got;
}

/* ---- mutations ----------------------------------------------------------- */

uint64_t events_mutation_begin(struct events *ev, int64_t journal_seq, const char *path, const char *action,
			       const char *fields)
{
	if (!ev)
		return 0;
	struct pending *p = cas_xcalloc(1, sizeof(*p));
	p->journal_seq = journal_seq > 0 ? journal_seq : 0;
	p->path = cas_xstrdup(path ? path : "");
	p->action = cas_xstrdup(action ? action : "");
	p->fields = fields ? cas_xstrdup(fields) : NULL;
	pthread_mutex_lock(&ev->mu);
	p->token = ++ev->next_token;
	p->next = ev->pending;
	ev->pending = p;
	pthread_mutex_unlock(&ev->mu);
	return p->token;
}

int64_t events_mutation_journal_seq(struct events *ev, uint64_t token)
{
	if (!ev || !token)
		return 0;
	pthread_mutex_lock(&ev->mu);
	struct pending *p = ev->pending;
	while (p && p->token != token)
		p = p->next;
	int64_t seq = p ? p->journal_seq : 0;
	pthread_mutex_unlock(&ev->mu);
	return seq;
}

void events_mutation_end(struct events *ev, uint64_t token, const char *outcome, int err, const char *code,
			 const char *request_id, const char *fields)
{
	if (!ev || !token)
		return;
	pthread_mutex_lock(&ev->mu);
	struct pending **pp = &ev->pending, *p;
	while ((p = *pp) && p->token != token)
		pp = &p->next;
	if (p)
		*pp = p->next;
	pthread_mutex_unlock(&ev->mu);
	if (!p)
		return;
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "action", p->action);
	cJSON_AddStringToObject(m, "outcome", outcome);
	const char *fj = fields ? fields : p->fields; /* the answer's fields, else the request's */
	cJSON *f = fj ? cJSON_Parse(fj) : NULL;
	if (f)
		cJSON_AddItemToObject(m, "fields", f);
	if (p->journal_seq > 0) /* the journal's record, when it has one */
		cJSON_AddNumberToObject(m, "journal_seq", (double)p->journal_seq);
	if (err) {
		cJSON_AddNumberToObject(m, "errno", err);
		if (code && *code)
			cJSON_AddStringToObject(m, "code", code);
	}
	if (request_id && *request_id)
		cJSON_AddStringToObject(m, "request_id", request_id);
	events_add(ev, "mutation", p->path, m);
	free(p->path);
	free(p->action);
	free(p->fields);
	free(p);
}

/* ---- listings ------------------------------------------------------------ */

static cJSON *entry_json(const struct cas_instance *it)
{
	cJSON *o = it->json ? cJSON_ParseWithLength(it->json, it->json_len) : NULL;
	return o ? o : cJSON_CreateObject();
}

/* {"Field": {"old": x, "new": y}} for every top-level field that differs */
static cJSON *changes(const struct cas_instance *was, const struct cas_instance *now)
{
	cJSON *a = entry_json(was), *b = entry_json(now), *ch = cJSON_CreateObject();
	for (cJSON *x = a->child; x; x = x->next) {
		cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
		if (y && cJSON_Compare(x, y, 1))
			continue;
		cJSON *d = cJSON_AddObjectToObject(ch, x->string);
		cJSON_AddItemToObject(d, "old", cJSON_Duplicate(x, 1));
		cJSON_AddItemToObject(d, "new", y ? cJSON_Duplicate(y, 1) : cJSON_CreateNull());
	}
	for (cJSON *y = b->child; y; y = y->next) {
		if (cJSON_GetObjectItemCaseSensitive(a, y->string))
			continue;
		cJSON *d = cJSON_AddObjectToObject(ch, y->string);
		cJSON_AddItemToObject(d, "old", cJSON_CreateNull());
		cJSON_AddItemToObject(d, "new", cJSON_Duplicate(y, 1));
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	return ch;
}

static void instance_event(struct events *ev, const char *kind, const char *id, const char *member, cJSON *v)
{
	char path[600];
	snprintf(path, sizeof(path), "/instances/%s", id);
	cJSON *m = cJSON_CreateObject();
	cJSON_AddItemToObject(m, member, v);
	events_add(ev, kind, path, m);
}

void events_listing(struct events *ev, uint64_t gen, struct cas_instances *now)
{
	if (!ev || !now)
		return;
	pthread_mutex_lock(&ev->diff_mu);
	if (ev->baseline && gen <= ev->baseline_gen) { /* the cache's hook for an older list, finished late */
		pthread_mutex_unlock(&ev->diff_mu);
		return;
	}
	struct cas_instances *was = ev->baseline;
	ev->baseline = cas_obj_ref(now);
	ev->baseline_gen = gen;
	for (size_t i = 0; was && i < now->n; i++) {
		const struct cas_instance *c = &now->v[i], *o = cas_instances_find(was, c->id);
		if (!o) {
			instance_event(ev, "appeared", c->id, "new", entry_json(c));
		} else if (o->hash != c->hash) {
			cJSON *ch = changes(o, c);
			if (!ch->child) { /* the same fields (only the entry's form changed) */
				cJSON_Delete(ch);
				continue;
			}
			/* a certificate replaced: another CertificateId or validity */
			int renewed = o->cert_id != c->cert_id || o->not_after != c->not_after ||
				      o->not_before != c->not_before;
			instance_event(ev, renewed ? "renewed" : "changed", c->id, "changes", ch);
		}
	}
	for (size_t i = 0; was && i < was->n; i++)
		if (!cas_instances_find(now, was->v[i].id))
			instance_event(ev, "disappeared", was->v[i].id, "old", entry_json(&was->v[i]));
	pthread_mutex_unlock(&ev->diff_mu);
	cas_obj_unref(was);
}

/* ---- the certificate store ---------------------------------------------- */

/* What the feed shows of a stored certificate (the listing's fields). */
static cJSON *store_json(const struct cas_store_cert *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "CertificateId", (double)c->id);
	cJSON_AddStringToObject(o, "Name", c->name ? c->name : "");
	cJSON_AddStringToObject(o, "CommonName", c->common_name ? c->common_name : "");
	cJSON_AddStringToObject(o, "Fingerprint", c->fingerprint ? c->fingerprint : "");
	cJSON_AddNumberToObject(o, "NotBefore", (double)c->not_before);
	cJSON_AddNumberToObject(o, "NotAfter", (double)c->not_after);
	cJSON_AddStringToObject(o, "CertificateSource", c->source ? c->source : "");
	cJSON *u = cJSON_AddArrayToObject(o, "UsingProductList");
	for (size_t i = 0; i < c->nusing; i++)
		cJSON_AddItemToArray(u, cJSON_CreateString(c->using[i] ? c->using[i] : ""));
	return o;
}

static cJSON *store_changes(const struct cas_store_cert *was, const struct cas_store_cert *now)
{
	cJSON *a = store_json(was), *b = store_json(now), *ch = cJSON_CreateObject();
	for (cJSON *x = a->child; x; x = x->next) {
		cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
		if (cJSON_Compare(x, y, 1))
			continue;
		cJSON *d = cJSON_AddObjectToObject(ch, x->string);
		cJSON_AddItemToObject(d, "old", cJSON_Duplicate(x, 1));
		cJSON_AddItemToObject(d, "new", cJSON_Duplicate(y, 1));
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	return ch;
}

static void store_event(struct events *ev, const char *kind, const char *path, const char *member, cJSON *v)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddItemToObject(m, member, v);
	events_add(ev, kind, path, m);
}

/* The newest certificate of lineage `lin` in l other than `except` (NULL: none). */
static const struct cas_store_cert *lineage_newest(const struct cas_certs *l, const char *lin, int64_t except)
{
	const struct cas_store_cert *best = NULL;
	char b[256];
	for (size_t i = 0; l && i < l->n; i++) {
		const struct cas_store_cert *c = &l->v[i];
		if (c->id == except)
			continue;
		store_lineage(c->name ? c->name : "", b, sizeof(b));
		if (strcmp(b, lin) == 0 && (!best || c->not_before > best->not_before ||
					    (c->not_before == best->not_before && c->id > best->id)))
			best = c;
	}
	return best;
}

/* A new store listing against the last one: a certificate that appears in a
 * lineage that had one is "renewed" (path: the lineage's directory; old and
 * new: the lineage's newest before, and the new one), else "appeared"
 * (path: by-id/<CertificateId>); one gone is "disappeared"; one whose
 * listed fields differ (in use, source) is "changed". */
static void diff_store(struct events *ev, uint64_t gen, struct cas_certs *now)
{
	pthread_mutex_lock(&ev->diff_mu);
	if (ev->store_baseline && gen <= ev->store_gen) { /* an older list's hook, finished late */
		pthread_mutex_unlock(&ev->diff_mu);
		return;
	}
	struct cas_certs *was = ev->store_baseline;
	ev->store_baseline = cas_obj_ref(now);
	ev->store_gen = gen;
	char path[600], lin[256];
	for (size_t i = 0; was && i < now->n; i++) {
		const struct cas_store_cert *c = &now->v[i], *o = cas_certs_find(was, c->id);
		snprintf(path, sizeof(path), "/certificates/by-id/%lld", (long long)c->id);
		if (!o) {
			store_lineage(c->name ? c->name : "", lin, sizeof(lin));
			const struct cas_store_cert *prev = lin[0] ? lineage_newest(was, lin, c->id) : NULL;
			if (prev && c->not_before >= prev->not_before) {
				cJSON *m = cJSON_CreateObject();
				cJSON_AddItemToObject(m, "old", store_json(prev));
				cJSON_AddItemToObject(m, "new", store_json(c));
				snprintf(path, sizeof(path), "/certificates/%s", lin);
				events_add(ev, "renewed", path, m);
			} else {
				store_event(ev, "appeared", path, "new", store_json(c));
			}
		} else {
			cJSON *ch = store_changes(o, c);
			if (ch->child)
				store_event(ev, "changed", path, "changes", ch);
			else
				cJSON_Delete(ch);
		}
	}
	for (size_t i = 0; was && i < was->n; i++)
		if (!cas_certs_find(now, was->v[i].id)) {
			snprintf(path, sizeof(path), "/certificates/by-id/%lld", (long long)was->v[i].id);
			store_event(ev, "disappeared", path, "old", store_json(&was->v[i]));
		}
	pthread_mutex_unlock(&ev->diff_mu);
	cas_obj_unref(was);
}

void events_poll(struct casfs *fs)
{
	struct events *ev = fs->events;
	if (!ev || !fs->client)
		return;
	struct cas_client_stats cs;
	cas_client_stats(fs->client, &cs);
	pthread_mutex_lock(&ev->mu);
	uint64_t before = ev->unions_seen;
	ev->unions_seen = cs.lists.inconsistent;
	pthread_mutex_unlock(&ev->mu);
	if (cs.lists.inconsistent > before) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddNumberToObject(m, "listings", (double)(cs.lists.inconsistent - before));
		cJSON_AddStringToObject(m, "why", "no consistent snapshot in 3 attempts: the union of every entry seen "
						 "is shown (.cas/errors)");
		events_add(ev, "listing_union", "/instances", m);
	}
}

void events_on_cache_change(void *ctx, enum cas_ck kind, const char *key, void *old_value, void *new_value,
			    uint64_t gen)
{
	struct casfs *fs = ctx;
	notify_on_cache_change(fs->notify, kind, key, old_value, new_value, gen);
	if (kind == CAS_CK_STORE && fs->events && new_value) {
		diff_store(fs->events, gen, new_value);
		return;
	}
	if (kind != CAS_CK_INSTANCES || !fs->events)
		return;
	events_listing(fs->events, gen, new_value);
	events_poll(fs);
}
