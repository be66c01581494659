/*
 * flow.c - the flow table: one entry for both directions of a connection.
 * Must never allocate, read the system clock or block after flow_table_new.
 */

/*
 * Idle timeouts, in microseconds of the packet clock (the caller's now_us),
 * after pf's defaults and Linux conntrack's (nf_conntrack_*_timeout*):
 *
 * TCP SYN_SENT, SYN_RECV: 30 s.  A stalled handshake is a scan or a lost
 *     peer; conntrack's syn_sent and pf's tcp.first (120 s) hold half-open
 *     slots too long for a fixed table.
 * TCP ESTABLISHED: 24 h, pf's tcp.established.  Idle SSH and database
 *     sessions must live through a night without data; conntrack's 5 days
 *     suit a router, not a table we keep small.
 * TCP NONE: 24 h.  Picked up mid-stream (start-up, conntrack seeding, a
 *     capture cut short): it had a handshake we missed, so it is established.
 * TCP FIN_WAIT: 120 s, conntrack's fin_wait.  One side closed; the other may
 *     still send.
 * TCP CLOSING: 30 s, conntrack's last_ack.  Both FINs sent, waiting for the
 *     last ACK.
 * TCP CLOSED: 10 s, conntrack's close.  RST, or FINs acknowledged: kept just
 *     long enough to pass retransmitted FIN/ACKs.
 * UDP: 30 s until the responder replies (conntrack's udp_timeout: a query
 *     without an answer ends soon), 120 s after (udp_timeout_stream: a
 *     two-way exchange such as QUIC, RTP or WireGuard is likely to go on).
 * ICMP, ICMPv6: 30 s.  Echo exchanges; slow pings must not be cut off.
 * Other protocols: 60 s, pf's other.multiple.
 *
 * A flow idle (now - last seen) longer than its timeout is gone; at exactly
 * its timeout it is still alive.
 *
 * A class keeps one LRU list per distinct timeout (a "tier"), so that within
 * a list every flow has the same timeout and the head expires first.  With
 * one list per class a day-long idle SSH session at the head would hide
 * thousands of expired DNS flows behind it, and eviction would push out that
 * live session instead of the dead flows.  The least recently seen flow of a
 * class is the oldest of its tier heads.
 */
#include <sys/mman.h>
#include <sys/random.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow.h"

#define SEC	1000000ULL

#define TO_CLOSED	(10 * SEC)
#define TO_SHORT	(30 * SEC)	/* handshake, closing, UDP, ICMP */
#define TO_OTHER	(60 * SEC)
#define TO_LONGER	(120 * SEC)	/* FIN_WAIT, answered UDP */
#define TO_EST		(24 * 3600 * SEC)

enum tier {
	TIER_CLOSED = 0,
	TIER_SHORT,
	TIER_OTHER,
	TIER_LONGER,
	TIER_EST,
	NTIER
};

static const uint64_t tier_timeout[NTIER] = {
	TO_CLOSED, TO_SHORT, TO_OTHER, TO_LONGER, TO_EST
};

/* TCP flag bits, as PKT_TCP_* in pkt.h (not included: flow stays below pkt) */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ICMPV6	58

#define NIL		UINT32_MAX	/* no slot */
#define CLS_FREE	0xff		/* cls of a slot on the free list */
#define CAPACITY_MAX	((size_t)1 << 31)

struct lru {
	uint32_t	head, tail;	/* least recently seen at head */
};

#define NLIST		(FLOW_NCLASS * NTIER)
/*
 * flow_prefetch keeps the hashes of its last MEMO_RING keys: a source reads
 * up to that many frames ahead.  MEMO_STAGE2 prefetches after a key's chain
 * head was asked for, the head's slot is (the head has arrived by then).
 */
#define MEMO_RING	16
#define MEMO_STAGE2	4
#define LIST_OF(cls, tier)	((cls) * NTIER + (tier))

