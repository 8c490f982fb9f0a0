/* harness: what the client tests share. It starts one cas-emulator per test
 * (ephemeral port, audit file, standard test credentials), talks to its
 * control endpoints (/_emulator/...), reads its audit log, builds API clients
 * pointed at it, and stops it again in the test's teardown, even after a
 * failed assertion. */
#ifndef CLIENT_HARNESS_H
#define CLIENT_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "client.h"
#include "emuproc.h"
#include "mutate.h"
#include "ops.h"
#include "paging.h"

#define T_AK "LTAI5tClientTestKeyId01"
#define T_SECRET "ClientTestSecret0123456789abcdef"
#define T_STS_AK "STS.ClientTestTemporaryId"
#define T_STS_SECRET "ClientTestStsSecret"
#define T_STS_TOKEN "CAIS.client.test.token=="
#define T_BEARER "client-test-bearer-token"

extern const char *g_bin; /* the cas-emulator binary (argv[1]) */

struct emu {
	struct emu_proc proc;
	char url[96];      /* http[s]://127.0.0.1:PORT */
	char cafile[256];  /* CA for the control requests over HTTPS ("" for http) */
};

/* The emulator of the current test, and the clients it created (freed in teardown). */
extern struct emu g_emu;

/* Starts g_emu with the test credentials, --audit and extra (NULL-terminated).
 * Fails the test if it does not come up. */
void emu_up(const char *const *extra);
#define EMU_UP(...) emu_up((const char *const[]){ __VA_ARGS__, NULL })
/* cmocka teardown: frees the clients and stops g_emu (records a non-zero exit). */
int emu_teardown(void **state);
/* Non-zero when some emulator exited with a non-zero status (e.g. a sanitizer report). */
int emu_failures(void);

enum cred { CRED_AK, CRED_STS, CRED_BEARER, CRED_WRONG_SECRET };
/* A client for g_emu (o may be NULL; endpoint is filled in; qps defaults to
 * 100000 unless set). Freed by the teardown. */
struct cas_client *client_for(enum cred kind, const struct cas_client_opts *o);
struct cas_client *client_with(const struct cas_creds *cr, const struct cas_client_opts *o);

/* Control endpoints. Asserts a 200 (or 201 Created) and returns the parsed body (caller deletes). */
cJSON *emu_get(const char *path);
cJSON *emu_post(const char *path, const char *body);
cJSON *emu_delete(const char *path);
/* GET /_emulator/state */
cJSON *emu_state(void);
/* The state's instances array element with this id (borrowed from st), or NULL. */
cJSON *state_instance(cJSON *st, const char *id);
/* Replaces the fault SPEC at run time. */
void emu_faults(const char *spec);

/* Audit log: every line parsed (array; caller deletes). */
cJSON *audit_all(void);
/* Lines of this action (NULL = any); applied: 1, 0, or -1 for either. */
int audit_count(const cJSON *audit, const char *action, int applied);
/* Same, only lines with this HTTP status. */
int audit_count_status(const cJSON *audit, const char *action, int status);
/* Number of lines in the audit file right now. */
int audit_lines(void);

/* Asserts rc == want and e->err == -want, printing the error when not. */
#define expect_rc(rc, want, e) expect_rc_at((rc), (want), (e), __FILE__, __LINE__)
void expect_rc_at(int rc, int want, const struct cas_error *e, const char *file, int line);

/* Sum of one field over all actions of the client's stats. */
uint64_t stats_sum(struct cas_client *c, size_t field_offset);
#define STATS_SUM(c, field) stats_sum((c), offsetof(struct cas_action_stats, field))

/* The test groups (one ctest test each). */
int group_ops(void);
int group_dryrun(void);
int group_paging(void);
int group_filters(void);
int group_hostile(void);
int group_errors(void);
int group_protocol(void);
int group_auth(void);
int group_creds(void);
int group_throttle(void);
int group_retry(void);
int group_reset(void);
int group_tls(void);
int group_reuse(void);
int group_store(void);

#endif
