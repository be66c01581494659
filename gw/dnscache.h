/*
 * dnscache.h - DNS provenance: which names each subject resolved to which
 * addresses, learnt from DNS answers.  Fixed capacity; never allocates after
 * dnscache_new.
 *
 * A subject is the owner of a flow, a 64-bit key the caller computes (cgroup,
 * uid, process), 0 for the host.  An entry is (subject, address, name) with
 * an expiry: a host rule lets a connection of subject S to address A through
 * only if S itself resolved a matching name to A and the entry is live.  A
 * global address -> name map would let every tenant of a CDN address through.
 *
 * The cache believes what it is given: the caller feeds it only responses
 * from the resolvers it trusts, to queries the subject sent (matched by id,
 * port and question), never a response a subject could forge.
 *
 * Memory, all allocated by dnscache_new (dnscache_get_stats gives the total):
 *   52 bytes an entry (subject, address, expiry, hash and heap links, holds);
 *   8 bytes an entry for the two eviction heaps;
 *   4 bytes a hash bucket, one per two entries;
 *   32 bytes an entry for names: names are stored lower-cased in 32-byte
 *   chunks of 28 characters each, from a pool of max_entries chunks (at
 *   least 10) shared by all entries.  A name of up to 28 characters takes
 *   one chunk, a 253-character name ten.  When the pool runs short, entries
 *   are evicted in the order below until the name fits: at most ten, since
 *   each evicted entry gives back at least one chunk.
 * That is about 94 bytes an entry, names of up to 28 characters included:
 * 6.2 MB for 65,536 entries.  Expiries are whole seconds of the packet clock,
 * rounded up (an entry may live up to 1 s past its TTL).
 *
 * Eviction, when a new entry needs a slot or name chunks:
 *   1. an expired entry without holds, the one with the oldest expiry;
 *   2. else the least recently learnt (or refreshed) entry without holds;
 *   3. else an entry with holds (counted in evicted_held): the one first
 *      found held at the head of order 1 or 2, so about the oldest.
 * Entries are removed only by eviction (an expired one stays to answer
 * EXPIRED and GRACE).  Each step costs O(log n); an entry found held at the
 * top of a heap is set aside until its holds end, so the cost is amortized.
 *
 * Not thread-safe: one cache per worker, or a lock around it.
 */
#ifndef OUTGATE_DNSCACHE_H
#define OUTGATE_DNSCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "dns.h"

#define DNSCACHE_DEFAULT_ENTRIES	65536
#define DNSCACHE_MAX_ENTRIES		((size_t)1 << 30)
#define DNSCACHE_NAME_MAX		253	/* characters of a stored name */
#define DNSCACHE_CHAIN_MAX		4	/* CNAMEs followed from the question */

struct dnscache_opts {
	size_t		max_entries;	/* 0: DNSCACHE_DEFAULT_ENTRIES */
	uint32_t	min_ttl, max_ttl, grace;	/* seconds; 5, 300, 30 when all 0 */
};

enum dnscache_state {
	DNSCACHE_NONE = 0,	/* the subject never resolved a matching name to
				   the address (or the entry was evicted) */
	DNSCACHE_EXPIRED,	/* it did, but the entry expired; no grace */
	DNSCACHE_GRACE,		/* expired less than grace seconds ago, and the
				   subject holds a flow to the address */
	DNSCACHE_LIVE,
};

struct dnscache_stats {
	size_t		entries;	/* in use */
	size_t		capacity;	/* max_entries */
	size_t		bytes;		/* allocated by dnscache_new, all of it */
	size_t		name_chunks, name_chunks_free;
	uint64_t	learnt;		/* entries created */
	uint64_t	refreshed;	/* entries learnt again */
	uint64_t	ignored;	/* messages dnscache_learn refused (-1) */
	uint64_t	evicted;	/* entries pushed out, all causes */
	uint64_t	evicted_expired;	/* of which expired, without holds */
	uint64_t	evicted_held;	/* of which with holds */
};

