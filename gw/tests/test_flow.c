/*
 * test_flow.c - unit tests of the flow table: lookup both ways, eviction
 * classes, timeouts, the TCP tracker, the hashes kept between calls and the
 * expiry bound.  Uses a fixed seed and a fake clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flow.h"

#define SEC	1000000ULL
#define MIN	(60 * SEC)
#define HOUR	(3600 * SEC)

#define FIN	0x01
#define SYN	0x02
#define RST	0x04
#define ACK	0x10

#define TCP	6
#define UDP	17
#define ICMP	1
#define ICMP6	58

#define T0	(1000 * SEC)	/* an arbitrary start of the packet clock */

struct ends {
	size_t		n;
	uint64_t	last_id;
	uint64_t	ids[16];
};

static void
count_end(const struct flow *f, void *arg)
{
	struct ends *e = arg;

	if (e->n < sizeof(e->ids) / sizeof(e->ids[0]))
		e->ids[e->n] = f->id;
	e->n++;
	e->last_id = f->id;
}

static void
mkkey(struct flow_key *k, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint8_t proto)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(addr_parse(&k->src, src), 0);
	assert_int_equal(addr_parse(&k->dst, dst), 0);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
}

static void
reverse(struct flow_key *r, const struct flow_key *k)
{
	memset(r, 0, sizeof(*r));
	r->src = k->dst;
	r->dst = k->src;
	r->sport = k->dport;
	r->dport = k->sport;
	r->proto = k->proto;
}

/* 10.x.y.z:port -> 192.0.2.1:443, distinct for each n */
static void
nkey(struct flow_key *k, uint32_t n, uint8_t proto)
{
	uint8_t a[4] = { 10, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
	uint8_t b[4] = { 192, 0, 2, 1 };

	memset(k, 0, sizeof(*k));
	addr_set4(&k->src, a);
	addr_set4(&k->dst, b);
	k->sport = (uint16_t)(40000 + (n & 0x3ff));
	k->dport = 443;
	k->proto = proto;
}

static struct flow_table *
table(size_t cap)
{
	struct flow_table *t = flow_table_new_seeded(cap, 0);

	assert_non_null(t);
	return t;
}

static struct flow *
find(struct flow_table *t, const struct flow_key *k, uint64_t now, int *dir)
{
	int d = -1;
	struct flow *f = flow_lookup(t, k, now, &d);

	if (dir != NULL)
		*dir = d;
	return f;
}

static void
test_new_bad_capacity(void **state)
{
	(void)state;
	assert_null(flow_table_new_seeded(0, 0));
	assert_null(flow_table_new(0));
	flow_table_free(NULL);
}

static void
test_random_seed(void **state)
{
	struct flow_table *t = flow_table_new(16);
	struct flow_key k, r;
	int dir;

	(void)state;
	assert_non_null(t);
	mkkey(&k, "10.0.0.1", 1234, "192.0.2.1", 80, TCP);
	reverse(&r, &k);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0));
	assert_non_null(find(t, &r, T0, &dir));
	assert_int_equal(dir, FLOW_DIR_REPLY);
	flow_table_free(t);
}

static void
test_both_dirs_v4(void **state)
{
	struct flow_table *t = table(64);
	struct flow_key k, r;
	struct flow *f;
	int dir;

	(void)state;
	mkkey(&k, "10.0.0.1", 51000, "192.0.2.7", 443, TCP);
	reverse(&r, &k);
	assert_null(find(t, &k, T0, NULL));
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(f);
	assert_ptr_equal(find(t, &k, T0, &dir), f);
	assert_int_equal(dir, FLOW_DIR_ORIG);
	assert_ptr_equal(find(t, &r, T0, &dir), f);
	assert_int_equal(dir, FLOW_DIR_REPLY);
	/* the stored key is the initiator's */
	assert_true(addr_eq(&f->key.src, &k.src));
	assert_int_equal(f->key.sport, 51000);
	flow_table_free(t);
}

static void
test_both_dirs_v6(void **state)
{
	struct flow_table *t = table(64);
	struct flow_key k, r, k4;
	struct flow *f;
	int dir;

	(void)state;
	mkkey(&k, "2001:db8::1", 51000, "2001:db8:1::53", 53, UDP);
	reverse(&r, &k);
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(f);
	assert_ptr_equal(find(t, &r, T0, &dir), f);
	assert_int_equal(dir, FLOW_DIR_REPLY);
	assert_ptr_equal(find(t, &k, T0, &dir), f);
	assert_int_equal(dir, FLOW_DIR_ORIG);
	/* an IPv4-mapped address is not the IPv4 address */
	mkkey(&k4, "::ffff:10.0.0.1", 1, "::ffff:10.0.0.2", 2, UDP);
	assert_non_null(flow_create(t, &k4, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0));
	mkkey(&k4, "10.0.0.1", 1, "10.0.0.2", 2, UDP);
	assert_null(find(t, &k4, T0, NULL));
	flow_table_free(t);
}

static void
test_key_fields_matter(void **state)
{
	struct flow_table *t = table(64);
	struct flow_key k, o;

	(void)state;
	mkkey(&k, "10.0.0.1", 1000, "192.0.2.1", 53, UDP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0));
	o = k;
	o.proto = TCP;
	assert_null(find(t, &o, T0, NULL));
	o = k;
	o.sport = 1001;
	assert_null(find(t, &o, T0, NULL));
	o = k;
	o.dport = 54;
	assert_null(find(t, &o, T0, NULL));
	/* half reversed: ports swapped, addresses not */
	o = k;
	o.sport = k.dport;
	o.dport = k.sport;
	assert_null(find(t, &o, T0, NULL));
	mkkey(&o, "10.0.0.2", 1000, "192.0.2.1", 53, UDP);
	assert_null(find(t, &o, T0, NULL));
	/* bytes past the fourth of an IPv4 address are not part of it */
	o = k;
	o.src.b[10] = 0xaa;
	assert_non_null(find(t, &o, T0, NULL));
	flow_table_free(t);
}

static void
test_same_endpoints(void **state)
{
	struct flow_table *t = table(8);
	struct flow_key k;
	struct flow *f;
	int dir;

	(void)state;
	mkkey(&k, "127.0.0.1", 5000, "127.0.0.1", 5000, UDP);
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_ptr_equal(find(t, &k, T0, &dir), f);
	assert_int_equal(dir, FLOW_DIR_ORIG);
	flow_table_free(t);
}

