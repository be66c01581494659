/*
 * ctevents.h - the kernel's conntrack destroy events: when a connection the
 * kernel carried on ends, with its packet and byte counts each way (when
 * nf_conntrack_acct is on), so that a flow the gateway offloaded ends with
 * its real totals and at its real end.
 */
#ifndef OUTGATE_CTEVENTS_H
#define OUTGATE_CTEVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "ctseed.h"

struct ctevents;

struct ctevents_stats {
	uint64_t	events;		/* destroy events parsed and handed on */
	uint64_t	malformed;	/* messages that did not parse */
	uint64_t	lost;		/* receive overruns (ENOBUFS): events the kernel dropped */
};

/*
 * Subscribe to the destroy events of the caller's network namespace (needs
 * CAP_NET_ADMIN), on a non-blocking socket.  NULL with a one-line error.
 */
struct ctevents *ctevents_open(char *err, size_t errlen);
void	ctevents_close(struct ctevents *ev);
int	ctevents_fd(const struct ctevents *ev);

/*
 * Read every event waiting, calling fn for each one that parses (the
 * entry has destroyed set; counters when the kernel counts).  Never
 * blocks.  Returns how many were handed to fn.
 */
long	ctevents_read(struct ctevents *ev, ctseed_fn *fn, void *arg);
void	ctevents_get_stats(const struct ctevents *ev, struct ctevents_stats *st);

/*
 * Turn on the kernel's per-connection counters in the caller's network
 * namespace (net.netfilter.nf_conntrack_acct), for connections made from
 * now on.  0 when they are on (they already were, or now are), -1 with a
 * one-line error (not root, no conntrack).
 */
int	ctevents_enable_counters(char *err, size_t errlen);

#endif
