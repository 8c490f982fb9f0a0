/* bench_emulator: throughput and latency of cas-emulator over keep-alive
 * connections. Not a test (never timed in ctest).
 *   bench_emulator BIN THREADS SECONDS [LATENCY_MS [TOTAL_QPS [ACTION]]]
 * Each thread holds one connection and sends V3-signed requests (ACTION,
 * default GetInstanceDetail; or ListInstances), paced to TOTAL_QPS when given.
 * With BENCH_PIN=1 the emulator runs on CPU 0 and the client on CPU 1, which
 * shows what the emulator does with one core. */
#include <pthread.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "emu_client.h"

static struct emu_proc g_emu;
static double g_seconds, g_interval;
static const char *g_action = "GetInstanceDetail";
static char **g_ids;
static int g_nids;

struct stats {
	long n, errors;
	double sum, max;
	double *lat;
	size_t cap;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *worker(void *arg)
{
	struct stats *st = arg;
	double start = now_s(), next = start;
	unsigned seed = (unsigned)(size_t)arg;
	while (now_s() - start < g_seconds) {
		if (g_interval > 0) {
			double wait = next - now_s();
			if (wait > 0) {
				struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
				nanosleep(&ts, NULL);
			}
			next += g_interval;
		}
		struct call c;
		call_init(&c, g_action);
		if (strcmp(g_action, "GetInstanceDetail") == 0)
			cas_params_set(&c.q, "InstanceId", g_ids[rand_r(&seed) % g_nids]);
		struct resp r;
		double t0 = now_s();
		api_call(&g_emu, &c, &r);
		double dt = now_s() - t0;
		if (r.status != 200)
			st->errors++;
		if (st->n == (long)st->cap) {
			st->cap = st->cap ? st->cap * 2 : 1024;
			st->lat = realloc(st->lat, st->cap * sizeof(double));
		}
		st->lat[st->n++] = dt;
		st->sum += dt;
		if (dt > st->max)
			st->max = dt;
		resp_free(&r);
		call_free(&c);
	}
	emu_client_thread_done();
	return NULL;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s BIN THREADS SECONDS [LATENCY_MS [TOTAL_QPS [ACTION]]]\n", argv[0]);
		return 2;
	}
	int threads = atoi(argv[2]);
	g_seconds = atof(argv[3]);
	const char *latency = argc > 4 ? argv[4] : "0";
	double qps = argc > 5 ? atof(argv[5]) : 0;
	if (argc > 6)
		g_action = argv[6];
	g_interval = qps > 0 ? threads / qps : 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (emu_start(&g_emu, argv[1], (const char *const[]){ "--instances", "1000", "--latency-ms", latency, NULL }))
		return 1;
	if (getenv("BENCH_PIN")) {
		cpu_set_t emu_cpu, me;
		CPU_ZERO(&emu_cpu);
		CPU_SET(0, &emu_cpu);
		CPU_ZERO(&me);
		CPU_SET(1, &me);
		/* every thread of the emulator; connection threads inherit it later */
		char dir[64];
		snprintf(dir, sizeof(dir), "/proc/%d/task", (int)g_emu.pid);
		DIR *d = opendir(dir);
		for (struct dirent *e; d && (e = readdir(d));)
			if (e->d_name[0] != '.')
				sched_setaffinity(atoi(e->d_name), sizeof(emu_cpu), &emu_cpu);
		if (d)
			closedir(d);
		sched_setaffinity(0, sizeof(me), &me);
	}
	struct resp r;
	http_raw(&g_emu, "GET", "/_emulator/instances", NULL, &r);
	g_nids = cJSON_GetArraySize(r.json);
	g_ids = calloc((size_t)g_nids, sizeof(char *));
	for (int i = 0; i < g_nids; i++)
		g_ids[i] = cas_xstrdup(cJSON_GetArrayItem(r.json, i)->valuestring);
	resp_free(&r);
	emu_client_thread_done();
	pthread_t *t = calloc((size_t)threads, sizeof(*t));
	struct stats *st = calloc((size_t)threads, sizeof(*st));
	double t0 = now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, &st[i]);
	struct stats all = { 0 };
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		for (long k = 0; k < st[i].n; k++) {
			if (all.n == (long)all.cap) {
				all.cap = all.cap ? all.cap * 2 : 1024;
				all.lat = realloc(all.lat, all.cap * sizeof(double));
			}
			all.lat[all.n++] = st[i].lat[k];
		}
		all.sum += st[i].sum;
		all.errors += st[i].errors;
		free(st[i].lat);
	}
	double elapsed = now_s() - t0;
	qsort(all.lat, (size_t)all.n, sizeof(double), dbl_cmp);
	printf("%s: %d connections, latency %s ms: %ld requests in %.2f s = %.0f req/s; mean %.2f ms, p50 %.2f ms, "
	       "p99 %.2f ms; %ld errors\n",
	       g_action, threads, latency, all.n, elapsed, all.n / elapsed, all.n ? all.sum / all.n * 1000 : 0,
	       all.n ? all.lat[all.n / 2] * 1000 : 0, all.n ? all.lat[all.n * 99 / 100] * 1000 : 0, all.errors);
	emu_stop(&g_emu);
	for (int i = 0; i < g_nids; i++)
		free(g_ids[i]);
	free(g_ids);
	free(all.lat);
	free(st);
	free(t);
	curl_global_cleanup();
	return 0;
}