static void
test_icmp_echo(void **state)
{
	struct flow_table *t = table(16);
	struct flow_key req, rep, other;
	struct flow *f;
	int dir;

	(void)state;
	/* echo id 0x1234 in both sport and dport */
	mkkey(&req, "10.0.0.1", 0x1234, "198.51.100.1", 0x1234, ICMP);
	reverse(&rep, &req);
	f = flow_create(t, &req, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_ptr_equal(find(t, &rep, T0, &dir), f);
	assert_int_equal(dir, FLOW_DIR_REPLY);
	mkkey(&other, "10.0.0.1", 0x1235, "198.51.100.1", 0x1235, ICMP);
	assert_null(find(t, &other, T0, NULL));
	mkkey(&req, "2001:db8::1", 7, "2001:db8::2", 7, ICMP6);
	reverse(&rep, &req);
	f = flow_create(t, &req, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_ptr_equal(find(t, &rep, T0, &dir), f);
	assert_int_equal(dir, FLOW_DIR_REPLY);
	assert_int_equal(flow_timeout_us(f), 30 * SEC);
	flow_table_free(t);
}

static void
test_create_fields(void **state)
{
	struct flow_table *t = table(8);
	struct flow_key k;
	struct flow *f, *g;

	(void)state;
	mkkey(&k, "192.0.2.9", 22, "10.0.0.1", 50000, TCP);
	f = flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, T0 + 5);
	assert_non_null(f);
	assert_int_equal(f->id, 1);
	assert_int_equal(f->origin, FLOW_ORIGIN_OUTSIDE);
	assert_int_equal(f->cls, FLOW_CLASS_INBOUND);
	assert_int_equal(f->first_us, T0 + 5);
	assert_int_equal(f->last_us, T0 + 5);
	assert_int_equal(f->verdict, 0);
	assert_int_equal(f->would, 0);
	assert_int_equal(f->reason, 0);
	assert_int_equal(f->rule, -1);
	assert_int_equal(f->tcp_state, FLOW_TCP_NONE);
	assert_int_equal(f->fin_seen, 0);
	assert_int_equal(f->pkts[0] + f->pkts[1], 0);
	assert_int_equal(f->bytes[0] + f->bytes[1], 0);
	k.sport = 23;
	g = flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, T0 + 6);
	assert_int_equal(g->id, 2);
	/* bad class: refused, not counted under any class */
	assert_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, (enum flow_class)7, T0));
	flow_table_free(t);
}

/* Fill a table of capacity n with flows 0..n-1 of class cls, 1 s apart. */
static void
fill(struct flow_table *t, uint32_t from, uint32_t n, enum flow_class cls,
    uint64_t start)
{
	struct flow_key k;
	uint32_t i;

	for (i = from; i < from + n; i++) {
		nkey(&k, i, TCP);
		assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, cls,
		    start + i * SEC));
	}
}

static bool
present(struct flow_table *t, uint32_t n, uint64_t now)
{
	struct flow_key k;

	nkey(&k, n, TCP);
	return find(t, &k, now, NULL) != NULL;
}

static void
test_denied_evicts_only_denied(void **state)
{
	struct flow_table *t = table(4);
	struct flow_stats st;
	struct flow_key k;
	uint64_t now = T0 + 100 * SEC;

	(void)state;
	fill(t, 0, 2, FLOW_CLASS_OUTBOUND, T0);
	fill(t, 2, 2, FLOW_CLASS_INBOUND, T0);
	nkey(&k, 100, TCP);
	assert_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_DENIED, now));
	flow_get_stats(t, &st);
	assert_int_equal(st.refused[FLOW_CLASS_DENIED], 1);
	assert_int_equal(st.active, 4);
	flow_table_free(t);

	/* with DENIED flows in the table, DENIED pushes out the oldest of them */
	t = table(4);
	fill(t, 0, 2, FLOW_CLASS_DENIED, T0);
	fill(t, 2, 2, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_DENIED, now));
	assert_false(present(t, 0, now));
	assert_true(present(t, 1, now));
	flow_get_stats(t, &st);
	assert_int_equal(st.evicted[FLOW_CLASS_DENIED], 1);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 0);
	flow_table_free(t);
}

static void
test_inbound_never_evicts_outbound(void **state)
{
	struct flow_table *t = table(3);
	struct flow_stats st;
	struct flow_key k;
	uint64_t now = T0 + 100 * SEC;

	(void)state;
	fill(t, 0, 3, FLOW_CLASS_OUTBOUND, T0);
	nkey(&k, 100, TCP);
	assert_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	assert_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	flow_get_stats(t, &st);
	assert_int_equal(st.refused[FLOW_CLASS_INBOUND], 2);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 0);
	assert_true(present(t, 0, now) && present(t, 1, now) && present(t, 2, now));
	flow_table_free(t);
}

static void
test_inbound_evicts_denied_then_inbound(void **state)
{
	struct flow_table *t = table(4);
	struct flow_stats st;
	struct flow_key k;
	uint64_t now = T0 + 100 * SEC;

	(void)state;
	fill(t, 0, 1, FLOW_CLASS_INBOUND, T0);		/* oldest of all */
	fill(t, 1, 1, FLOW_CLASS_DENIED, T0);
	fill(t, 2, 1, FLOW_CLASS_INBOUND, T0);
	fill(t, 3, 1, FLOW_CLASS_OUTBOUND, T0);
	nkey(&k, 100, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	assert_false(present(t, 1, now));		/* DENIED first */
	k.sport++;
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	assert_false(present(t, 0, now));		/* then LRU INBOUND */
	assert_true(present(t, 2, now));
	k.sport++;
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	assert_false(present(t, 2, now));
	assert_true(present(t, 3, now));
	flow_get_stats(t, &st);
	assert_int_equal(st.evicted[FLOW_CLASS_DENIED], 1);
	assert_int_equal(st.evicted[FLOW_CLASS_INBOUND], 2);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 0);
	flow_table_free(t);
}

