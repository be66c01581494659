/*
 * test_stream.c - unit tests of stream reassembly: order, gaps, overlaps,
 * wrap-around, the buffer's end, the pool; random cases use fixed seeds.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "stream.h"

#define PAYLOAD_MAX	16384
#define NSEG_MAX	256

static uint64_t
rnd(uint64_t *st)
{
	uint64_t x;

	*st += 0x9e3779b97f4a7c15ULL;
	x = *st;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* uniform enough in [lo, hi] for tests */
static size_t
rnd_range(uint64_t *st, size_t lo, size_t hi)
{
	return lo + (size_t)(rnd(st) % (hi - lo + 1));
}

static void
fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t st = seed;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(&st);
}

/* A pool of one stream, started at isn; both freed by done(). */
struct one {
	struct stream_pool	*pool;
	struct stream		*s;
};

static void
one_new(struct one *o, size_t bufsize, uint32_t isn)
{
	o->pool = stream_pool_new(1, bufsize);
	assert_non_null(o->pool);
	o->s = stream_get(o->pool);
	assert_non_null(o->s);
	stream_start(o->s, isn);
}

static void
one_free(struct one *o)
{
	stream_put(o->pool, o->s);
	stream_pool_free(o->pool);
}

/* The contiguous bytes are exactly want[0..n). */
static void
assert_contig(const struct stream *s, const uint8_t *want, size_t n)
{
	const uint8_t *p = NULL;

	assert_int_equal(stream_contig(s, &p), n);
	assert_non_null(p);
	if (n > 0)
		assert_memory_equal(p, want, n);
}

static void
test_in_order(void **state)
{
	struct one o;
	const uint8_t *msg = (const uint8_t *)"hello world";

	(void)state;
	one_new(&o, 4096, 1000);
	assert_int_equal(stream_contig(o.s, NULL), 0);
	assert_int_equal(stream_add(o.s, 1000, msg, 6), STREAM_OK);
	assert_contig(o.s, msg, 6);
	assert_int_equal(stream_add(o.s, 1006, msg + 6, 5), STREAM_OK);
	assert_contig(o.s, msg, 11);
	/* a bare ACK, here and far away */
	assert_int_equal(stream_add(o.s, 1011, NULL, 0), STREAM_OK);
	assert_int_equal(stream_add(o.s, 99999, NULL, 0), STREAM_OK);
	assert_contig(o.s, msg, 11);
	assert_false(stream_full(o.s));
	assert_int_equal(stream_bufsize(o.s), 4096);
	one_free(&o);
}

static void
test_out_of_order(void **state)
{
	struct one o;
	uint8_t pl[300];

	(void)state;
	fill_random(pl, sizeof(pl), 1);
	one_new(&o, 4096, 7);
	assert_int_equal(stream_add(o.s, 7 + 200, pl + 200, 100), STREAM_OK);
	assert_int_equal(stream_contig(o.s, NULL), 0);
	assert_int_equal(stream_add(o.s, 7 + 100, pl + 100, 100), STREAM_OK);
	assert_int_equal(stream_contig(o.s, NULL), 0);
	assert_int_equal(stream_add(o.s, 7, pl, 100), STREAM_OK);
	assert_contig(o.s, pl, 300);
	one_free(&o);
}

static void
test_gap_then_fill(void **state)
{
	struct one o;
	uint8_t pl[30];

	(void)state;
	fill_random(pl, sizeof(pl), 2);
	one_new(&o, 4096, 0);
	assert_int_equal(stream_add(o.s, 0, pl, 10), STREAM_OK);
	assert_int_equal(stream_add(o.s, 20, pl + 20, 10), STREAM_OK);
	assert_contig(o.s, pl, 10);
	assert_int_equal(stream_add(o.s, 10, pl + 10, 5), STREAM_OK);
	assert_contig(o.s, pl, 15);
	assert_int_equal(stream_add(o.s, 15, pl + 15, 5), STREAM_OK);
	assert_contig(o.s, pl, 30);
	one_free(&o);
}

