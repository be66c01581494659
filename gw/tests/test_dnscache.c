/*
 * test_dnscache.c - unit tests of the DNS provenance cache: what an answer
 * teaches, per subject, with TTLs, holds and grace, and the eviction order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dnscache.h"

#define SEC	1000000ULL
#define T0	(1000 * SEC)	/* an arbitrary start of the packet clock */

/* One dns_msg is 34 KiB: keep it off the stack. */
static struct dns_msg	dm;

static struct addr
ip(const char *s)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(addr_parse(&a, s), 0);
	return a;
}

static struct dnscache *
cache(size_t cap, uint32_t min_ttl, uint32_t max_ttl, uint32_t grace)
{
	struct dnscache_opts o;
	struct dnscache *c;

	memset(&o, 0, sizeof(o));
	o.max_entries = cap;
	o.min_ttl = min_ttl;
	o.max_ttl = max_ttl;
	o.grace = grace;
	c = dnscache_new(&o);
	assert_non_null(c);
	return c;
}

/* A NOERROR response to "qname IN qtype", without answers yet. */
static void
resp(const char *qname, uint16_t qtype)
{
	memset(&dm, 0, sizeof(dm));
	dm.id = 0x1234;
	dm.response = true;
	dm.qdcount = 1;
	dm.has_question = true;
	snprintf(dm.qname, sizeof(dm.qname), "%s", qname);
	dm.qtype = qtype;
	dm.qclass = DNS_C_IN;
}

static struct dns_answer *
add_rr(const char *owner, uint16_t type, uint32_t ttl)
{
	struct dns_answer *an;

	assert_true(dm.nanswers < DNS_MAX_ANSWERS);
	an = &dm.an[dm.nanswers++];
	dm.ancount++;
	memset(an, 0, sizeof(*an));
	snprintf(an->name, sizeof(an->name), "%s", owner);
	an->type = type;
	an->ttl = ttl;
	return an;
}

/* An A or AAAA record, after the address's family. */
static void
add_addr(const char *owner, const char *addr, uint32_t ttl)
{
	struct addr a = ip(addr);
	struct dns_answer *an;

	an = add_rr(owner, a.family == 4 ? DNS_T_A : DNS_T_AAAA, ttl);
	memcpy(an->addr, a.b, a.family == 4 ? 4 : 16);
}

static void
add_cname(const char *owner, const char *target, uint32_t ttl)
{
	struct dns_answer *an = add_rr(owner, DNS_T_CNAME, ttl);

	snprintf(an->cname, sizeof(an->cname), "%s", target);
}

static int
learn(struct dnscache *c, uint64_t subj, uint64_t now)
{
	const char *why = "untouched";
	int n;

	n = dnscache_learn(c, subj, &dm, now, &why);
	if (n >= 0)
		assert_string_equal(why, "untouched");
	return n;
}

/* Learning must fail, with this reason. */
static void
refused(struct dnscache *c, const char *reason)
{
	const char *why = NULL;

	assert_int_equal(dnscache_learn(c, 1, &dm, T0, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, reason);
}

/* Learn "name A addr" with ttl for subj at now; expect one entry learnt. */
static void
learn_a(struct dnscache *c, uint64_t subj, const char *name, const char *addr,
    uint32_t ttl, uint64_t now)
{
	resp(name, ip(addr).family == 4 ? DNS_T_A : DNS_T_AAAA);
	add_addr(name, addr, ttl);
	assert_int_equal(learn(c, subj, now), 1);
}

static enum dnscache_state
state(struct dnscache *c, uint64_t subj, const char *addr, uint64_t now)
{
	struct addr a = ip(addr);

	return dnscache_lookup(c, subj, &a, now, NULL, NULL, NULL);
}

/* The state, and the name that gave it ("" for none). */
static enum dnscache_state
state_name(struct dnscache *c, uint64_t subj, const char *addr, uint64_t now,
    dnscache_match_fn *match, void *arg, char *name, size_t len)
{
	struct addr a = ip(addr);
	enum dnscache_state s;
	const char *n = "garbage";

	s = dnscache_lookup(c, subj, &a, now, match, arg, &n);
	if (s == DNSCACHE_NONE)
		assert_null(n);
	else
		assert_non_null(n);
	snprintf(name, len, "%s", n != NULL ? n : "");
	return s;
}

static struct dnscache_stats
stats(const struct dnscache *c)
{
	struct dnscache_stats st;

	dnscache_get_stats(c, &st);
	return st;
}

static void
hold(struct dnscache *c, uint64_t subj, const char *addr)
{
	struct addr a = ip(addr);

	dnscache_hold(c, subj, &a);
}

static void
release(struct dnscache *c, uint64_t subj, const char *addr)
{
	struct addr a = ip(addr);

	dnscache_release(c, subj, &a);
}

/* match(): accepts the one name arg points at, and counts the offers. */
struct only {
	const char	*name;
	int		offers;
	char		seen[8][DNSCACHE_NAME_MAX + 1];
};

static bool
match_only(void *arg, const char *name)
{
	struct only *o = arg;

	if (o->offers < 8)
		snprintf(o->seen[o->offers], sizeof(o->seen[0]), "%s", name);
	o->offers++;
	return strcmp(name, o->name) == 0;
}

static bool
match_none(void *arg, const char *name)
{
	(void)name;
	(*(int *)arg)++;
	return false;
}

static void
test_new_opts(void **state_)
{
	struct dnscache_opts o;
	struct dnscache_stats st;
	struct dnscache *c;

	(void)state_;
	c = dnscache_new(NULL);
	assert_non_null(c);
	st = stats(c);
	assert_int_equal(st.capacity, DNSCACHE_DEFAULT_ENTRIES);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.name_chunks, DNSCACHE_DEFAULT_ENTRIES);
	assert_int_equal(st.name_chunks_free, DNSCACHE_DEFAULT_ENTRIES);
	/* defaults 5, 300, 30: TTL 1 lives 5 s, 1000 lives 300 s */
	learn_a(c, 1, "a.example", "192.0.2.1", 1, T0);
	learn_a(c, 1, "b.example", "192.0.2.2", 1000, T0);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 5 * SEC - 1), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 5 * SEC), DNSCACHE_EXPIRED);
	assert_int_equal(state(c, 1, "192.0.2.2", T0 + 300 * SEC - 1), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.2", T0 + 300 * SEC), DNSCACHE_EXPIRED);
	dnscache_free(c);

	memset(&o, 0, sizeof(o));
	o.min_ttl = 10;
	o.max_ttl = 5;
	assert_null(dnscache_new(&o));
	o.min_ttl = 0;
	o.max_ttl = 0;
	o.grace = 30;
	assert_null(dnscache_new(&o));
	memset(&o, 0, sizeof(o));
	o.max_entries = DNSCACHE_MAX_ENTRIES + 1;
	assert_null(dnscache_new(&o));

	/* the memory the header promises, at 100,000 entries too */
	o.max_entries = 100000;
	c = dnscache_new(&o);
	assert_non_null(c);
	st = stats(c);
	assert_int_equal(st.capacity, 100000);
	assert_true(st.bytes > 100000 * 90);
	assert_true(st.bytes < 100000 * 100);
	dnscache_free(c);

	/* a tiny cache still has room for one longest name */
	c = cache(1, 5, 300, 30);
	st = stats(c);
	assert_int_equal(st.capacity, 1);
	assert_int_equal(st.name_chunks, 10);
	dnscache_free(c);
	dnscache_free(NULL);
}

