/* store: the write side of certificates/ (see store.h, docs/SEMANTICS.md
 * "Uploading by writing files").
 *
 * Staging. mkdir certificates/<name> makes a staging directory; a file
 * written into it, or into an existing certificate's directory (a
 * renewal), is a staged file. Staged files live in this table only: in
 * memory, bounded (STORE_MAX_*), never page-cached (direct_io), wiped when
 * freed, truncated or regrown; a staged private key cannot be read back,
 * and once its directory commits its bytes are wiped: the name stays as an
 * empty receipt (wipe_keys) for the writer's chmod/stat that follow. A key
 * written again into a committed directory is checked against the leaf
 * committed there (OpenSSL, never read back): a match is no change.
 *
 * The commit rule, evaluated at the close of every written staged file and
 * at every rename into or of a staging directory: the directory's
 * certificate is fullchain.pem, else cert.pem + chain.pem, else a
 * self-signed cert.pem; its key is privkey.pem or key.pem.
 *  - bad PEM, an encrypted key, a CA certificate before the others: EINVAL
 *    at once, no call;
 *  - a certificate whose fingerprint the store already holds: nothing is
 *    sent, the directory shows that certificate (0 calls);
 *  - a certificate and its key: exactly one UploadUserCertificate with the
 *    whole chain, under the directory's name, or <name>~<YYYYMMDD>-<fp8>
 *    when the lineage <name> already has certificates (a renewal);
 *  - otherwise it waits for the missing files.
 * A staging directory whose name starts with '.' never commits by itself:
 * renaming it to its final name does (the atomic publish), and a rename
 * that cannot commit fails and is undone.
 *
 * After a commit, a staging directory keeps its staging view while it is
 * being written (STORE_SETTLE_MS after its last write), so that cp -r,
 * which creates each file with O_EXCL, may still add the files that came
 * after the commit; then it shows the stored certificate. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "clock.h"
#include "errlog.h"
#include "handle.h"
#include "journal.h"
#include "kinds.h"
#include "log.h"
#include "notify.h"

#define STORE_SETTLE_MS 2000

struct stage_file {
	char *name;
	char *data; /* wiped when freed or regrown */
	size_t len, cap;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	int64_t drop_ms;     /* monotonic: a committed key's receipt leaves the table then (0: stays) */
};

struct stage_dir {
	char *name;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec mtime;
	struct stage_file *f;
	size_t nf;
	int explicit_dir;    /* made by mkdir or a rename: shown as a staging directory */
	int committed;       /* its certificate is in the store (uploaded or found) */
	int64_t settle_ms;   /* monotonic: the staging view lasts until then once committed */
	int64_t alias;       /* the CertId it shows when that one's own directory is another */
	char *last_leaf;     /* PEM of the leaf last committed here (public) */
	char last_fp[41];
};

struct store *store_new(void)
{
	struct store *s = cas_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->upload_mu, NULL);
	return s;
}

static void file_free(struct stage_file *f)
{
	if (f->data)
		OPENSSL_cleanse(f->data, f->cap);
	free(f->data);
	free(f->name);
	memset(f, 0, sizeof(*f));
}

static void dir_free(struct stage_dir *d)
{
	for (size_t i = 0; i < d->nf; i++)
		file_free(&d->f[i]);
	free(d->f);
	free(d->name);
	free(d->last_leaf);
	memset(d, 0, sizeof(*d));
}

void store_free(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ndirs; i++)
		dir_free(&s->dirs[i]);
	free(s->dirs);
	cas_obj_unref(s->names);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->upload_mu);
	free(s);
}

/* ---- the table (under s->mu) ------------------------------------------ */

static struct stage_dir *dir_find(struct store *s, const char *name)
{
	for (size_t i = 0; i < s->ndirs; i++)
		if (strcmp(s->dirs[i].name, name) == 0)
			return &s->dirs[i];
	return NULL;
}

static struct stage_dir *dir_add(struct store *s, const char *name)
{
	if (s->ndirs >= STORE_MAX_DIRS)
		return NULL;
	s->dirs = cas_xrealloc(s->dirs, (s->ndirs + 1) * sizeof(*s->dirs));
	struct stage_dir *d = &s->dirs[s->ndirs++];
	memset(d, 0, sizeof(*d));
	d->name = cas_xstrdup(name);
	d->mode = 0700;
	clock_gettime(CLOCK_REALTIME, &d->mtime);
	return d;
}

static void dir_del(struct store *s, struct stage_dir *d)
{
	dir_free(d);
	size_t i = (size_t)(d - s->dirs);
	memmove(d, d + 1, (s->ndirs - i - 1) * sizeof(*d));
	s->ndirs--;
}

static struct stage_file *file_find(struct stage_dir *d, const char *name)
{
	for (size_t i = 0; d && i < d->nf; i++)
		if (strcmp(d->f[i].name, name) == 0)
			return &d->f[i];
	return NULL;
}

static void file_del(struct stage_dir *d, struct stage_file *f)
{
	file_free(f);
	size_t i = (size_t)(f - d->f);
	memmove(f, f + 1, (d->nf - i - 1) * sizeof(*f));
	d->nf--;
}

static struct stage_file *file_add(struct stage_dir *d, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	if (d->nf >= STORE_MAX_FILES)
		return NULL;
	d->f = cas_xrealloc(d->f, (d->nf + 1) * sizeof(*d->f));
	struct stage_file *f = &d->f[d->nf++];
	memset(f, 0, sizeof(*f));
	f->name = cas_xstrdup(name);
	f->mode = mode & 07777;
	f->uid = uid;
	f->gid = gid;
	clock_gettime(CLOCK_REALTIME, &f->mtime);
	return f;
}