static void
test_identical_retransmission(void **state)
{
	struct one o;
	uint8_t pl[200];

	(void)state;
	fill_random(pl, sizeof(pl), 3);
	one_new(&o, 4096, 500);
	assert_int_equal(stream_add(o.s, 500, pl, 100), STREAM_OK);
	assert_int_equal(stream_add(o.s, 500, pl, 100), STREAM_OK);
	assert_contig(o.s, pl, 100);
	/* half old, half new */
	assert_int_equal(stream_add(o.s, 550, pl + 50, 100), STREAM_OK);
	assert_contig(o.s, pl, 150);
	/* wholly inside */
	assert_int_equal(stream_add(o.s, 525, pl + 25, 50), STREAM_OK);
	/* over a held range ahead and the gap before it */
	assert_int_equal(stream_add(o.s, 690, pl + 190, 10), STREAM_OK);
	assert_int_equal(stream_add(o.s, 640, pl + 140, 60), STREAM_OK);
	assert_contig(o.s, pl, 200);
	one_free(&o);
}

static void
test_conflicting_overlap(void **state)
{
	struct one o;
	uint8_t pl[300], bad[300], other[40];
	const uint8_t *p;

	(void)state;
	fill_random(pl, sizeof(pl), 4);
	fill_random(other, sizeof(other), 44);
	one_new(&o, 4096, 0);
	assert_int_equal(stream_add(o.s, 0, pl, 100), STREAM_OK);

	/* [40, 140) with byte 60 changed: refused whole */
	memcpy(bad, pl, sizeof(bad));
	bad[60] ^= 0x01;
	assert_int_equal(stream_add(o.s, 40, bad + 40, 100),
	    STREAM_OVERLAP_CONFLICT);
	assert_contig(o.s, pl, 100);
	/* its new part [100, 140) was not stored: other bytes fit there */
	assert_int_equal(stream_add(o.s, 100, other, 40), STREAM_OK);
	assert_int_equal(stream_contig(o.s, &p), 140);
	assert_memory_equal(p, pl, 100);
	assert_memory_equal(p + 100, other, 40);

	/* against a range held out of order, the last byte differing */
	assert_int_equal(stream_add(o.s, 200, pl + 200, 50), STREAM_OK);
	bad[200] = pl[200] ^ 0xff;
	assert_int_equal(stream_add(o.s, 190, bad + 190, 11),
	    STREAM_OVERLAP_CONFLICT);
	assert_int_equal(stream_add(o.s, 190, pl + 190, 11), STREAM_OK);
	/* only a byte that is held counts: 250 is not */
	memcpy(bad, pl, sizeof(bad));
	bad[250] ^= 0x80;
	assert_int_equal(stream_add(o.s, 240, bad + 240, 11), STREAM_OK);
	assert_int_equal(stream_add(o.s, 250, pl + 250, 1),
	    STREAM_OVERLAP_CONFLICT);
	one_free(&o);
}

