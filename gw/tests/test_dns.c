/*
 * test_dns.c - the DNS parser on messages built here: queries, answers, compression,
 * EDNS, names in Wireshark's form, every truncation and random mutations of each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns.h"

#define MSG_MAX		4096

struct msg {
	uint8_t	b[MSG_MAX];
	size_t	n;
};

/* One dns_msg is 34 KiB: keep them off the stack. */
static struct dns_msg	dm;

static void
put8(struct msg *m, unsigned v)
{
	assert_true(m->n < MSG_MAX);
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
putbytes(struct msg *m, const void *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		put8(m, ((const uint8_t *)p)[i]);
}

/* The labels of a dotted name, without the root. */
static void
putlabels(struct msg *m, const char *dotted)
{
	const char *s = dotted, *dot;
	size_t len;

	while (*s != '\0') {
		dot = strchr(s, '.');
		len = dot != NULL ? (size_t)(dot - s) : strlen(s);
		put8(m, (unsigned)len);
		putbytes(m, s, len);
		s += len;
		if (*s == '.')
			s++;
	}
}

static void
putname(struct msg *m, const char *dotted)
{
	putlabels(m, dotted);
	put8(m, 0);
}

static void
putptr(struct msg *m, size_t off)
{
	put16(m, 0xc000 | (unsigned)off);
}

static void
header(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* type, class, ttl, and a zero RDLENGTH to patch with rdlen_end(); returns where it is. */
static size_t
rr_begin(struct msg *m, unsigned type, unsigned cls, uint32_t ttl)
{
	put16(m, type);
	put16(m, cls);
	put32(m, ttl);
	put16(m, 0);
	return m->n - 2;
}

static void
rdlen_end(struct msg *m, size_t at)
{
	size_t len = m->n - at - 2;

	m->b[at] = (uint8_t)(len >> 8);
	m->b[at + 1] = (uint8_t)len;
}

/* Parse exactly n bytes from a buffer of that size, so ASan sees any read past it. */
static enum dns_status
parse_n(const struct msg *m, size_t n, struct dns_msg *out)
{
	enum dns_status st;
	uint8_t *p;

	if (n == 0)
		return dns_parse(NULL, 0, out);
	p = malloc(n);
	assert_non_null(p);
	memcpy(p, m->b, n);
	st = dns_parse(p, n, out);
	free(p);
	if (st == DNS_OK)
		assert_null(out->why);
	else
		assert_non_null(out->why);
	return st;
}

static enum dns_status
parse(const struct msg *m)
{
	return parse_n(m, m->n, &dm);
}

/* Samples */

static void
build_query(struct msg *m)
{
	header(m, 0x1234, 0x0100, 1, 0, 0, 0);		/* RD */
	putname(m, "www.Example.com");
	put16(m, DNS_T_A);
	put16(m, DNS_C_IN);
}

static const uint8_t addr4[4] = { 192, 0, 2, 1 };
static const uint8_t addr6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 1 };

/*
 * www.example.com CNAME a.example.net, a.example.net CNAME b.cdn.example.org,
 * b.cdn.example.org A and AAAA, with a TXT and a CHAOS A between;
 * compressed as a server would; an NS in authority, an OPT in additional.
 */
static void
build_chain(struct msg *m)
{
	size_t at, a_net, b_org;

	header(m, 0xbeef, 0x8180, 1, 6, 1, 1);		/* QR RD RA */
	putname(m, "www.example.com");			/* at 12 */
	put16(m, DNS_T_A);
	put16(m, DNS_C_IN);

	putptr(m, 12);
	at = rr_begin(m, DNS_T_CNAME, DNS_C_IN, 300);
	a_net = m->n;
	putname(m, "a.example.net");
	rdlen_end(m, at);

	putptr(m, a_net);
	at = rr_begin(m, DNS_T_CNAME, DNS_C_IN, 60);
	b_org = m->n;
	putname(m, "b.cdn.example.org");
	rdlen_end(m, at);

	putptr(m, b_org);
	at = rr_begin(m, 16, DNS_C_IN, 5);		/* TXT */
	putbytes(m, "\005hello", 6);
	rdlen_end(m, at);

	putptr(m, b_org);
	at = rr_begin(m, DNS_T_A, 3, 5);		/* CHAOS A: name + address */
	putptr(m, b_org);
	put16(m, 0x1234);
	rdlen_end(m, at);

	putptr(m, b_org);
	at = rr_begin(m, DNS_T_A, DNS_C_IN, 20);
	putbytes(m, addr4, 4);
	rdlen_end(m, at);

	putptr(m, b_org);
	at = rr_begin(m, DNS_T_AAAA, DNS_C_IN, 0x80000001u);
	putbytes(m, addr6, 16);
	rdlen_end(m, at);

	putptr(m, b_org + 6);				/* cdn.example.org */
	at = rr_begin(m, 2, DNS_C_IN, 3600);		/* NS */
	putlabels(m, "ns1");
	putptr(m, b_org + 6);
	rdlen_end(m, at);

	put8(m, 0);					/* OPT */
	at = rr_begin(m, DNS_T_OPT, 1232, 0x00008000);
	rdlen_end(m, at);
}

/* Pointers to the middle of a name, to a pointer, and forward. */
static void
build_compress(struct msg *m)
{
	size_t at, fwd;

	header(m, 7, 0x8000, 1, 3, 0, 0);
	put8(m, 4);					/* qname: "mail" + forward pointer */
	putbytes(m, "mail", 4);
	fwd = m->n;
	putptr(m, 0);					/* patched below */
	put16(m, DNS_T_A);
	put16(m, DNS_C_IN);

	putptr(m, 12);					/* the question name */
	at = rr_begin(m, DNS_T_CNAME, DNS_C_IN, 1);
	put8(m, 1);
	put8(m, 'x');
	putptr(m, fwd);					/* a pointer to a pointer */
	rdlen_end(m, at);

	putptr(m, 12);
	at = rr_begin(m, DNS_T_A, DNS_C_IN, 2);
	putbytes(m, addr4, 4);
	rdlen_end(m, at);

	/* the name the forward pointer reaches, as owner of a last record */
	m->b[fwd] = (uint8_t)(0xc0 | m->n >> 8);
	m->b[fwd + 1] = (uint8_t)m->n;
	putname(m, "example.org");
	at = rr_begin(m, 16, DNS_C_IN, 3);
	put8(m, 0);
	rdlen_end(m, at);
}

static void
build_edns(struct msg *m)
{
	size_t at;

	header(m, 0x4242, 0x0120, 1, 0, 0, 1);		/* RD AD */
	putname(m, "example.com");
	put16(m, DNS_T_AAAA);
	put16(m, DNS_C_IN);
	put8(m, 0);
	at = rr_begin(m, DNS_T_OPT, 4096, 0x00018000);	/* version 1, DO */
	put16(m, 10);					/* COOKIE option */
	put16(m, 8);
	putbytes(m, "\001\002\003\004\005\006\007\010", 8);
	rdlen_end(m, at);
}

static const struct {
	const char	*name;
	void		(*build)(struct msg *);
} samples[] = {
	{ "query", build_query },
	{ "chain", build_chain },
	{ "compress", build_compress },
	{ "edns", build_edns },
};
#define NSAMPLES	(sizeof(samples) / sizeof(samples[0]))

/* Tests */

static void
t_query(void **state)
{
	struct msg m;

	(void)state;
	build_query(&m);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(dm.id, 0x1234);
	assert_false(dm.response);
	assert_int_equal(dm.opcode, 0);
	assert_int_equal(dm.rcode, 0);
	assert_false(dm.tc);
	assert_int_equal(dm.qdcount, 1);
	assert_int_equal(dm.ancount, 0);
	assert_true(dm.has_question);
	assert_false(dm.qname_lossy);
	assert_string_equal(dm.qname, "www.Example.com");
	assert_int_equal(dm.qtype, DNS_T_A);
	assert_int_equal(dm.qclass, DNS_C_IN);
	assert_int_equal(dm.nanswers, 0);
	assert_int_equal(dm.skipped, 0);
	assert_false(dm.edns);
}

static void
t_header_flags(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 0xffff, 0xaa0b, 0, 0, 0, 0);		/* QR, opcode 5, TC, rcode 11 */
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(dm.id, 0xffff);
	assert_true(dm.response);
	assert_int_equal(dm.opcode, 5);
	assert_true(dm.tc);
	assert_int_equal(dm.rcode, 11);
	assert_false(dm.has_question);
	assert_string_equal(dm.qname, "");
}

