/*
 * test_policy_index.c - the rule index against a plain walk over the rules:
 * random policies and keys must give the same rule and host state as the
 * linear reference here, and query names the same answer as every pattern.
 */
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"
#include "policy_index.h"

#define TCP	IPPROTO_TCP
#define UDP	IPPROTO_UDP
#define ICMP	IPPROTO_ICMP
#define ICMP6	IPPROTO_ICMPV6

static char path[64];
static const char *lua_dir;

static uint64_t rng;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

static struct policy *
load_text(const char *text)
{
	struct policy *p = NULL;
	char err[1024];
	FILE *fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	if (policy_load(&p, path, lua_dir, err, sizeof(err)) == -1)
		fail_msg("policy_load: %s", err);
	assert_non_null(p);
	assert_non_null(p->index);
	return p;
}

/*
 * The reference: every rule in turn, as the matcher was before the index.
 */

static bool
ref_in_cidrs(const struct cidr *c, size_t n, const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_contains(&c[i], a))
			return true;
	return false;
}

static bool
ref_in_ports(const struct policy_port_range *r, size_t n, uint16_t port)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return true;
	return false;
}

static bool
ref_subject(const struct policy_rule *r, const struct policy_subject *s)
{
	size_t i, n;
	bool ok;

	if (r->nexe == 0 && r->nuid == 0 && r->ngid == 0 && r->ncgroup == 0)
		return true;
	if (s == NULL || !s->known)
		return false;
	if (r->nexe > 0) {
		for (i = 0, ok = false; i < r->nexe; i++)
			ok |= s->exe != NULL && strcmp(r->exe[i], s->exe) == 0;
		if (!ok)
			return false;
	}
	if (r->nuid > 0) {
		for (i = 0, ok = false; i < r->nuid; i++)
			ok |= r->uid[i] == s->uid;
		if (!ok)
			return false;
	}
	if (r->ngid > 0) {
		for (i = 0, ok = false; i < r->ngid; i++)
			ok |= r->gid[i] == s->gid;
		if (!ok)
			return false;
	}
	if (r->ncgroup > 0) {
		for (i = 0, ok = false; i < r->ncgroup && s->cgroup != NULL; i++) {
			n = strlen(r->cgroup[i]);
			ok |= strncmp(r->cgroup[i], s->cgroup, n) == 0 &&
			    (s->cgroup[n] == '\0' || s->cgroup[n] == '/');
		}
		if (!ok)
			return false;
	}
	return true;
}

/* names: a state from the rule and the responder, fixed for one run. */
static int
fake_names(void *arg, const struct policy_rule *r, const struct flow_key *k)
{
	uint64_t h = *(const uint64_t *)arg ^ (uint64_t)(uintptr_t)r;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ k->dst.b[i]) * 0x100000001b3ULL;
	return (int)((h >> 29) % 4);
}

static int
ref_match(const struct policy *p, bool inbound, const struct flow_key *k,
    const struct policy_subject *s, policy_names_fn *names, void *arg,
    int *host_state)
{
	const struct policy_rule *rules = inbound ? p->inbound : p->egress;
	size_t n = inbound ? p->ninbound : p->negress, i;
	bool ports = k->proto == TCP || k->proto == UDP;
	int st;

	*host_state = -1;
	for (i = 0; i < n; i++) {
		const struct policy_rule *r = &rules[i];

		if (r->proto != POLICY_PROTO_ANY && r->proto != k->proto)
			continue;
		if (r->nports > 0 && (!ports ||
		    !ref_in_ports(r->ports, r->nports, k->dport)))
			continue;
		if (r->nto > 0 && !ref_in_cidrs(r->to, r->nto, &k->dst))
			continue;
		if (r->nfrom > 0 && !ref_in_cidrs(r->from, r->nfrom, &k->src))
			continue;
		if (!ref_subject(r, s))
			continue;
		if (r->nhosts > 0 && r->nto == 0) {
			if (names == NULL)
				continue;
			if ((st = names(arg, r, k)) < 2) {
				if (st > *host_state)
					*host_state = st;
				continue;
			}
		}
		return (int)i;
	}
	return -1;
}

