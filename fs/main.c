/* main: the casfs command line (README.md, "Command line"), credential and endpoint checks
 * before mounting (so misuse fails with one clear line), and the FUSE loop.
 *
 *   casfs [-f] [-d] [-s] [-o opt[,opt...]] [SOURCE] MOUNTPOINT
 *
 * SOURCE names the aliyun CLI profile ("intl" or "casfs:intl"; "casfs" or
 * none: the default credential chain) and becomes the fsname shown in
 * /proc/mounts, so one fstab line per account works:
 *   intl  /mnt/cas-intl  fuse.casfs  _netdev,account=intl  0 0 */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <systemd/sd-daemon.h>

#include "accounting.h"
#include "fleet.h"
#include "share.h"
#include "buf.h"
#include "creds.h"
#include "daemon.h"
#include "errlog.h"
#include "events.h"
#include "log.h"
#include "memo.h"
#include "notify.h"
#include "front.h"
#include "fuse_ops.h"
#include "llfront.h"
#include "kinds.h"
#include <fuse_lowlevel.h>
#include "scratch.h"
#include "sign.h"
#include "snapshot.h"
#include "statedb.h"
#include "stopper.h"
#include "watch.h"
#include "wipe.h"

enum { KEY_HELP, KEY_VERSION, KEY_RO, KEY_DISCARD, KEY_FOREGROUND, KEY_DEBUG, KEY_UMASK, KEY_UID, KEY_GID };

#define OPT(t, p) { t, offsetof(struct casfs_opts, p), 1 }
static const struct fuse_opt option_table[] = {
	OPT("endpoint=%s", endpoint),
	OPT("region=%s", region),
	OPT("profile=%s", profile),
	OPT("cafile=%s", cafile),
	OPT("credentials_file=%s", config_path),
	OPT("log_file=%s", log_file),
	OPT("log_level=%s", log_level),
	OPT("dry_run", dry_run),
	OPT("allow_delete", allow_delete),
	OPT("nonempty", nonempty),
	OPT("state_dir=%s", state_dir),
	OPT("no_state", no_state),
	OPT("offline", offline),
	OPT("account=%s", account),
	OPT("share=%s", share),
	OPT("share_password_file=%s", share_password_file),
	OPT("insecure_http", insecure_http),
	OPT("keys", keys),
	OPT("front=%s", front),
	OPT("ro", ro),
	FUSE_OPT_KEY("ro", KEY_RO),
	/* casfs's own, not libfuse's (see owner_option) */
	FUSE_OPT_KEY("umask=", KEY_UMASK),
	FUSE_OPT_KEY("uid=", KEY_UID),
	FUSE_OPT_KEY("gid=", KEY_GID),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("-f", KEY_FOREGROUND),
	FUSE_OPT_KEY("-d", KEY_DEBUG),
	FUSE_OPT_KEY("debug", KEY_DEBUG),
	/* fstab-only words that mount.fuse3 may pass through */
	FUSE_OPT_KEY("_netdev", KEY_DISCARD),
	FUSE_OPT_KEY("nofail", KEY_DISCARD),
	FUSE_OPT_KEY("noauto", KEY_DISCARD),
	FUSE_OPT_KEY("auto", KEY_DISCARD),
	FUSE_OPT_KEY("user", KEY_DISCARD),
	FUSE_OPT_KEY("users", KEY_DISCARD),
	FUSE_OPT_KEY("defaults", KEY_DISCARD),
	FUSE_OPT_END
};

static const char usage[] =
	"usage: casfs [-f] [-d] [-s] [-o opt[,opt...]] [SOURCE] MOUNTPOINT\n"
	"       casfs --help | --version\n"
	"\n"
	"Shows an Alibaba Cloud Certificate Management Service account as files.\n"
	"SOURCE names the profile to use (\"intl\" or \"casfs:intl\"; \"casfs\" or none: the default chain)\n"
	"and is shown as casfs:NAME in mount and /proc/mounts.\n"
	"\n"
	"casfs options:\n"
	"  -o endpoint=URL     API endpoint (default https://cas.aliyuncs.com; region picks a regional host)\n"
	"  -o region=ID        region, e.g. cn-hangzhou, ap-southeast-1\n"
	"  -o profile=NAME     aliyun CLI profile in ~/.aliyun/config.json (skips environment credentials)\n"
	"  -o credentials_file=PATH  another aliyun CLI config file (mode 0600; skips environment credentials)\n"
	"  -o account=NAME     key the state (journal, mtimes, call counts, snapshot) by NAME, so a key\n"
	"                      rotation keeps it (default: the AccessKey ID, or a hash of a bearer token)\n"
	"  -o insecure_http    allow an http:// endpoint on another host (the default refuses it)\n"
	"  -o ttl=SECONDS      cache freshness, also the kernel's attribute timeout (default 60)\n"
	"  -o qps=N            client rate limit in calls per second (default 100)\n"
	"  -o timeout=SECONDS  longest a call may take, retries included (default 20)\n"
	"  -o max_stale=SECONDS  serve cached data this long past expiry while the API fails (default 600)\n"
	"  -o cafile=PATH      extra CA bundle for TLS (verification is always on)\n"
	"  -o ro               read-only: every mutation fails with EROFS; served by the inode front, where\n"
	"                      the kernel answers warm reads itself (unless ttl=0 or keys)\n"
	"  -o front=path       keep a read-only mount on the path front (the read-write mounts' front)\n"
	"  -o dry_run          validate and log mutations instead of sending them\n"
	"  -o allow_delete     let rmdir instances/<id> and rm cloud-access/<id> delete (off by default)\n"
	"  -o nonempty         mount over a directory that is not empty\n"
	"  -o state_dir=PATH   state database directory (default $STATE_DIRECTORY, $XDG_STATE_HOME/casfs,\n"
	"                      ~/.local/state/casfs)\n"
	"  -o offline          if the API does not answer at start, mount read-only from the last snapshot\n"
	"  -o no_state         keep no state on disk (mtimes, call counts and journal last one mount)\n"
	"  -o call_budget=N    at most N API calls per billing month (UTC+8); past it: cache only, else EDQUOT\n"
	"  -o watch=SECONDS    re-list the account on this period so .cas/events and .cas/metrics.prom see\n"
	"                      changes made elsewhere with no reader (ceil(N/100) calls a period; default off)\n"
	"  -o log_file=PATH    append the log to PATH (reopened on SIGHUP, for logrotate)\n"
	"  -o log_level=LEVEL  error, warn, info (default) or debug (-d implies debug)\n"
	"  -o keys             show certificates' private keys as instances/<id>/key.pem (mode 0400)\n"
	"  -o share=redis://HOST:PORT[/DB]  share responses, the rate limit, the month's calls and\n"
	"                      invalidations with every mount of the account (docs/SEMANTICS.md, Fleets);\n"
	"  -o share_password_file=PATH  the Redis password (mode 0600; else CASFS_SHARE_PASSWORD or\n"
	"                      REDISCLI_AUTH; never on the command line)\n"
	"  -o umask=MODE       clear these permission bits from every mode (never adds any: key.pem stays 0400)\n"
	"  -o uid=USER,gid=GROUP  owner of the files (default: the mounting user); a number or a name\n"
	"  -f, -d, -s          foreground (log to stderr), debug (foreground), single-threaded\n"
	"\n"
	"Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (+ALIBABA_CLOUD_SECURITY_TOKEN), then\n"
	"DASHSCOPE_API_KEY or ALIBABA_CLOUD_BEARER_TOKEN, then ~/.aliyun/config.json (never argv).\n"
	"A profile (SOURCE or -o profile=) or -o credentials_file= wins over the environment.\n"
	"\n"
	"Examples:\n"
	"  casfs -o region=cn-hangzhou ~/cas                     mount with the environment's AccessKey\n"
	"  casfs -f -o profile=prod,ro,log_level=debug /mnt/cas  foreground, read-only, debug log on stderr\n"
	"  mount -t fuse.casfs casfs /mnt/cas -o credentials_file=/etc/casfs/aliyun.json,allow_other\n"
	"\n"
	"FUSE options that matter (see mount.fuse3(8)):\n"
	"  -o allow_other      let other users see the mount (non-root: user_allow_other in /etc/fuse.conf)\n"
	"  -o allow_root       let root see a user's mount\n"
	"  -o auto_unmount     unmount when casfs exits, even if killed\n"
	"  -o max_threads=N    at most N threads serving requests (default 32)\n"
	"  -o clone_fd         one /dev/fuse descriptor per thread\n"
	"  -o fsname=NAME      the source shown in /proc/mounts (default casfs, or casfs:SOURCE)\n"
	"  -o max_read=BYTES   the largest READ request the kernel sends\n"
	"\n"
	"Signals: SIGTERM/SIGINT unmount and exit 0; SIGHUP reopens the log file.\n"
	"Manual: man casfs\n";