static void
t_chain(void **state)
{
	struct msg m;

	(void)state;
	build_chain(&m);
	assert_int_equal(parse(&m), DNS_OK);
	assert_true(dm.response);
	assert_int_equal(dm.ancount, 6);
	assert_int_equal(dm.nscount, 1);
	assert_int_equal(dm.arcount, 1);
	assert_string_equal(dm.qname, "www.example.com");
	assert_int_equal(dm.nanswers, 4);
	assert_int_equal(dm.skipped, 2);		/* TXT, CHAOS A */

	assert_string_equal(dm.an[0].name, "www.example.com");
	assert_int_equal(dm.an[0].type, DNS_T_CNAME);
	assert_int_equal(dm.an[0].ttl, 300);
	assert_string_equal(dm.an[0].cname, "a.example.net");

	assert_string_equal(dm.an[1].name, "a.example.net");
	assert_int_equal(dm.an[1].type, DNS_T_CNAME);
	assert_int_equal(dm.an[1].ttl, 60);
	assert_string_equal(dm.an[1].cname, "b.cdn.example.org");

	assert_string_equal(dm.an[2].name, "b.cdn.example.org");
	assert_int_equal(dm.an[2].type, DNS_T_A);
	assert_int_equal(dm.an[2].ttl, 20);
	assert_memory_equal(dm.an[2].addr, addr4, 4);
	assert_int_equal(dm.an[2].addr[4], 0);
	assert_string_equal(dm.an[2].cname, "");

	assert_string_equal(dm.an[3].name, "b.cdn.example.org");
	assert_int_equal(dm.an[3].type, DNS_T_AAAA);
	assert_int_equal(dm.an[3].ttl, 0x80000001u);
	assert_memory_equal(dm.an[3].addr, addr6, 16);

	assert_true(dm.edns);
	assert_int_equal(dm.edns_udp_size, 1232);
	assert_int_equal(dm.edns_version, 0);
	assert_true(dm.edns_do);
}

