/*
 * test_pkt.c - the packet decoder on frames built here: every link type, the
 * IPv6 chain, fragments, ICMP quotes, and every truncation of every sample.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pkt.h"

#define FRAME_MAX	70100	/* room for a jumbogram */

struct frame {
	uint8_t	b[FRAME_MAX];
	size_t	n;
	int	link;
	size_t	hdr_end;	/* where the last header the decoder needs ends */
	size_t	quote_end;	/* ICMP errors: where the quote's 8 bytes end */
	size_t	ip_end;		/* end of the IP packet (before link padding) */
};

static struct frame *
frame_new(int link)
{
	struct frame *f;

	f = test_calloc(1, sizeof(*f));
	assert_non_null(f);
	f->link = link;
	return f;
}

static void
put8(struct frame *f, unsigned v)
{
	assert_true(f->n < FRAME_MAX);
	f->b[f->n++] = (uint8_t)v;
}

static void
put16(struct frame *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v & 0xff);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void
putz(struct frame *f, size_t n)
{
	while (n-- > 0)
		put8(f, 0);
}

static void
set16(struct frame *f, size_t off, unsigned v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)(v & 0xff);
}

/* link layers */

static void
eth(struct frame *f, unsigned etype)
{
	static const uint8_t mac[12] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2 };
	size_t i;

	for (i = 0; i < sizeof(mac); i++)
		put8(f, mac[i]);
	put16(f, etype);
}

static void
vlan(struct frame *f, unsigned tci, unsigned etype)
{
	put16(f, tci);
	put16(f, etype);
}

static void
sll(struct frame *f, unsigned proto)
{
	put16(f, 4);		/* outgoing */
	put16(f, 1);		/* ARPHRD_ETHER */
	put16(f, 6);
	put32(f, 0x02000000);
	put32(f, 0x00010000);
	put16(f, proto);
}

static void
sll2(struct frame *f, unsigned proto)
{
	put16(f, proto);
	put16(f, 0);
	put32(f, 3);		/* ifindex */
	put16(f, 1);		/* ARPHRD_ETHER */
	put8(f, 4);		/* outgoing */
	put8(f, 6);
	put32(f, 0x02000000);
	put32(f, 0x00010000);
}

static void
null_le(struct frame *f, uint32_t fam)
{
	put8(f, fam & 0xff);
	put8(f, (fam >> 8) & 0xff);
	put8(f, (fam >> 16) & 0xff);
	put8(f, fam >> 24);
}

/* network layers */

/* IPv4 192.0.2.1 -> 198.51.100.7, ihl words; returns the header offset. */
static size_t
ip4h(struct frame *f, unsigned proto, unsigned ihl, unsigned foff, unsigned id)
{
	size_t off = f->n, i;

	put8(f, 0x40 | ihl);
	put8(f, 0);
	put16(f, 0);		/* total length, set by ip4_end */
	put16(f, id);
	put16(f, foff);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, 0xc0000201);
	put32(f, 0xc6336407);
	for (i = 5; i < ihl; i++)
		put32(f, 0x01010100);	/* NOPs and an EOL */
	return off;
}

static size_t
ip4(struct frame *f, unsigned proto)
{
	return ip4h(f, proto, 5, 0x4000, 0x1234);
}

static void
ip4_end(struct frame *f, size_t off)
{
	set16(f, off + 2, (unsigned)(f->n - off));
	f->ip_end = f->n;
}

/* IPv6 2001:db8::1 -> 2001:db8::2 */
static size_t
ip6(struct frame *f, unsigned nxt)
{
	size_t off = f->n;

	put32(f, 0x60000000);
	put16(f, 0);		/* payload length, set by ip6_end */
	put8(f, nxt);
	put8(f, 64);
	put32(f, 0x20010db8); put32(f, 0); put32(f, 0); put32(f, 1);
	put32(f, 0x20010db8); put32(f, 0); put32(f, 0); put32(f, 2);
	return off;
}

static void
ip6_end(struct frame *f, size_t off)
{
	set16(f, off + 4, (unsigned)(f->n - off - 40));
	f->ip_end = f->n;
}

/* An options header (hop-by-hop, destination) or routing header of len8 + 1 units. */
static void
ext6(struct frame *f, unsigned nxt, unsigned len8)
{
	put8(f, nxt);
	put8(f, len8);
	put8(f, 1);		/* PadN over the rest */
	put8(f, len8 * 8 + 4);
	putz(f, len8 * 8 + 4);
}

static void
frag6(struct frame *f, unsigned nxt, unsigned off, int more, uint32_t id)
{
	put8(f, nxt);
	put8(f, 0);
	put16(f, off | (more ? 1 : 0));
	put32(f, id);
}

/* transport layers */

static void
tcp(struct frame *f, unsigned sport, unsigned dport, unsigned flags,
    unsigned optwords)
{
	unsigned i;

	put16(f, sport);
	put16(f, dport);
	put32(f, 0x01020304);
	put32(f, flags & PKT_TCP_ACK ? 0x0a0b0c0d : 0);
	put8(f, (5 + optwords) << 4);
	put8(f, flags);
	put16(f, 64240);
	put16(f, 0);
	put16(f, 0);
	if (optwords > 0) {
		put8(f, 2); put8(f, 4); put16(f, 1460);		/* MSS */
		for (i = 1; i < optwords; i++)
			put32(f, 0x01010402);	/* NOP NOP SACK-permitted */
	}
}

static size_t
udp(struct frame *f, unsigned sport, unsigned dport)
{
	size_t off = f->n;

	put16(f, sport);
	put16(f, dport);
	put16(f, 0);
	put16(f, 0);
	return off;
}

static void
udp_end(struct frame *f, size_t off)
{
	set16(f, off + 4, (unsigned)(f->n - off));
}

static void
icmp(struct frame *f, unsigned type, unsigned code, unsigned id, unsigned seq)
{
	put8(f, type);
	put8(f, code);
	put16(f, 0);
	put16(f, id);
	put16(f, seq);
}

static void
payload(struct frame *f, const char *s)
{
	while (*s != '\0')
		put8(f, (uint8_t)*s++);
}

static enum pkt_status
decode(struct pkt *p, const struct frame *f)
{
	return pkt_decode(p, f->link, f->b, f->n, f->n);
}

static void
assert_addr(const struct addr *a, const char *s)
{
	struct addr want;

	assert_int_equal(addr_parse(&want, s), 0);
	assert_true(addr_eq(a, &want));
}

