/*
 * dns.c - parse one DNS message: header, questions, the three record sections, EDNS.
 * Must never read past len, follow pointers without a bound, allocate, or write a global.
 */
#include <string.h>

#include "cursor.h"
#include "dns.h"

#define DNS_QR			0x8000
#define DNS_TC			0x0200
#define EDNS_DO			0x8000

/* A name's labels joined by '.': 255 octets less the root and one length byte. */
#define NAME_RAW_MAX		(DNS_NAME_MAX - 2)

#define UNI_REPLACEMENT		0xfffd

_Static_assert(DNS_NAME_BUF >= 4 * NAME_RAW_MAX + 1,
    "DNS_NAME_BUF must hold four bytes per name byte");

struct parse {
	const uint8_t	*msg;
	size_t		 len;
	struct dns_msg	*m;
	enum dns_status	 status;
};

/* The fixed part of a resource record; rd views its RDATA. */
struct rr {
	uint16_t	type, rclass;
	uint32_t	ttl;
	struct cursor	rd;
};

static int	fail(struct parse *, enum dns_status, const char *);
static void	msg_reset(struct dns_msg *);
static int	name_read(struct parse *, struct cursor *, char *, bool *, bool);
static void	name_format(char *, const uint8_t *, size_t);
static uint32_t	utf8_next(uint8_t, const uint8_t **, const uint8_t *);
static bool	uni_printable(uint32_t);
static char	*put_utf8(char *, uint32_t);
static char	*put_hex(char *, char, uint32_t, int);
static int	question_read(struct parse *, struct cursor *, bool);
static int	rr_read(struct parse *, struct cursor *, struct rr *);
static int	answer_read(struct parse *, struct cursor *);
static int	record_walk(struct parse *, struct cursor *, bool);

enum dns_status
dns_parse(const uint8_t *p, size_t len, struct dns_msg *m)
{
	static const uint8_t none[1];
	struct parse ps;
	struct cursor c;
	uint16_t flags;
	unsigned i;

	msg_reset(m);
	if (p == NULL) {
		/* no arithmetic on a null pointer, even + 0 */
		p = none;
		len = 0;
	}
	ps.msg = p;
	ps.len = len;
	ps.m = m;
	ps.status = DNS_OK;
	cur_init(&c, p, len);

	if (cur_left(&c) < DNS_HDR_LEN) {
		fail(&ps, DNS_TRUNCATED, "truncated header");
		return ps.status;
	}
	(void)cur_be16(&c, &m->id);
	(void)cur_be16(&c, &flags);
	(void)cur_be16(&c, &m->qdcount);
	(void)cur_be16(&c, &m->ancount);
	(void)cur_be16(&c, &m->nscount);
	(void)cur_be16(&c, &m->arcount);
	m->response = (flags & DNS_QR) != 0;
	m->opcode = (uint8_t)(flags >> 11 & 0x0f);
	m->tc = (flags & DNS_TC) != 0;
	m->rcode = (uint8_t)(flags & 0x0f);

	for (i = 0; i < m->qdcount; i++)
		if (question_read(&ps, &c, i == 0) == -1)
			return ps.status;
	for (i = 0; i < m->ancount; i++)
		if (answer_read(&ps, &c) == -1)
			return ps.status;
	for (i = 0; i < m->nscount; i++)
		if (record_walk(&ps, &c, false) == -1)
			return ps.status;
	for (i = 0; i < m->arcount; i++)
		if (record_walk(&ps, &c, true) == -1)
			return ps.status;
	return ps.status;
}

int
dns_tcp_message(const uint8_t *p, size_t len, size_t *off, size_t *mlen)
{
	static const uint8_t none[1];
	struct cursor c;
	uint16_t n;

	if (p == NULL) {
		p = none;
		len = 0;
	}
	cur_init(&c, p, len);
	if (cur_be16(&c, &n) == -1)
		return 1;
	if (n < DNS_HDR_LEN)
		return -1;
	if (cur_left(&c) < n)
		return 1;
	*off = 2;
	*mlen = n;
	return 0;
}

