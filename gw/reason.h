/*
 * reason.h - the reason codes of decisions: stable names that scripts, SIEMs
 * and expect files rely on.  Shared by the engine, which gives them, and the
 * policy, which may name them (`enforce_always`).
 */
#ifndef OUTGATE_REASON_H
#define OUTGATE_REASON_H

enum reason {
	REASON_ALLOWED = 0,
	REASON_ESTABLISHED,
	REASON_RELATED,
	REASON_NDP,
	REASON_NOT_IP,
	REASON_UNKNOWN_EGRESS,
	REASON_UNSOLICITED_INBOUND,
	REASON_MIDSTREAM,
	REASON_UNRELATED_ICMP,
	REASON_ORPHAN_FRAGMENT,
	REASON_MALFORMED,
	REASON_FLOW_TABLE_FULL,
	REASON_CHECK_ERROR,
	REASON_CHECK,			/* a Lua check said no; its reason in detail */
	REASON_TCP_OVERLAP,		/* a segment that rewrites bytes already seen */
	REASON_HTTP_DUPLICATE_HOST,	/* HTTP heads that servers may read differently */
	REASON_HTTP_OBS_FOLD,
	REASON_HTTP_BAD_HOST,
	REASON_HTTP_SPACE_BEFORE_COLON,
	REASON_HTTP_HOST_MISMATCH,
	REASON_NO_DNS_PROVENANCE,	/* a host rule held, but the owner never resolved its names to this address */
	REASON_DNS_EXPIRED,		/* it did, but the answer's TTL (and grace) passed */
	REASON_DNS_DENIED,		/* a query to a resolver, for a name or of a type the policy does not allow */
	REASON_SNI_MISMATCH,		/* allowed by name, but the ClientHello names another */
	REASON_HOST_MISMATCH,		/* allowed by name, but the HTTP Host is another */
	REASON_PRIVATE_ADDRESS,		/* a name led to a private, loopback or link-local address */
	REASON_COUNT
};

/* The name of r, or "?". */
const char *reason_name(int r);
/* The code of a name, or -1. */
int	reason_parse(const char *s);

#endif