static void
t_compress(void **state)
{
	struct msg m;

	(void)state;
	build_compress(&m);
	assert_int_equal(parse(&m), DNS_OK);
	assert_string_equal(dm.qname, "mail.example.org");
	assert_int_equal(dm.nanswers, 2);
	assert_int_equal(dm.skipped, 1);
	assert_string_equal(dm.an[0].name, "mail.example.org");
	assert_string_equal(dm.an[0].cname, "x.example.org");
	assert_string_equal(dm.an[1].name, "mail.example.org");
	assert_memory_equal(dm.an[1].addr, addr4, 4);
}

static void
t_edns(void **state)
{
	struct msg m;

	(void)state;
	build_edns(&m);
	assert_int_equal(parse(&m), DNS_OK);
	assert_string_equal(dm.qname, "example.com");
	assert_int_equal(dm.qtype, DNS_T_AAAA);
	assert_true(dm.edns);
	assert_int_equal(dm.edns_udp_size, 4096);
	assert_int_equal(dm.edns_version, 1);
	assert_true(dm.edns_do);

	/* DO clear, extended rcode set: version and DO are read from their own bits */
	m.b[m.n - 18] = 0xff;				/* extended rcode */
	m.b[m.n - 17] = 0;				/* version */
	m.b[m.n - 16] = 0x7f;				/* DO clear, Z set */
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(dm.edns_version, 0);
	assert_false(dm.edns_do);
}

static void
t_edns_twice(void **state)
{
	struct msg m;
	size_t at;

	(void)state;
	build_edns(&m);
	m.b[11] = 2;					/* arcount */
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_OPT, 512, 0);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "second OPT record");
	assert_true(dm.edns);
	assert_int_equal(dm.edns_udp_size, 4096);	/* the first one stays */

	/* an OPT outside the additional section is an ordinary record */
	header(&m, 1, 0x8000, 0, 1, 1, 0);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_OPT, 512, 0x8000);
	rdlen_end(&m, at);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_OPT, 512, 0x8000);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_OK);
	assert_false(dm.edns);
	assert_int_equal(dm.skipped, 1);
}

static void
t_root(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 0);
	put16(&m, 2);					/* NS */
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_OK);
	assert_true(dm.has_question);
	assert_string_equal(dm.qname, "");
	assert_int_equal(dm.qtype, 2);
}

