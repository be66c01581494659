/*
 * policy_cost.c - what deciding a new flow costs as the policy grows, for
 * `make bench`: 10, 100, 1,000 and 10,000 egress rules.  It only measures;
 * it never judges the figures (table.sh compares them with the target).
 *
 *   policy_cost [RULES...]        (default 10 100 1000 10000)
 *
 * Each policy is RULES-1 address/port rules that do not match (ports 80,
 * 443, 8080 and 22 in turn, each to its own 198.18.0.0/15 address) and, last,
 * the rule that does (tcp 443 to 10.77.0.1): the order a policy grows in, new
 * rules above the catch-all.  Two figures per size, each the median of 7
 * runs: policy_match alone for one flow key, and engine_decide for the SYN
 * of a new flow (decode, flow lookup and creation, the match; a distinct
 * source port and address each time).  Prints one line per size:
 * "rules=N match_ns=X decide_ns=X".  Run from the top of the tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "pkt.h"
#include "policy.h"

#define RUNS		7
#define MAX_SIZES	16

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_d);
	return v[RUNS / 2];
}

/* Write the policy of n rules to a temporary file and load it. */
static struct policy *
make_policy(long n)
{
	static const int ports[] = { 80, 443, 8080, 22 };
	char path[] = "/tmp/og-policy-cost-XXXXXX", err[512];
	struct policy *pol = NULL;
	FILE *fp;
	long i;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		perror("policy_cost: temporary file");
		return NULL;
	}
	fputs("return {\n  local_nets = { \"10.1.0.0/16\" },\n  egress = {\n", fp);
	for (i = 0; i < n - 1; i++)
		fprintf(fp, "    { proto = \"tcp\", port = %d, to = \"198.%ld.%ld.%ld\" },\n",
		    ports[i % 4], 18 + ((i >> 16) & 1), (i >> 8) & 0xff, i & 0xff);
	fputs("    { name = \"bench\", proto = \"tcp\", port = 443, to = \"10.77.0.1\" },\n"
	    "  },\n}\n", fp);
	fclose(fp);
	if (policy_load(&pol, path, "lua", err, sizeof(err)) == -1) {
		fprintf(stderr, "policy_cost: %s\n", err);
		pol = NULL;
	}
	unlink(path);
	return pol;
}

/* A 40-byte IPv4 TCP SYN from 10.1.X.5:port to 10.77.0.1:443, distinct for i < 2^22. */
static void
make_syn(uint8_t *b, long i)
{
	static const uint8_t tmpl[40] = {
		0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0,
		10, 1, 0, 5, 10, 77, 0, 1,
		0, 0, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};

	memcpy(b, tmpl, sizeof(tmpl));
	b[14] = (uint8_t)(i >> 14);		/* 10.1.X.5: 256 sources */
	b[20] = (uint8_t)((1024 + (i & 0x3fff)) >> 8);
	b[21] = (uint8_t)(1024 + (i & 0x3fff));
}

static int
measure(long rules, double *match_ns, double *decide_ns)
{
	struct policy *pol = make_policy(rules);
	double tm[RUNS], td[RUNS], t0;
	struct flow_key k;
	struct engine_opts o;
	struct decision d;
	struct engine *e;
	struct pkt p;
	uint8_t syn[40];
	long n, i;
	int run, sum = 0;

	if (pol == NULL)
		return -1;
	/*
	 * The same number of calls (and flows in the engine's table) at every
	 * size: a table 100 times larger at 10 rules would be colder, and the
	 * rows would not compare like with like.
	 */
	n = 20000;
	memset(&k, 0, sizeof(k));
	addr_parse(&k.src, "10.1.0.5");
	addr_parse(&k.dst, "10.77.0.1");
	k.proto = 6;
	k.sport = 40000;
	k.dport = 443;
	if (policy_match(pol, false, &k, NULL) != (int)rules - 1) {
		fprintf(stderr, "policy_cost: the last rule does not match\n");
		policy_free(pol);
		return -1;
	}
	for (run = 0; run < RUNS; run++) {
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			k.sport = (uint16_t)(1024 + (i & 0x3fff));
			sum += policy_match(pol, false, &k, NULL);
		}
		tm[run] = (now_ns() - t0) / (double)n;
	}
	memset(&o, 0, sizeof(o));
	o.flow_capacity = (size_t)n + 64;
	o.mode = -1;
	for (run = 0; run < RUNS; run++) {
		if ((e = engine_new(pol, &o)) == NULL) {
			fprintf(stderr, "policy_cost: engine_new failed\n");
			policy_free(pol);
			return -1;
		}
		t0 = now_ns();
		for (i = 0; i < n; i++) {
			make_syn(syn, i);
			pkt_decode(&p, PKT_LINK_IP, syn, sizeof(syn), sizeof(syn));
			engine_decide(e, &p, ENGINE_HINT_OUT, 1000000 + (uint64_t)i, &d);
			if (d.verdict != VERDICT_ACCEPT || !d.new_flow) {
				fprintf(stderr, "policy_cost: flow %ld: verdict %s, reason %s\n", i,
				    engine_verdict_name(d.verdict), engine_reason_name(d.reason));
				engine_free(e);
				policy_free(pol);
				return -1;
			}
		}
		td[run] = (now_ns() - t0) / (double)n;
		engine_free(e);
	}
	policy_free(pol);
	*match_ns = median(tm);
	*decide_ns = median(td);
	return sum == -1 ? -1 : 0;	/* sum: the matches are not optimised away */
}

int
main(int argc, char **argv)
{
	static const long defaults[] = { 10, 100, 1000, 10000 };
	long sizes[MAX_SIZES];
	double m, d;
	int i, n = 0;

	if (argc > MAX_SIZES + 1) {
		fprintf(stderr, "usage: policy_cost [RULES...] (at most %d sizes)\n", MAX_SIZES);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		sizes[n] = atol(argv[i]);
		if (sizes[n] < 1 || sizes[n] > 100000) {
			fprintf(stderr, "policy_cost: RULES is 1 to 100000\n");
			return 2;
		}
		n++;
	}
	if (n == 0)
		for (n = 0; n < 4; n++)
			sizes[n] = defaults[n];
	for (i = 0; i < n; i++) {
		if (measure(sizes[i], &m, &d) == -1)
			return 1;
		printf("rules=%ld match_ns=%.1f decide_ns=%.1f\n", sizes[i], m, d);
		fflush(stdout);
	}
	return 0;
}