struct parse_state {
	struct casfs_opts *o;
	char *positional[3];
	int npositional;
	int fsname_given; /* -o fsname= on the command line: casfs leaves it alone */
};

/* Numbers casfs parses itself (libfuse's %lf would print its own
 * "invalid parameter" line): name, where it goes, and its range. */
static const struct {
	const char *name;
	size_t off;
	double lo, hi;
} numeric_opts[] = {
	{ "ttl", offsetof(struct casfs_opts, ttl), 0, 86400 },
	{ "qps", offsetof(struct casfs_opts, qps), 0.1, 10000 },
	{ "timeout", offsetof(struct casfs_opts, timeout), 1, 3600 },
	{ "max_stale", offsetof(struct casfs_opts, max_stale), 0, 604800 },
	{ "call_budget", offsetof(struct casfs_opts, call_budget), 0, 1e12 },
	{ "watch", offsetof(struct casfs_opts, watch), 0, 86400 },
};

/* 1: arg was one of numeric_opts and is stored; -1: it was, with a bad
 * value (message printed); 0: not one of them. */
static int parse_numeric(struct casfs_opts *o, const char *arg)
{
	for (size_t i = 0; i < sizeof(numeric_opts) / sizeof(numeric_opts[0]); i++) {
		size_t n = strlen(numeric_opts[i].name);
		if (strncmp(arg, numeric_opts[i].name, n) != 0 || (arg[n] != '=' && arg[n] != 0))
			continue;
		const char *v = arg[n] == '=' ? arg + n + 1 : "";
		char *end = NULL;
		errno = 0;
		double d = *v ? strtod(v, &end) : 0;
		if (!*v || errno || !end || *end || !isfinite(d)) {
			fprintf(stderr, "casfs: -o %s needs a number between %g and %g (got \"%s\")\n",
				numeric_opts[i].name, numeric_opts[i].lo, numeric_opts[i].hi, v);
			return -1;
		}
		*(double *)((char *)o + numeric_opts[i].off) = d;
		return 1;
	}
	return 0;
}

/* libfuse's numeric options (umask=, uid=, gid= are casfs's own: see
 * owner_option), checked here so a bad value gets casfs's own
 * line instead of libfuse's. 0 fine (or not numeric), -1 refused (printed). */
static int check_fuse_number(const char *arg)
{
	static const struct { const char *prefix; unsigned long max; } nums[] = { /* libfuse keeps them as unsigned or int */
		{ "max_read=", UINT_MAX }, { "max_threads=", INT_MAX }, { "max_idle_threads=", INT_MAX }, { "remember=", INT_MAX },
	};
	static const char *const secs[] = { "entry_timeout=", "negative_timeout=", "attr_timeout=", "ac_attr_timeout=" };
	const char *v = NULL;
	char *end = NULL;
	unsigned long max = 0;
	errno = 0;
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]) && !v; i++)
		if (strncmp(arg, nums[i].prefix, strlen(nums[i].prefix)) == 0) {
			v = arg + strlen(nums[i].prefix);
			max = nums[i].max;
			if (*v && *v != '-' && strtoul(v, &end, 10) > max)
				errno = ERANGE;
		}
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]) && !v; i++)
		if (strncmp(arg, secs[i], strlen(secs[i])) == 0) {
			v = arg + strlen(secs[i]);
			double d = *v ? strtod(v, &end) : 0;
			if (end && (d < 0 || !isfinite(d)))
				end = NULL;
		}
	if (!v || (end && !*end && *v && !errno))
		return 0;
	if (errno == ERANGE && max)
		fprintf(stderr, "casfs: -o %.*s needs a number no larger than %lu (got \"%s\")\n", (int)(v - arg - 1), arg,
			max, v);
	else
		fprintf(stderr, "casfs: -o %.*s needs a non-negative number (got \"%s\")\n", (int)(v - arg - 1), arg, v);
	return -1;
}

/* libfuse options that can never work on a casfs mount, and why: refused
 * with casfs's one line rather than a bare "mount failed" from the kernel
 * or a module's complaint after the daemon started. NULL: not one. */