static void
t_more_questions(void **state)
{
	struct msg m;
	size_t at;

	(void)state;
	header(&m, 1, 0x8000, 3, 1, 0, 0);
	putname(&m, "first.test");
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	putname(&m, "second.test");
	put16(&m, DNS_T_AAAA);
	put16(&m, DNS_C_IN);
	putptr(&m, 12 + 6);				/* "test" */
	put16(&m, 15);
	put16(&m, DNS_C_IN);
	putptr(&m, 12);
	at = rr_begin(&m, DNS_T_A, DNS_C_IN, 9);
	putbytes(&m, addr4, 4);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_OK);
	assert_string_equal(dm.qname, "first.test");
	assert_int_equal(dm.qtype, DNS_T_A);
	assert_int_equal(dm.nanswers, 1);
	assert_string_equal(dm.an[0].name, "first.test");

	/* a bad second question fails the message; the first stays */
	m.b[28] = 0x41;					/* "second" -> label type 0x40 */
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "label type 0x40");
	assert_true(dm.has_question);
	assert_string_equal(dm.qname, "first.test");
	assert_int_equal(dm.nanswers, 0);
}

static void
t_partial(void **state)
{
	struct msg m;
	size_t at;

	(void)state;
	header(&m, 1, 0x8000, 1, 3, 0, 0);		/* three answers claimed, one there */
	putname(&m, "a.test");
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	putptr(&m, 12);
	at = rr_begin(&m, DNS_T_A, DNS_C_IN, 9);
	putbytes(&m, addr4, 4);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_TRUNCATED);
	assert_string_equal(dm.why, "truncated name");
	assert_true(dm.has_question);
	assert_string_equal(dm.qname, "a.test");
	assert_int_equal(dm.nanswers, 1);

	/* the name whole, type and class cut: the question is not kept */
	header(&m, 1, 0, 1, 0, 0, 0);
	putname(&m, "a.test");
	put16(&m, DNS_T_A);
	assert_int_equal(parse(&m), DNS_TRUNCATED);
	assert_string_equal(dm.why, "truncated question");
	assert_false(dm.has_question);
	assert_string_equal(dm.qname, "");

	/* rdata cut */
	header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	rr_begin(&m, DNS_T_AAAA, DNS_C_IN, 1);
	m.b[m.n - 1] = 16;
	putbytes(&m, addr6, 15);
	assert_int_equal(parse(&m), DNS_TRUNCATED);
	assert_string_equal(dm.why, "truncated rdata");
}

static void
t_empty(void **state)
{
	struct msg m;
	size_t n;

	(void)state;
	assert_int_equal(dns_parse(NULL, 0, &dm), DNS_TRUNCATED);
	assert_string_equal(dm.why, "truncated header");
	build_query(&m);
	for (n = 0; n < DNS_HDR_LEN; n++) {
		assert_int_equal(parse_n(&m, n, &dm), DNS_TRUNCATED);
		assert_string_equal(dm.why, "truncated header");
		assert_int_equal(dm.id, 0);
	}
	/* a header alone, all counts 0, is a whole message */
	header(&m, 9, 0, 0, 0, 0, 0);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(dm.id, 9);
}

static void
t_loop_self(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, 0, 1, 0, 0, 0);
	putptr(&m, 12);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "compression loop");
	assert_false(dm.has_question);
}

static void
t_loop_pair(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, 0, 1, 0, 0, 0);
	putptr(&m, 14);
	putptr(&m, 12);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "compression loop");

	/* a loop through a label grows the name instead */
	header(&m, 1, 0, 1, 0, 0, 0);
	putlabels(&m, "a");
	putptr(&m, 12);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "name too long");
}

/* The query of tcpdump's dns-zlip-1.pcap and -2.pcap (its UDP length says 0 bytes). */
static void
t_zlip(void **state)
{
	static const uint8_t zlip1[] = {
		0xed, 0x69, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xc0, 0x0c, 0xc0, 0x07, 0xc0, 0x10, 0xc0, 0x17,
		0xc0, 0x20, 0xc0, 0x27, 0xc0, 0x30, 0xc0, 0xff, 0xcf, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x01,
	};
	static const uint8_t zlip2[] = {
		0x4a, 0x30, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xc0, 0x0e, 0xc0, 0x0c, 0xc0, 0x10, 0xc0, 0x17,
		0xc0, 0x20, 0xc0, 0x27, 0xc0, 0x30, 0xc0, 0xff, 0xcf, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x01,
	};
	struct msg m;

	(void)state;
	m.n = sizeof(zlip1);
	memcpy(m.b, zlip1, m.n);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "compression loop");
	m.n = sizeof(zlip2);
	memcpy(m.b, zlip2, m.n);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "compression loop");
}

