/* test_main: what the emulator test groups share: the emulator binary path,
 * the running emulator of the current group, and small assertion helpers. */
#ifndef TEST_MAIN_H
#define TEST_MAIN_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "emu_client.h"

extern const char *g_bin;
extern struct emu_proc g_emu;

/* Starts g_emu with extra args (cmocka group setup helper). */
int start_emu(const char *const *extra);
int stop_emu(void);

/* Asserts an error response with this status and Code, and the real error shape. */
void expect_error(const struct resp *r, long status, const char *code);
/* Asserts a 200 with a RequestId in body and header. */
void expect_ok(const struct resp *r);
/* A V3 call expected to succeed; returns the parsed body (owned by r). */
const cJSON *ok_call(struct resp *r, const char *action, ...);

/* The emulator's stored instances (GET /_emulator/state), owned by the caller. */
cJSON *state_dump(void);
/* The id of the i-th instance in list order (malloc'd). */
char *instance_id(int i);

int run_actions_group(void);
int run_faults_group(void);
int run_store_group(void);
int run_throttle_group(void);

#endif
