/*
 * tls.c - decode the ClientHello that starts a TCP stream: SNI, ALPN, versions.
 * Must never read past len, allocate, write a global, or keep a pointer into p.
 */
#include <string.h>

#include "cursor.h"
#include "tls.h"

#define REC_HANDSHAKE		22
#define REC_HEADER		5
#define HS_CLIENT_HELLO		1
#define HS_HEADER		4

#define EXT_SERVER_NAME		0x0000
#define EXT_ALPN		0x0010
#define EXT_SUPPORTED_VERSIONS	0x002b
#define EXT_ECH			0xfe0d

#define SNI_HOST_NAME		0
#define SNI_NAME_MAX		255	/* as OpenSSL: DNS names are shorter */
#define SESSION_ID_MAX		32
#define RANDOM_LEN		32

#define MIN(a, b)		((a) < (b) ? (a) : (b))

#define MORE_WHY		"hello incomplete"
#define TOOBIG_WHY		"hello longer than TLS_HELLO_MAX"

/*
 * Extension types seen in one hello, to refuse a repeat (RFC 8446 4.2) in
 * O(1) per extension: one 256-bit page per high byte, zeroed on first use,
 * so a typical hello clears a few hundred bytes, not 8 KiB.
 */
struct ext_seen {
	uint8_t		used[256];
	uint64_t	bits[256][4];
};

static enum tls_status	say(struct tls_hello *, enum tls_status, const char *);
static uint32_t		be24(const uint8_t *);
static enum tls_status	rec_header(struct tls_hello *, struct cursor *, bool,
			    uint16_t *);
static enum tls_status	hello_walk(struct tls_hello *, const uint8_t *, size_t);
static enum tls_status	ext_walk(struct tls_hello *, struct cursor *);
static int		ext_repeated(struct ext_seen *, uint16_t);
static enum tls_status	sni_parse(struct tls_hello *, struct cursor *);
static enum tls_status	alpn_parse(struct tls_hello *, struct cursor *);
static enum tls_status	versions_parse(struct tls_hello *, struct cursor *);
static size_t		text_put(char *, size_t, const uint8_t *, size_t);

bool
tls_is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *
tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1";
	case 0x0302:
		return "TLSv1.1";
	case 0x0303:
		return "TLSv1.2";
	case 0x0304:
		return "TLSv1.3";
	default:
		return NULL;
	}
}

const char *
tls_status_name(enum tls_status s)
{
	switch (s) {
	case TLS_OK:
		return "ok";
	case TLS_MORE:
		return "more";
	case TLS_NOT_TLS:
		return "not-tls";
	case TLS_INVALID:
		return "invalid";
	case TLS_TOOBIG:
		return "toobig";
	}
	return "unknown";
}

/*
 * Walk the records from the start of p and put the handshake message together.
 * A hello inside its first record is parsed in place; one that spans records
 * is copied, fragment by fragment, into h->scratch.
 */
enum tls_status
tls_client_hello(const uint8_t *p, size_t len, struct tls_hello *h)
{
	static const uint8_t none[1];
	struct cursor c;
	enum tls_status st;
	const uint8_t *frag;
	size_t off, have, want, avail, take, k;
	uint32_t hlen;
	uint16_t rlen;
	bool first;

	memset(h, 0, offsetof(struct tls_hello, scratch));
	if (p == NULL) {
		/* no arithmetic on a null pointer, even + 0 */
		p = none;
		len = 0;
	}
	off = 0;
	have = 0;
	want = HS_HEADER;
	for (first = true;; first = false) {
		cur_init(&c, p + off, len - off);
		if ((st = rec_header(h, &c, first, &rlen)) != TLS_OK)
			return st;
		frag = c.pos;
		avail = cur_left(&c) < rlen ? cur_left(&c) : rlen;
		if (first && avail > 0 && frag[0] != HS_CLIENT_HELLO)
			return say(h, TLS_NOT_TLS,
			    "first handshake message is not a ClientHello");

		if (first && avail >= HS_HEADER) {
			hlen = be24(frag + 1);
			if (hlen > TLS_HELLO_MAX)
				return say(h, TLS_TOOBIG, TOOBIG_WHY);
			if (HS_HEADER + hlen <= rlen) {
				/* the common case: the hello in one record */
				if (avail < rlen)
					return say(h, TLS_MORE, MORE_WHY);
				h->consumed = REC_HEADER + rlen;
				return hello_walk(h, frag + HS_HEADER, hlen);
			}
		}
		for (k = 0; k < avail && have < want; k += take) {
			take = MIN(avail - k, want - have);
			memcpy(h->scratch + have, frag + k, take);
			have += take;
			if (want == HS_HEADER && have == HS_HEADER) {
				hlen = be24(h->scratch + 1);
				if (hlen > TLS_HELLO_MAX)
					return say(h, TLS_TOOBIG, TOOBIG_WHY);
				want = HS_HEADER + hlen;
			}
		}
		if (avail < rlen)
			return say(h, TLS_MORE, MORE_WHY);
		off += REC_HEADER + rlen;
		if (have == want) {
			h->consumed = off;
			return hello_walk(h, h->scratch + HS_HEADER,
			    have - HS_HEADER);
		}
	}
}

