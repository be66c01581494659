/*
 * bare_read.c - the reference for replay's speed in `make bench`: a bare
 * libpcap loop over the same capture that reads each frame's headers.
 * It decides nothing and keeps no state; it must never skip a frame.
 *
 *   bare_read FILE [RUNS]
 *
 * Each run opens FILE as replay does (microsecond stamps), reads every frame
 * with pcap_next_ex and, for Ethernet/IPv4/IPv6 frames, the addresses, the
 * protocol, the lengths, the TCP/UDP ports and TCP flags, each read checked
 * against the captured length; it sums them so that the compiler cannot drop
 * the reads.  The clock runs from the first pcap_next_ex to the last, as in
 * replay.  Prints per run "packets=N elapsed=Xs pps=X sum=X", then
 * "median_pps=X" over RUNS (default 3) runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcap/pcap.h>

#define MAX_RUNS	20

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t
be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The sum of one frame's header fields; 0 for what is not Ethernet + IP. */
static uint64_t
touch(const uint8_t *d, size_t len)
{
	uint64_t s = 0;
	size_t off = 14, ihl, i;
	uint32_t type, proto;

	if (len < off)
		return 0;
	type = be16(d + 12);
	if (type == 0x0800) {
		if (len - off < 20 || (d[off] >> 4) != 4)
			return 0;
		ihl = (size_t)(d[off] & 15) * 4;
		if (ihl < 20 || len - off < ihl)
			return 0;
		proto = d[off + 9];
		s += be16(d + off + 2) + proto + be32(d + off + 12) + be32(d + off + 16);
		off += ihl;
	} else if (type == 0x86dd) {
		if (len - off < 40 || (d[off] >> 4) != 6)
			return 0;
		proto = d[off + 6];
		s += be16(d + off + 4) + proto;
		for (i = 8; i < 40; i += 4)
			s += be32(d + off + i);
		off += 40;
	} else {
		return 0;
	}
	if ((proto == 6 || proto == 17) && len - off >= 4)
		s += be16(d + off) + be16(d + off + 2);
	if (proto == 6 && len - off >= 14)
		s += d[off + 13];
	return s;
}

static int
run(const char *file, double *pps)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t n = 0, sum = 0;
	double t0, el;
	pcap_t *pc;
	int rc;

	pc = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "bare_read: %s: %s\n", file, errbuf);
		return -1;
	}
	t0 = now_s();
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		n++;
		sum += touch(data, h->caplen) + (uint64_t)h->ts.tv_usec;
	}
	el = now_s() - t0;
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bare_read: %s: %s\n", file, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);
	*pps = el > 0 ? (double)n / el : 0;
	printf("packets=%llu elapsed=%.3fs pps=%.0f sum=%llu\n", (unsigned long long)n,
	    el, *pps, (unsigned long long)sum);
	return 0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	double pps[MAX_RUNS];
	int runs = argc > 2 ? atoi(argv[2]) : 3, i;

	if (argc < 2 || argc > 3 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bare_read FILE [RUNS (1-%d)]\n", MAX_RUNS);
		return 2;
	}
	for (i = 0; i < runs; i++)
		if (run(argv[1], &pps[i]) == -1)
			return 1;
	qsort(pps, (size_t)runs, sizeof(pps[0]), cmp_d);
	printf("median_pps=%.0f\n", pps[runs / 2]);
	return 0;
}
