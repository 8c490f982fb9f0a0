/* log: stderr, syslog or file sink, one line format (see log.h). */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Set before the threads start (init, open_file), read by every thread.
 * g_fd is the file's descriptor number for the life of the process: a
 * reopen dup2()s the new file onto it, so writers never see it closed. */
static int g_syslog;
static int g_level = CAS_LOG_WARN;
static const char *g_ident = "casfs";
static int g_fd = -1;
static char g_path[4096];

static const struct { const char *name; int level; } levels[] = {
	{ "error", CAS_LOG_ERR }, { "warn", CAS_LOG_WARN }, { "info", CAS_LOG_INFO }, { "debug", CAS_LOG_DEBUG },
};

void cas_log_init(const char *ident, int use_syslog, int max_level)
{
	g_ident = ident;
	g_syslog = use_syslog && g_fd < 0; /* a log file wins over syslog */
	g_level = max_level;
	if (g_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

int cas_log_level_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(name, levels[i].name) == 0)
			return levels[i].level;
	return -1;
}

static const char *level_name(int level)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "info";
}

int cas_log_open_file(const char *path)
{
	if (strlen(path) >= sizeof(g_path))
		return -ENAMETOOLONG;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	if (g_fd >= 0) {
		dup3(fd, g_fd, O_CLOEXEC);
		close(fd);
	} else {
		g_fd = fd;
	}
	memcpy(g_path, path, strlen(path) + 1);
	g_syslog = 0;
	return 0;
}

void cas_log_reopen(void)
{
	int saved = errno;
	if (g_fd >= 0) {
		int fd = open(g_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd >= 0) {
			dup3(fd, g_fd, O_CLOEXEC);
			close(fd);
		}
	}
	errno = saved;
}

void cas_log(int level, const char *fmt, ...)
{
	if (level > g_level)
		return;
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' '; /* one record, one line */
	if (g_syslog) {
		syslog(level, "%s: %s", level_name(level), msg);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char line[2200];
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s: %s\n",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000000, g_ident, (long)getpid(), level_name(level), msg);
	if (n >= (int)sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* one write(2) per line: O_APPEND keeps concurrent lines whole */
	ssize_t w = write(g_fd >= 0 ? g_fd : STDERR_FILENO, line, (size_t)n);
	(void)w;
}