/* DNS_MAX_PTRS jumps are followed, one more is a loop. */
static void
t_pointer_bound(void **state)
{
	struct msg m;
	size_t i, chain;

	(void)state;
	header(&m, 1, 0, 1, 0, 0, 0);
	putptr(&m, 14);					/* qname: into the chain */
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	/* at 18: root; from 20: pointers each to the one before, the first to 18 */
	put8(&m, 0);
	put8(&m, 0);
	chain = m.n;
	for (i = 0; i < DNS_MAX_PTRS - 1; i++)
		putptr(&m, i == 0 ? 18 : chain + 2 * (i - 1));
	/* qname's pointer reaches the last: 1 + (DNS_MAX_PTRS - 1) jumps */
	m.b[12] = (uint8_t)(0xc0 | (chain + 2 * (DNS_MAX_PTRS - 2)) >> 8);
	m.b[13] = (uint8_t)(chain + 2 * (DNS_MAX_PTRS - 2));
	assert_int_equal(parse(&m), DNS_OK);
	assert_string_equal(dm.qname, "");

	putptr(&m, chain + 2 * (DNS_MAX_PTRS - 2));
	m.b[12] = (uint8_t)(0xc0 | (m.n - 2) >> 8);
	m.b[13] = (uint8_t)(m.n - 2);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "compression loop");
}

static void
t_pointer_past_end(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, 0, 1, 0, 0, 0);
	putlabels(&m, "www");
	putptr(&m, 0x3fff);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_TRUNCATED);
	assert_string_equal(dm.why, "pointer forward past the end");

	m.b[16] = 0xc0;
	m.b[17] = (uint8_t)m.n;				/* one past the last byte */
	assert_int_equal(parse(&m), DNS_TRUNCATED);
	assert_string_equal(dm.why, "pointer forward past the end");
	m.b[17] = (uint8_t)(m.n - 4);			/* qtype's high byte, 0: a root */
	assert_int_equal(parse(&m), DNS_OK);
	assert_string_equal(dm.qname, "www");

	/* into the header: followed like any other (id 0x0001 starts with a root) */
	m.b[17] = 0;
	assert_int_equal(parse(&m), DNS_OK);
	assert_string_equal(dm.qname, "www");
}

static void
t_name_length(void **state)
{
	char lab[64], name[300];
	struct msg m;

	(void)state;
	memset(lab, 'a', 63);
	lab[63] = '\0';
	/* 1 + 3 * 64 + 62 = 255 octets */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", lab, lab, lab, lab);
	header(&m, 1, 0, 1, 0, 0, 0);
	putname(&m, name);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(m.n, 12 + 255 + 4);
	assert_int_equal(parse(&m), DNS_OK);
	assert_string_equal(dm.qname, name);
	assert_int_equal(strlen(dm.qname), 253);

	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", lab, lab, lab, lab);
	header(&m, 1, 0, 1, 0, 0, 0);
	putname(&m, name);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "name too long");
	assert_false(dm.has_question);

	/* too long only once a pointer is followed */
	snprintf(name, sizeof(name), "%s.%s.%s", lab, lab, lab);
	header(&m, 1, 0, 2, 0, 0, 0);
	putname(&m, name);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	putlabels(&m, lab);
	putptr(&m, 12);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "name too long");
	assert_true(dm.has_question);
}

static void
t_label_types(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 1, 0, 1, 0, 0, 0);
	putlabels(&m, "www");
	put8(&m, 0x41);					/* RFC 2673 bit-string label */
	put8(&m, 8);
	put8(&m, 0xff);
	put8(&m, 0);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "label type 0x40");
	assert_false(dm.has_question);

	m.b[16] = 0x80;
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "label type 0x80");
}

