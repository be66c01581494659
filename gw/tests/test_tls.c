/*
 * test_tls.c - the ClientHello parser on hellos built here: fields, records
 * split every way, every prefix and truncation, each defect by name, mutations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls.h"

#define BUF_MAX		(2 * TLS_HELLO_MAX + 256)
#define SID_LEN		32
#define TYPICAL_LEN	512	/* record bytes of the typical hello */
#define NO_EXT		((const struct buf *)NULL)

struct buf {
	uint8_t	b[BUF_MAX];
	size_t	n;
};

static struct buf *
buf_new(void)
{
	struct buf *b;

	b = test_calloc(1, sizeof(*b));
	assert_non_null(b);
	return b;
}

static void
put8(struct buf *b, unsigned v)
{
	assert_true(b->n < BUF_MAX);
	b->b[b->n++] = (uint8_t)v;
}

static void
put16(struct buf *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void
put24(struct buf *b, uint32_t v)
{
	put8(b, v >> 16);
	put16(b, v & 0xffff);
}

static void
putmem(struct buf *b, const void *p, size_t n)
{
	assert_true(n <= BUF_MAX - b->n);
	if (n > 0)
		memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void
ext_add(struct buf *x, unsigned type, const void *data, size_t n)
{
	put16(x, type);
	put16(x, (unsigned)n);
	putmem(x, data, n);
}

/* server_name with one host_name of n bytes. */
static void
ext_sni(struct buf *x, const void *name, size_t n)
{
	put16(x, 0x0000);
	put16(x, (unsigned)(n + 5));
	put16(x, (unsigned)(n + 3));
	put8(x, 0);
	put16(x, (unsigned)n);
	putmem(x, name, n);
}

static void
ext_alpn(struct buf *x, const char *const *ids, size_t n)
{
	size_t i, list = 0;

	for (i = 0; i < n; i++)
		list += 1 + strlen(ids[i]);
	put16(x, 0x0010);
	put16(x, (unsigned)(list + 2));
	put16(x, (unsigned)list);
	for (i = 0; i < n; i++) {
		put8(x, (unsigned)strlen(ids[i]));
		putmem(x, ids[i], strlen(ids[i]));
	}
}

static void
ext_versions(struct buf *x, const uint16_t *v, size_t n)
{
	size_t i;

	put16(x, 0x002b);
	put16(x, (unsigned)(1 + 2 * n));
	put8(x, (unsigned)(2 * n));
	for (i = 0; i < n; i++)
		put16(x, v[i]);
}

/* A ClientHello body: GREASE + 2 suites, null compression, exts if any. */
static void
hello_body(struct buf *body, uint16_t legacy, size_t sidlen,
    const struct buf *exts)
{
	size_t i;

	body->n = 0;
	put16(body, legacy);
	for (i = 0; i < 32; i++)
		put8(body, 0xa0 + i);		/* random */
	put8(body, (unsigned)sidlen);
	for (i = 0; i < sidlen; i++)
		put8(body, i);
	put16(body, 6);
	put16(body, 0x1a1a);
	put16(body, 0x1301);
	put16(body, 0xc02f);
	put8(body, 1);
	put8(body, 0);
	if (exts != NULL) {
		put16(body, (unsigned)exts->n);
		putmem(body, exts->b, exts->n);
	}
}

/* The handshake message around body, in records of at most piece bytes. */
static void
wrap_pieces(struct buf *out, const struct buf *body, size_t piece)
{
	struct buf *msg = buf_new();
	size_t off, n;

	put8(msg, 1);
	put24(msg, (uint32_t)body->n);
	putmem(msg, body->b, body->n);
	out->n = 0;
	for (off = 0; off < msg->n; off += n) {
		n = msg->n - off < piece ? msg->n - off : piece;
		put8(out, 22);
		put16(out, 0x0301);
		put16(out, (unsigned)n);
		putmem(out, msg->b + off, n);
	}
	test_free(msg);
}

/* The same, in nrec records of about equal size. */
static void
wrap(struct buf *out, const struct buf *body, size_t nrec)
{
	size_t msglen = 4 + body->n;

	wrap_pieces(out, body, (msglen + nrec - 1) / nrec);
}

static const char *const alpn_h2_h11[] = { "h2", "http/1.1" };
static const uint16_t versions_grease[] = { 0x2a2a, 0x0304, 0x0303 };
static const uint8_t ech_outer[] = { 0, 0, 1, 0, 1, 0x42, 0, 0, 0, 0 };

/*
 * The hello most tests use: GREASE, SNI, ALPN, supported_versions with
 * GREASE, ALPS, ECH and padding up to TYPICAL_LEN bytes of records.
 */
static void
typical_body(struct buf *body)
{
	struct buf *x = buf_new();
	static const uint8_t zeros[512];
	size_t have;

	ext_add(x, 0x0a0a, NULL, 0);
	ext_sni(x, "example.com", 11);
	ext_alpn(x, alpn_h2_h11, 2);
	ext_versions(x, versions_grease, 3);
	ext_add(x, 0x4469, "\x00\x03\x02h2", 6);
	ext_add(x, 0xfe0d, ech_outer, sizeof(ech_outer));
	hello_body(body, 0x0303, SID_LEN, x);
	have = 5 + 4 + body->n;
	assert_true(have + 4 <= TYPICAL_LEN);
	ext_add(x, 0x0015, zeros, TYPICAL_LEN - have - 4);
	hello_body(body, 0x0303, SID_LEN, x);
	test_free(x);
}

static void
assert_typical(const struct tls_hello *h, size_t consumed)
{
	assert_null(h->why);
	assert_int_equal(h->consumed, consumed);
	assert_int_equal(h->record_version, 0x0301);
	assert_int_equal(h->legacy_version, 0x0303);
	assert_int_equal(h->max_version, 0x0304);
	assert_true(h->has_sni);
	assert_string_equal(h->sni, "example.com");
	assert_true(h->has_alpn);
	assert_false(h->alpn_cut);
	assert_int_equal(h->nalpn, 2);
	assert_string_equal(h->alpn[0], "h2");
	assert_string_equal(h->alpn[1], "http/1.1");
	assert_true(h->has_supported_versions);
	assert_int_equal(h->nversions, 2);
	assert_int_equal(h->versions[0], 0x0304);
	assert_int_equal(h->versions[1], 0x0303);
	assert_true(h->ech);
	assert_int_equal(h->nciphers, 3);
	assert_int_equal(h->nextensions, 7);
}

/* Every field a caller reads, compared one by one. */
static void
assert_same(const struct tls_hello *a, const struct tls_hello *b)
{
	size_t i;

	assert_ptr_equal(a->why, b->why);
	assert_int_equal(a->consumed, b->consumed);
	assert_int_equal(a->record_version, b->record_version);
	assert_int_equal(a->legacy_version, b->legacy_version);
	assert_int_equal(a->max_version, b->max_version);
	assert_int_equal(a->has_sni, b->has_sni);
	assert_int_equal(a->has_alpn, b->has_alpn);
	assert_int_equal(a->alpn_cut, b->alpn_cut);
	assert_int_equal(a->has_supported_versions, b->has_supported_versions);
	assert_int_equal(a->ech, b->ech);
	assert_int_equal(a->nciphers, b->nciphers);
	assert_int_equal(a->nextensions, b->nextensions);
	assert_string_equal(a->sni, b->sni);
	assert_int_equal(a->nalpn, b->nalpn);
	for (i = 0; i < a->nalpn; i++)
		assert_string_equal(a->alpn[i], b->alpn[i]);
	assert_int_equal(a->nversions, b->nversions);
	for (i = 0; i < a->nversions; i++)
		assert_int_equal(a->versions[i], b->versions[i]);
}

/* Parse a copy of exactly n bytes, so ASan sees any read past the end. */
static enum tls_status
parse(const uint8_t *p, size_t n, struct tls_hello *h)
{
	enum tls_status st;
	uint8_t *copy;

	copy = test_malloc(n > 0 ? n : 1);
	if (n > 0)
		memcpy(copy, p, n);
	st = tls_client_hello(copy, n, h);
	test_free(copy);
	return st;
}

/* Wrap body in one record and expect st with why. */
static void
expect_body(const struct buf *body, enum tls_status st, const char *why)
{
	struct buf *rec = buf_new();
	static struct tls_hello h;

	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), st);
	if (why != NULL)
		assert_string_equal(h.why, why);
	test_free(rec);
}

