/*
 * flow_mem.c - bytes per flow in the flow table (gw/flow.h) for `make bench`:
 * resident memory of a table holding N distinct flows, divided by N.
 *
 *   flow_mem [N]        (default 1000000)
 *
 * Reads /proc/self/statm before flow_table_new(N) and after N flow_create
 * calls with distinct keys (IPv4 TCP, as the daemon holds most), and prints
 * "flows=N rss_before_kib=X rss_after_kib=X bytes_per_flow=X
 * sizeof_flow=X": the table allocates all its slots at start, so the bytes
 * per flow are the slots and the hash buckets, touched.  It must never
 * count memory the table did not take: nothing else is allocated between the
 * two readings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "flow.h"

static long
rss_bytes(void)
{
	long size, resident;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(fp);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000, i, before, after;
	struct flow_table *t;
	struct flow_key k = { 0 };
	struct flow_stats st;
	uint8_t src[4] = { 10, 0, 0, 0 }, dst[4] = { 198, 51, 100, 10 };

	if (argc > 2 || n < 1 || n > (1L << 26)) {
		fprintf(stderr, "usage: flow_mem [N (1 to 2^26)]\n");
		return 2;
	}
	if ((before = rss_bytes()) < 0) {
		perror("flow_mem: /proc/self/statm");
		return 1;
	}
	if ((t = flow_table_new_seeded((size_t)n, 42)) == NULL) {
		fprintf(stderr, "flow_mem: flow_table_new(%ld) failed\n", n);
		return 1;
	}
	addr_set4(&k.dst, dst);
	k.proto = 6;
	k.dport = 443;
	for (i = 0; i < n; i++) {
		/* distinct: 10.x.y.z source, ports 1024-65535 */
		src[1] = (uint8_t)(i >> 24);
		src[2] = (uint8_t)(i >> 16);
		src[3] = (uint8_t)(i >> 8);
		addr_set4(&k.src, src);
		k.sport = (uint16_t)(1024 + (i & 0xff));
		if (flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND,
		    1000000 + (uint64_t)i) == NULL) {
			fprintf(stderr, "flow_mem: flow_create %ld of %ld failed\n", i + 1, n);
			flow_table_free(t);
			return 1;
		}
	}
	after = rss_bytes();
	flow_get_stats(t, &st);
	printf("flows=%zu rss_before_kib=%ld rss_after_kib=%ld bytes_per_flow=%.1f "
	    "sizeof_flow=%zu\n", st.active, before / 1024, after / 1024,
	    (double)(after - before) / (double)n, sizeof(struct flow));
	flow_table_free(t);
	return st.active == (size_t)n ? 0 : 1;
}
