/*
 * test_capread.c - the capture reader against libpcap itself: the same
 * frames, stamps and errors for every file, and bytes that stay valid
 * until the reader asks for a flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "capread.h"

#define NBIG	6000	/* frames of up to 1,500 bytes: several blocks */

struct cap {
	int		swapped, nano;
	uint32_t	link, snap;
	int		nframes;
	long		cut;		/* bytes taken off the end */
	int		long_frame;	/* this frame is 64 bytes over snap, -1 none */
};

static char dir[64];

static void
put32(FILE *fp, uint32_t v, int swapped)
{
	if (swapped)
		v = __builtin_bswap32(v);
	assert_int_equal(fwrite(&v, 4, 1, fp), 1);
}

static uint32_t
frame_len(int i)
{
	return 40 + (uint32_t)(i * 7919) % 1461;
}

/* A pcap file whose frame i has frame_len(i) bytes of (i + j) & 0xff. */
static void
write_cap(const char *path, const struct cap *c)
{
	FILE *fp = fopen(path, "wb");
	uint8_t b[2048];
	uint32_t n, j;
	long size;
	int i;

	assert_non_null(fp);
	put32(fp, c->nano ? 0xa1b23c4d : 0xa1b2c3d4, c->swapped);
	put32(fp, c->swapped ? 0x04000200 : 0x00040002, 0);	/* 2.4 */
	put32(fp, 0, 0);
	put32(fp, 0, 0);
	put32(fp, c->snap, c->swapped);
	put32(fp, c->link, c->swapped);
	for (i = 0; i < c->nframes; i++) {
		n = frame_len(i);
		if (i == c->long_frame)
			n = c->snap + 64;
		if (n > c->snap && i != c->long_frame)
			n = c->snap;
		for (j = 0; j < n; j++)
			b[j] = (uint8_t)(i + j);
		put32(fp, 1700000000u + (uint32_t)i, c->swapped);
		put32(fp, c->nano ? 999999999u - (uint32_t)i * 3 : (uint32_t)i * 3,
		    c->swapped);
		put32(fp, n, c->swapped);
		put32(fp, n + 4, c->swapped);
		assert_int_equal(fwrite(b, 1, n, fp), n);
	}
	size = ftell(fp);
	assert_int_equal(fclose(fp), 0);
	if (c->cut > 0)
		assert_int_equal(truncate(path, size - c->cut), 0);
}

struct held {
	const uint8_t	*data;
	uint32_t	caplen;
	uint8_t		first;
};

/*
 * Read path with capread and with pcap_next_ex side by side: every frame
 * the same, the same end or error; every frame returned since the last
 * flush still intact at the flush.  Returns capread's last code.
 */
static int
same_as_libpcap(const char *path, int *blocks, int *flushes)
{
	char err[PCAP_ERRBUF_SIZE], perr[PCAP_ERRBUF_SIZE];
	static struct held held[NBIG];
	struct pcap_pkthdr h, *ph;
	const uint8_t *data;
	const u_char *pd;
	struct capread *c;
	pcap_t *pc;
	int rc, prc, nh = 0, i;

	c = capread_open(path, err, sizeof(err));
	assert_non_null(c);
	pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_MICRO, perr);
	assert_non_null(pc);
	*blocks = capread_blocks(c);
	*flushes = 0;
	for (;;) {
		rc = capread_next(c, &h, &data);
		if (rc == CAPREAD_FLUSH) {
			for (i = 0; i < nh; i++)
				assert_int_equal(held[i].data[0], held[i].first);
			nh = 0;
			(*flushes)++;
			continue;
		}
		prc = pcap_next_ex(pc, &ph, &pd);
		if (rc != 1) {
			assert_int_equal(prc, rc == CAPREAD_END ? PCAP_ERROR_BREAK :
			    PCAP_ERROR);
			if (rc == CAPREAD_ERROR)
				assert_string_equal(capread_error(c), pcap_geterr(pc));
			break;
		}
		assert_int_equal(prc, 1);
		assert_int_equal(h.caplen, ph->caplen);
		assert_int_equal(h.len, ph->len);
		assert_int_equal(h.ts.tv_sec, ph->ts.tv_sec);
		assert_int_equal(h.ts.tv_usec, ph->ts.tv_usec);
		assert_memory_equal(data, pd, h.caplen);
		assert_true(nh < NBIG);
		held[nh].data = data;
		held[nh].caplen = h.caplen;
		held[nh].first = data[0];
		nh++;
	}
	capread_close(c);
	pcap_close(pc);
	return rc;
}