/* samples: each builds one frame and records where its headers end */

static void
s_eth_tcp_syn(struct frame *f)
{
	size_t ip;

	eth(f, 0x0800);
	ip = ip4(f, 6);
	tcp(f, 40000, 443, PKT_TCP_SYN, 5);
	f->hdr_end = f->n;
	ip4_end(f, ip);
}

static void
s_eth_tcp_data(struct frame *f)
{
	size_t ip;

	eth(f, 0x0800);
	ip = ip4(f, 6);
	tcp(f, 40000, 80, PKT_TCP_PSH | PKT_TCP_ACK, 0);
	f->hdr_end = f->n;
	payload(f, "GET / HTTP/1.1\r\n\r\n");
	ip4_end(f, ip);
}

static void
s_vlan(struct frame *f)
{
	size_t ip, u;

	eth(f, 0x8100);
	vlan(f, 0x2000 | 42, 0x0800);
	ip = ip4(f, 17);
	u = udp(f, 5353, 53);
	f->hdr_end = f->n;
	payload(f, "q");
	udp_end(f, u);
	ip4_end(f, ip);
}

static void
s_qinq(struct frame *f)
{
	size_t ip;

	eth(f, 0x88a8);
	vlan(f, 100, 0x8100);
	vlan(f, 200, 0x9100);
	vlan(f, 300, 0x86dd);
	ip = ip6(f, 6);
	tcp(f, 1234, 22, PKT_TCP_ACK, 0);
	f->hdr_end = f->n;
	ip6_end(f, ip);
}

static void
s_sll(struct frame *f)
{
	size_t ip, u;

	sll(f, 0x0800);
	ip = ip4(f, 17);
	u = udp(f, 40001, 53);
	f->hdr_end = f->n;
	payload(f, "dnsquery");
	udp_end(f, u);
	ip4_end(f, ip);
}

static void
s_sll2(struct frame *f)
{
	size_t ip;

	sll2(f, 0x86dd);
	ip = ip6(f, 6);
	tcp(f, 50000, 443, PKT_TCP_SYN, 3);
	f->hdr_end = f->n;
	ip6_end(f, ip);
}

static void
s_null_le(struct frame *f)
{
	size_t ip;

	null_le(f, 2);
	ip = ip4(f, 6);
	tcp(f, 1000, 2000, PKT_TCP_RST, 0);
	f->hdr_end = f->n;
	ip4_end(f, ip);
}

static void
s_null_be6(struct frame *f)
{
	size_t ip;

	put32(f, 30);
	ip = ip6(f, 6);
	tcp(f, 1000, 2000, PKT_TCP_FIN | PKT_TCP_ACK, 0);
	f->hdr_end = f->n;
	ip6_end(f, ip);
}

static void
s_loop(struct frame *f)
{
	size_t ip, u;

	put32(f, 24);
	ip = ip6(f, 17);
	u = udp(f, 123, 123);
	f->hdr_end = f->n;
	payload(f, "ntp");
	udp_end(f, u);
	ip6_end(f, ip);
}

static void
s_raw4(struct frame *f)
{
	size_t ip;

	ip = ip4(f, 6);
	tcp(f, 1, 2, PKT_TCP_SYN, 0);
	f->hdr_end = f->n;
	ip4_end(f, ip);
}

static void
s_raw6(struct frame *f)
{
	size_t ip, u;

	ip = ip6(f, 17);
	u = udp(f, 3, 4);
	f->hdr_end = f->n;
	udp_end(f, u);
	ip6_end(f, ip);
}

static void
s_ip4opts(struct frame *f)
{
	size_t ip, u;

	ip = ip4h(f, 17, 7, 0, 7);
	u = udp(f, 68, 67);
	f->hdr_end = f->n;
	payload(f, "dhcp");
	udp_end(f, u);
	ip4_end(f, ip);
}

/* hop-by-hop, routing, destination options, fragment (first), TCP */
static void
s_ip6_chain(struct frame *f)
{
	size_t ip;

	ip = ip6(f, 0);
	ext6(f, 43, 0);
	ext6(f, 60, 2);
	ext6(f, 44, 1);
	frag6(f, 6, 0, 1, 0xdeadbeef);
	tcp(f, 33000, 8443, PKT_TCP_SYN, 1);
	f->hdr_end = f->n;
	payload(f, "12345678");	/* 32 bytes after the fragment header */
	ip6_end(f, ip);
}

static void
s_ip6_ah(struct frame *f)
{
	size_t ip, u;

	ip = ip6(f, 51);
	put8(f, 17);
	put8(f, 4);		/* (4 + 2) * 4 = 24 bytes */
	put16(f, 0);
	put32(f, 0x100);	/* SPI */
	put32(f, 1);		/* sequence */
	putz(f, 12);		/* ICV */
	u = udp(f, 500, 500);
	f->hdr_end = f->n;
	udp_end(f, u);
	ip6_end(f, ip);
}

static void
s_ip6_nonext(struct frame *f)
{
	size_t ip;

	ip = ip6(f, 60);
	ext6(f, 59, 0);
	f->hdr_end = f->n;
	ip6_end(f, ip);
}

static void
s_udp_dns(struct frame *f)
{
	size_t ip, u;

	eth(f, 0x0800);
	ip = ip4(f, 17);
	u = udp(f, 53000, 53);
	f->hdr_end = f->n;
	put32(f, 0x12340100);		/* a DNS header: id, RD, one question */
	put32(f, 0x00010000);
	put32(f, 0);
	udp_end(f, u);
	ip4_end(f, ip);
}

static void
s_icmp_echo(struct frame *f)
{
	size_t ip;

	eth(f, 0x0800);
	ip = ip4(f, 1);
	icmp(f, 8, 0, 0x4242, 1);
	f->hdr_end = f->n;
	payload(f, "pingpingpingping");
	ip4_end(f, ip);
}

static void
s_icmp6_echo_reply(struct frame *f)
{
	size_t ip;

	ip = ip6(f, 58);
	icmp(f, 129, 0, 0x7777, 9);
	f->hdr_end = f->n;
	payload(f, "pong");
	ip6_end(f, ip);
}

/* port unreachable from 198.51.100.7 quoting our UDP to it */
static void
s_icmp_unreach(struct frame *f)
{
	size_t ip, qip, u;

	eth(f, 0x0800);
	ip = ip4(f, 1);
	icmp(f, 3, 3, 0, 0);
	f->hdr_end = f->n;
	qip = ip4(f, 17);
	u = udp(f, 41000, 9999);
	f->quote_end = f->n;
	payload(f, "data");
	udp_end(f, u);
	ip4_end(f, qip);
	ip4_end(f, ip);
}

