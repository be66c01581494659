/*
 * check.h - a rule's Lua check on one flow: the ctx table built from the
 * flow, what its inspection found and its rule; the function called under
 * the sandbox's budgets; its answer read back as a verdict and a reason.
 */
#ifndef OUTGATE_CHECK_H
#define OUTGATE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "flow.h"
#include "inspect.h"
#include "policy.h"

#define CHECK_INSTR_BUDGET	1000000UL	/* Lua instructions a call */
#define CHECK_TIME_BUDGET_MS	50UL		/* wall clock a call */

struct check_result {
	int		verdict;	/* VERDICT_ACCEPT, _DROP or _REJECT (engine.h codes) */
	char		reason[64];	/* what the check said, "" when nothing */
	char		error[256];	/* when check_run returned -1: "FILE:LINE: ..." */
};

/*
 * Run the check of rule `idx` (of inbound when inbound) on flow f, whose
 * inspection is fi (may be NULL), seen going dir ("out" or "in").  0 with
 * the verdict, or -1 with the error: the check failed, ran out of budget,
 * or returned something that is not a verdict.  Calls are serialized: the
 * policy's Lua state is shared by every worker.
 */
int	check_run(const struct policy *pol, bool inbound, size_t idx,
    const struct flow *f, const struct inspect_info *fi, const char *dir,
    struct check_result *out);

/* The policy's Lua state's counters (calls, budget hits, memory), under the lock. */
struct luart_stats;
void	check_lua_stats(const struct policy *pol, struct luart_stats *st);

#endif