static void
test_overlap_before_start(void **state)
{
	struct one o;
	uint8_t pl[100], seg[110];

	(void)state;
	fill_random(pl, sizeof(pl), 5);
	one_new(&o, 4096, 5000);
	assert_int_equal(stream_add(o.s, 5000, pl, 50), STREAM_OK);

	/* 10 bytes before the start, not held, so never compared */
	memset(seg, 0xee, 10);
	memcpy(seg + 10, pl, 60);
	assert_int_equal(stream_add(o.s, 4990, seg, 60), STREAM_OK);
	assert_contig(o.s, pl, 50);
	assert_int_equal(stream_add(o.s, 4990, seg, 70), STREAM_OK);
	assert_contig(o.s, pl, 60);
	/* the same with a held byte changed */
	seg[10 + 30] ^= 0x04;
	assert_int_equal(stream_add(o.s, 4990, seg, 80),
	    STREAM_OVERLAP_CONFLICT);
	assert_contig(o.s, pl, 60);

	/* wholly before: nothing held there, nothing stored */
	assert_int_equal(stream_add(o.s, 4000, seg, 100), STREAM_OK);
	assert_int_equal(stream_add(o.s, 4999, seg, 1), STREAM_OK);
	assert_int_equal(stream_add(o.s, 4990, seg, 10), STREAM_OK);
	/* 2^31 away counts as before, 2^31 - 1 ahead as past the end */
	assert_int_equal(stream_add(o.s, 5000u - 0x80000000u, seg, 10),
	    STREAM_OK);
	assert_int_equal(stream_add(o.s, 5000u + 0x80000000u, seg, 10),
	    STREAM_OK);
	assert_int_equal(stream_add(o.s, 5000u + 0x7fffffffu, seg, 10),
	    STREAM_FULL);
	assert_contig(o.s, pl, 60);
	one_free(&o);
}

static void
test_wraparound(void **state)
{
	struct one o;
	uint8_t pl[40];

	(void)state;
	fill_random(pl, sizeof(pl), 6);
	one_new(&o, 4096, 0xFFFFFFF0u);
	assert_int_equal(stream_add(o.s, 0xFFFFFFF0u, pl, 8), STREAM_OK);
	/* offset 24 is seq 8, after the wrap */
	assert_int_equal(stream_add(o.s, 0x00000008u, pl + 24, 16), STREAM_OK);
	assert_contig(o.s, pl, 8);
	/* [8, 24) crosses 0 */
	assert_int_equal(stream_add(o.s, 0xFFFFFFF8u, pl + 8, 16), STREAM_OK);
	assert_contig(o.s, pl, 40);
	one_free(&o);

	/* the start just after 0, a segment beginning before it */
	one_new(&o, 4096, 5);
	assert_int_equal(stream_add(o.s, 0xFFFFFFFBu, pl, 30), STREAM_OK);
	assert_contig(o.s, pl + 10, 20);
	one_free(&o);
}

static void
test_past_end(void **state)
{
	struct one o;
	uint8_t pl[1200], bad[1200];

	(void)state;
	fill_random(pl, sizeof(pl), 7);
	one_new(&o, 1024, 100);
	assert_int_equal(stream_add(o.s, 100, pl, 1000), STREAM_OK);
	assert_false(stream_full(o.s));
	assert_int_equal(stream_add(o.s, 1100, pl + 1000, 100), STREAM_FULL);
	assert_contig(o.s, pl, 1024);
	assert_true(stream_full(o.s));
	/* wholly past: nothing to store */
	assert_int_equal(stream_add(o.s, 100 + 1024, pl, 10), STREAM_FULL);
	assert_int_equal(stream_add(o.s, 100 + 5000, pl, 10), STREAM_FULL);
	/* held bytes are still compared; a conflict wins over FULL */
	assert_int_equal(stream_add(o.s, 600, pl + 500, 100), STREAM_OK);
	memcpy(bad, pl, sizeof(bad));
	bad[1010] ^= 1;
	assert_int_equal(stream_add(o.s, 1100, bad + 1000, 100),
	    STREAM_OVERLAP_CONFLICT);
	/* past it, no byte is held to compare */
	memcpy(bad, pl, sizeof(bad));
	bad[1030] ^= 1;
	assert_int_equal(stream_add(o.s, 1100, bad + 1000, 100), STREAM_FULL);
	assert_contig(o.s, pl, 1024);
	one_free(&o);

	/* past the end with a gap before: the prefix stays short until filled */
	one_new(&o, 1024, 0);
	assert_int_equal(stream_add(o.s, 0, pl, 100), STREAM_OK);
	assert_int_equal(stream_add(o.s, 900, pl + 900, 300), STREAM_FULL);
	assert_contig(o.s, pl, 100);
	assert_false(stream_full(o.s));
	assert_int_equal(stream_add(o.s, 100, pl + 100, 800), STREAM_OK);
	assert_contig(o.s, pl, 1024);
	assert_true(stream_full(o.s));
	one_free(&o);
}

