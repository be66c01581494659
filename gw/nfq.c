/*
 * nfq.c - NFQUEUE source: libmnl socket, one receive batch at a time, verdicts batched.
 * Must never allocate per packet, read an attribute before checking its length, or
 * answer a packet before the callback has decided it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "diag.h"
#include "nfq.h"

/* Room in each receive slot beyond the copied bytes: netlink header and attributes. */
#define SLOT_OVERHEAD		1024
#define OPEN_TIMEOUT_MS		2000
#define SEND_RETRIES		3
#define PROC_QUEUES		"/proc/net/netfilter/nfnetlink_queue"

#define VERDICT_MSG_LEN	(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)) + \
	MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)) + \
	MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(uint32_t)))
_Static_assert(VERDICT_MSG_LEN == NFQUEUE_VERDICT_MSG_MAX, "NFQUEUE_VERDICT_MSG_MAX is stale");

/* 7 bytes on the wire: be32 id, be16 hw_protocol, u8 hook */
#define PACKET_HDR_LEN		7

struct nfqueue {
	struct mnl_socket	*nl;
	uint16_t		 queue;
	uint32_t		 portid;
	uint32_t		 seq;
	bool			 bound;
	unsigned		 nslots;
	size_t			 slotlen;
	uint8_t			*rbuf;		/* nslots * slotlen */
	struct mmsghdr		*msgs;
	struct iovec		*iov;
	struct nfqueue_decided	*dec;		/* nslots: decided, not yet sent */
	size_t			 ndec;
	uint8_t			*sbuf;		/* nslots * NFQUEUE_VERDICT_MSG_MAX */
	size_t			 sbuflen;
	struct nfqueue_stats	 st;
};

static uint32_t
be32_at(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return ntohl(v);
}

static uint16_t
be16_at(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return ntohs(v);
}

/* A u32 attribute: exactly four bytes of payload. */
static int
attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_get_payload_len(a) != sizeof(uint32_t))
		return -1;
	*v = be32_at(mnl_attr_get_payload(a));
	return 0;
}

enum nfqueue_parse
nfqueue_parse_packet(const void *msg, size_t len, struct nfqueue_pkt *p)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *a;
	const uint8_t *pl;
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));
	int rem;
	bool have_hdr = false, have_cap = false, bad = false;
	uint32_t cap = 0, info = 0;

	memset(p, 0, sizeof(*p));
	if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
		return NFQUEUE_PKT_NOID;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return NFQUEUE_PKT_OTHER;
	if (nlh->nlmsg_len < off)
		return NFQUEUE_PKT_NOID;

	/* Walk the attributes ourselves: mnl_attr_parse stops silently at a cut one. */
	rem = (int)(nlh->nlmsg_len - off);
	for (a = (const struct nlattr *)((const uint8_t *)msg + off);
	    mnl_attr_ok(a, rem); a = mnl_attr_next(a)) {
		uint16_t plen = mnl_attr_get_payload_len(a);
		uint32_t u;

		rem -= (int)MNL_ALIGN(a->nla_len);
		pl = mnl_attr_get_payload(a);
		switch (mnl_attr_get_type(a)) {
		case NFQA_PACKET_HDR:
			if (plen < PACKET_HDR_LEN) {
				bad = true;
				break;
			}
			p->id = be32_at(pl);
			p->hw_protocol = be16_at(pl + 4);
			p->hook = pl[6];
			have_hdr = true;
			break;
		case NFQA_PAYLOAD:
			p->data = pl;
			p->caplen = plen;
			break;
		case NFQA_MARK:
			if (attr_u32(a, &p->mark) < 0)
				bad = true;
			break;
		case NFQA_IFINDEX_INDEV:
			if (attr_u32(a, &p->indev) < 0)
				bad = true;
			break;
		case NFQA_IFINDEX_OUTDEV:
			if (attr_u32(a, &p->outdev) < 0)
				bad = true;
			break;
		case NFQA_UID:
			if (attr_u32(a, &p->uid) < 0)
				bad = true;
			else
				p->has_uid = true;
			break;
		case NFQA_GID:
			if (attr_u32(a, &p->gid) < 0)
				bad = true;
			else
				p->has_gid = true;
			break;
		case NFQA_HWADDR:
			/* struct nfqnl_msg_packet_hw: be16 length, 2 pad, 8 bytes */
			if (plen < 12 || be16_at(pl) > 8)
				bad = true;
			else {
				p->hwaddr_len = (uint8_t)be16_at(pl);
				memcpy(p->hwaddr, pl + 4, p->hwaddr_len);
			}
			break;
		case NFQA_CAP_LEN:
			if (attr_u32(a, &cap) < 0)
				bad = true;
			else
				have_cap = true;
			break;
		case NFQA_SKB_INFO:
			if (attr_u32(a, &u) < 0)
				bad = true;
			else
				info = u;
			break;
		default:	/* timestamps, VLAN, ...: not ours to read */
			break;
		}
	}
	/* The last attribute may lack its padding; anything else left over is a cut one. */
	if (rem < 0 ? rem <= -MNL_ALIGNTO : rem != 0)
		bad = true;
	if (!have_hdr)
		return NFQUEUE_PKT_NOID;

	p->gso = (info & NFQA_SKB_GSO) != 0;
	p->csum_partial = (info & NFQA_SKB_CSUMNOTREADY) != 0;
	p->wirelen = p->caplen;
	if (have_cap) {
		if (cap < p->caplen)
			bad = true;
		else
			p->wirelen = cap;
	}
	if (bad) {
		/* id, hook and protocol are good; nothing else may be trusted */
		uint32_t id = p->id;
		uint16_t proto = p->hw_protocol;
		uint8_t hook = p->hook;

		memset(p, 0, sizeof(*p));
		p->id = id;
		p->hw_protocol = proto;
		p->hook = hook;
		return NFQUEUE_PKT_BAD;
	}
	return NFQUEUE_PKT_OK;
}

