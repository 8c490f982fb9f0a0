/* accounting: monthly call accounting, free-tier warnings and the budget (see accounting.h). */
#include "accounting.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "log.h"

/* How long a call waits for the database's count before it is sent counted
 * in memory (the database is locked by another process, or slow): short,
 * so that a locked database never holds up calls. */
#define GATE_WAIT_MS 200
#define QUEUE_MAX 1024

static const uint64_t free_tier[STATEDB_NCLASS] = { CAS_FREE_READS, CAS_FREE_WRITES };

/* A call waiting to be counted in the database, by ticket number. */
struct ticket {
	uint64_t n;                       /* the ticket this slot holds */
	enum statedb_class k;
	char month[8];
	int cancelled;                    /* its gate refused it from memory: not counted */
	int sent;                         /* its gate let it go from memory: counted whatever the budget */
	int done, refused;                /* the database's answer */
};

struct cas_accounting {
	struct statedb *db;
	uint64_t budget;
	pthread_mutex_t mu;              /* guards every field below */
	pthread_cond_t cv;               /* a ticket was answered, or the counter stopped */
	char month[8];                   /* month of mem[] */
	uint64_t mem[STATEDB_NCLASS];    /* this mount's calls in `month` (the figure without a database) */
	uint64_t refused;
	int budget_warned;               /* the "budget used up" line was logged this month */
	/* the database side: a queue of tickets that one counter thread takes to
	 * the database, so that no call waits on a locked database for longer
	 * than GATE_WAIT_MS and none holds a lock another call needs meanwhile */
	struct ticket q[QUEUE_MAX];
	uint64_t head, tail;             /* the next ticket to count, the next to issue */
	uint64_t known[STATEDB_NCLASS];  /* the database's figures after the last count (every mount) */
	char known_month[8];
	uint64_t owed[STATEDB_NCLASS];   /* calls sent without a ticket (queue full): added at the end */
	uint64_t uncounted;              /* calls sent that the database never counted (it failed) */
	int started;                     /* cas_accounting_start ran: this process is final (after the fork) */
	int counter;                     /* the counter thread runs */
	int closing;
	int db_stuck;                    /* the counter backs off a locked database: gates do not wait */
	cas_fleet_count_fn fleet;        /* -o share=: set before the first call, then read-only */
	void *fleet_ctx;
};

void cas_accounting_set_fleet(struct cas_accounting *a, cas_fleet_count_fn fn, void *ctx)
{
	a->fleet = fn;
	a->fleet_ctx = ctx;
}

void cas_billing_month(time_t t, char out[8])
{
	time_t cst = t + 8 * 3600; /* UTC+8 has no daylight saving time */
	struct tm tm;
	gmtime_r(&cst, &tm);
	strftime(out, 8, "%Y-%m", &tm);
}

static void warn_levels(const char *month, enum statedb_class k, uint64_t before, uint64_t now)
{
	const uint64_t f = free_tier[k];
	const uint64_t lines[2] = { f * 8 / 10, f };
	for (int i = 0; i < 2; i++)
		if (before < lines[i] && now >= lines[i])
			cas_warn("free tier: %llu of %llu free %s calls used in billing month %s (UTC+8)%s",
				 (unsigned long long)now, (unsigned long long)f, statedb_class_names[k], month,
				 i ? "; further calls are billed" : "");
}

struct cas_accounting *cas_accounting_new(struct statedb *db, uint64_t budget)
{
	struct cas_accounting *a = cas_xcalloc(1, sizeof(*a));
	a->db = db;
	a->budget = budget;
	pthread_mutex_init(&a->mu, NULL);
	cas_cond_init_mono(&a->cv);
	cas_billing_month(time(NULL), a->month);
	uint64_t cur[STATEDB_NCLASS];
	statedb_calls_get(db, a->month, cur);
	memcpy(a->known, cur, sizeof(cur));
	memcpy(a->known_month, a->month, sizeof(a->month));
	for (int k = 0; k < STATEDB_NCLASS; k++)
		warn_levels(a->month, (enum statedb_class)k, 0, cur[k]);
	if (budget && cur[0] + cur[1] >= budget) {
		cas_warn("call budget: %llu calls already made in billing month %s, budget %llu: "
			 "reads are served from cache where possible, otherwise they and mutations fail (EDQUOT)",
			 (unsigned long long)(cur[0] + cur[1]), a->month, (unsigned long long)budget);
		a->budget_warned = 1;
	}
	return a;
}

static void *counter_main(void *arg);

/* Under a->mu: starts the counter thread when there is work and the process is final. */
static void counter_start(struct cas_accounting *a)
{
	if (a->counter || !a->started || a->closing || a->head == a->tail)
		return;
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, counter_main, a) == 0)
		a->counter = 1;
	pthread_attr_destroy(&at);
}

