/*
 * dns.h - parse one DNS message in place: header, first question, A/AAAA/CNAME
 * answers, EDNS.  The parser only reads the caller's bytes: it allocates nothing
 * and keeps no pointer into them.
 */
#ifndef OUTGATE_DNS_H
#define OUTGATE_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN	12
#define DNS_NAME_MAX	255	/* octets of a name on the wire, RFC 1035 2.3.4 */
#define DNS_MAX_PTRS	128	/* compression pointers followed for one name */

/*
 * A name in presentation form, NUL-terminated: the labels joined by '.', no
 * trailing dot, the case as on the wire (callers fold it).  The root name is
 * "" (Wireshark shows "<Root>").  Bytes are written as Wireshark 4.0 writes
 * dns.qry.name (its format_text()), so the two compare equal:
 *   - printable ASCII as itself, '.' and '\\' inside a label included;
 *   - other ASCII as \a \b \f \n \r \t \v, else as \ooo (three octal digits);
 *   - UTF-8 as itself where the character is printable, else as \uXXXX or
 *     \UXXXXXXXX (hex in upper case); overlong forms are decoded (C0 AE
 *     gives '.'); a byte that does not start a valid UTF-8 sequence becomes
 *     U+FFFD.  One known difference: see uni_printable() in dns.c.
 * Up to four output bytes per name byte: a 255-octet name needs 1004.
 * The form can't be mapped back to the wire name when a label holds '.', '\\'
 * or a byte outside printable ASCII; qname_lossy says so for the question.
 */
#define DNS_NAME_BUF	1024

#define DNS_MAX_ANSWERS	16

#define DNS_C_IN	1

enum dns_type {
	DNS_T_A = 1,
	DNS_T_CNAME = 5,
	DNS_T_AAAA = 28,
	DNS_T_OPT = 41,
};

enum dns_status {
	DNS_OK = 0,
	DNS_TRUNCATED,		/* the message ends before a field, record or name it declares */
	DNS_INVALID,		/* a field holds what no valid message has */
};

/* One A, AAAA or CNAME record of class IN from the answer section. */
struct dns_answer {
	char		name[DNS_NAME_BUF];	/* owner */
	uint16_t	type;			/* DNS_T_A, DNS_T_AAAA or DNS_T_CNAME */
	uint32_t	ttl;
	uint8_t		addr[16];		/* A: first 4 bytes, AAAA: 16 */
	char		cname[DNS_NAME_BUF];	/* CNAME: the target; else "" */
};

/*
 * What dns_parse() found.  On an error the fields parsed before it stay valid:
 * the header once why is not "truncated header", the question when
 * has_question, an[0 .. nanswers), edns when set.  Large (about 34 KiB): keep
 * one per worker rather than on a small stack.
 */
struct dns_msg {
	uint16_t	id;
	bool		response;		/* QR */
	uint8_t		opcode, rcode;		/* rcode: the header's 4 bits only */
	bool		tc;			/* truncated by the server (TC bit) */
	uint16_t	qdcount, ancount, nscount, arcount;

	bool		has_question;		/* qname, qtype, qclass hold the first question */
	bool		qname_lossy;		/* see DNS_NAME_BUF */
	char		qname[DNS_NAME_BUF];
	uint16_t	qtype, qclass;

	size_t		nanswers;		/* records kept in an[] */
	size_t		skipped;		/* answer records not kept: other types or
						   classes, or past DNS_MAX_ANSWERS */
	struct dns_answer an[DNS_MAX_ANSWERS];

	bool		edns;			/* an OPT record was in the additional section */
	uint16_t	edns_udp_size;
	uint8_t		edns_version;
	bool		edns_do;		/* DNSSEC OK */

	const char	*why;			/* static text naming the defect, NULL when DNS_OK */
};

/*
 * Parse the message p[0 .. len) (p may be NULL when len is 0).  Always fills
 * m (why, and whatever was parsed before a defect); returns the status.
 * Bytes after the last record are ignored.
 */
enum dns_status dns_parse(const uint8_t *p, size_t len, struct dns_msg *m);

/*
 * DNS over TCP (RFC 1035 4.2.2): each message follows a 2-byte length.  Given
 * the in-order bytes of one direction of a stream from its start, find the
 * first message: 0 when it is all there (*off, *mlen locate it in p), 1 when
 * more bytes are needed, -1 when its length is below DNS_HDR_LEN (0 included).
 */
int	dns_tcp_message(const uint8_t *p, size_t len, size_t *off,
    size_t *mlen);

/* "A", "AAAA", "CNAME", ... for the common types; NULL for the others. */
const char *dns_type_name(uint16_t type);
/*
 * A name as policies compare them: src lower-cased (ASCII), one trailing dot
 * off, into dst (cut to len - 1).  Returns its length.
 */
size_t	dns_name_lower(char *dst, size_t len, const char *src);
const char *dns_status_name(enum dns_status s);

#endif
