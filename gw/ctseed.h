/*
 * ctseed.h - read the kernel's conntrack table over ctnetlink, so that the flow
 * table can be seeded at start and a restart cuts no live connection.
 */
#ifndef OUTGATE_CTSEED_H
#define OUTGATE_CTSEED_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct nlmsghdr;

/*
 * One conntrack entry.  Keys are as pkt_decode would key a packet of that
 * direction: ports in host order; ICMP/ICMPv6 echo has its id in sport and
 * dport, other ICMP types and protocols without ports have 0 there.
 */
struct ctseed_entry {
	struct flow_key	orig;		/* as the initiator sent it */
	struct flow_key	reply;		/* as the reply comes (not the reversed orig under NAT) */
	uint32_t	status;		/* IPS_* bits (IPS_SEEN_REPLY, IPS_ASSURED, ...); 0 if absent */
	uint32_t	mark;		/* the connmark; 0 if absent */
	uint32_t	timeout;	/* seconds left; 0 if absent */
	uint8_t		tcp_state;	/* TCP_CONNTRACK_* as the kernel sent it; 0 if absent or not TCP */
	uint8_t		destroyed;	/* an IPCTNL_MSG_CT_DELETE (a destroy event), not an entry */
	uint8_t		has_counters;	/* the kernel counts (nf_conntrack_acct): */
	uint64_t	pkts[2], bytes[2];	/* by FLOW_DIR_*: orig, reply */
};

enum ctseed_status {
	CTSEED_OK = 0,
	CTSEED_TRUNCATED,	/* the message or an attribute runs past its end */
	CTSEED_INVALID,		/* a wrong length, a missing attribute, families that disagree */
	CTSEED_UNSUPPORTED,	/* not a conntrack entry, or neither IPv4 nor IPv6 */
};

struct ctseed_stats {
	uint64_t	messages;	/* conntrack messages received */
	uint64_t	entries;	/* parsed and handed to fn */
	uint64_t	malformed;	/* truncated or invalid: skipped */
	uint64_t	unsupported;	/* skipped */
	uint64_t	interrupted;	/* messages flagged NLM_F_DUMP_INTR: the table changed meanwhile */
};

/* Return -1 to stop the dump, 0 to go on.  e lives for this call only. */
typedef int ctseed_fn(void *arg, const struct ctseed_entry *e);

/*
 * Dump the conntrack table of the caller's network namespace, IPv4 and IPv6,
 * calling fn for each entry that parses; malformed ones are counted in st
 * (may be NULL; zeroed first) and skipped.  Needs CAP_NET_ADMIN.  Blocks at
 * most a few seconds per receive.  Returns the number of entries handed to fn
 * (up to and including the one that stopped it), or -1 with one line in err,
 * e.g. "conntrack: permission denied (CAP_NET_ADMIN needed)".
 */
long	ctseed_dump(ctseed_fn *fn, void *arg, struct ctseed_stats *st,
    char *err, size_t errlen);

/*
 * Parse one message of a conntrack dump (IPCTNL_MSG_CT_NEW), or a destroy
 * event (IPCTNL_MSG_CT_DELETE, e->destroyed set), into e, reading
 * nothing beyond nlh->nlmsg_len bytes, which must be readable (mnl_cb_run
 * checks that for each message of a receive).  e is valid only on CTSEED_OK.
 */
enum ctseed_status ctseed_parse(const struct nlmsghdr *nlh, struct ctseed_entry *e);

const char *ctseed_status_name(enum ctseed_status s);

#endif
