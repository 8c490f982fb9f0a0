/* scratch: bounded in-memory scratch files (see scratch.h). */
#include "scratch.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "namelist.h"
#include "scratch_test.h"

struct sfile {
	char *id, *name;
	struct cas_buf data;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	struct timespec atime, mtime, ctime;
	uint64_t ino;
	int held_key; /* a write made it hold a private key: wiped, and writes are refused */
};

struct scratch {
	pthread_mutex_t mu;
	struct sfile *v[SCRATCH_MAX_FILES];
	size_t n;
	uint64_t next_ino;
};

struct scratch *scratch_new(void)
{
	struct scratch *s = cas_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->next_ino = 1ULL << 62;
	return s;
}

static void sfile_free(struct sfile *f)
{
	free(f->id);
	free(f->name);
	cas_buf_free(&f->data);
	free(f);
}

void scratch_free(struct scratch *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		sfile_free(s->v[i]);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

const char *scratch_name_refusal(const char *name)
{
	static const char *const suffixes[] = { ".pem", ".key", ".crt" };
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (n > sl && strcmp(name + n - sl, suffixes[i]) == 0)
			return "a .pem, .key or .crt file copied into an instance directory would be a scratch file, "
			       "held only in this mount's memory and never uploaded: certificates and keys are not "
			       "uploaded by copying them here (casfs shows an instance's own certificate as cert.pem, "
			       "chain.pem, fullchain.pem and, with -o keys, key.pem; a CSR is written to csr)";
	}
	return NULL;
}

#define KEY_MARK "PRIVATE KEY-----"
#define KEY_MARK_LEN (sizeof(KEY_MARK) - 1)

int scratch_holds_key(const char *data, size_t len)
{
	return data && memmem(data, len, KEY_MARK, KEY_MARK_LEN) != NULL;
}

static long find(struct scratch *s, const char *id, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->id, id) == 0 && strcmp(s->v[i]->name, name) == 0)
			return (long)i;
	return -1;
}

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

int scratch_exists(struct scratch *s, const char *id, const char *name)
{
	pthread_mutex_lock(&s->mu);
	int found = find(s, id, name) >= 0;
	pthread_mutex_unlock(&s->mu);
	return found;
}

enum scratch_kind scratch_kind(struct scratch *s, const char *id, const char *name)
{
	pthread_mutex_lock(&s->mu);
	long i = find(s, id, name);
	enum scratch_kind k = i < 0 ? SCRATCH_NONE : S_ISDIR(s->v[i]->mode) ? SCRATCH_DIR : SCRATCH_FILE;
	pthread_mutex_unlock(&s->mu);
	return k;
}

size_t scratch_count_in(struct scratch *s, const char *id)
{
	size_t n = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++)
		n += strcmp(s->v[i]->id, id) == 0;
	pthread_mutex_unlock(&s->mu);
	return n;
}

void scratch_names_of(struct scratch *s, const char *id, enum scratch_kind kind, struct namelist *out)
{
	mode_t type = kind == SCRATCH_DIR ? S_IFDIR : S_IFREG;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i]->id, id) == 0 && (kind == SCRATCH_NONE || (s->v[i]->mode & S_IFMT) == type))
			namelist_add(out, s->v[i]->name);
	pthread_mutex_unlock(&s->mu);
}

void scratch_names(struct scratch *s, const char *id, struct namelist *out)
{
	scratch_names_of(s, id, SCRATCH_NONE, out);
}

/* type: S_IFREG or S_IFDIR */
static struct sfile *add(struct scratch *s, const char *id, const char *name, mode_t type, mode_t mode, uid_t uid,
			 gid_t gid)
{
	struct sfile *f = cas_xcalloc(1, sizeof(*f));
	f->id = cas_xstrdup(id);
	f->name = cas_xstrdup(name);
	f->mode = (mode & 07777) | type;
	f->uid = uid;
	f->gid = gid;
	now(&f->mtime);
	f->atime = f->ctime = f->mtime;
	f->ino = s->next_ino++;
	s->v[s->n++] = f;
	return f;
}

