/*
 * meta.h - the owners of replayed flows, from a --meta file (format in
 * pcap-tests/README.md): parsed and checked whole at load; lookups never allocate.
 */
#ifndef OUTGATE_META_H
#define OUTGATE_META_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "policy.h"

#define META_LINE_MAX	8192		/* bytes of one line, without its newline */
#define META_MAX	1000000		/* owner lines in one file */
#define META_ID_NONE	POLICY_ID_NONE	/* uid/gid not given: no rule names it */

/* One owner line as loaded. */
struct meta_owner {
	struct policy_subject subject;	/* known = true; uid/gid META_ID_NONE and
					   exe/cgroup NULL for what the line omits */
	uint32_t	pid;		/* 0 when the line gives none */
	int		line;		/* its line in the file */
};

struct meta;

/*
 * Load and check a whole file.  On failure returns NULL and writes one line
 * "FILE:LINE: message" (or "FILE: message") to err.  The caller owns the result.
 */
struct meta *meta_load(const char *path, char *err, size_t errlen);
void	meta_free(struct meta *m);

/*
 * The owner of a flow whose first packet (initiator -> responder) is k, sent
 * at t_us (microseconds since the epoch): the first line of the file that
 * matches it, in either orientation; NULL when none does.  The result and its
 * strings live as long as m.
 */
const struct meta_owner *meta_find(const struct meta *m, const struct flow_key *k,
    uint64_t t_us);
/* The same, as the policy sees it. */
const struct policy_subject *meta_lookup(const struct meta *m,
    const struct flow_key *k, uint64_t t_us);

/* Number of owner lines loaded. */
size_t	meta_count(const struct meta *m);

#endif
