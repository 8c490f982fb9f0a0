/* emuproc: what every C test suite needs to run the bundled emulator: start
 * a cas-emulator process with given credentials and an audit file, parse
 * its "listening on" line, stop it (reporting its exit status), read the
 * audit log, and pick fields out of JSON. Shared by tests/emulator and
 * tests/client. */
#ifndef EMUPROC_H
#define EMUPROC_H

#include <sys/types.h>

#include <cjson/cJSON.h>

struct emu_proc {
	pid_t pid;
	int port;
	int tls;
	char base[96];     /* http[s]://127.0.0.1:PORT */
	char host[64];     /* 127.0.0.1:PORT */
	char audit[128];   /* audit file path */
};

/* Starts bin with creds (credential arguments, e.g. "--access-key", "ID:SECRET"),
 * --audit <a temp file> and extra (both NULL-terminated). The emulator dies
 * with the test process. Returns 0, or -1 (with a message) if it did not come up. */
int emu_proc_start(struct emu_proc *p, const char *bin, const char *const *creds, const char *const *extra);
/* SIGTERM and wait; removes the audit file; returns the exit status (-1 on a signal). */
int emu_proc_stop(struct emu_proc *p);
/* One line from fd (without the newline), waiting at most timeout_ms; caller frees. */
char *emu_proc_read_line(int fd, int timeout_ms);
/* The audit file's text (caller frees). */
char *emu_proc_audit_text(const struct emu_proc *p);

const char *jstr(const cJSON *o, const char *key);
double jnum(const cJSON *o, const char *key);

#endif
