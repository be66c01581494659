/*
 * pkt.c - decode one frame: link layer, IPv4/IPv6 (extension headers), TCP/UDP/ICMP.
 * Must never read past caplen, cast packet bytes to structs, allocate, or write a global.
 */
#include <string.h>

#include "cursor.h"
#include "pkt.h"

#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_8021Q		0x8100
#define ETHERTYPE_8021AD	0x88a8
#define ETHERTYPE_QINQ		0x9100

#define IPP_HOPOPTS		0
#define IPP_ICMP		1
#define IPP_TCP			6
#define IPP_UDP			17
#define IPP_ROUTING		43
#define IPP_FRAGMENT		44
#define IPP_AH			51
#define IPP_ICMPV6		58
#define IPP_NONE		59
#define IPP_DSTOPTS		60

#define IP6_OPT_PAD1		0x00
#define IP6_OPT_JUMBO		0xc2

/* More than this many IPv6 extension headers is an attack, not a packet. */
#define IP6_MAXEXT		16

#define IP_MAXPACKET		65535

/*
 * Bytes of one layer: c holds the captured bytes, already clipped to the
 * layer's declared length; len is that declared length, counted from c.pos.
 * A header longer than len is a defect of the packet (PKT_INVALID); one longer
 * than what c holds was cut by the capture or the wire (PKT_TRUNCATED).
 */
struct span {
	struct cursor	c;
	size_t		len;
};

static int	fail(struct pkt *, enum pkt_status, const char *);
static int	need(struct pkt *, const struct span *, size_t, const char *,
		    const char *);
static int	span_skip(struct span *, size_t);
static int	link_decode(struct pkt *, int, struct cursor *, int *);
static int	ether_type(struct pkt *, struct cursor *, uint16_t, int *);
static int	loop_family(struct pkt *, uint32_t, uint32_t, int *);
static int	ip4_decode(struct pkt *, struct cursor *, size_t, bool);
static int	ip6_decode(struct pkt *, struct cursor *, size_t, bool);
static int	ip6_jumbo(struct pkt *, const struct cursor *, uint32_t *,
		    bool *);
static int	ip6_opts(struct cursor, uint32_t *, bool *);
static int	ip6_walk(struct pkt *, struct span *, uint8_t, bool);
static int	frag_check(struct pkt *, size_t, const char *, const char *);
static int	l4_decode(struct pkt *, struct span *, bool);
static int	tcp_decode(struct pkt *, struct span *, bool, bool);
static int	udp_decode(struct pkt *, struct span *, bool, bool);
static int	icmp_decode(struct pkt *, struct span *, bool, bool);
static void	icmp_quote(struct pkt *, const struct cursor *);

int
pkt_link_from_dlt(int dlt)
{
	switch (dlt) {
	case 0:
		return PKT_LINK_NULL;
	case 1:
		return PKT_LINK_ETHERNET;
	case 12:	/* DLT_RAW on most systems */
	case 14:	/* DLT_RAW on OpenBSD */
	case 101:	/* LINKTYPE_RAW */
		return PKT_LINK_RAW;
	case 108:
		return PKT_LINK_LOOP;
	case 113:
		return PKT_LINK_SLL;
	case 228:
		return PKT_LINK_IPV4;
	case 229:
		return PKT_LINK_IPV6;
	case 276:
		return PKT_LINK_SLL2;
	default:
		return -1;
	}
}

const char *
pkt_link_name(int link)
{
	switch (link) {
	case PKT_LINK_NULL:
		return "null";
	case PKT_LINK_ETHERNET:
		return "ethernet";
	case PKT_LINK_RAW:
		return "raw";
	case PKT_LINK_LOOP:
		return "loop";
	case PKT_LINK_SLL:
		return "sll";
	case PKT_LINK_IPV4:
		return "ipv4";
	case PKT_LINK_IPV6:
		return "ipv6";
	case PKT_LINK_SLL2:
		return "sll2";
	case PKT_LINK_IP:
		return "ip";
	default:
		return "unknown";
	}
}

const char *
pkt_status_name(enum pkt_status s)
{
	switch (s) {
	case PKT_OK:
		return "ok";
	case PKT_TRUNCATED:
		return "truncated";
	case PKT_INVALID:
		return "invalid";
	case PKT_UNSUPPORTED:
		return "unsupported";
	}
	return "unknown";
}

