/* log: one logging sink for every layer: stderr in the foreground, syslog
 * when daemonised. Callers never pass secrets; Authorization headers and
 * SecretKey values are never formatted into a message. */
#ifndef CAS_LOG_H
#define CAS_LOG_H

enum cas_log_level { CAS_LOG_ERR = 3, CAS_LOG_WARN = 4, CAS_LOG_INFO = 6, CAS_LOG_DEBUG = 7 };

void cas_log_init(const char *ident, int use_syslog, int max_level);
void cas_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cas_err(...) cas_log(CAS_LOG_ERR, __VA_ARGS__)
#define cas_warn(...) cas_log(CAS_LOG_WARN, __VA_ARGS__)
#define cas_info(...) cas_log(CAS_LOG_INFO, __VA_ARGS__)
#define cas_debug(...) cas_log(CAS_LOG_DEBUG, __VA_ARGS__)

#endif
