/*
 * frag.h - remember the decision on each first IP fragment so that the later
 * fragments of the same datagram, which carry no ports, get the same one.
 * A fixed table; it never reassembles and never allocates after frag_table_new.
 */
#ifndef OUTGATE_FRAG_H
#define OUTGATE_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* Linux's ipfrag_time: a datagram whose fragments straggle longer is gone. */
#define FRAG_TIMEOUT_US	(30ULL * 1000000)

struct frag_key {
	struct addr	src, dst;
	uint32_t	id;
	uint8_t		proto;
};

/* What the first fragment was given; the table stores it by value. */
struct frag_decision {
	uint8_t		verdict, would, dir;
	uint16_t	reason;
	int32_t		rule;
	uint64_t	flow_id;
};

struct frag_table;

struct frag_table *frag_table_new(size_t capacity);
void	frag_table_free(struct frag_table *t);
/* Remember d for the datagram k; when full, the oldest entry of its bucket goes. */
void	frag_remember(struct frag_table *t, const struct frag_key *k,
    const struct frag_decision *d, uint64_t now_us);
/* The decision of k's first fragment if seen within FRAG_TIMEOUT_US; else false. */
bool	frag_recall(struct frag_table *t, const struct frag_key *k,
    uint64_t now_us, struct frag_decision *d);

/* Call fn on the decision of every remembered datagram (a reload remaps rules). */
typedef void frag_visit_fn(struct frag_decision *d, void *arg);
void	frag_foreach(struct frag_table *t, frag_visit_fn *fn, void *arg);

#endif
