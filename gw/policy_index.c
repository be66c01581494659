/*
 * policy_index.c - hash tables built once from a loaded policy's rules, so
 * that a flow is checked only against rules that can match it.  A lookup
 * must never allocate or write to the index: worker threads share it.
 *
 * Rules are filed under (family, prefix of `to`, port): each `to` prefix of
 * a rule, or "no `to`", with each of its ports when it has a few, else under
 * "any port".  A key's candidates are the lists filed under its port and
 * under "any port", for each prefix length that occurs, and for "no `to`":
 * a few hash probes, however many rules.  Lists hold rule indices in
 * increasing order; the lookup merges them, so the first match stays the
 * first in rule order.  Host patterns go in a second table, by the text
 * after their "*." or "**.", so a query name costs one probe a label.
 */
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "policy_index.h"

#define PORT_ANY	0x10000u	/* the port of "any port" keys */
#define PORTS_MAX	16		/* a rule with more ports is filed under any port */
#define FAM_NONE	2		/* family slot of rules without `to` */

/* A list's key.  No padding: compared with memcmp, hashed as 3 words. */
struct pix_key {
	uint8_t		addr[16];	/* the prefix, host bits and unused bytes zero */
	uint32_t	port;		/* 0-65535, or PORT_ANY */
	uint8_t		fam;		/* 4, 6, or 0 for rules without `to` */
	uint8_t		plen;
	uint8_t		pad[2];
};
_Static_assert(sizeof(struct pix_key) == 24, "pix_key is three words");

struct pix_bucket {
	struct pix_key	k;
	uint32_t	off, n;		/* the list: rules[off .. off + n) */
};

/* One rule list (inbound or egress). */
struct pix_list {
	struct pix_bucket *b;
	size_t		nb;
	uint32_t	*slots;		/* open addressing: bucket index + 1, 0 free */
	size_t		mask;
	uint32_t	*rules;
	uint8_t		plens[2][129];	/* prefix lengths filed, IPv4 and IPv6 */
	uint8_t		nplens[2];
	/* by family slot (IPv4, IPv6, no `to`) and prefix length: what is filed */
	uint8_t		has[3][129];	/* HAS_ANY, HAS_PORT */
};

#define HAS_ANY		1		/* lists under any port */
#define HAS_PORT	2		/* lists under one port */

enum { NAME_EXACT, NAME_ONE, NAME_MANY };

struct pix_name {
	const char	*s;		/* into a rule's host pattern; NULL: free slot */
	uint32_t	h;		/* the hash's low bits */
	uint8_t		kind;
};

struct policy_index {
	struct pix_list	in, eg;
	struct pix_name	*names;
	size_t		nmask;
	size_t		nnames;
	size_t		bytes;
};

/* What building one list takes: (key, rule) pairs, sorted then grouped. */
struct pix_ent {
	struct pix_key	k;
	uint32_t	rule;
};