struct flow_table {
	struct flow	*slots;
	uint32_t	*buckets;	/* hash chain heads */
	uint32_t	mask;		/* bucket count - 1 */
	uint32_t	free_head;	/* free list, linked through hnext */
	struct lru	lru[NLIST];	/* by LIST_OF(class, tier) */
	uint64_t	k0, k1;		/* hash key */
	/*
	 * Keys hashed already, with their hashes: lookup the one flow_lookup
	 * hashed last (the engine creates the flow it did not find with the
	 * same key), ahead[] the ones flow_prefetch was given, in turn (the
	 * next lookups', in order, as a rule; ahead_seek the next one's).
	 * Each key is hashed once.
	 */
	struct memo {
		struct flow_key	key;
		uint32_t	hash;
		bool		valid;
	}		lookup, ahead[MEMO_RING];
	unsigned	ahead_next;	/* where flow_prefetch writes */
	unsigned	ahead_seek;	/* where the next lookup's is looked for first */
	/*
	 * No list head's deadline is earlier (it may be later): until the
	 * clock passes it nothing has expired, and the heads need no look.
	 */
	uint64_t	head_deadline;
	uint64_t	next_id;
	flow_end_fn	*on_end;
	void		*on_end_arg;
	struct flow_stats st;
};

/*
 * SipHash-1-3: keyed, so that outside hosts cannot aim at one chain.  The
 * state is four locals, not an array, so that it stays in registers.
 */
#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL(v1, 13) ^ v0; v0 = ROTL(v0, 32);		\
	v2 += v3; v3 = ROTL(v3, 16) ^ v2;				\
	v0 += v3; v3 = ROTL(v3, 21) ^ v0;				\
	v2 += v1; v1 = ROTL(v1, 17) ^ v2; v2 = ROTL(v2, 32);		\
} while (0)

static uint64_t
siphash13(uint64_t k0, uint64_t k1, const uint64_t *m, size_t nwords)
{
	uint64_t v0, v1, v2, v3, b;
	size_t i;

	v0 = k0 ^ 0x736f6d6570736575ULL;
	v1 = k1 ^ 0x646f72616e646f6dULL;
	v2 = k0 ^ 0x6c7967656e657261ULL;
	v3 = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i < nwords; i++) {
		v3 ^= m[i];
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	b = (uint64_t)(nwords * 8) << 56;
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The bytes addr_eq and addr_cmp look at: 4 for IPv4, else 16. */
static size_t
addr_len(const struct addr *a)
{
	return a->family == 4 ? 4 : 16;
}

static void
key_copy(struct flow_key *dst, const struct flow_key *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->src.family = src->src.family;
	memcpy(dst->src.b, src->src.b, addr_len(&src->src));
	dst->dst.family = src->dst.family;
	memcpy(dst->dst.b, src->dst.b, addr_len(&src->dst));
	dst->sport = src->sport;
	dst->dport = src->dport;
	dst->proto = src->proto;
}

/* addr_eq, here so that it inlines into the lookup: 4 bytes for IPv4, else 16. */
static inline bool
same_addr(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == 4)
		return memcmp(a->b, b->b, 4) == 0;
	return memcmp(a->b, b->b, 16) == 0;
}

/*
 * Hash the two endpoints in a canonical order (the smaller (addr, port)
 * first), so that both orientations of a key hash alike.  Only the bytes
 * addr_eq compares are hashed: equal keys hash equal.  A key of two IPv4
 * addresses fits in two words, which saves three of SipHash's rounds.
 */
static uint32_t
key_hash(const struct flow_table *t, const struct flow_key *k)
{
	const struct addr *lo = &k->src, *hi = &k->dst;
	uint16_t lport = k->sport, hport = k->dport;
	uint32_t s4, d4;
	uint64_t w[5];
	uint8_t buf[40];
	int c;

	if (k->src.family == 4 && k->dst.family == 4) {
		memcpy(&s4, k->src.b, 4);
		memcpy(&d4, k->dst.b, 4);
		if (s4 > d4 || (s4 == d4 && k->sport > k->dport)) {
			w[0] = (uint64_t)d4 << 32 | s4;
			w[1] = (uint64_t)k->dport << 48 | (uint64_t)k->sport << 32;
		} else {
			w[0] = (uint64_t)s4 << 32 | d4;
			w[1] = (uint64_t)k->sport << 48 | (uint64_t)k->dport << 32;
		}
		w[1] |= (uint64_t)k->proto << 8 | 4;
		return (uint32_t)siphash13(t->k0, t->k1, w, 2);
	}
	c = addr_cmp(&k->src, &k->dst);
	if (c > 0 || (c == 0 && k->sport > k->dport)) {
		lo = &k->dst;
		hi = &k->src;
		lport = k->dport;
		hport = k->sport;
	}
	memset(buf, 0, sizeof(buf));
	buf[0] = lo->family;
	buf[1] = hi->family;
	buf[2] = k->proto;
	memcpy(buf + 4, &lport, 2);
	memcpy(buf + 6, &hport, 2);
	memcpy(buf + 8, lo->b, addr_len(lo));
	memcpy(buf + 24, hi->b, addr_len(hi));
	memcpy(w, buf, sizeof(w));
	return (uint32_t)siphash13(t->k0, t->k1, w, 5);
}

