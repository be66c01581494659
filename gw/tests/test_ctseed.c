/* test_ctseed.c - parsing conntrack dump messages built by hand; malformed ones skipped, never read past. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "addr.h"
#include "ctseed.h"

/* What a test message holds; the knobs break one thing each. */
struct spec {
	int		family;
	uint8_t		proto;
	const char	*src, *dst;		/* orig; the reply is reversed, or these under NAT */
	const char	*rsrc, *rdst;		/* NULL: reversed orig */
	uint16_t	sport, dport;		/* orig; the reply swaps them, or these */
	uint16_t	rsport, rdport;		/* 0: swapped orig */
	uint8_t		icmp_type;		/* orig; the reply gets the echo reply type */
	uint16_t	icmp_id;
	uint32_t	status, mark, timeout;
	uint8_t		tcp_state;
	/* knobs */
	bool		no_reply, no_orig, no_ip_src, no_proto_num, no_ports, no_icmp_id;
	bool		no_status, no_mark, no_timeout, no_protoinfo;
	bool		mark_u16;		/* CTA_MARK 2 bytes long */
	bool		v4_src_16;		/* CTA_IP_V4_SRC 16 bytes long */
	bool		proto_num_u16;
	bool		tcp_state_u32;
	bool		tuple_short;		/* CTA_TUPLE_ORIG with a 2-byte payload */
	bool		unknown;		/* unknown attributes at every level */
	bool		reply_proto;		/* the reply tuple names another protocol */
	bool		ip_family;		/* the other family's address attributes */
	uint16_t	msg_type;		/* 0: ctnetlink IPCTNL_MSG_CT_NEW */
	bool		counters;		/* CTA_COUNTERS_ORIG and _REPLY */
	bool		counters_short;		/* ... with a 4-byte CTA_COUNTERS_BYTES */
	uint64_t	pkts[2], bytes[2];
};

/* room for any message built here; uint32_t keeps it aligned like a receive buffer */
static uint32_t buf[1024];

static void
put_unknown(struct nlmsghdr *nlh, uint16_t type)
{
	mnl_attr_put_u32(nlh, type, 0xdeadbeef);
	mnl_attr_put_strz(nlh, (uint16_t)(type + 1), "a string nobody asked for");
}

static void
put_addr(struct nlmsghdr *nlh, int family, uint16_t t4, uint16_t t6, const char *s,
    bool long_v4)
{
	uint8_t b[16] = { 0 };

	if (family == AF_INET) {
		assert_int_equal(inet_pton(AF_INET, s, b), 1);
		mnl_attr_put(nlh, t4, long_v4 ? 16 : 4, b);
	} else {
		assert_int_equal(inet_pton(AF_INET6, s, b), 1);
		mnl_attr_put(nlh, t6, 16, b);
	}
}