static void
test_outbound_evict_order(void **state)
{
	struct flow_table *t = table(5);
	struct flow_stats st;
	struct flow_key k;
	uint64_t now = T0 + 100 * SEC;
	int i;

	(void)state;
	fill(t, 0, 1, FLOW_CLASS_OUTBOUND, T0);		/* oldest of all */
	fill(t, 1, 1, FLOW_CLASS_INBOUND, T0);
	fill(t, 2, 1, FLOW_CLASS_DENIED, T0);
	fill(t, 3, 1, FLOW_CLASS_INBOUND, T0);
	fill(t, 4, 1, FLOW_CLASS_OUTBOUND, T0);
	nkey(&k, 100, TCP);
	for (i = 0; i < 5; i++) {
		k.sport = (uint16_t)(100 + i);
		assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE,
		    FLOW_CLASS_OUTBOUND, now + (uint64_t)i));
		switch (i) {
		case 0:		/* the DENIED one */
			assert_false(present(t, 2, now));
			assert_true(present(t, 0, now) && present(t, 1, now));
			break;
		case 1:		/* LRU INBOUND */
			assert_false(present(t, 1, now));
			assert_true(present(t, 3, now) && present(t, 0, now));
			break;
		case 2:		/* the other INBOUND */
			assert_false(present(t, 3, now));
			assert_true(present(t, 0, now));
			break;
		case 3:		/* LRU OUTBOUND */
			assert_false(present(t, 0, now));
			assert_true(present(t, 4, now));
			break;
		case 4:
			assert_false(present(t, 4, now));
			break;
		}
	}
	flow_get_stats(t, &st);
	assert_int_equal(st.evicted[FLOW_CLASS_DENIED], 1);
	assert_int_equal(st.evicted[FLOW_CLASS_INBOUND], 2);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 2);
	assert_int_equal(st.refused[FLOW_CLASS_OUTBOUND], 0);
	flow_table_free(t);
}

static void
test_expired_go_first(void **state)
{
	struct flow_table *t = table(3);
	struct flow_stats st;
	struct flow_key k;
	struct flow *f;
	struct ends e = { 0 };
	uint64_t now;

	(void)state;
	flow_on_end(t, count_end, &e);
	fill(t, 0, 1, FLOW_CLASS_DENIED, T0);		/* TCP NONE: 24 h */
	/* an OUTBOUND UDP flow: 30 s without a reply */
	nkey(&k, 1, UDP);
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0 + SEC);
	assert_non_null(f);
	fill(t, 2, 1, FLOW_CLASS_OUTBOUND, T0);
	now = T0 + SEC + 30 * SEC + 1;
	/* a DENIED flow may take the expired OUTBOUND slot, not the DENIED one */
	nkey(&k, 100, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_DENIED, now));
	assert_true(present(t, 0, now));
	assert_true(present(t, 2, now));
	flow_get_stats(t, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.evicted[0] + st.evicted[1] + st.evicted[2], 0);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.last_id, 2);
	flow_table_free(t);
}

/* Create a flow with proto and drive it to a state; check its timeout edge. */
static void
check_timeout(uint8_t proto, const uint8_t *flags, const int *dirs, size_t n,
    int want_state, uint64_t want_to)
{
	struct flow_table *t = table(4);
	struct flow_key k;
	struct flow *f;
	uint64_t last;
	size_t i;

	nkey(&k, 1, proto);
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(f);
	for (i = 0; i < n; i++)
		flow_update(t, f, dirs[i], flags[i], 60, T0 + i * SEC);
	assert_int_equal(f->tcp_state, want_state);
	assert_int_equal(flow_timeout_us(f), want_to);
	last = f->last_us;
	assert_ptr_equal(find(t, &k, last + want_to - 1, NULL), f);
	assert_ptr_equal(find(t, &k, last + want_to, NULL), f);
	assert_null(find(t, &k, last + want_to + 1, NULL));
	assert_null(find(t, &k, last, NULL));		/* gone for good */
	flow_table_free(t);
}

static void
test_timeouts_tcp(void **state)
{
	static const uint8_t syn[] = { SYN };
	static const uint8_t synack[] = { SYN, SYN | ACK };
	static const uint8_t est[] = { SYN, SYN | ACK, ACK };
	static const uint8_t fin[] = { SYN, SYN | ACK, ACK, FIN | ACK };
	static const uint8_t fin2[] = { SYN, SYN | ACK, ACK, FIN | ACK, FIN | ACK };
	static const uint8_t closed[] = { SYN, SYN | ACK, ACK, FIN | ACK,
	    FIN | ACK, ACK };
	static const uint8_t rst[] = { SYN, RST };
	static const uint8_t mid[] = { ACK, ACK };
	static const int d[] = { 0, 1, 0, 0, 1, 0 };

	(void)state;
	check_timeout(TCP, NULL, NULL, 0, FLOW_TCP_NONE, 24 * HOUR);
	check_timeout(TCP, mid, d, 2, FLOW_TCP_NONE, 24 * HOUR);
	check_timeout(TCP, syn, d, 1, FLOW_TCP_SYN_SENT, 30 * SEC);
	check_timeout(TCP, synack, d, 2, FLOW_TCP_SYN_RECV, 30 * SEC);
	check_timeout(TCP, est, d, 3, FLOW_TCP_ESTABLISHED, 24 * HOUR);
	check_timeout(TCP, fin, d, 4, FLOW_TCP_FIN_WAIT, 120 * SEC);
	check_timeout(TCP, fin2, d, 5, FLOW_TCP_CLOSING, 30 * SEC);
	check_timeout(TCP, closed, d, 6, FLOW_TCP_CLOSED, 10 * SEC);
	check_timeout(TCP, rst, d, 2, FLOW_TCP_CLOSED, 10 * SEC);
}

static void
test_timeouts_other(void **state)
{
	static const uint8_t none[] = { 0, 0, 0 };
	static const int oo[] = { 0, 0, 0 };
	static const int orp[] = { 0, 1, 0 };

	(void)state;
	check_timeout(UDP, NULL, NULL, 0, FLOW_TCP_NONE, 30 * SEC);
	check_timeout(UDP, none, oo, 3, FLOW_TCP_NONE, 30 * SEC);
	check_timeout(UDP, none, orp, 3, FLOW_TCP_NONE, 120 * SEC);
	check_timeout(ICMP, none, orp, 2, FLOW_TCP_NONE, 30 * SEC);
	check_timeout(ICMP6, none, orp, 2, FLOW_TCP_NONE, 30 * SEC);
	check_timeout(47, none, orp, 2, FLOW_TCP_NONE, 60 * SEC);	/* GRE */
	check_timeout(132, none, oo, 1, FLOW_TCP_NONE, 60 * SEC);	/* SCTP */
	/* TCP flags on a UDP flow are ignored */
	{
		static const uint8_t f[] = { SYN, RST };
		check_timeout(UDP, f, oo, 2, FLOW_TCP_NONE, 30 * SEC);
	}
}

static void
test_lookup_expired_removes(void **state)
{
	struct flow_table *t = table(4);
	struct flow_stats st;
	struct flow_key k, r;
	struct flow *f;
	struct ends e = { 0 };
	uint64_t id;

	(void)state;
	flow_on_end(t, count_end, &e);
	mkkey(&k, "10.0.0.1", 5353, "192.0.2.53", 53, UDP);
	reverse(&r, &k);
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	id = f->id;
	/* a lookup in the reply direction expires it too */
	assert_null(find(t, &r, T0 + 31 * SEC, NULL));
	assert_int_equal(e.n, 1);
	assert_int_equal(e.last_id, id);
	flow_get_stats(t, &st);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.active, 0);
	/* a new flow with the same key gets a new id */
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0 + 32 * SEC);
	assert_true(f->id > id);
	flow_table_free(t);
	assert_int_equal(e.n, 2);
}