static void
t_bad_rdlength(void **state)
{
	struct msg m;
	size_t at;

	(void)state;
	header(&m, 1, 0x8000, 0, 2, 0, 0);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_A, DNS_C_IN, 1);
	putbytes(&m, addr4, 4);
	rdlen_end(&m, at);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_A, DNS_C_IN, 1);
	putbytes(&m, addr4, 4);
	put8(&m, 9);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "A rdlength not 4");
	assert_int_equal(dm.nanswers, 1);

	header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_AAAA, DNS_C_IN, 1);
	putbytes(&m, addr4, 4);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "AAAA rdlength not 16");

	/* class other than IN: not checked, skipped */
	header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_A, 3, 1);
	putbytes(&m, addr6, 5);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(dm.nanswers, 0);
	assert_int_equal(dm.skipped, 1);

	/* CNAME: a byte left after the name, and a name running past RDATA */
	header(&m, 1, 0x8000, 0, 1, 0, 0);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_CNAME, DNS_C_IN, 1);
	putname(&m, "a.test");
	put8(&m, 0);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "name shorter than rdlength");

	m.b[m.n - 10] = 5;				/* RDLENGTH 9 -> 5: cuts "test" */
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "name longer than rdlength");

	/* a pointer ends the name inside RDATA: fine */
	header(&m, 1, 0x8000, 0, 2, 0, 0);
	putname(&m, "a.test");				/* owner at 12 */
	at = rr_begin(&m, DNS_T_A, DNS_C_IN, 1);
	putbytes(&m, addr4, 4);
	rdlen_end(&m, at);
	put8(&m, 0);
	at = rr_begin(&m, DNS_T_CNAME, DNS_C_IN, 1);
	putlabels(&m, "b");
	putptr(&m, 12);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(dm.nanswers, 2);
	assert_string_equal(dm.an[1].name, "");
	assert_string_equal(dm.an[1].cname, "b.a.test");
}

static void
t_answer_cap(void **state)
{
	struct msg m;
	size_t at, i;

	(void)state;
	header(&m, 1, 0x8000, 1, DNS_MAX_ANSWERS + 4, 0, 0);
	putname(&m, "many.test");
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	for (i = 0; i < DNS_MAX_ANSWERS + 4; i++) {
		putptr(&m, 12);
		at = rr_begin(&m, DNS_T_A, DNS_C_IN, (uint32_t)i);
		put32(&m, 0x0a000000u + (uint32_t)i);
		rdlen_end(&m, at);
	}
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(dm.nanswers, DNS_MAX_ANSWERS);
	assert_int_equal(dm.skipped, 4);
	assert_int_equal(dm.an[DNS_MAX_ANSWERS - 1].ttl, DNS_MAX_ANSWERS - 1);
	assert_int_equal(dm.an[DNS_MAX_ANSWERS - 1].addr[3], DNS_MAX_ANSWERS - 1);

	/* past the cap, records are still checked */
	m.b[m.n - 5] = 5;
	put8(&m, 0);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "A rdlength not 4");
}

static void
t_authority_bad(void **state)
{
	struct msg m;
	size_t at;

	(void)state;
	header(&m, 1, 0x8000, 0, 0, 1, 0);
	putptr(&m, 12);					/* owner: a pointer to itself */
	at = rr_begin(&m, 6, DNS_C_IN, 1);
	rdlen_end(&m, at);
	assert_int_equal(parse(&m), DNS_INVALID);
	assert_string_equal(dm.why, "compression loop");
}

/* One label holding raw bytes, as qname; returns the parse status. */
static enum dns_status
qname_of(const void *label, size_t len)
{
	struct msg m;

	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, (unsigned)len);
	putbytes(&m, label, len);
	putname(&m, "test");
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	return parse(&m);
}

/* The strings are what tshark 4.0.17 prints as dns.qry.name for the same bytes. */
static void
t_presentation(void **state)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
	} cases[] = {
		{ "a.b", 3, "a.b.test" },
		{ "a\\b", 3, "a\\b.test" },
		{ "\001\a\b\t\n\v\f\r\033\177", 10,
		    "\\001\\a\\b\\t\\n\\v\\f\\r\\033\\177.test" },
		{ "\0x", 2, "\\000x.test" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9.test" },
		{ "\xc3", 1, "\xef\xbf\xbd.test" },		/* cut sequence */
		{ "\xc3" "A", 2, "\xef\xbf\xbd" "A.test" },	/* bad continuation */
		{ "\xff\xfe\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.test" },
		{ "\xc0\xae", 2, "..test" },			/* overlong '.' */
		{ "\xc0\x80", 2, "\\u0000.test" },		/* overlong NUL */
		{ "\xc1\xbf", 2, "\\u007F.test" },		/* overlong DEL */
		{ "\xc2\x85", 2, "\\u0085.test" },		/* C1 control */
		{ "\xc2\xad", 2, "\\u00AD.test" },		/* soft hyphen: format */
		{ "\xe2\x80\x8b", 3, "\\u200B.test" },		/* zero width space */
		{ "\xed\xa0\x80", 3, "\xef\xbf\xbd.test" },	/* surrogate */
		{ "\xef\xbf\xbf", 3, "\\uFFFF.test" },		/* noncharacter */
		{ "\xf3\xa0\x80\x81", 4, "\\U000E0001.test" },	/* language tag */
		{ "\xf3\xa0\x84\x80", 4, "\xf3\xa0\x84\x80.test" }, /* VS17 */
		{ "\xf0\x9f\x92\xa9", 4, "\xf0\x9f\x92\xa9.test" },
		{ "\xf4\x90\x80\x80", 4, "\xef\xbf\xbd.test" },	/* past U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", 5, "\xef\xbf\xbd.test" }, /* 5-byte form */
		{ "\xf1\x80\x80\x80", 4, "\\U00040000.test" },	/* plane 4 */
		{ "\xf3\xb0\x80\x80", 4, "\xf3\xb0\x80\x80.test" }, /* private use */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(qname_of(cases[i].in, cases[i].len), DNS_OK);
		if (strcmp(dm.qname, cases[i].out) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    dm.qname, cases[i].out);
		assert_true(dm.qname_lossy);
	}
	assert_int_equal(qname_of("a-b_c d", 7), DNS_OK);
	assert_string_equal(dm.qname, "a-b_c d.test");
	assert_false(dm.qname_lossy);
}