static void
test_one_byte_segments(void **state)
{
	struct one o;
	static uint8_t pl[4097];
	size_t i;

	(void)state;
	fill_random(pl, sizeof(pl), 8);
	one_new(&o, 4096, 0xFFFFF000u);
	for (i = 0; i < 4096; i++) {
		assert_int_equal(stream_add(o.s, 0xFFFFF000u + (uint32_t)i,
		    pl + i, 1), STREAM_OK);
		assert_int_equal(stream_contig(o.s, NULL), i + 1);
	}
	assert_true(stream_full(o.s));
	assert_int_equal(stream_add(o.s, 0xFFFFF000u + 4096, pl + 4096, 1),
	    STREAM_FULL);
	assert_contig(o.s, pl, 4096);

	/* backwards: one range growing down, the prefix only at the end */
	stream_start(o.s, 77);
	assert_int_equal(stream_contig(o.s, NULL), 0);
	for (i = 4096; i-- > 0;) {
		assert_int_equal(stream_add(o.s, 77 + (uint32_t)i, pl + i, 1),
		    STREAM_OK);
		assert_int_equal(stream_contig(o.s, NULL), i == 0 ? 4096 : 0);
	}
	assert_contig(o.s, pl, 4096);
	one_free(&o);
}

static void
test_pool(void **state)
{
	struct stream_pool *p, *q;
	struct stream *s[4], *t, *foreign;
	struct stream_pool_stats st;
	uint8_t b = 'x';

	(void)state;
	p = stream_pool_new(3, 256);
	assert_non_null(p);
	stream_pool_get_stats(p, &st);
	assert_int_equal(st.capacity, 3);
	assert_int_equal(st.bufsize, 256);
	assert_int_equal(st.in_use, 0);
	assert_true(st.bytes >= 3 * 256 && st.bytes <= 3 * (256 + 512) + 512);

	s[0] = stream_get(p);
	s[1] = stream_get(p);
	s[2] = stream_get(p);
	assert_non_null(s[0]);
	assert_non_null(s[1]);
	assert_non_null(s[2]);
	assert_ptr_not_equal(s[0], s[1]);
	assert_ptr_not_equal(s[1], s[2]);
	assert_ptr_not_equal(s[0], s[2]);
	s[3] = stream_get(p);
	assert_null(s[3]);
	assert_null(stream_get(p));
	stream_pool_get_stats(p, &st);
	assert_int_equal(st.in_use, 3);
	assert_int_equal(st.peak, 3);
	assert_int_equal(st.get_failures, 2);

	/* buffers are separate */
	stream_start(s[1], 0);
	assert_int_equal(stream_add(s[1], 0, &b, 1), STREAM_OK);
	stream_start(s[0], 0);
	assert_int_equal(stream_contig(s[0], NULL), 0);

	stream_put(p, s[1]);
	stream_pool_get_stats(p, &st);
	assert_int_equal(st.in_use, 2);
	assert_int_equal(st.peak, 3);
	t = stream_get(p);
	assert_ptr_equal(t, s[1]);
	/* handed out again: reset and not started */
	assert_int_equal(stream_contig(t, NULL), 0);
	assert_int_equal(stream_add(t, 0, &b, 1), STREAM_NOT_STARTED);

	/* a double put, NULL, and a stream of another pool change nothing */
	stream_put(p, s[2]);
	stream_put(p, s[2]);
	stream_put(p, NULL);
	q = stream_pool_new(1, 256);
	assert_non_null(q);
	foreign = stream_get(q);
	assert_non_null(foreign);
	stream_put(p, foreign);
	stream_put(p, (struct stream *)((uint8_t *)s[0] + 1));
	stream_pool_get_stats(p, &st);
	assert_int_equal(st.in_use, 2);
	assert_ptr_equal(stream_get(p), s[2]);
	assert_null(stream_get(p));
	stream_pool_get_stats(p, &st);
	assert_int_equal(st.in_use, 3);
	assert_int_equal(st.get_failures, 3);

	stream_put(q, foreign);
	stream_pool_free(q);
	stream_pool_free(p);
	stream_pool_free(NULL);
}