const char *
dns_type_name(uint16_t type)
{
	static const struct {
		uint16_t	 type;
		const char	*name;
	} names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" },
		{ 12, "PTR" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" },
		{ 33, "SRV" }, { 35, "NAPTR" }, { 39, "DNAME" }, { 41, "OPT" },
		{ 43, "DS" }, { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" },
		{ 50, "NSEC3" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" },
		{ 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	return NULL;
}

const char *
dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK:
		return "ok";
	case DNS_TRUNCATED:
		return "truncated";
	case DNS_INVALID:
		return "invalid";
	}
	return "unknown";
}

static int
fail(struct parse *ps, enum dns_status st, const char *why)
{
	ps->status = st;
	ps->m->why = why;
	return -1;
}

/* Field by field: clearing the whole struct would write 34 KiB per message. */
static void
msg_reset(struct dns_msg *m)
{
	m->id = 0;
	m->response = false;
	m->opcode = 0;
	m->rcode = 0;
	m->tc = false;
	m->qdcount = m->ancount = m->nscount = m->arcount = 0;
	m->has_question = false;
	m->qname_lossy = false;
	m->qname[0] = '\0';
	m->qtype = m->qclass = 0;
	m->nanswers = 0;
	m->skipped = 0;
	m->edns = false;
	m->edns_udp_size = 0;
	m->edns_version = 0;
	m->edns_do = false;
	m->why = NULL;
}

/*
 * Read the name at c and leave c past its bytes in place (up to and including
 * the first compression pointer).  Pointers may lead anywhere in the message,
 * forward too (Wireshark follows them), so loops are caught by counting jumps;
 * the 255-octet bound on the expanded name stops loops that add labels.
 * out (DNS_NAME_BUF bytes) gets the presentation form, when not NULL.
 * in_rdata: c ends where the record's RDATA ends, so running past it is a
 * defect of the record, not a cut message.
 */
static int
name_read(struct parse *ps, struct cursor *c, char *out, bool *lossy,
    bool in_rdata)
{
	uint8_t raw[NAME_RAW_MAX];
	struct cursor r = *c;
	size_t wire = 1, n = 0, off, i;
	unsigned jumps = 0;
	bool jumped = false, odd = false;
	uint8_t b, lo;

	for (;;) {
		if (cur_u8(&r, &b) == -1)
			goto cut;
		if (b == 0)
			break;
		switch (b & 0xc0) {
		case 0x40:
			return fail(ps, DNS_INVALID, "label type 0x40");
		case 0x80:
			return fail(ps, DNS_INVALID, "label type 0x80");
		case 0xc0:
			if (cur_u8(&r, &lo) == -1)
				goto cut;
			if (!jumped) {
				c->pos = r.pos;
				jumped = true;
			}
			if (++jumps > DNS_MAX_PTRS)
				return fail(ps, DNS_INVALID, "compression loop");
			off = (size_t)(b & 0x3f) << 8 | lo;
			if (off >= ps->len)
				return fail(ps, DNS_TRUNCATED,
				    "pointer forward past the end");
			cur_init(&r, ps->msg, ps->len);
			(void)cur_skip(&r, off);
			continue;
		}
		wire += 1 + (size_t)b;
		if (wire > DNS_NAME_MAX)
			return fail(ps, DNS_INVALID, "name too long");
		if (n > 0)
			raw[n++] = '.';
		if (cur_bytes(&r, raw + n, b) == -1)
			goto cut;
		for (i = n; i < n + b; i++)
			if (raw[i] < 0x20 || raw[i] >= 0x7f || raw[i] == '.' ||
			    raw[i] == '\\')
				odd = true;
		n += b;
	}
	if (!jumped)
		c->pos = r.pos;
	if (out != NULL)
		name_format(out, raw, n);
	if (lossy != NULL)
		*lossy = odd;
	return 0;

cut:
	if (in_rdata && !jumped)
		return fail(ps, DNS_INVALID, "name longer than rdlength");
	return fail(ps, DNS_TRUNCATED, "truncated name");
}

/*
 * Wireshark 4.0's format_text() over the joined labels, so our names compare
 * equal to its dns.qry.name.
 */
static void
name_format(char *o, const uint8_t *s, size_t n)
{
	static const char esc[] = "abtnvfr";	/* \a .. \r are 7 .. 13 */
	const uint8_t *end = s + n;
	uint32_t uc;
	uint8_t c;

	while (s < end) {
		c = *s++;
		if (c >= 0x20 && c < 0x7f) {
			*o++ = (char)c;
		} else if (c < 0x80) {
			*o++ = '\\';
			if (c >= 7 && c <= 13) {
				*o++ = esc[c - 7];
			} else {
				*o++ = (char)('0' + (c >> 6));
				*o++ = (char)('0' + (c >> 3 & 7));
				*o++ = (char)('0' + (c & 7));
			}
		} else {
			uc = utf8_next(c, &s, end);
			if (uni_printable(uc))
				o = put_utf8(o, uc);
			else if (uc <= 0xffff)
				o = put_hex(o, 'u', uc, 4);
			else
				o = put_hex(o, 'U', uc, 8);
		}
	}
	*o = '\0';
}

/*
 * Decode the UTF-8 sequence that lead byte c starts, as format_text() does:
 * overlong forms and old 5- and 6-byte forms are decoded; a missing or bad
 * continuation byte gives U+FFFD and is left to be read again; so does a
 * value that is no Unicode scalar value (a surrogate, or past U+10FFFF).
 */
static uint32_t
utf8_next(uint8_t c, const uint8_t **sp, const uint8_t *end)
{
	const uint8_t *s = *sp;
	uint32_t uc;
	int more;

	if ((c & 0xe0) == 0xc0) {
		more = 1;
		uc = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		more = 2;
		uc = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		more = 3;
		uc = c & 0x07;
	} else if ((c & 0xfc) == 0xf8) {
		more = 4;
		uc = c & 0x03;
	} else if ((c & 0xfe) == 0xfc) {
		more = 5;
		uc = c & 0x01;
	} else {
		return UNI_REPLACEMENT;	/* 0xfe, 0xff or a stray continuation */
	}
	while (more-- > 0) {
		if (s == end || (*s & 0xc0) != 0x80) {
			*sp = s;
			return UNI_REPLACEMENT;
		}
		uc = uc << 6 | (*s++ & 0x3f);
	}
	*sp = s;
	if (uc >= 0x110000 || (uc & 0xfffff800) == 0xd800)
		return UNI_REPLACEMENT;
	return uc;
}

/*
 * g_unichar_isprint() of GLib 2.74 (Unicode 15), which tshark 4.0.17 on
 * Debian 12 uses: false for control, format, surrogate and unassigned code
 * points.  Unassigned points of planes 0 and 1 are left out (they are
 * hundreds of small gaps, and a name holding one is garbage whatever we
 * print): those we print as themselves where Wireshark escapes them.
 */
static bool
uni_printable(uint32_t uc)
{
	static const uint32_t np[][2] = {
		{ 0x0080, 0x009f }, { 0x00ad, 0x00ad }, { 0x0600, 0x0605 },
		{ 0x061c, 0x061c }, { 0x06dd, 0x06dd }, { 0x070f, 0x070f },
		{ 0x0890, 0x0891 }, { 0x08e2, 0x08e2 }, { 0x180e, 0x180e },
		{ 0x200b, 0x200f }, { 0x202a, 0x202e }, { 0x2060, 0x2064 },
		{ 0x2066, 0x206f }, { 0xd800, 0xdfff }, { 0xfdd0, 0xfdef },
		{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0xfffe, 0xffff },
		{ 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
		{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 },
		{ 0x1d173, 0x1d17a }, { 0x1fffe, 0x1ffff },
		{ 0x2a6e0, 0x2a6ff }, { 0x2b73a, 0x2b73f },
		{ 0x2b81e, 0x2b81f }, { 0x2cea2, 0x2ceaf },
		{ 0x2ebe1, 0x2f7ff }, { 0x2fa1e, 0x2ffff },
		{ 0x3134b, 0x3134f }, { 0x323b0, 0xe00ff },
		{ 0xe01f0, 0xeffff }, { 0xffffe, 0xfffff },
		{ 0x10fffe, 0x10ffff },
	};
	size_t i;

	if (uc < 0x80)
		return uc >= 0x20 && uc < 0x7f;
	for (i = 0; i < sizeof(np) / sizeof(np[0]) && np[i][0] <= uc; i++)
		if (uc <= np[i][1])
			return false;
	return true;
}

static char *
put_utf8(char *o, uint32_t uc)
{
	if (uc < 0x80) {
		*o++ = (char)uc;
	} else if (uc < 0x800) {
		*o++ = (char)(0xc0 | uc >> 6);
		*o++ = (char)(0x80 | (uc & 0x3f));
	} else if (uc < 0x10000) {
		*o++ = (char)(0xe0 | uc >> 12);
		*o++ = (char)(0x80 | (uc >> 6 & 0x3f));
		*o++ = (char)(0x80 | (uc & 0x3f));
	} else {
		*o++ = (char)(0xf0 | uc >> 18);
		*o++ = (char)(0x80 | (uc >> 12 & 0x3f));
		*o++ = (char)(0x80 | (uc >> 6 & 0x3f));
		*o++ = (char)(0x80 | (uc & 0x3f));
	}
	return o;
}

static char *
put_hex(char *o, char kind, uint32_t v, int digits)
{
	static const char hex[] = "0123456789ABCDEF";

	*o++ = '\\';
	*o++ = kind;
	while (digits-- > 0)
		*o++ = hex[v >> (4 * digits) & 0xf];
	return o;
}

/* Only the first question is kept; the others are checked and passed. */
static int
question_read(struct parse *ps, struct cursor *c, bool first)
{
	struct dns_msg *m = ps->m;
	uint16_t type, qclass;

	if (name_read(ps, c, first ? m->qname : NULL,
	    first ? &m->qname_lossy : NULL, false) == -1)
		return -1;
	if (cur_be16(c, &type) == -1 || cur_be16(c, &qclass) == -1) {
		if (first) {
			m->qname[0] = '\0';
			m->qname_lossy = false;
		}
		return fail(ps, DNS_TRUNCATED, "truncated question");
	}
	if (first) {
		m->qtype = type;
		m->qclass = qclass;
		m->has_question = true;
	}
	return 0;
}

/* Check a record's owner, read its fixed part; c moves past its RDATA. */
static int
rr_read(struct parse *ps, struct cursor *c, struct rr *rr)
{
	uint16_t rdlen;

	if (name_read(ps, c, NULL, NULL, false) == -1)
		return -1;
	if (cur_be16(c, &rr->type) == -1 || cur_be16(c, &rr->rclass) == -1 ||
	    cur_be32(c, &rr->ttl) == -1 || cur_be16(c, &rdlen) == -1)
		return fail(ps, DNS_TRUNCATED, "truncated record");
	rr->rd = *c;
	if (cur_limit(&rr->rd, rdlen) == -1)
		return fail(ps, DNS_TRUNCATED, "truncated rdata");
	(void)cur_skip(c, rdlen);
	return 0;
}

/*
 * An answer record: A, AAAA and CNAME of class IN are checked and kept while
 * there is room (checked all the same past it); the rest are counted.
 */
static int
answer_read(struct parse *ps, struct cursor *c)
{
	struct dns_msg *m = ps->m;
	struct dns_answer *a = NULL;
	struct cursor owner = *c;
	struct rr rr;
	size_t alen = 0;

	if (m->nanswers < DNS_MAX_ANSWERS)
		a = &m->an[m->nanswers];
	if (rr_read(ps, c, &rr) == -1)
		return -1;
	if (rr.rclass != DNS_C_IN) {
		/* other classes give A other RDATA (CHAOS: a name and an address) */
		m->skipped++;
		return 0;
	}
	switch (rr.type) {
	case DNS_T_A:
		alen = 4;
		if (cur_left(&rr.rd) != alen)
			return fail(ps, DNS_INVALID, "A rdlength not 4");
		break;
	case DNS_T_AAAA:
		alen = 16;
		if (cur_left(&rr.rd) != alen)
			return fail(ps, DNS_INVALID, "AAAA rdlength not 16");
		break;
	case DNS_T_CNAME:
		if (name_read(ps, &rr.rd, a != NULL ? a->cname : NULL, NULL,
		    true) == -1)
			return -1;
		if (cur_left(&rr.rd) != 0)
			return fail(ps, DNS_INVALID,
			    "name shorter than rdlength");
		break;
	default:
		m->skipped++;
		return 0;
	}
	if (a == NULL) {
		m->skipped++;
		return 0;
	}
	/* the owner again, now that it is kept: it read well the first time */
	(void)name_read(ps, &owner, a->name, NULL, false);
	a->type = rr.type;
	a->ttl = rr.ttl;
	memset(a->addr, 0, sizeof(a->addr));
	if (alen > 0) {
		(void)cur_bytes(&rr.rd, a->addr, alen);
		a->cname[0] = '\0';
	}
	m->nanswers++;
	return 0;
}

/* A record of the authority or additional section: walked; an OPT in additional sets EDNS. */
static int
record_walk(struct parse *ps, struct cursor *c, bool additional)
{
	struct dns_msg *m = ps->m;
	struct rr rr;

	if (rr_read(ps, c, &rr) == -1)
		return -1;
	if (!additional || rr.type != DNS_T_OPT)
		return 0;
	/* RFC 6891 6.1.1: more than one is FORMERR; readers would disagree on which counts */
	if (m->edns)
		return fail(ps, DNS_INVALID, "second OPT record");
	m->edns = true;
	m->edns_udp_size = rr.rclass;
	m->edns_version = (uint8_t)(rr.ttl >> 16 & 0xff);
	m->edns_do = (rr.ttl & EDNS_DO) != 0;
	return 0;
}

size_t
dns_name_lower(char *dst, size_t len, const char *src)
{
	size_t n;

	if (len == 0)
		return 0;
	for (n = 0; src[n] != '\0' && n < len - 1; n++)
		dst[n] = src[n] >= 'A' && src[n] <= 'Z' ? (char)(src[n] - 'A' + 'a') : src[n];
	if (n > 0 && dst[n - 1] == '.')
		n--;
	dst[n] = '\0';
	return n;
}