void cas_accounting_start(struct cas_accounting *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->started = 1;
	counter_start(a); /* the calls made before the fork (the probe) */
	pthread_mutex_unlock(&a->mu);
}

/* At the end: the calls that were sent and not yet counted (tickets the
 * counter did not reach, calls without a ticket) go to the database in one
 * step per month; those it refuses to take stay in `uncounted`. */
static void count_the_rest(struct cas_accounting *a)
{
	while (a->head < a->tail || a->owed[0] || a->owed[1]) {
		char month[8];
		uint64_t n[STATEDB_NCLASS] = { 0 };
		if (a->head < a->tail) {
			memcpy(month, a->q[a->head % QUEUE_MAX].month, sizeof(month));
		} else {
			memcpy(month, a->month, sizeof(month));
			memcpy(n, a->owed, sizeof(n));
			memset(a->owed, 0, sizeof(a->owed));
		}
		for (uint64_t i = a->head; i < a->tail; i++) {
			struct ticket *t = &a->q[i % QUEUE_MAX];
			if (!t->cancelled && !t->done && strcmp(t->month, month) == 0) {
				n[t->k]++;
				t->cancelled = 1; /* taken here */
			}
		}
		while (a->head < a->tail && (a->q[a->head % QUEUE_MAX].cancelled || a->q[a->head % QUEUE_MAX].done))
			a->head++;
		if ((n[0] || n[1]) && a->db && statedb_calls_add(a->db, month, n) != 0)
			a->uncounted += n[0] + n[1];
	}
	if (a->uncounted)
		cas_warn("call accounting: %llu calls this mount sent were not counted in the state database (it did not "
			 "answer); the month's counts are that much low", (unsigned long long)a->uncounted);
}

