/*
 * parse_cost.c - what the dissectors and a Lua check cost, measured here:
 * a 512-byte TLS ClientHello (SNI, ALPN, supported_versions, padding), a DNS
 * response (a CNAME and two A records, compressed), an HTTP request head,
 * a call of checks.sni_matches_host through check_run, and the DNS table:
 * learning that response, a lookup in an empty table and in one holding
 * 100,000 names, and its bytes an entry.  Prints one line each: the median
 * of 7 runs, each of N calls.  Run from the top of the tree (it loads
 * lua/checks.lua).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dns.h"
#include "dnscache.h"
#include "http.h"
#include "inspect.h"
#include "policy.h"
#include "tls.h"

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static size_t
put16(uint8_t *b, size_t o, unsigned v)
{
	b[o] = (uint8_t)(v >> 8);
	b[o + 1] = (uint8_t)v;
	return o + 2;
}

/* A ClientHello record of about 512 bytes. */
static size_t
make_hello(uint8_t *b)
{
	static const char sni[] = "api.example.com";
	static const uint8_t alpn[] = { 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
	size_t o = 0, hs, ext, e;
	int i;

	b[o++] = 22;
	o = put16(b, o, 0x0301);
	o += 2;				/* record length, below */
	hs = o;
	b[o++] = 1;
	o += 3;				/* handshake length, below */
	o = put16(b, o, 0x0303);
	memset(b + o, 0x42, 32);
	o += 32;
	b[o++] = 32;
	memset(b + o, 0x17, 32);
	o += 32;
	o = put16(b, o, 32);
	for (i = 0; i < 16; i++)
		o = put16(b, o, 0x1301 + (unsigned)i);
	b[o++] = 1;
	b[o++] = 0;
	ext = o;
	o += 2;
	/* server_name */
	o = put16(b, o, 0);
	o = put16(b, o, (unsigned)(sizeof(sni) - 1 + 5));
	o = put16(b, o, (unsigned)(sizeof(sni) - 1 + 3));
	b[o++] = 0;
	o = put16(b, o, (unsigned)(sizeof(sni) - 1));
	memcpy(b + o, sni, sizeof(sni) - 1);
	o += sizeof(sni) - 1;
	/* alpn */
	o = put16(b, o, 16);
	o = put16(b, o, (unsigned)sizeof(alpn) + 2);
	o = put16(b, o, (unsigned)sizeof(alpn));
	memcpy(b + o, alpn, sizeof(alpn));
	o += sizeof(alpn);
	/* supported_versions */
	o = put16(b, o, 43);
	o = put16(b, o, 5);
	b[o++] = 4;
	o = put16(b, o, 0x0304);
	o = put16(b, o, 0x0303);
	/* padding up to 512 bytes in all */
	e = 512 - (o + 4);
	o = put16(b, o, 21);
	o = put16(b, o, (unsigned)e);
	memset(b + o, 0, e);
	o += e;
	put16(b, ext, (unsigned)(o - ext - 2));
	b[hs + 1] = 0;
	put16(b, hs + 2, (unsigned)(o - hs - 4));
	put16(b, 3, (unsigned)(o - 5));
	return o;
}

static const uint8_t dns_resp[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0, 1, 0, 1,
	0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, 'c', 'd', 'n', 0xc0, 0x10,
	0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0, 0x3c, 0, 4, 198, 51, 100, 10,
	0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0, 0x3c, 0, 4, 198, 51, 100, 11,
};

static const char http_head[] =
    "GET /v1/items?limit=10 HTTP/1.1\r\nHost: api.example.com\r\n"
    "User-Agent: curl/8.5.0\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n";

static const char policy_src[] =
    "return { egress = { { name = \"web\", proto = \"tcp\", port = 443,\n"
    "  to = \"198.51.100.0/24\", host = { \"*.example.com\", \"**.cdn.net\" },\n"
    "  check = \"checks.sni_matches_host\" } } }\n";

#define RUNS	7

static void report(const char *, double *, const char *, double);

static bool
any_name(void *arg, const char *name)
{
	(void)arg;
	(void)name;
	return true;
}

/* One lookup pass of the address of www.example.com for subject 1, n times. */
static double
lookups(struct dnscache *c, long n, uint64_t now)
{
	struct addr a;
	double t0;
	long i;

	addr_parse(&a, "198.51.100.10");
	t0 = now_ns();
	for (i = 0; i < n; i++)
		if (dnscache_lookup(c, 1, &a, now, any_name, NULL, NULL) != DNSCACHE_LIVE)
			return -1;
	return (now_ns() - t0) / (double)n;
}

static int
dns_table(long n)
{
	static struct dns_msg m, other;
	struct dnscache_opts o = { .max_entries = 131072, .min_ttl = 5, .max_ttl = 300, .grace = 30 };
	struct dnscache_stats st;
	struct dnscache *c;
	const char *why;
	double t[RUNS], t_empty[RUNS], t_full[RUNS], t0;
	uint64_t now = 1000000;
	char name[64];
	long i;
	int run;

	if (dns_parse(dns_resp, sizeof(dns_resp), &m) != DNS_OK ||
	    (c = dnscache_new(&o)) == NULL)
		return 1;
	for (run = 0; run < RUNS; run++) {
		t0 = now_ns();
		for (i = 0; i < n; i++)
			if (dnscache_learn(c, 1, &m, now, &why) < 1)
				return 1;
		t[run] = (now_ns() - t0) / (double)n;
	}
	report("dns table: learn a response", t, "ns", 1);
	for (run = 0; run < RUNS; run++)
		if ((t_empty[run] = lookups(c, n, now)) < 0)
			return 1;
	report("dns table: lookup, 2 entries", t_empty, "ns", 1);
	/* 100,000 other names, for other subjects and addresses */
	other = m;
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "host%ld.example.net", i);
		snprintf(other.qname, sizeof(other.qname), "%s", name);
		snprintf(other.an[0].name, sizeof(other.an[0].name), "%s", name);
		other.an[0].cname[0] = '\0';
		other.an[0].type = DNS_T_A;
		other.an[0].addr[0] = 10;
		other.an[0].addr[1] = (uint8_t)(i >> 16);
		other.an[0].addr[2] = (uint8_t)(i >> 8);
		other.an[0].addr[3] = (uint8_t)i;
		other.nanswers = 1;
		if (dnscache_learn(c, (uint64_t)i + 2, &other, now, &why) < 1)
			return 1;
	}
	for (run = 0; run < RUNS; run++)
		if ((t_full[run] = lookups(c, n, now)) < 0)
			return 1;
	report("dns table: lookup, 100,002", t_full, "ns", 1);
	qsort(t_empty, RUNS, sizeof(double), cmp_d);
	qsort(t_full, RUNS, sizeof(double), cmp_d);
	dnscache_get_stats(c, &st);
	printf("%-28s %.2fx (100,002 entries vs 2; target <= 1.2x), %zu bytes an "
	    "entry (%zu entries, %zu bytes)\n", "dns table: lookup cost",
	    t_full[RUNS / 2] / t_empty[RUNS / 2], st.bytes / st.capacity,
	    st.entries, st.bytes);
	dnscache_free(c);
	return 0;
}