static void
test_plain_a(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);
	struct dnscache_stats st;
	char name[300];

	(void)state_;
	resp("WWW.Example.COM", DNS_T_A);
	add_addr("www.example.com", "192.0.2.1", 60);
	assert_int_equal(learn(c, 1, T0), 1);
	assert_int_equal(state_name(c, 1, "192.0.2.1", T0, NULL, NULL, name,
	    sizeof(name)), DNSCACHE_LIVE);
	assert_string_equal(name, "www.example.com");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 60 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state_name(c, 1, "192.0.2.1", T0 + 60 * SEC, NULL,
	    NULL, name, sizeof(name)), DNSCACHE_EXPIRED);
	assert_string_equal(name, "www.example.com");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 3600 * SEC),
	    DNSCACHE_EXPIRED);
	/* another address, the same address in IPv6 form: nothing */
	assert_int_equal(state(c, 1, "192.0.2.2", T0), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "::ffff:192.0.2.1", T0), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "c000:201::", T0), DNSCACHE_NONE);
	st = stats(c);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.learnt, 1);
	assert_int_equal(st.refreshed, 0);
	assert_int_equal(st.ignored, 0);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.name_chunks_free, st.name_chunks - 1);
	dnscache_free(c);
}

static void
test_ttl_clamps(void **state_)
{
	struct dnscache *c = cache(16, 0, 100, 30);
	struct dnscache *d = cache(16, 20, 100, 30);

	(void)state_;
	/* TTL 0 counts as 1 s when min_ttl is 0 */
	learn_a(c, 1, "zero.example", "192.0.2.1", 0, T0);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + SEC - 1), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + SEC), DNSCACHE_EXPIRED);
	/* max_ttl */
	learn_a(c, 1, "long.example", "192.0.2.2", 86400, T0);
	assert_int_equal(state(c, 1, "192.0.2.2", T0 + 100 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.2", T0 + 100 * SEC),
	    DNSCACHE_EXPIRED);
	/* a TTL with the top bit set is 0 (RFC 2181), not 2^31 s */
	learn_a(c, 1, "neg.example", "192.0.2.3", 0x80000000u, T0);
	assert_int_equal(state(c, 1, "192.0.2.3", T0 + SEC), DNSCACHE_EXPIRED);
	/* min_ttl */
	learn_a(d, 1, "short.example", "192.0.2.4", 3, T0);
	assert_int_equal(state(d, 1, "192.0.2.4", T0 + 20 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(d, 1, "192.0.2.4", T0 + 20 * SEC),
	    DNSCACHE_EXPIRED);
	learn_a(d, 1, "zero.example", "192.0.2.5", 0, T0);
	assert_int_equal(state(d, 1, "192.0.2.5", T0 + 19 * SEC),
	    DNSCACHE_LIVE);
	/* a packet clock between seconds: the expiry is rounded up */
	learn_a(c, 1, "half.example", "192.0.2.6", 10, T0 + SEC / 2);
	assert_int_equal(state(c, 1, "192.0.2.6", T0 + 11 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.6", T0 + 11 * SEC),
	    DNSCACHE_EXPIRED);
	dnscache_free(c);
	dnscache_free(d);
}

static void
test_subjects_apart(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);

	(void)state_;
	learn_a(c, 1, "one.example", "192.0.2.1", 60, T0);
	learn_a(c, 2, "two.example", "192.0.2.2", 60, T0);
	assert_int_equal(state(c, 1, "192.0.2.1", T0), DNSCACHE_LIVE);
	assert_int_equal(state(c, 2, "192.0.2.1", T0), DNSCACHE_NONE);
	assert_int_equal(state(c, 0, "192.0.2.1", T0), DNSCACHE_NONE);
	assert_int_equal(state(c, 2, "192.0.2.2", T0), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.2", T0), DNSCACHE_NONE);
	/* subjects differing in their high bits only */
	learn_a(c, 0, "host.example", "192.0.2.3", 60, T0);
	assert_int_equal(state(c, 0, "192.0.2.3", T0), DNSCACHE_LIVE);
	assert_int_equal(state(c, (uint64_t)1 << 63, "192.0.2.3", T0),
	    DNSCACHE_NONE);
	/* a hold of subject 2 gives subject 1 no grace */
	hold(c, 2, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 61 * SEC),
	    DNSCACHE_EXPIRED);
	assert_int_equal(stats(c).entries, 3);
	dnscache_free(c);
}

static void
test_cname_chain(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);
	struct only o;
	char name[300];

	(void)state_;
	resp("www.example.com", DNS_T_A);
	add_cname("www.example.com", "cdn.x.net", 300);
	add_addr("cdn.x.net", "198.51.100.7", 120);
	add_addr("cdn.x.net", "198.51.100.8", 60);
	assert_int_equal(learn(c, 1, T0), 2);
	assert_int_equal(state_name(c, 1, "198.51.100.7", T0, NULL, NULL, name,
	    sizeof(name)), DNSCACHE_LIVE);
	assert_string_equal(name, "www.example.com");
	assert_int_equal(state(c, 1, "198.51.100.7", T0 + 120 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "198.51.100.7", T0 + 120 * SEC),
	    DNSCACHE_EXPIRED);
	assert_int_equal(state(c, 1, "198.51.100.8", T0 + 60 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "198.51.100.8", T0 + 60 * SEC),
	    DNSCACHE_EXPIRED);
	/* the CNAME target is not learnt as a name */
	memset(&o, 0, sizeof(o));
	o.name = "cdn.x.net";
	assert_int_equal(dnscache_lookup(c, 1, &(struct addr){ 0 }, T0, NULL,
	    NULL, NULL), DNSCACHE_NONE);
	{
		struct addr a = ip("198.51.100.7");

		assert_int_equal(dnscache_lookup(c, 1, &a, T0, match_only, &o,
		    NULL), DNSCACHE_NONE);
		assert_int_equal(o.offers, 1);
		assert_string_equal(o.seen[0], "www.example.com");
	}

	/* the lowest TTL is a CNAME's; case and a trailing dot do not matter */
	resp("Api.Example.com.", DNS_T_A);
	add_cname("api.example.COM", "Edge.Y.NET.", 30);
	add_cname("edge.y.net", "node7.edge.y.net", 200);
	add_addr("NODE7.edge.y.net.", "203.0.113.9", 200);
	assert_int_equal(learn(c, 1, T0), 1);
	assert_int_equal(state_name(c, 1, "203.0.113.9", T0 + 30 * SEC - 1,
	    NULL, NULL, name, sizeof(name)), DNSCACHE_LIVE);
	assert_string_equal(name, "api.example.com");
	assert_int_equal(state(c, 1, "203.0.113.9", T0 + 30 * SEC),
	    DNSCACHE_EXPIRED);
	assert_int_equal(stats(c).entries, 3);
	dnscache_free(c);
}

