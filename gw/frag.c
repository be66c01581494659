/*
 * frag.c - the decision on each first IP fragment, for the fragments after it.
 * Never reassembles and never allocates after frag_table_new: a flood of
 * fragments can only push out older entries of the same bucket.
 */
#include <stdlib.h>
#include <string.h>

#include "frag.h"

#define FRAG_WAYS	4

struct frag_slot {
	struct frag_key		key;
	struct frag_decision	d;
	uint64_t		seen_us;
	bool			used;
};

struct frag_table {
	struct frag_slot	*slots;
	size_t			nbuckets;	/* power of two */
};

struct frag_table *
frag_table_new(size_t capacity)
{
	struct frag_table *t;
	size_t n = 1;

	while (n * FRAG_WAYS < capacity)
		n <<= 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slots = calloc(n * FRAG_WAYS, sizeof(*t->slots))) == NULL) {
		free(t);
		return NULL;
	}
	t->nbuckets = n;
	return t;
}

void
frag_table_free(struct frag_table *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

static bool
frag_key_eq(const struct frag_key *a, const struct frag_key *b)
{
	return a->id == b->id && a->proto == b->proto &&
	    addr_eq(&a->src, &b->src) && addr_eq(&a->dst, &b->dst);
}

static struct frag_slot *
frag_bucket(struct frag_table *t, const struct frag_key *k)
{
	uint32_t h = 2166136261u;
	size_t i, n = k->src.family == 4 ? 4 : 16;

	/* FNV-1a over the fields that vary */
	for (i = 0; i < n; i++)
		h = (h ^ k->src.b[i]) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ k->dst.b[i]) * 16777619u;
	for (i = 0; i < 4; i++)
		h = (h ^ ((k->id >> (8 * i)) & 0xff)) * 16777619u;
	h = (h ^ k->proto) * 16777619u;
	return &t->slots[(h & (t->nbuckets - 1)) * FRAG_WAYS];
}

void
frag_remember(struct frag_table *t, const struct frag_key *k,
    const struct frag_decision *d, uint64_t now_us)
{
	struct frag_slot *b = frag_bucket(t, k), *victim = &b[0];
	size_t i;

	for (i = 0; i < FRAG_WAYS; i++) {
		if (b[i].used && frag_key_eq(&b[i].key, k)) {
			victim = &b[i];
			break;
		}
		if (!b[i].used) {
			victim = &b[i];
			break;
		}
		if (b[i].seen_us < victim->seen_us)
			victim = &b[i];
	}
	victim->key = *k;
	victim->d = *d;
	victim->seen_us = now_us;
	victim->used = true;
}

bool
frag_recall(struct frag_table *t, const struct frag_key *k, uint64_t now_us,
    struct frag_decision *d)
{
	struct frag_slot *b = frag_bucket(t, k);
	size_t i;

	for (i = 0; i < FRAG_WAYS; i++) {
		if (!b[i].used || !frag_key_eq(&b[i].key, k))
			continue;
		if (now_us - b[i].seen_us > FRAG_TIMEOUT_US) {
			b[i].used = false;
			return false;
		}
		*d = b[i].d;
		return true;
	}
	return false;
}

void
frag_foreach(struct frag_table *t, frag_visit_fn *fn, void *arg)
{
	size_t i;

	for (i = 0; i < t->nbuckets * FRAG_WAYS; i++)
		if (t->slots[i].used)
			fn(&t->slots[i].d, arg);
}