static bool
ref_named(const struct policy *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->negress; i++)
		if (policy_host_match(&p->egress[i], name))
			return true;
	return false;
}

/*
 * Random policies: few addresses, ports and names, so that rules overlap
 * and keys hit them.
 */

static const uint16_t port_pool[] = { 22, 53, 80, 443, 8080, 1000, 1001, 1003 };
static const uint8_t len4[] = { 0, 1, 8, 15, 16, 20, 24, 30, 31, 32 };
static const uint8_t len6[] = { 0, 7, 32, 48, 64, 100, 120, 127, 128 };

static void
rnd_addr(struct addr *a, int fam)
{
	uint8_t b[16];

	memset(b, 0, sizeof(b));
	if (fam == 4) {
		b[0] = rnd(8) == 0 ? 192 : 10;
		b[1] = (uint8_t)rnd(4);
		b[2] = (uint8_t)rnd(3);
		b[3] = (uint8_t)rnd(6);
		addr_set4(a, b);
	} else {
		b[0] = 0x20;
		b[1] = 0x01;
		b[2] = 0x0d;
		b[3] = rnd(8) == 0 ? 0xb9 : 0xb8;
		b[7] = (uint8_t)rnd(3);
		b[12] = (uint8_t)rnd(2);
		b[15] = (uint8_t)rnd(5);
		addr_set6(a, b);
	}
}

static void
rnd_cidr(char *buf, size_t len)
{
	struct cidr c;
	int fam = rnd(3) == 0 ? 6 : 4;
	unsigned i, bits;

	rnd_addr(&c.net, fam);
	c.len = fam == 4 ? len4[rnd(sizeof(len4))] : len6[rnd(sizeof(len6))];
	for (i = 0; i < 16; i++) {
		bits = c.len > i * 8 ? c.len - i * 8 : 0;
		if (bits < 8)
			c.net.b[i] &= (uint8_t)(0xff << (8 - bits));
	}
	cidr_format(&c, buf, len);
}

static void
add(char **s, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*s + *len, *cap - *len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (*len + (size_t)n < *cap)
			break;
		*cap = *cap * 2 + (size_t)n;
		assert_non_null(*s = realloc(*s, *cap));
	}
	*len += (size_t)n;
}

static const char *const host_pool[] = { "example.com", "*.example.com",
	"**.example.com", "a.b.example.com", "*.b.example.com", "x.org",
	"**.x.org", "*.org", "cdn.example.net", "**.net" };

static void
rnd_rule(char **s, size_t *len, size_t *cap, bool inbound)
{
	static const char *const protos[] = { "tcp", "udp", "any", "icmp",
	    "icmpv6" };
	char c[80];
	int proto = -1, i, n;

	add(s, len, cap, "    { ");
	if (rnd(4) != 0) {
		proto = (int)rnd(5);
		add(s, len, cap, "proto = \"%s\", ", protos[proto]);
	}
	if (proto < 3 && rnd(5) < 3) {
		switch (rnd(6)) {
		case 0:		/* a range, narrow or wide */
			n = (int)port_pool[rnd(sizeof(port_pool) / 2)];
			add(s, len, cap, "port = \"%d-%d\", ", n,
			    rnd(2) ? n + (int)rnd(4) : 65535);
			break;
		case 1:		/* a list */
			add(s, len, cap, "port = { %d, %d }, ",
			    port_pool[rnd(sizeof(port_pool) / 2)],
			    port_pool[rnd(sizeof(port_pool) / 2)]);
			break;
		default:
			add(s, len, cap, "port = %d, ",
			    port_pool[rnd(sizeof(port_pool) / 2)]);
			break;
		}
	}
	if (rnd(10) < 7) {
		n = 1 + (int)rnd(3);
		add(s, len, cap, "to = { ");
		for (i = 0; i < n; i++) {
			rnd_cidr(c, sizeof(c));
			add(s, len, cap, "\"%s\", ", c);
		}
		add(s, len, cap, "}, ");
	}
	if (rnd(5) == 0) {
		rnd_cidr(c, sizeof(c));
		add(s, len, cap, "%s = \"%s\", ", inbound ? "from" : "src", c);
	}
	switch (rnd(12)) {
	case 0:
		add(s, len, cap, "uid = %u, ", 1000 + rnd(2));
		break;
	case 1:
		add(s, len, cap, "exe = \"/usr/bin/curl\", gid = %u, ", 100 + rnd(2));
		break;
	case 2:
		add(s, len, cap, "cgroup = \"/user.slice\", ");
		break;
	}
	if (!inbound && rnd(4) == 0) {
		n = 1 + (int)rnd(3);
		add(s, len, cap, "host = { ");
		for (i = 0; i < n; i++)
			add(s, len, cap, "\"%s\", ",
			    host_pool[rnd(sizeof(host_pool) / sizeof(host_pool[0]))]);
		add(s, len, cap, "}, ");
	}
	add(s, len, cap, "},\n");
}