static const char *fuse_option_refused(const char *arg)
{
	static const struct { const char *name; const char *why; } refused[] = { /* NAME or NAME=... */
		{ "blkdev", "casfs is not a block-device file system (fuseblk needs a device as SOURCE)" },
		{ "blksize", "casfs is not a block-device file system (blksize= is fuseblk's)" },
		{ "modules", "libfuse's stacking modules (subdir, iconv) rewrite paths behind casfs's back; "
			     "mount the account and use the subdirectory instead" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		size_t n = strlen(refused[i].name);
		if (strncmp(arg, refused[i].name, n) == 0 && (arg[n] == '\0' || arg[n] == '='))
			return refused[i].why;
	}
	return NULL;
}

/* The libfuse 3 mount, library and loop options casfs passes through
 * (flags, and "name=" prefixes), each checked to reach libfuse 3.14 without
 * its "unknown option" complaint; anything else gets casfs's own message. */
/* 1: an option libfuse takes at mount or session level; 2: one only its
 * high-level API takes (the path front's: such a mount stays on it, as the
 * inode front's session would refuse it); 0: unknown. */
static int fuse_option_known(const char *arg)
{
	static const char *const flags[] = {
		"-s", "allow_other", "allow_root", "auto_unmount", "default_permissions", "clone_fd", "rw",
		"suid", "nosuid", "dev", "nodev", "exec", "noexec", "async", "sync", "dirsync", "atime", "noatime", NULL,
	};
	static const char *const valued[] = {
		"fsname=", "subtype=", "max_read=", "context=", "fscontext=", "defcontext=",
		"rootcontext=", "max_threads=", "max_idle_threads=", NULL,
	};
	static const char *const hl_flags[] = { "kernel_cache", "auto_cache", "noauto_cache", "no_rofd_flush", "noforget", NULL };
	static const char *const hl_valued[] = {
		"entry_timeout=", "negative_timeout=", "attr_timeout=", "ac_attr_timeout=", "remember=", NULL,
	};
	for (size_t i = 0; flags[i]; i++)
		if (strcmp(arg, flags[i]) == 0)
			return 1;
	for (size_t i = 0; valued[i]; i++)
		if (strncmp(arg, valued[i], strlen(valued[i])) == 0)
			return 1;
	for (size_t i = 0; hl_flags[i]; i++)
		if (strcmp(arg, hl_flags[i]) == 0)
			return 2;
	for (size_t i = 0; hl_valued[i]; i++)
		if (strncmp(arg, hl_valued[i], strlen(hl_valued[i])) == 0)
			return 2;
	return 0;
}

static struct parse_state parsed; /* fuse_opt hands opt_proc the options struct, not this */

/* -o umask=, uid=, gid= are casfs's: libfuse's high-level versions replace
 * every file's mode with 0777 & ~umask (key.pem 0400 became 0755) and its
 * owner. casfs's umask only clears bits of each row's mode (docs/SEMANTICS.md,
 * "Modes and owners"); uid=/gid= (a number or a name) own the API nodes.
 * 0, or -1 with one line on stderr. */
static int owner_option(struct casfs_opts *o, int key, const char *arg)
{
	const char *v = strchr(arg, '=') + 1;
	char *end = NULL;
	errno = 0;
	unsigned long n = *v >= '0' && *v <= '9' ? strtoul(v, &end, key == KEY_UMASK ? 8 : 10) : 0;
	int numeric = end && end != v && !*end && !errno;
	if (key == KEY_UMASK) {
		if (!numeric || n > 0777) {
			fprintf(stderr, "casfs: -o %s: the umask must be an octal number between 0 and 0777 (it only "
					"clears permission bits)\n", arg);
			return -1;
		}
		o->umask = (mode_t)n;
		return 0;
	}
	if (key == KEY_UID) {
		const struct passwd *pw = numeric ? NULL : getpwnam(v);
		if ((!numeric && !pw) || (numeric && n >= (uid_t)-1)) {
			fprintf(stderr, "casfs: -o %s: not a user name or number\n", arg);
			return -1;
		}
		o->uid = numeric ? (uid_t)n : pw->pw_uid;
		o->set_uid = 1;
		return 0;
	}
	const struct group *gr = numeric ? NULL : getgrnam(v);
	if ((!numeric && !gr) || (numeric && n >= (gid_t)-1)) {
		fprintf(stderr, "casfs: -o %s: not a group name or number\n", arg);
		return -1;
	}
	o->gid = numeric ? (gid_t)n : gr->gr_gid;
	o->set_gid = 1;
	return 0;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	(void)outargs;
	(void)data;
	struct parse_state *ps = &parsed;
	switch (key) {
	case KEY_HELP: ps->o->show_help = 1; return 0;
	case KEY_VERSION: ps->o->show_version = 1; return 0;
	case KEY_RO: return 1; /* also a kernel mount flag */
	case KEY_DISCARD: return 0;
	case KEY_FOREGROUND: ps->o->foreground = 1; return 1;
	case KEY_DEBUG: ps->o->debug = ps->o->foreground = 1; return 1;
	case KEY_UMASK:
	case KEY_UID:
	case KEY_GID: return owner_option(ps->o, key, arg);
	case FUSE_OPT_KEY_NONOPT:
		if (ps->npositional >= 2) {
			fprintf(stderr, "casfs: unexpected argument \"%s\" (usage: casfs [options] [SOURCE] MOUNTPOINT)\n", arg);
			return -1;
		}
		ps->positional[ps->npositional++] = cas_xstrdup(arg);
		return 0;
	case FUSE_OPT_KEY_OPT:
		if (!*arg || strncmp(arg, "x-", 2) == 0)
			return 0; /* an empty one (a,,b), x-systemd.* and other userspace-only mount options */
		int num = parse_numeric(ps->o, arg);
		if (num)
			return num < 0 ? -1 : 0;
		if (check_fuse_number(arg))
			return -1;
		if (strncmp(arg, "fsname=", 7) == 0)
			ps->fsname_given = 1;
		if (strncmp(arg, "max_read=", 9) == 0) /* checked above; libfuse also wants it at INIT */
			ps->o->max_read = (unsigned)strtoul(arg + 9, NULL, 10);
		const char *why = fuse_option_refused(arg);
		if (why) {
			fprintf(stderr, "casfs: -o %s: %s\n", arg, why);
			return -1;
		}
		int known = fuse_option_known(arg);
		if (known == 2)
			ps->o->hl_options = 1;
		if (known)
			return 1;
		fprintf(stderr, "casfs: unknown option \"%s\" (casfs --help lists the options)\n", arg);
		return -1;
	}
	return 1;
}

/* A refusal before the mount: "casfs: <message>" on stderr; returns 1, the exit status. */
__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...)
{
	char msg[9000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "casfs: %s\n", msg);
	return 1;
}

