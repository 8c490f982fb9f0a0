/* fuzz_write: the write-buffer complete rules and the commit paths of
 * config, the one-line value files, tags, csr and cloud-access/new
 * (fs/handle.h, fs/commit.c), over a FUSE-less fake mount. The input is
 * split into chunks written in order (zero-length writes included), then
 * flushed. Properties: no memory error; a handle other than tags commits
 * at most once (at most one UpdateInstance per input); the unchanged config written back
 * verbatim makes no call. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsfix.h"
#include "handle.h"
#include "log.h"
#include "nodes.h"

static struct fake_fs *v;
static const char *const files[] = { "config", "tags", "csr", "domain", "name", "auto_reissue", "refund" };

static int updates(void)
{
	return fake_calls(&v->f, CAS_UPDATE_INSTANCE);
}

static void round_trip(void)
{
	/* property: the config as read, written back verbatim, makes no call */
	struct node n;
	struct cas_error e;
	int rc;
	if (node_resolve(&v->fs, "/instances/cas-0002/config", &n, &e))
		abort();
	struct handle *r = handle_open(&v->fs, &n, O_RDONLY, &rc);
	char buf[8192];
	ssize_t len = handle_read(&v->fs, r, buf, sizeof(buf), 0);
	handle_release(&v->fs, r);
	int before = updates();
	struct handle *w = handle_open(&v->fs, &n, O_WRONLY | O_TRUNC, &rc);
	if (handle_write(&v->fs, w, buf, (size_t)len, 0, getpid()) != len || handle_flush(&v->fs, w, getpid()))
		abort();
	handle_release(&v->fs, w);
	if (updates() != before)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!v) {
		cas_log_init("fuzz_write", 0, 0);
		v = fake_fs_new(4);
		round_trip();
	}
	if (size < 2)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/instances/cas-000%u/%s", data[0] % 3, files[data[1] % 7]);
	struct node n;
	struct cas_error e;
	if (node_resolve(&v->fs, path, &n, &e))
		return 0;
	int rc = 0;
	struct handle *h = handle_open(&v->fs, &n, (data[1] & 0x80) ? O_WRONLY : O_WRONLY | O_TRUNC, &rc);
	if (!h)
		return 0;
	int before = updates();
	/* chunks: a 0xff byte ends one (so zero-length writes happen too) */
	size_t off = 0, start = 2;
	for (size_t i = 2; i <= size; i++) {
		if (i == size || data[i] == 0xff) {
			size_t len = i - start;
			ssize_t w = handle_write(&v->fs, h, (const char *)data + start, len, (off_t)off, getpid());
			if (w > 0)
				off += (size_t)w;
			start = i + 1;
		}
	}
	handle_flush(&v->fs, h, getpid());
	handle_flush(&v->fs, h, getpid());
	handle_release(&v->fs, h);
	/* tags commit inside each write(2) that completes lines (SEMANTICS.md),
	 * so only the other files are held to one commit per handle */
	if (strcmp(files[data[1] % 7], "tags") != 0 && updates() - before > 1)
		abort();
	return 0;
}