static struct flow *
tcp_flow(struct flow_table *t, struct flow_key *k)
{
	struct flow *f;

	mkkey(k, "10.0.0.1", 50000, "203.0.113.5", 443, TCP);
	f = flow_create(t, k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(f);
	return f;
}

static void
test_tcp_handshake_fin_fin_ack(void **state)
{
	struct flow_table *t = table(4);
	struct flow_key k;
	struct flow *f = tcp_flow(t, &k);
	uint64_t now = T0;

	(void)state;
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, now++);	/* retransmit */
	assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 52, now++);	/* no reply yet */
	assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
	flow_update(t, f, FLOW_DIR_REPLY, SYN | ACK, 60, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_SYN_RECV);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 52, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
	flow_update(t, f, FLOW_DIR_ORIG, ACK | 0x08, 1500, now++);
	flow_update(t, f, FLOW_DIR_REPLY, ACK, 52, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
	/* a stray SYN does not reset an established flow */
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
	flow_update(t, f, FLOW_DIR_REPLY, FIN | ACK, 52, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_FIN_WAIT);
	assert_int_equal(f->fin_seen, 1 << FLOW_DIR_REPLY);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 52, now++);	/* half closed */
	assert_int_equal(f->tcp_state, FLOW_TCP_FIN_WAIT);
	flow_update(t, f, FLOW_DIR_ORIG, FIN | ACK, 52, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_CLOSING);
	assert_int_equal(f->fin_seen, 3);
	flow_update(t, f, FLOW_DIR_ORIG, FIN | ACK, 52, now++);	/* retransmit */
	assert_int_equal(f->tcp_state, FLOW_TCP_CLOSING);
	flow_update(t, f, FLOW_DIR_REPLY, ACK, 52, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
	flow_update(t, f, FLOW_DIR_REPLY, FIN | ACK, 52, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
	/* the 5-tuple reused: a new SYN from the initiator starts over */
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, now++);
	assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
	assert_int_equal(f->fin_seen, 0);
	flow_table_free(t);
}

static void
test_tcp_rst(void **state)
{
	struct flow_table *t = table(4);
	struct flow_key k;
	struct flow *f;

	(void)state;
	f = tcp_flow(t, &k);
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, T0);
	flow_update(t, f, FLOW_DIR_REPLY, RST | ACK, 40, T0 + 1);	/* refused */
	assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
	flow_delete(t, f);

	f = tcp_flow(t, &k);
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, T0);
	flow_update(t, f, FLOW_DIR_REPLY, SYN | ACK, 60, T0 + 1);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 52, T0 + 2);
	flow_update(t, f, FLOW_DIR_ORIG, RST, 40, T0 + 3);
	assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
	/* RST with everything else set still closes */
	f->tcp_state = FLOW_TCP_ESTABLISHED;
	flow_update(t, f, FLOW_DIR_REPLY, 0xff, 40, T0 + 4);
	assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
	flow_table_free(t);
}

static void
test_tcp_lost_synack(void **state)
{
	struct flow_table *t = table(4);
	struct flow_key k;
	struct flow *f = tcp_flow(t, &k);

	(void)state;
	/* the capture missed the SYN+ACK: data both ways still establishes */
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, T0);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 52, T0 + 1);
	assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
	flow_update(t, f, FLOW_DIR_REPLY, ACK, 1500, T0 + 2);
	assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
	flow_table_free(t);
}

static void
test_tcp_midstream(void **state)
{
	struct flow_table *t = table(4);
	struct flow_key k;
	struct flow *f = tcp_flow(t, &k);

	(void)state;
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 1500, T0);
	flow_update(t, f, FLOW_DIR_REPLY, ACK, 52, T0 + 1);
	assert_int_equal(f->tcp_state, FLOW_TCP_NONE);
	assert_int_equal(flow_timeout_us(f), 24 * HOUR);
	/* a SYN+ACK out of nowhere changes nothing */
	flow_update(t, f, FLOW_DIR_REPLY, SYN | ACK, 52, T0 + 2);
	assert_int_equal(f->tcp_state, FLOW_TCP_NONE);
	flow_update(t, f, FLOW_DIR_ORIG, FIN | ACK, 52, T0 + 3);
	assert_int_equal(f->tcp_state, FLOW_TCP_FIN_WAIT);
	assert_int_equal(f->fin_seen, 1);
	flow_table_free(t);
}

static void
test_tcp_odd_flags(void **state)
{
	struct flow_table *t = table(4);
	struct flow_key k;
	struct flow *f = tcp_flow(t, &k);
	unsigned st, fl, d;

	(void)state;
	for (st = 0; st <= 7; st++)
		for (fl = 0; fl < 256; fl++)
			for (d = 0; d < 3; d++) {
				f->tcp_state = (uint8_t)st;
				f->fin_seen = (uint8_t)fl;	/* junk too */
				flow_update(t, f, (int)d, (uint8_t)fl, 1, T0);
				assert_true(f->tcp_state <= FLOW_TCP_CLOSED);
				assert_non_null(flow_tcp_state_name(f->tcp_state));
				assert_ptr_equal(find(t, &k, T0, NULL), f);
			}
	flow_table_free(t);
}

static void
test_update_counters(void **state)
{
	struct flow_table *t = table(4);
	struct flow_key k;
	struct flow *f = tcp_flow(t, &k);

	(void)state;
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, T0 + 10);
	flow_update(t, f, FLOW_DIR_REPLY, SYN | ACK, 64, T0 + 20);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 1000, T0 + 30);
	assert_int_equal(f->pkts[FLOW_DIR_ORIG], 2);
	assert_int_equal(f->pkts[FLOW_DIR_REPLY], 1);
	assert_int_equal(f->bytes[FLOW_DIR_ORIG], 1060);
	assert_int_equal(f->bytes[FLOW_DIR_REPLY], 64);
	assert_int_equal(f->first_us, T0);
	assert_int_equal(f->last_us, T0 + 30);
	/* a clock that steps back leaves last_us alone */
	flow_update(t, f, FLOW_DIR_REPLY, ACK, 52, T0 + 5);
	assert_int_equal(f->last_us, T0 + 30);
	assert_ptr_equal(find(t, &k, T0 + 1, NULL), f);
	/* packet counters saturate */
	f->pkts[FLOW_DIR_REPLY] = UINT32_MAX;
	flow_update(t, f, FLOW_DIR_REPLY, ACK, 52, T0 + 40);
	assert_int_equal(f->pkts[FLOW_DIR_REPLY], UINT32_MAX);
	flow_table_free(t);
}