/* packet too big quoting TCP behind a destination options header */
static void
s_icmp6_ptb(struct frame *f)
{
	size_t ip, qip;

	ip = ip6(f, 58);
	put8(f, 2);
	put8(f, 0);
	put16(f, 0);
	put32(f, 1280);		/* MTU */
	f->hdr_end = f->n;
	qip = ip6(f, 60);
	ext6(f, 6, 0);
	tcp(f, 45000, 443, PKT_TCP_ACK, 0);
	f->quote_end = qip + 40 + 8 + 8;
	payload(f, "0123456789");
	ip6_end(f, qip);
	ip6_end(f, ip);
}

/* time exceeded quoting an echo request */
static void
s_icmp_ttl_echo(struct frame *f)
{
	size_t ip, qip;

	ip = ip4(f, 1);
	icmp(f, 11, 0, 0, 0);
	f->hdr_end = f->n;
	qip = ip4(f, 1);
	icmp(f, 8, 0, 0x5151, 3);
	f->quote_end = f->n;
	ip4_end(f, qip);
	ip4_end(f, ip);
}

static void
s_frag_first(struct frame *f)
{
	size_t ip, u;

	eth(f, 0x0800);
	ip = ip4h(f, 17, 5, 0x2000, 0xabcd);
	u = udp(f, 4000, 4001);
	f->hdr_end = f->n;
	putz(f, 16);
	set16(f, u + 4, 1500);	/* the whole datagram, longer than this fragment */
	ip4_end(f, ip);
}

static void
s_frag_later(struct frame *f)
{
	size_t ip;

	eth(f, 0x0800);
	ip = ip4h(f, 17, 5, 185, 0xabcd);	/* offset 1480, last */
	f->hdr_end = f->n;
	payload(f, "tail of the datagram");
	ip4_end(f, ip);
}

static void
s_frag6_later(struct frame *f)
{
	size_t ip;

	ip = ip6(f, 44);
	frag6(f, 17, 1448, 1, 0x01020304);
	f->hdr_end = f->n;
	putz(f, 16);
	ip6_end(f, ip);
}

static void
s_gre(struct frame *f)
{
	size_t ip;

	ip = ip4(f, 47);
	f->hdr_end = f->n;
	put32(f, 0x00000800);
	ip4_end(f, ip);
}

static void
s_esp6(struct frame *f)
{
	size_t ip;

	ip = ip6(f, 50);
	f->hdr_end = f->n;
	put32(f, 0x1000);
	put32(f, 1);
	putz(f, 16);
	ip6_end(f, ip);
}

static void
s_arp(struct frame *f)
{
	eth(f, 0x0806);
	put16(f, 1);
	put16(f, 0x0800);
	put8(f, 6);
	put8(f, 4);
	put16(f, 1);
	putz(f, 20);
	f->hdr_end = 14;
}

/* an Ethernet frame padded to 60 bytes */
static void
s_padded(struct frame *f)
{
	size_t ip;

	eth(f, 0x0800);
	ip = ip4(f, 6);
	tcp(f, 5555, 80, PKT_TCP_ACK, 0);
	f->hdr_end = f->n;
	ip4_end(f, ip);
	putz(f, 60 - f->n);
}

struct sample {
	const char	*name;
	int		 link;
	void		(*build)(struct frame *);
	enum pkt_status	 status;	/* whole-frame status */
};

static const struct sample samples[] = {
	{ "eth_tcp_syn", PKT_LINK_ETHERNET, s_eth_tcp_syn, PKT_OK },
	{ "eth_tcp_data", PKT_LINK_ETHERNET, s_eth_tcp_data, PKT_OK },
	{ "vlan", PKT_LINK_ETHERNET, s_vlan, PKT_OK },
	{ "qinq", PKT_LINK_ETHERNET, s_qinq, PKT_OK },
	{ "sll", PKT_LINK_SLL, s_sll, PKT_OK },
	{ "sll2", PKT_LINK_SLL2, s_sll2, PKT_OK },
	{ "null_le", PKT_LINK_NULL, s_null_le, PKT_OK },
	{ "null_be6", PKT_LINK_NULL, s_null_be6, PKT_OK },
	{ "loop", PKT_LINK_LOOP, s_loop, PKT_OK },
	{ "raw4", PKT_LINK_RAW, s_raw4, PKT_OK },
	{ "raw6", PKT_LINK_RAW, s_raw6, PKT_OK },
	{ "ip4opts", PKT_LINK_IP, s_ip4opts, PKT_OK },
	{ "ip6_chain", PKT_LINK_IPV6, s_ip6_chain, PKT_OK },
	{ "ip6_ah", PKT_LINK_IP, s_ip6_ah, PKT_OK },
	{ "ip6_nonext", PKT_LINK_IP, s_ip6_nonext, PKT_OK },
	{ "udp_dns", PKT_LINK_ETHERNET, s_udp_dns, PKT_OK },
	{ "icmp_echo", PKT_LINK_ETHERNET, s_icmp_echo, PKT_OK },
	{ "icmp6_echo_reply", PKT_LINK_RAW, s_icmp6_echo_reply, PKT_OK },
	{ "icmp_unreach", PKT_LINK_ETHERNET, s_icmp_unreach, PKT_OK },
	{ "icmp6_ptb", PKT_LINK_IP, s_icmp6_ptb, PKT_OK },
	{ "icmp_ttl_echo", PKT_LINK_IPV4, s_icmp_ttl_echo, PKT_OK },
	{ "frag_first", PKT_LINK_ETHERNET, s_frag_first, PKT_OK },
	{ "frag_later", PKT_LINK_ETHERNET, s_frag_later, PKT_OK },
	{ "frag6_later", PKT_LINK_IP, s_frag6_later, PKT_OK },
	{ "gre", PKT_LINK_IP, s_gre, PKT_OK },
	{ "esp6", PKT_LINK_IP, s_esp6, PKT_OK },
	{ "arp", PKT_LINK_ETHERNET, s_arp, PKT_UNSUPPORTED },
	{ "padded", PKT_LINK_ETHERNET, s_padded, PKT_OK },
};

#define NSAMPLES	(sizeof(samples) / sizeof(samples[0]))

