/*
 * inspect.h - the first bytes of a flow: the client's TCP bytes reassembled
 * in a bounded buffer, then the TLS, HTTP and DNS dissectors; what they find
 * is kept with the flow for its Lua check and its log record.  A flow holds a
 * slot only while its handshake is being read; nothing is allocated per packet.
 */
#ifndef OUTGATE_INSPECT_H
#define OUTGATE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "flow.h"
#include "pkt.h"
#include "policy.h"

#define INSPECT_SLOTS_DEFAULT	1024
#define INSPECT_PAYLOAD_MAX	256	/* client bytes a check may see */
#define INSPECT_ALPN_BUF	128	/* the ALPN ids joined by "," */

enum inspect_proto {
	INSPECT_UNKNOWN = 0,	/* no client bytes yet */
	INSPECT_TLS,
	INSPECT_HTTP,
	INSPECT_DNS,
	INSPECT_QUIC,		/* UDP 443: marked, not decrypted */
	INSPECT_ICMP,		/* an ICMP or ICMPv6 message (an echo request) */
	INSPECT_OTHER,		/* none of those */
};

enum inspect_state {
	INSPECT_MORE = 0,	/* the handshake is not complete yet */
	INSPECT_READY,		/* read as far as it goes: a check may run now */
	INSPECT_EVASION,	/* bytes meant to fool one side: detail says which */
};

/* What one packet gave. */
struct inspect_result {
	enum inspect_state state;
	const char	*evasion;	/* EVASION: "tcp_overlap" or an HTTP anomaly name */
	const char	*detail;	/* static text, or NULL */
	/* fields this packet completed; NULL when it did not (owned by the inspector) */
	const char	*dns_qname;
	const char	*tls_sni;
	const char	*tls_alpn;
	const char	*http_host;
	const char	*http_method;
	const struct dns_msg *dns;	/* the DNS message this packet held, or NULL */
	bool		dns_split;	/* DNS over TCP not read: no whole message at the segment's start */
};

/*
 * All a flow's inspection knows, for its check's ctx.  Names lower-cased.
 * The text buffers come last: a slot opened for a new flow clears what is
 * before them and only their first bytes (1.4 KiB a flow otherwise); what
 * follows a buffer's NUL, or versions[] past nversions, is not to be read.
 */
struct inspect_info {
	enum inspect_proto proto;
	bool		tls;		/* a ClientHello was read */
	const char	*tls_error;	/* TLS, but its ClientHello could not be read: why */
	size_t		nversions;	/* entries in versions[] */
	uint16_t	max_version;
	bool		ech;
	bool		http;		/* a request head was read */
	uint8_t		http_major, http_minor;
	const struct dns_msg *dns;	/* the last DNS message read, or NULL (valid until the next call) */
	uint8_t		icmp_type, icmp_code;	/* INSPECT_ICMP: the message read */
	uint16_t	icmp_id, icmp_seq;	/* echo only */
	uint16_t	icmp_len;	/* its data's length (payload: the first bytes) */
	const uint8_t	*payload;	/* the client's first bytes */
	size_t		payload_len;
	struct policy_subject subject;	/* the owner at the flow's start */
	/* text and lists: see above */
	char		sni[256];	/* "" when none */
	char		alpn[INSPECT_ALPN_BUF];
	char		method[24];
	char		target[512];
	char		host[256];	/* lower-case, port taken off; "" when none */
	uint16_t	versions[16];
};

struct inspect_stats {
	uint64_t	opened;
	uint64_t	no_slot;	/* flows that found every slot taken */
	uint64_t	watch_skipped;	/* flows left unread to keep slots for checks */
	uint64_t	tls, http, dns, quic, other;
	uint64_t	overlaps;	/* tcp_overlap */
	uint64_t	anomalies;	/* HTTP anomalies that count as evasions */
	uint64_t	truncated;	/* buffer full before the handshake ended */
	size_t		in_use;
};

struct inspector;

/* slots 0: INSPECT_SLOTS_DEFAULT.  NULL on allocation failure. */
struct inspector *inspector_new(size_t slots);
void	inspector_free(struct inspector *in);

/*
 * Begin inspecting f (its first packet, p, was just seen): a slot, with a
 * copy of the owner s (may be NULL).  0, or -1 when no slot is free.
 */
int	inspector_open(struct inspector *in, struct flow *f, const struct pkt *p,
    const struct policy_subject *s);
/*
 * The same for a flow read only to be shown (replay): it may take a slot
 * only while half the slots or more are free, so that flows whose check
 * needs one always find it.
 */
int	inspector_open_watch(struct inspector *in, struct flow *f, const struct pkt *p);
/* Give f's slot back (the flow is decided or gone).  f may have none. */
void	inspector_close(struct inspector *in, const struct flow *f);

/*
 * Feed one packet of f going way fdir (f may be NULL: a DNS packet is read
 * alone).  Fills r.  For a flow with a slot, READY and EVASION are final:
 * later calls give the same state.
 */
void	inspector_packet(struct inspector *in, struct flow *f, int fdir,
    const struct pkt *p, struct inspect_result *r);

/*
 * A client segment of a flow whose check has run: 1 when it rewrites bytes
 * already read (the check saw other bytes than the server gets), else 0.
 */
int	inspector_recheck(struct inspector *in, const struct flow *f, const struct pkt *p);

/* What f's slot holds (NULL when f has none). */
const struct inspect_info *inspector_info(struct inspector *in, const struct flow *f);

void	inspector_get_stats(const struct inspector *in, struct inspect_stats *st);

#endif