/* Grows f to hold n bytes; the old buffer is wiped. */
static int file_reserve(struct stage_file *f, size_t n)
{
	if (n > STORE_MAX_BYTES)
		return -EFBIG;
	if (n <= f->cap)
		return 0;
	size_t cap = f->cap ? f->cap : 4096;
	while (cap < n)
		cap *= 2;
	char *p = cas_xcalloc(1, cap + 1);
	if (f->data) {
		memcpy(p, f->data, f->len);
		OPENSSL_cleanse(f->data, f->cap);
		free(f->data);
	}
	f->data = p;
	f->cap = cap;
	return 0;
}

static int is_key_name(const char *n)
{
	return strcmp(n, "privkey.pem") == 0 || strcmp(n, "key.pem") == 0;
}

static int is_pem_name(const char *n)
{
	return is_key_name(n) || strcmp(n, "fullchain.pem") == 0 || strcmp(n, "cert.pem") == 0 ||
	       strcmp(n, "chain.pem") == 0;
}

/* The certificate and key files leave the table (wiped). */
static void drop_pems(struct stage_dir *d)
{
	for (size_t i = d->nf; i-- > 0;)
		if (is_pem_name(d->f[i].name))
			file_del(d, &d->f[i]);
}

/* The directory's key went to the store (or matched it): the staged keys
 * keep their names, as empty receipts (size 0, reading nothing), so that
 * a writer's chmod/utime/stat that follow still find them, and a tool
 * that compares (Ansible's copy) sees a difference and writes again, at 0
 * calls; their bytes are wiped now. drop_ms: when the receipts leave an
 * overlay directory (0: with the directory's staging view). */
static void wipe_keys(struct stage_dir *d, int64_t drop_ms)
{
	for (size_t i = 0; i < d->nf; i++) {
		struct stage_file *f = &d->f[i];
		if (!is_key_name(f->name))
			continue;
		if (f->data)
			OPENSSL_cleanse(f->data, f->cap);
		f->len = 0;
		f->drop_ms = drop_ms;
	}
}

/* The kernel's caches of dir's staged files: its keys just became
 * receipts (size 0), forgotten now; what it cached while dir showed its
 * staged files (their names and attributes, the staging directory's own)
 * is forgotten when it settles at due_ms: nothing else asks then (the
 * entries are cached for the ttl). */
static void notify_settled(struct casfs *fs, const char *dir, int64_t due_ms)
{
	if (!fs->notify)
		return;
	due_ms += 50; /* after the instant tidy() acts on */
	char *p;
	for (int i = 0; i < 2; i++) { /* the keys just became receipts: their size is 0 now */
		p = cas_xasprintf("/certificates/%s/%s", dir, i ? "key.pem" : "privkey.pem");
		notify_path(fs->notify, p);
		free(p);
	}
	p = cas_xasprintf("/certificates/%s", dir);
	notify_path_at(fs->notify, "/certificates", due_ms);
	notify_path_at(fs->notify, p, due_ms);
	free(p);
	static const char *const staged[] = { "privkey.pem", "key.pem", "fullchain.pem", "cert.pem", "chain.pem" };
	for (size_t i = 0; i < sizeof(staged) / sizeof(*staged); i++) {
		p = cas_xasprintf("/certificates/%s/%s", dir, staged[i]);
		notify_path_at(fs->notify, p, due_ms);
		free(p);
	}
}

/* The certificate files leave the table (an overlay's keys stay as receipts). */
static void drop_certs(struct stage_dir *d)
{
	for (size_t i = d->nf; i-- > 0;)
		if (is_pem_name(d->f[i].name) && !is_key_name(d->f[i].name))
			file_del(d, &d->f[i]);
}

/* Is d shown as a staging directory (rather than as a stored one)? */
static int staging_view(const struct stage_dir *d, int64_t now)
{
	return d->explicit_dir && (!d->committed || now < d->settle_ms);
}

/* A committed staging directory whose settle time passed becomes an
 * overlay of its stored directory: its certificate and key files go. */
static void tidy(struct store *s)
{
	int64_t now = cas_mono_ms();
	for (size_t i = s->ndirs; i-- > 0;) {
		struct stage_dir *d = &s->dirs[i];
		if (d->explicit_dir && d->committed && now >= d->settle_ms) {
			d->explicit_dir = 0;
			drop_pems(d);
		}
		for (size_t j = d->nf; j-- > 0;)
			if (d->f[j].drop_ms && now >= d->f[j].drop_ms)
				file_del(d, &d->f[j]);
		if (!d->explicit_dir && !d->nf && !d->last_leaf && !d->alias)
			dir_del(s, d);
	}
}

int64_t store_alias(struct casfs *fs, const char *dir)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	tidy(s);
	struct stage_dir *d = dir_find(s, dir);
	int64_t id = d && !staging_view(d, cas_mono_ms()) ? d->alias : 0;
	pthread_mutex_unlock(&s->mu);
	return id;
}

void store_aliases(struct casfs *fs, struct namelist *out)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	tidy(s);
	int64_t now = cas_mono_ms();
	for (size_t i = 0; i < s->ndirs; i++)
		if (s->dirs[i].alias && !staging_view(&s->dirs[i], now))
			namelist_add(out, s->dirs[i].name);
	pthread_mutex_unlock(&s->mu);
}

/* Is dir currently a staging directory (hiding a stored one of that name)? */
static int in_staging_view(struct store *s, const char *dir)
{
	pthread_mutex_lock(&s->mu);
	tidy(s);
	struct stage_dir *d = dir_find(s, dir);
	int v = d && staging_view(d, cas_mono_ms());
	pthread_mutex_unlock(&s->mu);
	return v;
}