static void
test_pool_limits(void **state)
{
	struct stream_pool *p;
	struct stream_pool_stats st;
	struct stream *s;

	(void)state;
	assert_null(stream_pool_new(0, 1024));
	assert_null(stream_pool_new(STREAM_POOL_MAX + 1, 1));
	assert_null(stream_pool_new(1, STREAM_BUFSIZE_MAX + 1));
	p = stream_pool_new(2, 0);
	assert_non_null(p);
	stream_pool_get_stats(p, &st);
	assert_int_equal(st.bufsize, STREAM_BUFSIZE_DEFAULT);
	s = stream_get(p);
	assert_int_equal(stream_bufsize(s), STREAM_BUFSIZE_DEFAULT);
	stream_put(p, s);
	stream_pool_free(p);
}

static void
test_start_reset(void **state)
{
	struct one o;
	uint8_t pl[64];

	(void)state;
	fill_random(pl, sizeof(pl), 9);
	one_new(&o, 1024, 0);
	stream_reset(o.s);
	assert_int_equal(stream_add(o.s, 0, pl, 10), STREAM_NOT_STARTED);
	assert_int_equal(stream_contig(o.s, NULL), 0);

	/* picked up mid-stream: start at the first data segment's seq */
	stream_start(o.s, 123456);
	assert_int_equal(stream_add(o.s, 123456, pl, 20), STREAM_OK);
	assert_contig(o.s, pl, 20);
	/* starting again forgets: other bytes at the same offsets are fine */
	stream_start(o.s, 123456);
	assert_int_equal(stream_contig(o.s, NULL), 0);
	assert_int_equal(stream_add(o.s, 123456, pl + 20, 20), STREAM_OK);
	assert_contig(o.s, pl + 20, 20);
	stream_reset(o.s);
	assert_int_equal(stream_contig(o.s, NULL), 0);
	assert_false(stream_full(o.s));

	assert_string_equal(stream_status_name(STREAM_OK), "ok");
	assert_string_equal(stream_status_name(STREAM_OVERLAP_CONFLICT),
	    "overlap_conflict");
	assert_string_equal(stream_status_name(STREAM_FULL), "full");
	assert_string_equal(stream_status_name(STREAM_TOO_FRAGMENTED),
	    "too_fragmented");
	assert_string_equal(stream_status_name(STREAM_NOT_STARTED),
	    "not_started");
	assert_string_equal(stream_status_name((enum stream_status)99),
	    "unknown");
	one_free(&o);
}