/* A chain of n CNAMEs from q.example to an A record. */
static void
chain(int n)
{
	char owner[64], target[64];
	int i;

	resp("q.example", DNS_T_A);
	snprintf(owner, sizeof(owner), "q.example");
	for (i = 0; i < n; i++) {
		snprintf(target, sizeof(target), "c%d.example", i);
		add_cname(owner, target, 300);
		snprintf(owner, sizeof(owner), "%s", target);
	}
	add_addr(owner, "192.0.2.99", 300);
}

static void
test_chain_depth(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);

	(void)state_;
	chain(5);
	refused(c, "cname chain too deep");
	assert_int_equal(state(c, 1, "192.0.2.99", T0), DNSCACHE_NONE);
	chain(4);
	assert_int_equal(learn(c, 1, T0), 1);
	assert_int_equal(state(c, 1, "192.0.2.99", T0), DNSCACHE_LIVE);
	assert_int_equal(stats(c).ignored, 1);
	dnscache_free(c);
}

static void
test_cname_loop(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);

	(void)state_;
	resp("a.example", DNS_T_A);
	add_cname("a.example", "b.example", 300);
	add_cname("b.example", "A.example", 300);
	add_addr("a.example", "192.0.2.1", 300);
	refused(c, "cname loop");

	resp("self.example", DNS_T_A);
	add_cname("self.example", "self.example", 300);
	refused(c, "cname loop");

	resp("a.example", DNS_T_A);
	add_cname("a.example", "b.example", 300);
	add_cname("b.example", "a.example", 300);
	refused(c, "cname loop");

	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).ignored, 3);
	assert_int_equal(state(c, 1, "192.0.2.1", T0), DNSCACHE_NONE);
	dnscache_free(c);
}