int store_staging(struct casfs *fs, const char *dir)
{
	return in_staging_view(fs->store, dir);
}

/* ---- rows' list/exists/remove ----------------------------------------- */

int list_stage_dirs(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		    struct cas_error *e)
{
	(void)k;
	(void)dir;
	(void)e;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	tidy(s);
	int64_t now = cas_mono_ms();
	for (size_t i = 0; i < s->ndirs; i++)
		if (staging_view(&s->dirs[i], now))
			namelist_add(out, s->dirs[i].name);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int exists_stage_dir(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		     struct cas_error *e)
{
	(void)k;
	(void)p;
	(void)e;
	return in_staging_view(fs->store, name);
}

/* Staged files of a directory: in a stored certificate's directory, the
 * names its present files claim are left out (they stay hidden behind
 * them); a staged key.pem shows while the certificate has none. */
int list_staged(struct casfs *fs, const struct node_kind *k, const struct node *dir, struct namelist *out,
		struct cas_error *e)
{
	(void)k;
	struct store *s = fs->store;
	struct namelist all = { 0 };
	pthread_mutex_lock(&s->mu);
	tidy(s);
	struct stage_dir *d = dir_find(s, dir->id);
	for (size_t i = 0; d && i < d->nf; i++)
		namelist_add(&all, d->f[i].name);
	pthread_mutex_unlock(&s->mu);
	int rc = 0;
	for (size_t i = 0; i < all.n && rc >= 0; i++) /* not under s->mu: a fixed row's exists lists the store */
		if (!(rc = node_fixed_present(fs, dir, all.v[i], e)))
			namelist_add(out, all.v[i]);
	namelist_free(&all);
	return rc < 0 ? rc : 0;
}

int exists_staged(struct casfs *fs, const struct node_kind *k, const struct node *p, const char *name,
		  struct cas_error *e)
{
	(void)k;
	(void)e;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	tidy(s);
	int found = file_find(dir_find(s, p->id), name) != NULL;
	pthread_mutex_unlock(&s->mu);
	return found;
}

int remove_staged(struct casfs *fs, const struct node *n, struct cas_error *e)
{
	(void)e;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, n->id);
	struct stage_file *f = file_find(d, n->name);
	if (f)
		file_del(d, f);
	pthread_mutex_unlock(&s->mu);
	return f ? 0 : -ENOENT;
}

int remove_stage_dir(struct casfs *fs, const struct node *n, struct cas_error *e)
{
	(void)e;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, n->id);
	int rc = !d ? -ENOENT : d->nf ? -ENOTEMPTY : 0;
	if (!rc)
		dir_del(s, d);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- local checks and the commit rule --------------------------------- */

static int refuse(struct casfs *fs, const char *path, const char *fmt, const char *arg)
{
	struct cas_error e;
	cas_error_clear(&e);
	cas_error_set(&e, EINVAL, "Local.Validation", fmt, arg ? arg : "");
	snprintf(e.action, sizeof(e.action), "UploadUserCertificate");
	fs_fail(fs, path, -EINVAL, &e);
	atomic_fetch_add(&fs->st.validation_errors, 1);
	return -EINVAL;
}

/* The certificates of a PEM text: count, and the first one (caller frees). */
static int read_certs(const char *pem, X509 **first, int *first_is_ca)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	int n = 0;
	X509 *x;
	*first = NULL;
	while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (!n) {
			*first = x;
			*first_is_ca = X509_check_ca(x) != 0 && X509_check_issued(x, x) != X509_V_OK;
		} else {
			X509_free(x);
		}
		n++;
	}
	ERR_clear_error();
	BIO_free(b);
	return n;
}

static void fingerprint_of(X509 *x, char fp[41])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	X509_digest(x, EVP_sha1(), d, &n);
	for (unsigned i = 0; i < n && i < 20; i++)
		sprintf(fp + 2 * i, "%02X", d[i]);
}

static int key_matches(const char *leaf_pem, const char *key)
{
	X509 *leaf = NULL;
	int ca;
	if (!leaf_pem || read_certs(leaf_pem, &leaf, &ca) < 1)
		return 0;
	BIO *kb = BIO_new_mem_buf(key, -1);
	EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
	BIO_free(kb);
	int ok = k && X509_check_private_key(leaf, k) == 1;
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(leaf);
	return ok;
}

/* A secret copy: wiped when freed. */
static void secret_free(char *p)
{
	if (p) {
		OPENSSL_cleanse(p, strlen(p));
		free(p);
	}
}

struct staged_set {
	char *cert;      /* the certificate text to upload (public) */
	char *key;       /* secret */
	const char *cert_from;
	char last_fp[41];
	char *last_leaf;
	int committed;
};

static void set_free(struct staged_set *t)
{
	free(t->cert);
	secret_free(t->key);
	free(t->last_leaf);
}

/* A refusal found under s->mu, recorded (refuse) once it is released: the
 * error log's lock is never taken inside the store's. */
struct refusal {
	char path[4400];
	char why[512];
};

static int refused(struct refusal *r, const char *dirpath, const char *file, const char *fmt, const char *arg)
{
	snprintf(r->path, sizeof(r->path), "%s/%s", dirpath, file);
	snprintf(r->why, sizeof(r->why), fmt, arg);
	return -EINVAL;
}

/* Checks each staged PEM file on its own (no call): EINVAL and r filled
 * (under s->mu; the caller records it after unlocking). */