static void
expect_exts(const struct buf *x, enum tls_status st, const char *why)
{
	struct buf *body = buf_new();

	hello_body(body, 0x0303, 0, x);
	expect_body(body, st, why);
	test_free(body);
}

static void
t_names(void **state)
{
	(void)state;
	assert_string_equal(tls_version_name(0x0300), "SSLv3");
	assert_string_equal(tls_version_name(0x0301), "TLSv1");
	assert_string_equal(tls_version_name(0x0302), "TLSv1.1");
	assert_string_equal(tls_version_name(0x0303), "TLSv1.2");
	assert_string_equal(tls_version_name(0x0304), "TLSv1.3");
	assert_null(tls_version_name(0x0305));
	assert_null(tls_version_name(0x0a0a));
	assert_null(tls_version_name(0x7f1c));
	assert_string_equal(tls_status_name(TLS_OK), "ok");
	assert_string_equal(tls_status_name(TLS_MORE), "more");
	assert_string_equal(tls_status_name(TLS_NOT_TLS), "not-tls");
	assert_string_equal(tls_status_name(TLS_INVALID), "invalid");
	assert_string_equal(tls_status_name(TLS_TOOBIG), "toobig");
	assert_true(tls_is_grease(0x0a0a));
	assert_true(tls_is_grease(0xfafa));
	assert_true(tls_is_grease(0x3a3a));
	assert_false(tls_is_grease(0x0a1a));
	assert_false(tls_is_grease(0x0304));
	assert_true(tls_is_grease(0xaaaa));
	assert_false(tls_is_grease(0xabab));
}

