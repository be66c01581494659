/*
 * log.h - the decision log: one JSON line per flow decision, for people and
 * SIEMs.  Diagnostics go to diag.h instead.
 */
#ifndef OUTGATE_LOG_H
#define OUTGATE_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "pkt.h"

struct dlog;

/* What the source knows beyond the packet. */
struct dlog_ctx {
	uint64_t	ts_us;		/* wall clock (live) or capture clock (replay) */
	uint64_t	pcap_frame;	/* replay: the frame number; 0 live */
	bool		has_uid, has_gid;
	uint32_t	uid, gid;
	const char	*mode;		/* of the policy that decided; NULL: the log's own */
	const char	*policy_hash;	/* likewise */
};

/* path "-" is stdout.  Returns NULL with a one-line error.  The caller owns it. */
struct dlog *dlog_open(const char *path, const char *mode_name,
    const char *policy_hash, char *err, size_t errlen);
void	dlog_close(struct dlog *l);
/*
 * Write the record of a decision when it is one: the first packet of a flow,
 * or a packet decided without a flow (a drop of unsolicited inbound, a
 * malformed packet).  Later packets of a flow write nothing.
 */
void	dlog_decision(struct dlog *l, const struct pkt *p, const struct decision *d,
    const struct dlog_ctx *c);
/* The packet's protocol, addresses and ports as JSON fields (shared with replay). */
struct jbuf;
void	dlog_put_packet(struct jbuf *j, const struct pkt *p);
/* What inspection completed on the packet: dns_qname, tls_sni, tls_alpn, http_host, http_method. */
void	dlog_put_inspect(struct jbuf *j, const struct decision *d);
/* Push what is buffered to the file (once per receive batch). */
void	dlog_flush(struct dlog *l);
uint64_t dlog_errors(const struct dlog *l);

#endif
