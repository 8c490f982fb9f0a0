/* main: cas-emulator's command line, start-up and orderly shutdown. Prints
 * "listening on http(s)://ADDR:PORT" once ready; exits 0 on SIGTERM/SIGINT,
 * 2 on bad arguments, 1 when it cannot start. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csrgen.h"
#include "pki.h"
#include "server.h"

static const char usage[] =
	"usage: cas-emulator [--listen ADDR:PORT] [--instances N] [--cloud-access N] [--private-ca N] [--seed N]\n"
	"                    [--access-key ID:SECRET]... [--sts ID:SECRET:TOKEN]... [--bearer TOKEN]...\n"
	"                    [--latency-ms N] [--qps N] [--faults SPEC] [--audit FILE] [--stall-ms N]\n"
	"                    [--tls-cert FILE --tls-key FILE] [--help] [--version]\n"
	"\n"
	"A local emulator of the Alibaba Cloud Certificate Management Service (CAS) API.\n"
	"  --listen ADDR:PORT   default 127.0.0.1:0 (port 0 picks a free port)\n"
	"  --instances N        certificate instances to generate (default 50)\n"
	"  --cloud-access N     cloud-access entries (default 5)\n"
	"  --private-ca N       private CAs (default 3)\n"
	"  --seed N             seed of the generated data and of fault draws (default 1)\n"
	"  --access-key ID:SECRET, --sts ID:SECRET:TOKEN, --bearer TOKEN\n"
	"                       accepted credentials (at least one is required)\n"
	"  --latency-ms N       delay every API response by N ms\n"
	"  --qps N              per-credential limit (Throttling.User beyond it)\n"
	"  --throttle-status N  HTTP status of Throttling.User: 400 (default) or 429\n"
	"  --page-cap N         serve at most N entries per list page, whatever ShowSize asks\n"
	"  --faults SPEC        KIND[:MS]=RATE[@Action][#COUNT],... with KIND one of 500, 503,\n"
	"                       429, 403, throttle, reset, stall, slow, malformed, badtotal,\n"
	"                       wrongtype (:MS: retry-after of 429/throttle, hold of stall/slow)\n"
	"  --audit FILE         append one JSON line per API request\n"
	"  --stall-ms N         how long a stall fault holds the answer (default 60000)\n"
	"  --tls-cert FILE --tls-key FILE   serve HTTPS\n"
	"Control endpoints (no auth): /_emulator/state, /_emulator/instances/<id>,\n"
	"/_emulator/clock, /_emulator/faults.\n";

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "cas-emulator: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see --help)\n");
	exit(2);
}

static long parse_num(const char *opt, const char *v, long lo, long hi)
{
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || !*v || *end || n < lo || n > hi) {
		fprintf(stderr, "cas-emulator: %s needs an integer in [%ld, %ld] (got \"%s\")\n", opt, lo, hi, v);
		exit(2);
	}
	return n;
}

static void add_cred(struct emu_opts *o, enum emu_cred_kind kind, const char *arg)
{
	struct emu_cred c = { .kind = kind };
	if (kind == EMU_CRED_BEARER) {
		if (!*arg)
			die_usage("--bearer needs a non-empty token%s", "");
		c.token = cas_xstrdup(arg);
	} else {
		const char *c1 = strchr(arg, ':');
		const char *c2 = c1 && kind == EMU_CRED_STS ? strchr(c1 + 1, ':') : NULL;
		if (!c1 || c1 == arg || !c1[1] || (kind == EMU_CRED_STS && (!c2 || c2 == c1 + 1 || !c2[1])))
			die_usage(kind == EMU_CRED_STS ? "--sts needs ID:SECRET:TOKEN%s" : "--access-key needs ID:SECRET%s",
				  "");
		c.id = cas_xstrndup(arg, (size_t)(c1 - arg));
		c.secret = kind == EMU_CRED_STS ? cas_xstrndup(c1 + 1, (size_t)(c2 - c1 - 1)) : cas_xstrdup(c1 + 1);
		c.token = c2 ? cas_xstrdup(c2 + 1) : NULL;
	}
	o->creds = cas_xrealloc(o->creds, (o->ncreds + 1) * sizeof(*o->creds));
	o->creds[o->ncreds++] = c;
}

static void free_opts(struct emu_opts *o)
{
	for (size_t i = 0; i < o->ncreds; i++) {
		free(o->creds[i].id);
		free(o->creds[i].secret);
		free(o->creds[i].token);
	}
	free(o->creds);
}

enum { O_LISTEN = 256, O_INST, O_ACCESS, O_PCA, O_SEED, O_AK, O_STS, O_BEARER, O_LAT, O_QPS, O_FAULTS,
       O_AUDIT, O_STALL, O_CERT, O_KEY, O_HELP, O_VERSION, O_THROTTLE_STATUS, O_PAGE_CAP };

static void parse_args(int argc, char **argv, struct emu_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", 1, 0, O_LISTEN },	  { "instances", 1, 0, O_INST }, { "cloud-access", 1, 0, O_ACCESS },
		{ "private-ca", 1, 0, O_PCA },	  { "seed", 1, 0, O_SEED },	  { "access-key", 1, 0, O_AK },
		{ "sts", 1, 0, O_STS },		  { "bearer", 1, 0, O_BEARER },   { "latency-ms", 1, 0, O_LAT },
		{ "qps", 1, 0, O_QPS },		  { "faults", 1, 0, O_FAULTS },	  { "audit", 1, 0, O_AUDIT },
		{ "stall-ms", 1, 0, O_STALL },	  { "tls-cert", 1, 0, O_CERT },	  { "tls-key", 1, 0, O_KEY },
		{ "throttle-status", 1, 0, O_THROTTLE_STATUS }, { "page-cap", 1, 0, O_PAGE_CAP },
		{ "help", 0, 0, O_HELP },	  { "version", 0, 0, O_VERSION }, { 0, 0, 0, 0 },
	};
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case O_LISTEN: o->listen = optarg; break;
		case O_INST: o->instances = parse_num("--instances", optarg, 0, 1000000); break;
		case O_ACCESS: o->cloud_access = parse_num("--cloud-access", optarg, 0, 100000); break;
		case O_PCA: o->private_ca = parse_num("--private-ca", optarg, 0, 100000); break;
		case O_SEED: o->seed = (uint64_t)parse_num("--seed", optarg, 0, 0x7FFFFFFFFFFFFFFFL); break;
		case O_AK: add_cred(o, EMU_CRED_AK, optarg); break;
		case O_STS: add_cred(o, EMU_CRED_STS, optarg); break;
		case O_BEARER: add_cred(o, EMU_CRED_BEARER, optarg); break;
		case O_LAT: o->latency_ms = parse_num("--latency-ms", optarg, 0, 3600000); break;
		case O_QPS: o->qps = parse_num("--qps", optarg, 0, 100000000); break;
		case O_FAULTS: o->faults = optarg; break;
		case O_THROTTLE_STATUS:
			o->throttle_status = parse_num("--throttle-status", optarg, 400, 429);
			if (o->throttle_status != 400 && o->throttle_status != 429)
				die_usage("--throttle-status must be 400 or 429%s", "");
			break;
		case O_PAGE_CAP: o->page_cap = parse_num("--page-cap", optarg, 0, 100); break;
		case O_AUDIT: o->audit = optarg; break;
		case O_STALL: o->stall_ms = parse_num("--stall-ms", optarg, 0, 86400000); break;
		case O_CERT: o->tls_cert = optarg; break;
		case O_KEY: o->tls_key = optarg; break;
		case O_HELP: fputs(usage, stdout); free_opts(o); exit(0);
		case O_VERSION: printf("cas-emulator %s\n", EMU_VERSION); free_opts(o); exit(0);
		default:
			die_usage("unknown or incomplete option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die_usage("unexpected argument \"%s\"", argv[optind]);
	if (!o->ncreds)
		die_usage("at least one credential is required (--access-key, --sts or --bearer)%s", "");
	if (!o->tls_cert != !o->tls_key)
		die_usage("--tls-cert and --tls-key go together%s", "");
}

int main(int argc, char **argv)
{
	struct emu_opts o = { .listen = "127.0.0.1:0", .instances = 50, .cloud_access = 5, .private_ca = 3,
			      .seed = 1, .stall_ms = 60000, .throttle_status = 400 };
	parse_args(argc, argv, &o);
	char err[512];
	struct emu_faults *probe = emu_faults_new(0);
	int bad = emu_faults_set(probe, o.faults, err, sizeof(err));
	emu_faults_free(probe);
	if (bad) {
		fprintf(stderr, "cas-emulator: --faults: %s\n", err);
		free_opts(&o);
		return 2;
	}

	/* every thread MHD starts inherits this mask; main takes the signals */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	emu_request_id_init(o.seed);
	struct emu_server s;
	if (emu_server_start(&s, &o, err, sizeof(err))) {
		fprintf(stderr, "cas-emulator: %s\n", err);
		emu_server_stop(&s);
		emu_csr_cleanup();
	emu_pki_cleanup();
		free_opts(&o);
		return 1;
	}
	const char *colon = strrchr(o.listen, ':');
	printf("listening on %s://%.*s:%u\n", o.tls_cert ? "https" : "http", (int)(colon - o.listen), o.listen, s.port);
	fflush(stdout);

	int sig = 0;
	sigwait(&set, &sig);
	emu_server_stop(&s);
	emu_csr_cleanup();
	emu_pki_cleanup();
	free_opts(&o);
	return 0;
}
