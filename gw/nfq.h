/*
 * nfq.h - the kernel source: packets from one NFQUEUE queue in receive batches, and
 * their verdicts back, batched.  One struct nfqueue per queue and per thread.
 */
#ifndef OUTGATE_NFQ_H
#define OUTGATE_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Default copy range.  Enough for a whole 1500-byte packet and for a TLS
 * ClientHello with post-quantum key shares (about 1.8 KB) inside a GSO
 * super-packet: a packet cut short leaves a hole that no reassembly can fill.
 * Only undecided flows reach the queue, so the copy cost stays small.
 */
#define NFQUEUE_COPY_DEFAULT	4096
#define NFQUEUE_COPY_MAX	65531		/* the kernel's NFQNL_MAX_COPY_RANGE */
#define NFQUEUE_MAXLEN_DEFAULT	4096
#define NFQUEUE_RCVBUF_DEFAULT	(8 << 20)
#define NFQUEUE_BATCH_DEFAULT	128
#define NFQUEUE_BATCH_MAX	1024
/* The largest verdict message nfqueue_build_verdicts writes (verdict and mark). */
#define NFQUEUE_VERDICT_MSG_MAX	40

struct nfqueue_opts {
	uint16_t	queue;
	uint32_t	copy_range;	/* bytes of each packet copied to us; 0: NFQUEUE_COPY_DEFAULT */
	uint32_t	maxlen;		/* kernel queue length; 0: NFQUEUE_MAXLEN_DEFAULT */
	int		rcvbuf;		/* socket receive buffer; 0: NFQUEUE_RCVBUF_DEFAULT */
	unsigned	batch;		/* messages per receive batch; 0: NFQUEUE_BATCH_DEFAULT */
	bool		fail_open;	/* NFQA_CFG_F_FAIL_OPEN: the kernel accepts when the queue is full */
};

/* One queued packet.  Valid only inside the callback: data points into the receive buffer. */
struct nfqueue_pkt {
	uint32_t	 id;
	uint8_t		 hook;		/* NF_INET_LOCAL_IN, NF_INET_FORWARD, NF_INET_LOCAL_OUT, ... */
	uint16_t	 hw_protocol;	/* ETH_P_IP, ETH_P_IPV6 (host order) */
	const uint8_t	*data;		/* the network header onward; NULL when the kernel sent none */
	size_t		 caplen;	/* bytes at data */
	size_t		 wirelen;	/* the whole packet's length (more than caplen when cut) */
	uint32_t	 mark;
	bool		 has_uid, has_gid;	/* only for packets with a local socket */
	uint32_t	 uid, gid;
	uint32_t	 indev, outdev;	/* interface indexes; 0: none */
	uint8_t		 hwaddr_len;	/* the source link address (a MAC on Ethernet), */
	uint8_t		 hwaddr[8];	/* when the kernel gave one: 0 none */
	bool		 gso;		/* a GSO super-packet: IP lengths may exceed the MTU, */
					/* and the IPv4 total length may be 0 (BIG TCP) */
	bool		 csum_partial;	/* checksum not computed yet (offload): do not verify it */
};

/*
 * The callback's answer.  It starts as NF_DROP without a mark, so a callback
 * that returns early fails closed.  verdict: NF_ACCEPT, NF_DROP or NF_REPEAT
 * (anything else is counted and turned into NF_DROP).  mark is the whole new
 * value: keep the bits of p->mark that are not ours.
 */
struct nfqueue_verdict {
	uint32_t	verdict;
	bool		set_mark;
	uint32_t	mark;
};

typedef void nfqueue_fn(void *arg, const struct nfqueue_pkt *p, struct nfqueue_verdict *v);