static int check_files(const char *dirpath, struct stage_dir *d, struct refusal *r)
{
	for (size_t i = 0; i < d->nf; i++) {
		struct stage_file *f = &d->f[i];
		if (!is_pem_name(f->name) || !f->len)
			continue; /* empty: not written yet, or a key's receipt (the commit rule skips it too) */
		const char *text = f->data ? f->data : "";
		if (is_key_name(f->name)) {
			if (strstr(text, "ENCRYPTED"))
				return refused(r, dirpath, f->name,
					       "%sthe private key is encrypted; CAS takes an unencrypted PEM key "
					       "(openssl pkey -in KEY -out KEY.plain)",
					       "");
			BIO *kb = BIO_new_mem_buf(text, -1);
			EVP_PKEY *k = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"") : NULL;
			BIO_free(kb);
			ERR_clear_error();
			EVP_PKEY_free(k);
			if (!k)
				return refused(r, dirpath, f->name, "%s is not a PEM private key", f->name);
			continue;
		}
		X509 *first = NULL;
		int ca = 0;
		int n = read_certs(text, &first, &ca);
		X509_free(first);
		if (n < 1)
			return refused(r, dirpath, f->name, "%s holds no PEM certificate", f->name);
		if (strcmp(f->name, "chain.pem") != 0 && ca && n > 1)
			return refused(r, dirpath, f->name,
				       "%s starts with a CA certificate: the leaf must come first, then its chain", f->name);
	}
	return 0;
}

/* Copies out what the commit rule needs (under s->mu). */
static void collect(struct stage_dir *d, struct staged_set *t)
{
	struct stage_file *fc = file_find(d, "fullchain.pem"), *ce = file_find(d, "cert.pem"),
			  *ch = file_find(d, "chain.pem"), *k = file_find(d, "key.pem");
	if (!k)
		k = file_find(d, "privkey.pem");
	memset(t, 0, sizeof(*t));
	if (fc && fc->len) {
		t->cert = cas_xstrdup(fc->data);
		t->cert_from = "fullchain.pem";
	} else if (ce && ce->len && ch && ch->len) {
		t->cert = cas_xasprintf("%s%s%s", ce->data, ce->data[ce->len - 1] == '\n' ? "" : "\n", ch->data);
		t->cert_from = "cert.pem + chain.pem";
	} else if (ce && ce->len) {
		X509 *x = NULL;
		int ca;
		if (read_certs(ce->data, &x, &ca) == 1 && X509_check_issued(x, x) == X509_V_OK) {
			t->cert = cas_xstrdup(ce->data); /* self-signed: no chain to wait for */
			t->cert_from = "cert.pem";
		}
		ERR_clear_error();
		X509_free(x);
	}
	if (k && k->len)
		t->key = cas_xstrdup(k->data);
	memcpy(t->last_fp, d->last_fp, sizeof(t->last_fp));
	t->last_leaf = d->last_leaf ? cas_xstrdup(d->last_leaf) : NULL;
	t->committed = d->committed;
}

/* The directory now holds certificate id (uploaded or found): its PEM
 * files and key go (unless it still shows as a staging directory), and it
 * remembers the leaf, so the same files written again cost nothing. */
static void committed(struct casfs *fs, const char *dir, const char *fp, const char *leaf, int64_t id,
		      const char *shown_as)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, dir);
	int64_t due = 0;
	if (d) {
		due = cas_mono_ms() + STORE_SETTLE_MS;
		if (!d->explicit_dir) {
			drop_certs(d);
			wipe_keys(d, due);
		} else {
			wipe_keys(d, 0);
		}
		d->committed = 1;
		d->settle_ms = due;
		snprintf(d->last_fp, sizeof(d->last_fp), "%s", fp);
		free(d->last_leaf);
		d->last_leaf = cas_xstrdup(leaf);
		if (id > 0) /* 0: the same certificate again, alias unchanged */
			d->alias = shown_as && strcmp(shown_as, dir) == 0 ? 0 : id;
	}
	pthread_mutex_unlock(&s->mu);
	store_notify(fs, dir);
	if (due)
		notify_settled(fs, dir, due);
}

/* A store mutation's journal fields: {"CertificateId": {side: id}, "Name":
 * ..., "Fingerprint": ...}, side "new" (an upload) or "old" (a delete);
 * id 0 and empty strings are left out. */
static cJSON *store_fields(int64_t id, const char *name, const char *fp, const char *side)
{
	cJSON *f = cJSON_CreateObject();
	if (id > 0)
		cJSON_AddNumberToObject(cJSON_AddObjectToObject(f, "CertificateId"), side, (double)id);
	if (name && *name)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(f, "Name"), side, name);
	if (fp && *fp)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(f, "Fingerprint"), side, fp);
	return f;
}

/* The Name of an upload into dir: dir itself, or for a lineage that
 * already has certificates dir~<YYYYMMDD>-<first 8 of the fingerprint>. */
static char *upload_name(const struct store_names *nm, const char *dir, X509 *leaf, const char *fp)
{
	if (!store_lineage_taken(nm, dir))
		return cas_xstrdup(dir);
	struct tm tm = { 0 };
	ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm);
	char low[9];
	for (int i = 0; i < 8; i++)
		low[i] = (char)(fp[i] >= 'A' && fp[i] <= 'F' ? fp[i] - 'A' + 'a' : fp[i]);
	low[8] = '\0';
	return cas_xasprintf("%s~%04d%02d%02d-%s", dir, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, low);
}

/* The commit rule for staging directory `dir` (see the file comment).
 * publish: a rename to the final name, which must commit. path: what a
 * failure's record names. 0 or -errno (recorded). */