/* Does f's key match k in either orientation?  Sets *dir when it does. */
static inline bool
key_match(const struct flow_key *fk, const struct flow_key *k, int *dir)
{
	if (fk->proto != k->proto)
		return false;
	if (fk->sport == k->sport && fk->dport == k->dport &&
	    same_addr(&fk->src, &k->src) && same_addr(&fk->dst, &k->dst)) {
		*dir = FLOW_DIR_ORIG;
		return true;
	}
	if (fk->sport == k->dport && fk->dport == k->sport &&
	    same_addr(&fk->src, &k->dst) && same_addr(&fk->dst, &k->src)) {
		*dir = FLOW_DIR_REPLY;
		return true;
	}
	return false;
}

/* key_hash, or the hash kept of k when it was hashed just before. */
static uint32_t
key_hash_memo(struct flow_table *t, const struct flow_key *k)
{
	const struct memo *m;
	unsigned i, j;
	int d;

	/*
	 * Both orientations hash alike: a memo serves either.  Keys are
	 * prefetched in the order they are looked up: the first one tried
	 * is it, as a rule.
	 */
	m = &t->ahead[t->ahead_seek];
	if (m->valid && key_match(&m->key, k, &d)) {
		t->ahead_seek = (t->ahead_seek + 1) % MEMO_RING;
		return m->hash;
	}
	if (t->lookup.valid && key_match(&t->lookup.key, k, &d))
		return t->lookup.hash;
	for (i = 1; i < MEMO_RING; i++) {
		j = (t->ahead_seek + i) % MEMO_RING;
		m = &t->ahead[j];
		if (m->valid && key_match(&m->key, k, &d)) {
			t->ahead_seek = (j + 1) % MEMO_RING;
			return m->hash;
		}
	}
	return key_hash(t, k);
}

static enum tier
flow_tier(const struct flow *f)
{
	switch (f->key.proto) {
	case PROTO_TCP:
		switch (f->tcp_state) {
		case FLOW_TCP_SYN_SENT:
		case FLOW_TCP_SYN_RECV:
		case FLOW_TCP_CLOSING:
			return TIER_SHORT;
		case FLOW_TCP_FIN_WAIT:
			return TIER_LONGER;
		case FLOW_TCP_CLOSED:
			return TIER_CLOSED;
		default:	/* NONE, ESTABLISHED, anything unknown */
			return TIER_EST;
		}
	case PROTO_UDP:
		return f->pkts[FLOW_DIR_REPLY] > 0 ? TIER_LONGER : TIER_SHORT;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		return TIER_SHORT;
	default:
		return TIER_OTHER;
	}
}

uint64_t
flow_timeout_us(const struct flow *f)
{
	return tier_timeout[flow_tier(f)];
}

/* A clock that steps back (a replay of unsorted captures) means idle 0. */
static bool
flow_expired(const struct flow *f, uint64_t now_us)
{
	return now_us > f->last_us && now_us - f->last_us > flow_timeout_us(f);
}

/* When f's idle timeout passes: it has expired at any later now_us. */
static uint64_t
flow_deadline(const struct flow *f)
{
	uint64_t to = flow_timeout_us(f);

	return f->last_us > UINT64_MAX - to ? UINT64_MAX : f->last_us + to;
}

static void
head_deadline_lower(struct flow_table *t, const struct flow *f)
{
	uint64_t dl = flow_deadline(f);

	if (dl < t->head_deadline)
		t->head_deadline = dl;
}

static uint32_t
slot_index(const struct flow_table *t, const struct flow *f)
{
	return (uint32_t)(f - t->slots);
}

/* Is f a live slot of t?  Guards the public calls against stray pointers. */
static bool
slot_valid(const struct flow_table *t, const struct flow *f)
{
	uintptr_t p = (uintptr_t)f, b = (uintptr_t)t->slots;

	if (p < b || (p - b) / sizeof(*f) >= t->st.capacity ||
	    (p - b) % sizeof(*f) != 0)
		return false;
	return f->cls < FLOW_NCLASS;
}