struct nfqueue_stats {
	uint64_t	packets;	/* packet messages with an id */
	uint64_t	verdicts;	/* packets answered */
	uint64_t	verdict_msgs;	/* NFQNL_MSG_VERDICT messages (a run of one packet) */
	uint64_t	batch_msgs;	/* NFQNL_MSG_VERDICT_BATCH messages (a run of several) */
	uint64_t	sends;		/* send calls carrying verdicts */
	uint64_t	recvs;		/* receive calls that returned messages */
	uint64_t	enobufs;	/* receive overruns (NETLINK_NO_ENOBUFS is set: should stay 0) */
	uint64_t	parse_errors;	/* malformed messages; dropped when their id was readable */
	uint64_t	kernel_errors;	/* error replies from the kernel, e.g. a verdict for an unknown id */
	int		last_kernel_error;	/* its errno */
	uint64_t	bad_verdicts;	/* callback verdicts out of range, sent as NF_DROP */
	uint64_t	gso;		/* GSO super-packets */
	uint64_t	cut;		/* packets longer than the copy range */
	uint64_t	open_drops;	/* packets that arrived while binding, dropped */
	uint32_t	max_batch;	/* most packets in one receive batch */
	int		rcvbuf;		/* the socket's receive buffer as the kernel reports it */
	/* From /proc/net/netfilter/nfnetlink_queue, when our queue's line was found. */
	bool		kernel_known;
	uint32_t	queue_total;	/* waiting for a verdict now */
	uint32_t	queue_dropped;	/* dropped by the kernel: queue full */
	uint32_t	user_dropped;	/* dropped by the kernel: could not be delivered to us */
};

/*
 * Bind the queue and configure it (copy range, length, UID_GID, GSO, fail-open)
 * in one atomic request.  Returns a handle owned by the caller (nfqueue_close),
 * or NULL with one line in err.  All buffers are allocated here.
 */
struct nfqueue	*nfqueue_open(const struct nfqueue_opts *o, char *err, size_t errlen);
int		 nfqueue_fd(const struct nfqueue *q);	/* non-blocking; poll it for input */

/*
 * One receive batch: takes up to opts.batch messages that are waiting, runs fn
 * on each packet in order, then sends all verdicts in one send.  Returns the
 * packets handled, 0 when nothing was waiting, -1 with err on a fatal error
 * (then close the queue: what it held is dropped by the kernel).  A full batch
 * may leave more waiting: poll again.
 */
int	nfqueue_process(struct nfqueue *q, nfqueue_fn *fn, void *arg, char *err, size_t errlen);

/* Counters; reads /proc for the kernel's.  Call from the thread that runs nfqueue_process. */
void	nfqueue_get_stats(const struct nfqueue *q, struct nfqueue_stats *st);
void	nfqueue_close(struct nfqueue *q);	/* unbinds and frees; NULL is fine */

/* The pure parts, exposed for the tests. */

enum nfqueue_parse {
	NFQUEUE_PKT_OK,
	NFQUEUE_PKT_BAD,	/* p->id is valid, something else is malformed: drop it */
	NFQUEUE_PKT_NOID,	/* truncated or without a packet header: nothing to answer */
	NFQUEUE_PKT_OTHER,	/* a well-formed netlink message that is not a queued packet */
};

/*
 * Parse one netlink message (4-byte aligned, len bytes readable) into p.
 * Unknown attributes are skipped; a bad length is never read past.
 */
enum nfqueue_parse	nfqueue_parse_packet(const void *msg, size_t len, struct nfqueue_pkt *p);

struct nfqueue_decided {
	uint32_t		id;
	struct nfqueue_verdict	v;
};

struct nfqueue_built {
	size_t		len;		/* bytes written */
	unsigned	verdict_msgs;
	unsigned	batch_msgs;
};

/*
 * Write the verdict messages for n packets given in id order: each run of the
 * same verdict and the same mark action becomes one message carrying the run's
 * last id (NFQNL_MSG_VERDICT_BATCH, or NFQNL_MSG_VERDICT for a run of one).
 * A drop carries no mark.  Needs n * NFQUEUE_VERDICT_MSG_MAX bytes at most;
 * returns 0, or -1 when buf is too small.
 */
int	nfqueue_build_verdicts(void *buf, size_t buflen, uint16_t queue,
    const struct nfqueue_decided *d, size_t n, struct nfqueue_built *out);

#endif