static int evaluate(struct casfs *fs, const char *dir, const char *path, int publish)
{
	struct store *s = fs->store;
	if (dir[0] == '.')
		return 0; /* a scratch directory: commits when renamed */
	char dirpath[4200];
	snprintf(dirpath, sizeof(dirpath), "/certificates/%s", dir);
	pthread_mutex_lock(&s->upload_mu);
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, dir);
	struct refusal *why = cas_xcalloc(1, sizeof(*why));
	int rc = d ? check_files(dirpath, d, why) : 0;
	struct staged_set t = { 0 };
	if (d && !rc)
		collect(d, &t);
	pthread_mutex_unlock(&s->mu);
	if (rc)
		refuse(fs, why->path, "%s", why->why);
	free(why);
	if (rc || !d)
		goto out;
	if (!t.cert) {
		/* a key alone: the one of the certificate just committed here is no change */
		if (t.key && t.last_leaf && key_matches(t.last_leaf, t.key)) {
			int64_t due = 0;
			pthread_mutex_lock(&s->mu);
			if ((d = dir_find(s, dir))) {
				due = d->explicit_dir ? d->settle_ms : cas_mono_ms() + STORE_SETTLE_MS;
				wipe_keys(d, d->explicit_dir ? 0 : due);
			}
			pthread_mutex_unlock(&s->mu);
			if (due)
				notify_settled(fs, dir, due);
		} else if (publish && !t.committed) {
			rc = refuse(fs, path, "%sthe directory is incomplete: it needs fullchain.pem (or cert.pem and "
					      "chain.pem) and privkey.pem (or key.pem)", "");
		}
		goto out;
	}
	X509 *leaf = NULL;
	int ca;
	read_certs(t.cert, &leaf, &ca);
	char fp[41] = "";
	fingerprint_of(leaf, fp);
	char *leaf_pem = NULL;
	{
		BIO *b = BIO_new(BIO_s_mem());
		PEM_write_bio_X509(b, leaf);
		char *p;
		long n = BIO_get_mem_data(b, &p);
		leaf_pem = cas_xstrndup(p, (size_t)n);
		BIO_free(b);
	}
	if (strcmp(fp, t.last_fp) == 0) { /* written again: already committed here */
		if (t.key && !key_matches(leaf_pem, t.key))
			rc = refuse(fs, path, "%sthe private key does not match the certificate", "");
		else
			committed(fs, dir, fp, leaf_pem, 0, dir);
		goto done;
	}
	struct cas_error e;
	cas_error_clear(&e);
	/* the duplicate check and the renewal's name decide what is sent: they
	 * read a store list at most ttl old (as a commit's comparison state,
	 * commit.c current_detail), never a stale copy of a changed store */
	if (fs->cache && fs->api == cas_cache_api(fs->cache)) {
		void *fresh = NULL;
		if ((rc = cas_cache_get_fresh(fs->cache, CAS_CK_STORE, "", &fresh, &e))) {
			fs_fail(fs, path, rc, &e);
			goto done;
		}
		cas_obj_unref(fresh);
	}
	struct store_names *nm = NULL;
	if ((rc = store_names_get(fs, &nm, &e))) {
		fs_fail(fs, path, rc, &e);
		goto done;
	}
	const struct cas_store_cert *dup = NULL;
	for (size_t i = 0; i < nm->certs->n && !dup; i++)
		if (nm->certs->v[i].fingerprint && strcasecmp(nm->certs->v[i].fingerprint, fp) == 0)
			dup = &nm->certs->v[i];
	if (dup) { /* already in the store: 0 calls */
		cas_info("%s: certificate %s is already stored as %lld: not uploaded again", path, fp,
			 (long long)dup->id);
		committed(fs, dir, fp, leaf_pem, dup->id, store_names_dir(nm, dup->id));
	} else if (!t.key) {
		if (publish)
			rc = refuse(fs, path, "%sthe directory is incomplete: it has a certificate but no privkey.pem "
					      "(or key.pem)", "");
	} else {
		char *name = upload_name(nm, dir, leaf, fp);
		struct cas_upload u = { name, t.cert, t.key };
		int64_t id = 0;
		cas_error_clear(&e);
		int64_t jh = journal_begin(fs, dirpath, "UploadUserCertificate", store_fields(0, name, fp, "new"));
		rc = fs->api->ops->upload_certificate(fs->api, &u, &id, &e);
		journal_end_fields(fs, jh, rc, &e, store_fields(rc ? 0 : id, name, fp, "new"));
		if (rc) {
			if (rc == -EINVAL)
				atomic_fetch_add(&fs->st.validation_errors, 1);
			atomic_fetch_add(&fs->st.commit_errors, 1);
			if (!e.action[0])
				snprintf(e.action, sizeof(e.action), "UploadUserCertificate");
			fs_fail(fs, path, rc, &e);
		} else {
			atomic_fetch_add(&fs->st.commits, 1);
			cas_info("%s: uploaded %s (%s) as %lld, Name %s", path, fp, t.cert_from, (long long)id, name);
			committed(fs, dir, fp, leaf_pem, id, dir);
		}
		free(name);
	}
	cas_obj_unref(nm);
done:
	free(leaf_pem);
	X509_free(leaf);
out:
	set_free(&t);
	pthread_mutex_unlock(&s->upload_mu);
	return rc;
}

/* ---- staged files ----------------------------------------------------- */

struct staged_handle {
	int wrote;
};

static int sf_getattr(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st)
{
	(void)h;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_file *f = file_find(dir_find(s, n->id), n->name);
	if (f) {
		memset(st, 0, sizeof(*st));
		st->st_ino = n->ino;
		st->st_mode = S_IFREG | (f->mode & ~(fs->o.umask & 0777)); /* -o umask= clears bits, as node_mode */
		st->st_nlink = 1;
		st->st_uid = f->uid;
		st->st_gid = f->gid;
		st->st_size = (off_t)f->len;
		st->st_blocks = (blkcnt_t)((f->len + 511) / 512);
		st->st_blksize = 4096;
		st->st_mtim = st->st_ctim = st->st_atim = f->mtime;
	}
	pthread_mutex_unlock(&s->mu);
	return f ? 0 : -ENOENT;
}