static void
report(const char *what, double *t, const char *unit, double scale)
{
	qsort(t, RUNS, sizeof(*t), cmp_d);
	printf("%-28s median %8.1f %s  (min %.1f, max %.1f)\n", what, t[RUNS / 2] / scale,
	    unit, t[0] / scale, t[RUNS - 1] / scale);
}

int
main(int argc, char **argv)
{
	static struct tls_hello h;
	static struct dns_msg m;
	static struct http_req r;
	uint8_t hello[600];
	size_t hlen = make_hello(hello), i;
	long n = argc > 1 ? atol(argv[1]) : 200000;
	double t[RUNS], t0;
	struct policy *pol = NULL;
	struct inspect_info fi;
	struct check_result cr;
	struct flow f;
	char path[] = "/tmp/og-parse-cost-XXXXXX", err[512];
	FILE *fp;
	int fd, run;

	if (n < 1000)
		n = 1000;
	if (tls_client_hello(hello, hlen, &h) != TLS_OK ||
	    dns_parse(dns_resp, sizeof(dns_resp), &m) != DNS_OK ||
	    http_request_head((const uint8_t *)http_head, strlen(http_head), false, &r) != HTTP_OK) {
		fprintf(stderr, "parse_cost: a sample does not parse\n");
		return 1;
	}
	for (run = 0; run < RUNS; run++) {
		t0 = now_ns();
		for (i = 0; i < (size_t)n; i++)
			(void)tls_client_hello(hello, hlen, &h);
		t[run] = (now_ns() - t0) / (double)n;
	}
	report("tls ClientHello, 512 B", t, "ns", 1);
	for (run = 0; run < RUNS; run++) {
		t0 = now_ns();
		for (i = 0; i < (size_t)n; i++)
			(void)dns_parse(dns_resp, sizeof(dns_resp), &m);
		t[run] = (now_ns() - t0) / (double)n;
	}
	report("dns response, 3 answers", t, "ns", 1);
	for (run = 0; run < RUNS; run++) {
		t0 = now_ns();
		for (i = 0; i < (size_t)n; i++)
			(void)http_request_head((const uint8_t *)http_head,
			    strlen(http_head), false, &r);
		t[run] = (now_ns() - t0) / (double)n;
	}
	report("http request head, 5 lines", t, "ns", 1);

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return 1;
	fputs(policy_src, fp);
	fclose(fp);
	if (policy_load(&pol, path, "lua", err, sizeof(err)) == -1) {
		fprintf(stderr, "parse_cost: %s\n", err);
		unlink(path);
		return 1;
	}
	unlink(path);
	memset(&f, 0, sizeof(f));
	addr_parse(&f.key.src, "10.1.0.5");
	addr_parse(&f.key.dst, "198.51.100.10");
	f.key.proto = 6;
	f.key.sport = 40000;
	f.key.dport = 443;
	memset(&fi, 0, sizeof(fi));
	fi.proto = INSPECT_TLS;
	fi.tls = true;
	strcpy(fi.sni, "api.example.com");
	strcpy(fi.alpn, "h2,http/1.1");
	for (run = 0; run < RUNS; run++) {
		t0 = now_ns();
		for (i = 0; i < (size_t)n / 10; i++)
			if (check_run(pol, false, 0, &f, &fi, "out", &cr) == -1 ||
			    cr.verdict != 0) {
				fprintf(stderr, "parse_cost: the check failed: %s\n", cr.error);
				return 1;
			}
		t[run] = (now_ns() - t0) / (double)(n / 10);
	}
	report("lua check sni_matches_host", t, "us", 1000);
	policy_free(pol);
	return dns_table(n);
}