static char *
rnd_policy(size_t nin, size_t neg)
{
	size_t len = 0, cap = 4096, i;
	char *s;

	assert_non_null(s = malloc(cap));
	add(&s, &len, &cap, "return {\n  inbound = {\n");
	for (i = 0; i < nin; i++)
		rnd_rule(&s, &len, &cap, true);
	add(&s, &len, &cap, "  },\n  egress = {\n");
	for (i = 0; i < neg; i++)
		rnd_rule(&s, &len, &cap, false);
	add(&s, &len, &cap, "  },\n}\n");
	return s;
}

static void
rnd_key(struct flow_key *k)
{
	static const uint8_t protos[] = { TCP, TCP, UDP, ICMP, ICMP6, 47 };
	int fam = rnd(3) == 0 ? 6 : 4;

	memset(k, 0, sizeof(*k));
	k->proto = protos[rnd(sizeof(protos))];
	rnd_addr(&k->dst, fam);
	rnd_addr(&k->src, fam);
	k->sport = (uint16_t)(1024 + rnd(60000));
	k->dport = rnd(4) == 0 ? (uint16_t)rnd(65536) :
	    port_pool[rnd(sizeof(port_pool) / 2)];
	if (rnd(50) == 0)
		k->dst.family = 0;	/* no address: only rules without `to` */
}

static const struct policy_subject *
rnd_subject(struct policy_subject *s)
{
	static const char *const exes[] = { "/usr/bin/curl", "/usr/bin/wget", NULL };
	static const char *const cgs[] = { "/user.slice", "/user.slice/a",
	    "/user.slicex", "/system.slice", NULL };

	if (rnd(4) == 0)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->known = rnd(8) != 0;
	s->uid = 1000 + rnd(3);
	s->gid = 100 + rnd(3);
	s->exe = exes[rnd(3)];
	s->cgroup = cgs[rnd(5)];
	return s;
}

static void
check_key(const struct policy *p, const struct flow_key *k,
    const struct policy_subject *s, uint64_t salt, uint64_t seed, size_t n)
{
	int want, got, wst, gst;

	want = ref_match(p, true, k, s, NULL, NULL, &wst);
	got = policy_match(p, true, k, s);
	if (want != got)
		fail_msg("seed %llu key %zu inbound: rule %d, want %d",
		    (unsigned long long)seed, n, got, want);
	want = ref_match(p, false, k, s, NULL, NULL, &wst);
	got = policy_match(p, false, k, s);
	if (want != got)
		fail_msg("seed %llu key %zu egress: rule %d, want %d",
		    (unsigned long long)seed, n, got, want);
	want = ref_match(p, false, k, s, fake_names, &salt, &wst);
	got = policy_match_names(p, k, s, fake_names, &salt, &gst);
	if (want != got || wst != gst)
		fail_msg("seed %llu key %zu names: rule %d state %d, want %d "
		    "state %d", (unsigned long long)seed, n, got, gst, want, wst);
}

static void
rnd_name(char *buf, size_t len)
{
	static const char *const labels[] = { "a", "b", "x", "example", "com",
	    "org", "net", "cdn", "www" };
	size_t o = 0;
	int n = 1 + (int)rnd(4), i;

	buf[0] = '\0';
	if (rnd(20) == 0)
		o += (size_t)snprintf(buf, len, ".");
	for (i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > 0 ? "." : "",
		    labels[rnd(sizeof(labels) / sizeof(labels[0]))]);
}