static int create(struct scratch *s, const char *id, const char *name, mode_t type, mode_t mode, uid_t uid,
		  gid_t gid)
{
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	if (find(s, id, name) >= 0)
		rc = -EEXIST;
	else if (s->n >= SCRATCH_MAX_FILES)
		rc = -ENOSPC;
	else
		add(s, id, name, type, mode, uid, gid);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

int scratch_create(struct scratch *s, const char *id, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	return create(s, id, name, S_IFREG, mode, uid, gid);
}

int scratch_mkdir(struct scratch *s, const char *id, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	return create(s, id, name, S_IFDIR, mode, uid, gid);
}

#define WITH_FILE(s, id, name, f)                \
	pthread_mutex_lock(&(s)->mu);            \
	long idx_ = find(s, id, name);           \
	struct sfile *f = idx_ >= 0 ? (s)->v[idx_] : NULL; \
	if (!f) {                                \
		pthread_mutex_unlock(&(s)->mu);  \
		return -ENOENT;                  \
	}

ssize_t scratch_read(struct scratch *s, const char *id, const char *name, char *buf, size_t size, off_t off)
{
	WITH_FILE(s, id, name, f);
	ssize_t n = 0;
	if (off >= 0 && (size_t)off < f->data.len) {
		n = (ssize_t)(f->data.len - (size_t)off < size ? f->data.len - (size_t)off : size);
		memcpy(buf, f->data.p + off, (size_t)n);
	}
	now(&f->atime);
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void set_len(struct cas_buf *b, size_t len)
{
	if (len > b->len) {
		cas_buf_reserve(b, len - b->len);
		memset(b->p + b->len, 0, len - b->len);
	}
	b->len = len;
	if (b->p)
		b->p[len] = '\0';
}

ssize_t scratch_write(struct scratch *s, const char *id, const char *name, const char *buf, size_t size, off_t off)
{
	if (off < 0)
		return -EINVAL;
	WITH_FILE(s, id, name, f);
	if ((size_t)off + size > SCRATCH_MAX_BYTES) {
		pthread_mutex_unlock(&s->mu);
		return -EFBIG;
	}
	if (f->held_key) {
		pthread_mutex_unlock(&s->mu);
		return -EPERM;
	}
	if ((size_t)off + size > f->data.len)
		set_len(&f->data, (size_t)off + size);
	memcpy(f->data.p + off, buf, size);
	/* the bytes written and a marker's length either side: a key written in
	 * pieces is caught when its marker is complete */
	size_t from = (size_t)off > KEY_MARK_LEN ? (size_t)off - KEY_MARK_LEN : 0;
	size_t to = (size_t)off + size + KEY_MARK_LEN;
	if (to > f->data.len)
		to = f->data.len;
	if (scratch_holds_key(f->data.p + from, to - from)) {
		cas_buf_free(&f->data); /* wiped */
		f->held_key = 1;
		now(&f->mtime);
		f->ctime = f->mtime;
		pthread_mutex_unlock(&s->mu);
		return -EPERM;
	}
	now(&f->mtime);
	f->ctime = f->mtime;
	pthread_mutex_unlock(&s->mu);
	return (ssize_t)size;
}

int scratch_truncate(struct scratch *s, const char *id, const char *name, off_t size)
{
	if (size < 0)
		return -EINVAL;
	if ((size_t)size > SCRATCH_MAX_BYTES)
		return -EFBIG;
	WITH_FILE(s, id, name, f);
	set_len(&f->data, (size_t)size);
	now(&f->mtime);
	f->ctime = f->mtime;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int scratch_stat(struct scratch *s, const char *id, const char *name, struct stat *st)
{
	WITH_FILE(s, id, name, f);
	memset(st, 0, sizeof(*st));
	st->st_ino = f->ino;
	st->st_mode = f->mode;
	st->st_nlink = S_ISDIR(f->mode) ? 2 : 1;
	st->st_uid = f->uid;
	st->st_gid = f->gid;
	st->st_size = (off_t)f->data.len;
	st->st_blocks = (blkcnt_t)((f->data.len + 511) / 512);
	st->st_blksize = 4096;
	st->st_atim = f->atime;
	st->st_mtim = f->mtime;
	st->st_ctim = f->ctime;
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int scratch_chmod(struct scratch *s, const char *id, const char *name, mode_t mode)
{
	WITH_FILE(s, id, name, f);
	f->mode = (f->mode & S_IFMT) | (mode & 07777);
	now(&f->ctime);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int scratch_chown(struct scratch *s, const char *id, const char *name, uid_t uid, gid_t gid)
{
	WITH_FILE(s, id, name, f);
	if (uid != (uid_t)-1)
		f->uid = uid;
	if (gid != (gid_t)-1)
		f->gid = gid;
	now(&f->ctime);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void set_time(struct timespec *dst, const struct timespec *src)
{
	if (src->tv_nsec == UTIME_OMIT)
		return;
	if (src->tv_nsec == UTIME_NOW)
		now(dst);
	else
		*dst = *src;
}

int scratch_utimens(struct scratch *s, const char *id, const char *name, const struct timespec tv[2])
{
	WITH_FILE(s, id, name, f);
	if (tv) {
		set_time(&f->atime, &tv[0]);
		set_time(&f->mtime, &tv[1]);
	} else {
		now(&f->mtime);
		f->atime = f->mtime;
	}
	now(&f->ctime);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void remove_at(struct scratch *s, size_t i)
{
	sfile_free(s->v[i]);
	s->v[i] = s->v[--s->n];
}

int scratch_remove(struct scratch *s, const char *id, const char *name)
{
	WITH_FILE(s, id, name, f);
	(void)f;
	remove_at(s, (size_t)idx_);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int scratch_rename(struct scratch *s, const char *id, const char *from, const char *to)
{
	WITH_FILE(s, id, from, f);
	long dst = find(s, id, to);
	if (dst >= 0 && s->v[dst] != f) {
		if (S_ISDIR(s->v[dst]->mode) != S_ISDIR(f->mode)) {
			pthread_mutex_unlock(&s->mu);
			return S_ISDIR(f->mode) ? -ENOTDIR : -EISDIR;
		}
		remove_at(s, (size_t)dst);
	}
	free(f->name);
	f->name = cas_xstrdup(to);
	now(&f->ctime);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int scratch_contents(struct scratch *s, const char *id, const char *name, struct cas_buf *out)
{
	WITH_FILE(s, id, name, f);
	cas_buf_add(out, f->data.p ? f->data.p : "", f->data.len);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int scratch_put(struct scratch *s, const char *id, const char *name, const char *data, size_t len, mode_t mode,
		uid_t uid, gid_t gid)
{
	if (len > SCRATCH_MAX_BYTES)
		return -EFBIG;
	if (scratch_holds_key(data, len))
		return -EPERM;
	pthread_mutex_lock(&s->mu);
	long i = find(s, id, name);
	struct sfile *f;
	if (i >= 0 && S_ISDIR(s->v[i]->mode)) {
		pthread_mutex_unlock(&s->mu);
		return -EISDIR;
	} else if (i >= 0) {
		f = s->v[i];
		cas_buf_reset(&f->data);
	} else if (s->n >= SCRATCH_MAX_FILES) {
		pthread_mutex_unlock(&s->mu);
		return -ENOSPC;
	} else {
		f = add(s, id, name, S_IFREG, mode, uid, gid);
	}
	cas_buf_add(&f->data, data, len);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void scratch_drop_instance(struct scratch *s, const char *id)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n;) {
		if (strcmp(s->v[i]->id, id) == 0)
			remove_at(s, i);
		else
			i++;
	}
	pthread_mutex_unlock(&s->mu);
}

size_t scratch_count(struct scratch *s)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->n;
	pthread_mutex_unlock(&s->mu);
	return n;
}
