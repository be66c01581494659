/*
 * policy_index.h - what a loaded policy's rules are looked up by: the rules a
 * flow key can match, without walking every rule, and a query name's host rules.
 */
#ifndef OUTGATE_POLICY_INDEX_H
#define OUTGATE_POLICY_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "policy.h"

struct policy_index;

/*
 * At most two lists a prefix length (a port's and any port's) of one family,
 * and two for the rules without `to`.
 */
#define POLICY_INDEX_LISTS	(2 * (128 + 1) + 2)

/* The candidates of one lookup; the caller's (a stack variable), never shared. */
struct policy_index_iter {
	const uint32_t	*cur[POLICY_INDEX_LISTS];
	const uint32_t	*end[POLICY_INDEX_LISTS];
	size_t		n;
};

/*
 * Index the rules of both lists (built once, when the policy loads; read-only
 * after, so any number of threads may look up at once).  The rules must
 * outlive the index: it points at their host names.  NULL: out of memory.
 * The caller frees it with policy_index_free.
 */
struct policy_index *policy_index_new(const struct policy_rule *inbound,
    size_t ninbound, const struct policy_rule *egress, size_t negress);
void	policy_index_free(struct policy_index *x);

/*
 * Start a lookup of k in the inbound or egress list: the iterator yields, in
 * increasing order and once each, every rule whose proto, ports and `to` may
 * hold for k (a superset: the caller checks each in full).  Does not allocate.
 */
void	policy_index_find(const struct policy_index *x, bool inbound,
    const struct flow_key *k, struct policy_index_iter *it);
/* The next candidate's rule index, or -1 when there is none. */
long	policy_index_next(struct policy_index_iter *it);

/* Whether a `host` pattern of some egress rule matches name (lower-case, no trailing dot). */
bool	policy_index_named(const struct policy_index *x, const char *name);

/* Bytes the index holds (its tables, not the rules). */
size_t	policy_index_bytes(const struct policy_index *x);

#endif