static void
test_off_chain(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);

	(void)state_;
	/* an address of another name rides along */
	resp("www.example.com", DNS_T_A);
	add_addr("www.example.com", "192.0.2.1", 300);
	add_addr("bank.example", "192.0.2.66", 300);
	refused(c, "record off the cname chain");

	/* a CNAME that is not on the chain */
	resp("www.example.com", DNS_T_A);
	add_cname("other.example", "www.example.com", 300);
	add_addr("www.example.com", "192.0.2.1", 300);
	refused(c, "record off the cname chain");

	/* two CNAMEs for the question */
	resp("www.example.com", DNS_T_A);
	add_cname("www.example.com", "cdn.x.net", 300);
	add_cname("www.example.com", "evil.example", 300);
	add_addr("cdn.x.net", "192.0.2.1", 300);
	refused(c, "record off the cname chain");

	/* an address beside a CNAME, at the question name */
	resp("www.example.com", DNS_T_A);
	add_cname("www.example.com", "cdn.x.net", 300);
	add_addr("cdn.x.net", "192.0.2.1", 300);
	add_addr("www.example.com", "192.0.2.66", 300);
	refused(c, "record off the cname chain");

	/* an address at a name in the middle of the chain */
	resp("www.example.com", DNS_T_A);
	add_cname("www.example.com", "cdn.x.net", 300);
	add_cname("cdn.x.net", "edge.x.net", 300);
	add_addr("edge.x.net", "192.0.2.1", 300);
	add_addr("cdn.x.net", "192.0.2.66", 300);
	refused(c, "record off the cname chain");

	/* a name that only resembles the question */
	resp("www.example.com", DNS_T_A);
	add_addr("www.example.com.evil", "192.0.2.1", 300);
	refused(c, "record off the cname chain");

	/* a record type the parser never keeps */
	resp("www.example.com", DNS_T_A);
	add_rr("www.example.com", DNS_T_OPT, 300);
	refused(c, "record of an unexpected type");

	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).ignored, 7);
	assert_int_equal(state(c, 1, "192.0.2.1", T0), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "192.0.2.66", T0), DNSCACHE_NONE);
	dnscache_free(c);
}

/* ---- wire messages, for what only the parser can show ---- */

struct wire {
	uint8_t		b[512];
	size_t		n;
};

static void
w8(struct wire *w, unsigned v)
{
	assert_true(w->n < sizeof(w->b));
	w->b[w->n++] = (uint8_t)v;
}

static void
w16(struct wire *w, unsigned v)
{
	w8(w, v >> 8);
	w8(w, v & 0xff);
}

static void
wname(struct wire *w, const char *dotted)
{
	const char *p = dotted, *dot;
	size_t len;

	while (*p != '\0') {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		w8(w, (unsigned)len);
		while (len-- > 0)
			w8(w, (uint8_t)*p++);
		if (*p == '.')
			p++;
	}
	w8(w, 0);
}

static void
whead(struct wire *w, unsigned flags, unsigned an)
{
	w->n = 0;
	w16(w, 0x1234);
	w16(w, flags);
	w16(w, 1);
	w16(w, an);
	w16(w, 0);
	w16(w, 0);
}

static void
wrr(struct wire *w, const char *owner, unsigned type, unsigned cls,
    uint32_t ttl, const uint8_t *rd, size_t rdlen)
{
	size_t i;

	wname(w, owner);
	w16(w, type);
	w16(w, cls);
	w16(w, ttl >> 16);
	w16(w, ttl & 0xffff);
	w16(w, (unsigned)rdlen);
	for (i = 0; i < rdlen; i++)
		w8(w, rd[i]);
}

static void
test_other_class(void **state_)
{
	static const uint8_t a1[4] = { 192, 0, 2, 1 }, a2[4] = { 192, 0, 2, 2 };
	struct dnscache *c = cache(16, 5, 300, 30);
	struct wire w;

	(void)state_;
	/* a CHAOS-class A record beside an IN one: the parser skips it */
	whead(&w, 0x8180, 2);
	wname(&w, "www.example.com");
	w16(&w, DNS_T_A);
	w16(&w, DNS_C_IN);
	wrr(&w, "www.example.com", DNS_T_A, 3, 300, a2, 4);
	wrr(&w, "www.example.com", DNS_T_A, DNS_C_IN, 300, a1, 4);
	assert_int_equal(dns_parse(w.b, w.n, &dm), DNS_OK);
	assert_int_equal(dm.nanswers, 1);
	assert_int_equal(dm.skipped, 1);
	assert_int_equal(learn(c, 1, T0), 1);
	assert_int_equal(state(c, 1, "192.0.2.1", T0), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.2", T0), DNSCACHE_NONE);

	/* a question of class CHAOS */
	whead(&w, 0x8180, 1);
	wname(&w, "www.example.com");
	w16(&w, DNS_T_A);
	w16(&w, 3);
	wrr(&w, "www.example.com", DNS_T_A, DNS_C_IN, 300, a2, 4);
	assert_int_equal(dns_parse(w.b, w.n, &dm), DNS_OK);
	refused(c, "question class not IN");
	assert_int_equal(state(c, 1, "192.0.2.2", T0), DNSCACHE_NONE);

	/* a typical answer as a resolver sends it: CNAME and two A */
	whead(&w, 0x8180, 3);
	wname(&w, "Img.Example.org");
	w16(&w, DNS_T_A);
	w16(&w, DNS_C_IN);
	{
		static const uint8_t cn[] = { 3, 'c', 'd', 'n', 1, 'z',
		    3, 'n', 'e', 't', 0 };

		wrr(&w, "img.example.org", DNS_T_CNAME, DNS_C_IN, 3600, cn,
		    sizeof(cn));
	}
	wrr(&w, "cdn.z.net", DNS_T_A, DNS_C_IN, 20, a1, 4);
	wrr(&w, "cdn.z.net", DNS_T_A, DNS_C_IN, 20, a2, 4);
	assert_int_equal(dns_parse(w.b, w.n, &dm), DNS_OK);
	assert_int_equal(learn(c, 7, T0), 2);
	assert_int_equal(state(c, 7, "192.0.2.1", T0 + 20 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 7, "192.0.2.2", T0 + 20 * SEC),
	    DNSCACHE_EXPIRED);

	/* a message that did not parse whole */
	assert_int_equal(dns_parse(w.b, w.n - 1, &dm), DNS_TRUNCATED);
	refused(c, "message did not parse");
	dnscache_free(c);
}

static void
test_aaaa(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);
	char name[300];

	(void)state_;
	resp("v6.example", DNS_T_AAAA);
	add_cname("v6.example", "v6.cdn.example", 300);
	add_addr("v6.cdn.example", "2001:db8::1", 100);
	add_addr("v6.cdn.example", "2001:db8::2", 100);
	assert_int_equal(learn(c, 3, T0), 2);
	assert_int_equal(state_name(c, 3, "2001:db8::1", T0, NULL, NULL, name,
	    sizeof(name)), DNSCACHE_LIVE);
	assert_string_equal(name, "v6.example");
	assert_int_equal(state(c, 3, "2001:db8::2", T0 + 100 * SEC),
	    DNSCACHE_EXPIRED);
	assert_int_equal(state(c, 3, "2001:db8::3", T0), DNSCACHE_NONE);
	/* an IPv4 address whose bytes begin the IPv6 one */
	assert_int_equal(state(c, 3, "32.1.13.184", T0), DNSCACHE_NONE);

	/* an A record in an answer to AAAA, and the reverse */
	resp("v6.example", DNS_T_AAAA);
	add_addr("v6.example", "192.0.2.1", 100);
	refused(c, "address record of a type not asked");
	resp("v4.example", DNS_T_A);
	add_addr("v4.example", "2001:db8::9", 100);
	refused(c, "address record of a type not asked");
	assert_int_equal(stats(c).entries, 2);
	dnscache_free(c);
}

