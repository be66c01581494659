/*
 * dnscache.c - DNS provenance: the (subject, address, name) entries learnt
 * from DNS answers.  Must never allocate, read the clock or block after
 * dnscache_new.
 */

/*
 * Layout.  Entries live in one array; a chained hash on (subject, address)
 * finds every name of a pair.  Names are stored lower-cased in chains of
 * fixed 32-byte chunks from one pool, so that a name costs what it needs and
 * the pool never fragments.
 *
 * Eviction order is kept by two binary min-heaps of entry indices: by expiry
 * and by learn sequence.  Holds are per (subject, address) but every entry
 * of the pair carries the count, so an eviction reads it in place.  An entry
 * with holds is not taken out of the heaps when the hold begins (a flow
 * start must stay cheap); only when it comes to the top of a heap during an
 * eviction is it set aside on the "parked" list, and the release that ends
 * its holds puts it back in both heaps at the place its keys say.  Each
 * entry is parked at most once per hold, so evictions cost O(log n)
 * amortized.
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnscache.h"

#define SEC		1000000ULL
#define NIL		UINT32_MAX

#define CHUNK_CHARS	28
#define NAME_CHUNKS_MAX	((DNSCACHE_NAME_MAX + CHUNK_CHARS - 1) / CHUNK_CHARS)

#define KEY_LEN		24	/* subject (8, host order), address (16) */

#define FAM_MASK	0x7f
#define FAM_PARKED	0x80

#define HOLDS_STICKY	UINT16_MAX
#define SEQ_HALF	((uint32_t)1 << 31)

#define DEF_MIN_TTL	5
#define DEF_MAX_TTL	300
#define DEF_GRACE	30

enum { HX_EXP = 0, HX_LRU = 1, NHEAP };
/* while parked, hx[] links the parked list */
enum { PK_PREV = 0, PK_NEXT = 1 };

/* 52 bytes: 4-byte alignment keeps the 64-bit subject from padding it. */
struct ent {
	uint8_t		key[KEY_LEN];
	uint32_t	expire;		/* packet clock, whole seconds, rounded up */
	uint32_t	seq;		/* learn order: larger is more recent */
	uint32_t	hnext;		/* hash chain; the free list when free */
	uint32_t	hx[NHEAP];	/* heap positions; PK_* links when parked */
	uint32_t	name;		/* first chunk */
	uint16_t	holds;		/* of the pair; HOLDS_STICKY stays */
	uint8_t		fam;		/* 4 or 6, 0 when free; | FAM_PARKED */
	uint8_t		len;		/* of the name */
};

struct chunk {
	uint32_t	next;		/* next chunk of the name, or of the free list */
	char		s[CHUNK_CHARS];
};

_Static_assert(sizeof(struct ent) == 52, "dnscache.h says 52 bytes");
_Static_assert(sizeof(struct chunk) == 32, "dnscache.h says 32 bytes");

struct dnscache {
	struct ent	*ents;
	uint32_t	*buckets;
	uint32_t	mask;		/* bucket count - 1 */
	uint32_t	free_head;	/* free entries, through hnext */
	uint32_t	*heap[NHEAP];
	uint32_t	hn[NHEAP];	/* heap sizes */
	uint32_t	park_head, park_tail;
	struct chunk	*chunks;
	uint32_t	chunk_free;	/* free chunks, through next */
	uint32_t	nchunks, nchunks_free;
	uint32_t	next_seq;
	uint32_t	min_ttl, max_ttl, grace;
	uint64_t	k0, k1;		/* hash key */
	char		offer[DNSCACHE_NAME_MAX + 1];	/* the name shown to match() */
	char		best[DNSCACHE_NAME_MAX + 1];	/* the name *name points at */
	struct dnscache_stats st;
};