static void
t_typical(void **state)
{
	struct buf *body = buf_new(), *rec = buf_new();
	static struct tls_hello h;

	(void)state;
	typical_body(body);
	wrap(rec, body, 1);
	assert_int_equal(rec->n, TYPICAL_LEN);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_typical(&h, TYPICAL_LEN);
	test_free(body);
	test_free(rec);
}

static void
t_tls12_no_extensions(void **state)
{
	struct buf *body = buf_new(), *rec = buf_new(), *x = buf_new();
	static struct tls_hello h;

	(void)state;
	hello_body(body, 0x0303, 0, NO_EXT);
	wrap(rec, body, 1);
	assert_int_equal(rec->n, 5 + 4 + 2 + 32 + 1 + 2 + 6 + 2);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_null(h.why);
	assert_int_equal(h.consumed, rec->n);
	assert_int_equal(h.record_version, 0x0301);
	assert_int_equal(h.legacy_version, 0x0303);
	assert_int_equal(h.max_version, 0x0303);
	assert_false(h.has_sni);
	assert_string_equal(h.sni, "");
	assert_false(h.has_alpn);
	assert_int_equal(h.nalpn, 0);
	assert_false(h.has_supported_versions);
	assert_int_equal(h.nversions, 0);
	assert_false(h.ech);
	assert_int_equal(h.nciphers, 3);
	assert_int_equal(h.nextensions, 0);

	/* an empty extensions block is as good as none */
	hello_body(body, 0x0301, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(h.max_version, 0x0301);
	assert_int_equal(h.nextensions, 0);
	assert_int_equal(h.consumed, rec->n);
	test_free(body);
	test_free(rec);
	test_free(x);
}

static void
t_split_records(void **state)
{
	static const size_t nrecs[] = { 2, 3, 7, 100 };
	static const size_t pieces[] = { 1, 2, 3, 4, 5 };
	struct buf *body = buf_new(), *rec = buf_new();
	static struct tls_hello one, h;
	size_t i;

	(void)state;
	typical_body(body);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &one), TLS_OK);

	wrap(rec, body, 3);
	assert_int_equal(rec->n, TYPICAL_LEN + 2 * 5);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_typical(&h, TYPICAL_LEN + 2 * 5);

	for (i = 0; i < sizeof(nrecs) / sizeof(nrecs[0]); i++) {
		wrap(rec, body, nrecs[i]);
		assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
		one.consumed = rec->n;
		assert_same(&h, &one);
	}
	/* tiny records: the handshake header itself spans records */
	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		wrap_pieces(rec, body, pieces[i]);
		assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
		one.consumed = rec->n;
		assert_same(&h, &one);
	}
	test_free(body);
	test_free(rec);
}

/* Every proper prefix is TLS_MORE; the whole is TLS_OK with the same fields. */
static void
t_prefixes(void **state)
{
	static const size_t nrecs[] = { 1, 3 };
	struct buf *body = buf_new(), *rec = buf_new();
	static struct tls_hello whole, h;
	size_t i, k;

	(void)state;
	typical_body(body);
	for (i = 0; i < sizeof(nrecs) / sizeof(nrecs[0]); i++) {
		wrap(rec, body, nrecs[i]);
		assert_int_equal(parse(rec->b, rec->n, &whole), TLS_OK);
		assert_typical(&whole, rec->n);
		for (k = 0; k < rec->n; k++) {
			assert_int_equal(parse(rec->b, k, &h), TLS_MORE);
			assert_non_null(h.why);
		}
		assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
		assert_same(&h, &whole);
	}
	wrap_pieces(rec, body, 1);
	for (k = 0; k < rec->n; k++)
		assert_int_equal(parse(rec->b, k, &h), TLS_MORE);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(parse(NULL, 0, &h), TLS_MORE);
	test_free(body);
	test_free(rec);
}