static struct handle *sf_open(struct casfs *fs, const struct node *n, int flags, int *rc)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_file *f = file_find(dir_find(s, n->id), n->name);
	if (f && (flags & O_TRUNC)) {
		if (f->data)
			OPENSSL_cleanse(f->data, f->cap);
		f->len = 0;
		f->drop_ms = 0;
	}
	pthread_mutex_unlock(&s->mu);
	if (!f) {
		*rc = -ENOENT;
		return NULL;
	}
	*rc = 0;
	struct handle *h = handle_new(fs, n);
	h->direct_io = 1; /* a staged key never reaches the page cache */
	struct staged_handle *sh = cas_xcalloc(1, sizeof(*sh));
	sh->wrote = (flags & O_TRUNC) != 0;
	h->priv = sh;
	return h;
}

static ssize_t sf_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_file *f = file_find(dir_find(s, h->node.id), h->node.name);
	ssize_t rc = -ENOENT;
	int secret = 0;
	if (f) {
		secret = f->data && strstr(f->data, "PRIVATE KEY") != NULL;
		rc = 0;
		if (!secret && (size_t)off < f->len) {
			rc = (ssize_t)(f->len - (size_t)off < size ? f->len - (size_t)off : size);
			memcpy(buf, f->data + off, (size_t)rc);
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (secret)
		return fs_refuse(fs, h->node.path, EACCES,
				 "a staged private key is not readable back (it is only held for the upload)");
	return rc;
}

static ssize_t sf_write(struct casfs *fs, struct handle *h, const char *buf, size_t size, off_t off, pid_t pid)
{
	(void)pid;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, h->node.id);
	struct stage_file *f = file_find(d, h->node.name);
	ssize_t rc = -ENOENT;
	if (f && !(rc = file_reserve(f, (size_t)off + size))) {
		if ((size_t)off > f->len)
			memset(f->data + f->len, 0, (size_t)off - f->len);
		memcpy(f->data + off, buf, size);
		if ((size_t)off + size > f->len)
			f->len = (size_t)off + size;
		f->data[f->len] = '\0';
		f->drop_ms = 0; /* written again: staged until the commit rule says otherwise */
		clock_gettime(CLOCK_REALTIME, &f->mtime);
		if (d->committed)
			d->settle_ms = cas_mono_ms() + STORE_SETTLE_MS;
		rc = (ssize_t)size;
	}
	pthread_mutex_unlock(&s->mu);
	OPENSSL_cleanse((void *)buf, size); /* the request buffer may hold a key */
	if (rc > 0)
		((struct staged_handle *)h->priv)->wrote = 1;
	if (rc == -EFBIG) {
		struct cas_error e;
		cas_error_clear(&e);
		cas_error_set(&e, EFBIG, "Local.Staging", "a staged file holds at most %u bytes", STORE_MAX_BYTES);
		fs_fail(fs, h->node.path, (int)rc, &e);
	}
	return rc;
}

static int sf_truncate(struct casfs *fs, const struct node *n, struct handle *h, off_t size)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_file *f = file_find(dir_find(s, n->id), n->name);
	int rc = f ? file_reserve(f, (size_t)size) : -ENOENT;
	if (!rc) {
		if ((size_t)size < f->len)
			OPENSSL_cleanse(f->data + size, f->len - (size_t)size);
		else
			memset(f->data + f->len, 0, (size_t)size - f->len);
		f->len = (size_t)size;
		f->data[f->len] = '\0';
	}
	pthread_mutex_unlock(&s->mu);
	if (!rc && h)
		((struct staged_handle *)h->priv)->wrote = 1;
	return rc;
}

static int sf_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	(void)pid;
	struct staged_handle *sh = h->priv;
	if (!sh->wrote)
		return 0;
	sh->wrote = 0;
	return evaluate(fs, h->node.id, h->node.path, 0);
}

static void sf_release(struct casfs *fs, struct handle *h, int final)
{
	(void)final;
	free(h->priv);
	h->priv = NULL;
	handle_free(fs, h);
}

static int sf_setattr(struct casfs *fs, const struct node *n, const struct attr_change *a)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, n->id);
	struct stage_file *f = n->name[0] ? file_find(d, n->name) : NULL;
	mode_t *mode = f ? &f->mode : d ? &d->mode : NULL;
	uid_t *uid = f ? &f->uid : d ? &d->uid : NULL;
	gid_t *gid = f ? &f->gid : d ? &d->gid : NULL;
	struct timespec *mt = f ? &f->mtime : d ? &d->mtime : NULL;
	if (mode) {
		switch (a->what) {
		case ATTR_MODE: *mode = a->mode & 07777; break;
		case ATTR_OWNER:
			if (a->uid != (uid_t)-1)
				*uid = a->uid;
			if (a->gid != (gid_t)-1)
				*gid = a->gid;
			break;
		case ATTR_TIMES:
			if (!a->tv || a->tv[1].tv_nsec == UTIME_NOW)
				clock_gettime(CLOCK_REALTIME, mt);
			else if (a->tv[1].tv_nsec != UTIME_OMIT)
				*mt = a->tv[1];
			break;
		}
	}
	pthread_mutex_unlock(&s->mu);
	return mode ? 0 : -ENOENT;
}