static void
test_differential(void **state)
{
	static const size_t sizes[][2] = { { 0, 1 }, { 3, 5 }, { 20, 40 },
	    { 60, 300 }, { 10, 1000 } };
	struct policy_subject sb;
	const struct policy_subject *s;
	struct flow_key k;
	struct policy *p;
	uint64_t seed, salt;
	char *text, name[80];
	size_t z, n;
	int round;

	(void)state;
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (round = 0; round < 6; round++) {
			seed = 0x9e3779b97f4a7c15ULL * (z * 16 + (size_t)round + 1);
			rng = seed;
			text = rnd_policy(sizes[z][0], sizes[z][1]);
			p = load_text(text);
			free(text);
			salt = rng;
			for (n = 0; n < 3000; n++) {
				rnd_key(&k);
				s = rnd_subject(&sb);
				check_key(p, &k, s, salt, seed, n);
			}
			for (n = 0; n < 500; n++) {
				rnd_name(name, sizeof(name));
				if (policy_names_host(p, name) != ref_named(p, name))
					fail_msg("seed %llu name \"%s\": %d, want %d",
					    (unsigned long long)seed, name,
					    policy_names_host(p, name),
					    ref_named(p, name));
			}
			policy_free(p);
		}
}

static struct flow_key
key(uint8_t proto, const char *dst, uint16_t dport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	assert_int_equal(addr_parse(&k.dst, dst), 0);
	assert_int_equal(addr_parse(&k.src, strchr(dst, ':') != NULL ?
	    "fd00::1" : "10.9.9.9"), 0);
	k.proto = proto;
	k.sport = 40000;
	k.dport = dport;
	return k;
}

static int
out(const struct policy *p, uint8_t proto, const char *dst, uint16_t dport)
{
	struct flow_key k = key(proto, dst, dport);
	int st;

	assert_int_equal(policy_match(p, false, &k, NULL),
	    ref_match(p, false, &k, NULL, NULL, NULL, &st));
	return policy_match(p, false, &k, NULL);
}

static void
test_empty(void **state)
{
	struct flow_key k = key(TCP, "192.0.2.1", 443);
	struct policy *p;
	int st = 7;

	(void)state;
	p = load_text("return {}\n");
	assert_int_equal(policy_match(p, false, &k, NULL), -1);
	assert_int_equal(policy_match(p, true, &k, NULL), -1);
	assert_int_equal(policy_match_names(p, &k, NULL, fake_names, &k, &st), -1);
	assert_int_equal(st, -1);
	assert_false(policy_names_host(p, "example.com"));
	assert_false(policy_names_host(p, ""));
	policy_free(p);

	p = load_text("return { egress = {}, inbound = {} }\n");
	assert_int_equal(policy_match(p, false, &k, NULL), -1);
	policy_free(p);
}

static void
test_prefix_edges(void **state)
{
	struct policy *p;

	(void)state;
	p = load_text("return { egress = {\n"
	    "  { proto = \"tcp\", port = 22, to = \"10.1.2.3/32\" },\n"
	    "  { proto = \"tcp\", port = 22, to = { \"10.1.0.0/16\", \"10.1.0.0/16\" } },\n"
	    "  { proto = \"udp\", to = \"10.0.0.0/8\" },\n"
	    "  { to = { \"2001:db8::1/128\", \"10.1.2.2/31\" } },\n"
	    "  { to = \"2001:db8::/32\", port = \"1-65535\" },\n"
	    "  { to = \"::/0\" },\n"
	    "  { proto = \"tcp\", to = \"0.0.0.0/0\", port = 443 },\n"
	    "  { proto = \"icmp\" },\n"
	    "} }\n");
	assert_int_equal(out(p, TCP, "10.1.2.3", 22), 0);
	assert_int_equal(out(p, TCP, "10.1.2.4", 22), 1);
	assert_int_equal(out(p, TCP, "10.1.2.3", 23), 3);	/* in 10.1.2.2/31 */
	assert_int_equal(out(p, TCP, "10.1.2.4", 23), -1);
	assert_int_equal(out(p, UDP, "10.200.0.1", 22), 2);
	assert_int_equal(out(p, TCP, "10.200.0.1", 443), 6);
	assert_int_equal(out(p, TCP, "2001:db8::1", 80), 3);
	assert_int_equal(out(p, TCP, "2001:db8::2", 80), 4);
	assert_int_equal(out(p, ICMP6, "2001:db8::2", 0), 5);	/* ports: TCP, UDP only */
	assert_int_equal(out(p, TCP, "2001:db9::2", 80), 5);
	assert_int_equal(out(p, ICMP, "192.0.2.1", 0), 7);
	assert_int_equal(out(p, ICMP, "10.1.2.3", 0), 3);
	assert_int_equal(out(p, UDP, "192.0.2.1", 443), -1);
	policy_free(p);
}