/* An address the answer gives for the question, before it is learnt. */
struct cand {
	uint8_t		family;
	uint8_t		a[16];
	uint32_t	ttl;
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* (subject, address) as three words: no byte stores before the hash reads it */
struct key {
	uint64_t	w[3];
	uint8_t		fam;
};

static void
key_make(struct key *k, uint64_t subj, uint8_t fam, const uint8_t *b)
{
	uint32_t v4;

	k->w[0] = subj;
	if (fam == 4) {
		memcpy(&v4, b, 4);
		k->w[1] = v4;
		k->w[2] = 0;
	} else {
		memcpy(&k->w[1], b, 8);
		memcpy(&k->w[2], b + 8, 8);
	}
	k->fam = fam;
}

static void
key_of(struct key *k, const struct ent *e)
{
	memcpy(k->w, e->key, KEY_LEN);
	k->fam = e->fam & FAM_MASK;
}

/* Keyed, so that answers cannot aim addresses at one chain. */
static uint32_t
key_bucket(const struct dnscache *c, const struct key *k)
{
	uint64_t h;

	h = mix64(c->k0 ^ k->w[0]);
	h = mix64(h ^ k->w[1] ^ ((uint64_t)k->fam << 56));
	h = mix64(h ^ k->w[2] ^ c->k1);
	return (uint32_t)h & c->mask;
}

static bool
ent_is(const struct ent *e, const struct key *k)
{
	return (e->fam & FAM_MASK) == k->fam &&
	    memcmp(e->key, k->w, KEY_LEN) == 0;
}

static uint64_t
ceil_sec(uint64_t us)
{
	return us / SEC + (us % SEC != 0);
}

static uint32_t
expiry(uint64_t now_us, uint32_t ttl)
{
	uint64_t e = ceil_sec(now_us) + ttl;

	return e > UINT32_MAX ? UINT32_MAX : (uint32_t)e;
}

static enum dnscache_state
ent_state(const struct dnscache *c, const struct ent *e, uint64_t now_us)
{
	if (now_us < (uint64_t)e->expire * SEC)
		return DNSCACHE_LIVE;
	if (e->holds > 0 && now_us < ((uint64_t)e->expire + c->grace) * SEC)
		return DNSCACHE_GRACE;
	return DNSCACHE_EXPIRED;
}

/* ---- names ---- */

static uint32_t
name_chunks(size_t len)
{
	return (uint32_t)((len + CHUNK_CHARS - 1) / CHUNK_CHARS);
}

/* The caller has checked that enough chunks are free. */
static uint32_t
name_store(struct dnscache *c, const char *s, size_t len)
{
	uint32_t first = c->chunk_free, idx = NIL, n;
	struct chunk *ch = NULL;

	while (len > 0) {
		idx = c->chunk_free;
		ch = &c->chunks[idx];
		c->chunk_free = ch->next;
		c->nchunks_free--;
		n = len < CHUNK_CHARS ? (uint32_t)len : CHUNK_CHARS;
		memcpy(ch->s, s, n);
		s += n;
		len -= n;
	}
	if (ch == NULL)
		return NIL;
	ch->next = NIL;
	return first;
}

static void
name_free(struct dnscache *c, uint32_t idx)
{
	uint32_t next;

	for (; idx != NIL; idx = next) {
		next = c->chunks[idx].next;
		c->chunks[idx].next = c->chunk_free;
		c->chunk_free = idx;
		c->nchunks_free++;
	}
}

static bool
name_eq(const struct dnscache *c, const struct ent *e, const char *s,
    size_t len)
{
	uint32_t idx = e->name, n;

	if (e->len != len)
		return false;
	while (len > 0) {
		n = len < CHUNK_CHARS ? (uint32_t)len : CHUNK_CHARS;
		if (memcmp(c->chunks[idx].s, s, n) != 0)
			return false;
		s += n;
		len -= n;
		idx = c->chunks[idx].next;
	}
	return true;
}

static void
name_copy(const struct dnscache *c, const struct ent *e, char *out)
{
	uint32_t idx = e->name, n;
	size_t len = e->len;

	while (len > 0) {
		n = len < CHUNK_CHARS ? (uint32_t)len : CHUNK_CHARS;
		memcpy(out, c->chunks[idx].s, n);
		out += n;
		len -= n;
		idx = c->chunks[idx].next;
	}
	*out = '\0';
}

/* ---- heaps ---- */

static uint32_t
hkey(const struct dnscache *c, int h, uint32_t idx)
{
	return h == HX_EXP ? c->ents[idx].expire : c->ents[idx].seq;
}

static void
heap_put(struct dnscache *c, int h, uint32_t pos, uint32_t idx)
{
	c->heap[h][pos] = idx;
	c->ents[idx].hx[h] = pos;
}

static void
heap_up(struct dnscache *c, int h, uint32_t pos)
{
	uint32_t idx = c->heap[h][pos], k = hkey(c, h, idx), parent;

	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (hkey(c, h, c->heap[h][parent]) <= k)
			break;
		heap_put(c, h, pos, c->heap[h][parent]);
		pos = parent;
	}
	heap_put(c, h, pos, idx);
}

