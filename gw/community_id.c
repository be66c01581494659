/*
 * community_id.c - the Community ID v1 of a flow, with its own SHA-1 and base64.
 * Must never differ from the spec's reference (pycommunityid): a wrong ID is worse than none.
 */
#include <string.h>

#include "community_id.h"

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ICMPV6	58
#define PROTO_SCTP	132

static uint32_t
rol(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static void
sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void
community_id_sha1(const void *data, size_t len, uint8_t digest[COMMUNITY_ID_SHA1_LEN])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint64_t bits = (uint64_t)len * 8;
	uint8_t last[128];
	size_t n, i;

	for (; len >= 64; p += 64, len -= 64)
		sha1_block(h, p);

	/* the rest, 0x80, zeros, and the length in bits: one block or two */
	memset(last, 0, sizeof(last));
	if (len > 0)
		memcpy(last, p, len);
	last[len] = 0x80;
	n = len < 56 ? 64 : 128;
	for (i = 0; i < 8; i++)
		last[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, last);
	if (n == 128)
		sha1_block(h, last + 64);

	for (i = 0; i < 5; i++) {
		digest[4 * i] = (uint8_t)(h[i] >> 24);
		digest[4 * i + 1] = (uint8_t)(h[i] >> 16);
		digest[4 * i + 2] = (uint8_t)(h[i] >> 8);
		digest[4 * i + 3] = (uint8_t)h[i];
	}
}

/* Standard base64 with padding (RFC 4648 section 4); out holds 4 * ceil(len / 3) + 1. */
static void
base64(const uint8_t *in, size_t len, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;

	for (; len >= 3; in += 3, len -= 3) {
		v = (uint32_t)in[0] << 16 | (uint32_t)in[1] << 8 | in[2];
		*out++ = abc[v >> 18 & 0x3f];
		*out++ = abc[v >> 12 & 0x3f];
		*out++ = abc[v >> 6 & 0x3f];
		*out++ = abc[v & 0x3f];
	}
	if (len > 0) {
		v = (uint32_t)in[0] << 16 | (len > 1 ? (uint32_t)in[1] << 8 : 0);
		*out++ = abc[v >> 18 & 0x3f];
		*out++ = abc[v >> 12 & 0x3f];
		*out++ = len > 1 ? abc[v >> 6 & 0x3f] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

/*
 * The type that answers an ICMP message of type t, or -1 when none does: the
 * table of the spec's reference, pycommunityid communityid/icmp.py (Zeek's).
 */
static int
icmp4_counterpart(uint8_t t)
{
	switch (t) {
	case 0:		return 8;	/* echo reply / echo */
	case 8:		return 0;
	case 9:		return 10;	/* router advertisement / solicitation */
	case 10:	return 9;
	case 13:	return 14;	/* timestamp / reply */
	case 14:	return 13;
	case 15:	return 16;	/* information request / reply */
	case 16:	return 15;
	case 17:	return 18;	/* address mask request / reply */
	case 18:	return 17;
	default:	return -1;
	}
}

/* The same for ICMPv6: pycommunityid communityid/icmp6.py. */
static int
icmp6_counterpart(uint8_t t)
{
	switch (t) {
	case 128:	return 129;	/* echo request / reply */
	case 129:	return 128;
	case 130:	return 131;	/* MLD listener query / report */
	case 131:	return 130;
	case 133:	return 134;	/* router solicitation / advertisement */
	case 134:	return 133;
	case 135:	return 136;	/* neighbor solicitation / advertisement */
	case 136:	return 135;
	case 139:	return 140;	/* node information query / reply ("WRU") */
	case 140:	return 139;
	case 144:	return 145;	/* home agent address discovery request / reply */
	case 145:	return 144;
	default:	return -1;
	}
}

static size_t
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

int
community_id(const struct flow_key *k, uint16_t seed, bool icmp_known,
    uint8_t icmp_type, uint8_t icmp_code, char *out, size_t outlen)
{
	/* seed, two IPv6 addresses, proto, padding, two ports */
	uint8_t in[2 + 16 + 16 + 1 + 1 + 2 + 2], digest[COMMUNITY_ID_SHA1_LEN];
	const struct addr *a1, *a2, *ta;
	uint16_t p1, p2, tp;
	size_t alen, n;
	bool ports = true, oneway = false;
	int cmp, peer;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (k == NULL || out == NULL || outlen < COMMUNITY_ID_LEN)
		return -1;
	if (k->src.family != k->dst.family ||
	    (k->src.family != 4 && k->src.family != 6))
		return -1;
	alen = k->src.family == 4 ? 4 : 16;

	a1 = &k->src;
	a2 = &k->dst;
	p1 = k->sport;
	p2 = k->dport;
	switch (k->proto) {
	case PROTO_TCP:
	case PROTO_UDP:
	case PROTO_SCTP:
		break;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		/* the type as the source port; as the destination port the
		 * answering type, or for a message that has none the code,
		 * and then the endpoints keep their order */
		if (!icmp_known)
			return -1;
		peer = k->proto == PROTO_ICMP ? icmp4_counterpart(icmp_type) :
		    icmp6_counterpart(icmp_type);
		p1 = icmp_type;
		if (peer >= 0)
			p2 = (uint16_t)peer;
		else {
			p2 = icmp_code;
			oneway = true;
		}
		break;
	default:
		ports = false;
		p1 = p2 = 0;
		break;
	}

	/* the smaller (address, port) first, so both directions hash alike */
	cmp = memcmp(a1->b, a2->b, alen);
	if (!oneway && (cmp > 0 || (cmp == 0 && p1 > p2))) {
		ta = a1, a1 = a2, a2 = ta;
		tp = p1, p1 = p2, p2 = tp;
	}

	n = put16(in, seed);
	memcpy(in + n, a1->b, alen);
	n += alen;
	memcpy(in + n, a2->b, alen);
	n += alen;
	in[n++] = k->proto;
	in[n++] = 0;
	if (ports) {
		n += put16(in + n, p1);
		n += put16(in + n, p2);
	}
	community_id_sha1(in, n, digest);

	memcpy(out, "1:", 2);
	base64(digest, sizeof(digest), out + 2);
	return 0;
}