static struct frame *
build(void (*fn)(struct frame *), int link)
{
	struct frame *f;

	f = frame_new(link);
	fn(f);
	if (f->ip_end == 0)
		f->ip_end = f->n;
	return f;
}

/* tests */

static void
t_link_from_dlt(void **state)
{
	(void)state;
	assert_int_equal(pkt_link_from_dlt(0), PKT_LINK_NULL);
	assert_int_equal(pkt_link_from_dlt(1), PKT_LINK_ETHERNET);
	assert_int_equal(pkt_link_from_dlt(12), PKT_LINK_RAW);
	assert_int_equal(pkt_link_from_dlt(14), PKT_LINK_RAW);
	assert_int_equal(pkt_link_from_dlt(101), PKT_LINK_RAW);
	assert_int_equal(pkt_link_from_dlt(108), PKT_LINK_LOOP);
	assert_int_equal(pkt_link_from_dlt(113), PKT_LINK_SLL);
	assert_int_equal(pkt_link_from_dlt(276), PKT_LINK_SLL2);
	assert_int_equal(pkt_link_from_dlt(228), PKT_LINK_IPV4);
	assert_int_equal(pkt_link_from_dlt(229), PKT_LINK_IPV6);
	assert_int_equal(pkt_link_from_dlt(105), -1);	/* 802.11 */
	assert_int_equal(pkt_link_from_dlt(-1), -1);
	assert_int_equal(pkt_link_from_dlt(65536), -1);
}

static void
t_names(void **state)
{
	(void)state;
	assert_string_equal(pkt_link_name(PKT_LINK_ETHERNET), "ethernet");
	assert_string_equal(pkt_link_name(PKT_LINK_RAW), "raw");
	assert_string_equal(pkt_link_name(PKT_LINK_SLL), "sll");
	assert_string_equal(pkt_link_name(PKT_LINK_SLL2), "sll2");
	assert_string_equal(pkt_link_name(PKT_LINK_NULL), "null");
	assert_string_equal(pkt_link_name(PKT_LINK_IP), "ip");
	assert_string_equal(pkt_link_name(4242), "unknown");
	assert_string_equal(pkt_status_name(PKT_OK), "ok");
	assert_string_equal(pkt_status_name(PKT_TRUNCATED), "truncated");
	assert_string_equal(pkt_status_name(PKT_INVALID), "invalid");
	assert_string_equal(pkt_status_name(PKT_UNSUPPORTED), "unsupported");
}

static void
t_eth_tcp_syn(void **state)
{
	struct frame *f = build(s_eth_tcp_syn, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_null(p.why);
	assert_int_equal(p.nvlan, 0);
	assert_int_equal(p.family, 4);
	assert_addr(&p.src, "192.0.2.1");
	assert_addr(&p.dst, "198.51.100.7");
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.ip_len, 20 + 40);
	assert_false(p.frag);
	assert_int_equal(p.frag_id, 0x1234);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, PKT_TCP_SYN);
	assert_int_equal(p.tcp_seq, 0x01020304);
	assert_int_equal(p.tcp_ack, 0);
	assert_ptr_equal(p.l3, f->b + 14);
	assert_int_equal(p.l3_len, 60);
	assert_int_equal(p.payload_len, 0);
	assert_ptr_equal(p.payload, f->b + f->n);
	assert_false(p.snapped);
	assert_false(p.icmp_error);
	test_free(f);
}

static void
t_eth_tcp_data(void **state)
{
	struct frame *f = build(s_eth_tcp_data, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.tcp_flags, PKT_TCP_PSH | PKT_TCP_ACK);
	assert_int_equal(p.tcp_ack, 0x0a0b0c0d);
	assert_int_equal(p.payload_len, 18);
	assert_memory_equal(p.payload, "GET / HTTP/1.1\r\n\r\n", 18);
	test_free(f);
}

static void
t_vlan(void **state)
{
	struct frame *f = build(s_vlan, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.nvlan, 1);
	assert_int_equal(p.vlan[0], 42);	/* priority bits dropped */
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 1);
	assert_ptr_equal(p.l3, f->b + 18);
	test_free(f);
}

static void
t_qinq(void **state)
{
	struct frame *f = build(s_qinq, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.nvlan, 2);		/* three tags, two kept */
	assert_int_equal(p.vlan[0], 100);
	assert_int_equal(p.vlan[1], 200);
	assert_int_equal(p.family, 6);
	assert_addr(&p.src, "2001:db8::1");
	assert_addr(&p.dst, "2001:db8::2");
	assert_int_equal(p.dport, 22);
	assert_ptr_equal(p.l3, f->b + 26);
	test_free(f);
}

static void
t_sll(void **state)
{
	struct frame *f = build(s_sll, PKT_LINK_SLL);
	struct frame *g = build(s_sll2, PKT_LINK_SLL2);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.sport, 40001);
	assert_int_equal(p.payload_len, 8);
	assert_ptr_equal(p.l3, f->b + 16);
	assert_int_equal(decode(&p, g), PKT_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.sport, 50000);
	assert_int_equal(p.tcp_flags, PKT_TCP_SYN);
	assert_ptr_equal(p.l3, g->b + 20);
	/* SLL carrying ARP */
	set16(f, 14, 0x0806);
	assert_int_equal(decode(&p, f), PKT_UNSUPPORTED);
	assert_string_equal(p.why, "not ip");
	test_free(f);
	test_free(g);
}

static void
t_null_loop(void **state)
{
	struct frame *f;
	struct pkt p;
	static const uint32_t fam6[] = { 24, 28, 30 };
	size_t i;

	(void)state;
	f = build(s_null_le, PKT_LINK_NULL);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.tcp_flags, PKT_TCP_RST);
	/* the same family written big-endian */
	f->b[0] = 0; f->b[3] = 2;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.family, 4);
	/* AF_UNIX is not IP */
	f->b[3] = 1;
	assert_int_equal(decode(&p, f), PKT_UNSUPPORTED);
	assert_int_equal(p.family, 0);
	test_free(f);

	f = build(s_null_be6, PKT_LINK_NULL);
	for (i = 0; i < 3; i++) {
		memset(f->b, 0, 4);
		f->b[3] = (uint8_t)fam6[i];
		assert_int_equal(decode(&p, f), PKT_OK);
		assert_int_equal(p.family, 6);
		memset(f->b, 0, 4);
		f->b[0] = (uint8_t)fam6[i];
		assert_int_equal(decode(&p, f), PKT_OK);
		assert_int_equal(p.family, 6);
	}
	test_free(f);

	f = build(s_loop, PKT_LINK_LOOP);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.sport, 123);
	assert_int_equal(p.payload_len, 3);
	/* LOOP is network order only */
	f->b[0] = 24; f->b[3] = 0;
	assert_int_equal(decode(&p, f), PKT_UNSUPPORTED);
	test_free(f);
}

