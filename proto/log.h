/* log: one logging sink for every layer. Where the lines go: stderr in the
 * foreground, syslog when daemonised, or an appended file (-o log_file=),
 * which cas_log_reopen() reopens for logrotate. Every record is one line
 * of one format (control characters in messages become spaces):
 *   2026-12-01T23:17:32.123Z casfs[4242] warn: message
 * syslog gets the same line from the level on (it adds time, ident, pid).
 * Callers never pass secrets; Authorization headers and SecretKey values
 * are never formatted into a message. */
#ifndef CAS_LOG_H
#define CAS_LOG_H

enum cas_log_level { CAS_LOG_ERR = 3, CAS_LOG_WARN = 4, CAS_LOG_INFO = 6, CAS_LOG_DEBUG = 7 };

void cas_log_init(const char *ident, int use_syslog, int max_level);
/* "error", "warn", "info" or "debug" -> level; -1 for anything else */
int cas_log_level_parse(const char *name);
/* Appends to path from now on (opened O_APPEND|O_CLOEXEC, mode 0640).
 * 0, or -errno with nothing changed. */
int cas_log_open_file(const char *path);
/* Reopens the log file by its path (a rotated file is left alone and a new
 * one created). Async-signal-safe: meant for a SIGHUP handler. */
void cas_log_reopen(void);
void cas_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cas_err(...) cas_log(CAS_LOG_ERR, __VA_ARGS__)
#define cas_warn(...) cas_log(CAS_LOG_WARN, __VA_ARGS__)
#define cas_info(...) cas_log(CAS_LOG_INFO, __VA_ARGS__)
#define cas_debug(...) cas_log(CAS_LOG_DEBUG, __VA_ARGS__)

#endif