static void
test_several_names(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);
	struct addr a = ip("192.0.2.10");
	struct only o;
	const char *n;
	char name[300];
	int none = 0;

	(void)state_;
	learn_a(c, 1, "A.example", "192.0.2.10", 100, T0);
	learn_a(c, 1, "b.example", "192.0.2.10", 200, T0);
	learn_a(c, 1, "c.example", "192.0.2.10", 50, T0);
	assert_int_equal(stats(c).entries, 3);

	/* every name counts: the one that lives longest */
	assert_int_equal(state_name(c, 1, "192.0.2.10", T0, NULL, NULL, name,
	    sizeof(name)), DNSCACHE_LIVE);
	assert_string_equal(name, "b.example");

	/* the callback picks one name; the others do not count */
	memset(&o, 0, sizeof(o));
	o.name = "a.example";
	assert_int_equal(dnscache_lookup(c, 1, &a, T0, match_only, &o, &n),
	    DNSCACHE_LIVE);
	assert_string_equal(n, "a.example");
	assert_int_equal(o.offers, 3);
	memset(&o, 0, sizeof(o));
	o.name = "c.example";
	assert_int_equal(dnscache_lookup(c, 1, &a, T0 + 60 * SEC, match_only,
	    &o, &n), DNSCACHE_EXPIRED);
	assert_string_equal(n, "c.example");
	memset(&o, 0, sizeof(o));
	o.name = "a.example";
	assert_int_equal(dnscache_lookup(c, 1, &a, T0 + 150 * SEC, match_only,
	    &o, &n), DNSCACHE_EXPIRED);
	assert_string_equal(n, "a.example");
	memset(&o, 0, sizeof(o));
	o.name = "d.example";
	assert_int_equal(dnscache_lookup(c, 1, &a, T0, match_only, &o, &n),
	    DNSCACHE_NONE);
	assert_null(n);
	assert_int_equal(o.offers, 3);
	assert_int_equal(dnscache_lookup(c, 1, &a, T0, match_none, &none,
	    NULL), DNSCACHE_NONE);
	assert_int_equal(none, 3);

	/* names are offered lower-case */
	memset(&o, 0, sizeof(o));
	o.name = "A.example";
	assert_int_equal(dnscache_lookup(c, 1, &a, T0, match_only, &o, NULL),
	    DNSCACHE_NONE);

	/* one answer with the same address twice: one entry */
	resp("dup.example", DNS_T_A);
	add_addr("dup.example", "192.0.2.20", 100);
	add_addr("dup.example", "192.0.2.20", 40);
	assert_int_equal(learn(c, 1, T0), 1);
	assert_int_equal(state(c, 1, "192.0.2.20", T0 + 40 * SEC),
	    DNSCACHE_EXPIRED);
	assert_int_equal(stats(c).entries, 4);
	dnscache_free(c);
}

static void
test_grace(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);

	(void)state_;
	learn_a(c, 1, "held.example", "192.0.2.1", 10, T0);
	learn_a(c, 1, "free.example", "192.0.2.2", 10, T0);
	hold(c, 1, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 10 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 10 * SEC),
	    DNSCACHE_GRACE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 40 * SEC - 1),
	    DNSCACHE_GRACE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 40 * SEC),
	    DNSCACHE_EXPIRED);
	/* no hold, no grace */
	assert_int_equal(state(c, 1, "192.0.2.2", T0 + 10 * SEC),
	    DNSCACHE_EXPIRED);
	/* the hold ends: no grace either */
	release(c, 1, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 10 * SEC),
	    DNSCACHE_EXPIRED);

	/* two holds need two releases */
	hold(c, 1, "192.0.2.1");
	hold(c, 1, "192.0.2.1");
	release(c, 1, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 20 * SEC),
	    DNSCACHE_GRACE);
	release(c, 1, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 20 * SEC),
	    DNSCACHE_EXPIRED);

	/* a hold survives a refresh */
	hold(c, 1, "192.0.2.1");
	learn_a(c, 1, "held.example", "192.0.2.1", 10, T0 + 5 * SEC);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 15 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 44 * SEC),
	    DNSCACHE_GRACE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 45 * SEC),
	    DNSCACHE_EXPIRED);

	/* a name newly learnt for a held pair is held too */
	learn_a(c, 1, "alias.example", "192.0.2.1", 10, T0 + 100 * SEC);
	{
		struct addr a = ip("192.0.2.1");
		struct only o;

		memset(&o, 0, sizeof(o));
		o.name = "alias.example";
		assert_int_equal(dnscache_lookup(c, 1, &a, T0 + 120 * SEC,
		    match_only, &o, NULL), DNSCACHE_GRACE);
		release(c, 1, "192.0.2.1");
		memset(&o, 0, sizeof(o));
		o.name = "alias.example";
		assert_int_equal(dnscache_lookup(c, 1, &a, T0 + 120 * SEC,
		    match_only, &o, NULL), DNSCACHE_EXPIRED);
	}
	dnscache_free(c);
}