static void
test_update_moves_to_tail(void **state)
{
	struct flow_table *t = table(3);
	struct flow_key k;
	struct flow *f;
	uint64_t now = T0 + 100 * SEC;

	(void)state;
	fill(t, 0, 3, FLOW_CLASS_INBOUND, T0);
	/* flow 0 was the least recently seen; a packet makes it the most */
	nkey(&k, 0, TCP);
	f = find(t, &k, now, NULL);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 52, now);
	nkey(&k, 100, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	assert_true(present(t, 0, now));
	assert_false(present(t, 1, now));
	assert_true(present(t, 2, now));
	flow_table_free(t);
}

static void
test_set_class(void **state)
{
	struct flow_table *t = table(2);
	struct flow_stats st;
	struct flow_key k;
	struct flow *f;
	uint64_t now = T0 + 100 * SEC;

	(void)state;
	fill(t, 0, 2, FLOW_CLASS_INBOUND, T0);
	nkey(&k, 0, TCP);
	f = find(t, &k, now, NULL);
	flow_set_class(t, f, FLOW_CLASS_OUTBOUND);
	assert_int_equal(f->cls, FLOW_CLASS_OUTBOUND);
	flow_set_class(t, f, FLOW_CLASS_OUTBOUND);	/* no-op */
	flow_set_class(t, f, (enum flow_class)9);	/* ignored */
	assert_int_equal(f->cls, FLOW_CLASS_OUTBOUND);
	/* an INBOUND newcomer can take flow 1 only */
	nkey(&k, 100, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	assert_true(present(t, 0, now));
	assert_false(present(t, 1, now));
	k.sport++;
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, now));
	assert_true(present(t, 0, now));
	/* demoted to DENIED, it is fair game for anyone */
	nkey(&k, 0, TCP);
	f = find(t, &k, now, NULL);
	flow_set_class(t, f, FLOW_CLASS_DENIED);
	nkey(&k, 200, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_DENIED, now));
	assert_false(present(t, 0, now));
	flow_get_stats(t, &st);
	assert_int_equal(st.evicted[FLOW_CLASS_DENIED], 1);
	assert_int_equal(st.evicted[FLOW_CLASS_INBOUND], 2);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 0);
	flow_table_free(t);
}

static void
test_delete_reuse(void **state)
{
	struct flow_table *t = table(2);
	struct flow_stats st;
	struct flow_key k;
	struct flow *f, *g;
	struct ends e = { 0 };
	int i;

	(void)state;
	flow_on_end(t, count_end, &e);
	for (i = 0; i < 1000; i++) {
		nkey(&k, (uint32_t)i, TCP);
		f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_DENIED, T0);
		assert_non_null(f);
		assert_ptr_equal(find(t, &k, T0, NULL), f);
		flow_delete(t, f);
		assert_null(find(t, &k, T0, NULL));
	}
	flow_get_stats(t, &st);
	assert_int_equal(st.deleted, 1000);
	assert_int_equal(st.created, 1000);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.evicted[FLOW_CLASS_DENIED], 0);
	assert_int_equal(e.n, 1000);
	/* a deleted slot is reused; deleting twice does nothing */
	nkey(&k, 1, TCP);
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	flow_delete(t, f);
	flow_delete(t, f);
	nkey(&k, 2, TCP);
	g = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_ptr_equal(f, g);
	flow_get_stats(t, &st);
	assert_int_equal(st.deleted, 1001);
	assert_int_equal(st.active, 1);
	assert_int_equal(e.n, 1001);
	flow_table_free(t);
}

static void
test_expire_budget(void **state)
{
	struct flow_table *t = table(64);
	struct flow_stats st;
	struct flow_key k;
	struct ends e = { 0 };
	uint32_t i;
	uint64_t now;

	(void)state;
	flow_on_end(t, count_end, &e);
	/* 10 UDP flows seen at T0 .. T0+9 s: 30 s each */
	for (i = 0; i < 10; i++) {
		nkey(&k, i, UDP);
		assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE,
		    FLOW_CLASS_OUTBOUND, T0 + i * SEC));
	}
	fill(t, 100, 5, FLOW_CLASS_INBOUND, T0);	/* TCP NONE: 24 h */
	assert_int_equal(flow_expire(t, T0 + 30 * SEC, 100), 0);
	now = T0 + 35 * SEC;			/* flows 0..4 are past 30 s */
	assert_int_equal(flow_expire(t, now, 3), 3);
	assert_int_equal(e.n, 3);
	/* oldest first */
	assert_int_equal(e.ids[0], 1);
	assert_int_equal(e.ids[1], 2);
	assert_int_equal(e.ids[2], 3);
	assert_int_equal(flow_expire(t, now, 0), 0);
	assert_int_equal(flow_expire(t, now, 100), 2);
	assert_int_equal(flow_expire(t, now, 100), 0);
	assert_int_equal(flow_expire(t, T0 + HOUR, 100), 5);
	flow_get_stats(t, &st);
	assert_int_equal(st.expired, 10);
	assert_int_equal(st.active, 5);
	assert_int_equal(flow_expire(t, T0 + 25 * HOUR, 100), 5);
	flow_get_stats(t, &st);
	assert_int_equal(st.active, 0);
	flow_table_free(t);
}

/* A long-lived idle flow at the head must not hide expired flows behind it. */
static void
test_expire_behind_long_flow(void **state)
{
	struct flow_table *t = table(4);
	struct flow_stats st;
	struct flow_key k;
	uint64_t now = T0 + 31 * SEC;

	(void)state;
	fill(t, 0, 1, FLOW_CLASS_OUTBOUND, T0);		/* TCP, 24 h */
	nkey(&k, 1, UDP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0));
	nkey(&k, 2, UDP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0));
	fill(t, 3, 1, FLOW_CLASS_OUTBOUND, T0);
	/* full of OUTBOUND: a newcomer takes an expired UDP slot, not flow 0 */
	nkey(&k, 100, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, now));
	assert_true(present(t, 0, now));
	assert_int_equal(flow_expire(t, now, 10), 1);
	flow_get_stats(t, &st);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 0);
	assert_true(present(t, 0, now));
	assert_true(present(t, 3, now));
	flow_table_free(t);
}

