/* server: the emulator process's one server object, shared by server.c (the
 * libmicrohttpd glue: connections, bodies, responses, resets), api.c (the
 * pipeline of one API request) and control.c (the /_emulator endpoints). */
#ifndef EMU_SERVER_H
#define EMU_SERVER_H

#include <stddef.h>

#include "audit.h"
#include "auth.h"
#include "emu.h"
#include "faults.h"
#include "state.h"
#include "throttle.h"

struct MHD_Daemon;

struct emu_server {
	const struct emu_opts *opts;
	struct emu_state state;
	struct emu_auth *auth;
	struct emu_throttle *throttle;
	struct emu_throttle *order_throttle; /* ListUserCertificateOrder's own 10 QPS [SDK] */
	struct emu_faults *faults;
	struct emu_audit *audit;
	struct MHD_Daemon *mhd;
	char *cert_pem;
	char *key_pem;
	unsigned port;
};

/* Builds the state and starts listening; -1 with err set on failure. */
int emu_server_start(struct emu_server *s, const struct emu_opts *o, char *err, size_t errlen);
/* Stops serving (waking stalled requests) and frees everything. */
void emu_server_stop(struct emu_server *s);

/* The answer to one API request. reset/stall are for the transport. */
struct emu_api_result {
	int status;
	char *body;               /* malloc'd */
	size_t len;
	char request_id[37];
	long retry_after_ms;      /* >= 0: x-acs-retry-after */
	enum emu_fault fault;
};
/* Requests that cannot be understood at all (bad_request argument). */
enum { EMU_BAD_QUERY = 1, EMU_BAD_TOO_LARGE = 2 };
/* Authenticates, throttles, routes, injects faults, runs the action, writes
 * the audit line and waits --latency-ms (and --stall-ms for a stall). */
void emu_api_handle(struct emu_server *s, const struct emu_http *h, int bad_request, struct emu_api_result *res);

/* /_emulator/...: *out is a malloc'd JSON body. raw_path is undecoded. */
void emu_control_handle(struct emu_server *s, const char *method, const char *raw_path, const char *body,
			size_t len, int *status, char **out);

#endif