static void
test_holds_harmless(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);
	struct addr none;

	(void)state_;
	/* release of pairs never held, or unknown */
	release(c, 1, "192.0.2.1");
	learn_a(c, 1, "x.example", "192.0.2.1", 10, T0);
	release(c, 1, "192.0.2.1");
	release(c, 2, "192.0.2.1");
	hold(c, 1, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 10 * SEC),
	    DNSCACHE_GRACE);
	release(c, 1, "192.0.2.1");
	release(c, 1, "192.0.2.1");
	hold(c, 1, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 10 * SEC),
	    DNSCACHE_GRACE);
	release(c, 1, "192.0.2.1");
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 10 * SEC),
	    DNSCACHE_EXPIRED);

	/* a hold on a pair without entries is not kept */
	hold(c, 1, "192.0.2.9");
	learn_a(c, 1, "y.example", "192.0.2.9", 10, T0);
	assert_int_equal(state(c, 1, "192.0.2.9", T0 + 10 * SEC),
	    DNSCACHE_EXPIRED);

	/* an address of no family */
	memset(&none, 0, sizeof(none));
	dnscache_hold(c, 1, &none);
	dnscache_release(c, 1, &none);
	assert_int_equal(dnscache_lookup(c, 1, &none, T0, NULL, NULL, NULL),
	    DNSCACHE_NONE);
	assert_int_equal(stats(c).entries, 2);
	dnscache_free(c);
}

static void
test_refresh(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);
	struct dnscache_stats st;

	(void)state_;
	learn_a(c, 1, "r.example", "192.0.2.1", 300, T0);
	/* a shorter TTL later does not cut the entry short */
	learn_a(c, 1, "R.EXAMPLE.", "192.0.2.1", 10, T0 + 10 * SEC);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 300 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 300 * SEC),
	    DNSCACHE_EXPIRED);
	/* a longer one extends it */
	learn_a(c, 1, "r.example", "192.0.2.1", 300, T0 + 100 * SEC);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 400 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 400 * SEC),
	    DNSCACHE_EXPIRED);
	/* the clock stepping back: the later expiry stays */
	learn_a(c, 1, "r.example", "192.0.2.1", 5, T0);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 + 400 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.1", T0 - 100 * SEC),
	    DNSCACHE_LIVE);
	st = stats(c);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.learnt, 1);
	assert_int_equal(st.refreshed, 3);
	assert_int_equal(st.name_chunks_free, st.name_chunks - 1);
	dnscache_free(c);
}

/*
 * Capacity 4.  Expired entries without holds go first, oldest expiry first;
 * then the least recently learnt without holds; entries with holds last.
 */
static void
test_eviction_order(void **state_)
{
	struct dnscache *c = cache(4, 5, 300, 30);
	struct dnscache_stats st;
	const uint64_t t = T0 + 30 * SEC;

	(void)state_;
	learn_a(c, 1, "one.example", "192.0.2.1", 20, T0);		/* exp +20 */
	learn_a(c, 1, "two.example", "192.0.2.2", 10, T0 + SEC);	/* exp +11 */
	learn_a(c, 1, "three.example", "192.0.2.3", 300, T0 + 2 * SEC);
	learn_a(c, 1, "four.example", "192.0.2.4", 5, T0 + 3 * SEC);	/* exp +8 */
	hold(c, 1, "192.0.2.4");
	assert_int_equal(stats(c).evicted, 0);

	/* at +30, 1, 2 and 4 have expired; 4 is held: 2 goes, then 1 */
	learn_a(c, 1, "five.example", "192.0.2.5", 300, t);
	assert_int_equal(state(c, 1, "192.0.2.2", t), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "192.0.2.1", t), DNSCACHE_EXPIRED);
	assert_int_equal(state(c, 1, "192.0.2.4", t), DNSCACHE_GRACE);
	learn_a(c, 1, "six.example", "192.0.2.6", 300, t);
	assert_int_equal(state(c, 1, "192.0.2.1", t), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "192.0.2.4", t), DNSCACHE_GRACE);
	st = stats(c);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.evicted_expired, 2);
	assert_int_equal(st.evicted_held, 0);

	/* none expired without holds: the least recently learnt, 3, then 5 */
	learn_a(c, 1, "three.example", "192.0.2.3", 300, t);	/* refreshed */
	learn_a(c, 1, "seven.example", "192.0.2.7", 300, t);
	assert_int_equal(state(c, 1, "192.0.2.5", t), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "192.0.2.3", t), DNSCACHE_LIVE);
	learn_a(c, 1, "eight.example", "192.0.2.8", 300, t);
	assert_int_equal(state(c, 1, "192.0.2.6", t), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "192.0.2.3", t), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.4", t), DNSCACHE_GRACE);
	st = stats(c);
	assert_int_equal(st.evicted, 4);
	assert_int_equal(st.evicted_expired, 2);
	assert_int_equal(st.evicted_held, 0);

	/* all held: a held entry goes (4, held longest), and is counted */
	hold(c, 1, "192.0.2.3");
	hold(c, 1, "192.0.2.7");
	hold(c, 1, "192.0.2.8");
	learn_a(c, 1, "nine.example", "192.0.2.9", 300, t);
	assert_int_equal(state(c, 1, "192.0.2.4", t), DNSCACHE_NONE);
	st = stats(c);
	assert_int_equal(st.evicted, 5);
	assert_int_equal(st.evicted_held, 1);
	assert_int_equal(st.entries, 4);

	/* 9 is not held: it goes next, before any held entry */
	learn_a(c, 1, "ten.example", "192.0.2.10", 300, t);
	assert_int_equal(state(c, 1, "192.0.2.9", t), DNSCACHE_NONE);
	assert_int_equal(stats(c).evicted_held, 1);

	/* a release makes an entry a candidate again, ahead of held ones */
	hold(c, 1, "192.0.2.10");
	release(c, 1, "192.0.2.8");
	learn_a(c, 1, "eleven.example", "192.0.2.11", 300, t);
	assert_int_equal(state(c, 1, "192.0.2.8", t), DNSCACHE_NONE);
	assert_int_equal(state(c, 1, "192.0.2.3", t), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.7", t), DNSCACHE_LIVE);
	assert_int_equal(state(c, 1, "192.0.2.10", t), DNSCACHE_LIVE);
	st = stats(c);
	assert_int_equal(st.evicted, 7);
	assert_int_equal(st.evicted_held, 1);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.learnt, 11);
	assert_int_equal(st.refreshed, 1);
	dnscache_free(c);
}