static void
test_on_end_all_paths(void **state)
{
	struct flow_table *t = table(3);
	struct flow_key k;
	struct ends e = { 0 };

	(void)state;
	flow_on_end(t, count_end, &e);
	fill(t, 0, 3, FLOW_CLASS_OUTBOUND, T0);
	nkey(&k, 10, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE,
	    FLOW_CLASS_OUTBOUND, T0 + 10 * SEC));		/* evicts id 1 */
	assert_int_equal(e.n, 1);
	assert_int_equal(e.ids[0], 1);
	flow_delete(t, find(t, &k, T0 + 10 * SEC, NULL));	/* deletes id 4 */
	assert_int_equal(e.n, 2);
	assert_int_equal(e.ids[1], 4);
	nkey(&k, 11, UDP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE,
	    FLOW_CLASS_OUTBOUND, T0 + 10 * SEC));
	assert_int_equal(flow_expire(t, T0 + 50 * SEC, 10), 1);	/* id 5 */
	assert_int_equal(e.n, 3);
	assert_int_equal(e.ids[2], 5);
	flow_table_free(t);				/* ids 2 and 3 */
	assert_int_equal(e.n, 5);

	/* no callback registered: still fine */
	t = table(1);
	fill(t, 0, 1, FLOW_CLASS_OUTBOUND, T0);
	fill(t, 1, 1, FLOW_CLASS_OUTBOUND, T0);
	flow_table_free(t);
}

static void
test_stats(void **state)
{
	struct flow_table *t = table(10);
	struct flow_stats st;
	struct flow_key k;

	(void)state;
	flow_get_stats(t, &st);
	assert_int_equal(st.capacity, 10);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.created, 0);
	fill(t, 0, 10, FLOW_CLASS_INBOUND, T0);
	nkey(&k, 50, TCP);
	assert_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_DENIED, T0));
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, T0));
	flow_delete(t, find(t, &k, T0, NULL));
	flow_get_stats(t, &st);
	assert_int_equal(st.capacity, 10);
	assert_int_equal(st.created, 11);
	assert_int_equal(st.active, 9);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(st.refused[FLOW_CLASS_DENIED], 1);
	assert_int_equal(st.refused[FLOW_CLASS_INBOUND], 0);
	assert_int_equal(st.evicted[FLOW_CLASS_INBOUND], 1);
	assert_int_equal(st.expired, 0);
	flow_table_free(t);
}

static void
test_capacity_one(void **state)
{
	struct flow_table *t = table(1);
	struct flow_stats st;
	struct flow_key a, b, r;
	struct flow *f;
	int dir;

	(void)state;
	mkkey(&a, "10.0.0.1", 1, "192.0.2.1", 2, TCP);
	mkkey(&b, "10.0.0.1", 3, "192.0.2.1", 4, UDP);
	f = flow_create(t, &a, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(f);
	assert_null(flow_create(t, &b, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_INBOUND, T0));
	assert_null(flow_create(t, &b, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_DENIED, T0));
	f = flow_create(t, &b, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0 + 1);
	assert_non_null(f);
	assert_null(find(t, &a, T0 + 1, NULL));
	reverse(&r, &b);
	assert_ptr_equal(find(t, &r, T0 + 1, &dir), f);
	assert_int_equal(dir, FLOW_DIR_REPLY);
	flow_get_stats(t, &st);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 1);
	assert_int_equal(st.refused[FLOW_CLASS_INBOUND], 1);
	assert_int_equal(st.refused[FLOW_CLASS_DENIED], 1);
	flow_delete(t, f);
	assert_non_null(flow_create(t, &a, FLOW_ORIGIN_OUTSIDE, FLOW_CLASS_DENIED, T0 + 2));
	flow_table_free(t);
}

#define MANY	100000

static void
test_many_flows(void **state)
{
	struct flow_table *t = table(MANY);
	struct flow_stats st;
	struct flow_key k, r;
	struct flow *f;
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint32_t i;
	int dir;

	(void)state;
	/* half IPv4, half IPv6; all to the same server port */
	for (i = 0; i < MANY; i++) {
		if (i % 2 == 0) {
			nkey(&k, i, i % 4 == 0 ? TCP : UDP);
		} else {
			memset(&k, 0, sizeof(k));
			a[12] = (uint8_t)(i >> 24);
			a[13] = (uint8_t)(i >> 16);
			a[14] = (uint8_t)(i >> 8);
			a[15] = (uint8_t)i;
			addr_set6(&k.src, a);
			assert_int_equal(addr_parse(&k.dst, "2001:db8::443"), 0);
			k.sport = 50000;
			k.dport = 443;
			k.proto = TCP;
		}
		f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
		assert_non_null(f);
		assert_int_equal(f->id, i + 1);
	}
	flow_get_stats(t, &st);
	assert_int_equal(st.active, MANY);
	assert_int_equal(st.evicted[FLOW_CLASS_OUTBOUND], 0);
	for (i = 0; i < MANY; i++) {
		if (i % 2 == 0) {
			nkey(&k, i, i % 4 == 0 ? TCP : UDP);
		} else {
			memset(&k, 0, sizeof(k));
			a[12] = (uint8_t)(i >> 24);
			a[13] = (uint8_t)(i >> 16);
			a[14] = (uint8_t)(i >> 8);
			a[15] = (uint8_t)i;
			addr_set6(&k.src, a);
			assert_int_equal(addr_parse(&k.dst, "2001:db8::443"), 0);
			k.sport = 50000;
			k.dport = 443;
			k.proto = TCP;
		}
		reverse(&r, &k);
		f = find(t, &k, T0 + SEC, &dir);
		assert_non_null(f);
		assert_int_equal(f->id, i + 1);
		assert_int_equal(dir, FLOW_DIR_ORIG);
		assert_ptr_equal(find(t, &r, T0 + SEC, &dir), f);
		assert_int_equal(dir, FLOW_DIR_REPLY);
		if (i % 3 == 0)
			flow_delete(t, f);
	}
	for (i = 0; i < MANY; i += 2) {
		nkey(&k, i, i % 4 == 0 ? TCP : UDP);
		f = find(t, &k, T0 + SEC, NULL);
		if (i % 3 == 0)
			assert_null(f);
		else
			assert_int_equal(f->id, i + 1);
	}
	flow_table_free(t);
}

