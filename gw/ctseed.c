/*
 * ctseed.c - dump the kernel's conntrack table over ctnetlink (libmnl) at start.
 * Must never read an attribute whose type and length were not checked, nor stop on a bad entry.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "addr.h"
#include "ctseed.h"

/*
 * The kernel fills a dump message up to what our receives have asked for,
 * capped at 32 KiB (netlink_recvmsg), so a receive of this size is never cut.
 */
#define DUMP_BUFSZ	32768
/* A dump that makes no progress for this long is given up: start-up must not hang. */
#define RECV_TIMEOUT_S	5

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE	136
#endif

/*
 * Index the attributes in [p, p + len) by type into tb[0..max]; types above
 * max are skipped.  Returns -1 when an attribute runs past the end.
 */
static int
attr_index(const void *p, size_t len, const struct nlattr **tb, unsigned max)
{
	const struct nlattr *attr;
	ptrdiff_t left;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_payload(p, len) {
		uint16_t type = mnl_attr_get_type(attr);

		if (type <= max)
			tb[type] = attr;
	}
	/* stopped early: bytes remain that hold no whole attribute */
	left = (const char *)p + len - (const char *)attr;
	return left > 0 ? -1 : 0;
}

/* Index the attributes inside nest; a nest must be a nest first. */
static enum ctseed_status
nest_index(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) == -1)
		return CTSEED_INVALID;
	if (attr_index(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest),
	    tb, max) == -1)
		return CTSEED_TRUNCATED;
	return CTSEED_OK;
}

static bool
valid_u8(const struct nlattr *a)
{
	return a != NULL && mnl_attr_validate(a, MNL_TYPE_U8) == 0;
}

static bool
valid_u16(const struct nlattr *a)
{
	return a != NULL && mnl_attr_validate(a, MNL_TYPE_U16) == 0;
}

static bool
valid_bin(const struct nlattr *a, size_t len)
{
	return a != NULL && mnl_attr_validate2(a, MNL_TYPE_BINARY, len) == 0;
}

/* An optional big-endian u32: absent leaves *v at 0, a wrong length fails. */
static int
opt_be32(const struct nlattr *a, uint32_t *v)
{
	*v = 0;
	if (a == NULL)
		return 0;
	if (mnl_attr_validate(a, MNL_TYPE_U32) == -1)
		return -1;
	*v = ntohl(mnl_attr_get_u32(a));
	return 0;
}

static enum ctseed_status
parse_ip(const struct nlattr *nest, int family, struct flow_key *k)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];
	enum ctseed_status s;

	if ((s = nest_index(nest, tb, CTA_IP_MAX)) != CTSEED_OK)
		return s;
	if (family == AF_INET) {
		if (!valid_bin(tb[CTA_IP_V4_SRC], 4) ||
		    !valid_bin(tb[CTA_IP_V4_DST], 4))
			return CTSEED_INVALID;
		addr_set4(&k->src, mnl_attr_get_payload(tb[CTA_IP_V4_SRC]));
		addr_set4(&k->dst, mnl_attr_get_payload(tb[CTA_IP_V4_DST]));
	} else {
		if (!valid_bin(tb[CTA_IP_V6_SRC], 16) ||
		    !valid_bin(tb[CTA_IP_V6_DST], 16))
			return CTSEED_INVALID;
		addr_set6(&k->src, mnl_attr_get_payload(tb[CTA_IP_V6_SRC]));
		addr_set6(&k->dst, mnl_attr_get_payload(tb[CTA_IP_V6_DST]));
	}
	return CTSEED_OK;
}

static bool
has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	    proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	    proto == IPPROTO_DCCP;
}

/* Echo request or reply: the only ICMP types keyed by their id (as pkt.c does). */
static bool
icmp_is_echo(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP)
		return type == 8 || type == 0;
	return type == 128 || type == 129;
}

static enum ctseed_status
parse_proto(const struct nlattr *nest, int family, struct flow_key *k)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];
	const struct nlattr *type, *id;
	enum ctseed_status s;

	if ((s = nest_index(nest, tb, CTA_PROTO_MAX)) != CTSEED_OK)
		return s;
	if (!valid_u8(tb[CTA_PROTO_NUM]))
		return CTSEED_INVALID;
	k->proto = mnl_attr_get_u8(tb[CTA_PROTO_NUM]);
	k->sport = k->dport = 0;
	if (has_ports(k->proto)) {
		if (!valid_u16(tb[CTA_PROTO_SRC_PORT]) ||
		    !valid_u16(tb[CTA_PROTO_DST_PORT]))
			return CTSEED_INVALID;
		k->sport = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_SRC_PORT]));
		k->dport = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_DST_PORT]));
	} else if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		if ((k->proto == IPPROTO_ICMP) != (family == AF_INET))
			return CTSEED_INVALID;
		if (k->proto == IPPROTO_ICMP) {
			type = tb[CTA_PROTO_ICMP_TYPE];
			id = tb[CTA_PROTO_ICMP_ID];
		} else {
			type = tb[CTA_PROTO_ICMPV6_TYPE];
			id = tb[CTA_PROTO_ICMPV6_ID];
		}
		if (!valid_u8(type) || !valid_u16(id))
			return CTSEED_INVALID;
		if (icmp_is_echo(k->proto, mnl_attr_get_u8(type)))
			k->sport = k->dport = ntohs(mnl_attr_get_u16(id));
	}
	/* other protocols (GRE, ESP, ...): no ports in the flow key */
	return CTSEED_OK;
}