/* A new staged file in dir (a staging or a certificate directory). */
static int sf_create(struct casfs *fs, const struct node *dir, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, dir->id);
	if (!d && (d = dir_add(s, dir->id)))
		d->explicit_dir = 0; /* an overlay of a stored certificate's directory */
	int rc = !d ? -ENOSPC : file_find(d, name) ? -EEXIST : file_add(d, name, mode, uid, gid) ? 0 : -ENOSPC;
	pthread_mutex_unlock(&s->mu);
	if (rc == -ENOSPC) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir->path, name);
		struct cas_error e;
		cas_error_clear(&e);
		cas_error_set(&e, ENOSPC, "Local.Staging", "at most %d staging directories of %d files each",
			      STORE_MAX_DIRS, STORE_MAX_FILES);
		fs_fail(fs, path, rc, &e);
	}
	return rc;
}

/* rename(2) of a staged file within its directory, onto a new name, another
 * staged file, or a certificate's own PEM file (Ansible's and rsync's
 * temporary file): the staged bytes take the name, then the commit rule. */
static int sf_rename(struct casfs *fs, const struct node *n, const struct node *dir, const char *name,
		     unsigned flags, uid_t uid, gid_t gid)
{
	(void)uid;
	(void)gid;
	struct node dst;
	int rc = rename_target(fs, n, dir, name, flags, &dst);
	if (rc < 0)
		return rc;
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir->path, name);
	if (rc && node_kind(&dst)->ops != &store_file_ops && node_kind(&dst)->ops != &store_pem_ops)
		return fs_refuse(fs, dst.path, EPERM, "only a certificate's PEM files can be replaced");
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, n->id);
	struct stage_file *f = file_find(d, n->name), *old = file_find(d, name);
	if (f && old && old != f) {
		file_del(d, old);
		f = file_find(d, n->name);
	}
	if (f) {
		free(f->name);
		f->name = cas_xstrdup(name);
	}
	pthread_mutex_unlock(&s->mu);
	if (!f)
		return -ENOENT;
	return evaluate(fs, n->id, path, 0);
}

const struct kind_ops store_file_ops = {
	.getattr = sf_getattr,
	.open = sf_open,
	.read = sf_read,
	.write = sf_write,
	.truncate = sf_truncate,
	.flush = sf_flush,
	.release = sf_release,
	.setattr = sf_setattr,
	.rename = sf_rename,
	.create = sf_create,
};

/* ---- a stored certificate's PEM files: a write stages a renewal -------- */

static struct handle *pem_open(struct casfs *fs, const struct node *n, int flags, int *rc)
{
	if ((flags & O_ACCMODE) == O_RDONLY && !(flags & O_TRUNC))
		return api_file_ops.open(fs, n, flags, rc);
	/* the writer gets a staged file of that name in the directory's overlay */
	struct node st = *n; /* a plain value: its path already ends in the file's name */
	const char *name = node_kind(n)->name;
	if (strlen(name) > NODE_NAME_MAX) {
		*rc = -ENAMETOOLONG;
		return NULL;
	}
	memcpy(st.name, name, strlen(name) + 1);
	st.type = T_SC_FILE;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, n->id);
	if (!d)
		d = dir_add(s, n->id);
	/* the mode and owner the certificate's file showed (node_mode: -o umask= applies) */
	int ok = d && (file_find(d, name) || file_add(d, name, node_mode(fs, node_kind(n)) & 07777, fs->uid, fs->gid));
	pthread_mutex_unlock(&s->mu);
	if (!ok) {
		*rc = -ENOSPC;
		return NULL;
	}
	return sf_open(fs, &st, flags | O_TRUNC, rc);
}

static int pem_getattr(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st)
{
	return api_file_ops.getattr(fs, n, h, st);
}

static ssize_t pem_read(struct casfs *fs, struct handle *h, char *buf, size_t size, off_t off)
{
	return api_file_ops.read(fs, h, buf, size, off);
}

static int pem_flush(struct casfs *fs, struct handle *h, pid_t pid)
{
	return api_file_ops.flush(fs, h, pid);
}

static void pem_release(struct casfs *fs, struct handle *h, int final)
{
	api_file_ops.release(fs, h, final);
}

static int pem_setattr(struct casfs *fs, const struct node *n, const struct attr_change *a)
{
	return api_file_ops.setattr(fs, n, a);
}

static int pem_truncate(struct casfs *fs, const struct node *n, struct handle *h, off_t size)
{
	return api_file_ops.truncate(fs, n, h, size);
}

const struct kind_ops store_pem_ops = {
	.getattr = pem_getattr,
	.open = pem_open,
	.read = pem_read,
	.truncate = pem_truncate,
	.flush = pem_flush,
	.release = pem_release,
	.setattr = pem_setattr,
};

/* ---- staging directories ---------------------------------------------- */

static int sd_getattr(struct casfs *fs, const struct node *n, struct handle *h, struct stat *st)
{
	(void)h;
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, n->id);
	if (d) {
		memset(st, 0, sizeof(*st));
		st->st_ino = n->ino;
		st->st_mode = S_IFDIR | (d->mode & ~(fs->o.umask & 0777));
		st->st_nlink = 2;
		st->st_uid = d->uid;
		st->st_gid = d->gid;
		st->st_blksize = 4096;
		st->st_mtim = st->st_ctim = st->st_atim = d->mtime;
	}
	pthread_mutex_unlock(&s->mu);
	return d ? 0 : -ENOENT;
}

/* Whether mkdir and rename take name for a certificate directory: it is its
 * own lineage, or it starts with '.'. */
static int is_lineage(const char *name)
{
	char lin[256];
	store_lineage(name, lin, sizeof(lin));
	return name[0] == '.' || strcmp(lin, name) == 0;
}

