/*
 * engine.h - the path of one packet: decode result -> flow -> policy -> verdict.
 * It does not know whether a packet came from the kernel or from a capture file:
 * a source hands it a decoded packet, a direction hint and the packet's clock.
 */
#ifndef OUTGATE_ENGINE_H
#define OUTGATE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "policy.h"
#include "reason.h"

enum verdict {
	VERDICT_ACCEPT = 0,
	VERDICT_DROP = 1,
	VERDICT_REJECT = 2,
};

/* Where the source saw the packet. */
enum engine_hint {
	ENGINE_HINT_NONE = 0,	/* decide from local_nets (replay, forwarded traffic) */
	ENGINE_HINT_OUT,	/* the inside sent it (an OUTPUT hook) */
	ENGINE_HINT_IN,		/* it is for the inside (an INPUT hook) */
};

enum engine_dir {
	ENGINE_DIR_NONE = 0,	/* not known: the packet did not decode far enough */
	ENGINE_DIR_OUT,
	ENGINE_DIR_IN,
};

struct decision {
	uint8_t		verdict;	/* enum verdict, as applied */
	uint8_t		would;		/* what enforce mode applies; != verdict only in monitor */
	uint16_t	reason;		/* enum reason */
	uint8_t		dir;		/* enum engine_dir */
	bool		new_flow;	/* this packet created its flow (one record per flow) */
	bool		inspect;	/* the flow's later packets must still come here (DNS) */
	const char	*detail;	/* static text, or NULL */
	const char	*rule;		/* name of the deciding rule, or NULL; owned by the policy */
	int32_t		rule_ref;	/* the engine's handle on that rule, -1 none */
	uint64_t	flow_id;	/* 0: no flow */
	struct flow	*flow;		/* that flow, until the next engine call; NULL none */
	const struct policy_subject *subject;	/* a new flow's owner when known, until the next call */
	bool		pending;	/* accepted for now: the flow's check has not run */
	bool		checked;	/* this packet ran the flow's check (a record for the log) */
	/* what inspection completed on this packet, until the next call; NULL none */
	const char	*dns_qname;
	const char	*tls_sni;
	const char	*tls_alpn;
	const char	*http_host;
	const char	*http_method;
	/* a new outbound flow: a name its owner resolved to its destination, or NULL */
	const char	*dst_name;
};

/*
 * Who owns a new flow whose initiator sent k at now_us, or NULL when not
 * known.  The source provides it (replay: the --meta file); the engine asks
 * once per new flow.  The result must live until the next call.
 */
typedef const struct policy_subject *engine_owner_fn(void *arg,
    const struct flow_key *k, uint64_t now_us);

struct engine_opts {
	size_t		flow_capacity;	/* 0: ENGINE_DEFAULT_FLOWS */
	int		mode;		/* -1: the policy's; else enum policy_mode */
	engine_owner_fn	*owner;		/* NULL: owners are never known */
	void		*owner_arg;
	bool		inspect_all;	/* read every flow's handshake, not only checked ones (replay) */
	/* called for every flow that leaves the table, at the packet clock then (NULL: none) */
	void		(*flow_end)(void *arg, const struct flow *f, uint64_t now_us);
	void		*flow_end_arg;
	size_t		inspect_slots;	/* flows read at once; 0: INSPECT_SLOTS_DEFAULT */
};

#define ENGINE_DEFAULT_FLOWS	65536

struct engine_stats {
	uint64_t	packets;
	uint64_t	by_verdict[3];
	uint64_t	by_reason[REASON_COUNT];
	uint64_t	checks;		/* Lua checks run */
	uint64_t	check_errors;	/* of those, failed (error, budget, bad answer) */
	uint64_t	inspect_no_slot;	/* flows that needed an inspection slot and found none */
	uint64_t	dns_learnt;	/* (address, name) entries learnt from answers */
	uint64_t	dns_ignored;	/* answers the table did not take */
	uint64_t	by_verdict_reason[3][REASON_COUNT];
	size_t		flows;		/* gauges, filled by engine_get_stats */
	size_t		dns_entries;
};

struct engine;

/* The policy is borrowed: it must outlive the engine (or be swapped first). */
struct engine *engine_new(const struct policy *pol, const struct engine_opts *opts);
void	engine_free(struct engine *e);

/* Decide one packet at now_us (the packet's clock; it must not go backwards). */
void	engine_decide(struct engine *e, const struct pkt *p, enum engine_hint hint,
    uint64_t now_us, struct decision *d);

/*
 * A hint from a source that reads ahead (replay): p is the next packet to
 * decide.  Its flow's place in the table starts loading now; no decision
 * changes.
 */
void	engine_prefetch(struct engine *e, const struct pkt *p);

/*
 * The kernel holds the decision on d's flow from now on (the live gateway
 * marked its connection): the table may give its slot to any new flow.
 */
void	engine_offload(struct engine *e, const struct decision *d);

/*
 * Swap in a new policy (a reload).  Flows keep their decisions; the rule each
 * names is looked up again by name in the new policy (none if it is gone).
 * The caller frees the old policy after this returns.
 */
void	engine_set_policy(struct engine *e, const struct policy *pol);

/*
 * Put a flow that exists already (a restart: the kernel's conntrack table)
 * into the table as decided, with verdict accept or drop; offloaded when
 * the kernel holds its decision already.  Its TCP state starts established.
 * Returns 0, or -1 when there is no room or it exists.
 */
int	engine_seed(struct engine *e, const struct flow_key *k, enum flow_origin origin,
    int verdict, bool offloaded, uint64_t now_us);

void	engine_get_stats(const struct engine *e, struct engine_stats *st);
struct flow_table *engine_flows(struct engine *e);

const char *engine_verdict_name(int v);
const char *engine_reason_name(int r);
const char *engine_dir_name(int d);
/* Reverse lookups for --expect files; -1 when unknown. */
int	engine_verdict_parse(const char *s);
int	engine_reason_parse(const char *s);

#endif