static void
t_raw(void **state)
{
	struct frame *f4 = build(s_raw4, PKT_LINK_RAW);
	struct frame *f6 = build(s_raw6, PKT_LINK_RAW);
	struct pkt p;

	(void)state;
	assert_int_equal(pkt_decode(&p, PKT_LINK_RAW, f4->b, f4->n, f4->n), PKT_OK);
	assert_int_equal(p.family, 4);
	assert_ptr_equal(p.l3, f4->b);
	assert_int_equal(pkt_decode(&p, PKT_LINK_IP, f4->b, f4->n, f4->n), PKT_OK);
	assert_int_equal(pkt_decode(&p, PKT_LINK_IPV4, f4->b, f4->n, f4->n), PKT_OK);
	assert_int_equal(pkt_decode(&p, PKT_LINK_RAW, f6->b, f6->n, f6->n), PKT_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.ip_len, 48);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(pkt_decode(&p, PKT_LINK_IPV6, f6->b, f6->n, f6->n), PKT_OK);
	/* the link type says which version it must be */
	assert_int_equal(pkt_decode(&p, PKT_LINK_IPV4, f6->b, f6->n, f6->n),
	    PKT_INVALID);
	assert_int_equal(pkt_decode(&p, PKT_LINK_IPV6, f4->b, f4->n, f4->n),
	    PKT_INVALID);
	/* neither 4 nor 6 */
	f4->b[0] = 0x55;
	assert_int_equal(pkt_decode(&p, PKT_LINK_RAW, f4->b, f4->n, f4->n),
	    PKT_INVALID);
	test_free(f4);
	test_free(f6);
}

static void
t_ip4_options(void **state)
{
	struct frame *f = build(s_ip4opts, PKT_LINK_IP);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.sport, 68);
	assert_int_equal(p.dport, 67);
	assert_int_equal(p.payload_len, 4);
	assert_memory_equal(p.payload, "dhcp", 4);
	assert_int_equal(p.ip_len, 28 + 12);
	test_free(f);
}

static void
t_ip6_chain(void **state)
{
	struct frame *f = build(s_ip6_chain, PKT_LINK_IPV6);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.ip6_ext, PKT_EXT_HOPOPTS | PKT_EXT_ROUTING |
	    PKT_EXT_DSTOPTS | PKT_EXT_FRAG);
	assert_true(p.frag);
	assert_true(p.frag_more);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.frag_id, 0xdeadbeef);
	assert_int_equal(p.proto, 6);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 33000);
	assert_int_equal(p.dport, 8443);
	assert_int_equal(p.payload_len, 8);
	assert_int_equal(p.ip_len, f->n);
	test_free(f);
}

static void
t_ip6_ah(void **state)
{
	struct frame *f = build(s_ip6_ah, PKT_LINK_IP);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.ip6_ext, PKT_EXT_AH);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 500);
	test_free(f);
}

static void
t_ip6_nonext_esp(void **state)
{
	struct frame *f = build(s_ip6_nonext, PKT_LINK_IP);
	struct frame *g = build(s_esp6, PKT_LINK_IP);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.proto, 59);
	assert_false(p.has_l4);
	assert_int_equal(p.ip6_ext, PKT_EXT_DSTOPTS | PKT_EXT_NONEXT);
	assert_int_equal(decode(&p, g), PKT_OK);
	assert_int_equal(p.proto, 50);
	assert_false(p.has_l4);
	assert_int_equal(p.sport, 0);
	test_free(f);
	test_free(g);
}

static void
t_ip6_hbh_not_first(void **state)
{
	struct frame *f = frame_new(PKT_LINK_IP);
	struct pkt p;
	size_t ip;

	(void)state;
	ip = ip6(f, 60);
	ext6(f, 0, 0);
	ext6(f, 59, 0);
	ip6_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv6 hop-by-hop header not first");
	test_free(f);
}

static void
t_ip6_chain_limit(void **state)
{
	struct frame *f;
	struct pkt p;
	size_t ip;
	int i, n;

	(void)state;
	for (n = 16; n <= 17; n++) {
		f = frame_new(PKT_LINK_IP);
		ip = ip6(f, 60);
		for (i = 0; i < n; i++)
			ext6(f, i == n - 1 ? 59 : 60, 0);
		ip6_end(f, ip);
		if (n == 16)
			assert_int_equal(decode(&p, f), PKT_OK);
		else {
			assert_int_equal(decode(&p, f), PKT_INVALID);
			assert_string_equal(p.why,
			    "ipv6 extension header chain too long");
		}
		test_free(f);
	}
}

static void
t_ip6_bad_ext(void **state)
{
	struct frame *f;
	struct pkt p;
	size_t ip;

	(void)state;
	/* an extension header longer than the payload */
	f = build(s_ip6_chain, PKT_LINK_IPV6);
	f->b[40 + 8 + 1] = 30;		/* the routing header */
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv6 extension header exceeds payload");
	test_free(f);

	/* two fragment headers */
	f = frame_new(PKT_LINK_IP);
	ip = ip6(f, 44);
	frag6(f, 44, 0, 1, 1);
	frag6(f, 17, 0, 1, 1);
	udp(f, 1, 2);
	ip6_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv6 fragment header repeated");
	test_free(f);

	/* a hop-by-hop option running past its header */
	f = frame_new(PKT_LINK_IP);
	ip = ip6(f, 0);
	ext6(f, 59, 0);
	f->b[43] = 5;			/* PadN of 5 in 4 bytes */
	ip6_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv6 option overruns its header");
	test_free(f);

	/* payload length too big for the packet */
	f = build(s_raw6, PKT_LINK_RAW);
	set16(f, 4, 9);
	assert_int_equal(decode(&p, f), PKT_TRUNCATED);
	assert_string_equal(p.why, "ipv6 payload length exceeds packet");
	/* and one that cuts the UDP header */
	set16(f, 4, 6);
	assert_int_equal(pkt_decode(&p, f->link, f->b, 46, 46), PKT_INVALID);
	assert_string_equal(p.why, "udp header exceeds ip payload");
	/* payload length 0 with no jumbo option */
	set16(f, 4, 0);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	test_free(f);
}

