/* fsfix: the fs/ tests' mounts (see fsfix.h). */
#include "fsfix.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "errlog.h"
#include "memo.h"
#include "notify.h"
#include "prefetch.h"
#include "scratch.h"
#include "stamps.h"

/* What every mount has besides its API. */
static void mount_parts_new(struct casfs *fs)
{
	fs->o.ttl = 60;
	fs->stamps = cas_stamps_new();
	fs->scratch = scratch_new();
	fs->memo = memo_new();
	fs->errors = errlog_new();
	fs->notify = notifier_new();
	fs->uid = getuid();
	fs->gid = getgid();
	casfs_state_init(fs);
}

static void mount_parts_free(struct casfs *fs)
{
	casfs_state_free(fs);
	notifier_free(fs->notify);
	errlog_free(fs->errors);
	memo_free(fs->memo);
	scratch_free(fs->scratch);
	cas_stamps_free(fs->stamps);
}

void fsfix_init(struct fsfix *x)
{
	memset(x, 0, sizeof(*x));
	fake_init(&x->f);
	x->fs.api = &x->f.api;
	mount_parts_new(&x->fs);
}

void fsfix_free(struct fsfix *x)
{
	mount_parts_free(&x->fs);
	fake_destroy(&x->f);
}

int fsfix_setup(void **state)
{
	fsfix_init(*state);
	return 0;
}

int fsfix_teardown(void **state)
{
	fsfix_free(*state);
	return 0;
}

int fsfix_resolve(struct fsfix *x, const char *path, struct node *n)
{
	struct cas_error e;
	cas_error_clear(&e);
	return node_resolve(&x->fs, path, n, &e);
}

unsigned long fsfix_errors(struct fsfix *x)
{
	return errlog_total(x->fs.errors);
}

struct fake_fs *fake_fs_new(int ninstances)
{
	struct fake_fs *v = cas_xcalloc(1, sizeof(*v));
	fake_init(&v->f);
	v->f.ninstances = ninstances;
	atomic_store(&v->clk.now, 1000000);
	struct cas_cache_opts o = { .ttl_ms = 60000, .soft_deadline_ms = 600000, .now_ms = fake_now_ms,
				    .clock_ctx = &v->clk };
	struct casfs *fs = &v->fs;
	fs->cache = cas_cache_new(&v->f.api, &o);
	fs->api = cas_cache_api(fs->cache);
	fs->prefetch = cas_prefetch_new(fs->cache, CAS_CK_DETAIL, 16, 1);
	mount_parts_new(fs);
	return v;
}

void fake_fs_free(struct fake_fs *v)
{
	struct casfs *fs = &v->fs;
	mount_parts_free(fs);
	cas_prefetch_free(fs->prefetch);
	cas_cache_free(fs->cache);
	fake_destroy(&v->f);
	free(v);
}