static void
heap_down(struct dnscache *c, int h, uint32_t pos)
{
	uint32_t idx = c->heap[h][pos], k = hkey(c, h, idx), n = c->hn[h];
	uint32_t child;

	for (;;) {
		child = 2 * pos + 1;
		if (child >= n)
			break;
		if (child + 1 < n && hkey(c, h, c->heap[h][child + 1]) <
		    hkey(c, h, c->heap[h][child]))
			child++;
		if (hkey(c, h, c->heap[h][child]) >= k)
			break;
		heap_put(c, h, pos, c->heap[h][child]);
		pos = child;
	}
	heap_put(c, h, pos, idx);
}

static void
heap_insert(struct dnscache *c, int h, uint32_t idx)
{
	heap_put(c, h, c->hn[h]++, idx);
	heap_up(c, h, c->ents[idx].hx[h]);
}

static void
heap_remove(struct dnscache *c, int h, uint32_t idx)
{
	uint32_t pos = c->ents[idx].hx[h], last;

	last = c->heap[h][--c->hn[h]];
	if (last == idx)
		return;
	heap_put(c, h, pos, last);
	heap_up(c, h, pos);
	heap_down(c, h, c->ents[last].hx[h]);
}

/* After a key of idx changed (they only grow, but either way works). */
static void
heap_fix(struct dnscache *c, int h, uint32_t idx)
{
	heap_up(c, h, c->ents[idx].hx[h]);
	heap_down(c, h, c->ents[idx].hx[h]);
}

static uint32_t
heap_top(const struct dnscache *c, int h)
{
	return c->hn[h] > 0 ? c->heap[h][0] : NIL;
}

/*
 * Once in 2^31 learns: halve the sequence space, keeping the order of the
 * last 2^31 learns (older entries tie at 0).  Monotone, so the heap holds.
 */
static void
seq_renumber(struct dnscache *c)
{
	struct ent *e;
	size_t i;

	for (i = 0; i < c->st.capacity; i++) {
		e = &c->ents[i];
		if (e->fam != 0)
			e->seq = e->seq >= SEQ_HALF ? e->seq - SEQ_HALF : 0;
	}
	c->next_seq -= SEQ_HALF;
}

static uint32_t
seq_next(struct dnscache *c)
{
	if (c->next_seq == UINT32_MAX)
		seq_renumber(c);
	return c->next_seq++;
}

/* ---- the parked list: entries with holds, out of the heaps ---- */

static void
park(struct dnscache *c, uint32_t idx)
{
	struct ent *e = &c->ents[idx];

	heap_remove(c, HX_EXP, idx);
	heap_remove(c, HX_LRU, idx);
	e->fam |= FAM_PARKED;
	e->hx[PK_PREV] = c->park_tail;
	e->hx[PK_NEXT] = NIL;
	if (c->park_tail != NIL)
		c->ents[c->park_tail].hx[PK_NEXT] = idx;
	else
		c->park_head = idx;
	c->park_tail = idx;
}