/* The slot keeps its key's hash: leaving the chain costs no SipHash. */
static void
hash_insert(struct flow_table *t, uint32_t idx, uint32_t h)
{
	uint32_t b = h & t->mask;

	t->slots[idx].hash = h;
	t->slots[idx].hnext = t->buckets[b];
	t->buckets[b] = idx;
}

static void
hash_remove(struct flow_table *t, uint32_t idx)
{
	uint32_t *pp = &t->buckets[t->slots[idx].hash & t->mask];

	while (*pp != NIL) {
		if (*pp == idx) {
			*pp = t->slots[idx].hnext;
			t->slots[idx].hnext = NIL;
			return;
		}
		pp = &t->slots[*pp].hnext;
	}
}

static void
lru_append(struct flow_table *t, uint32_t idx)
{
	struct flow *f = &t->slots[idx];
	struct lru *l;

	f->lru = (uint8_t)LIST_OF(f->cls, flow_tier(f));
	l = &t->lru[f->lru];
	f->lnext = NIL;
	f->lprev = l->tail;
	if (l->tail != NIL) {
		t->slots[l->tail].lnext = idx;
	} else {
		l->head = idx;
		head_deadline_lower(t, f);
	}
	l->tail = idx;
}

/*
 * Unlink from the list f was put on, which f->lru names: its class and
 * state may have changed since (the engine and tests write tcp_state).
 */
static void
lru_unlink(struct flow_table *t, uint32_t idx)
{
	struct flow *f = &t->slots[idx];
	struct lru *l = &t->lru[f->lru];

	if (f->lprev != NIL) {
		t->slots[f->lprev].lnext = f->lnext;
	} else {
		l->head = f->lnext;
		if (f->lnext != NIL)
			head_deadline_lower(t, &t->slots[f->lnext]);
	}
	if (f->lnext != NIL)
		t->slots[f->lnext].lprev = f->lprev;
	else
		l->tail = f->lprev;
	f->lprev = f->lnext = NIL;
}

static void
free_push(struct flow_table *t, uint32_t idx)
{
	t->slots[idx].cls = CLS_FREE;
	t->slots[idx].hnext = t->free_head;
	t->free_head = idx;
}

/* Take idx out of the table; on_end sees it whole before the slot is reused. */
static void
flow_remove(struct flow_table *t, uint32_t idx)
{
	struct lru *l = &t->lru[t->slots[idx].lru];
	bool head = l->head == idx;

	hash_remove(t, idx);
	lru_unlink(t, idx);
	/*
	 * A full table takes its flows from the list heads one after another:
	 * fetch the next one's chain head now, while this one's hook runs.
	 */
	if (head && l->head != NIL)
		__builtin_prefetch(&t->buckets[t->slots[l->head].hash & t->mask]);
	t->st.active--;
	if (t->on_end != NULL)
		t->on_end(&t->slots[idx], t->on_end_arg);
	free_push(t, idx);
}

/*
 * The expired tier head with the earliest deadline, or NIL.  Called for
 * every packet (flow_expire): most calls end at head_deadline.
 */
static uint32_t
oldest_expired(struct flow_table *t, uint64_t now_us)
{
	const struct flow *f;
	uint64_t dl, best_dl = UINT64_MAX, min_dl = UINT64_MAX;
	uint32_t idx, best = NIL;
	size_t i;

	if (now_us <= t->head_deadline)
		return NIL;
	for (i = 0; i < NLIST; i++) {
		idx = t->lru[i].head;
		if (idx == NIL)
			continue;
		f = &t->slots[idx];
		dl = flow_deadline(f);
		if (dl < min_dl)
			min_dl = dl;
		if (!flow_expired(f, now_us))
			continue;
		if (best == NIL || dl < best_dl) {
			best = idx;
			best_dl = dl;
		}
	}
	t->head_deadline = min_dl;
	return best;
}

/* The least recently seen flow of class cls, or NIL. */
static uint32_t
class_lru(const struct flow_table *t, int cls)
{
	uint32_t idx, best = NIL;
	size_t i;

	for (i = 0; i < NTIER; i++) {
		idx = t->lru[LIST_OF(cls, i)].head;
		if (idx == NIL)
			continue;
		if (best == NIL ||
		    t->slots[idx].last_us < t->slots[best].last_us)
			best = idx;
	}
	return best;
}