static void
put_tuple(struct nlmsghdr *nlh, const struct spec *sp, uint16_t which)
{
	bool reply = which == CTA_TUPLE_REPLY;
	const char *src = reply ? (sp->rsrc ? sp->rsrc : sp->dst) : sp->src;
	const char *dst = reply ? (sp->rdst ? sp->rdst : sp->src) : sp->dst;
	uint16_t sport = reply ? (sp->rsport ? sp->rsport : sp->dport) : sp->sport;
	uint16_t dport = reply ? (sp->rdport ? sp->rdport : sp->sport) : sp->dport;
	int ipfam = sp->ip_family ? (sp->family == AF_INET ? AF_INET6 : AF_INET) :
	    sp->family;
	struct nlattr *t, *n;
	uint8_t proto = sp->proto;

	if (reply && sp->reply_proto)
		proto = IPPROTO_UDP;
	t = mnl_attr_nest_start(nlh, which);
	if (sp->tuple_short && !reply) {
		/* a "nest" of two bytes: too short to hold an attribute */
		mnl_attr_nest_cancel(nlh, t);
		mnl_attr_put_u16(nlh, which, 0);
		return;
	}
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (!sp->no_ip_src)
		put_addr(nlh, ipfam, CTA_IP_V4_SRC, CTA_IP_V6_SRC,
		    ipfam == sp->family ? src : (ipfam == AF_INET ? "192.0.2.1" : "2001:db8::1"),
		    sp->v4_src_16);
	put_addr(nlh, ipfam, CTA_IP_V4_DST, CTA_IP_V6_DST,
	    ipfam == sp->family ? dst : (ipfam == AF_INET ? "192.0.2.2" : "2001:db8::2"),
	    false);
	if (sp->unknown)
		put_unknown(nlh, CTA_IP_MAX + 1);
	mnl_attr_nest_end(nlh, n);

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	if (!sp->no_proto_num) {
		if (sp->proto_num_u16)
			mnl_attr_put_u16(nlh, CTA_PROTO_NUM, proto);
		else
			mnl_attr_put_u8(nlh, CTA_PROTO_NUM, proto);
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		bool v4 = proto == IPPROTO_ICMP;
		uint8_t type = sp->icmp_type;

		if (reply && (type == 8 || type == 128))
			type = type == 8 ? 0 : 129;
		if (!sp->no_icmp_id)
			mnl_attr_put_u16(nlh, v4 ? CTA_PROTO_ICMP_ID : CTA_PROTO_ICMPV6_ID,
			    htons(sp->icmp_id));
		mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_TYPE : CTA_PROTO_ICMPV6_TYPE, type);
		mnl_attr_put_u8(nlh, v4 ? CTA_PROTO_ICMP_CODE : CTA_PROTO_ICMPV6_CODE, 0);
	} else if (!sp->no_ports) {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	}
	if (sp->unknown)
		put_unknown(nlh, CTA_PROTO_MAX + 1);
	mnl_attr_nest_end(nlh, n);
	if (sp->unknown) {
		mnl_attr_put_u16(nlh, CTA_TUPLE_ZONE, htons(7));
		put_unknown(nlh, CTA_TUPLE_MAX + 1);
	}
	mnl_attr_nest_end(nlh, t);
}

/* Build the message sp describes into buf, as ctnetlink would send it in a dump. */
static struct nlmsghdr *
build(const struct spec *sp)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *pi, *tcp;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = sp->msg_type ? sp->msg_type :
	    (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = 1;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = (uint8_t)sp->family;
	nfg->version = NFNETLINK_V0;

	if (sp->unknown)
		put_unknown(nlh, CTA_MAX + 1);
	if (!sp->no_orig)
		put_tuple(nlh, sp, CTA_TUPLE_ORIG);
	if (!sp->no_reply)
		put_tuple(nlh, sp, CTA_TUPLE_REPLY);
	if (!sp->no_status)
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(sp->status));
	if (!sp->no_timeout)
		mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(sp->timeout));
	if (!sp->no_mark) {
		if (sp->mark_u16)
			mnl_attr_put_u16(nlh, CTA_MARK, htons((uint16_t)sp->mark));
		else
			mnl_attr_put_u32(nlh, CTA_MARK, htonl(sp->mark));
	}
	/* attributes a real dump carries that we do not read */
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(0x1234));
	if (sp->proto == IPPROTO_TCP && !sp->no_protoinfo) {
		pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		if (sp->tcp_state_u32)
			mnl_attr_put_u32(nlh, CTA_PROTOINFO_TCP_STATE, sp->tcp_state);
		else
			mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, sp->tcp_state);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_REPLY, 7);
		if (sp->unknown)
			put_unknown(nlh, CTA_PROTOINFO_TCP_MAX + 1);
		mnl_attr_nest_end(nlh, tcp);
		if (sp->unknown)
			put_unknown(nlh, CTA_PROTOINFO_MAX + 1);
		mnl_attr_nest_end(nlh, pi);
	}
	for (int d = 0; sp->counters && d < 2; d++) {
		struct nlattr *c = mnl_attr_nest_start(nlh,
		    d == 0 ? CTA_COUNTERS_ORIG : CTA_COUNTERS_REPLY);

		mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(sp->pkts[d]));
		if (sp->counters_short)
			mnl_attr_put_u32(nlh, CTA_COUNTERS_BYTES, htonl((uint32_t)sp->bytes[d]));
		else
			mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(sp->bytes[d]));
		mnl_attr_nest_end(nlh, c);
	}
	if (sp->unknown)
		put_unknown(nlh, 0x3f00);
	return nlh;
}

/*
 * Parse a copy of the first len bytes of m in a heap block of exactly that
 * size, nlmsg_len set to len, so that AddressSanitizer sees any read past it.
 */