/*
 * The body cut at every offset, with the lengths around it made to agree: only
 * the cut right after compression_methods is a (shorter, valid) hello.
 */
static void
t_truncate_body(void **state)
{
	struct buf *body = buf_new(), *cut = buf_new(), *rec = buf_new();
	static struct tls_hello h;
	const size_t no_ext = 2 + 32 + 1 + SID_LEN + 2 + 6 + 2;
	size_t k, nrec;
	enum tls_status st;

	(void)state;
	typical_body(body);
	for (nrec = 1; nrec <= 2; nrec++) {
		for (k = 0; k < body->n; k++) {
			cut->n = 0;
			putmem(cut, body->b, k);
			wrap(rec, cut, nrec);
			st = parse(rec->b, rec->n, &h);
			if (k == no_ext) {
				assert_int_equal(st, TLS_OK);
				assert_int_equal(h.nextensions, 0);
				assert_false(h.has_sni);
			} else {
				assert_int_equal(st, TLS_INVALID);
				assert_non_null(h.why);
			}
		}
	}
	test_free(body);
	test_free(cut);
	test_free(rec);
}

static void
t_not_tls(void **state)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	static const uint8_t sslv2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01 };
	static const uint8_t major2[] = { 22, 2, 0 };
	static const uint8_t server_hello[] = { 22, 3, 3, 0, 40, 2, 0, 0, 36 };
	static const uint8_t appdata[] = { 23, 3, 3, 0, 0x31, 0xe4 };
	static const uint8_t ok3[] = { 22, 3, 1, 0, 200, 1 };
	static struct tls_hello h;
	size_t k;

	(void)state;
	for (k = 1; k <= strlen(get); k++) {
		assert_int_equal(parse((const uint8_t *)get, k, &h),
		    TLS_NOT_TLS);
		assert_string_equal(h.why,
		    "first byte is not a handshake record");
	}
	assert_int_equal(parse(sslv2, sizeof(sslv2), &h), TLS_NOT_TLS);
	assert_int_equal(parse(appdata, 1, &h), TLS_NOT_TLS);
	assert_int_equal(parse(major2, 1, &h), TLS_MORE);
	assert_int_equal(parse(major2, 2, &h), TLS_NOT_TLS);
	assert_string_equal(h.why, "record version major is not 3");
	for (k = 1; k < 6; k++)
		assert_int_equal(parse(server_hello, k, &h), TLS_MORE);
	assert_int_equal(parse(server_hello, 6, &h), TLS_NOT_TLS);
	assert_string_equal(h.why,
	    "first handshake message is not a ClientHello");
	assert_int_equal(h.record_version, 0x0303);
	for (k = 0; k < sizeof(ok3); k++)
		assert_int_equal(parse(ok3, k, &h), TLS_MORE);
	assert_int_equal(parse(ok3, sizeof(ok3), &h), TLS_MORE);
	assert_string_equal(h.why, "hello incomplete");
}