static void
test_too_many_holes(void **state)
{
	struct one o;
	static uint8_t pl[4096];
	uint8_t junk;
	uint32_t i;

	(void)state;
	fill_random(pl, sizeof(pl), 10);
	one_new(&o, 4096, 1);
	/* 32 separate bytes at offsets 2, 4, .., 64 */
	for (i = 1; i <= STREAM_MAX_RANGES; i++)
		assert_int_equal(stream_add(o.s, 1 + 2 * i, pl + 2 * i, 1),
		    STREAM_OK);
	junk = pl[66] ^ 0x55;
	assert_int_equal(stream_add(o.s, 1 + 66, &junk, 1),
	    STREAM_TOO_FRAGMENTED);
	assert_int_equal(stream_add(o.s, 1 + 0, pl, 1), STREAM_TOO_FRAGMENTED);
	assert_int_equal(stream_add(o.s, 1 + 100, pl + 100, 50),
	    STREAM_TOO_FRAGMENTED);
	/* what lands in or next to a range needs none more */
	assert_int_equal(stream_add(o.s, 1 + 2, pl + 2, 1), STREAM_OK);
	/* the refused junk at 66 was not stored */
	assert_int_equal(stream_add(o.s, 1 + 65, pl + 65, 2), STREAM_OK);
	assert_int_equal(stream_add(o.s, 1 + 1, pl + 1, 1), STREAM_OK);
	/* 3 joins 2 and 4: 31 ranges, room for one */
	assert_int_equal(stream_add(o.s, 1 + 3, pl + 3, 1), STREAM_OK);
	assert_int_equal(stream_add(o.s, 1 + 100, pl + 100, 50), STREAM_OK);
	assert_int_equal(stream_add(o.s, 1 + 200, pl + 200, 1),
	    STREAM_TOO_FRAGMENTED);
	assert_int_equal(stream_contig(o.s, NULL), 0);
	/* one segment over everything: all merge into the prefix */
	assert_int_equal(stream_add(o.s, 1, pl, 4096), STREAM_OK);
	assert_contig(o.s, pl, 4096);
	one_free(&o);
}

/*
 * Segments of a payload as a TCP sender cuts them: 536 to 1460 bytes, then
 * copies of some (retransmissions) and unions of two neighbours
 * (retransmissions cut differently), in a random order.  Every held range
 * starts and ends on an original boundary, so there are never more ranges
 * than the 31 or fewer original segments: every add must be STREAM_OK.
 */
struct seg {
	uint32_t	off, len;
	bool		corrupt;
};

static size_t
make_segments(struct seg *sg, size_t total, uint64_t *rs)
{
	struct seg orig[NSEG_MAX];
	size_t n = 0, norig = 0, off = 0, i, j, len;
	struct seg tmp;

	while (off < total) {
		len = rnd_range(rs, 536, 1460);
		if (len > total - off)
			len = total - off;
		orig[norig].off = (uint32_t)off;
		orig[norig].len = (uint32_t)len;
		orig[norig].corrupt = false;
		norig++;
		off += len;
	}
	for (i = 0; i < norig; i++) {
		sg[n++] = orig[i];
		if (rnd(rs) % 3 == 0)
			sg[n++] = orig[i];
		if (i + 1 < norig && rnd(rs) % 4 == 0) {
			sg[n] = orig[i];
			sg[n].len += orig[i + 1].len;
			n++;
		}
	}
	for (i = n; i > 1; i--) {
		j = (size_t)(rnd(rs) % i);
		tmp = sg[i - 1];
		sg[i - 1] = sg[j];
		sg[j] = tmp;
	}
	return n;
}

static void
test_random_payload(void **state)
{
	static uint8_t pl[PAYLOAD_MAX];
	struct seg sg[NSEG_MAX];
	struct one o;
	uint64_t seed, rs;
	size_t n, i, c, last;
	uint32_t isn;
	const uint8_t *p;

	(void)state;
	for (seed = 1; seed <= 50; seed++) {
		rs = seed;
		fill_random(pl, sizeof(pl), seed * 1000);
		n = make_segments(sg, sizeof(pl), &rs);
		/* some starts close before the wrap */
		isn = seed % 2 ? (uint32_t)rnd(&rs) : 0u - (uint32_t)(seed * 97);
		one_new(&o, sizeof(pl), isn);
		last = 0;
		for (i = 0; i < n; i++) {
			assert_int_equal(stream_add(o.s, isn + sg[i].off,
			    pl + sg[i].off, sg[i].len), STREAM_OK);
			c = stream_contig(o.s, &p);
			assert_true(c >= last);
			if (c > 0)
				assert_memory_equal(p, pl, c);
			last = c;
		}
		assert_contig(o.s, pl, sizeof(pl));
		assert_true(stream_full(o.s));
		one_free(&o);
	}
}