enum pkt_status
pkt_decode(struct pkt *p, int link, const uint8_t *data, size_t caplen,
    size_t wirelen)
{
	static const uint8_t none[1];
	static const struct pkt zero;
	struct cursor c, v;
	size_t wire;
	uint8_t b;
	int ver;

	/* a copy, not memset: compilers make this a few vector stores */
	*p = zero;
	if (data == NULL) {
		/* no arithmetic on a null pointer, even + 0 */
		data = none;
		caplen = 0;
	}
	if (wirelen < caplen)
		wirelen = caplen;
	p->snapped = caplen < wirelen;
	cur_init(&c, data, caplen);

	if (link_decode(p, link, &c, &ver) == -1)
		return p->status;
	/* what the wire carried from the IP header on */
	wire = wirelen - (caplen - cur_left(&c));

	if (ver == 0) {
		v = c;
		if (cur_u8(&v, &b) == -1) {
			fail(p, PKT_TRUNCATED, "ip header truncated");
			return p->status;
		}
		ver = b >> 4;
	}
	if (ver == 4)
		ip4_decode(p, &c, wire, false);
	else if (ver == 6)
		ip6_decode(p, &c, wire, false);
	else
		fail(p, PKT_INVALID, "ip version neither 4 nor 6");
	return p->status;
}

static int
fail(struct pkt *p, enum pkt_status st, const char *why)
{
	p->status = st;
	p->why = why;
	return -1;
}

/* Check that the next n bytes of s are both declared and captured. */
static int
need(struct pkt *p, const struct span *s, size_t n, const char *why_len,
    const char *why_cut)
{
	if (n > s->len)
		return fail(p, PKT_INVALID, why_len);
	if (n > cur_left(&s->c))
		return fail(p, PKT_TRUNCATED, why_cut);
	return 0;
}

static int
span_skip(struct span *s, size_t n)
{
	if (n > s->len || cur_skip(&s->c, n) == -1)
		return -1;
	s->len -= n;
	return 0;
}

/*
 * Consume the link header; *ver becomes 4 or 6 when the link says which, 0
 * when the IP version nibble must decide.
 */
static int
link_decode(struct pkt *p, int link, struct cursor *c, int *ver)
{
	uint32_t fam, famle;
	uint16_t et;

	*ver = 0;
	switch (link) {
	case PKT_LINK_ETHERNET:
		if (cur_skip(c, 12) == -1 || cur_be16(c, &et) == -1)
			return fail(p, PKT_TRUNCATED, "ethernet header truncated");
		return ether_type(p, c, et, ver);
	case PKT_LINK_SLL:
		if (cur_skip(c, 14) == -1 || cur_be16(c, &et) == -1)
			return fail(p, PKT_TRUNCATED, "sll header truncated");
		return ether_type(p, c, et, ver);
	case PKT_LINK_SLL2:
		if (cur_be16(c, &et) == -1 || cur_skip(c, 18) == -1)
			return fail(p, PKT_TRUNCATED, "sll2 header truncated");
		return ether_type(p, c, et, ver);
	case PKT_LINK_NULL:
		/* host order of the capturing machine, which we do not know */
		{
			struct cursor le = *c;

			if (cur_le32(&le, &famle) == -1 ||
			    cur_be32(c, &fam) == -1)
				return fail(p, PKT_TRUNCATED,
				    "loopback header truncated");
		}
		return loop_family(p, fam, famle, ver);
	case PKT_LINK_LOOP:
		if (cur_be32(c, &fam) == -1)
			return fail(p, PKT_TRUNCATED, "loopback header truncated");
		return loop_family(p, fam, fam, ver);
	case PKT_LINK_RAW:
	case PKT_LINK_IP:
		return 0;
	case PKT_LINK_IPV4:
		*ver = 4;
		return 0;
	case PKT_LINK_IPV6:
		*ver = 6;
		return 0;
	default:
		return fail(p, PKT_UNSUPPORTED, "unknown link type");
	}
}