static void
t_ip6_jumbo(void **state)
{
	struct frame *f = frame_new(PKT_LINK_IP);
	struct pkt p;
	size_t ip, u, len;

	(void)state;
	ip = ip6(f, 0);
	put8(f, 17);
	put8(f, 0);
	put8(f, 0xc2);
	put8(f, 4);
	put32(f, 0);			/* jumbo length, set below */
	u = udp(f, 7000, 7001);
	putz(f, 70000 - f->n);
	len = f->n - 40;
	f->b[ip + 44] = (uint8_t)(len >> 24);
	f->b[ip + 45] = (uint8_t)(len >> 16);
	f->b[ip + 46] = (uint8_t)(len >> 8);
	f->b[ip + 47] = (uint8_t)len;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_true(p.jumbo);
	assert_int_equal(p.ip_len, 65535);
	assert_int_equal(p.l3_len, 70000);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 7001);
	assert_int_equal(p.payload_len, 70000 - 56);
	/* UDP length set as usual is fine too */
	set16(f, u + 4, 60000);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.payload_len, 60000 - 8);
	set16(f, u + 4, 0);
	/* longer than the packet */
	f->b[ip + 45] += 1;
	assert_int_equal(decode(&p, f), PKT_TRUNCATED);
	f->b[ip + 45] -= 1;
	/* with a payload length set as well */
	set16(f, 4, 100);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv6 jumbo option with a payload length");
	set16(f, 4, 0);
	/* a jumbo length that fits 16 bits */
	f->b[ip + 45] = 0;
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv6 jumbo length below 65536");
	test_free(f);
}

static void
t_udp(void **state)
{
	struct frame *f = build(s_udp_dns, PKT_LINK_ETHERNET);
	struct pkt p;
	size_t u = 14 + 20;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.sport, 53000);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 12);
	assert_ptr_equal(p.payload, f->b + u + 8);
	/* a UDP length shorter than the IP payload bounds the payload */
	set16(f, u + 4, 10);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.payload_len, 2);
	set16(f, u + 4, 7);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "udp length below 8");
	set16(f, u + 4, 21);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "udp length exceeds ip payload");
	test_free(f);
}

static void
t_icmp_echo(void **state)
{
	struct frame *f = build(s_icmp_echo, PKT_LINK_ETHERNET);
	struct frame *g = build(s_icmp6_echo_reply, PKT_LINK_RAW);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.proto, 1);
	assert_true(p.has_l4);
	assert_int_equal(p.icmp_type, 8);
	assert_int_equal(p.icmp_id, 0x4242);
	assert_int_equal(p.icmp_seq, 1);
	assert_int_equal(p.sport, 0x4242);
	assert_int_equal(p.dport, 0x4242);
	assert_false(p.icmp_error);
	/* the echo data, for a check */
	assert_int_equal(p.icmp_len, 16);
	assert_int_equal(p.payload_len, 16);
	assert_memory_equal(p.payload, "pingpingpingping", 16);
	/* cut by the capture: the declared length stays */
	assert_int_equal(pkt_decode(&p, f->link, f->b, f->n - 6, f->n), PKT_OK);
	assert_true(p.snapped);
	assert_int_equal(p.icmp_len, 16);
	assert_int_equal(p.payload_len, 10);
	assert_int_equal(decode(&p, g), PKT_OK);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.icmp_type, 129);
	assert_int_equal(p.icmp_id, 0x7777);
	assert_int_equal(p.icmp_seq, 9);
	assert_int_equal(p.sport, 0x7777);
	assert_int_equal(p.icmp_len, 4);
	assert_memory_equal(p.payload, "pong", 4);
	test_free(f);
	test_free(g);
}

static void
t_icmp_unreach_quote(void **state)
{
	struct frame *f = build(s_icmp_unreach, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_true(p.icmp_error);
	assert_int_equal(p.icmp_type, 3);
	assert_int_equal(p.icmp_code, 3);
	assert_true(p.has_quote);
	assert_int_equal(p.quote.proto, 17);
	assert_addr(&p.quote.src, "192.0.2.1");
	assert_addr(&p.quote.dst, "198.51.100.7");
	assert_int_equal(p.quote.sport, 41000);
	assert_int_equal(p.quote.dport, 9999);
	assert_int_equal(p.sport, 0);
	test_free(f);
}

static void
t_icmp_short_quote(void **state)
{
	struct frame *f = frame_new(PKT_LINK_IP);
	struct pkt p;
	size_t ip, qip;

	(void)state;
	/* a router that quoted the IP header and 4 bytes only */
	ip = ip4(f, 1);
	icmp(f, 11, 0, 0, 0);
	qip = ip4(f, 6);
	put16(f, 1000);
	put16(f, 80);
	set16(f, qip + 2, 1500);
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_true(p.icmp_error);
	assert_false(p.has_quote);
	test_free(f);

	/* an ICMPv4 error that quotes an IPv6 header */
	f = frame_new(PKT_LINK_IP);
	ip = ip4(f, 1);
	icmp(f, 3, 1, 0, 0);
	qip = ip6(f, 17);
	udp(f, 1, 2);
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_false(p.has_quote);
	test_free(f);

	/* a quoted later fragment has no ports */
	f = frame_new(PKT_LINK_IP);
	ip = ip4(f, 1);
	icmp(f, 3, 1, 0, 0);
	(void)ip4h(f, 17, 5, 10, 1);
	putz(f, 8);
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_false(p.has_quote);
	test_free(f);
}

static void
t_icmp6_ptb_quote(void **state)
{
	struct frame *f = build(s_icmp6_ptb, PKT_LINK_IP);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.icmp_type, 2);
	assert_true(p.icmp_error);
	assert_true(p.has_quote);
	assert_int_equal(p.quote.proto, 6);
	assert_addr(&p.quote.src, "2001:db8::1");
	assert_int_equal(p.quote.sport, 45000);
	assert_int_equal(p.quote.dport, 443);
	test_free(f);
}

static void
t_icmp_quote_echo(void **state)
{
	struct frame *f = build(s_icmp_ttl_echo, PKT_LINK_IPV4);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.icmp_type, 11);
	assert_true(p.has_quote);
	assert_int_equal(p.quote.proto, 1);
	assert_int_equal(p.quote.sport, 0x5151);
	assert_int_equal(p.quote.dport, 0x5151);
	test_free(f);
}