static void
t_record_layer(void **state)
{
	static const uint8_t long_rec[] = { 22, 3, 1, 0x40, 1, 1, 0, 0x40, 0 };
	static const uint8_t max_rec[] = { 22, 3, 1, 0x40, 0, 1, 0, 0x3f, 0xfc };
	static const uint8_t empty_rec[] = { 22, 3, 1, 0, 0, 22, 3, 1, 0, 4 };
	static const uint8_t toobig[] = { 22, 3, 1, 0, 200, 1, 0, 0x40, 0x01 };
	static const uint8_t toobig_split[] = { 22, 3, 1, 0, 2, 1, 0,
	    22, 3, 1, 0, 2, 0x40, 0x01 };
	static const uint8_t zero_hello[] = { 22, 3, 1, 0, 4, 1, 0, 0, 0 };
	struct buf *body = buf_new(), *rec = buf_new();
	static struct tls_hello h;
	size_t second;

	(void)state;
	assert_int_equal(parse(long_rec, 5, &h), TLS_INVALID);
	assert_string_equal(h.why, "record longer than 2^14");
	assert_int_equal(parse(max_rec, sizeof(max_rec), &h), TLS_MORE);
	assert_int_equal(parse(empty_rec, sizeof(empty_rec), &h), TLS_INVALID);
	assert_string_equal(h.why, "empty handshake record");
	assert_int_equal(parse(toobig, sizeof(toobig), &h), TLS_TOOBIG);
	assert_string_equal(h.why, "hello longer than TLS_HELLO_MAX");
	assert_int_equal(parse(toobig_split, sizeof(toobig_split), &h),
	    TLS_TOOBIG);
	assert_int_equal(parse(zero_hello, sizeof(zero_hello), &h),
	    TLS_INVALID);
	assert_string_equal(h.why, "hello ends before its random");

	/* another record type inside the hello */
	typical_body(body);
	second = 5 + (4 + body->n + 2) / 3;
	wrap(rec, body, 3);
	assert_int_equal(rec->b[second], 22);
	rec->b[second] = 21;	/* the second record becomes an alert */
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_INVALID);
	assert_string_equal(h.why,
	    "hello interrupted by a non-handshake record");
	wrap(rec, body, 3);
	rec->b[second + 1] = 4;
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_INVALID);
	assert_string_equal(h.why, "record version major is not 3");
	test_free(body);
	test_free(rec);
}

/* A hello of exactly TLS_HELLO_MAX bytes spans two records and is fine. */
static void
t_biggest(void **state)
{
	struct buf *x = buf_new(), *body = buf_new(), *rec = buf_new();
	static uint8_t pad[TLS_HELLO_MAX];
	static struct tls_hello h;
	size_t base;

	(void)state;
	ext_sni(x, "big.example", 11);
	hello_body(body, 0x0303, 0, x);
	base = body->n + 4;
	ext_add(x, 0x0015, pad, TLS_HELLO_MAX - base);
	hello_body(body, 0x0303, 0, x);
	assert_int_equal(body->n, TLS_HELLO_MAX);
	wrap_pieces(rec, body, TLS_RECORD_MAX);
	assert_int_equal(rec->n, 5 + TLS_RECORD_MAX + 5 + 4);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_string_equal(h.sni, "big.example");
	assert_int_equal(h.nextensions, 2);
	assert_int_equal(h.consumed, rec->n);
	assert_int_equal(parse(rec->b, rec->n - 1, &h), TLS_MORE);

	x->n = 0;	/* one byte more of padding */
	ext_sni(x, "big.example", 11);
	ext_add(x, 0x0015, pad, TLS_HELLO_MAX - base + 1);
	hello_body(body, 0x0303, 0, x);
	assert_int_equal(body->n, TLS_HELLO_MAX + 1);
	wrap_pieces(rec, body, TLS_RECORD_MAX);
	assert_int_equal(parse(rec->b, 9, &h), TLS_TOOBIG);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_TOOBIG);
	test_free(x);
	test_free(body);
	test_free(rec);
}

/* What follows the hello is not parsed; consumed ends with its record. */
static void
t_consumed(void **state)
{
	static const uint8_t ccs[] = { 20, 3, 3, 0, 1, 1 };
	struct buf *body = buf_new(), *rec = buf_new(), *msg = buf_new();
	static struct tls_hello h;
	size_t end;

	(void)state;
	typical_body(body);
	wrap(rec, body, 2);
	end = rec->n;
	putmem(rec, ccs, sizeof(ccs));
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_typical(&h, end);

	/* bytes after the hello inside its own record */
	put8(msg, 1);
	put24(msg, (uint32_t)body->n);
	putmem(msg, body->b, body->n);
	put8(msg, 0x14);
	put24(msg, 0);
	rec->n = 0;
	put8(rec, 22);
	put16(rec, 0x0303);
	put16(rec, (unsigned)msg->n);
	putmem(rec, msg->b, msg->n);
	assert_int_equal(parse(rec->b, rec->n - 1, &h), TLS_MORE);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(h.consumed, rec->n);
	assert_int_equal(h.record_version, 0x0303);
	assert_string_equal(h.sni, "example.com");
	test_free(body);
	test_free(rec);
	test_free(msg);
}