static void
test_long_names(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);
	struct dnscache_stats st;
	char longest[260], upper[260], name[300];
	size_t i;

	(void)state_;
	/* 253 characters: 63-character labels and a short last one */
	for (i = 0; i < 253; i++)
		longest[i] = (i % 64 == 63) ? '.' : (char)('a' + i % 26);
	longest[253] = '\0';
	for (i = 0; i < 254; i++)
		upper[i] = (longest[i] >= 'a' && longest[i] <= 'z') ?
		    (char)(longest[i] - 'a' + 'A') : longest[i];
	learn_a(c, 1, upper, "192.0.2.1", 60, T0);
	assert_int_equal(state_name(c, 1, "192.0.2.1", T0, NULL, NULL, name,
	    sizeof(name)), DNSCACHE_LIVE);
	assert_string_equal(name, longest);
	st = stats(c);
	assert_int_equal(st.name_chunks, 16);
	assert_int_equal(st.name_chunks_free, 16 - 10);

	/* a second one does not fit in 16 chunks: the first goes */
	longest[0] = 'z';
	learn_a(c, 1, longest, "192.0.2.2", 60, T0);
	assert_int_equal(state(c, 1, "192.0.2.1", T0), DNSCACHE_NONE);
	assert_int_equal(state_name(c, 1, "192.0.2.2", T0, NULL, NULL, name,
	    sizeof(name)), DNSCACHE_LIVE);
	assert_string_equal(name, longest);
	st = stats(c);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.evicted, 1);
	/* short names fill the rest: 6 chunks free, 6 names of <= 28 chars */
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "n%zu.example", i);
		learn_a(c, 1, name, "192.0.2.3", 60, T0);
	}
	st = stats(c);
	assert_int_equal(st.entries, 7);
	assert_int_equal(st.name_chunks_free, 0);
	assert_int_equal(st.evicted, 1);

	/* 254 characters, empty labels, escapes: refused */
	resp(longest, DNS_T_A);
	snprintf(dm.qname, sizeof(dm.qname), "%sx", longest);
	add_addr(dm.qname, "192.0.2.4", 60);
	refused(c, "bad question name");
	resp("a..example", DNS_T_A);
	add_addr("a..example", "192.0.2.4", 60);
	refused(c, "bad question name");
	resp(".", DNS_T_A);
	refused(c, "bad question name");
	resp("", DNS_T_A);
	refused(c, "bad question name");
	resp("a\\032b.example", DNS_T_A);
	add_addr("a\\032b.example", "192.0.2.4", 60);
	refused(c, "bad question name");
	assert_int_equal(state(c, 1, "192.0.2.4", T0), DNSCACHE_NONE);
	dnscache_free(c);
}

static void
test_ignored(void **state_)
{
	struct dnscache *c = cache(16, 5, 300, 30);

	(void)state_;
	resp("nx.example", DNS_T_A);
	dm.rcode = 3;
	refused(c, "rcode not 0");
	resp("fail.example", DNS_T_A);
	dm.rcode = 2;
	add_addr("fail.example", "192.0.2.1", 60);
	refused(c, "rcode not 0");
	resp("q.example", DNS_T_A);
	dm.response = false;
	add_addr("q.example", "192.0.2.1", 60);
	refused(c, "not a response");
	resp("q.example", DNS_T_A);
	dm.opcode = 4;
	add_addr("q.example", "192.0.2.1", 60);
	refused(c, "not a standard query");
	resp("q.example", DNS_T_A);
	dm.has_question = false;
	add_addr("q.example", "192.0.2.1", 60);
	refused(c, "no question");
	resp("q.example", 15);
	add_addr("q.example", "192.0.2.1", 60);
	refused(c, "question type not A or AAAA");
	resp("q.example", DNS_T_A);
	dm.qname_lossy = true;
	add_addr("q.example", "192.0.2.1", 60);
	refused(c, "question name has odd bytes");
	resp("q.example", DNS_T_A);
	dm.why = "truncated record";
	add_addr("q.example", "192.0.2.1", 60);
	refused(c, "message did not parse");
	assert_int_equal(dnscache_learn(c, 1, NULL, T0, NULL), -1);
	assert_int_equal(state(c, 1, "192.0.2.1", T0), DNSCACHE_NONE);
	assert_int_equal(stats(c).ignored, 9);
	assert_int_equal(stats(c).entries, 0);

	/* NODATA, and a chain without its end: nothing to learn, no error */
	resp("nodata.example", DNS_T_AAAA);
	assert_int_equal(learn(c, 1, T0), 0);
	resp("www.example.com", DNS_T_A);
	add_cname("www.example.com", "cdn.x.net", 300);
	assert_int_equal(learn(c, 1, T0), 0);
	assert_int_equal(stats(c).ignored, 9);
	assert_int_equal(stats(c).entries, 0);
	dnscache_free(c);
}