/* Small table, full buckets: chains of several flows stay consistent. */
static void
test_collisions(void **state)
{
	struct flow_table *t = table(16);
	struct flow_key k;
	struct flow *f[16];
	uint32_t i, round;

	(void)state;
	for (round = 0; round < 50; round++) {
		for (i = 0; i < 16; i++) {
			nkey(&k, round * 16 + i, TCP);
			f[i] = flow_create(t, &k, FLOW_ORIGIN_INSIDE,
			    FLOW_CLASS_OUTBOUND, T0);
			assert_non_null(f[i]);
		}
		/* delete from the middle of chains, in a scattered order */
		for (i = 0; i < 16; i++) {
			uint32_t j = (i * 7) % 16, m;

			flow_delete(t, f[j]);
			f[j] = NULL;
			for (m = 0; m < 16; m++) {
				nkey(&k, round * 16 + m, TCP);
				assert_ptr_equal(find(t, &k, T0, NULL), f[m]);
			}
		}
	}
	flow_table_free(t);
}

static void
test_state_names(void **state)
{
	(void)state;
	assert_string_equal(flow_tcp_state_name(FLOW_TCP_NONE), "none");
	assert_string_equal(flow_tcp_state_name(FLOW_TCP_SYN_SENT), "syn_sent");
	assert_string_equal(flow_tcp_state_name(FLOW_TCP_SYN_RECV), "syn_recv");
	assert_string_equal(flow_tcp_state_name(FLOW_TCP_ESTABLISHED), "established");
	assert_string_equal(flow_tcp_state_name(FLOW_TCP_FIN_WAIT), "fin_wait");
	assert_string_equal(flow_tcp_state_name(FLOW_TCP_CLOSING), "closing");
	assert_string_equal(flow_tcp_state_name(FLOW_TCP_CLOSED), "closed");
	assert_string_equal(flow_tcp_state_name(7), "unknown");
	assert_string_equal(flow_tcp_state_name(-1), "unknown");
}

static void
test_stray_pointer(void **state)
{
	struct flow_table *t = table(2);
	struct flow_stats st;
	struct flow bogus;

	(void)state;
	memset(&bogus, 0, sizeof(bogus));
	flow_update(t, &bogus, FLOW_DIR_ORIG, SYN, 60, T0);
	flow_set_class(t, &bogus, FLOW_CLASS_DENIED);
	flow_delete(t, &bogus);
	flow_get_stats(t, &st);
	assert_int_equal(st.deleted, 0);
	assert_int_equal(bogus.pkts[0], 0);
	flow_table_free(t);
}

/* flow_recent: the flows seen last, newest first, across classes and lists. */
static void
test_recent(void **state)
{
	struct flow_table *t = table(64);
	const struct flow *out[4];
	struct flow *f[10];
	struct flow_key k;
	uint32_t i;

	(void)state;
	assert_int_equal(flow_recent(t, out, 4), 0);
	for (i = 0; i < 10; i++) {
		nkey(&k, i, i % 2 ? UDP : TCP);
		f[i] = flow_create(t, &k, FLOW_ORIGIN_INSIDE,
		    i % 3 == 0 ? FLOW_CLASS_DENIED : FLOW_CLASS_OUTBOUND, T0 + i);
		assert_non_null(f[i]);
	}
	/* flow 2 comes back last, flow 7 just before it */
	flow_update(t, f[7], FLOW_DIR_ORIG, 0, 40, T0 + 100);
	flow_update(t, f[2], FLOW_DIR_ORIG, 0, 40, T0 + 200);
	assert_int_equal(flow_recent(t, out, 4), 4);
	assert_ptr_equal(out[0], f[2]);
	assert_ptr_equal(out[1], f[7]);
	assert_ptr_equal(out[2], f[9]);
	assert_ptr_equal(out[3], f[8]);
	/* fewer flows than asked */
	assert_int_equal(flow_recent(t, out, 0), 0);
	flow_table_free(t);
	t = table(64);
	nkey(&k, 1, TCP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0));
	assert_int_equal(flow_recent(t, out, 4), 1);
	flow_table_free(t);
}


static void
close_it(struct flow *f, void *arg)
{
	(void)arg;
	f->tcp_state = FLOW_TCP_CLOSED;
}

/*
 * The hash kept for a key (flow_lookup's, flow_prefetch's) serves only that
 * key, either way round; any other key is hashed afresh and found again.
 */