/* Follow VLAN tags (any depth; each costs 4 bytes, so the data bounds it). */
static int
ether_type(struct pkt *p, struct cursor *c, uint16_t et, int *ver)
{
	uint16_t tci;

	while (et == ETHERTYPE_8021Q || et == ETHERTYPE_8021AD ||
	    et == ETHERTYPE_QINQ) {
		if (cur_be16(c, &tci) == -1 || cur_be16(c, &et) == -1)
			return fail(p, PKT_TRUNCATED, "vlan tag truncated");
		if (p->nvlan < 2)
			p->vlan[p->nvlan++] = tci & 0x0fff;
	}
	if (et == ETHERTYPE_IP)
		*ver = 4;
	else if (et == ETHERTYPE_IPV6)
		*ver = 6;
	else
		return fail(p, PKT_UNSUPPORTED, "not ip");
	return 0;
}

/* AF_INET is 2 everywhere; AF_INET6 is 24 (BSDs), 28 (FreeBSD), 30 (Darwin). */
static int
loop_family(struct pkt *p, uint32_t be, uint32_t le, int *ver)
{
	if (be == 2 || le == 2)
		*ver = 4;
	else if (be == 24 || be == 28 || be == 30 ||
	    le == 24 || le == 28 || le == 30)
		*ver = 6;
	else
		return fail(p, PKT_UNSUPPORTED, "not ip");
	return 0;
}

/*
 * Decode an IPv4 packet at c.  wire is what the wire carried from c on.  A
 * quote (the packet inside an ICMP error) is short by nature: its total length
 * is not held against the data, and its transport header needs 8 bytes only.
 */
static int
ip4_decode(struct pkt *p, struct cursor *c, size_t wire, bool quote)
{
	struct cursor h;
	struct span s;
	uint16_t tlen, id, foff;
	uint8_t vihl, ttl, proto, src[4], dst[4];
	size_t ihl, off;

	h = *c;
	if (cur_u8(&h, &vihl) == -1)
		return fail(p, PKT_TRUNCATED, "ipv4 header truncated");
	if (vihl >> 4 != 4)
		return fail(p, PKT_INVALID, "ipv4 version is not 4");
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return fail(p, PKT_INVALID, "ipv4 header length below 20");
	h = *c;
	if (cur_limit(&h, ihl) == -1)
		return fail(p, PKT_TRUNCATED, "ipv4 header truncated");
	/* options, if any, are skipped with the rest of ihl */
	if (cur_skip(&h, 2) == -1 || cur_be16(&h, &tlen) == -1 ||
	    cur_be16(&h, &id) == -1 || cur_be16(&h, &foff) == -1 ||
	    cur_u8(&h, &ttl) == -1 || cur_u8(&h, &proto) == -1 ||
	    cur_skip(&h, 2) == -1 || cur_bytes(&h, src, 4) == -1 ||
	    cur_bytes(&h, dst, 4) == -1)
		return fail(p, PKT_TRUNCATED, "ipv4 header truncated");

	p->family = 4;
	addr_set4(&p->src, src);
	addr_set4(&p->dst, dst);
	p->proto = proto;
	p->ttl = ttl;
	p->ip_len = tlen;
	off = (size_t)(foff & 0x1fff) * 8;
	p->frag_more = (foff & 0x2000) != 0;
	p->frag = p->frag_more || off != 0;
	p->frag_off = (uint16_t)off;
	p->frag_id = id;

	s.c = *c;
	if (quote)
		s.len = cur_left(&s.c);
	else {
		/*
		 * 0: a segmentation-offload packet (TSO in a capture made on the
		 * sender, BIG TCP from the queue) whose length is the frame's,
		 * as Wireshark reads it.  The kernel's input path drops such a
		 * packet from the wire, so only local ones carry it.
		 */
		if (tlen == 0 && wire > ihl)
			p->ip_len = tlen = wire > IP_MAXPACKET ? IP_MAXPACKET :
			    (uint16_t)wire;
		if (tlen < ihl)
			return fail(p, PKT_INVALID,
			    "ipv4 total length shorter than its header");
		if (tlen > wire)
			return fail(p, PKT_TRUNCATED,
			    "ipv4 total length exceeds packet");
		s.len = tlen;
		if (tlen < cur_left(&s.c))
			cur_limit(&s.c, tlen);	/* drop link padding */
	}
	p->l3 = s.c.pos;
	p->l3_len = cur_left(&s.c);
	if (span_skip(&s, ihl) == -1)
		return fail(p, PKT_TRUNCATED, "ipv4 header truncated");

	if (p->frag && !quote && frag_check(p, s.len,
	    "ipv4 fragment ends past 65535",
	    "ipv4 fragment length not a multiple of 8") == -1)
		return -1;
	if (off != 0) {
		/*
		 * RFC 1858: a TCP fragment at offset 8 rewrites the flags of
		 * the first one; no sender needs that.
		 */
		if (proto == IPP_TCP && off == 8 && !quote)
			return fail(p, PKT_INVALID,
			    "ipv4 tcp fragment overlaps the tcp header");
		return 0;	/* no transport header in a later fragment */
	}
	return l4_decode(p, &s, quote);
}

