/* client_rps: a benchmark (never a pass/fail test) of the CAS API client's
 * request rate against a running emulator. It makes one warm call, then N
 * GetInstanceDetail calls through the client (client/), which reuses its
 * connection, and prints requests per second, the connections it opened and
 * the mean latency. tests/bench/client_rps.sh runs it next to a
 * curl-per-call shell loop.
 *
 *   client_rps URL INSTANCE_ID [-n CALLS] [-t THREADS] [-b BEARER_TOKEN]
 *
 * Credentials: -b TOKEN, else $CAS_BENCH_BEARER, else $ALIBABA_CLOUD_ACCESS_KEY_ID
 * / _SECRET (V3 signatures). The client's rate limit is set to 100000 QPS so
 * that it does not cap the measurement. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "mutate.h"
#include "ops.h"
#include "paging.h"

struct run {
	struct cas_client *c;
	const char *id;
	long calls;
	long failed;
	char first_error[512];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct run *r = arg;
	for (long i = 0; i < r->calls; i++) {
		struct cas_doc *d = NULL;
		struct cas_error e;
		if (cas_get_instance_detail(r->c, r->id, &d, &e) != 0) {
			if (!r->failed++)
				cas_error_format(&e, r->first_error, sizeof(r->first_error));
		}
		cas_obj_unref(d);
	}
	return NULL;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s URL INSTANCE_ID [-n CALLS] [-t THREADS] [-b BEARER_TOKEN]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	long calls = 2000;
	int threads = 1;
	const char *bearer = getenv("CAS_BENCH_BEARER");
	int opt;
	while ((opt = getopt(argc, argv, "n:t:b:h")) != -1) {
		switch (opt) {
		case 'n': calls = strtol(optarg, NULL, 10); break;
		case 't': threads = atoi(optarg); break;
		case 'b': bearer = optarg; break;
		default: usage(argv[0]);
		}
	}
	if (argc - optind != 2 || calls <= 0 || threads <= 0 || threads > 64)
		usage(argv[0]);
	const char *url = argv[optind], *id = argv[optind + 1];

	struct cas_creds cr = { .source = "client_rps" };
	if (bearer && *bearer) {
		cr.kind = CAS_CRED_BEARER;
		cr.bearer_token = (char *)bearer;
	} else if (getenv("ALIBABA_CLOUD_ACCESS_KEY_ID") && getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")) {
		cr.kind = CAS_CRED_AK;
		cr.access_key_id = getenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
		cr.access_key_secret = getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
	} else {
		fprintf(stderr, "client_rps: no credentials (-b TOKEN or ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET)\n");
		return 2;
	}
	struct cas_client_opts o = { .endpoint = url, .qps = 100000, .max_retries = -1 };
	struct cas_error e;
	struct cas_client *c = cas_client_new(&o, &cr, &e);
	if (!c) {
		fprintf(stderr, "client_rps: %s\n", e.message);
		return 1;
	}
	/* the warm call: opens the connection */
	struct cas_doc *d = NULL;
	if (cas_get_instance_detail(c, id, &d, &e) != 0) {
		char msg[512];
		cas_error_format(&e, msg, sizeof(msg));
		fprintf(stderr, "client_rps: warm call failed: %s\n", msg);
		cas_client_free(c);
		return 1;
	}
	cas_obj_unref(d);
	struct cas_client_stats before;
	cas_client_stats(c, &before);

	struct run runs[64];
	pthread_t th[64];
	double t0 = now_s();
	for (int i = 0; i < threads; i++) {
		runs[i] = (struct run){ .c = c, .id = id, .calls = calls / threads + (i < calls % threads) };
		pthread_create(&th[i], NULL, worker, &runs[i]);
	}
	long failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		failed += runs[i].failed;
		if (runs[i].failed)
			fprintf(stderr, "client_rps: thread %d: %ld failed, first: %s\n", i, runs[i].failed,
				runs[i].first_error);
	}
	double secs = now_s() - t0;
	struct cas_client_stats after;
	cas_client_stats(c, &after);
	printf("client_rps: %ld GetInstanceDetail calls, %d thread%s, %.3f s: %.0f req/s, mean %.3f ms, "
	       "%ld new connection%s after the warm call, %ld failed\n",
	       calls, threads, threads == 1 ? "" : "s", secs, (double)calls / secs, secs * 1000.0 * threads / (double)calls,
	       after.connections - before.connections, after.connections - before.connections == 1 ? "" : "s", failed);
	cas_client_free(c);
	return failed ? 1 : 0;
}