/* The widest form: four labels of control bytes fill 1003 bytes. */
static void
t_presentation_widest(void **state)
{
	uint8_t lab[63];
	struct msg m;
	size_t i;

	(void)state;
	memset(lab, 1, sizeof(lab));
	header(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 4; i++) {
		put8(&m, i < 3 ? 63 : 61);
		putbytes(&m, lab, i < 3 ? 63 : 61);
	}
	put8(&m, 0);
	put16(&m, DNS_T_A);
	put16(&m, DNS_C_IN);
	assert_int_equal(parse(&m), DNS_OK);
	assert_int_equal(strlen(dm.qname), 4 * 250 + 3);
	assert_memory_equal(dm.qname, "\\001\\001", 8);
	assert_memory_equal(dm.qname + 4 * 63, ".\\001", 5);
}

static void
t_truncate_everywhere(void **state)
{
	struct msg m;
	enum dns_status st;
	size_t i, n;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		samples[i].build(&m);
		assert_int_equal(parse(&m), DNS_OK);
		for (n = 0; n < m.n; n++) {
			st = parse_n(&m, n, &dm);
			if (st == DNS_OK)
				fail_msg("%s: cut at %zu parsed OK",
				    samples[i].name, n);
			assert_true(st == DNS_TRUNCATED || st == DNS_INVALID);
			assert_true(strlen(dm.qname) < DNS_NAME_BUF);
			assert_true(dm.nanswers <= DNS_MAX_ANSWERS);
			if (!dm.has_question)
				assert_string_equal(dm.qname, "");
		}
	}
}

static void
t_mutations(void **state)
{
	struct msg m;
	uint32_t x = 2463534242u;
	size_t i, k, r, at[4], n;
	uint8_t save[4];
	enum dns_status st;

	(void)state;
	for (i = 0; i < NSAMPLES; i++) {
		samples[i].build(&m);
		for (r = 0; r < 200; r++) {
			for (k = 0; k < 4; k++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				at[k] = x % m.n;
				save[k] = m.b[at[k]];
				/* half the time a byte that reads as a pointer */
				m.b[at[k]] = (uint8_t)((x & 0x100) ?
				    (x >> 9 | 0xc0) : x >> 16);
			}
			n = m.n - x % 4;
			st = parse_n(&m, n, &dm);
			assert_true(st == DNS_OK || st == DNS_TRUNCATED ||
			    st == DNS_INVALID);
			assert_true(strlen(dm.qname) < DNS_NAME_BUF);
			for (k = 0; k < dm.nanswers; k++) {
				assert_true(strlen(dm.an[k].name) <
				    DNS_NAME_BUF);
				assert_true(strlen(dm.an[k].cname) <
				    DNS_NAME_BUF);
			}
			for (k = 4; k-- > 0;)
				m.b[at[k]] = save[k];
		}
	}
}