static void
t_hello_fields(void **state)
{
	struct buf *body = buf_new(), *x = buf_new();

	(void)state;
	hello_body(body, 0x0303, 33, NO_EXT);
	expect_body(body, TLS_INVALID, "session_id longer than 32");
	hello_body(body, 0x0303, 32, NO_EXT);
	expect_body(body, TLS_OK, NULL);

	hello_body(body, 0x0303, 0, NO_EXT);
	body->b[2 + 32 + 1 + 1] = 5;	/* odd cipher_suites length */
	expect_body(body, TLS_INVALID, "cipher_suites length empty or odd");
	body->b[2 + 32 + 1 + 1] = 0;
	expect_body(body, TLS_INVALID, "cipher_suites length empty or odd");
	body->b[2 + 32 + 1 + 1] = 6;
	body->b[2 + 32 + 1 + 2 + 6] = 0;
	expect_body(body, TLS_INVALID, "compression_methods empty");

	/* trailing bytes after the extensions, and extensions past the hello */
	ext_sni(x, "a.example", 9);
	hello_body(body, 0x0303, 0, x);
	put8(body, 0);
	expect_body(body, TLS_INVALID, "bytes after the extensions");
	body->n -= 2;
	expect_body(body, TLS_INVALID, "extensions run past the hello");
	hello_body(body, 0x0303, 0, NO_EXT);
	put8(body, 0);
	expect_body(body, TLS_INVALID, "extensions length cut short");
	test_free(body);
	test_free(x);
}

static void
t_extension_frame(void **state)
{
	struct buf *x = buf_new();

	(void)state;
	/* duplicates: a low type, ECH, a GREASE value */
	ext_sni(x, "one.example", 11);
	ext_add(x, 0x0017, NULL, 0);
	ext_sni(x, "two.example", 11);
	expect_exts(x, TLS_INVALID, "extension type repeated");
	x->n = 0;
	ext_add(x, 0xfe0d, ech_outer, sizeof(ech_outer));
	ext_add(x, 0xfe0e, NULL, 0);
	ext_add(x, 0xfe0d, NULL, 0);
	expect_exts(x, TLS_INVALID, "extension type repeated");
	x->n = 0;
	ext_add(x, 0x1a1a, NULL, 0);
	ext_add(x, 0x1a1a, NULL, 0);
	expect_exts(x, TLS_INVALID, "extension type repeated");
	/* the same low byte under different high bytes is no repeat */
	x->n = 0;
	ext_add(x, 0x0010 + 0x0000, "\x00\x03\x02h2", 5);
	ext_add(x, 0x0110, NULL, 0);
	ext_add(x, 0xff10, NULL, 0);
	ext_add(x, 0x0050, NULL, 0);
	expect_exts(x, TLS_OK, NULL);

	x->n = 0;
	ext_add(x, 0x0017, NULL, 0);
	put16(x, 0x0023);
	put16(x, 4);
	put8(x, 0);
	expect_exts(x, TLS_INVALID, "extension runs past the extensions");
	x->n = 0;
	ext_add(x, 0x0017, NULL, 0);
	put8(x, 0);
	put8(x, 0x23);
	put8(x, 0);
	expect_exts(x, TLS_INVALID, "extension header cut short");
	test_free(x);
}

