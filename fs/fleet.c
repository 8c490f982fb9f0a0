/* fleet: -o share= for one mount (see fleet.h). */
#include "fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "accounting.h"
#include "notify.h"
#include "share.h"

/* The environment variables a password may come from, in order. */
static const char *const pw_env[] = { "CASFS_SHARE_PASSWORD", "REDISCLI_AUTH" };

/* The password variables of the environment are wiped whatever the source
 * (a process's environment is readable in /proc/PID/environ); the first
 * non-empty one is copied to *env first. */
static void wipe_env(char **env)
{
	for (size_t i = 0; i < sizeof(pw_env) / sizeof(pw_env[0]); i++) {
		char *v = getenv(pw_env[i]);
		if (v && *v && env && !*env)
			*env = cas_xstrdup(v);
		if (v)
			OPENSSL_cleanse(v, strlen(v));
		unsetenv(pw_env[i]);
	}
}

/* The password: -o share_password_file= (mode 0600 or stricter, owned by
 * this user; its first line, which may not be empty), else the environment.
 * *out NULL: none. 0, or 1 with a message. */
static int password(const char *file, char **out)
{
	*out = NULL;
	if (!file) {
		wipe_env(out);
		return 0;
	}
	wipe_env(NULL);
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "casfs: -o share_password_file=%s: %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 077) || st.st_uid != geteuid()) {
		fprintf(stderr, "casfs: -o share_password_file=%s: must be a regular file of this user with mode "
				"0600 or stricter (chmod 600 %s)\n", file, file);
		close(fd);
		return 1;
	}
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	buf[strcspn(buf, "\r\n")] = 0;
	if (!buf[0]) {
		fprintf(stderr, "casfs: -o share_password_file=%s: empty (the password is its first line)\n", file);
		return 1;
	}
	*out = cas_xstrdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* Another mount changed (kind, key): drop it here, and the kernel's pages of
 * what shows it. On the subscriber's thread. */
static void on_remote_change(void *ctx, int k, const char *key)
{
	struct casfs *fs = ctx;
	if (k < 0 || k >= CAS_CK_N)
		return;
	enum cas_ck kind = (enum cas_ck)k;
	void *old = cas_cache_peek(fs->cache, kind, key);
	cas_cache_invalidate(fs->cache, kind, key);
	switch (kind) {
	case CAS_CK_DETAIL:
		notify_instance(fs->notify, key);
		break;
	case CAS_CK_INSTANCES:
		notify_kind(fs->notify, kind);
		break;
	case CAS_CK_CERT: /* the files' stamps keep a changed certificate out of the page cache */
		break;
	default:
		if (old)
			notify_on_cache_change(fs->notify, kind, key, old, old, 0); /* gen 0: never a newer list */
		else
			notify_kind(fs->notify, kind);
		break;
	}
	cas_obj_unref(old);
}

int fleet_open(struct casfs *fs, const char *account)
{
	if (!fs->o.share)
		return 0;
	char *pw = NULL;
	if (password(fs->o.share_password_file, &pw))
		return 1;
	struct share_opts so = {
		.url = fs->o.share, .password = pw, .account = account,
		.endpoint = cas_client_endpoint(fs->client),
		.ttl_ms = fs->o.ttl > 0 ? (int64_t)(fs->o.ttl * 1000) : 0, /* ttl=0: every read asks the service */
		.qps = fs->o.qps, .ca_qps = 10, .keep_keys = fs->o.keys,
	};
	char why[300];
	fs->share = share_new(&so, why, sizeof(why));
	if (pw) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
	if (!fs->share) {
		fprintf(stderr, "casfs: %s\n", why);
		return 1;
	}
	return 0;
}

void fleet_start(struct casfs *fs)
{
	if (!fs->share)
		return;
	/* hooked in here, after the fork and before any thread calls the API */
	struct cas_client_share h;
	share_client_hooks(fs->share, &h);
	cas_client_set_share(fs->client, &h);
	cas_accounting_set_fleet(fs->acct, share_count_call, fs->share);
	cas_cache_set_share(fs->cache, fs->share);
	share_set_inval(fs->share, on_remote_change, fs);
	share_start(fs->share);
}

void fleet_stop(struct casfs *fs)
{
	share_stop(fs->share);
}