/* Find a slot for a new flow of class cls, evicting per flow.h; NIL if none. */
static uint32_t
slot_take(struct flow_table *t, enum flow_class cls, uint64_t now_us)
{
	uint32_t idx;

	if (t->free_head == NIL) {
		if ((idx = oldest_expired(t, now_us)) != NIL) {
			t->st.expired++;
			flow_remove(t, idx);
		} else {
			idx = class_lru(t, FLOW_CLASS_OFFLOADED);
			if (idx == NIL)
				idx = class_lru(t, FLOW_CLASS_DENIED);
			if (idx == NIL && cls != FLOW_CLASS_DENIED)
				idx = class_lru(t, FLOW_CLASS_INBOUND);
			if (idx == NIL && cls == FLOW_CLASS_OUTBOUND)
				idx = class_lru(t, FLOW_CLASS_OUTBOUND);
			if (idx == NIL) {
				t->st.refused[cls]++;
				return NIL;
			}
			t->st.evicted[t->slots[idx].cls]++;
			flow_remove(t, idx);
		}
	}
	idx = t->free_head;
	t->free_head = t->slots[idx].hnext;
	return idx;
}

#define HUGE_PAGE	((size_t)2 << 20)

/*
 * calloc, but an array of 2 MiB or more goes on huge pages where the
 * kernel gives them (madvise): lookups land anywhere in the slots and
 * buckets, and with 4 KiB pages each would miss the TLB too.
 */
static void *
table_calloc(size_t n, size_t size)
{
	void *p;
	size_t len;

	if (n > SIZE_MAX / size)
		return NULL;
	len = n * size;
	if (len < HUGE_PAGE)
		return calloc(n, size);
	if (posix_memalign(&p, HUGE_PAGE, len) != 0)
		return NULL;
	(void)madvise(p, len, MADV_HUGEPAGE);	/* a hint: 4 KiB pages do too */
	memset(p, 0, len);
	return p;
}

static struct flow_table *
table_new(size_t capacity, uint64_t k0, uint64_t k1)
{
	struct flow_table *t;
	size_t nb, i;

	if (capacity == 0 || capacity > CAPACITY_MAX)
		return NULL;
	for (nb = 1; nb < 2 * capacity; nb <<= 1)
		;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slots = table_calloc(capacity, sizeof(*t->slots))) == NULL)
		goto fail;
	if ((t->buckets = table_calloc(nb, sizeof(*t->buckets))) == NULL)
		goto fail;
	for (i = 0; i < nb; i++)
		t->buckets[i] = NIL;
	t->mask = (uint32_t)(nb - 1);
	/* slot 0 on top, so a fresh table fills in index order */
	t->free_head = NIL;
	for (i = capacity; i > 0; i--) {
		t->slots[i - 1].lprev = t->slots[i - 1].lnext = NIL;
		free_push(t, (uint32_t)(i - 1));
	}
	for (i = 0; i < NLIST; i++)
		t->lru[i].head = t->lru[i].tail = NIL;
	t->k0 = k0;
	t->k1 = k1;
	t->head_deadline = UINT64_MAX;
	t->next_id = 1;
	t->st.capacity = capacity;
	return t;
fail:
	free(t->slots);
	free(t);
	return NULL;
}

struct flow_table *
flow_table_new(size_t capacity)
{
	uint64_t k[2];
	uintptr_t here = (uintptr_t)&k;

	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		/* no entropy yet (early boot): ASLR and the pid still vary */
		k[0] = splitmix64((uint64_t)here ^ (uint64_t)getpid());
		k[1] = splitmix64(k[0] ^ (uint64_t)(uintptr_t)flow_table_new);
	}
	return table_new(capacity, k[0], k[1]);
}

struct flow_table *
flow_table_new_seeded(size_t capacity, uint64_t seed)
{
	return table_new(capacity, seed, splitmix64(seed));
}

size_t
flow_recent(const struct flow_table *t, const struct flow **out, size_t n)
{
	size_t have = 0, i, seen, j;
	uint32_t idx;

	for (i = 0; i < NLIST && n > 0; i++) {
		idx = t->lru[i].tail;
		for (seen = 0; idx != NIL && seen < n; seen++) {
			const struct flow *f = &t->slots[idx];

			/* keep out[] sorted, newest first: insert f where it belongs */
			if (have == n && f->last_us <= out[n - 1]->last_us)
				break;	/* older ones follow on this list */
			j = have < n ? have++ : n - 1;
			for (; j > 0 && out[j - 1]->last_us < f->last_us; j--)
				out[j] = out[j - 1];
			out[j] = f;
			idx = f->lprev;
		}
	}
	return have;
}