static enum ctseed_status
parse_len(const struct nlmsghdr *m, size_t len, struct ctseed_entry *e)
{
	struct nlmsghdr *c = malloc(len < sizeof(*c) ? sizeof(*c) : len);
	enum ctseed_status s;

	assert_non_null(c);
	memcpy(c, m, len < sizeof(*c) ? sizeof(*c) : len);
	c->nlmsg_len = (uint32_t)len;
	s = ctseed_parse(c, e);
	free(c);
	return s;
}

static enum ctseed_status
parse(const struct nlmsghdr *m, struct ctseed_entry *e)
{
	return parse_len(m, m->nlmsg_len, e);
}

static void
assert_addr(const struct addr *a, const char *want)
{
	char buf2[ADDR_STRLEN];

	assert_string_equal(addr_format(a, buf2, sizeof(buf2)), want);
}

static const struct spec v4_tcp = {
	.family = AF_INET, .proto = IPPROTO_TCP,
	.src = "10.0.0.5", .dst = "93.184.216.34", .sport = 40000, .dport = 443,
	.status = IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED,
	.mark = 0x20000001, .timeout = 431999, .tcp_state = TCP_CONNTRACK_ESTABLISHED,
};

static void
test_ipv4_tcp(void **state)
{
	struct ctseed_entry e;

	(void)state;
	assert_int_equal(parse(build(&v4_tcp), &e), CTSEED_OK);
	assert_int_equal(e.orig.proto, IPPROTO_TCP);
	assert_int_equal(e.orig.src.family, 4);
	assert_addr(&e.orig.src, "10.0.0.5");
	assert_addr(&e.orig.dst, "93.184.216.34");
	assert_int_equal(e.orig.sport, 40000);
	assert_int_equal(e.orig.dport, 443);
	assert_addr(&e.reply.src, "93.184.216.34");
	assert_addr(&e.reply.dst, "10.0.0.5");
	assert_int_equal(e.reply.sport, 443);
	assert_int_equal(e.reply.dport, 40000);
	assert_int_equal(e.reply.proto, IPPROTO_TCP);
	assert_int_equal(e.status, IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED);
	assert_int_equal(e.mark, 0x20000001);
	assert_int_equal(e.timeout, 431999);
	assert_int_equal(e.tcp_state, TCP_CONNTRACK_ESTABLISHED);
}

/* Under source NAT the reply comes to the translated address and port. */
static void
test_ipv4_tcp_nat(void **state)
{
	struct spec sp = v4_tcp;
	struct ctseed_entry e;

	(void)state;
	sp.rdst = "198.51.100.7";
	sp.rdport = 61000;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_addr(&e.orig.src, "10.0.0.5");
	assert_int_equal(e.orig.sport, 40000);
	assert_addr(&e.reply.src, "93.184.216.34");
	assert_int_equal(e.reply.sport, 443);
	assert_addr(&e.reply.dst, "198.51.100.7");
	assert_int_equal(e.reply.dport, 61000);
}

static void
test_ipv6_udp(void **state)
{
	struct spec sp = {
		.family = AF_INET6, .proto = IPPROTO_UDP,
		.src = "fd00::5", .dst = "2001:db8::53", .sport = 5353, .dport = 53,
		.status = IPS_CONFIRMED | IPS_SEEN_REPLY, .mark = 7, .timeout = 29,
	};
	struct ctseed_entry e;

	(void)state;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_int_equal(e.orig.proto, IPPROTO_UDP);
	assert_int_equal(e.orig.src.family, 6);
	assert_addr(&e.orig.src, "fd00::5");
	assert_addr(&e.orig.dst, "2001:db8::53");
	assert_int_equal(e.orig.sport, 5353);
	assert_int_equal(e.orig.dport, 53);
	assert_addr(&e.reply.src, "2001:db8::53");
	assert_addr(&e.reply.dst, "fd00::5");
	assert_int_equal(e.reply.sport, 53);
	assert_int_equal(e.reply.dport, 5353);
	assert_int_equal(e.status, IPS_CONFIRMED | IPS_SEEN_REPLY);
	assert_int_equal(e.mark, 7);
	assert_int_equal(e.timeout, 29);
	assert_int_equal(e.tcp_state, 0);
}