/* Fragment bounds shared by IPv4 and IPv6; len is the fragment's data. */
static int
frag_check(struct pkt *p, size_t len, const char *why_end, const char *why_mul)
{
	if (p->frag_off + len > IP_MAXPACKET)
		return fail(p, PKT_INVALID, why_end);
	if (p->frag_more && len % 8 != 0)
		return fail(p, PKT_INVALID, why_mul);
	return 0;
}

static int
ip6_decode(struct pkt *p, struct cursor *c, size_t wire, bool quote)
{
	struct cursor h;
	struct span s;
	uint32_t vtf, jlen;
	uint16_t plen;
	uint8_t nxt, hlim, src[16], dst[16];
	size_t dlen;
	bool jumbo;

	h = *c;
	if (cur_limit(&h, 40) == -1)
		return fail(p, PKT_TRUNCATED, "ipv6 header truncated");
	if (cur_be32(&h, &vtf) == -1 || cur_be16(&h, &plen) == -1 ||
	    cur_u8(&h, &nxt) == -1 || cur_u8(&h, &hlim) == -1 ||
	    cur_bytes(&h, src, 16) == -1 || cur_bytes(&h, dst, 16) == -1)
		return fail(p, PKT_TRUNCATED, "ipv6 header truncated");
	if (vtf >> 28 != 6)
		return fail(p, PKT_INVALID, "ipv6 version is not 6");

	p->family = 6;
	addr_set6(&p->src, src);
	addr_set6(&p->dst, dst);
	p->ttl = hlim;

	s.c = *c;
	if (quote)
		s.len = cur_left(&s.c);
	else {
		dlen = plen;
		if (plen == 0 && nxt == IPP_HOPOPTS) {
			if (ip6_jumbo(p, c, &jlen, &jumbo) == -1)
				return -1;
			if (jumbo) {
				if (jlen <= IP_MAXPACKET)
					return fail(p, PKT_INVALID,
					    "ipv6 jumbo length below 65536");
				p->jumbo = true;
				dlen = jlen;
			}
		}
		/* wire >= 40: the header was captured */
		if (dlen > wire - 40)
			return fail(p, PKT_TRUNCATED,
			    "ipv6 payload length exceeds packet");
		s.len = 40 + dlen;
		if (s.len < cur_left(&s.c))
			cur_limit(&s.c, s.len);
		p->ip_len = s.len > IP_MAXPACKET ? IP_MAXPACKET :
		    (uint16_t)s.len;
	}
	p->l3 = s.c.pos;
	p->l3_len = cur_left(&s.c);
	if (span_skip(&s, 40) == -1)
		return fail(p, PKT_TRUNCATED, "ipv6 header truncated");
	return ip6_walk(p, &s, nxt, quote);
}

/*
 * A payload length of 0 with a hop-by-hop header may be a jumbogram
 * (RFC 2675): look for the Jumbo Payload option before the length is known.
 */