static enum ctseed_status
parse_tuple(const struct nlattr *nest, int family, struct flow_key *k)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];
	enum ctseed_status s;

	if (nest == NULL)
		return CTSEED_INVALID;
	if ((s = nest_index(nest, tb, CTA_TUPLE_MAX)) != CTSEED_OK)
		return s;
	if (tb[CTA_TUPLE_IP] == NULL || tb[CTA_TUPLE_PROTO] == NULL)
		return CTSEED_INVALID;
	if ((s = parse_ip(tb[CTA_TUPLE_IP], family, k)) != CTSEED_OK)
		return s;
	return parse_proto(tb[CTA_TUPLE_PROTO], family, k);
}

/* CTA_PROTOINFO > CTA_PROTOINFO_TCP > CTA_PROTOINFO_TCP_STATE; absent is 0. */
static enum ctseed_status
parse_tcp_state(const struct nlattr *nest, uint8_t *state)
{
	const struct nlattr *pi[CTA_PROTOINFO_MAX + 1];
	const struct nlattr *tcp[CTA_PROTOINFO_TCP_MAX + 1];
	enum ctseed_status s;

	*state = 0;
	if (nest == NULL)
		return CTSEED_OK;
	if ((s = nest_index(nest, pi, CTA_PROTOINFO_MAX)) != CTSEED_OK)
		return s;
	if (pi[CTA_PROTOINFO_TCP] == NULL)
		return CTSEED_OK;
	if ((s = nest_index(pi[CTA_PROTOINFO_TCP], tcp, CTA_PROTOINFO_TCP_MAX)) !=
	    CTSEED_OK)
		return s;
	if (tcp[CTA_PROTOINFO_TCP_STATE] == NULL)
		return CTSEED_OK;
	if (!valid_u8(tcp[CTA_PROTOINFO_TCP_STATE]))
		return CTSEED_INVALID;
	*state = mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
	return CTSEED_OK;
}

/* CTA_COUNTERS_ORIG or _REPLY: packets and bytes, 64 bits each (absent: 0, not an error). */
static enum ctseed_status
parse_counters(const struct nlattr *nest, uint64_t *pkts, uint64_t *bytes, bool *have)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1];
	enum ctseed_status s;

	if (nest == NULL)
		return CTSEED_OK;
	if ((s = nest_index(nest, tb, CTA_COUNTERS_MAX)) != CTSEED_OK)
		return s;
	if (tb[CTA_COUNTERS_PACKETS] == NULL || tb[CTA_COUNTERS_BYTES] == NULL)
		return CTSEED_OK;
	if (!valid_bin(tb[CTA_COUNTERS_PACKETS], 8) || !valid_bin(tb[CTA_COUNTERS_BYTES], 8))
		return CTSEED_INVALID;
	*pkts = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	*bytes = be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
	*have = true;
	return CTSEED_OK;
}

enum ctseed_status
ctseed_parse(const struct nlmsghdr *nlh, struct ctseed_entry *e)
{
	const struct nlattr *tb[CTA_MAX + 1];
	const struct nfgenmsg *nfg;
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg));
	enum ctseed_status s;
	int family;

	memset(e, 0, sizeof(*e));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return CTSEED_TRUNCATED;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK ||
	    (NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_NEW &&
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != IPCTNL_MSG_CT_DELETE))
		return CTSEED_UNSUPPORTED;
	if (nlh->nlmsg_len < hdr)
		return CTSEED_TRUNCATED;
	nfg = mnl_nlmsg_get_payload(nlh);
	family = nfg->nfgen_family;
	if (family != AF_INET && family != AF_INET6)
		return CTSEED_UNSUPPORTED;
	if (attr_index((const char *)nlh + hdr, nlh->nlmsg_len - hdr, tb,
	    CTA_MAX) == -1)
		return CTSEED_TRUNCATED;

	if ((s = parse_tuple(tb[CTA_TUPLE_ORIG], family, &e->orig)) != CTSEED_OK ||
	    (s = parse_tuple(tb[CTA_TUPLE_REPLY], family, &e->reply)) != CTSEED_OK)
		goto fail;
	if (e->orig.proto != e->reply.proto) {
		s = CTSEED_INVALID;
		goto fail;
	}
	if (opt_be32(tb[CTA_STATUS], &e->status) == -1 ||
	    opt_be32(tb[CTA_MARK], &e->mark) == -1 ||
	    opt_be32(tb[CTA_TIMEOUT], &e->timeout) == -1) {
		s = CTSEED_INVALID;
		goto fail;
	}
	if (e->orig.proto == IPPROTO_TCP &&
	    (s = parse_tcp_state(tb[CTA_PROTOINFO], &e->tcp_state)) != CTSEED_OK)
		goto fail;
	{
		bool ho = false, hr = false;

		if ((s = parse_counters(tb[CTA_COUNTERS_ORIG], &e->pkts[FLOW_DIR_ORIG],
		    &e->bytes[FLOW_DIR_ORIG], &ho)) != CTSEED_OK ||
		    (s = parse_counters(tb[CTA_COUNTERS_REPLY], &e->pkts[FLOW_DIR_REPLY],
		    &e->bytes[FLOW_DIR_REPLY], &hr)) != CTSEED_OK)
			goto fail;
		e->has_counters = ho && hr;
	}
	e->destroyed = NFNL_MSG_TYPE(nlh->nlmsg_type) == IPCTNL_MSG_CT_DELETE;
	return CTSEED_OK;