static void
t_tcp(void **state)
{
	uint8_t s[128];
	size_t off = 99, mlen = 99, n;
	struct msg q;

	(void)state;
	build_query(&q);
	s[0] = 0;
	s[1] = (uint8_t)q.n;
	memcpy(s + 2, q.b, q.n);
	memcpy(s + 2 + q.n, s, 2 + q.n);		/* a second message behind */

	assert_int_equal(dns_tcp_message(NULL, 0, &off, &mlen), 1);
	assert_int_equal(dns_tcp_message(s, 1, &off, &mlen), 1);
	assert_int_equal(dns_tcp_message(s, 2, &off, &mlen), 1);
	for (n = 3; n < 2 + q.n; n++)
		assert_int_equal(dns_tcp_message(s, n, &off, &mlen), 1);
	assert_int_equal(off, 99);
	assert_int_equal(mlen, 99);
	assert_int_equal(dns_tcp_message(s, 2 + q.n, &off, &mlen), 0);
	assert_int_equal(off, 2);
	assert_int_equal(mlen, q.n);
	off = mlen = 99;
	assert_int_equal(dns_tcp_message(s, 2 * (2 + q.n), &off, &mlen), 0);
	assert_int_equal(off, 2);
	assert_int_equal(mlen, q.n);
	assert_int_equal(dns_parse(s + off, mlen, &dm), DNS_OK);
	assert_string_equal(dm.qname, "www.Example.com");

	s[1] = 0;					/* length 0 */
	assert_int_equal(dns_tcp_message(s, 2, &off, &mlen), -1);
	s[1] = DNS_HDR_LEN - 1;
	assert_int_equal(dns_tcp_message(s, 2, &off, &mlen), -1);
	s[1] = DNS_HDR_LEN;
	assert_int_equal(dns_tcp_message(s, 2 + DNS_HDR_LEN - 1, &off, &mlen), 1);
	assert_int_equal(dns_tcp_message(s, 2 + DNS_HDR_LEN, &off, &mlen), 0);
	assert_int_equal(mlen, DNS_HDR_LEN);
	s[0] = 0xff;					/* 65292 bytes announced */
	assert_int_equal(dns_tcp_message(s, sizeof(s), &off, &mlen), 1);
}

static void
t_names(void **state)
{
	(void)state;
	assert_string_equal(dns_type_name(DNS_T_A), "A");
	assert_string_equal(dns_type_name(DNS_T_AAAA), "AAAA");
	assert_string_equal(dns_type_name(DNS_T_CNAME), "CNAME");
	assert_string_equal(dns_type_name(DNS_T_OPT), "OPT");
	assert_string_equal(dns_type_name(65), "HTTPS");
	assert_null(dns_type_name(0));
	assert_null(dns_type_name(4242));
	assert_string_equal(dns_status_name(DNS_OK), "ok");
	assert_string_equal(dns_status_name(DNS_TRUNCATED), "truncated");
	assert_string_equal(dns_status_name(DNS_INVALID), "invalid");
}

static void
test_name_lower(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(dns_name_lower(buf, sizeof(buf), "WWW.Example.COM."), 15);
	assert_string_equal(buf, "www.example.com");
	assert_int_equal(dns_name_lower(buf, sizeof(buf), "a.b"), 3);
	assert_string_equal(buf, "a.b");
	assert_int_equal(dns_name_lower(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
	assert_int_equal(dns_name_lower(buf, 6, "ABCDEFG"), 5);	/* cut to fit */
	assert_string_equal(buf, "abcde");
	assert_int_equal(dns_name_lower(buf, sizeof(buf), "\xc3\x89.x"), 4);	/* not ASCII: as is */
	assert_string_equal(buf, "\xc3\x89.x");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_lower),
		cmocka_unit_test(t_query),
		cmocka_unit_test(t_header_flags),
		cmocka_unit_test(t_chain),
		cmocka_unit_test(t_compress),
		cmocka_unit_test(t_edns),
		cmocka_unit_test(t_edns_twice),
		cmocka_unit_test(t_root),
		cmocka_unit_test(t_more_questions),
		cmocka_unit_test(t_partial),
		cmocka_unit_test(t_empty),
		cmocka_unit_test(t_loop_self),
		cmocka_unit_test(t_loop_pair),
		cmocka_unit_test(t_zlip),
		cmocka_unit_test(t_pointer_bound),
		cmocka_unit_test(t_pointer_past_end),
		cmocka_unit_test(t_name_length),
		cmocka_unit_test(t_label_types),
		cmocka_unit_test(t_bad_rdlength),
		cmocka_unit_test(t_answer_cap),
		cmocka_unit_test(t_authority_bad),
		cmocka_unit_test(t_presentation),
		cmocka_unit_test(t_presentation_widest),
		cmocka_unit_test(t_truncate_everywhere),
		cmocka_unit_test(t_mutations),
		cmocka_unit_test(t_tcp),
		cmocka_unit_test(t_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
