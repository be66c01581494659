/*
 * policy.h - a policy file (Lua, run once in the sandbox) checked strictly and
 * compiled into C structures that the engine matches flows against.
 */
#ifndef OUTGATE_POLICY_H
#define OUTGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "flow.h"

#define POLICY_PROTO_ANY	0	/* matches every protocol */

enum policy_mode {
	POLICY_ENFORCE = 0,
	POLICY_MONITOR,
};

struct policy_port_range {
	uint16_t	lo, hi;		/* inclusive */
};

struct policy_rule {
	char		*name;		/* from `name`, else "egress[N]" / "inbound[N]" (1-based) */
	int		line;		/* line of the rule in the policy file, 0 unknown */
	uint8_t		proto;		/* IPPROTO_TCP/UDP/ICMP/ICMPV6 or POLICY_PROTO_ANY */

	/* destination: the responder's address and port */
	struct policy_port_range *ports;	/* none = any port */
	size_t		nports;
	struct cidr	*to;		/* none = any address */
	size_t		nto;
	char		**hosts;	/* `host` names, lower-case, no trailing dot */
	size_t		nhosts;

	/* the initiator's address: `from` on inbound rules, `src` on egress rules */
	struct cidr	*from;		/* none = any */
	size_t		nfrom;

	/* subject selectors: every one given must hold */
	char		**exe;
	size_t		nexe;
	uint32_t	*uid;
	size_t		nuid;
	uint32_t	*gid;
	size_t		ngid;
	char		**cgroup;	/* path prefixes */
	size_t		ncgroup;

	char		*check;		/* name of a check function, or NULL */
	bool		private_ok;	/* `private = true`: a name may lead to a private address */
	int8_t		mode;		/* -1: the policy's; else enum policy_mode (`mode` on the rule) */
};

/* `dns = {...}`: how names are learnt and how DNS itself is policed. */
struct policy_dns {
	struct cidr	*resolvers;	/* none: any resolver an egress rule allows */
	size_t		nresolvers;
	uint32_t	min_ttl, max_ttl, grace;	/* seconds: 5, 300, 30 */
	bool		any_name;	/* queries for names no host rule names pass */
	uint16_t	*qtypes;	/* query types beyond A and AAAA */
	size_t		nqtypes;
	bool		given;		/* the policy has a `dns` table */
};

/* A uid or gid that is not known: no rule can name it (ids stop at 4294967294). */
#define POLICY_ID_NONE	UINT32_MAX

/* What is known about the owner of a flow; known == false matches no subject selector. */
struct policy_subject {
	bool		known;
	uint32_t	uid, gid;	/* POLICY_ID_NONE when unknown */
	uint32_t	pid;		/* 0 when unknown */
	const char	*exe;		/* NULL when unknown */
	const char	*cgroup;	/* NULL when unknown */
	const char	*container;	/* a container id read from cgroup, or NULL */
	const char	*mac;		/* forwarded: the sending host's link address, or NULL */
	const char	*how;		/* how it was found ("meta", ...): the log's attr */
};

/* Room for a subject's strings, so that a copy outlives what it was copied from. */
struct policy_subject_store {
	char		exe[256], cgroup[512], container[72], mac[24], how[64];
};

/*
 * *dst = *src (src NULL: unknown), its strings copied into st (cut to fit).
 * dst then lives as long as st.
 */
void	policy_subject_copy(struct policy_subject *dst,
    const struct policy_subject *src, struct policy_subject_store *st);

struct luart;
struct policy_index;

struct policy {
	char		*path;
	char		hash[17];	/* FNV-1a 64 of the file bytes, hex: `policy_hash` */
	enum policy_mode mode;
	uint8_t		unknown_egress;	/* what drops unknown egress: 1 drop, 2 reject (engine verdict codes) */
	uint8_t		on_check_error;	/* a check that fails: 0 accept, 1 drop (default), 2 reject */
	bool		tcp_midstream;	/* `tcp_midstream = "allow"`: pick up TCP flows without a SYN */
	struct cidr	*local_nets;
	size_t		nlocal;
	struct policy_rule *inbound;
	size_t		ninbound;
	struct policy_rule *egress;
	size_t		negress;
	struct luart	*lua;		/* the sandbox that holds `checks`; owned */
	struct policy_dns dns;
	size_t		nhostrules;	/* egress rules with `host` */
	uint64_t	enforce_always;	/* bit r: reason r is enforced in monitor mode too */
	struct policy_index *index;	/* the rules by address, port and name; owned */
};

/*
 * Load, validate and compile a policy file.  lua_dir is where `require`
 * finds modules.  On failure returns -1 and writes one line "FILE:LINE: message"
 * (or "FILE: message") to err.  The caller owns *out and frees it with policy_free.
 */
int	policy_load(struct policy **out, const char *path, const char *lua_dir,
    char *err, size_t errlen);
void	policy_free(struct policy *p);

/* Add a prefix to local_nets (replay's --local).  Returns 0 or -1. */
int	policy_add_local(struct policy *p, const struct cidr *c);
bool	policy_is_local(const struct policy *p, const struct addr *a);

/*
 * First rule of the list (egress when inbound == false) that allows a flow
 * whose initiator sent k, owned by s (NULL: unknown).  Rules with `host` match
 * nothing until DNS provenance exists; rules with subject selectors match only
 * a known subject.  Returns the rule's index, or -1.
 */
int	policy_match(const struct policy *p, bool inbound, const struct flow_key *k,
    const struct policy_subject *s);

/*
 * Where a rule's names stand for a flow: did its subject resolve a name the
 * rule names to the flow's responder (enum dnscache_state's order: 0 none,
 * 1 expired, 2 grace, 3 live)?  The engine answers from its DNS table.
 */
typedef int policy_names_fn(void *arg, const struct policy_rule *r,
    const struct flow_key *k);

/*
 * policy_match, with rules that name hosts: such a rule (without `to`)
 * matches when names says 2 or more.  When no rule matches, *host_state is
 * the best state names gave for a host rule that held in every other way
 * (-1 when none did), so that the caller can tell "no provenance" (0) and
 * "expired" (1) from "unknown egress".
 */
int	policy_match_names(const struct policy *p, const struct flow_key *k,
    const struct policy_subject *s, policy_names_fn *names, void *arg,
    int *host_state);

/* Whether name (lower-case, no trailing dot) matches one of r's `host` patterns. */
bool	policy_host_match(const struct policy_rule *r, const char *name);
/*
 * Whether some egress rule's `host` patterns match name (then a query for it
 * may go).  Costs one hash probe a label, however many rules and names.
 */
bool	policy_names_host(const struct policy *p, const char *name);
/* Whether the policy lets a query of type t out (A, AAAA, and dns.qtypes). */
bool	policy_qtype_ok(const struct policy *p, uint16_t t);

/*
 * Push onto the stack of p->lua the function that the `check` of rule i names
 * (rule i of egress, or of inbound when inbound == true), to be called with
 * luart_pcall.  Does not allocate.  Returns 0, or -1 when the rule has none.
 */
int	policy_push_check(const struct policy *p, bool inbound, size_t i);

#endif