static int
ip6_jumbo(struct pkt *p, const struct cursor *c, uint32_t *jlen, bool *found)
{
	struct cursor h;
	uint8_t nh, hl;

	*found = false;
	h = *c;
	if (cur_skip(&h, 40) == -1 || cur_u8(&h, &nh) == -1 ||
	    cur_u8(&h, &hl) == -1)
		return fail(p, PKT_TRUNCATED, "ipv6 extension header truncated");
	if (cur_limit(&h, (size_t)(hl + 1) * 8 - 2) == -1)
		return fail(p, PKT_TRUNCATED, "ipv6 extension header truncated");
	if (ip6_opts(h, jlen, found) == -1)
		return fail(p, PKT_INVALID, "ipv6 option overruns its header");
	return 0;
}

/* Walk the TLV options of a hop-by-hop or destination header. */
static int
ip6_opts(struct cursor c, uint32_t *jlen, bool *found)
{
	struct cursor o;
	uint8_t type, len;

	*found = false;
	while (cur_left(&c) > 0) {
		if (cur_u8(&c, &type) == -1)
			return -1;
		if (type == IP6_OPT_PAD1)
			continue;
		if (cur_u8(&c, &len) == -1)
			return -1;
		o = c;
		if (cur_limit(&o, len) == -1 || cur_skip(&c, len) == -1)
			return -1;
		if (type == IP6_OPT_JUMBO) {
			if (len != 4 || cur_be32(&o, jlen) == -1)
				return -1;
			*found = true;
		}
	}
	return 0;
}

static int
ip6_walk(struct pkt *p, struct span *s, uint8_t nxt, bool quote)
{
	static const char why_len[] = "ipv6 extension header exceeds payload";
	static const char why_cut[] = "ipv6 extension header truncated";
	struct cursor h;
	uint32_t jlen, id;
	uint16_t foff;
	uint8_t nh, hl, bit;
	size_t hlen;
	bool jumbo;
	int n;

	for (n = 0;; n++) {
		switch (nxt) {
		case IPP_HOPOPTS:
			bit = PKT_EXT_HOPOPTS;
			break;
		case IPP_ROUTING:
			bit = PKT_EXT_ROUTING;
			break;
		case IPP_FRAGMENT:
			bit = PKT_EXT_FRAG;
			break;
		case IPP_DSTOPTS:
			bit = PKT_EXT_DSTOPTS;
			break;
		case IPP_AH:
			bit = PKT_EXT_AH;
			break;
		case IPP_NONE:
			p->ip6_ext |= PKT_EXT_NONEXT;
			p->proto = nxt;
			return 0;
		default:
			/* transport, ESP or unknown: the chain ends here */
			p->proto = nxt;
			return l4_decode(p, s, quote);
		}
		if (n >= IP6_MAXEXT)
			return fail(p, PKT_INVALID,
			    "ipv6 extension header chain too long");
		if (nxt == IPP_HOPOPTS && n != 0)
			return fail(p, PKT_INVALID,
			    "ipv6 hop-by-hop header not first");
		if (need(p, s, nxt == IPP_FRAGMENT ? 8 : 2, why_len,
		    why_cut) == -1)
			return -1;
		h = s->c;
		if (cur_u8(&h, &nh) == -1 || cur_u8(&h, &hl) == -1)
			return fail(p, PKT_TRUNCATED, why_cut);
		if (nxt == IPP_FRAGMENT)
			hlen = 8;
		else if (nxt == IPP_AH)
			hlen = ((size_t)hl + 2) * 4;
		else
			hlen = ((size_t)hl + 1) * 8;
		if (need(p, s, hlen, why_len, why_cut) == -1)
			return -1;
		if (cur_limit(&h, hlen - 2) == -1)
			return fail(p, PKT_TRUNCATED, why_cut);

		if (nxt == IPP_HOPOPTS && !quote) {
			if (ip6_opts(h, &jlen, &jumbo) == -1)
				return fail(p, PKT_INVALID,
				    "ipv6 option overruns its header");
			if (jumbo && !p->jumbo)
				return fail(p, PKT_INVALID,
				    "ipv6 jumbo option with a payload length");
		}
		if (nxt == IPP_FRAGMENT) {
			if (p->ip6_ext & PKT_EXT_FRAG)
				return fail(p, PKT_INVALID,
				    "ipv6 fragment header repeated");
			if (p->jumbo)
				return fail(p, PKT_INVALID,
				    "ipv6 jumbogram with a fragment header");
			if (cur_be16(&h, &foff) == -1 ||
			    cur_be32(&h, &id) == -1)
				return fail(p, PKT_TRUNCATED, why_cut);
			p->frag_off = foff & 0xfff8;
			p->frag_more = (foff & 0x0001) != 0;
			/* an atomic fragment (RFC 6946) is a whole packet */
			p->frag = p->frag_more || p->frag_off != 0;
			p->frag_id = id;
		}
		p->ip6_ext |= bit;
		if (span_skip(s, hlen) == -1)
			return fail(p, PKT_TRUNCATED, why_cut);
		nxt = nh;
		if (bit != PKT_EXT_FRAG)
			continue;
		if (p->frag && !quote && frag_check(p, s->len,
		    "ipv6 fragment ends past 65535",
		    "ipv6 fragment length not a multiple of 8") == -1)
			return -1;
		if (p->frag_off != 0) {
			p->proto = nxt;
			/* as for IPv4 (RFC 1858); RFC 5722 forbids the overlap */
			if (nxt == IPP_TCP && p->frag_off == 8 && !quote)
				return fail(p, PKT_INVALID,
				    "ipv6 tcp fragment overlaps the tcp header");
			return 0;	/* a later fragment: no more headers */
		}
	}
}

