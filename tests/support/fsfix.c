/* fsfix: the fs/ unit tests' mount (see fsfix.h). */
#include "fsfix.h"

#include <string.h>

#include "errlog.h"
#include "memo.h"
#include "notify.h"
#include "scratch.h"

void fsfix_init(struct fsfix *x)
{
	memset(x, 0, sizeof(*x));
	fake_init(&x->f);
	struct casfs *fs = &x->fs;
	fs->api = &x->f.api;
	fs->stamps = cas_stamps_new();
	fs->scratch = scratch_new();
	fs->memo = memo_new();
	fs->errors = errlog_new();
	fs->notify = notifier_new();
	casfs_state_init(fs);
}

void fsfix_free(struct fsfix *x)
{
	struct casfs *fs = &x->fs;
	casfs_state_free(fs);
	notifier_free(fs->notify);
	errlog_free(fs->errors);
	memo_free(fs->memo);
	scratch_free(fs->scratch);
	cas_stamps_free(fs->stamps);
	fake_destroy(&x->f);
}

unsigned long fsfix_errors(struct fsfix *x)
{
	return errlog_total(x->fs.errors);
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