static enum tls_status
say(struct tls_hello *h, enum tls_status st, const char *why)
{
	h->why = why;
	return st;
}

static uint32_t
be24(const uint8_t *b)
{
	return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

/*
 * One record header; TLS_OK when it is whole and may carry the hello.  The
 * first record decides TLS_NOT_TLS; a later one that does not fit is invalid.
 */
static enum tls_status
rec_header(struct tls_hello *h, struct cursor *c, bool first, uint16_t *rlen)
{
	uint8_t type, major, minor;

	if (cur_u8(c, &type) == -1)
		return say(h, TLS_MORE, "record header incomplete");
	if (type != REC_HANDSHAKE && first)
		return say(h, TLS_NOT_TLS,
		    "first byte is not a handshake record");
	if (type != REC_HANDSHAKE)
		return say(h, TLS_INVALID,
		    "hello interrupted by a non-handshake record");
	if (cur_u8(c, &major) == -1)
		return say(h, TLS_MORE, "record header incomplete");
	if (major != 3)
		return say(h, first ? TLS_NOT_TLS : TLS_INVALID,
		    "record version major is not 3");
	if (cur_u8(c, &minor) == -1)
		return say(h, TLS_MORE, "record header incomplete");
	if (first)
		h->record_version = (uint16_t)(major << 8 | minor);
	if (cur_be16(c, rlen) == -1)
		return say(h, TLS_MORE, "record header incomplete");
	if (*rlen == 0)
		return say(h, TLS_INVALID, "empty handshake record");
	if (*rlen > TLS_RECORD_MAX)
		return say(h, TLS_INVALID, "record longer than 2^14");
	return TLS_OK;
}

/* The ClientHello body (RFC 8446 4.1.2, RFC 5246 7.4.1.2), exactly n bytes. */
static enum tls_status
hello_walk(struct tls_hello *h, const uint8_t *b, size_t n)
{
	struct cursor c;
	enum tls_status st;
	uint16_t len16;
	uint8_t len8;

	cur_init(&c, b, n);
	if (cur_be16(&c, &h->legacy_version) == -1 ||
	    cur_skip(&c, RANDOM_LEN) == -1)
		return say(h, TLS_INVALID, "hello ends before its random");
	if (cur_u8(&c, &len8) == -1)
		return say(h, TLS_INVALID, "hello ends before session_id");
	if (len8 > SESSION_ID_MAX)
		return say(h, TLS_INVALID, "session_id longer than 32");
	if (cur_skip(&c, len8) == -1)
		return say(h, TLS_INVALID, "session_id runs past the hello");
	if (cur_be16(&c, &len16) == -1)
		return say(h, TLS_INVALID, "hello ends before cipher_suites");
	if (len16 == 0 || len16 % 2 != 0)
		return say(h, TLS_INVALID, "cipher_suites length empty or odd");
	if (cur_skip(&c, len16) == -1)
		return say(h, TLS_INVALID, "cipher_suites run past the hello");
	h->nciphers = len16 / 2;
	if (cur_u8(&c, &len8) == -1)
		return say(h, TLS_INVALID,
		    "hello ends before compression_methods");
	if (len8 == 0)
		return say(h, TLS_INVALID, "compression_methods empty");
	if (cur_skip(&c, len8) == -1)
		return say(h, TLS_INVALID,
		    "compression_methods run past the hello");

	/* extensions are optional before TLS 1.3 */
	if (cur_left(&c) > 0) {
		if (cur_be16(&c, &len16) == -1)
			return say(h, TLS_INVALID,
			    "extensions length cut short");
		if (len16 > cur_left(&c))
			return say(h, TLS_INVALID,
			    "extensions run past the hello");
		if (len16 < cur_left(&c))
			return say(h, TLS_INVALID,
			    "bytes after the extensions");
		if ((st = ext_walk(h, &c)) != TLS_OK)
			return st;
	}
	if (h->nversions == 0)
		h->max_version = h->legacy_version;
	h->why = NULL;
	return TLS_OK;
}

/* The extensions block; c holds exactly its bytes. */
static enum tls_status
ext_walk(struct tls_hello *h, struct cursor *c)
{
	struct ext_seen seen;
	struct cursor e;
	enum tls_status st;
	uint16_t type, elen;

	memset(seen.used, 0, sizeof(seen.used));
	while (cur_left(c) > 0) {
		if (cur_be16(c, &type) == -1 || cur_be16(c, &elen) == -1)
			return say(h, TLS_INVALID,
			    "extension header cut short");
		e = *c;
		if (cur_limit(&e, elen) == -1)
			return say(h, TLS_INVALID,
			    "extension runs past the extensions");
		(void)cur_skip(c, elen);
		/* two of a type could show us one SNI and the server another */
		if (ext_repeated(&seen, type))
			return say(h, TLS_INVALID, "extension type repeated");
		h->nextensions++;
		st = TLS_OK;
		switch (type) {
		case EXT_SERVER_NAME:
			st = sni_parse(h, &e);
			break;
		case EXT_ALPN:
			st = alpn_parse(h, &e);
			break;
		case EXT_SUPPORTED_VERSIONS:
			st = versions_parse(h, &e);
			break;
		case EXT_ECH:
			h->ech = true;
			break;
		default:
			break;
		}
		if (st != TLS_OK)
			return st;
	}
	return TLS_OK;
}

/* Mark type as seen; 1 if it was already. */
static int
ext_repeated(struct ext_seen *s, uint16_t type)
{
	unsigned hi = type >> 8, lo = type & 0xff;
	uint64_t bit = (uint64_t)1 << (lo & 63);

	if (!s->used[hi]) {
		s->used[hi] = 1;
		memset(s->bits[hi], 0, sizeof(s->bits[hi]));
	}
	if (s->bits[hi][lo >> 6] & bit)
		return 1;
	s->bits[hi][lo >> 6] |= bit;
	return 0;
}

/* server_name (RFC 6066 3): the first host_name is kept. */
static enum tls_status
sni_parse(struct tls_hello *h, struct cursor *e)
{
	uint16_t list, nlen;
	uint8_t nt;

	if (cur_be16(e, &list) == -1)
		return say(h, TLS_INVALID, "server_name extension too short");
	if (list != cur_left(e))
		return say(h, TLS_INVALID,
		    "server_name list length disagrees with its extension");
	if (list == 0)
		return say(h, TLS_INVALID, "server_name list empty");
	while (cur_left(e) > 0) {
		if (cur_u8(e, &nt) == -1 || cur_be16(e, &nlen) == -1)
			return say(h, TLS_INVALID,
			    "server_name entry cut short");
		if (nlen > cur_left(e))
			return say(h, TLS_INVALID,
			    "server_name entry runs past its list");
		if (nt == SNI_HOST_NAME) {
			if (nlen == 0)
				return say(h, TLS_INVALID, "empty host_name");
			if (nlen > SNI_NAME_MAX)
				return say(h, TLS_INVALID,
				    "host_name longer than 255");
			if (!h->has_sni) {
				if (text_put(h->sni, sizeof(h->sni), e->pos,
				    nlen) != nlen)
					return say(h, TLS_INVALID,
					    "host_name too long once escaped");
				h->has_sni = true;
			}
		}
		(void)cur_skip(e, nlen);
	}
	return TLS_OK;
}

/* application_layer_protocol_negotiation (RFC 7301 3.1). */
static enum tls_status
alpn_parse(struct tls_hello *h, struct cursor *e)
{
	uint16_t list;
	uint8_t idlen;

	if (cur_be16(e, &list) == -1)
		return say(h, TLS_INVALID, "ALPN extension too short");
	if (list != cur_left(e))
		return say(h, TLS_INVALID,
		    "ALPN list length disagrees with its extension");
	if (list == 0)
		return say(h, TLS_INVALID, "ALPN list empty");
	while (cur_left(e) > 0) {
		(void)cur_u8(e, &idlen);
		if (idlen == 0)
			return say(h, TLS_INVALID, "empty ALPN protocol id");
		if (idlen > cur_left(e))
			return say(h, TLS_INVALID,
			    "ALPN protocol id runs past its list");
		if (h->nalpn < TLS_ALPN_MAX) {
			if (text_put(h->alpn[h->nalpn], TLS_ALPN_BUF, e->pos,
			    idlen) != idlen)
				h->alpn_cut = true;
			h->nalpn++;
		} else
			h->alpn_cut = true;
		(void)cur_skip(e, idlen);
	}
	h->has_alpn = true;
	return TLS_OK;
}

/* supported_versions in a ClientHello (RFC 8446 4.2.1). */
static enum tls_status
versions_parse(struct tls_hello *h, struct cursor *e)
{
	uint16_t v;
	uint8_t vlen;

	if (cur_u8(e, &vlen) == -1)
		return say(h, TLS_INVALID,
		    "supported_versions extension empty");
	if (vlen % 2 != 0)
		return say(h, TLS_INVALID, "supported_versions length odd");
	if (vlen != cur_left(e))
		return say(h, TLS_INVALID,
		    "supported_versions length disagrees with its extension");
	if (vlen == 0)
		return say(h, TLS_INVALID, "supported_versions list empty");
	while (cur_be16(e, &v) == 0) {
		if (tls_is_grease(v))
			continue;
		if (h->nversions < TLS_VERSIONS_MAX)
			h->versions[h->nversions++] = v;
		if (v > h->max_version)
			h->max_version = v;
	}
	h->has_supported_versions = true;
	return TLS_OK;
}

/*
 * Write s[0..n) into dst as text (see tls.h): printable ASCII as is, any other
 * byte as \xHH; an escape is never split.  Always NUL-terminates (size > 0).
 * Returns how many bytes of s were written; less than n means cut.
 */
static size_t
text_put(char *dst, size_t size, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o;

	for (i = 0, o = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (size - o < 2)
				break;
			dst[o++] = (char)s[i];
		} else {
			if (size - o < 5)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[s[i] >> 4];
			dst[o++] = hex[s[i] & 0x0f];
		}
	}
	dst[o] = '\0';
	return i;
}