static int
l4_decode(struct pkt *p, struct span *s, bool quote)
{
	/* the first of several fragments must hold the transport header */
	bool first = p->frag && p->frag_off == 0;

	switch (p->proto) {
	case IPP_TCP:
		return tcp_decode(p, s, first, quote);
	case IPP_UDP:
		return udp_decode(p, s, first, quote);
	case IPP_ICMP:
		if (p->family == 4)
			return icmp_decode(p, s, first, quote);
		return 0;
	case IPP_ICMPV6:
		if (p->family == 6)
			return icmp_decode(p, s, first, quote);
		return 0;
	default:
		return 0;	/* GRE, SCTP, ESP, ...: no ports */
	}
}

#define WHY_FIRST	"first fragment too short for the transport header"

static int
tcp_decode(struct pkt *p, struct span *s, bool first, bool quote)
{
	struct cursor h;
	uint32_t seq, ack;
	uint16_t sport, dport;
	uint8_t offb, flags;
	size_t doff;

	if (quote) {
		/* an ICMP error quotes 8 bytes: the ports and the sequence */
		if (need(p, s, 8, "tcp quote short", "tcp quote short") == -1)
			return -1;
		h = s->c;
		if (cur_be16(&h, &p->sport) == -1 ||
		    cur_be16(&h, &p->dport) == -1)
			return fail(p, PKT_TRUNCATED, "tcp quote short");
		p->has_l4 = true;
		return 0;
	}
	if (need(p, s, 20, first ? WHY_FIRST : "tcp header exceeds ip payload",
	    "tcp header truncated") == -1)
		return -1;
	h = s->c;
	if (cur_be16(&h, &sport) == -1 || cur_be16(&h, &dport) == -1 ||
	    cur_be32(&h, &seq) == -1 || cur_be32(&h, &ack) == -1 ||
	    cur_u8(&h, &offb) == -1 || cur_u8(&h, &flags) == -1)
		return fail(p, PKT_TRUNCATED, "tcp header truncated");
	doff = (size_t)(offb >> 4) * 4;
	if (doff < 20)
		return fail(p, PKT_INVALID, "tcp data offset below 5");
	/* options are skipped whole, never parsed */
	if (need(p, s, doff, first ? WHY_FIRST :
	    "tcp data offset exceeds ip payload", "tcp header truncated") == -1)
		return -1;
	if (span_skip(s, doff) == -1)
		return fail(p, PKT_TRUNCATED, "tcp header truncated");
	p->sport = sport;
	p->dport = dport;
	p->tcp_seq = seq;
	p->tcp_ack = ack;
	p->tcp_flags = flags;
	p->has_l4 = true;
	p->payload = s->c.pos;
	p->payload_len = cur_left(&s->c);
	return 0;
}

