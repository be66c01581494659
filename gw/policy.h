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

struct luart;

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
 * Push onto the stack of p->lua the function that the `check` of rule i names
 * (rule i of egress, or of inbound when inbound == true), to be called with
 * luart_pcall.  Does not allocate.  Returns 0, or -1 when the rule has none.
 */
int	policy_push_check(const struct policy *p, bool inbound, size_t i);

#endif
