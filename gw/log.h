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

#define DLOG_RATE_DEFAULT	50	/* records a second per (reason, subject) */

/* path "-" is stdout.  Returns NULL with a one-line error.  The caller owns it. */
struct dlog *dlog_open(const char *path, const char *mode_name,
    const char *policy_hash, char *err, size_t errlen);
/*
 * The same records to the syslog socket sock (/dev/log), one datagram each,
 * facility daemon, level info, tagged outgate[PID].
 */
struct dlog *dlog_open_syslog(const char *sock, const char *mode_name,
    const char *policy_hash, char *err, size_t errlen);
void	dlog_close(struct dlog *l);
/*
 * Refusal records a second per (reason, subject): more are left out and
 * counted (0: no limit).  Accepts are never left out.
 */
void	dlog_set_rate(struct dlog *l, unsigned per_sec);
/* Open the file again (logrotate moved it; SIGUSR1).  0, or -1 with a one-line error. */
int	dlog_reopen(struct dlog *l, char *err, size_t errlen);
/*
 * Write the "suppressed" records of (reason, subject) pairs whose second
 * ended before now_us with records left out (call it now and then).
 */
void	dlog_tick(struct dlog *l, uint64_t now_us);
uint64_t dlog_suppressed(const struct dlog *l);
/* A flow left the table: packets and bytes each way (offloaded: the kernel carried the rest). */
struct flow;
void	dlog_flow_end(struct dlog *l, const struct flow *f, uint64_t ts_us, bool offloaded);
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