static void
t_sni(void **state)
{
	static const uint8_t odd[] = { 'a', 0x01, 'b', '\\', 'c', 0x00, 0xc3,
	    0xa9, '.', 'X' };
	static uint8_t name[300], high[64];
	struct buf *x = buf_new(), *body = buf_new(), *rec = buf_new();
	static struct tls_hello h;

	(void)state;
	ext_sni(x, odd, sizeof(odd));
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_true(h.has_sni);
	assert_string_equal(h.sni, "a\\x01b\\c\\x00\\xc3\\xa9.X");

	memset(name, 'a', sizeof(name));
	x->n = 0;
	ext_sni(x, name, 255);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(strlen(h.sni), 255);
	x->n = 0;
	ext_sni(x, name, 256);
	expect_exts(x, TLS_INVALID, "host_name longer than 255");

	memset(high, 0x80, sizeof(high));
	x->n = 0;
	ext_sni(x, high, 63);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(strlen(h.sni), 63 * 4);
	assert_memory_equal(h.sni, "\\x80\\x80", 8);
	x->n = 0;
	ext_sni(x, high, 64);
	expect_exts(x, TLS_INVALID, "host_name too long once escaped");

	x->n = 0;
	ext_sni(x, "", 0);
	expect_exts(x, TLS_INVALID, "empty host_name");

	/* an unknown name type is skipped; the first host_name wins */
	x->n = 0;
	put16(x, 0x0000);
	put16(x, 2 + 3 + 4 + 3 + 13 + 3 + 14);
	put16(x, 3 + 4 + 3 + 13 + 3 + 14);
	put8(x, 7);
	put16(x, 4);
	putmem(x, "skip", 4);
	put8(x, 0);
	put16(x, 13);
	putmem(x, "first.example", 13);
	put8(x, 0);
	put16(x, 14);
	putmem(x, "second.example", 14);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_string_equal(h.sni, "first.example");
	x->b[5] = 7;	/* list length: 7 -> only the skipped entry */
	expect_exts(x, TLS_INVALID,
	    "server_name list length disagrees with its extension");

	/* only a non-host_name entry: no SNI */
	x->n = 0;
	put16(x, 0x0000);
	put16(x, 2 + 3 + 4);
	put16(x, 3 + 4);
	put8(x, 7);
	put16(x, 4);
	putmem(x, "skip", 4);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_false(h.has_sni);
	assert_string_equal(h.sni, "");

	/* the list length runs past its extension */
	x->n = 0;
	ext_sni(x, "example.com", 11);
	x->b[5]++;
	expect_exts(x, TLS_INVALID,
	    "server_name list length disagrees with its extension");
	/* an entry runs past its list */
	x->n = 0;
	ext_sni(x, "example.com", 11);
	x->b[8]++;
	expect_exts(x, TLS_INVALID, "server_name entry runs past its list");
	x->n = 0;
	ext_add(x, 0x0000, "\x00\x00", 2);
	expect_exts(x, TLS_INVALID, "server_name list empty");
	x->n = 0;
	ext_add(x, 0x0000, NULL, 0);
	expect_exts(x, TLS_INVALID, "server_name extension too short");
	x->n = 0;
	ext_add(x, 0x0000, "\x00\x02\x00\x00", 4);
	expect_exts(x, TLS_INVALID, "server_name entry cut short");
	test_free(x);
	test_free(body);
	test_free(rec);
}

static void
t_alpn(void **state)
{
	static const char *const many[] = { "a", "b", "c", "d", "e", "f", "g",
	    "h", "i", "j" };
	static const char *const nonascii[] = { "\xba\xad", "http/1.1" };
	static char longid[101];
	const char *longids[1] = { longid };
	struct buf *x = buf_new(), *body = buf_new(), *rec = buf_new();
	static struct tls_hello h;

	(void)state;
	/* the bytes of ja4__tls-non-ascii-alpn.pcapng */
	ext_alpn(x, nonascii, 2);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(h.nalpn, 2);
	assert_string_equal(h.alpn[0], "\\xba\\xad");
	assert_string_equal(h.alpn[1], "http/1.1");
	assert_false(h.alpn_cut);

	x->n = 0;
	ext_alpn(x, many, 10);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(h.nalpn, TLS_ALPN_MAX);
	assert_string_equal(h.alpn[7], "h");
	assert_true(h.alpn_cut);

	memset(longid, 'p', 100);
	x->n = 0;
	ext_alpn(x, longids, 1);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(h.nalpn, 1);
	assert_int_equal(strlen(h.alpn[0]), TLS_ALPN_BUF - 1);
	assert_true(h.alpn_cut);
	/* an escape is never split: 15 of them fit in 63 characters */
	memset(longid, 0xff, 20);
	longid[20] = '\0';
	x->n = 0;
	ext_alpn(x, longids, 1);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(strlen(h.alpn[0]), 60);
	assert_memory_equal(h.alpn[0] + 56, "\\xff", 4);
	assert_true(h.alpn_cut);

	x->n = 0;
	ext_add(x, 0x0010, "\x00\x04\x02h2\x00", 6);
	expect_exts(x, TLS_INVALID, "empty ALPN protocol id");
	x->n = 0;
	ext_add(x, 0x0010, "\x00\x03\x00h2", 5);
	expect_exts(x, TLS_INVALID, "empty ALPN protocol id");
	x->n = 0;
	ext_add(x, 0x0010, "\x00\x03\x03h2", 5);
	expect_exts(x, TLS_INVALID, "ALPN protocol id runs past its list");
	x->n = 0;
	ext_add(x, 0x0010, "\x00\x04\x02h2", 5);
	expect_exts(x, TLS_INVALID,
	    "ALPN list length disagrees with its extension");
	x->n = 0;
	ext_add(x, 0x0010, "\x00\x00", 2);
	expect_exts(x, TLS_INVALID, "ALPN list empty");
	x->n = 0;
	ext_add(x, 0x0010, "\x00", 1);
	expect_exts(x, TLS_INVALID, "ALPN extension too short");
	test_free(x);
	test_free(body);
	test_free(rec);
}