static void
test_many_names(void **state_)
{
	struct dnscache *c = cache(65536, 5, 300, 30);
	struct dnscache_stats st;
	char name[64], a[32];
	uint32_t i;

	(void)state_;
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "host-%06u.example.com", i);
		snprintf(a, sizeof(a), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff,
		    i & 0xff);
		learn_a(c, i % 7, name, a, 300, T0 + i * 1000ULL);
	}
	st = stats(c);
	assert_int_equal(st.entries, 65536);
	assert_int_equal(st.capacity, 65536);
	assert_int_equal(st.learnt, 100000);
	assert_int_equal(st.refreshed, 0);
	assert_int_equal(st.evicted, 100000 - 65536);
	assert_int_equal(st.evicted_expired, 0);
	assert_int_equal(st.evicted_held, 0);
	assert_int_equal(st.name_chunks_free, 0);
	assert_true(st.bytes / st.capacity < 100);
	/* the least recently learnt went: the first 34,464 */
	assert_int_equal(state(c, 0, "10.0.0.0", T0 + 100 * SEC),
	    DNSCACHE_NONE);
	i = 100000 - 65536 - 1;
	snprintf(a, sizeof(a), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
	assert_int_equal(state(c, i % 7, a, T0 + 100 * SEC), DNSCACHE_NONE);
	i++;
	snprintf(a, sizeof(a), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
	assert_int_equal(state(c, i % 7, a, T0 + 100 * SEC), DNSCACHE_LIVE);
	i = 99999;
	snprintf(a, sizeof(a), "10.%u.%u.%u", i >> 16, (i >> 8) & 0xff, i & 0xff);
	assert_int_equal(state(c, i % 7, a, T0 + 100 * SEC), DNSCACHE_LIVE);
	assert_int_equal(state(c, (i + 1) % 7, a, T0 + 100 * SEC),
	    DNSCACHE_NONE);
	dnscache_free(c);
}

/* Many names for one address of one subject: one long hash chain. */
static void
test_one_address_many_names(void **state_)
{
	struct dnscache *c = cache(256, 5, 300, 30);
	struct addr a = ip("192.0.2.1");
	struct only o;
	char name[64];
	int i;

	(void)state_;
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "site%d.example", i);
		learn_a(c, 0, name, "192.0.2.1", 10 + (uint32_t)i, T0);
	}
	assert_int_equal(stats(c).entries, 256);
	memset(&o, 0, sizeof(o));
	o.name = "site299.example";
	assert_int_equal(dnscache_lookup(c, 0, &a, T0, match_only, &o, NULL),
	    DNSCACHE_LIVE);
	memset(&o, 0, sizeof(o));
	o.name = "site43.example";
	assert_int_equal(dnscache_lookup(c, 0, &a, T0, match_only, &o, NULL),
	    DNSCACHE_NONE);
	memset(&o, 0, sizeof(o));
	o.name = "site44.example";
	assert_int_equal(dnscache_lookup(c, 0, &a, T0 + 53 * SEC, match_only,
	    &o, NULL), DNSCACHE_LIVE);
	/* holds reach every entry of the pair, and release all of them */
	hold(c, 0, "192.0.2.1");
	assert_int_equal(state(c, 0, "192.0.2.1", T0 + 300 * SEC),
	    DNSCACHE_GRACE);
	assert_int_equal(state(c, 0, "192.0.2.1", T0 + 330 * SEC - 1),
	    DNSCACHE_GRACE);
	release(c, 0, "192.0.2.1");
	/* the longest TTL, 309, was clamped to 300 */
	assert_int_equal(state(c, 0, "192.0.2.1", T0 + 300 * SEC - 1),
	    DNSCACHE_LIVE);
	assert_int_equal(state(c, 0, "192.0.2.1", T0 + 300 * SEC),
	    DNSCACHE_EXPIRED);
	dnscache_free(c);
}

static void
test_state_names(void **state_)
{
	(void)state_;
	assert_string_equal(dnscache_state_name(DNSCACHE_NONE), "none");
	assert_string_equal(dnscache_state_name(DNSCACHE_EXPIRED), "expired");
	assert_string_equal(dnscache_state_name(DNSCACHE_GRACE), "grace");
	assert_string_equal(dnscache_state_name(DNSCACHE_LIVE), "live");
	assert_string_equal(dnscache_state_name((enum dnscache_state)4),
	    "unknown");
	assert_string_equal(dnscache_state_name((enum dnscache_state)-1),
	    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_opts),
		cmocka_unit_test(test_plain_a),
		cmocka_unit_test(test_ttl_clamps),
		cmocka_unit_test(test_subjects_apart),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_chain_depth),
		cmocka_unit_test(test_cname_loop),
		cmocka_unit_test(test_off_chain),
		cmocka_unit_test(test_other_class),
		cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_several_names),
		cmocka_unit_test(test_grace),
		cmocka_unit_test(test_holds_harmless),
		cmocka_unit_test(test_refresh),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_many_names),
		cmocka_unit_test(test_one_address_many_names),
		cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