void
flow_foreach(struct flow_table *t, flow_visit_fn *fn, void *arg)
{
	uint32_t idx, next;
	size_t i;

	for (i = 0; i < NLIST; i++) {
		idx = t->lru[i].head;
		for (; idx != NIL; idx = next) {
			next = t->slots[idx].lnext;
			fn(&t->slots[idx], arg);
		}
	}
	t->head_deadline = 0;	/* fn may have changed a head's tcp_state */
}

static void
end_one(struct flow *f, void *arg)
{
	struct flow_table *t = arg;

	t->on_end(f, t->on_end_arg);
}

void
flow_table_free(struct flow_table *t)
{
	if (t == NULL)
		return;
	if (t->on_end != NULL)
		flow_foreach(t, end_one, t);
	free(t->buckets);
	free(t->slots);
	free(t);
}

struct flow *
flow_lookup(struct flow_table *t, const struct flow_key *k, uint64_t now_us,
    int *dir)
{
	struct flow *f;
	uint32_t idx, h;
	int d;

	h = key_hash_memo(t, k);
	t->lookup.key = *k;
	t->lookup.hash = h;
	t->lookup.valid = true;
	for (idx = t->buckets[h & t->mask]; idx != NIL; idx = f->hnext) {
		f = &t->slots[idx];
		if (f->hash != h || !key_match(&f->key, k, &d))
			continue;
		if (flow_expired(f, now_us)) {
			t->st.expired++;
			flow_remove(t, idx);
			return NULL;
		}
		if (dir != NULL)
			*dir = d;
		return f;
	}
	return NULL;
}

void
flow_prefetch(struct flow_table *t, const struct flow_key *k)
{
	struct memo *m;
	uint32_t h, idx;
	int d;

	/* the packet before was often the same flow's; else a new hash */
	m = &t->ahead[(t->ahead_next + MEMO_RING - 1) % MEMO_RING];
	h = m->valid && key_match(&m->key, k, &d) ? m->hash : key_hash(t, k);
	m = &t->ahead[t->ahead_next];
	m->key = *k;
	m->hash = h;
	m->valid = true;
	__builtin_prefetch(&t->buckets[h & t->mask]);
	/*
	 * The key prefetched MEMO_STAGE2 calls ago: its chain head should be
	 * in cache now, so its first slot (the key's line and the chain's
	 * line) can be asked for without waiting.
	 */
	m = &t->ahead[(t->ahead_next + MEMO_RING - MEMO_STAGE2) % MEMO_RING];
	if (m->valid && (idx = t->buckets[m->hash & t->mask]) != NIL) {
		__builtin_prefetch(&t->slots[idx].key);
		__builtin_prefetch(&t->slots[idx].hnext);
	}
	t->ahead_next = (t->ahead_next + 1) % MEMO_RING;
}

struct flow *
flow_create(struct flow_table *t, const struct flow_key *k,
    enum flow_origin origin, enum flow_class cls, uint64_t now_us)
{
	static const struct flow zero;
	struct flow *f;
	uint32_t idx, h;

	if ((unsigned)cls >= FLOW_NCLASS)
		return NULL;
	h = key_hash_memo(t, k);
	if ((idx = slot_take(t, cls, now_us)) == NIL)
		return NULL;
	f = &t->slots[idx];
	*f = zero;	/* a copy of zeros: vector stores, where memset is rep stos */
	key_copy(&f->key, k);
	f->id = t->next_id++;
	f->first_us = f->last_us = now_us;
	f->origin = (uint8_t)origin;
	f->cls = (uint8_t)cls;
	f->tcp_state = FLOW_TCP_NONE;
	f->rule = -1;
	hash_insert(t, idx, h);
	lru_append(t, idx);
	t->st.created++;
	t->st.active++;
	return f;
}

/*
 * A small TCP tracker: enough to choose a timeout, not to validate
 * sequence numbers.  Any flag combination leads to some state.
 */