static bool
same_action(const struct nfqueue_verdict *a, const struct nfqueue_verdict *b)
{
	if (a->verdict != b->verdict)
		return false;
	if (a->verdict == NF_DROP)
		return true;	/* a dropped packet's mark is never seen */
	if (a->set_mark != b->set_mark)
		return false;
	return !a->set_mark || a->mark == b->mark;
}

int
nfqueue_build_verdicts(void *buf, size_t buflen, uint16_t queue,
    const struct nfqueue_decided *d, size_t n, struct nfqueue_built *out)
{
	size_t i = 0, j;

	memset(out, 0, sizeof(*out));
	while (i < n) {
		struct nlmsghdr *nlh;
		bool batch;

		for (j = i; j + 1 < n && same_action(&d[j + 1].v, &d[i].v); j++)
			;
		if (buflen - out->len < VERDICT_MSG_LEN)
			return -1;
		batch = j > i;
		nlh = nfq_nlmsg_put((char *)buf + out->len,
		    batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT, queue);
		nfq_nlmsg_verdict_put(nlh, (int)d[j].id, (int)d[i].v.verdict);
		if (d[i].v.set_mark && d[i].v.verdict != NF_DROP)
			nfq_nlmsg_verdict_put_mark(nlh, d[i].v.mark);
		out->len += nlh->nlmsg_len;
		if (batch)
			out->batch_msgs++;
		else
			out->verdict_msgs++;
		i = j + 1;
	}
	return 0;
}

/* Send len bytes of verdict messages; the kernel takes a send whole or not at all. */
static int
send_all(struct nfqueue *q, const void *buf, size_t len)
{
	int tries;

	for (tries = 0; tries <= SEND_RETRIES; tries++) {
		if (mnl_socket_sendto(q->nl, buf, len) >= 0)
			return 0;
		if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS)
			return -1;
	}
	return -1;
}

static int
flush_verdicts(struct nfqueue *q, char *err, size_t errlen)
{
	struct nfqueue_built b;

	if (q->ndec == 0)
		return 0;
	if (nfqueue_build_verdicts(q->sbuf, q->sbuflen, q->queue, q->dec, q->ndec, &b) < 0) {
		diag_seterr(err, errlen, "queue %u: verdict buffer too small", q->queue);
		return -1;
	}
	if (send_all(q, q->sbuf, b.len) < 0) {
		diag_seterr(err, errlen, "queue %u: send verdicts: %s", q->queue, strerror(errno));
		return -1;
	}
	q->st.sends++;
	q->st.verdicts += q->ndec;
	q->st.verdict_msgs += b.verdict_msgs;
	q->st.batch_msgs += b.batch_msgs;
	q->ndec = 0;
	return 0;
}