/*
 * One copy of one segment has a byte changed.  Whichever copy of that byte
 * arrives first is held; every later segment carrying the other value is
 * refused whole.  So the corrupted copy conflicts exactly when the byte is
 * already held when it arrives, and otherwise every later segment over it
 * conflicts instead.
 */
static void
test_random_corruption(void **state)
{
	static uint8_t pl[PAYLOAD_MAX], bad[PAYLOAD_MAX], want[PAYLOAD_MAX];
	static bool present[PAYLOAD_MAX];
	struct seg sg[NSEG_MAX + 1];
	struct one o;
	uint64_t seed, rs;
	size_t n, i, j, at, pos, c, early = 0, late = 0;
	uint32_t isn;
	enum stream_status want_st;
	const uint8_t *data;
	bool covers, conflicted;

	(void)state;
	for (seed = 1; seed <= 200; seed++) {
		rs = seed ^ 0x5555;
		fill_random(pl, sizeof(pl), seed * 7919);
		n = make_segments(sg, sizeof(pl), &rs);
		/* a corrupted copy of one segment, anywhere in the order */
		j = (size_t)(rnd(&rs) % n);
		at = (size_t)(rnd(&rs) % (n + 1));
		memmove(&sg[at + 1], &sg[at], (n - at) * sizeof(sg[0]));
		sg[at] = sg[j < at ? j : j + 1];
		sg[at].corrupt = true;
		n++;
		pos = sg[at].off + (size_t)(rnd(&rs) % sg[at].len);
		memcpy(bad, pl, sizeof(pl));
		bad[pos] ^= (uint8_t)(1 + rnd(&rs) % 255);

		isn = (uint32_t)rnd(&rs);
		one_new(&o, sizeof(pl), isn);
		memset(present, 0, sizeof(present));
		memcpy(want, pl, sizeof(pl));
		conflicted = false;
		for (i = 0; i < n; i++) {
			data = sg[i].corrupt ? bad : pl;
			covers = pos >= sg[i].off && pos < sg[i].off + sg[i].len;
			want_st = covers && present[pos] &&
			    want[pos] != data[pos] ?
			    STREAM_OVERLAP_CONFLICT : STREAM_OK;
			assert_int_equal(stream_add(o.s, isn + sg[i].off,
			    data + sg[i].off, sg[i].len), want_st);
			if (sg[i].corrupt) {
				if (want_st == STREAM_OVERLAP_CONFLICT)
					early++;
				else
					late++;
			}
			if (want_st == STREAM_OK) {
				memset(present + sg[i].off, 1, sg[i].len);
				if (covers)
					want[pos] = data[pos];
			} else
				conflicted = true;
		}
		/* some copy of the byte conflicted, one way or the other */
		assert_true(conflicted);
		for (c = 0; c < sizeof(pl) && present[c]; c++)
			;
		assert_contig(o.s, want, c);
		one_free(&o);
	}
	/* both ways happened */
	assert_true(early >= 20);
	assert_true(late >= 20);
}

/*
 * A byte-per-byte model of stream_add, slow and plain, to compare with:
 * random offsets (before the start, inside, past the end), small and large
 * segments, some with a changed byte, and restarts.
 */
#define MODEL_SIZE	512

struct model {
	uint32_t	isn;
	uint8_t		held[MODEL_SIZE];
	bool		present[MODEL_SIZE];
};