static void
t_frag4(void **state)
{
	struct frame *f = build(s_frag_first, PKT_LINK_ETHERNET);
	struct frame *g = build(s_frag_later, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_true(p.frag);
	assert_true(p.frag_more);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.frag_id, 0xabcd);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 4000);
	assert_int_equal(p.payload_len, 16);
	assert_int_equal(decode(&p, g), PKT_OK);
	assert_true(p.frag);
	assert_false(p.frag_more);
	assert_int_equal(p.frag_off, 1480);
	assert_false(p.has_l4);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.proto, 17);
	test_free(f);
	test_free(g);
}

static void
t_frag6_later(void **state)
{
	struct frame *f = build(s_frag6_later, PKT_LINK_IP);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_true(p.frag);
	assert_true(p.frag_more);
	assert_int_equal(p.frag_off, 1448);
	assert_int_equal(p.frag_id, 0x01020304);
	assert_int_equal(p.proto, 17);
	assert_false(p.has_l4);
	assert_int_equal(p.ip6_ext, PKT_EXT_FRAG);
	test_free(f);
}

static void
t_frag_bad(void **state)
{
	struct frame *f;
	struct pkt p;
	size_t ip;

	(void)state;
	/* first fragment with 16 bytes of a TCP header */
	f = frame_new(PKT_LINK_IP);
	ip = ip4h(f, 6, 5, 0x2000, 5);
	putz(f, 16);
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why,
	    "first fragment too short for the transport header");
	test_free(f);

	/* first fragment whose TCP options run into the next fragment */
	f = frame_new(PKT_LINK_IP);
	ip = ip4h(f, 6, 5, 0x2000, 5);
	tcp(f, 1, 2, PKT_TCP_SYN, 0);
	put32(f, 0);
	f->b[ip + 20 + 12] = 0xa0;	/* 40 bytes of header, 24 here */
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why,
	    "first fragment too short for the transport header");
	test_free(f);

	/* first IPv6 fragment with no room for the ICMPv6 header */
	f = frame_new(PKT_LINK_IP);
	ip = ip6(f, 44);
	frag6(f, 58, 0, 1, 9);
	ip6_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why,
	    "first fragment too short for the transport header");
	test_free(f);

	/* RFC 1858: a TCP fragment at offset 8 */
	f = frame_new(PKT_LINK_IP);
	ip = ip4h(f, 6, 5, 1, 5);
	putz(f, 16);
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	test_free(f);

	/* the same over IPv6 (RFC 5722: an overlap); UDP there is data */
	f = frame_new(PKT_LINK_IP);
	ip = ip6(f, 44);
	frag6(f, 6, 8, 1, 9);
	putz(f, 16);
	ip6_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv6 tcp fragment overlaps the tcp header");
	f->b[40] = 17;
	assert_int_equal(decode(&p, f), PKT_OK);
	test_free(f);

	/* a fragment ending past 65535 */
	f = frame_new(PKT_LINK_IP);
	ip = ip4h(f, 17, 5, 8190, 5);
	putz(f, 24);
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv4 fragment ends past 65535");
	test_free(f);

	/* MF with a length that is not a multiple of 8 */
	f = frame_new(PKT_LINK_IP);
	ip = ip4h(f, 17, 5, 0x2000 | 100, 5);
	putz(f, 13);
	ip4_end(f, ip);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv4 fragment length not a multiple of 8");
	test_free(f);
}

static void
t_other_proto(void **state)
{
	struct frame *f = build(s_gre, PKT_LINK_IP);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.proto, 47);
	assert_false(p.has_l4);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	test_free(f);
}

static void
t_not_ip(void **state)
{
	struct frame *f = build(s_arp, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(decode(&p, f), PKT_UNSUPPORTED);
	assert_int_equal(p.family, 0);
	assert_string_equal(p.why, "not ip");
	/* an 802.3 length instead of a type */
	set16(f, 12, 46);
	assert_int_equal(decode(&p, f), PKT_UNSUPPORTED);
	/* an unknown link type */
	assert_int_equal(pkt_decode(&p, 105, f->b, f->n, f->n), PKT_UNSUPPORTED);
	assert_string_equal(p.why, "unknown link type");
	test_free(f);
}

static void
t_ip4_bad_lengths(void **state)
{
	struct frame *f = build(s_eth_tcp_syn, PKT_LINK_ETHERNET);
	struct pkt p;
	size_t ip = 14;

	(void)state;
	f->b[ip] = 0x44;
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv4 header length below 20");
	f->b[ip] = 0x4f;		/* 60 bytes of header leave no room for TCP */
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "tcp header exceeds ip payload");
	f->b[ip] = 0x45;
	/* header length beyond the data */
	assert_int_equal(pkt_decode(&p, f->link, f->b, 14 + 22, 14 + 22),
	    PKT_TRUNCATED);
	f->b[ip] = 0x47;
	assert_int_equal(pkt_decode(&p, f->link, f->b, 14 + 24, 14 + 24),
	    PKT_TRUNCATED);
	assert_string_equal(p.why, "ipv4 header truncated");
	f->b[ip] = 0x45;
	/* total length too big */
	set16(f, ip + 2, 61);
	assert_int_equal(decode(&p, f), PKT_TRUNCATED);
	assert_string_equal(p.why, "ipv4 total length exceeds packet");
	/* total length shorter than the header */
	set16(f, ip + 2, 19);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv4 total length shorter than its header");
	/* total length 0: segmentation offload, the frame's length */
	set16(f, ip + 2, 0);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.l3_len, 60);
	/* total length too small for the TCP header */
	set16(f, ip + 2, 30);
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "tcp header exceeds ip payload");
	/* version 6 on an IPv4 ethertype */
	set16(f, ip + 2, 60);
	f->b[ip] = 0x65;
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "ipv4 version is not 4");
	test_free(f);
}

static void
t_tcp_bad_offset(void **state)
{
	struct frame *f = build(s_eth_tcp_syn, PKT_LINK_ETHERNET);
	struct pkt p;
	size_t t = 14 + 20;

	(void)state;
	f->b[t + 12] = 0x40;
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "tcp data offset below 5");
	f->b[t + 12] = 0xb0;		/* 44 bytes in a 40-byte segment */
	assert_int_equal(decode(&p, f), PKT_INVALID);
	assert_string_equal(p.why, "tcp data offset exceeds ip payload");
	f->b[t + 12] = 0xa0;
	assert_int_equal(decode(&p, f), PKT_OK);
	/* ECN flags are kept */
	f->b[t + 13] = PKT_TCP_SYN | PKT_TCP_ECE | PKT_TCP_CWR;
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.tcp_flags, PKT_TCP_SYN | PKT_TCP_ECE | PKT_TCP_CWR);
	test_free(f);
}

