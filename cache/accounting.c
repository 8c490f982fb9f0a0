/* accounting: monthly call accounting, free-tier warnings and the budget (see accounting.h). */
#include "accounting.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

static const uint64_t free_tier[STATEDB_NCLASS] = { CAS_FREE_READS, CAS_FREE_WRITES };

struct cas_accounting {
	struct statedb *db;
	uint64_t budget;
	pthread_mutex_t mu;              /* guards the fields below */
	char month[8];                   /* month of mem[] */
	uint64_t mem[STATEDB_NCLASS];    /* this mount's calls in `month` (the figure without a database) */
	uint64_t refused;
	int budget_warned;               /* the "budget used up" line was logged this month */
};

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
	cas_billing_month(time(NULL), a->month);
	uint64_t cur[STATEDB_NCLASS];
	statedb_calls_get(db, a->month, cur);
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

void cas_accounting_free(struct cas_accounting *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int cas_accounting_gate(void *ctx, enum cas_action action, struct cas_error *e)
{
	struct cas_accounting *a = ctx;
	enum statedb_class k = cas_actions[action].mutating ? STATEDB_WRITE : STATEDB_READ;
	char month[8];
	cas_billing_month(time(NULL), month);
	pthread_mutex_lock(&a->mu);
	if (strcmp(month, a->month) != 0) {
		memcpy(a->month, month, sizeof(month));
		memset(a->mem, 0, sizeof(a->mem));
		a->budget_warned = 0;
	}
	uint64_t mem_total = a->mem[0] + a->mem[1], mem_before = a->mem[k];
	pthread_mutex_unlock(&a->mu);

	uint64_t after[STATEDB_NCLASS];
	int refused;
	if (a->db) {
		refused = statedb_call_take(a->db, month, k, a->budget, after);
	} else {
		refused = a->budget && mem_total >= a->budget;
		after[k] = mem_before + !refused;
	}
	int log_budget = 0;
	pthread_mutex_lock(&a->mu);
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
	warn_levels(month, k, after[k] - 1, after[k]);
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
	int same = strcmp(v->month, a->month) == 0;
	if (same && !a->db)
		memcpy(v->calls, a->mem, sizeof(v->calls));
	pthread_mutex_unlock(&a->mu);
	if (a->db)
		statedb_calls_get(a->db, v->month, v->calls);
}