static int
add_verdict(struct nfqueue *q, uint32_t id, const struct nfqueue_verdict *v,
    char *err, size_t errlen)
{
	if (q->ndec == q->nslots && flush_verdicts(q, err, errlen) < 0)
		return -1;
	q->dec[q->ndec].id = id;
	q->dec[q->ndec].v = *v;
	q->ndec++;
	return 0;
}

static void
note_error(struct nfqueue *q, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e)) {
		q->st.parse_errors++;
		return;
	}
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error != 0) {
		q->st.kernel_errors++;
		q->st.last_kernel_error = -e->error;
	}
}

static bool
verdict_ok(uint32_t v)
{
	return v == NF_ACCEPT || v == NF_DROP || v == NF_REPEAT;
}

/* Every netlink message in one datagram; returns packets handled or -1. */
static int
handle_datagram(struct nfqueue *q, const uint8_t *buf, size_t len,
    nfqueue_fn *fn, void *arg, char *err, size_t errlen)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rem = (int)len, handled = 0;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nfqueue_pkt p;
		struct nfqueue_verdict v = { .verdict = NF_DROP };

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			note_error(q, nlh);
			continue;
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)	/* NOOP, DONE, OVERRUN */
			continue;
		switch (nfqueue_parse_packet(nlh, (size_t)rem, &p)) {
		case NFQUEUE_PKT_OK:
			q->st.packets++;
			if (p.gso)
				q->st.gso++;
			if (p.wirelen > p.caplen)
				q->st.cut++;
			fn(arg, &p, &v);
			if (!verdict_ok(v.verdict)) {
				q->st.bad_verdicts++;
				v.verdict = NF_DROP;
			}
			break;
		case NFQUEUE_PKT_BAD:
			q->st.packets++;
			q->st.parse_errors++;
			break;
		case NFQUEUE_PKT_NOID:
			/*
			 * No id to answer, and a later batch verdict would sweep it
			 * along, perhaps as an accept.  The kernel never sends such a
			 * message; if it ever does, stop (the rules stay: fail-closed).
			 */
			q->st.parse_errors++;
			diag_seterr(err, errlen, "queue %u: a packet message without an id; "
			    "stopping rather than risk a batch verdict on it", q->queue);
			return -1;
		case NFQUEUE_PKT_OTHER:
			continue;
		}
		if (add_verdict(q, p.id, &v, err, errlen) < 0)
			return -1;
		handled++;
	}
	if (rem > 0 || rem <= -MNL_ALIGNTO)	/* a cut message at the end of the datagram */
		q->st.parse_errors++;
	return handled;
}

