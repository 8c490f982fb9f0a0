/* test_main: the client test driver. `test_client EMULATOR GROUP` runs one
 * group of tests of the CAS API client (client/) against the real emulator;
 * every test starts its own emulator on an ephemeral port and stops it in
 * its teardown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "harness.h"
#include "log.h"

static const struct {
	const char *name;
	int (*run)(void);
} groups[] = {
	{ "ops", group_ops },	    { "dryrun", group_dryrun },	    { "paging", group_paging },
	{ "filters", group_filters }, { "hostile", group_hostile },   { "errors", group_errors },
	{ "protocol", group_protocol }, { "auth", group_auth },	    { "creds", group_creds },
	{ "throttle", group_throttle }, { "retry", group_retry },	    { "reset", group_reset },
	{ "tls", group_tls },	    { "reuse", group_reuse }, { "store", group_store },
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CAS-EMULATOR GROUP\n", argv[0]);
		return 2;
	}
	g_bin = argv[1];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* the client logs skipped entries and reconciliations as warnings/errors;
	 * keep them visible, they explain failures */
	cas_log_init("test_client", 0, CAS_LOG_WARN);
	int rc = -1;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (strcmp(argv[2], groups[i].name) == 0)
			rc = groups[i].run();
	if (rc < 0) {
		fprintf(stderr, "unknown group %s\n", argv[2]);
		return 2;
	}
	if (emu_failures())
		rc = rc ? rc : 1;
	curl_global_cleanup();
	return rc;
}