static void
test_icmp_echo(void **state)
{
	struct spec sp = {
		.family = AF_INET, .proto = IPPROTO_ICMP,
		.src = "10.0.0.5", .dst = "192.0.2.9", .icmp_type = 8, .icmp_id = 0x4242,
		.timeout = 30,
	};
	struct ctseed_entry e;

	(void)state;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_int_equal(e.orig.proto, IPPROTO_ICMP);
	assert_int_equal(e.orig.sport, 0x4242);
	assert_int_equal(e.orig.dport, 0x4242);
	assert_int_equal(e.reply.sport, 0x4242);	/* echo reply: same id */
	assert_int_equal(e.reply.dport, 0x4242);
	assert_addr(&e.reply.src, "192.0.2.9");

	/* ICMPv6 echo, with its own attribute types */
	sp.family = AF_INET6;
	sp.proto = IPPROTO_ICMPV6;
	sp.src = "fd00::5";
	sp.dst = "2001:db8::9";
	sp.icmp_type = 128;
	sp.icmp_id = 0x4343;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_int_equal(e.orig.proto, IPPROTO_ICMPV6);
	assert_int_equal(e.orig.sport, 0x4343);
	assert_int_equal(e.reply.dport, 0x4343);

	/* a timestamp request: tracked by conntrack, but pkt.c keys it with no id */
	sp = (struct spec){ .family = AF_INET, .proto = IPPROTO_ICMP,
	    .src = "10.0.0.5", .dst = "192.0.2.9", .icmp_type = 13, .icmp_id = 99 };
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_int_equal(e.orig.sport, 0);
	assert_int_equal(e.orig.dport, 0);

	/* the id is required, and ICMP belongs to IPv4 only */
	sp.icmp_type = 8;
	sp.no_icmp_id = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp.no_icmp_id = false;
	sp.family = AF_INET6;
	sp.src = "fd00::5";
	sp.dst = "fd00::6";
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
}

/* A protocol without ports (GRE here) is keyed by addresses and protocol only. */
static void
test_other_protocol(void **state)
{
	struct spec sp = {
		.family = AF_INET, .proto = IPPROTO_GRE,
		.src = "10.0.0.5", .dst = "192.0.2.9", .no_ports = true,
	};
	struct ctseed_entry e;

	(void)state;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_int_equal(e.orig.proto, IPPROTO_GRE);
	assert_int_equal(e.orig.sport, 0);
	assert_int_equal(e.orig.dport, 0);
}

static void
test_missing_attributes(void **state)
{
	struct ctseed_entry e;
	struct spec sp;

	(void)state;
	/* required: both tuples, both addresses, the protocol, the ports */
	sp = v4_tcp; sp.no_orig = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.no_reply = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.no_ip_src = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.no_proto_num = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.no_ports = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);

	/* optional: zero when absent */
	sp = v4_tcp;
	sp.no_status = sp.no_mark = sp.no_timeout = sp.no_protoinfo = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_int_equal(e.status, 0);
	assert_int_equal(e.mark, 0);
	assert_int_equal(e.timeout, 0);
	assert_int_equal(e.tcp_state, 0);
	assert_int_equal(e.orig.dport, 443);
}

static void
test_wrong_lengths(void **state)
{
	struct ctseed_entry e;
	struct spec sp;

	(void)state;
	sp = v4_tcp; sp.mark_u16 = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.v4_src_16 = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.proto_num_u16 = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.tcp_state_u32 = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = v4_tcp; sp.tuple_short = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	/* an IPv4 entry carrying IPv6 addresses, and the reverse */
	sp = v4_tcp; sp.ip_family = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	sp = (struct spec){ .family = AF_INET6, .proto = IPPROTO_UDP, .src = "fd00::1",
	    .dst = "fd00::2", .sport = 1, .dport = 2, .ip_family = true };
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	/* the two directions disagree on the protocol */
	sp = v4_tcp; sp.reply_proto = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	/* a failed parse leaves nothing behind */
	assert_int_equal(e.orig.proto, 0);
	assert_int_equal(e.mark, 0);
}

/* Find the first attribute of type at top level; NULL when absent. */
static struct nlattr *
top_attr(struct nlmsghdr *nlh, uint16_t type)
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(attr) == type)
			return attr;
	return NULL;
}