int
nfqueue_process(struct nfqueue *q, nfqueue_fn *fn, void *arg, char *err, size_t errlen)
{
	int n, i, r, handled = 0;

	n = recvmmsg(mnl_socket_get_fd(q->nl), q->msgs, q->nslots, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == ENOBUFS) {
			q->st.enobufs++;
			return 0;
		}
		diag_seterr(err, errlen, "queue %u: receive: %s", q->queue, strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	q->st.recvs++;
	for (i = 0; i < n; i++) {
		size_t len = q->msgs[i].msg_len;

		if (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			/*
			 * Bigger than a slot, which our copy range rules out: the
			 * packets cut off could not be answered one by one, and a
			 * batch verdict might accept them.  Stop (fail-closed).
			 */
			q->st.parse_errors++;
			diag_seterr(err, errlen, "queue %u: a message larger than the "
			    "receive slot (%zu bytes)", q->queue, q->slotlen);
			return -1;
		}
		if (len > q->slotlen)
			len = q->slotlen;
		r = handle_datagram(q, q->rbuf + (size_t)i * q->slotlen, len, fn, arg, err, errlen);
		if (r < 0)
			return -1;
		handled += r;
	}
	if (flush_verdicts(q, err, errlen) < 0)
		return -1;
	if ((uint32_t)handled > q->st.max_batch)
		q->st.max_batch = (uint32_t)handled;
	return handled;
}

/* Wait for the kernel's answer to request seq; packets arriving meanwhile are dropped. */
static int
wait_ack(struct nfqueue *q, uint32_t seq, int *kerr)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(q->nl), .events = POLLIN };
	struct timespec t0, t1;
	long waited = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (waited < OPEN_TIMEOUT_MS) {
		const struct nlmsghdr *nlh;
		ssize_t got;
		int rem;

		if (poll(&pfd, 1, (int)(OPEN_TIMEOUT_MS - waited)) < 0 && errno != EINTR)
			return -1;
		got = recv(pfd.fd, q->rbuf, q->slotlen, MSG_DONTWAIT);
		if (got < 0 && errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
			return -1;
		rem = got > 0 ? (int)got : 0;
		for (nlh = (const struct nlmsghdr *)q->rbuf; mnl_nlmsg_ok(nlh, rem);
		    nlh = mnl_nlmsg_next(nlh, &rem)) {
			struct nfqueue_pkt p;
			enum nfqueue_parse r;

			if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq == seq) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
					return -1;
				*kerr = -e->error;
				return 0;
			}
			r = nfqueue_parse_packet(nlh, (size_t)rem, &p);
			if (r == NFQUEUE_PKT_OK || r == NFQUEUE_PKT_BAD) {
				/* queued before our settings took hold: fail closed */
				struct nfqueue_verdict v = { .verdict = NF_DROP };

				q->st.open_drops++;
				q->ndec = 0;
				if (add_verdict(q, p.id, &v, NULL, 0) < 0 ||
				    flush_verdicts(q, NULL, 0) < 0)
					return -1;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		waited = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	}
	errno = ETIMEDOUT;
	return -1;
}

static int
set_rcvbuf(struct nfqueue *q, int bytes)
{
	int fd = mnl_socket_get_fd(q->nl);
	socklen_t sl = sizeof(q->st.rcvbuf);

	/* FORCE passes rmem_max when we hold CAP_NET_ADMIN */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &q->st.rcvbuf, &sl) < 0)
		q->st.rcvbuf = 0;
	return 0;
}

/* Whether this thread holds CAP_NET_ADMIN: tells a taken queue from a missing right. */
static bool
has_net_admin(void)
{
	char line[128];
	unsigned long long caps = 0;
	bool found = false;
	FILE *f;

	if ((f = fopen("/proc/self/status", "re")) == NULL)
		return true;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = sscanf(line, "CapEff: %llx", &caps) == 1;
	fclose(f);
	return !found || (caps & (1ULL << 12)) != 0;	/* CAP_NET_ADMIN */
}

static const char *
bind_error(int e)
{
	switch (e) {
	case EPERM:
		return has_net_admin() ? "bound by another program" : "no CAP_NET_ADMIN";
	case EBUSY:
		return "already bound by this socket";
	case EOPNOTSUPP:
		return "the kernel refused the queue flags";
	default:
		return strerror(e);
	}
}