static enum stream_status
model_add(struct model *m, uint32_t seq, const uint8_t *data, size_t len)
{
	bool next[MODEL_SIZE], cut = false, conflict = false;
	uint32_t d = seq - m->isn;
	int64_t off, o;
	size_t j, runs = 0;

	off = d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000LL;
	memcpy(next, m->present, sizeof(next));
	for (j = 0; j < len; j++) {
		o = off + (int64_t)j;
		if (o < 0)
			continue;
		if (o >= MODEL_SIZE) {
			cut = true;
			continue;
		}
		if (m->present[o] && m->held[o] != data[j])
			conflict = true;
		next[o] = true;
	}
	if (conflict)
		return STREAM_OVERLAP_CONFLICT;
	for (j = 0; j < MODEL_SIZE; j++)
		if (next[j] && (j == 0 || !next[j - 1]))
			runs++;
	if (runs > STREAM_MAX_RANGES)
		return STREAM_TOO_FRAGMENTED;
	for (j = 0; j < len; j++) {
		o = off + (int64_t)j;
		if (o >= 0 && o < MODEL_SIZE) {
			m->present[o] = true;
			m->held[o] = data[j];
		}
	}
	return cut ? STREAM_FULL : STREAM_OK;
}

static void
test_model(void **state)
{
	static struct model m;
	uint8_t base[MODEL_SIZE + 300], seg[MODEL_SIZE + 300];
	size_t seen[STREAM_NOT_STARTED + 1];
	struct one o;
	uint64_t rs = 42;
	size_t iter, len, c, k;
	int64_t off;
	uint32_t seq;
	enum stream_status st;
	const uint8_t *p;

	(void)state;
	memset(seen, 0, sizeof(seen));
	fill_random(base, sizeof(base), 4242);
	one_new(&o, MODEL_SIZE, 0);
	for (iter = 0; iter < 200000; iter++) {
		if (iter % 400 == 0) {
			memset(&m, 0, sizeof(m));
			m.isn = iter % 800 == 0 ? (uint32_t)rnd(&rs) :
			    0u - (uint32_t)rnd_range(&rs, 0, 600);
			stream_start(o.s, m.isn);
		}
		off = (int64_t)rnd_range(&rs, 0, MODEL_SIZE + 100) - 64;
		/* one run in three only small: enough to fill the ranges */
		if ((iter / 400) % 3 == 0 || rnd(&rs) % 2)
			len = rnd_range(&rs, 0, 4);
		else
			len = rnd_range(&rs, 0, 200);
		/* the base bytes of that place (before 0: any), maybe one changed */
		for (k = 0; k < len; k++)
			seg[k] = off + (int64_t)k >= 0 ?
			    base[off + (int64_t)k] : (uint8_t)rnd(&rs);
		if (len > 0 && rnd(&rs) % 16 == 0)
			seg[rnd(&rs) % len] ^= 0x20;
		seq = m.isn + (uint32_t)off;
		st = model_add(&m, seq, seg, len);
		assert_int_equal(stream_add(o.s, seq, seg, len), st);
		seen[st]++;
		for (c = 0; c < MODEL_SIZE && m.present[c]; c++)
			;
		assert_int_equal(stream_contig(o.s, &p), c);
		if (c > 0)
			assert_memory_equal(p, m.held, c);
		assert_int_equal(stream_full(o.s), c == MODEL_SIZE);
	}
	one_free(&o);
	/* every outcome was met often (148943, 12347, 20035, 18675) */
	assert_true(seen[STREAM_OK] > 100000);
	assert_true(seen[STREAM_OVERLAP_CONFLICT] > 5000);
	assert_true(seen[STREAM_FULL] > 10000);
	assert_true(seen[STREAM_TOO_FRAGMENTED] > 10000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_gap_then_fill),
		cmocka_unit_test(test_identical_retransmission),
		cmocka_unit_test(test_conflicting_overlap),
		cmocka_unit_test(test_overlap_before_start),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_past_end),
		cmocka_unit_test(test_one_byte_segments),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_pool_limits),
		cmocka_unit_test(test_start_reset),
		cmocka_unit_test(test_too_many_holes),
		cmocka_unit_test(test_random_payload),
		cmocka_unit_test(test_random_corruption),
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