static void
test_truncated_nests(void **state)
{
	struct ctseed_entry e;
	struct nlmsghdr *nlh;
	struct nlattr *orig, *ip;

	(void)state;
	/* a nest that claims more than the message holds */
	nlh = build(&v4_tcp);
	orig = top_attr(nlh, CTA_TUPLE_ORIG);
	assert_non_null(orig);
	orig->nla_len = (uint16_t)(nlh->nlmsg_len + 40);
	assert_int_equal(parse(nlh, &e), CTSEED_TRUNCATED);

	/* an attribute that runs past the end of its nest, inside the message */
	nlh = build(&v4_tcp);
	orig = top_attr(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_get_payload(orig);
	assert_int_equal(mnl_attr_get_type(ip), CTA_TUPLE_IP);
	ip->nla_len = (uint16_t)(mnl_attr_get_payload_len(orig) + 8);
	assert_int_equal(parse(nlh, &e), CTSEED_TRUNCATED);

	/* an attribute length below its own header */
	nlh = build(&v4_tcp);
	orig = top_attr(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_get_payload(orig);
	ip->nla_len = 2;
	assert_int_equal(parse(nlh, &e), CTSEED_TRUNCATED);

	/* a message shorter than its nfgenmsg, or than a netlink header */
	nlh = build(&v4_tcp);
	assert_int_equal(parse_len(nlh, MNL_NLMSG_HDRLEN + 2, &e), CTSEED_TRUNCATED);
	assert_int_equal(parse_len(nlh, 8, &e), CTSEED_TRUNCATED);
}

/*
 * The message cut at every length: never a read past the cut (ASan checks),
 * never OK unless the cut falls after everything required.
 */
static void
test_every_cut(void **state)
{
	struct ctseed_entry e;
	struct nlmsghdr *nlh;
	struct nlattr *status;
	size_t len, full, need;
	enum ctseed_status s;

	(void)state;
	nlh = build(&v4_tcp);
	full = nlh->nlmsg_len;
	status = top_attr(nlh, CTA_STATUS);
	assert_non_null(status);
	need = (size_t)((char *)status - (char *)nlh);	/* both tuples whole */
	for (len = 0; len <= full; len++) {
		s = parse_len(nlh, len, &e);
		if (len >= need && len % 4 == 0)
			continue;	/* cut between attributes: what remains may parse */
		if (len >= need) {
			assert_int_not_equal(s, CTSEED_OK);
			continue;
		}
		assert_true(s == CTSEED_TRUNCATED || s == CTSEED_INVALID);
	}
	assert_int_equal(parse_len(nlh, full, &e), CTSEED_OK);
}

static void
test_unknown_attributes(void **state)
{
	struct spec sp = v4_tcp;
	struct ctseed_entry e;

	(void)state;
	sp.unknown = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_addr(&e.orig.dst, "93.184.216.34");
	assert_int_equal(e.orig.dport, 443);
	assert_int_equal(e.mark, 0x20000001);
	assert_int_equal(e.tcp_state, TCP_CONNTRACK_ESTABLISHED);
}

/* Nests without NLA_F_NESTED (older kernels) read the same. */
static void
test_nest_flag_optional(void **state)
{
	struct ctseed_entry e;
	struct nlmsghdr *nlh;
	struct nlattr *attr;

	(void)state;
	nlh = build(&v4_tcp);
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
		attr->nla_type &= (uint16_t)~NLA_F_NESTED;
	assert_int_equal(parse(nlh, &e), CTSEED_OK);
	assert_int_equal(e.orig.sport, 40000);
}

static void
test_unsupported(void **state)
{
	struct ctseed_entry e;
	struct spec sp;

	(void)state;
	sp = v4_tcp;
	sp.msg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	assert_int_equal(parse(build(&sp), &e), CTSEED_UNSUPPORTED);
	sp.msg_type = (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_CT_NEW;
	assert_int_equal(parse(build(&sp), &e), CTSEED_UNSUPPORTED);
	sp = v4_tcp;
	sp.family = 7;	/* AF_BRIDGE; the builder writes IPv6 attributes for it */
	sp.src = "fd00::1";
	sp.dst = "fd00::2";
	assert_int_equal(parse(build(&sp), &e), CTSEED_UNSUPPORTED);
	assert_string_equal(ctseed_status_name(CTSEED_UNSUPPORTED), "unsupported");
	assert_string_equal(ctseed_status_name(CTSEED_TRUNCATED), "truncated");
	assert_string_equal(ctseed_status_name(CTSEED_INVALID), "invalid");
	assert_string_equal(ctseed_status_name(CTSEED_OK), "ok");
}

/* Flipped bytes anywhere: some status, never a crash or a read past the end. */
static void
test_corruption(void **state)
{
	struct spec sp = v4_tcp;
	struct ctseed_entry e;
	struct nlmsghdr *nlh;
	uint32_t x = 0x9e3779b9;
	size_t full, i, pos;
	int round;

	(void)state;
	sp.unknown = true;
	for (round = 0; round < 4000; round++) {
		nlh = build(round % 2 ? &sp : &v4_tcp);
		full = nlh->nlmsg_len;
		for (i = 0; i < 1 + (size_t)(round % 4); i++) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			pos = MNL_NLMSG_HDRLEN + 4 + x % (full - MNL_NLMSG_HDRLEN - 4);
			((uint8_t *)nlh)[pos] = (uint8_t)(x >> 8);
		}
		nlh->nlmsg_len = (uint32_t)full;
		assert_true(parse(nlh, &e) <= CTSEED_UNSUPPORTED);
	}
}

static int
count_entry(void *arg, const struct ctseed_entry *e)
{
	long *n = arg;

	assert_true(e->orig.src.family == 4 || e->orig.src.family == 6);
	(*n)++;
	return -1;	/* one is enough */
}

/*
 * The real dump where this runs: it may be refused (not root, no ctnetlink),
 * but then with one "conntrack: ..." line; it never hands over more than asked.
 */
static void
test_dump_here(void **state)
{
	struct ctseed_stats st;
	char err[256] = "";
	long n, seen = 0;

	(void)state;
	n = ctseed_dump(count_entry, &seen, &st, err, sizeof(err));
	if (n == -1) {
		assert_true(strncmp(err, "conntrack: ", 11) == 0);
		assert_null(strchr(err, '\n'));
		return;
	}
	assert_true(n <= 1);
	assert_int_equal(n, seen);
	assert_int_equal(st.entries, (uint64_t)n);
	assert_int_equal(st.malformed, 0);
}

/* A destroy event with the kernel's counters (nf_conntrack_acct). */
static void
test_destroy_counters(void **state)
{
	struct spec sp = v4_tcp;
	struct ctseed_entry e;

	(void)state;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_false(e.destroyed);
	assert_false(e.has_counters);
	sp.msg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	sp.counters = true;
	sp.pkts[0] = 12;
	sp.bytes[0] = 5000000000ULL;	/* past 32 bits */
	sp.pkts[1] = 9;
	sp.bytes[1] = 777;
	assert_int_equal(parse(build(&sp), &e), CTSEED_OK);
	assert_true(e.destroyed);
	assert_true(e.has_counters);
	assert_int_equal(e.pkts[0], 12);
	assert_true(e.bytes[0] == 5000000000ULL);
	assert_int_equal(e.pkts[1], 9);
	assert_int_equal(e.bytes[1], 777);
	assert_int_equal(e.orig.sport, 40000);
	/* a counter of the wrong size is an error, not a number */
	sp.counters_short = true;
	assert_int_equal(parse(build(&sp), &e), CTSEED_INVALID);
	/* other ctnetlink messages are still not entries */
	sp.counters_short = false;
	sp.msg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	assert_int_equal(parse(build(&sp), &e), CTSEED_UNSUPPORTED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp),
		cmocka_unit_test(test_ipv4_tcp_nat),
		cmocka_unit_test(test_ipv6_udp),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_other_protocol),
		cmocka_unit_test(test_missing_attributes),
		cmocka_unit_test(test_wrong_lengths),
		cmocka_unit_test(test_truncated_nests),
		cmocka_unit_test(test_every_cut),
		cmocka_unit_test(test_unknown_attributes),
		cmocka_unit_test(test_nest_flag_optional),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_corruption),
		cmocka_unit_test(test_dump_here),
		cmocka_unit_test(test_destroy_counters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