struct nfqueue *
nfqueue_open(const struct nfqueue_opts *o, char *err, size_t errlen)
{
	struct nfqueue *q;
	struct nlmsghdr *nlh;
	uint32_t copy = o->copy_range ? o->copy_range : NFQUEUE_COPY_DEFAULT;
	uint32_t maxlen = o->maxlen ? o->maxlen : NFQUEUE_MAXLEN_DEFAULT;
	uint32_t flags = NFQA_CFG_F_GSO | NFQA_CFG_F_UID_GID;
	int rcvbuf = o->rcvbuf > 0 ? o->rcvbuf : NFQUEUE_RCVBUF_DEFAULT;
	int one = 1, kerr = 0, saved;
	unsigned i;

	if (copy > NFQUEUE_COPY_MAX || (o->batch > NFQUEUE_BATCH_MAX)) {
		diag_seterr(err, errlen, "queue %u: copy range at most %u, batch at most %u",
		    o->queue, NFQUEUE_COPY_MAX, NFQUEUE_BATCH_MAX);
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL)
		goto nomem;
	q->queue = o->queue;
	q->nslots = o->batch ? o->batch : NFQUEUE_BATCH_DEFAULT;
	q->slotlen = MNL_ALIGN(copy) + SLOT_OVERHEAD;
	/* verdicts, and also the config and unbind requests built in it */
	q->sbuflen = (size_t)q->nslots * NFQUEUE_VERDICT_MSG_MAX;
	if (q->sbuflen < 256)
		q->sbuflen = 256;
	q->rbuf = malloc((size_t)q->nslots * q->slotlen);
	q->msgs = calloc(q->nslots, sizeof(*q->msgs));
	q->iov = calloc(q->nslots, sizeof(*q->iov));
	q->dec = calloc(q->nslots, sizeof(*q->dec));
	q->sbuf = malloc(q->sbuflen);
	if (q->rbuf == NULL || q->msgs == NULL || q->iov == NULL || q->dec == NULL ||
	    q->sbuf == NULL)
		goto nomem;
	for (i = 0; i < q->nslots; i++) {
		q->iov[i].iov_base = q->rbuf + (size_t)i * q->slotlen;
		q->iov[i].iov_len = q->slotlen;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}

	if ((q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC)) == NULL) {
		diag_seterr(err, errlen, "queue %u: netlink socket: %s", o->queue, strerror(errno));
		goto fail;
	}
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		diag_seterr(err, errlen, "queue %u: netlink bind: %s", o->queue, strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	if (set_rcvbuf(q, rcvbuf) < 0) {
		diag_seterr(err, errlen, "queue %u: receive buffer: %s", o->queue, strerror(errno));
		goto fail;
	}
	/* the kernel counts what it could not deliver (user_dropped) instead of failing us */
	if (mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one)) < 0) {
		diag_seterr(err, errlen, "queue %u: NETLINK_NO_ENOBUFS: %s", o->queue, strerror(errno));
		goto fail;
	}

	/* Bind and every setting in one request: the kernel applies it whole or not at all. */
	if (o->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	q->seq = (uint32_t)time(NULL);
	nlh = nfq_nlmsg_put((char *)q->sbuf, NFQNL_MSG_CONFIG, o->queue);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = q->seq;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)copy);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_UID_GID |
	    NFQA_CFG_F_FAIL_OPEN));
	if (send_all(q, nlh, nlh->nlmsg_len) < 0) {
		diag_seterr(err, errlen, "queue %u: send bind: %s", o->queue, strerror(errno));
		goto fail;
	}
	if (wait_ack(q, q->seq, &kerr) < 0) {
		diag_seterr(err, errlen, "queue %u: bind: no answer: %s", o->queue, strerror(errno));
		goto fail;
	}
	if (kerr != 0) {
		diag_seterr(err, errlen, "queue %u: bind: %s (%s)", o->queue, bind_error(kerr),
		    strerror(kerr));
		goto fail;
	}
	q->bound = true;
	return q;

nomem:
	diag_seterr(err, errlen, "queue %u: out of memory", o->queue);
fail:
	saved = errno;
	nfqueue_close(q);
	errno = saved;
	return NULL;
}

int
nfqueue_fd(const struct nfqueue *q)
{
	return mnl_socket_get_fd(q->nl);
}

static void
read_kernel_stats(const struct nfqueue *q, struct nfqueue_stats *st)
{
	char line[256];
	FILE *f;

	if ((f = fopen(PROC_QUEUES, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned num, portid, total, mode, range, qdrop, udrop, idseq;

		if (sscanf(line, "%u %u %u %u %u %u %u %u", &num, &portid, &total, &mode,
		    &range, &qdrop, &udrop, &idseq) != 8)
			continue;
		if (num != q->queue || portid != q->portid)
			continue;
		st->kernel_known = true;
		st->queue_total = total;
		st->queue_dropped = qdrop;
		st->user_dropped = udrop;
		break;
	}
	fclose(f);
}

void
nfqueue_get_stats(const struct nfqueue *q, struct nfqueue_stats *st)
{
	*st = q->st;
	st->kernel_known = false;
	read_kernel_stats(q, st);
}

void
nfqueue_close(struct nfqueue *q)
{
	if (q == NULL)
		return;
	if (q->nl != NULL) {
		if (q->bound) {
			struct nlmsghdr *nlh = nfq_nlmsg_put((char *)q->sbuf, NFQNL_MSG_CONFIG,
			    q->queue);

			nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
			(void)mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		}
		mnl_socket_close(q->nl);	/* closing unbinds too */
	}
	free(q->rbuf);
	free(q->msgs);
	free(q->iov);
	free(q->dec);
	free(q->sbuf);
	free(q);
}
