/* fake_fs: see fake_fs.h. */
#include "fake_fs.h"

#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "errlog.h"
#include "memo.h"
#include "notify.h"
#include "prefetch.h"
#include "scratch.h"
#include "stamps.h"

struct fake_fs *fake_fs_new(int ninstances)
{
	struct fake_fs *v = cas_xcalloc(1, sizeof(*v));
	fake_init(&v->f);
	v->f.ninstances = ninstances;
	atomic_store(&v->clk.now, 1000000);
	struct cas_cache_opts o = { .ttl_ms = 60000, .soft_deadline_ms = 600000, .now_ms = fake_now_ms,
				    .clock_ctx = &v->clk };
	struct casfs *fs = &v->fs;
	fs->o.ttl = 60;
	fs->cache = cas_cache_new(&v->f.api, &o);
	fs->api = cas_cache_api(fs->cache);
	fs->prefetch = cas_prefetch_new(fs->cache, CAS_CK_DETAIL, 16, 1);
	fs->stamps = cas_stamps_new();
	fs->scratch = scratch_new();
	fs->memo = memo_new();
	fs->errors = errlog_new();
	fs->notify = notifier_new();
	fs->uid = getuid();
	fs->gid = getgid();
	return v;
}

void fake_fs_free(struct fake_fs *v)
{
	struct casfs *fs = &v->fs;
	notifier_free(fs->notify);
	cas_prefetch_free(fs->prefetch);
	cas_cache_free(fs->cache);
	cas_stamps_free(fs->stamps);
	scratch_free(fs->scratch);
	memo_free(fs->memo);
	errlog_free(fs->errors);
	fake_destroy(&v->f);
	free(v);
}