fail:
	memset(e, 0, sizeof(*e));
	return s;
}

const char *
ctseed_status_name(enum ctseed_status s)
{
	switch (s) {
	case CTSEED_OK:			return "ok";
	case CTSEED_TRUNCATED:		return "truncated";
	case CTSEED_INVALID:		return "invalid";
	case CTSEED_UNSUPPORTED:	return "unsupported";
	}
	return "?";
}

struct dump_ctx {
	ctseed_fn		*fn;
	void			*arg;
	struct ctseed_stats	*st;
	long			 handed;
};

static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	struct ctseed_entry e;

	c->st->messages++;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->st->interrupted++;
	switch (ctseed_parse(nlh, &e)) {
	case CTSEED_OK:
		if (e.destroyed) {	/* an event, not a live entry: no seed */
			c->st->unsupported++;
			return MNL_CB_OK;
		}
		break;
	case CTSEED_UNSUPPORTED:
		c->st->unsupported++;
		return MNL_CB_OK;
	case CTSEED_TRUNCATED:
	case CTSEED_INVALID:
		c->st->malformed++;
		return MNL_CB_OK;
	}
	c->st->entries++;
	c->handed++;
	return c->fn(c->arg, &e) == -1 ? MNL_CB_STOP : MNL_CB_OK;
}

static void
dump_error(char *err, size_t errlen, int e, bool opening)
{
	const char *why;

	switch (e) {
	case EPERM:
	case EACCES:
		why = "permission denied (CAP_NET_ADMIN needed)";
		break;
	case EPROTONOSUPPORT:
	case EAFNOSUPPORT:
		why = "nfnetlink is not available in this kernel";
		break;
	case EINVAL:
	case EOPNOTSUPP:
	case ENOENT:
		/* nfnetlink answers EINVAL for a subsystem it has no module for */
		why = opening ? "cannot open a netfilter netlink socket" :
		    "ctnetlink is not available (nf_conntrack_netlink not loaded?)";
		break;
	case EAGAIN:
		snprintf(err, errlen, "conntrack: the dump stalled (no answer "
		    "within %d s)", RECV_TIMEOUT_S);
		return;
	default:
		why = NULL;
		break;
	}
	if (why != NULL)
		snprintf(err, errlen, "conntrack: %s", why);
	else
		snprintf(err, errlen, "conntrack: %s: %s",
		    opening ? "netlink socket" : "dump failed", strerror(e));
}

long
ctseed_dump(ctseed_fn *fn, void *arg, struct ctseed_stats *st, char *err,
    size_t errlen)
{
	/* uint32_t: netlink messages are read in place, 4-byte aligned */
	uint32_t req[(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg))) / 4];
	uint32_t buf[DUMP_BUFSZ / 4];
	struct timeval tv = { .tv_sec = RECV_TIMEOUT_S };
	struct ctseed_stats local;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct dump_ctx c;
	unsigned portid, seq;
	bool opening = true;
	ssize_t n;
	int ret = MNL_CB_OK;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	c = (struct dump_ctx){ .fn = fn, .arg = arg, .st = st };

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		goto fail;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1)
		goto fail;
	opening = false;
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned)time(NULL);

	memset(req, 0, sizeof(req));
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;		/* both families in one dump */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1)
		goto fail;

	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EWOULDBLOCK)
				errno = EAGAIN;
			goto fail;
		}
		/* MNL_CB_STOP: the dump is done, or fn asked to stop */
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, dump_cb, &c);
		if (ret == MNL_CB_ERROR)
			goto fail;
	} while (n == -1 || ret != MNL_CB_STOP);

	mnl_socket_close(nl);
	return c.handed;
fail:
	dump_error(err, errlen, errno, opening);
	if (nl != NULL)
		mnl_socket_close(nl);
	return -1;
}