static void
tcp_track(struct flow *f, int dir, uint8_t fl)
{
	uint8_t s = f->tcp_state;

	if (s > FLOW_TCP_CLOSED)	/* set from outside: start over */
		s = FLOW_TCP_NONE;
	if (fl & TH_RST) {
		f->tcp_state = FLOW_TCP_CLOSED;
		return;
	}
	if ((fl & (TH_SYN | TH_ACK)) == TH_SYN) {
		/* a new attempt, or the same 5-tuple reused after a close */
		if (dir == FLOW_DIR_ORIG && (s == FLOW_TCP_NONE ||
		    s == FLOW_TCP_SYN_SENT || s == FLOW_TCP_CLOSED)) {
			s = FLOW_TCP_SYN_SENT;
			f->fin_seen = 0;
		}
	} else if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		if (dir == FLOW_DIR_REPLY && (s == FLOW_TCP_SYN_SENT ||
		    s == FLOW_TCP_SYN_RECV))
			s = FLOW_TCP_SYN_RECV;
	} else if (fl & TH_ACK) {
		/* handshake done, or (lost SYN+ACK) both sides talking */
		if ((s == FLOW_TCP_SYN_SENT || s == FLOW_TCP_SYN_RECV) &&
		    f->pkts[FLOW_DIR_ORIG] > 0 && f->pkts[FLOW_DIR_REPLY] > 0)
			s = FLOW_TCP_ESTABLISHED;
		/* the ACK of the second FIN */
		else if (s == FLOW_TCP_CLOSING && !(fl & TH_FIN))
			s = FLOW_TCP_CLOSED;
	}
	if ((fl & TH_FIN) && s != FLOW_TCP_CLOSED) {
		f->fin_seen |= (uint8_t)(1 << dir);
		s = f->fin_seen == 3 ? FLOW_TCP_CLOSING : FLOW_TCP_FIN_WAIT;
	}
	f->tcp_state = s;
}

void
flow_update(struct flow_table *t, struct flow *f, int dir, uint8_t tcp_flags,
    size_t len, uint64_t now_us)
{
	uint32_t idx;

	if (!slot_valid(t, f))
		return;
	dir = dir == FLOW_DIR_ORIG ? FLOW_DIR_ORIG : FLOW_DIR_REPLY;
	idx = slot_index(t, f);
	if (f->pkts[dir] != UINT32_MAX)
		f->pkts[dir]++;
	f->bytes[dir] += len;
	/* the packet clock may step back; last_us never does */
	if (now_us > f->last_us)
		f->last_us = now_us;
	if (f->key.proto == PROTO_TCP)
		tcp_track(f, dir, tcp_flags);
	/* the state may have changed the tier: relink at the tail either way */
	lru_unlink(t, idx);
	lru_append(t, idx);
}

void
flow_set_class(struct flow_table *t, struct flow *f, enum flow_class cls)
{
	uint32_t idx;

	if (!slot_valid(t, f) || (unsigned)cls >= FLOW_NCLASS ||
	    f->cls == (uint8_t)cls)
		return;
	idx = slot_index(t, f);
	lru_unlink(t, idx);
	f->cls = (uint8_t)cls;
	lru_append(t, idx);
}

void
flow_delete(struct flow_table *t, struct flow *f)
{
	if (!slot_valid(t, f))
		return;
	t->st.deleted++;
	flow_remove(t, slot_index(t, f));
}

size_t
flow_expire(struct flow_table *t, uint64_t now_us, size_t budget)
{
	uint32_t idx;
	size_t n;

	for (n = 0; n < budget; n++) {
		if ((idx = oldest_expired(t, now_us)) == NIL)
			break;
		t->st.expired++;
		flow_remove(t, idx);
	}
	return n;
}

void
flow_on_end(struct flow_table *t, flow_end_fn *fn, void *arg)
{
	t->on_end = fn;
	t->on_end_arg = arg;
}

void
flow_get_stats(const struct flow_table *t, struct flow_stats *st)
{
	*st = t->st;
}

const char *
flow_tcp_state_name(int state)
{
	static const char *const names[] = {
		[FLOW_TCP_NONE] = "none",
		[FLOW_TCP_SYN_SENT] = "syn_sent",
		[FLOW_TCP_SYN_RECV] = "syn_recv",
		[FLOW_TCP_ESTABLISHED] = "established",
		[FLOW_TCP_FIN_WAIT] = "fin_wait",
		[FLOW_TCP_CLOSING] = "closing",
		[FLOW_TCP_CLOSED] = "closed",
	};

	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[state];
}