struct dnscache;

/*
 * o may be NULL (all defaults).  Returns NULL when max_entries is above
 * DNSCACHE_MAX_ENTRIES, max_ttl is 0 or below min_ttl (once the all-0
 * defaults apply), or on allocation failure.  The caller owns the cache.
 * Its hash key is random; results do not depend on it.
 */
struct dnscache *dnscache_new(const struct dnscache_opts *o);
void	dnscache_free(struct dnscache *c);

/*
 * Learn from one DNS message m seen at now_us (the packet clock) by subject
 * subj.  Only a parsed (m->why NULL) standard-query response (QR=1, opcode
 * 0) with rcode 0 and a question of class IN, type A or AAAA, whose name is
 * not qname_lossy, 1 to 253 characters.
 *
 * The CNAME chain is followed from the question name (names compared
 * case-insensitively, a trailing dot ignored): acyclic, at most
 * DNSCACHE_CHAIN_MAX CNAMEs.  The address records of the question's type
 * whose owner is the chain's last name are learnt for the QUESTION name.
 * The lowest TTL along the chain (its CNAMEs and the address record) wins;
 * a TTL with the top bit set counts as 0 (RFC 2181 8), 0 counts as 1 s, and
 * the result is clamped to [min_ttl, max_ttl].  Refused whole (-1), with
 * *why naming the defect: any A, AAAA or CNAME record off the chain ("record
 * off the cname chain"), an address record of the type not asked, a chain
 * too deep or looping.  Records the parser skipped (other types or classes,
 * and those past the DNS_MAX_ANSWERS it keeps) are not looked at.
 *
 * Returns the number of (address, name) entries learnt or refreshed (0 for
 * an answer without addresses: NODATA, a chain without its end), or -1 and
 * *why (static text; why may be NULL).  A refresh keeps the later of the
 * two expiries and counts as learnt for the eviction order.
 */
int	dnscache_learn(struct dnscache *c, uint64_t subj, const struct dns_msg *m,
    uint64_t now_us, const char **why);

/*
 * The state of the best name subj resolved to a, at now_us.  Names are
 * offered to match(arg, name) (lower-case, no trailing dot) in no particular
 * order; a name for which it returns true counts; match NULL counts every
 * name.  A name that could not better the result found so far may not be
 * offered.  The result is the best state of the counted names (LIVE > GRACE
 * > EXPIRED > NONE; between equals, the later expiry), and *name (name may
 * be NULL) points at that name, or is NULL for NONE.  *name is owned by the
 * cache and valid until the next call on c.  An address of family other
 * than 4 or 6 is NONE.
 */
typedef bool dnscache_match_fn(void *arg, const char *name);
enum dnscache_state dnscache_lookup(struct dnscache *c, uint64_t subj,
    const struct addr *a, uint64_t now_us, dnscache_match_fn *match, void *arg,
    const char **name);

/*
 * A flow of subj to a was allowed by name (hold) / has ended (release).
 * Holds count per (subject, address): every entry of the pair carries the
 * count, a refresh keeps it, and a name newly learnt for a held pair
 * inherits it.  Entries with holds are evicted last, and only they get
 * GRACE.  A hold on a pair without entries is not kept, nor is the count
 * of a pair whose entries were all evicted; release of a pair never held
 * is harmless.  A count that reaches 65535 stays there until the entries
 * are evicted.  Each call walks the pair's hash chain: O(names of the pair).
 */
void	dnscache_hold(struct dnscache *c, uint64_t subj, const struct addr *a);
void	dnscache_release(struct dnscache *c, uint64_t subj, const struct addr *a);

void	dnscache_get_stats(const struct dnscache *c, struct dnscache_stats *st);
/* "none", "expired", "grace", "live"; "unknown" for other values. */
const char *dnscache_state_name(enum dnscache_state s);

#endif