static void
test_hash_memo(void **state)
{
	struct flow_table *t = table(64);
	struct flow_key a, b, c, r, v6;
	struct flow *fa, *fb, *fc, *f6;
	int dir;

	(void)state;
	nkey(&a, 1, TCP);
	nkey(&b, 2, TCP);
	nkey(&c, 3, UDP);
	mkkey(&v6, "2001:db8::1", 5000, "2001:db8::2", 443, TCP);
	/* prefetch a, look up b: create a from the prefetch, b from the lookup */
	flow_prefetch(t, &a);
	assert_null(find(t, &b, T0, NULL));
	fa = flow_create(t, &a, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	fb = flow_create(t, &b, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	/* c was never looked up or prefetched: hashed at creation */
	fc = flow_create(t, &c, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(fa);
	assert_non_null(fb);
	assert_non_null(fc);
	/* the reply's prefetch serves the flow created by the original */
	reverse(&r, &v6);
	flow_prefetch(t, &r);
	f6 = flow_create(t, &v6, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0);
	assert_non_null(f6);
	assert_ptr_equal(find(t, &a, T0, &dir), fa);
	assert_int_equal(dir, FLOW_DIR_ORIG);
	assert_ptr_equal(find(t, &b, T0, NULL), fb);
	assert_ptr_equal(find(t, &c, T0, NULL), fc);
	assert_ptr_equal(find(t, &r, T0, &dir), f6);
	assert_int_equal(dir, FLOW_DIR_REPLY);
	assert_ptr_equal(find(t, &v6, T0, &dir), f6);
	assert_int_equal(dir, FLOW_DIR_ORIG);
	/* the keys differ only by a port: the memo of one is not the other's */
	b.sport++;
	flow_prefetch(t, &b);
	assert_null(find(t, &b, T0, NULL));
	flow_table_free(t);
}

/*
 * Keys prefetched several at a time (replay reads frames ahead): each is
 * found by its own hash, looked up in the order prefetched or not, and the
 * ring of kept hashes wraps without serving a key another's.
 */
static void
test_prefetch_ahead(void **state)
{
	struct flow_table *t = table(256);
	struct flow_key k[40], r;
	struct flow *f[40];
	int dir, i, j;

	(void)state;
	for (i = 0; i < 40; i++)
		nkey(&k[i], (uint32_t)i + 1, i % 3 ? TCP : UDP);
	/* eight ahead, in order: the way replay runs */
	for (i = 0; i < 8; i++)
		flow_prefetch(t, &k[i]);
	for (i = 0; i < 40; i++) {
		assert_null(find(t, &k[i], T0, NULL));
		f[i] = flow_create(t, &k[i], FLOW_ORIGIN_INSIDE,
		    FLOW_CLASS_OUTBOUND, T0);
		assert_non_null(f[i]);
		if (i + 8 < 40)
			flow_prefetch(t, &k[i + 8]);
	}
	/* out of order, replies among them, more than the ring holds */
	for (i = 0; i < 40; i++) {
		j = (i * 17) % 40;
		if (i % 2) {
			reverse(&r, &k[j]);
			flow_prefetch(t, &r);
		} else {
			flow_prefetch(t, &k[j]);
		}
	}
	for (i = 39; i >= 0; i--) {
		assert_ptr_equal(find(t, &k[i], T0, &dir), f[i]);
		assert_int_equal(dir, FLOW_DIR_ORIG);
		reverse(&r, &k[i]);
		assert_ptr_equal(find(t, &r, T0, &dir), f[i]);
		assert_int_equal(dir, FLOW_DIR_REPLY);
	}
	/* a port apart from a prefetched key: not that key's flow */
	r = k[5];
	r.sport++;
	flow_prefetch(t, &k[5]);
	assert_null(find(t, &r, T0, NULL));
	flow_table_free(t);
}

/*
 * A flow leaves its LRU list by what it was put on, not by its state now:
 * here a head's and a middle flow's tcp_state are written from outside,
 * then the head deleted; the rest are still evicted oldest first.
 */
static void
test_unlink_after_state_write(void **state)
{
	struct flow_table *t = table(3);
	struct flow_key k;
	struct flow *a, *b;
	const struct flow *out[4];

	(void)state;
	fill(t, 0, 3, FLOW_CLASS_OUTBOUND, T0);	/* TCP NONE, seen T0 .. T0+2 s */
	nkey(&k, 0, TCP);
	a = find(t, &k, T0 + 3 * SEC, NULL);
	nkey(&k, 1, TCP);
	b = find(t, &k, T0 + 3 * SEC, NULL);
	assert_non_null(a);
	assert_non_null(b);
	a->tcp_state = FLOW_TCP_SYN_SENT;
	b->tcp_state = FLOW_TCP_CLOSED;
	flow_delete(t, a);
	fill(t, 3, 1, FLOW_CLASS_OUTBOUND, T0);	/* the free slot */
	fill(t, 4, 1, FLOW_CLASS_OUTBOUND, T0);	/* full: evicts flow 1 */
	assert_false(present(t, 1, T0 + 5 * SEC));
	assert_true(present(t, 2, T0 + 5 * SEC));
	assert_true(present(t, 3, T0 + 5 * SEC));
	assert_true(present(t, 4, T0 + 5 * SEC));
	fill(t, 5, 1, FLOW_CLASS_OUTBOUND, T0);	/* then flow 2 */
	assert_false(present(t, 2, T0 + 6 * SEC));
	assert_int_equal(flow_recent(t, out, 4), 3);
	assert_int_equal(out[0]->key.src.b[3], 5);
	assert_int_equal(out[2]->key.src.b[3], 3);
	flow_table_free(t);
}

/*
 * flow_expire looks at the list heads only once the earliest deadline
 * among them has passed; that bound must follow every change of a head:
 * a new head with an earlier deadline (the clock stepped back), and a
 * state that flow_foreach changed.
 */
static void
test_expire_deadline_follows_heads(void **state)
{
	struct flow_table *t = table(8);
	struct flow_key k;
	struct flow *a, *f;

	(void)state;
	/* a seen at T0+20 s, then b at T0 (the clock stepped back): b is behind a */
	nkey(&k, 0, UDP);
	a = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0 + 20 * SEC);
	nkey(&k, 1, UDP);
	assert_non_null(flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0));
	assert_int_equal(flow_expire(t, T0 + SEC, 10), 0);	/* a's head: T0+50 s */
	flow_delete(t, a);
	/* b, the head now, is past its 30 s at T0+31 s */
	assert_int_equal(flow_expire(t, T0 + 31 * SEC, 10), 1);

	/* an established flow, 24 h; closed by a visitor: 10 s */
	nkey(&k, 2, TCP);
	f = flow_create(t, &k, FLOW_ORIGIN_INSIDE, FLOW_CLASS_OUTBOUND, T0 + 40 * SEC);
	flow_update(t, f, FLOW_DIR_ORIG, SYN, 60, T0 + 40 * SEC);
	flow_update(t, f, FLOW_DIR_REPLY, SYN | ACK, 60, T0 + 40 * SEC);
	flow_update(t, f, FLOW_DIR_ORIG, ACK, 52, T0 + 40 * SEC);
	assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
	assert_int_equal(flow_expire(t, T0 + 41 * SEC, 10), 0);
	flow_foreach(t, close_it, NULL);
	assert_int_equal(flow_expire(t, T0 + 51 * SEC, 10), 1);
	flow_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bad_capacity),
		cmocka_unit_test(test_random_seed),
		cmocka_unit_test(test_both_dirs_v4),
		cmocka_unit_test(test_both_dirs_v6),
		cmocka_unit_test(test_key_fields_matter),
		cmocka_unit_test(test_same_endpoints),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_create_fields),
		cmocka_unit_test(test_denied_evicts_only_denied),
		cmocka_unit_test(test_inbound_never_evicts_outbound),
		cmocka_unit_test(test_inbound_evicts_denied_then_inbound),
		cmocka_unit_test(test_outbound_evict_order),
		cmocka_unit_test(test_expired_go_first),
		cmocka_unit_test(test_timeouts_tcp),
		cmocka_unit_test(test_timeouts_other),
		cmocka_unit_test(test_lookup_expired_removes),
		cmocka_unit_test(test_tcp_handshake_fin_fin_ack),
		cmocka_unit_test(test_tcp_rst),
		cmocka_unit_test(test_tcp_lost_synack),
		cmocka_unit_test(test_tcp_midstream),
		cmocka_unit_test(test_tcp_odd_flags),
		cmocka_unit_test(test_update_counters),
		cmocka_unit_test(test_update_moves_to_tail),
		cmocka_unit_test(test_set_class),
		cmocka_unit_test(test_delete_reuse),
		cmocka_unit_test(test_expire_budget),
		cmocka_unit_test(test_expire_behind_long_flow),
		cmocka_unit_test(test_on_end_all_paths),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_capacity_one),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_stray_pointer),
		cmocka_unit_test(test_recent),
		cmocka_unit_test(test_hash_memo),
		cmocka_unit_test(test_prefetch_ahead),
		cmocka_unit_test(test_unlink_after_state_write),
		cmocka_unit_test(test_expire_deadline_follows_heads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