/* Many rules by port and by address: each finds its own, in rule order. */
static void
test_many_rules(void **state)
{
	size_t len = 0, cap = 4096, i;
	struct policy *p;
	char *s, dst[32];

	(void)state;
	assert_non_null(s = malloc(cap));
	add(&s, &len, &cap, "return { egress = {\n");
	for (i = 0; i < 2000; i++)
		add(&s, &len, &cap, "  { proto = \"tcp\", port = %zu },\n", 2000 + i);
	for (i = 0; i < 2000; i++)
		add(&s, &len, &cap, "  { proto = \"udp\", to = \"10.%zu.%zu.0/24\" },\n",
		    i >> 8, i & 0xff);
	add(&s, &len, &cap, "  { proto = \"tcp\", port = \"2500-2600\" },\n} }\n");
	p = load_text(s);
	free(s);
	for (i = 0; i < 2000; i += 7) {
		assert_int_equal(out(p, TCP, "192.0.2.1", (uint16_t)(2000 + i)),
		    (int)i);
		snprintf(dst, sizeof(dst), "10.%zu.%zu.9", i >> 8, i & 0xff);
		assert_int_equal(out(p, UDP, dst, 53), 2000 + (int)i);
		assert_int_equal(out(p, TCP, dst, 53), -1);
	}
	assert_int_equal(out(p, TCP, "192.0.2.1", 4000), -1);
	assert_int_equal(out(p, TCP, "192.0.2.1", 2550), 550);
	/* the index is small next to the rules: tens of bytes a rule */
	assert_true(policy_index_bytes(p->index) < 4001 * 64);
	policy_free(p);
}

static void
test_names(void **state)
{
	struct policy *p;

	(void)state;
	p = load_text("return { egress = {\n"
	    "  { proto = \"tcp\", port = 443, host = { \"Example.COM.\", \"*.a.example\" } },\n"
	    "  { proto = \"tcp\", port = 443, host = \"**.b.example\" },\n"
	    "  { proto = \"tcp\", port = 443, to = \"192.0.2.1\", host = \"c.example\" },\n"
	    "} }\n");
	assert_true(policy_names_host(p, "example.com"));
	assert_false(policy_names_host(p, "www.example.com"));
	assert_false(policy_names_host(p, "a.example"));
	assert_true(policy_names_host(p, "x.a.example"));
	assert_false(policy_names_host(p, "y.x.a.example"));
	assert_false(policy_names_host(p, ".a.example"));
	assert_false(policy_names_host(p, "b.example"));
	assert_true(policy_names_host(p, "x.b.example"));
	assert_true(policy_names_host(p, "y.x.b.example"));
	assert_false(policy_names_host(p, ".x.b.example"));
	assert_false(policy_names_host(p, "xb.example"));
	assert_true(policy_names_host(p, "c.example"));
	assert_false(policy_names_host(p, ""));
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_prefix_edges),
		cmocka_unit_test(test_many_rules),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_differential),
	};
	int fd, rc;

	lua_dir = access("lua/outgate.lua", R_OK) == 0 ? "lua" : "../lua";
	snprintf(path, sizeof(path), "/tmp/og-pix-XXXXXX");
	if ((fd = mkstemp(path)) == -1)
		return 1;
	close(fd);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rc;
}