static uint64_t
key_hash(const struct pix_key *k)
{
	uint64_t w[3], h;

	memcpy(w, k, sizeof(w));
	h = w[0] * 0x9e3779b97f4a7c15ULL;
	h ^= (w[1] + (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
	h ^= (w[2] + (h >> 31)) * 0x94d049bb133111ebULL;
	return h ^ (h >> 32);
}

/* The bytes of a in its first plen bits; the rest zero. */
static void
key_prefix(struct pix_key *k, const uint8_t *a, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	memset(k->addr, 0, sizeof(k->addr));
	memcpy(k->addr, a, full);
	if (rest != 0)
		k->addr[full] = a[full] & (uint8_t)(0xff << (8 - rest));
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct pix_ent *x = a, *y = b;
	int c = memcmp(&x->k, &y->k, sizeof(x->k));

	if (c != 0)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* How many ports a rule names, when it is few enough to file each; else 0. */
static size_t
few_ports(const struct policy_rule *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nports; i++) {
		n += (size_t)r->ports[i].hi - r->ports[i].lo + 1;
		if (n > PORTS_MAX)
			return 0;
	}
	return n;
}

/* File rule i under each of its ports (or any port) for one `to` key k. */
static size_t
add_ports(struct pix_ent *e, struct pix_key k, const struct policy_rule *r,
    uint32_t i)
{
	size_t j, n = 0;
	uint32_t p;

	if (few_ports(r) == 0) {
		if (e != NULL) {
			e[0].k = k;
			e[0].k.port = PORT_ANY;
			e[0].rule = i;
		}
		return 1;
	}
	for (j = 0; j < r->nports; j++)
		for (p = r->ports[j].lo; p <= r->ports[j].hi; p++, n++)
			if (e != NULL) {
				e[n].k = k;
				e[n].k.port = p;
				e[n].rule = i;
			}
	return n;
}

/* The pairs of rules[0..n): counted when e == NULL, else written. */
static size_t
list_ents(struct pix_ent *e, const struct policy_rule *rules, size_t n)
{
	struct pix_key k;
	size_t i, j, c = 0;

	for (i = 0; i < n; i++) {
		const struct policy_rule *r = &rules[i];

		memset(&k, 0, sizeof(k));
		if (r->nto == 0) {
			c += add_ports(e != NULL ? e + c : NULL, k, r, (uint32_t)i);
			continue;
		}
		for (j = 0; j < r->nto; j++) {
			const struct cidr *t = &r->to[j];

			memset(&k, 0, sizeof(k));
			k.fam = t->net.family;
			k.plen = t->len;
			key_prefix(&k, t->net.b, t->len);
			c += add_ports(e != NULL ? e + c : NULL, k, r, (uint32_t)i);
		}
	}
	return c;
}

static int
list_build(struct pix_list *l, const struct policy_rule *rules, size_t n,
    size_t *bytes)
{
	struct pix_ent *e = NULL;
	struct pix_bucket *b;
	size_t ne, i, o, cap, s;
	int fi;

	memset(l, 0, sizeof(*l));
	if (n == 0 || n > UINT32_MAX)
		return n == 0 ? 0 : -1;
	ne = list_ents(NULL, rules, n);
	if ((e = calloc(ne, sizeof(*e))) == NULL)
		return -1;
	list_ents(e, rules, n);
	qsort(e, ne, sizeof(*e), ent_cmp);

	/* drop repeats (a rule that lists a prefix twice), count the lists */
	for (i = 1, o = 0; i < ne; i++)
		if (ent_cmp(&e[i], &e[o]) != 0)
			e[++o] = e[i];
	ne = o + 1;
	for (i = 0, l->nb = 0; i < ne; i++)
		if (i == 0 || memcmp(&e[i].k, &e[i - 1].k, sizeof(e[i].k)) != 0)
			l->nb++;
	for (cap = 16; cap < 2 * l->nb; cap *= 2)
		;
	l->mask = cap - 1;
	if ((l->b = calloc(l->nb, sizeof(*l->b))) == NULL ||
	    (l->rules = calloc(ne, sizeof(*l->rules))) == NULL ||
	    (l->slots = calloc(cap, sizeof(*l->slots))) == NULL) {
		free(e);
		return -1;
	}
	*bytes += l->nb * sizeof(*l->b) + ne * sizeof(*l->rules) +
	    cap * sizeof(*l->slots);

	for (i = 0, b = NULL; i < ne; i++) {
		if (b == NULL || memcmp(&e[i].k, &b->k, sizeof(b->k)) != 0) {
			b = b == NULL ? l->b : b + 1;
			b->k = e[i].k;
			b->off = (uint32_t)i;
			for (s = key_hash(&b->k) & l->mask; l->slots[s] != 0;
			    s = (s + 1) & l->mask)
				;
			l->slots[s] = (uint32_t)(b - l->b) + 1;
			fi = b->k.fam == 4 ? 0 : b->k.fam == 6 ? 1 : FAM_NONE;
			if (fi != FAM_NONE && l->has[fi][b->k.plen] == 0)
				l->plens[fi][l->nplens[fi]++] = b->k.plen;
			l->has[fi][b->k.plen] |= b->k.port == PORT_ANY ?
			    HAS_ANY : HAS_PORT;
		}
		b->n++;
		l->rules[i] = e[i].rule;
	}
	free(e);
	return 0;
}

static void
list_free(struct pix_list *l)
{
	free(l->b);
	free(l->slots);
	free(l->rules);
}

static const struct pix_bucket *
list_get(const struct pix_list *l, const struct pix_key *k)
{
	const struct pix_bucket *b;
	size_t s;

	for (s = key_hash(k) & l->mask; l->slots[s] != 0; s = (s + 1) & l->mask) {
		b = &l->b[l->slots[s] - 1];
		if (memcmp(&b->k, k, sizeof(*k)) == 0)
			return b;
	}
	return NULL;
}

static void
it_add(const struct pix_list *l, const struct pix_bucket *b,
    struct policy_index_iter *it)
{
	if (b == NULL || it->n == POLICY_INDEX_LISTS)
		return;
	it->cur[it->n] = l->rules + b->off;
	it->end[it->n] = l->rules + b->off + b->n;
	it->n++;
}

/*
 * The lists of key k under any port and, for TCP and UDP, under dport; has:
 * which of the two kinds there are for k's family and prefix length.
 */
static void
probe(const struct pix_list *l, struct pix_key *k, int has, bool ports,
    uint16_t dport, struct policy_index_iter *it)
{
	if (has & HAS_ANY) {
		k->port = PORT_ANY;
		it_add(l, list_get(l, k), it);
	}
	if (ports && (has & HAS_PORT)) {
		k->port = dport;
		it_add(l, list_get(l, k), it);
	}
}

void
policy_index_find(const struct policy_index *x, bool inbound,
    const struct flow_key *k, struct policy_index_iter *it)
{
	const struct pix_list *l = inbound ? &x->in : &x->eg;
	/* ports are TCP and UDP ports: other protocols match no rule with ports */
	bool ports = k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP;
	struct pix_key q;
	size_t i;
	int fi;

	it->n = 0;
	if (l->nb == 0)
		return;
	memset(&q, 0, sizeof(q));
	if (l->has[FAM_NONE][0] != 0)
		probe(l, &q, l->has[FAM_NONE][0], ports, k->dport, it);
	if (k->dst.family != 4 && k->dst.family != 6)
		return;
	fi = k->dst.family == 4 ? 0 : 1;
	q.fam = k->dst.family;
	for (i = 0; i < l->nplens[fi]; i++) {
		q.plen = l->plens[fi][i];
		key_prefix(&q, k->dst.b, q.plen);
		probe(l, &q, l->has[fi][q.plen], ports, k->dport, it);
	}
}

long
policy_index_next(struct policy_index_iter *it)
{
	size_t i, n = it->n;
	uint32_t min = UINT32_MAX;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (*it->cur[i] < min)
			min = *it->cur[i];
	/* a rule filed under several of the lists comes out once */
	for (i = 0; i < n; ) {
		if (*it->cur[i] == min && ++it->cur[i] == it->end[i]) {
			n--;
			it->cur[i] = it->cur[n];
			it->end[i] = it->end[n];
			continue;
		}
		i++;
	}
	it->n = n;
	return (long)min;
}

/*
 * Names.  The hash of a string is taken from its end, so that one pass
 * from the end of a query name gives the hash of each of its suffixes.
 */

static uint64_t
rhash_step(uint64_t h, char c)
{
	return (h ^ (uint8_t)c) * 0x100000001b3ULL;
}

#define RHASH_INIT	0xcbf29ce484222325ULL

static uint64_t
rhash(const char *s)
{
	uint64_t h = RHASH_INIT;
	size_t n = strlen(s);

	while (n > 0)
		h = rhash_step(h, s[--n]);
	return h;
}

static bool
name_has(const struct policy_index *x, int kind, const char *s, uint64_t h)
{
	const struct pix_name *e;
	size_t i;

	for (i = h & x->nmask; (e = &x->names[i])->s != NULL;
	    i = (i + 1) & x->nmask)
		if (e->h == (uint32_t)h && e->kind == kind && strcmp(e->s, s) == 0)
			return true;
	return false;
}

static void
name_put(struct policy_index *x, int kind, const char *s)
{
	uint64_t h = rhash(s);
	size_t i;

	if (name_has(x, kind, s, h))
		return;
	for (i = h & x->nmask; x->names[i].s != NULL; i = (i + 1) & x->nmask)
		;
	x->names[i].s = s;
	x->names[i].h = (uint32_t)h;
	x->names[i].kind = (uint8_t)kind;
	x->nnames++;
}

/* As policy.c's host_pattern tells "**.x", "*.x" and a plain name apart. */
static int
names_build(struct policy_index *x, const struct policy_rule *rules, size_t n)
{
	size_t i, j, count = 0, cap;
	const char *h;

	for (i = 0; i < n; i++)
		count += rules[i].nhosts;
	if (count == 0)
		return 0;
	for (cap = 16; cap < 2 * count; cap *= 2)
		;
	if ((x->names = calloc(cap, sizeof(*x->names))) == NULL)
		return -1;
	x->nmask = cap - 1;
	x->bytes += cap * sizeof(*x->names);
	for (i = 0; i < n; i++)
		for (j = 0; j < rules[i].nhosts; j++) {
			h = rules[i].hosts[j];
			if (strncmp(h, "**.", 3) == 0)
				name_put(x, NAME_MANY, h + 3);
			else if (strncmp(h, "*.", 2) == 0)
				name_put(x, NAME_ONE, h + 2);
			else
				name_put(x, NAME_EXACT, h);
		}
	return 0;
}

bool
policy_index_named(const struct policy_index *x, const char *name)
{
	size_t i = strlen(name);
	const char *first = strchr(name, '.');
	uint64_t h = RHASH_INIT;

	if (x->nnames == 0)
		return false;
	/*
	 * name + i is x of "**.x" when a dot not at the start comes before it,
	 * and of "*.x" when that dot is the first.
	 */
	for (;;) {
		if (i >= 2 && name[i - 1] == '.' && name[0] != '.' &&
		    (name_has(x, NAME_MANY, name + i, h) ||
		    (name + i - 1 == first && name_has(x, NAME_ONE, name + i, h))))
			return true;
		if (i == 0)
			break;
		h = rhash_step(h, name[--i]);
	}
	return name_has(x, NAME_EXACT, name, h);
}

struct policy_index *
policy_index_new(const struct policy_rule *inbound, size_t ninbound,
    const struct policy_rule *egress, size_t negress)
{
	struct policy_index *x;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->bytes = sizeof(*x);
	if (list_build(&x->in, inbound, ninbound, &x->bytes) == -1 ||
	    list_build(&x->eg, egress, negress, &x->bytes) == -1 ||
	    names_build(x, egress, negress) == -1) {
		policy_index_free(x);
		return NULL;
	}
	return x;
}

void
policy_index_free(struct policy_index *x)
{
	if (x == NULL)
		return;
	list_free(&x->in);
	list_free(&x->eg);
	free(x->names);
	free(x);
}

size_t
policy_index_bytes(const struct policy_index *x)
{
	return x != NULL ? x->bytes : 0;
}