static void
t_versions(void **state)
{
	static const uint16_t grease_only[] = { 0x0a0a, 0xdada };
	static const uint16_t draft[] = { 0x0303, 0x7f1c, 0x0304 };
	uint16_t many[20];
	struct buf *x = buf_new(), *body = buf_new(), *rec = buf_new();
	static struct tls_hello h;
	size_t i;

	(void)state;
	ext_versions(x, grease_only, 2);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_true(h.has_supported_versions);
	assert_int_equal(h.nversions, 0);
	assert_int_equal(h.max_version, 0x0303);

	x->n = 0;
	ext_versions(x, draft, 3);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(h.nversions, 3);
	assert_int_equal(h.versions[1], 0x7f1c);
	assert_int_equal(h.max_version, 0x7f1c);

	for (i = 0; i < 20; i++)
		many[i] = (uint16_t)(0x0200 + i);
	x->n = 0;
	ext_versions(x, many, 20);
	hello_body(body, 0x0303, 0, x);
	wrap(rec, body, 1);
	assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
	assert_int_equal(h.nversions, TLS_VERSIONS_MAX);
	assert_int_equal(h.versions[15], 0x020f);
	assert_int_equal(h.max_version, 0x0213);

	x->n = 0;
	ext_add(x, 0x002b, "\x03\x03\x04\x03", 4);
	expect_exts(x, TLS_INVALID, "supported_versions length odd");
	x->n = 0;
	ext_add(x, 0x002b, "\x04\x03\x04", 3);
	expect_exts(x, TLS_INVALID,
	    "supported_versions length disagrees with its extension");
	x->n = 0;
	ext_add(x, 0x002b, "\x00", 1);
	expect_exts(x, TLS_INVALID, "supported_versions list empty");
	x->n = 0;
	ext_add(x, 0x002b, NULL, 0);
	expect_exts(x, TLS_INVALID, "supported_versions extension empty");
	test_free(x);
	test_free(body);
	test_free(rec);
}

/* 200 mutated hellos per sample (1-4 bytes changed, fixed seed): no crash. */
static void
t_mutations(void **state)
{
	static const size_t nrecs[] = { 1, 3 };
	struct buf *body = buf_new(), *rec = buf_new();
	static struct tls_hello h;
	uint32_t x = 2463534242u;
	size_t i, r, k, nk, pos, ok = 0;
	uint8_t save[4];
	size_t at[4];
	enum tls_status st;

	(void)state;
	typical_body(body);
	for (i = 0; i < sizeof(nrecs) / sizeof(nrecs[0]); i++) {
		wrap(rec, body, nrecs[i]);
		for (r = 0; r < 200; r++) {
			x ^= x << 13; x ^= x >> 17; x ^= x << 5;
			nk = 1 + x % 4;
			for (k = 0; k < nk; k++) {
				x ^= x << 13; x ^= x >> 17; x ^= x << 5;
				pos = x % rec->n;
				at[k] = pos;
				save[k] = rec->b[pos];
				rec->b[pos] = (uint8_t)(x >> 8);
			}
			st = parse(rec->b, rec->n, &h);
			assert_true(st <= TLS_TOOBIG);
			if (st == TLS_OK) {
				ok++;
				assert_null(h.why);
				assert_true(h.consumed <= rec->n);
				assert_true(strlen(h.sni) < TLS_SNI_BUF);
				assert_true(h.nalpn <= TLS_ALPN_MAX);
				assert_true(h.nversions <= TLS_VERSIONS_MAX);
			} else
				assert_non_null(h.why);
			for (k = nk; k-- > 0;)
				rec->b[at[k]] = save[k];
		}
		assert_int_equal(parse(rec->b, rec->n, &h), TLS_OK);
		assert_typical(&h, rec->n);
	}
	/* many bytes fall in the random or the padding, where nothing breaks */
	assert_true(ok > 0);
	test_free(body);
	test_free(rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_typical),
		cmocka_unit_test(t_tls12_no_extensions),
		cmocka_unit_test(t_split_records),
		cmocka_unit_test(t_prefixes),
		cmocka_unit_test(t_truncate_body),
		cmocka_unit_test(t_not_tls),
		cmocka_unit_test(t_record_layer),
		cmocka_unit_test(t_biggest),
		cmocka_unit_test(t_consumed),
		cmocka_unit_test(t_hello_fields),
		cmocka_unit_test(t_extension_frame),
		cmocka_unit_test(t_sni),
		cmocka_unit_test(t_alpn),
		cmocka_unit_test(t_versions),
		cmocka_unit_test(t_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