static void
t_padding(void **state)
{
	struct frame *f = build(s_padded, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(f->n, 60);
	assert_int_equal(decode(&p, f), PKT_OK);
	assert_int_equal(p.l3_len, 40);
	assert_int_equal(p.payload_len, 0);
	test_free(f);
}

static void
t_null_and_odd_lengths(void **state)
{
	struct frame *f = build(s_eth_tcp_syn, PKT_LINK_ETHERNET);
	struct pkt p;

	(void)state;
	assert_int_equal(pkt_decode(&p, PKT_LINK_ETHERNET, NULL, 0, 0),
	    PKT_TRUNCATED);
	assert_non_null(p.why);
	assert_int_equal(pkt_decode(&p, PKT_LINK_IP, NULL, 100, 100),
	    PKT_TRUNCATED);
	/* a wire length below the captured length is taken as the latter */
	assert_int_equal(pkt_decode(&p, f->link, f->b, f->n, 10), PKT_OK);
	assert_false(p.snapped);
	test_free(f);
}

/* Every sample cut at every offset, wire included: never OK before its end. */
static void
t_truncate_everywhere(void **state)
{
	struct frame *f;
	struct pkt p;
	size_t i, n;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		f = build(samples[i].build, samples[i].link);
		assert_int_equal(decode(&p, f), samples[i].status);
		for (n = 0; n < f->n; n++) {
			pkt_decode(&p, f->link, f->b, n, n);
			if (n >= f->ip_end) {
				/* link padding may be cut */
				assert_int_equal(p.status, samples[i].status);
				continue;
			}
			if (p.status == PKT_OK)
				fail_msg("%s: cut at %zu decoded OK",
				    samples[i].name, n);
			assert_non_null(p.why);
			if (n < f->hdr_end &&
			    samples[i].status == PKT_UNSUPPORTED)
				assert_int_equal(p.status, PKT_TRUNCATED);
		}
		test_free(f);
	}
}

/*
 * Every sample snapped at every offset (the wire length intact): the headers
 * that were captured decode, a cut header is TRUNCATED, nothing is INVALID.
 */
static void
t_snap_everywhere(void **state)
{
	struct frame *f;
	struct pkt p;
	enum pkt_status want;
	size_t i, n;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		f = build(samples[i].build, samples[i].link);
		for (n = 0; n < f->n; n++) {
			pkt_decode(&p, f->link, f->b, n, f->n);
			assert_true(p.snapped);
			want = n >= f->hdr_end ? samples[i].status :
			    PKT_TRUNCATED;
			if (p.status != want)
				fail_msg("%s: snapped at %zu: %s (%s), want %s",
				    samples[i].name, n,
				    pkt_status_name(p.status),
				    p.why ? p.why : "-", pkt_status_name(want));
			if (p.status != PKT_OK)
				continue;
			assert_true(p.l3 + p.l3_len <= f->b + n);
			if (p.payload != NULL)
				assert_true(p.payload + p.payload_len <=
				    f->b + n);
			if (f->quote_end != 0)
				assert_int_equal(p.has_quote,
				    n >= f->quote_end);
		}
		test_free(f);
	}
}

/* A deterministic smoke run of mutated samples on every link type. */
static void
t_mutations(void **state)
{
	static const int links[] = { PKT_LINK_NULL, PKT_LINK_ETHERNET,
	    PKT_LINK_RAW, PKT_LINK_LOOP, PKT_LINK_SLL, PKT_LINK_IPV4,
	    PKT_LINK_IPV6, PKT_LINK_SLL2, PKT_LINK_IP };
	struct frame *f;
	struct pkt p;
	uint32_t x = 2463534242u;
	size_t i, k, r, pos;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		f = build(samples[i].build, samples[i].link);
		for (r = 0; r < 2000; r++) {
			uint8_t save[4];
			size_t at[4];

			for (k = 0; k < 4; k++) {
				x ^= x << 13; x ^= x >> 17; x ^= x << 5;
				pos = x % f->n;
				at[k] = pos;
				save[k] = f->b[pos];
				f->b[pos] = (uint8_t)(x >> 8);
			}
			pkt_decode(&p, links[r % 9], f->b, f->n - x % 3,
			    f->n + x % 5);
			if (p.status != PKT_OK)
				assert_non_null(p.why);
			for (k = 4; k-- > 0;)
				f->b[at[k]] = save[k];
		}
		test_free(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_link_from_dlt),
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_eth_tcp_syn),
		cmocka_unit_test(t_eth_tcp_data),
		cmocka_unit_test(t_vlan),
		cmocka_unit_test(t_qinq),
		cmocka_unit_test(t_sll),
		cmocka_unit_test(t_null_loop),
		cmocka_unit_test(t_raw),
		cmocka_unit_test(t_ip4_options),
		cmocka_unit_test(t_ip6_chain),
		cmocka_unit_test(t_ip6_ah),
		cmocka_unit_test(t_ip6_nonext_esp),
		cmocka_unit_test(t_ip6_hbh_not_first),
		cmocka_unit_test(t_ip6_chain_limit),
		cmocka_unit_test(t_ip6_bad_ext),
		cmocka_unit_test(t_ip6_jumbo),
		cmocka_unit_test(t_udp),
		cmocka_unit_test(t_icmp_echo),
		cmocka_unit_test(t_icmp_unreach_quote),
		cmocka_unit_test(t_icmp_short_quote),
		cmocka_unit_test(t_icmp6_ptb_quote),
		cmocka_unit_test(t_icmp_quote_echo),
		cmocka_unit_test(t_frag4),
		cmocka_unit_test(t_frag6_later),
		cmocka_unit_test(t_frag_bad),
		cmocka_unit_test(t_other_proto),
		cmocka_unit_test(t_not_ip),
		cmocka_unit_test(t_ip4_bad_lengths),
		cmocka_unit_test(t_tcp_bad_offset),
		cmocka_unit_test(t_padding),
		cmocka_unit_test(t_null_and_odd_lengths),
		cmocka_unit_test(t_truncate_everywhere),
		cmocka_unit_test(t_snap_everywhere),
		cmocka_unit_test(t_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