static int
check(const struct cap *cap, int *blocks, int *flushes)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/t.pcap", dir);
	write_cap(path, cap);
	return same_as_libpcap(path, blocks, flushes);
}

/* Frames in order across several blocks, in all four plain formats. */
static void
test_plain_formats(void **state)
{
	struct cap cap = { .link = 1, .snap = 65535, .nframes = NBIG,
	    .long_frame = -1 };
	int blocks, flushes, v;

	(void)state;
	for (v = 0; v < 4; v++) {
		cap.swapped = v & 1;
		cap.nano = v >> 1;
		assert_int_equal(check(&cap, &blocks, &flushes), CAPREAD_END);
		assert_int_equal(blocks, 1);
		assert_true(flushes >= 3);	/* more than one block */
		assert_true(flushes < 20);	/* not one a frame */
	}
}

/* The last frames, a file that ends with its file header, one frame. */
static void
test_last_frames(void **state)
{
	struct cap cap = { .link = 101, .snap = 262144, .long_frame = -1 };
	int blocks, flushes, n;
	static const int counts[] = { 0, 1, 2, 717, 718, 719 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		n = counts[i];
		cap.nframes = n;
		assert_int_equal(check(&cap, &blocks, &flushes), CAPREAD_END);
		assert_int_equal(blocks, 1);
	}
}

/*
 * Cut mid-record (in a header, in the bytes) and cut in the file header:
 * the frames before it, then libpcap's own error.
 */
static void
test_truncated(void **state)
{
	struct cap cap = { .link = 1, .snap = 65535, .nframes = 3000,
	    .long_frame = -1 };
	static const long cuts[] = { 1, 10, 17, 100 };
	int blocks, flushes;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		cap.cut = cuts[i];
		assert_int_equal(check(&cap, &blocks, &flushes), CAPREAD_ERROR);
		assert_int_equal(blocks, 1);
	}
}

/* A record longer than the snapshot length is libpcap's to judge. */
static void
test_record_over_snap(void **state)
{
	struct cap cap = { .link = 1, .snap = 1000, .nframes = 2000,
	    .long_frame = 1500 };
	int blocks, flushes;

	(void)state;
	check(&cap, &blocks, &flushes);		/* whatever libpcap says */
	assert_int_equal(blocks, 1);
	cap.long_frame = 0;
	check(&cap, &blocks, &flushes);
}

/* A link type libpcap may rewrite: libpcap reads, a flush between frames. */
static void
test_libpcap_reads(void **state)
{
	struct cap cap = { .link = 113, .snap = 65535, .nframes = 50,
	    .long_frame = -1 };
	int blocks, flushes;

	(void)state;
	assert_int_equal(check(&cap, &blocks, &flushes), CAPREAD_END);
	assert_int_equal(blocks, 0);
	assert_int_equal(flushes, 50);
	cap.cut = 5;
	assert_int_equal(check(&cap, &blocks, &flushes), CAPREAD_ERROR);
}

/* What libpcap cannot open: its message, no reader. */
static void
test_open_errors(void **state)
{
	char err[PCAP_ERRBUF_SIZE + 64], path[128];
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/none.pcap", dir);
	err[0] = '\0';
	assert_null(capread_open(path, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
	snprintf(path, sizeof(path), "%s/junk.pcap", dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("this is not a capture file at all\n", fp);
	fclose(fp);
	err[0] = '\0';
	assert_null(capread_open(path, err, sizeof(err)));
	assert_true(err[0] != '\0');
	capread_close(NULL);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_capread.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/t.pcap", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/junk.pcap", dir);
	unlink(path);
	return rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_formats),
		cmocka_unit_test(test_last_frames),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_record_over_snap),
		cmocka_unit_test(test_libpcap_reads),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