static void
park_unlink(struct dnscache *c, uint32_t idx)
{
	struct ent *e = &c->ents[idx];

	if (e->hx[PK_PREV] != NIL)
		c->ents[e->hx[PK_PREV]].hx[PK_NEXT] = e->hx[PK_NEXT];
	else
		c->park_head = e->hx[PK_NEXT];
	if (e->hx[PK_NEXT] != NIL)
		c->ents[e->hx[PK_NEXT]].hx[PK_PREV] = e->hx[PK_PREV];
	else
		c->park_tail = e->hx[PK_PREV];
	e->fam &= FAM_MASK;
}

static void
unpark(struct dnscache *c, uint32_t idx)
{
	park_unlink(c, idx);
	heap_insert(c, HX_EXP, idx);
	heap_insert(c, HX_LRU, idx);
}

/* ---- entries ---- */

static void
ent_remove(struct dnscache *c, uint32_t idx)
{
	struct ent *e = &c->ents[idx];
	struct key k;
	uint32_t *pp;

	key_of(&k, e);
	pp = &c->buckets[key_bucket(c, &k)];
	while (*pp != idx)
		pp = &c->ents[*pp].hnext;
	*pp = e->hnext;
	if (e->fam & FAM_PARKED) {
		park_unlink(c, idx);
	} else {
		heap_remove(c, HX_EXP, idx);
		heap_remove(c, HX_LRU, idx);
	}
	name_free(c, e->name);
	e->fam = 0;
	e->hnext = c->free_head;
	c->free_head = idx;
	c->st.entries--;
}

/* Push out one entry, in the order of dnscache.h.  c holds at least one. */
static void
evict_one(struct dnscache *c, uint64_t now_us)
{
	uint32_t idx;

	c->st.evicted++;
	while ((idx = heap_top(c, HX_EXP)) != NIL) {
		if (c->ents[idx].holds > 0) {
			park(c, idx);
			continue;
		}
		if (now_us >= (uint64_t)c->ents[idx].expire * SEC) {
			c->st.evicted_expired++;
			ent_remove(c, idx);
			return;
		}
		break;
	}
	while ((idx = heap_top(c, HX_LRU)) != NIL) {
		if (c->ents[idx].holds > 0) {
			park(c, idx);
			continue;
		}
		ent_remove(c, idx);
		return;
	}
	c->st.evicted_held++;
	ent_remove(c, c->park_head);
}

static void
learn_one(struct dnscache *c, const struct key *k, const char *name,
    size_t len, uint32_t ttl, uint64_t now_us)
{
	uint32_t b = key_bucket(c, k), idx, exp, need;
	uint16_t holds = 0;
	struct ent *e;

	exp = expiry(now_us, ttl);
	for (idx = c->buckets[b]; idx != NIL; idx = e->hnext) {
		e = &c->ents[idx];
		if (!ent_is(e, k))
			continue;
		if (e->holds > holds)
			holds = e->holds;
		if (!name_eq(c, e, name, len))
			continue;
		e->seq = seq_next(c);
		if (exp > e->expire)
			e->expire = exp;
		if (!(e->fam & FAM_PARKED)) {
			heap_fix(c, HX_EXP, idx);
			heap_fix(c, HX_LRU, idx);
		}
		c->st.refreshed++;
		return;
	}
	need = name_chunks(len);
	while (c->free_head == NIL || c->nchunks_free < need)
		evict_one(c, now_us);
	idx = c->free_head;
	e = &c->ents[idx];
	c->free_head = e->hnext;
	memcpy(e->key, k->w, KEY_LEN);
	e->fam = k->fam;
	e->len = (uint8_t)len;
	e->name = name_store(c, name, len);
	e->expire = exp;
	e->seq = seq_next(c);
	e->holds = holds;
	e->hnext = c->buckets[b];
	c->buckets[b] = idx;
	heap_insert(c, HX_EXP, idx);
	heap_insert(c, HX_LRU, idx);
	c->st.entries++;
	c->st.learnt++;
}

/* ---- reading the answer ---- */