/* mkdir certificates/<name>: a staging directory. */
static int sd_create(struct casfs *fs, const struct node *dir, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir->path, name);
	if (!is_lineage(name))
		return fs_refuse(fs, path, EINVAL,
				 "a certificate directory's name is its lineage: no '~' (which separates a lineage from a "
				 "CertificateId), not starting with '.', not by-id, expired or by-expiry");
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, name);
	int rc = 0;
	if (d && staging_view(d, cas_mono_ms()))
		rc = -EEXIST;
	else if (!d && !(d = dir_add(s, name)))
		rc = -ENOSPC;
	if (!rc) {
		d->explicit_dir = 1;
		d->committed = 0;
		d->mode = mode & 07777;
		d->uid = uid;
		d->gid = gid;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* rename(2) of a staging directory: the atomic publish. Onto a new name or
 * an existing certificate's directory (a renewal), it commits there; a
 * failure undoes the rename. */
static int sd_rename(struct casfs *fs, const struct node *n, const struct node *dir, const char *name,
		     unsigned flags, uid_t uid, gid_t gid)
{
	(void)uid;
	(void)gid;
	struct node dst;
	int rc = rename_target(fs, n, dir, name, flags, &dst);
	if (rc < 0)
		return rc;
	char path[4400];
	snprintf(path, sizeof(path), "%s/%s", dir->path, name);
	if (!is_lineage(name))
		return fs_refuse(fs, path, EINVAL, "a certificate directory's name is its lineage (see mkdir)");
	if (rc && node_kind(&dst)->ops != &api_dir_ops && node_kind(&dst)->ops != &store_stage_dir_ops)
		return fs_refuse(fs, path, EPERM, "a staging directory replaces only a certificate's directory");
	struct store *s = fs->store;
	pthread_mutex_lock(&s->mu);
	struct stage_dir *d = dir_find(s, n->id), *over = dir_find(s, name);
	if (d && over && over != d) { /* a renewal into a directory with staged files: they merge */
		for (size_t i = 0; i < d->nf; i++) {
			struct stage_file *o = file_find(over, d->f[i].name);
			if (o)
				file_del(over, o);
		}
		over->f = cas_xrealloc(over->f, (over->nf + d->nf + 1) * sizeof(*over->f));
		memcpy(over->f + over->nf, d->f, d->nf * sizeof(*d->f));
		over->nf += d->nf;
		d->nf = 0;
		dir_del(s, d);
		d = dir_find(s, name);
		d->explicit_dir = d->explicit_dir && !d->committed;
	} else if (d) {
		free(d->name);
		d->name = cas_xstrdup(name);
		d->explicit_dir = !rc;
	}
	pthread_mutex_unlock(&s->mu);
	if (!d)
		return -ENOENT;
	rc = evaluate(fs, name, path, 1);
	if (rc) { /* undone: the files are back under the old name */
		pthread_mutex_lock(&s->mu);
		if ((d = dir_find(s, name)) && !dir_find(s, n->id)) {
			free(d->name);
			d->name = cas_xstrdup(n->id);
			d->explicit_dir = 1;
		}
		pthread_mutex_unlock(&s->mu);
	}
	store_notify(fs, n->id);
	store_notify(fs, name);
	return rc;
}

const struct kind_ops store_stage_dir_ops = {
	.getattr = sd_getattr,
	.setattr = sf_setattr,
	.rename = sd_rename,
	.create = sd_create,
};

/* ---- deleting a certificate ------------------------------------------- */

int remove_store_cert(struct casfs *fs, const struct node *n, struct cas_error *e)
{
	const char *dir = n->type == T_SC_WINDOW_LINK ? n->name : n->id;
	struct store_names *nm;
	int rc = store_names_get(fs, &nm, e);
	if (rc)
		return rc;
	const struct cas_store_cert *c = store_names_cert(nm, dir);
	if (!c) {
		cas_obj_unref(nm);
		return cas_error_set(e, ENOENT, "Local.NotFound", "certificate %s is no longer in the store", dir);
	}
	int64_t id = c->id;
	if (c->nusing) {
		struct cas_buf b = CAS_BUF_INIT;
		for (size_t i = 0; i < c->nusing; i++)
			cas_buf_addf(&b, "%s%s", i ? ", " : "", c->using[i]);
		cas_error_set(e, EBUSY, "Local.InUse",
			      "certificate %lld is in use by %s: nothing was sent; remove it from those products first",
			      (long long)id, cas_buf_str(&b));
		cas_buf_free(&b);
		cas_obj_unref(nm);
		return -EBUSY;
	}
	int expired = c->not_after > 0 && c->not_after <= nm->certs->as_of_ms;
	int issued = c->source && strcmp(c->source, "UPLOAD") != 0;
	if (issued && !expired && c->instance_id && *c->instance_id) {
		cas_error_set(e, EPERM, "Local.Refused",
			      "certificate %lld backs the paid instance %s and is still valid: nothing was sent; it "
			      "goes with the instance (instances/%s), or may be deleted once expired",
			      (long long)id, c->instance_id, c->instance_id);
		cas_obj_unref(nm);
		return -EPERM;
	}
	char dirpath[4200];
	snprintf(dirpath, sizeof(dirpath), "/certificates/%s", dir);
	int64_t jh = journal_begin(fs, dirpath, "DeleteUserCertificate", store_fields(id, c->name, c->fingerprint, "old"));
	cas_obj_unref(nm);
	rc = fs->api->ops->delete_certificate(fs->api, id, e);
	journal_end(fs, jh, rc, e);
	if (!rc) {
		struct store *s = fs->store;
		pthread_mutex_lock(&s->mu);
		struct stage_dir *d = dir_find(s, dir);
		if (d && !d->nf)
			dir_del(s, d);
		else if (d)
			d->alias = 0;
		pthread_mutex_unlock(&s->mu);
		cas_info("%s: deleted certificate %lld", n->path, (long long)id);
	}
	store_notify(fs, dir);
	return rc;
}