static int
udp_decode(struct pkt *p, struct span *s, bool first, bool quote)
{
	struct cursor h;
	uint16_t sport, dport, ulen;
	size_t len;

	if (need(p, s, 8, quote ? "udp quote short" : first ? WHY_FIRST :
	    "udp header exceeds ip payload", quote ? "udp quote short" :
	    "udp header truncated") == -1)
		return -1;
	h = s->c;
	if (cur_be16(&h, &sport) == -1 || cur_be16(&h, &dport) == -1 ||
	    cur_be16(&h, &ulen) == -1)
		return fail(p, PKT_TRUNCATED, "udp header truncated");
	p->sport = sport;
	p->dport = dport;
	if (quote) {
		p->has_l4 = true;
		return 0;
	}
	if (ulen == 0 && p->jumbo)
		len = s->len;		/* RFC 2675: the length is IPv6's */
	else {
		len = ulen;
		if (len < 8)
			return fail(p, PKT_INVALID, "udp length below 8");
		/* a first fragment holds only part of the datagram */
		if (len > s->len && !first)
			return fail(p, PKT_INVALID,
			    "udp length exceeds ip payload");
	}
	if (span_skip(s, 8) == -1)
		return fail(p, PKT_TRUNCATED, "udp header truncated");
	len -= 8;
	p->has_l4 = true;
	p->payload = s->c.pos;
	p->payload_len = len < cur_left(&s->c) ? len : cur_left(&s->c);
	return 0;
}

static int
icmp_decode(struct pkt *p, struct span *s, bool first, bool quote)
{
	struct cursor h;
	uint16_t id, seq;
	uint8_t type, code;
	bool v6 = p->family == 6, echo, error;

	if (need(p, s, 8, quote ? "icmp quote short" : first ? WHY_FIRST :
	    "icmp header exceeds ip payload", quote ? "icmp quote short" :
	    "icmp header truncated") == -1)
		return -1;
	h = s->c;
	if (cur_u8(&h, &type) == -1 || cur_u8(&h, &code) == -1 ||
	    cur_skip(&h, 2) == -1 || cur_be16(&h, &id) == -1 ||
	    cur_be16(&h, &seq) == -1)
		return fail(p, PKT_TRUNCATED, "icmp header truncated");
	if (v6) {
		echo = type == 128 || type == 129;
		error = type >= 1 && type <= 4;
	} else {
		echo = type == 8 || type == 0;
		error = type == 3 || type == 4 || type == 11 || type == 12;
	}
	p->icmp_type = type;
	p->icmp_code = code;
	p->has_l4 = true;
	if (echo) {
		p->icmp_id = id;
		p->icmp_seq = seq;
		p->sport = p->dport = id;
	}
	if (quote)
		return 0;
	if (span_skip(s, 8) == -1)
		return fail(p, PKT_TRUNCATED, "icmp header truncated");
	if (error) {
		p->icmp_error = true;
		icmp_quote(p, &s->c);
		return 0;
	}
	/* the message's data (a ping's fill), for a check to read */
	p->icmp_len = s->len > UINT16_MAX ? UINT16_MAX : (uint16_t)s->len;
	p->payload = s->c.pos;
	p->payload_len = cur_left(&s->c);
	return 0;
}

/*
 * Decode the packet an ICMP error quotes, into a scratch pkt.  Routers may
 * quote little: a short or odd quote leaves has_quote false, the packet is
 * still good.
 */
static void
icmp_quote(struct pkt *p, const struct cursor *c)
{
	struct cursor qc;
	struct pkt q;
	int rc;

	memset(&q, 0, sizeof(q));
	qc = *c;
	if (p->family == 4)
		rc = ip4_decode(&q, &qc, cur_left(&qc), true);
	else
		rc = ip6_decode(&q, &qc, cur_left(&qc), true);
	if (rc == -1 || q.status != PKT_OK)
		return;
	if (q.frag_off != 0)
		return;		/* a later fragment: no ports to find a flow */
	p->quote.src = q.src;
	p->quote.dst = q.dst;
	p->quote.proto = q.proto;
	p->quote.sport = q.sport;
	p->quote.dport = q.dport;
	p->has_quote = true;
}

const char *
pkt_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPP_ICMP:
		return "icmp";
	case IPP_TCP:
		return "tcp";
	case IPP_UDP:
		return "udp";
	case IPP_ICMPV6:
		return "icmpv6";
	default:
		return NULL;
	}
}