void cas_accounting_free(struct cas_accounting *a)
{
	if (!a)
		return;
	/* the counter finishes the ticket it is counting (bounded by the
	 * database's busy timeout); the rest is counted here */
	pthread_mutex_lock(&a->mu);
	a->closing = 1;
	pthread_cond_broadcast(&a->cv); /* ends the counter's backoff */
	while (a->counter)
		pthread_cond_wait(&a->cv, &a->mu);
	pthread_mutex_unlock(&a->mu);
	count_the_rest(a); /* no other thread uses `a` any more: without mu (it calls the database) */
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

/* The counter thread: takes the queued tickets to the database in order. */
static void *counter_main(void *arg)
{
	struct cas_accounting *a = arg;
	int64_t backoff_ms = 0;
	pthread_mutex_lock(&a->mu);
	while (!a->closing && a->head < a->tail) {
		struct ticket *t = &a->q[a->head % QUEUE_MAX];
		if (t->cancelled) {
			a->head++;
			continue;
		}
		struct ticket mine = *t;
		pthread_mutex_unlock(&a->mu);
		uint64_t after[STATEDB_NCLASS];
		int64_t t0 = cas_now_ns();
		/* a call its gate already let go was sent: it is counted, budget or not */
		int refused = statedb_call_take(a->db, mine.month, mine.k, mine.sent ? 0 : a->budget, after);
		pthread_mutex_lock(&a->mu);
		if (refused > 0 && t->sent) { /* the gate gave up waiting and sent it meanwhile */
			pthread_mutex_unlock(&a->mu);
			refused = statedb_call_take(a->db, mine.month, mine.k, 0, after);
			pthread_mutex_lock(&a->mu);
		}
		/* a take that waited on the database's lock (another process holds
		 * it) held the database's mutex meanwhile, which the journal needs
		 * too: leave the database alone for a while, longer each time */
		int waited = refused < 0 || cas_now_ns() - t0 > (int64_t)GATE_WAIT_MS * 1000000;
		backoff_ms = !waited ? 0 : backoff_ms ? (backoff_ms < 16000 ? backoff_ms * 2 : backoff_ms) : 1000;
		if (refused == 0)
			warn_levels(mine.month, mine.k, after[mine.k] - 1, after[mine.k]);
		if (refused >= 0) { /* answered; a failed take stays at the head and is tried again */
			t->done = 1;
			t->refused = refused;
			memcpy(a->known, after, sizeof(after));
			memcpy(a->known_month, mine.month, sizeof(mine.month));
			a->head++;
		}
		pthread_cond_broadcast(&a->cv);
		a->db_stuck = backoff_ms > 0;
		if (backoff_ms) {
			struct timespec until = cas_mono_after_ms(backoff_ms);
			while (!a->closing && pthread_cond_timedwait(&a->cv, &a->mu, &until) == 0)
				; /* woken by a gate's broadcast or a new ticket: keep waiting */
		}
	}
	a->counter = 0;
	a->db_stuck = 0;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Under a->mu: whether the budget refuses one more call, by what the
 * database said last plus the calls queued since (ours excluded). */
static int refused_from_memory(struct cas_accounting *a, const char *month, uint64_t queued)
{
	if (!a->budget)
		return 0;
	uint64_t known = strcmp(a->known_month, month) == 0 ? a->known[0] + a->known[1] : 0;
	return known + queued >= a->budget;
}

/* Under a->mu: queues a ticket and waits up to GATE_WAIT_MS for the
 * database's answer; without one, decides from memory. */
static int db_take(struct cas_accounting *a, const char *month, enum statedb_class k)
{
	uint64_t queued = a->tail - a->head;
	if (queued >= QUEUE_MAX || a->closing) {
		int refused = refused_from_memory(a, month, queued);
		if (!refused && a->owed[0] + a->owed[1] == 0 && !a->closing)
			cas_warn("call accounting: the state database has not answered for %llu calls; further calls "
				 "are counted when it does, or at unmount", (unsigned long long)queued);
		if (!refused)
			a->owed[k]++;
		return refused;
	}
	uint64_t n = a->tail++;
	struct ticket *t = &a->q[n % QUEUE_MAX];
	memset(t, 0, sizeof(*t));
	t->n = n;
	t->k = k;
	memcpy(t->month, month, sizeof(t->month));
	/* no thread before cas_accounting_start (the fork keeps none, and one
	 * waiting on a condition variable or holding a mutex at the fork would
	 * leave the daemon a copy that never wakes or never unlocks): until
	 * then the gate decides from memory and the ticket waits for the counter */
	counter_start(a);
	struct timespec until = cas_mono_after_ms(GATE_WAIT_MS);
	while (a->counter && !a->db_stuck && !(t->n == n && t->done))
		if (pthread_cond_timedwait(&a->cv, &a->mu, &until) != 0)
			break;
	if (t->n == n && t->done)
		return t->refused;
	/* no answer in time: decide from memory; the counter still counts a call that goes out */
	int refused = refused_from_memory(a, month, queued);
	if (t->n == n)
		*(refused ? &t->cancelled : &t->sent) = 1;
	return refused;
}

int cas_accounting_gate(void *ctx, enum cas_action action, struct cas_error *e)
{
	struct cas_accounting *a = ctx;
	enum statedb_class k = cas_actions[action].mutating ? STATEDB_WRITE : STATEDB_READ;
	char month[8];
	cas_billing_month(time(NULL), month);
	/* the fleet's count first (Redis, its own short deadline; no lock held) */
	int fleet = a->fleet ? a->fleet(a->fleet_ctx, month, k == STATEDB_WRITE, cas_actions[action].name, a->budget)
			     : -1;
	pthread_mutex_lock(&a->mu);
	if (strcmp(month, a->month) != 0) {
		memcpy(a->month, month, sizeof(month));
		memset(a->mem, 0, sizeof(a->mem));
		a->budget_warned = 0;
	}
	int refused;
	if (fleet == 1) {
		refused = 1; /* the fleet's calls reached the budget */
	} else if (a->db) {
		refused = db_take(a, month, k);
	} else {
		refused = a->budget && a->mem[0] + a->mem[1] >= a->budget;
		if (!refused)
			warn_levels(month, k, a->mem[k], a->mem[k] + 1);
	}
	int log_budget = 0;
	if (refused) {
		a->refused++;
		log_budget = !a->budget_warned;
		a->budget_warned = 1;
	} else {
		a->mem[k]++;
	}
	pthread_mutex_unlock(&a->mu);
	if (refused) {
		if (log_budget)
			cas_warn("call budget used up: %llu calls in billing month %s (-o call_budget=%llu); "
				 "reads are served from cache where possible, otherwise they and mutations fail (EDQUOT)",
				 (unsigned long long)a->budget, month, (unsigned long long)a->budget);
		return cas_error_set(e, EDQUOT, "Local.CallBudget",
				     "the monthly call budget is used up (-o call_budget=%llu, billing month %s UTC+8); "
				     "%s not sent",
				     (unsigned long long)a->budget, month, cas_actions[action].name);
	}
	return 0;
}

void cas_accounting_view(struct cas_accounting *a, struct cas_accounting_view *v)
{
	memset(v, 0, sizeof(*v));
	cas_billing_month(time(NULL), v->month);
	v->budget = a->budget;
	v->persisted = a->db != NULL;
	pthread_mutex_lock(&a->mu);
	v->refused = a->refused;
	v->uncounted = a->uncounted + a->owed[0] + a->owed[1];
	int same = strcmp(v->month, a->month) == 0;
	if (same && !a->db)
		memcpy(v->calls, a->mem, sizeof(v->calls));
	pthread_mutex_unlock(&a->mu);
	if (a->db)
		statedb_calls_get(a->db, v->month, v->calls);
}
