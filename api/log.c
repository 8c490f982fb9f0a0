/* log: stderr or syslog sink (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

static int g_syslog;
static int g_level = CAS_LOG_WARN;
static const char *g_ident = "casfs";

void cas_log_init(const char *ident, int use_syslog, int max_level)
{
	g_ident = ident;
	g_syslog = use_syslog;
	g_level = max_level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void cas_log(int level, const char *fmt, ...)
{
	if (level > g_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (g_syslog) {
		vsyslog(level, fmt, ap);
	} else {
		char msg[2048];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		static const char *names[] = { "", "", "", "error", "warning", "", "info", "debug" };
		fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s\n", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, g_ident,
			names[level & 7], msg);
	}
	va_end(ap);
}