static int check_numbers(struct casfs_opts *o)
{
	for (size_t i = 0; i < sizeof(numeric_opts) / sizeof(numeric_opts[0]); i++) {
		double v = *(double *)((char *)o + numeric_opts[i].off);
		if (!isfinite(v) || v < numeric_opts[i].lo || v > numeric_opts[i].hi) {
			return bad("-o %s must be between %g and %g (got %g)", numeric_opts[i].name,
				 numeric_opts[i].lo, numeric_opts[i].hi, v);
		}
	}
	return 0;
}

/* A string option given with nothing after "=" gets its own line (rather
 * than a confusing failure later, e.g. a state directory "" ). */
static int check_empty_values(const struct casfs_opts *o)
{
	const struct { const char *name, *v; } str[] = {
		{ "endpoint", o->endpoint }, { "region", o->region }, { "profile", o->profile },
		{ "cafile", o->cafile }, { "credentials_file", o->config_path }, { "log_file", o->log_file },
		{ "log_level", o->log_level }, { "state_dir", o->state_dir }, { "account", o->account },
		{ "share", o->share }, { "share_password_file", o->share_password_file },
	};
	for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		if (str[i].v && !*str[i].v) {
			return bad("-o %s= needs a value (casfs --help lists the options)", str[i].name);
		}
	return 0;
}

/* A name casfs puts into a file name or the fsname: letters, digits, . _ - @ */
static int safe_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (!n || n > max || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') && !(s[i] >= '0' && s[i] <= '9') &&
		    !strchr("._-@", s[i]))
			return 0;
	return 1;
}

/* SOURCE: "casfs" (or none) is the default chain; "NAME" or "casfs:NAME"
 * names the profile, which -o profile= may repeat but not contradict.
 * Sets *fsname (malloc'd, for -o fsname=). */
static int apply_source(struct casfs_opts *o, const char *source, char **fsname)
{
	*fsname = cas_xstrdup("casfs");
	if (!source)
		return 0;
	const char *name = strncmp(source, "casfs:", 6) == 0 ? source + 6 : source;
	if (!*name || strcmp(name, "casfs") == 0)
		return 0;
	if (!safe_name(name, 64)) {
		return bad("SOURCE \"%s\" must be casfs, a profile name or casfs:PROFILE "
					   "(letters, digits, . _ - @; at most 64)", source);
	}
	if (o->profile && strcmp(o->profile, name) != 0) {
		return bad("SOURCE names profile \"%s\" but -o profile=%s names another; give one",
			 name, o->profile);
	}
	if (!o->profile)
		o->profile = cas_xstrdup(name);
	free(*fsname);
	*fsname = cas_xasprintf("casfs:%s", name);
	return 0;
}

static int check_account(const struct casfs_opts *o)
{
	if (o->front && strcmp(o->front, "path") != 0 && strcmp(o->front, "auto") != 0)
		return bad("-o front=%s: path or auto (the default: read-only mounts on the inode front)", o->front);
	if (!o->account || safe_name(o->account, 64))
		return 0;
	return bad("-o account=%s: the name must be 1 to 64 letters, digits, . _ - @ "
				   "(not starting with . or -)", o->account);
}

/* The transport rule: plain http:// only to this machine (an emulator, a
 * local proxy), unless -o insecure_http says otherwise, and then with a
 * warning at every mount: the signed requests, the data and (with -o keys)
 * private keys would cross the network unencrypted. */
static int loopback_host(const char *host, size_t n)
{
	if ((n == 9 && strncmp(host, "localhost", 9) == 0) || (n == 5 && strncmp(host, "[::1]", 5) == 0))
		return 1;
	if (n < 4 || strncmp(host, "127.", 4) != 0)
		return 0;
	for (size_t i = 4; i < n; i++)
		if (!((host[i] >= '0' && host[i] <= '9') || host[i] == '.'))
			return 0;
	return 1;
}

static int check_transport(const struct casfs_opts *o)
{
	if (!o->endpoint || strncasecmp(o->endpoint, "http://", 7) != 0)
		return 0;
	const char *host = o->endpoint + 7;
	size_t n = strcspn(host, "/?#");
	const char *colon = host[0] == '[' ? memchr(host, ']', n) : memchr(host, ':', n);
	if (colon && host[0] == '[')
		colon++; /* just past "]" */
	size_t hn = colon ? (size_t)(colon - host) : n;
	if (loopback_host(host, hn))
		return 0;
	if (!o->insecure_http) {
		return bad("-o endpoint=%s is plain HTTP to another host: the signed requests, the "
					   "certificates and (with -o keys) private keys would cross the network "
					   "unencrypted; use https://, or add -o insecure_http to accept that",
			 o->endpoint);
	}
	cas_warn("WARNING: -o insecure_http: endpoint %s is plain HTTP to another host; requests, data and private "
		 "keys cross the network unencrypted", o->endpoint);
	return 0;
}