static char
lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* The length of s without one trailing dot ("." itself stays). */
static size_t
name_len(const char *s)
{
	size_t n = strnlen(s, DNS_NAME_BUF);

	return n > 1 && s[n - 1] == '.' ? n - 1 : n;
}

/*
 * Equal as DNS names, given their lengths without a trailing dot: ASCII
 * case folded (RFC 4343).  Most answers repeat the case of the question.
 */
static bool
dname_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	if (memcmp(a, b, alen) == 0)
		return true;
	for (i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/*
 * The question name as stored: lower-cased, no trailing dot, 1 to 253
 * printable ASCII characters, no empty label, no backslash (the parser's
 * escapes).  Returns its length, or 0 when it is none of that.
 */
static size_t
qname_norm(char *out, const char *s)
{
	size_t n = name_len(s), i;

	if (n == 0 || n > DNSCACHE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return 0;
		if (s[i] == '.' && (i == 0 || s[i - 1] == '.'))
			return 0;
		out[i] = lower(s[i]);
	}
	out[n] = '\0';
	return n;
}

static const char *
msg_check(const struct dns_msg *m)
{
	if (m->why != NULL)
		return "message did not parse";
	if (!m->response)
		return "not a response";
	if (m->opcode != 0)
		return "not a standard query";
	if (m->rcode != 0)
		return "rcode not 0";
	if (!m->has_question)
		return "no question";
	if (m->qclass != DNS_C_IN)
		return "question class not IN";
	if (m->qtype != DNS_T_A && m->qtype != DNS_T_AAAA)
		return "question type not A or AAAA";
	if (m->qname_lossy)
		return "question name has odd bytes";
	return NULL;
}

static uint32_t
rr_ttl(uint32_t ttl)
{
	return ttl > INT32_MAX ? 0 : ttl;	/* RFC 2181 8 */
}

/*
 * Follow the chain from the question and collect the addresses at its end,
 * each with the lowest TTL along the way (not yet clamped).  Returns NULL or
 * why the answer is refused.
 */
static const char *
answer_read(const struct dns_msg *m, struct cand *cand, size_t *ncand)
{
	size_t olen[DNS_MAX_ANSWERS];	/* of each owner name */
	bool used[DNS_MAX_ANSWERS];
	const struct dns_answer *an;
	const char *cur = m->qname;
	uint32_t chain_ttl = UINT32_MAX, ttl;
	size_t n, i, j, alen, depth = 0, clen = name_len(m->qname);

	n = m->nanswers < DNS_MAX_ANSWERS ? m->nanswers : DNS_MAX_ANSWERS;
	for (i = 0; i < n; i++) {
		olen[i] = name_len(m->an[i].name);
		used[i] = false;
	}
	for (;;) {
		for (i = 0; i < n; i++)
			if (m->an[i].type == DNS_T_CNAME &&
			    dname_eq(m->an[i].name, olen[i], cur, clen))
				break;
		if (i == n)
			break;
		if (used[i])
			return "cname loop";
		if (depth == DNSCACHE_CHAIN_MAX)
			return "cname chain too deep";
		used[i] = true;
		depth++;
		ttl = rr_ttl(m->an[i].ttl);
		if (ttl < chain_ttl)
			chain_ttl = ttl;
		cur = m->an[i].cname;
		clen = name_len(cur);
	}
	*ncand = 0;
	for (i = 0; i < n; i++) {
		an = &m->an[i];
		if (an->type == DNS_T_CNAME) {
			if (!used[i])
				return "record off the cname chain";
			continue;
		}
		if (an->type != DNS_T_A && an->type != DNS_T_AAAA)
			return "record of an unexpected type";
		if (!dname_eq(an->name, olen[i], cur, clen))
			return "record off the cname chain";
		if (an->type != m->qtype)
			return "address record of a type not asked";
		ttl = rr_ttl(an->ttl);
		if (chain_ttl < ttl)
			ttl = chain_ttl;
		/* all of the question's type: one address length */
		alen = an->type == DNS_T_A ? 4 : 16;
		for (j = 0; j < *ncand; j++)
			if (memcmp(cand[j].a, an->addr, alen) == 0)
				break;
		if (j == *ncand) {
			memset(&cand[j], 0, sizeof(cand[j]));
			cand[j].family = an->type == DNS_T_A ? 4 : 6;
			memcpy(cand[j].a, an->addr, alen);
			cand[j].ttl = ttl;
			(*ncand)++;
		} else if (ttl < cand[j].ttl) {
			cand[j].ttl = ttl;
		}
	}
	return NULL;
}

int
dnscache_learn(struct dnscache *c, uint64_t subj, const struct dns_msg *m,
    uint64_t now_us, const char **why)
{
	struct cand cand[DNS_MAX_ANSWERS];
	char qname[DNSCACHE_NAME_MAX + 1];
	struct key k;
	const char *w;
	size_t ncand = 0, len = 0, i;
	uint32_t ttl;

	if (m == NULL)
		w = "no message";
	else if ((w = msg_check(m)) == NULL &&
	    (len = qname_norm(qname, m->qname)) == 0)
		w = "bad question name";
	if (w == NULL)
		w = answer_read(m, cand, &ncand);
	if (w != NULL) {
		c->st.ignored++;
		if (why != NULL)
			*why = w;
		return -1;
	}
	for (i = 0; i < ncand; i++) {
		ttl = cand[i].ttl == 0 ? 1 : cand[i].ttl;
		if (ttl < c->min_ttl)
			ttl = c->min_ttl;
		if (ttl > c->max_ttl)
			ttl = c->max_ttl;
		key_make(&k, subj, cand[i].family, cand[i].a);
		learn_one(c, &k, qname, len, ttl, now_us);
	}
	return (int)ncand;
}

/* ---- lookups and holds ---- */

enum dnscache_state
dnscache_lookup(struct dnscache *c, uint64_t subj, const struct addr *a,
    uint64_t now_us, dnscache_match_fn *match, void *arg, const char **name)
{
	enum dnscache_state best = DNSCACHE_NONE, s;
	uint32_t idx, bi = NIL;
	const struct ent *e;
	struct key k;

	if (name != NULL)
		*name = NULL;
	if (a->family != 4 && a->family != 6)
		return DNSCACHE_NONE;
	key_make(&k, subj, a->family, a->b);
	for (idx = c->buckets[key_bucket(c, &k)]; idx != NIL; idx = e->hnext) {
		e = &c->ents[idx];
		if (!ent_is(e, &k))
			continue;
		s = ent_state(c, e, now_us);
		if (s < best || (s == best &&
		    e->expire <= c->ents[bi].expire))
			continue;
		if (match != NULL) {
			name_copy(c, e, c->offer);
			if (!match(arg, c->offer))
				continue;
		}
		best = s;
		bi = idx;
	}
	if (bi != NIL && name != NULL) {
		name_copy(c, &c->ents[bi], c->best);
		*name = c->best;
	}
	return best;
}

void
dnscache_hold(struct dnscache *c, uint64_t subj, const struct addr *a)
{
	struct ent *e;
	struct key k;
	uint32_t idx;

	if (a->family != 4 && a->family != 6)
		return;
	key_make(&k, subj, a->family, a->b);
	for (idx = c->buckets[key_bucket(c, &k)]; idx != NIL; idx = e->hnext) {
		e = &c->ents[idx];
		if (ent_is(e, &k) && e->holds != HOLDS_STICKY)
			e->holds++;
	}
}

void
dnscache_release(struct dnscache *c, uint64_t subj, const struct addr *a)
{
	struct ent *e;
	struct key k;
	uint32_t idx;

	if (a->family != 4 && a->family != 6)
		return;
	key_make(&k, subj, a->family, a->b);
	for (idx = c->buckets[key_bucket(c, &k)]; idx != NIL; idx = e->hnext) {
		e = &c->ents[idx];
		if (!ent_is(e, &k) || e->holds == 0 ||
		    e->holds == HOLDS_STICKY)
			continue;
		if (--e->holds == 0 && (e->fam & FAM_PARKED))
			unpark(c, idx);
	}
}

/* ---- life cycle ---- */

struct dnscache *
dnscache_new(const struct dnscache_opts *o)
{
	struct dnscache_opts d;
	struct dnscache *c;
	uint64_t k[2];
	size_t cap, nb, nch, i;

	memset(&d, 0, sizeof(d));
	if (o != NULL)
		d = *o;
	cap = d.max_entries != 0 ? d.max_entries : DNSCACHE_DEFAULT_ENTRIES;
	if (d.min_ttl == 0 && d.max_ttl == 0 && d.grace == 0) {
		d.min_ttl = DEF_MIN_TTL;
		d.max_ttl = DEF_MAX_TTL;
		d.grace = DEF_GRACE;
	}
	if (cap > DNSCACHE_MAX_ENTRIES || d.max_ttl == 0 ||
	    d.min_ttl > d.max_ttl)
		return NULL;
	for (nb = 1; nb < (cap + 1) / 2; nb <<= 1)
		;
	nch = cap > NAME_CHUNKS_MAX ? cap : NAME_CHUNKS_MAX;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->ents = calloc(cap, sizeof(*c->ents))) == NULL ||
	    (c->buckets = calloc(nb, sizeof(*c->buckets))) == NULL ||
	    (c->heap[HX_EXP] = calloc(cap, sizeof(uint32_t))) == NULL ||
	    (c->heap[HX_LRU] = calloc(cap, sizeof(uint32_t))) == NULL ||
	    (c->chunks = calloc(nch, sizeof(*c->chunks))) == NULL)
		goto fail;
	for (i = 0; i < nb; i++)
		c->buckets[i] = NIL;
	c->mask = (uint32_t)(nb - 1);
	/* slot 0 on top, so a fresh cache fills in index order */
	c->free_head = NIL;
	for (i = cap; i > 0; i--) {
		c->ents[i - 1].hnext = c->free_head;
		c->free_head = (uint32_t)(i - 1);
	}
	c->chunk_free = NIL;
	for (i = nch; i > 0; i--) {
		c->chunks[i - 1].next = c->chunk_free;
		c->chunk_free = (uint32_t)(i - 1);
	}
	c->nchunks = c->nchunks_free = (uint32_t)nch;
	c->park_head = c->park_tail = NIL;
	c->min_ttl = d.min_ttl;
	c->max_ttl = d.max_ttl;
	c->grace = d.grace;
	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		/* no entropy yet (early boot): ASLR and the pid still vary */
		k[0] = mix64((uint64_t)(uintptr_t)&k ^ (uint64_t)getpid());
		k[1] = mix64(k[0] ^ (uint64_t)(uintptr_t)c);
	}
	c->k0 = k[0];
	c->k1 = k[1];
	c->st.capacity = cap;
	c->st.bytes = sizeof(*c) + cap * sizeof(*c->ents) +
	    nb * sizeof(*c->buckets) + 2 * cap * sizeof(uint32_t) +
	    nch * sizeof(*c->chunks);
	return c;
fail:
	dnscache_free(c);
	return NULL;
}

void
dnscache_free(struct dnscache *c)
{
	if (c == NULL)
		return;
	free(c->chunks);
	free(c->heap[HX_LRU]);
	free(c->heap[HX_EXP]);
	free(c->buckets);
	free(c->ents);
	free(c);
}

void
dnscache_get_stats(const struct dnscache *c, struct dnscache_stats *st)
{
	*st = c->st;
	st->name_chunks = c->nchunks;
	st->name_chunks_free = c->nchunks_free;
}

const char *
dnscache_state_name(enum dnscache_state s)
{
	static const char *const names[] = {
		[DNSCACHE_NONE] = "none",
		[DNSCACHE_EXPIRED] = "expired",
		[DNSCACHE_GRACE] = "grace",
		[DNSCACHE_LIVE] = "live",
	};

	if ((unsigned)s >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[s];
}