/* The fstype mounted exactly at dir (a canonical path), from /proc/self/mountinfo. */
static int mounted_at(const char *dir, char *fstype, size_t n)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[8192], mp[4096];
	int found = 0;
	while (f && !found && fgets(line, sizeof(line), f)) {
		const char *p = line;
		for (int field = 0; field < 4 && p; field++)
			p = (p = strchr(p, ' ')) ? p + 1 : NULL;
		if (!p)
			continue;
		size_t j = 0; /* the mount point, with mountinfo's octal escapes (\040) undone */
		for (; *p && *p != ' ' && j + 1 < sizeof(mp); p++) {
			if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
				mp[j++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
				p += 3;
			} else {
				mp[j++] = *p;
			}
		}
		mp[j] = '\0';
		const char *sep = strstr(p, " - ");
		if (strcmp(mp, dir) == 0 && sep) {
			snprintf(fstype, n, "%.*s", (int)strcspn(sep + 3, " "), sep + 3);
			found = 1;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int empty = 1;
	while (d && empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	if (d)
		closedir(d);
	return empty;
}

static int dead_mount(const char *mp)
{
	return bad("mountpoint %s is a dead FUSE mount (its daemon is gone); clear it with: "
				   "fusermount3 -u %s", mp, mp);
}

/* Mount hygiene, as s3fs and rclone do it: a dead FUSE mount gets the
 * command that clears it, an existing mount is never stacked on, and a
 * non-empty directory is hidden only with -o nonempty. */
static int check_mountpoint(const char *mp, int nonempty)
{
	struct stat st;
	char fstype[64];
	if (!mp)
		return bad("no mountpoint given (usage: casfs [options] MOUNTPOINT; see --help)");
	if (stat(mp, &st) != 0) {
		if (errno == ENOTCONN)
			return dead_mount(mp);
		return bad("mountpoint %s: %s", mp, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		return bad("mountpoint %s is not a directory", mp);
	}
	char *real = realpath(mp, NULL);
	int mounted = real && mounted_at(real, fstype, sizeof(fstype));
	free(real);
	struct statvfs sv; /* always asks the daemon: a dead one answers ENOTCONN */
	if (mounted && statvfs(mp, &sv) != 0 && errno == ENOTCONN)
		return dead_mount(mp);
	if (mounted) {
		return bad("mountpoint %s is already mounted (%s); unmount it first (fusermount3 -u %s)",
			 mp, fstype, mp);
	}
	if (!nonempty && !dir_is_empty(mp)) {
		return bad("mountpoint %s is not empty; use -o nonempty to mount over its files", mp);
	}
	return 0;
}

/* libfuse's own failure would be "fuse: failed to open /dev/fuse: Permission denied". */
static int check_dev_fuse(void)
{
	if (access("/dev/fuse", R_OK | W_OK) == 0)
		return 0;
	if (errno == ENOENT)
		return bad("/dev/fuse is missing: load the fuse module (modprobe fuse), or give the "
			   "container the device (--device /dev/fuse)");
	return bad("cannot open /dev/fuse: %s; it must be readable and writable by you "
		   "(Debian's default is mode 0666: ls -l /dev/fuse), or join the group that owns it "
		   "(e.g. sudo usermod -aG fuse $USER)", strerror(errno));
}

/* A file named by an option must be readable: an unreadable CA bundle would
 * only surface as a vague TLS error at the first call, and a missing
 * credentials file must never fall back to other credentials. */
static int check_readable(const char *opt, const char *path)
{
	if (path && access(path, R_OK) != 0) {
		return bad("-o %s=%s: %s", opt, path, strerror(errno));
	}
	return 0;
}

/* Every path option is made absolute at parse time: the daemon runs in /
 * (daemon_start chdirs there), and opens the CA bundle for each new
 * connection, the log file on SIGHUP, the state database after the fork. */
static int absolute_paths(struct casfs_opts *o)
{
	struct { const char *opt; char **p; } paths[] = {
		{ "cafile", &o->cafile }, { "credentials_file", &o->config_path },
		{ "state_dir", &o->state_dir }, { "log_file", &o->log_file },
		{ "share_password_file", &o->share_password_file },
	};
	char *cwd = NULL;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *v = *paths[i].p;
		if (!v || !*v || *v == '/')
			continue;
		if (!cwd && !(cwd = getcwd(NULL, 0)))
			return bad("-o %s=%s: a relative path needs the current directory: %s", paths[i].opt, v,
				   strerror(errno));
		*paths[i].p = cas_xasprintf("%s/%s", cwd, v);
		free(v);
	}
	free(cwd);
	return 0;
}

/* -o state_dir= names a directory that must be safe to keep the state in:
 * refused here, with one line, rather than silently replaced by an
 * in-memory database (statedb_open refuses it too, for the default). */
static int check_state_dir(const char *dir)
{
	char why[300];
	if (!dir || !statedb_dir_refusal(dir, why, sizeof(why)))
		return 0;
	return bad("-o state_dir=%s: %s", dir, why);
}

/* Logging (docs/OPERATIONS.md): the log level and file are settled before
 * mounting, so a bad value fails with one line on the terminal. */
static int log_max = CAS_LOG_INFO;

static int setup_log(struct casfs_opts *o)
{
	log_max = o->debug ? CAS_LOG_DEBUG : CAS_LOG_INFO;
	if (o->log_level && (log_max = cas_log_level_parse(o->log_level)) < 0) {
		return bad("-o log_level must be error, warn, info or debug (got \"%s\")", o->log_level);
	}
	cas_log_init("casfs", 0, log_max);
	if (!o->log_file)
		return 0;
	int rc = cas_log_open_file(o->log_file); /* absolute (absolute_paths) */
	if (rc) {
		return bad("-o log_file=%s: %s", o->log_file, strerror(-rc));
	}
	return 0;
}

/* SIGHUP reopens the log file (logrotate's postrotate); it never unmounts. */
static void on_sighup(int sig)
{
	(void)sig;
	cas_log_reopen();
}

/* One call proves the endpoint answers and accepts the credentials; it is
 * page 1 of the real listing, kept for the first `ls` (client/paging.c). Also
 * the offline mode's background probe. */
static int probe_call(void *ctx, struct cas_error *e)
{
	struct casfs *fs = ctx;
	return cas_list_prime(fs->client, e);
}

/* A failure that says nothing about the credentials: the service did not answer. */
static int unreachable(int rc)
{
	return rc == -EIO || rc == -ETIMEDOUT || rc == -EAGAIN || rc == -EPROTO;
}

static void went_live(void *ctx)
{
	struct casfs *fs = ctx;
	control_refresh_all(fs, "offline -> live: every cache dropped");
	events_add(fs->events, "live", "/", NULL);
}

/* 0: go on live; 2: go on offline from the snapshot; 1: fail the mount.
 * source: where the credentials came from, named in a refusal. */
static int probe_endpoint(struct casfs *fs, const char *source)
{
	struct cas_error e;
	int rc = probe_call(fs, &e);
	if (!rc)
		return 0;
	if (rc == -EDQUOT) {
		cas_warn("the monthly call budget is used up: mounting without checking the endpoint");
		return 0;
	}
	char line[800];
	cas_error_format(&e, line, sizeof(line));
	int64_t stored = 0;
	if (fs->o.offline && unreachable(rc) && cas_snapshot_usable(fs->snapshot, &stored)) {
		time_t t = (time_t)(stored / 1000);
		struct tm tm;
		char when[40];
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cas_warn("the service does not answer (%s): mounted READ-ONLY from the offline snapshot (listing of %s); "
			 "retrying in the background, live data without a remount once it answers", line, when);
		return 2;
	}
	if (rc == -EACCES) {
		const char *hint = cas_creds_hint(e.code);
		return bad("credentials from %s rejected by %s: %s%s%s", source,
			 cas_client_endpoint(fs->client), line, hint ? "; hint: " : "", hint ? hint : "");
	}
	return bad("cannot use endpoint %s: %s%s", cas_client_endpoint(fs->client), line,
		 fs->o.offline && unreachable(rc) ? " (and no offline snapshot of this account to start from)" : "");
}

/* The environment is the one copy of a secret this process did not make:
 * once the client holds its own, wipe it there (and in /proc/PID/environ). */
static void wipe_secret_env(void)
{
	static const char *const names[] = { "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
					     "DASHSCOPE_API_KEY", "ALIBABA_CLOUD_BEARER_TOKEN" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *v = getenv(names[i]);
		if (v)
			OPENSSL_cleanse(v, strlen(v));
		unsetenv(names[i]);
	}
}

/* The client's notices (an inconsistent listing, skipped ids) become records in .cas/errors. */
static void record_notice(void *ctx, const struct cas_error *e)
{
	fs_fail(ctx, "/instances", -e->err, e);
}

/* The account's name in the state directory (one database per account, and
 * the caller's state stays the caller's): with -o account=NAME, "name-NAME" (the user's key, which a key
 * rotation does not change); else a hash of the credentials' identity and
 * the endpoint: the AccessKey ID (for STS the temporary AccessKey ID that
 * comes with the token), or for a bearer token a SHA-256 of the token
 * itself. Never a constant, never a secret, never reversible to one. */
static void account_name(const struct cas_creds *cr, const char *account, const char *endpoint, char out[80])
{
	if (account) {
		snprintf(out, 80, "name-%s", account);
		return;
	}
	char tok[65] = "", hex[65], *who;
	if (cr->kind == CAS_CRED_BEARER) {
		cas_sha256_hex(cr->bearer_token, strlen(cr->bearer_token), tok);
		who = cas_xasprintf("bearer:%s@%s", tok, endpoint);
	} else {
		who = cas_xasprintf("ak:%s@%s", cr->access_key_id, endpoint); /* AK and STS */
	}
	cas_sha256_hex(who, strlen(who), hex);
	free(who);
	memcpy(out, hex, 16);
	out[16] = 0;
}

static void state_error(void *ctx, const char *what)
{
	struct casfs *fs = ctx;
	struct cas_error e;
	cas_error_clear(&e);
	cas_error_set(&e, EIO, "Local.StateDatabase", "%s", what);
	snprintf(e.action, sizeof(e.action), "State");
	fs_fail(fs, "/.cas/state", -EIO, &e);
}

/* Opens the state database (or an in-memory one) and the call accounting,
 * and attaches the client's gate; with -o share=, the fleet's share (not
 * connected yet). Fails the mount only for a bad -o share= or password. */
static int open_state(struct casfs *fs, const struct cas_creds *cr)
{
	char *dir = fs->o.state_dir ? cas_xstrdup(fs->o.state_dir) : statedb_default_dir();
	if (fs->o.call_budget > 0 && !fs->o.account && cr->kind != CAS_CRED_AK)
		cas_warn("WARNING: -o call_budget=%.0f without -o account=: with %s credentials the state database "
			 "is keyed by the %s, so the month's count starts from zero with each new one; set "
			 "-o account=NAME to keep one budget for the account (OPERATIONS.md)",
			 fs->o.call_budget, cr->kind == CAS_CRED_STS ? "STS" : "bearer token",
			 cr->kind == CAS_CRED_STS ? "temporary AccessKey ID" : "token");
	char account[80];
	account_name(cr, fs->o.account, cas_client_endpoint(fs->client), account);
	if (!fs->o.no_state && dir)
		fs->state = statedb_open(dir, account);
	if (!fs->o.no_state && !fs->state)
		cas_warn("WARNING: %s: the state database is IN MEMORY ONLY: the journal, stable mtimes, monthly call "
			 "counts, call_budget and -o offline reset at every restart (set -o state_dir=, or run with "
			 "STATE_DIRECTORY (systemd StateDirectory=), XDG_STATE_HOME or HOME)",
			 dir ? "the state directory cannot be used" : "no STATE_DIRECTORY, XDG_STATE_HOME or HOME");
	free(dir);
	if (!fs->state)
		fs->state = statedb_open_memory();
	statedb_set_error_hook(fs->state, state_error, fs);
	fs->acct = cas_accounting_new(fs->state, (uint64_t)fs->o.call_budget);
	cas_client_set_gate(fs->client, cas_accounting_gate, fs->acct);
	return fleet_open(fs, account); /* keyed like the state database: never a secret */
}

static int build(struct casfs *fs)
{
	struct cas_creds cr;
	struct cas_error e;
	if (cas_creds_resolve(&cr, fs->o.profile, fs->o.config_path, &e)) {
		return bad("%s", e.message);
	}
	if (cas_creds_env_present() && strncmp(cr.source, "environment", 11) != 0)
		cas_info("credentials from %s; the environment's credentials are not used (a profile or "
			 "-o credentials_file= wins)", cr.source);
	struct cas_client_opts co = {
		.endpoint = fs->o.endpoint, .region = fs->o.region, .cafile = fs->o.cafile, .qps = fs->o.qps,
		.timeout_ms = (long)(fs->o.timeout * 1000), .max_retries = -1, .dry_run = fs->o.dry_run,
		.first_page_ttl_ms = fs->o.ttl > 0 ? (long)(fs->o.ttl * 1000) : 1, /* ttl=0: never stands in */
		.keep_keys = fs->o.keys,
	};
	const char *region = fs->o.region ? fs->o.region : cr.region;
	fs->client = cas_client_new(&co, &cr, &e);
	fs->errors = errlog_new();
	int bad_share = 0;
	if (fs->client) {
		bad_share = open_state(fs, &cr);
		fs->snapshot = cas_snapshot_new(cas_client_api(fs->client), fs->state);
	}
	if (fs->client && region && !cas_region_known(region))
		fprintf(stderr, "casfs: warning: region \"%s\" is not a region casfs knows; using endpoint %s\n", region,
			cas_client_endpoint(fs->client));
	char *source = cas_xstrdup(cr.source ? cr.source : "?");
	cas_creds_free(&cr); /* wiped: the client's copy is the only one */
	wipe_secret_env();
	if (bad_share) {
		free(source);
		return 1;
	}
	int probe = fs->client ? probe_endpoint(fs, source) : 1;
	if (probe == 1) {
		if (!fs->client)
			bad("%s", e.message);
		free(source);
		return 1;
	}
	if (probe != 2)
		cas_info("credentials from %s accepted by %s", source, cas_client_endpoint(fs->client));
	cas_info("state database %s", statedb_persistent(fs->state) ? statedb_path(fs->state) : "in memory (this mount only)");
	free(source);
	struct cas_cache_opts cache_o = {
		.ttl_ms = (int64_t)(fs->o.ttl * 1000),
		.ttl_zero = fs->o.ttl == 0 || (int64_t)(fs->o.ttl * 1000) == 0,
		.max_stale_ms = (int64_t)(fs->o.max_stale * 1000) + 1,
	};
	fs->cache = cas_cache_new(cas_snapshot_api(fs->snapshot), &cache_o);
	fs->api = cas_cache_api(fs->cache);
	fs->stamps = cas_stamps_new();
	cas_stamps_attach(fs->stamps, fs->state);
	fs->scratch = scratch_new();
	fs->memo = memo_new();
	cas_client_set_notice(fs->client, record_notice, fs);
	fs->notify = notifier_new();
	fs->events = events_new(fs->notify);
	/* the kernel's invalidations (notify.c), then the change feed (events.c) */
	cas_cache_set_change_hook(fs->cache, events_on_cache_change, fs);
	fs->uid = fs->o.set_uid ? fs->o.uid : getuid();
	fs->gid = fs->o.set_gid ? fs->o.gid : getgid();
	/* last: its retry thread (started in run, after the fork) may refresh
	 * the caches built above */
	if (probe == 2) {
		events_add(fs->events, "offline", "/", NULL);
		cas_snapshot_go_offline(fs->snapshot, probe_call, fs, went_live, fs);
	}
	return 0;
}

/* Teardown in dependency order: nothing is freed while anything still
 * running may use it. Before this, run stopped what uses the FUSE session
 * (the loop's workers, read-ahead, progress, the notifier's thread) and
 * aborted the client's transfers; what may still run is:
 *   the snapshot's retry thread  -> client (probe), cache (on going live)
 *   read-ahead workers           -> cache
 *   the cache's detached background refreshes
 *                                -> snapshot -> client -> accounting -> database,
 *                                   notifier (change hook), errors (fs_fail)
 *   the stamps writer            -> database
 * So: 1. stop the retry thread and the read-ahead workers; 2. free the
 * cache, which waits for its background refreshes; 3. only then free the
 * snapshot, the notifier, the client and the accounting it gates through;
 * 4. the stamps (their writer's last flush) before the database; 5. what
 * only FUSE operations used, and the error log last.
 * The wait in 2 is bounded (cas_cache_free: a few seconds, then the cache is
 * logged and left allocated): a refresh stuck in a call that ignores the
 * client's shutdown would otherwise hold the unmount forever. What such a
 * refresh uses (3-5) is then left allocated too, as the cache is: the
 * process exits right after, and neither a hang nor a use after free is
 * better than that leak.
 * casfs_destroy (front.c casfs_state_free) has already freed the open
 * handles, the instance lock table and the store before 1, while the share
 * subscriber and the snapshot's retry thread may still run. That is safe
 * today because neither reaches them: the subscriber's hook (fleet.c
 * on_remote_change) touches only the cache and the notifier's queue, and the
 * retry thread only the client (its probe) and, going live,
 * control_refresh_all (the cache, the memos, the notifier, the change feed);
 * the cache's change hook (events.c) reaches only the feed and the notifier.
 * A hook that ever takes an instance lock or reads the store must move
 * fleet_stop and cas_snapshot_stop before casfs_destroy. */
static int teardown(struct casfs *fs)
{
	fleet_stop(fs);                   /* 1: no more invalidations from the fleet */
	cas_snapshot_stop(fs->snapshot);
	cas_prefetch_free(fs->prefetch);
	cas_prefetch_free(fs->prefetch_cert);
	if (cas_cache_free(fs->cache)) {  /* 2: waits for the background refreshes */
		cas_warn("background refreshes still running at exit: their client, database and notices are left "
			 "allocated, and the process ends without its exit handlers");
		cas_stamps_free(fs->stamps); /* the writer's last flush (the database stays open) */
		return -1;
	}
	cas_snapshot_free(fs->snapshot);  /* 3 */
	notifier_free(fs->notify);
	events_free(fs->events); /* after the cache, whose last refreshes may still add lines */
	cas_client_free(fs->client);
	cas_accounting_free(fs->acct);
	share_free(fs->share);            /* the client's and the accounting's hooks used it */
	cas_stamps_free(fs->stamps);      /* 4 */
	statedb_close(fs->state);
	scratch_free(fs->scratch);        /* 5 */
	memo_free(fs->memo);
	errlog_free(fs->errors);
	struct casfs_opts *o = &fs->o;
	char *strs[] = { o->endpoint, o->region, o->profile, o->cafile, o->config_path, o->mountpoint,
			 o->log_file, o->log_level, o->state_dir, o->account, o->share, o->share_password_file, o->front };
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	return 0;
}

/* The session serving the mount: the path front's (f) or the inode
 * front's (ll); se is the session of either. */
struct front_session {
	struct fuse *f;
	struct llfront *ll;
	struct fuse_session *se;
};

/* Parses the FUSE command line and creates the session of the front the
 * options ask for (llfront.h): unknown options fail here, before any
 * credential or network work. */
static int make_session(struct casfs *fs, struct fuse_args *args, struct fuse_cmdline_opts *cmd,
			struct front_session *fsn)
{
	memset(cmd, 0, sizeof(*cmd));
	memset(fsn, 0, sizeof(*fsn));
	if (fuse_parse_cmdline(args, cmd) != 0)
		return -1;
	if (llfront_wanted(&fs->o)) {
		if (!(fsn->ll = llfront_new(fs, args)))
			return -1;
		fsn->se = llfront_session(fsn->ll);
		fs->front = "inode";
	} else {
		if (!(fsn->f = fuse_new(args, &casfs_ops, sizeof(casfs_ops), fs)))
			return -1;
		fsn->se = fuse_get_session(fsn->f);
		fs->front = "path";
	}
	return 0;
}

static void free_session(struct front_session *fsn)
{
	if (fsn->f)
		fuse_destroy(fsn->f);
	llfront_free(fsn->ll);
}

static int loop(struct front_session *fsn, struct fuse_cmdline_opts *cmd)
{
	if (cmd->singlethread)
		return fsn->f ? fuse_loop(fsn->f) : fuse_session_loop(fsn->se);
	struct fuse_loop_config *lc = fuse_loop_cfg_create();
	fuse_loop_cfg_set_clone_fd(lc, cmd->clone_fd);
	fuse_loop_cfg_set_max_threads(lc, cmd->max_threads ? cmd->max_threads : 32);
	fuse_loop_cfg_set_idle_threads(lc, 8);
	int res = fsn->f ? fuse_loop_mt(fsn->f, lc) : fuse_session_loop_mt(fsn->se, lc);
	fuse_loop_cfg_destroy(lc);
	return res;
}

static int run(struct casfs *fs, struct front_session *fsn, struct fuse_cmdline_opts *cmd)
{
	int rc = 1;
	struct fuse_session *se = fsn->se;
	/* SIGINT, SIGTERM and SIGHUP wait (blocked, pending) from before the
	 * mount until their handlers below are in place: until then their
	 * default action would kill casfs and leave a dead mount. Threads made
	 * meanwhile keep them blocked, so they reach the loop's thread. */
	sigset_t stops, old_mask;
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stops, &old_mask);
	if (fsn->f ? fuse_mount(fsn->f, cmd->mountpoint) : fuse_session_mount(se, cmd->mountpoint)) {
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
		return 1;
	}
	if (!cmd->foreground && !fs->o.log_file && access("/dev/log", W_OK) != 0)
		fprintf(stderr, "casfs: warning: no syslog socket (/dev/log), the daemon's log is lost; "
				"use -o log_file=PATH or -f\n");
	/* what belongs to a process is made in the daemon, after fork(2) in
	 * daemon_start: the database connection (SQLite's locks are the
	 * process's; statedb.h), the pid in journal records, and the threads
	 * (fork keeps none of them). -f forks nothing. */
	if (!cmd->foreground)
		statedb_suspend(fs->state);
	int daemonized = daemon_start(cmd->foreground);
	if (!cmd->foreground && daemonized == 0)
		cas_log_init("casfs", 1, log_max); /* syslog, unless -o log_file */
	if (!cmd->foreground)
		statedb_resume(fs->state); /* also on failure: teardown uses the database */
	if (daemonized != 0)
		goto unmount;
	cas_accounting_start(fs->acct); /* its counter thread: the probe's count was kept for it */
	fleet_start(fs); /* the fleet's connections and subscriber (fleet.h) */
	cas_stamps_start(fs->stamps);
	cas_snapshot_start(fs->snapshot);
	fs->watch = watch_start(fs); /* -o watch (watch.c); stopped in casfs_stop_workers */
	if (fuse_set_signal_handlers(se) != 0)
		goto unmount;
	struct sigaction hup = { .sa_handler = on_sighup, .sa_flags = SA_RESTART };
	sigemptyset(&hup.sa_mask);
	sigaction(SIGHUP, &hup, NULL);
	struct stopper *stop = stopper_start(se, fs->notify); /* SIGINT/SIGTERM: the notifier first */
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL); /* a stop that came meanwhile is handled now */
	/* systemd Type=notify: the mount is up and requests queue until the loop
	 * below reads them (a no-op without NOTIFY_SOCKET) */
	sd_notifyf(0, "READY=1\nSTATUS=serving %s", fs->o.mountpoint);
	cas_info("mounted at %s (%s front)", fs->o.mountpoint, fsn->ll ? "inode" : "path");
	/* the shell's `casfs ...` returns now: serving, logged; unless a stop
	 * that waited for the handlers is on its way (the word is then sent
	 * after the unmount, below) */
	if (!stopper_requested())
		daemon_ready(0);
	int res = loop(fsn, cmd);
	stopper_stop(stop);
	/* the loop returns the signal that stopped it: a requested stop is success */
	rc = res == 0 || res == SIGTERM || res == SIGINT || res == SIGHUP ? 0 : 1;
	sd_notify(0, "STOPPING=1");
	cas_info("unmounting %s", fs->o.mountpoint);
	fuse_remove_signal_handlers(se);
unmount:
	/* the FUSE workers are done (the loop joined them, mutations included):
	 * what still calls the API is background work, which need not finish */
	cas_client_shutdown(fs->client);
	casfs_stop_workers(fs); /* nothing may touch the session once it is unmounted */
	if (fsn->f)
		fuse_unmount(fsn->f);
	else
		fuse_session_unmount(se);
	/* a start that failed in the daemon, or was stopped before it served
	 * (a no-op once serving): the parent exits 1 only now, when the
	 * mountpoint is free again */
	daemon_ready(1);
	return rc;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	static struct casfs fs;
	fs.o.ttl = 60;
	fs.o.qps = 100;
	fs.o.timeout = 20;
	fs.o.max_stale = 600;
	parsed.o = &fs.o;
	struct parse_state *ps = &parsed;
	int rc = 1;
	if (fuse_opt_parse(&args, &fs.o, option_table, opt_proc) != 0)
		goto out;
	if (fs.o.show_help) {
		fputs(usage, stdout);
		rc = 0;
		goto out;
	}
	if (fs.o.show_version) {
		printf("casfs %s (libfuse %s)\n", CASFS_VERSION, fuse_pkgversion());
		rc = 0;
		goto out;
	}
	if (check_empty_values(&fs.o) || absolute_paths(&fs.o) || setup_log(&fs.o))
		goto out;
	/* no core file or unprivileged ptrace may copy the AccessKey secret or a
	 * SecretKey being written out of this process; -d keeps it debuggable */
	if (!fs.o.debug && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		cas_warn("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	/* a peer that closed its socket (Redis, a proxy) is an error to handle,
	 * not a reason to die: hiredis writes without MSG_NOSIGNAL, and the probe
	 * and the fleet's first PING come before libfuse's handlers ignore it */
	signal(SIGPIPE, SIG_IGN);
	cas_wipe_cjson_hooks(); /* parsed documents (a SecretKey, a profile file) are wiped when freed */
	const char *mp = ps->npositional ? ps->positional[ps->npositional - 1] : NULL;
	char *fsname = NULL;
	if (apply_source(&fs.o, ps->npositional == 2 ? ps->positional[0] : NULL, &fsname) || check_numbers(&fs.o) ||
	    check_account(&fs.o) || check_transport(&fs.o) || check_mountpoint(mp, fs.o.nonempty) ||
	    check_readable("cafile", fs.o.cafile) || check_readable("credentials_file", fs.o.config_path) ||
	    check_state_dir(fs.o.no_state ? NULL : fs.o.state_dir) || check_dev_fuse()) {
		free(fsname);
		goto out;
	}
	fs.o.mountpoint = cas_xstrdup(mp);
	fuse_opt_add_arg(&args, mp);
	char *fo = ps->fsname_given ? cas_xstrdup("-osubtype=casfs,default_permissions") /* the user's fsname stays */
				    : cas_xasprintf("-ofsname=%s,subtype=casfs,default_permissions", fsname);
	fuse_opt_add_arg(&args, fo);
	free(fo);
	if (fs.o.ro) /* last: a later rw (-o ro,rw, an fstab's defaults) must not make the kernel mount writable */
		fuse_opt_add_arg(&args, "-oro");
	free(fsname);
	struct fuse_cmdline_opts cmd;
	struct front_session fsn;
	if (make_session(&fs, &args, &cmd, &fsn) == 0 && build(&fs) == 0)
		rc = run(&fs, &fsn, &cmd);
	free_session(&fsn);
	free(cmd.mountpoint);
out:
	if (teardown(&fs) != 0)
		_exit(rc); /* a thread still runs in the client: libcurl's and OpenSSL's exit handlers must not */
	for (int i = 0; i < ps->npositional; i++)
		free(ps->positional[i]);
	fuse_opt_free_args(&args);
	return rc;
}
