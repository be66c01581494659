/*
 * flow.h - the flow table: one entry for both directions of a connection.
 * Fixed capacity set at start; lookups and updates never allocate.
 */
#ifndef OUTGATE_FLOW_H
#define OUTGATE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* A 5-tuple as one packet carries it.  ICMP echo: the id in sport and dport. */
struct flow_key {
	struct addr	src, dst;
	uint16_t	sport, dport;
	uint8_t		proto;
};

/* Who started the flow, relative to the protected inside. */
enum flow_origin {
	FLOW_ORIGIN_INSIDE = 0,		/* outbound: the inside sent the first packet */
	FLOW_ORIGIN_OUTSIDE,		/* inbound: allowed by an inbound rule */
};

/*
 * Eviction classes.  When the table is full a new flow may evict, after
 * any expired flow:
 *   an OFFLOADED flow first, whatever its own class: the kernel holds that
 *             flow's decision (its connection mark), so the entry is only a
 *             memory of it;
 *   DENIED:   then only another DENIED flow (or is not stored at all);
 *   INBOUND:  then a DENIED flow, else the least recently seen INBOUND flow;
 *   OUTBOUND: then a DENIED flow, else the least recently seen INBOUND flow,
 *             else the least recently seen OUTBOUND flow.
 * So nothing that arrives from outside can push out a flow that the inside
 * started and that depends on this table.
 */
enum flow_class {
	FLOW_CLASS_DENIED = 0,
	FLOW_CLASS_INBOUND,
	FLOW_CLASS_OUTBOUND,
	FLOW_CLASS_OFFLOADED,
	FLOW_NCLASS
};

enum flow_tcp_state {
	FLOW_TCP_NONE = 0,	/* not TCP, or picked up without a handshake */
	FLOW_TCP_SYN_SENT,	/* initiator's SYN seen */
	FLOW_TCP_SYN_RECV,	/* responder's SYN+ACK seen */
	FLOW_TCP_ESTABLISHED,	/* handshake done, or data seen both ways */
	FLOW_TCP_FIN_WAIT,	/* one side sent FIN */
	FLOW_TCP_CLOSING,	/* both sides sent FIN */
	FLOW_TCP_CLOSED,	/* RST seen, or both FINs acknowledged */
};

/* Direction of a packet within its flow. */
#define FLOW_DIR_ORIG	0	/* initiator -> responder */
#define FLOW_DIR_REPLY	1	/* responder -> initiator */

struct flow {
	struct flow_key	key;		/* as the initiator sent it: key.src started it */
	uint64_t	id;		/* unique, increasing per table */
	uint64_t	first_us, last_us;	/* packet clock */
	uint64_t	bytes[2];	/* by FLOW_DIR_* */
	uint32_t	pkts[2];
	uint8_t		origin;		/* enum flow_origin */
	uint8_t		cls;		/* enum flow_class */
	uint8_t		tcp_state;	/* enum flow_tcp_state */
	uint8_t		fin_seen;	/* bit FLOW_DIR_*: a FIN went that way */

	/* the engine's sticky decision; the table does not read these */
	uint8_t		verdict;
	uint8_t		would;
	uint16_t	reason;
	int32_t		rule;		/* index of the rule that decided, -1 none */
	uint32_t	uid, gid;	/* its owner's, POLICY_ID_NONE (~0) unknown */
	uint32_t	pid;		/* its owner's, 0 unknown */
	uint32_t	insp;		/* its inspection slot + 1, 0 none */
	uint64_t	skey;		/* its owner, for the DNS table: 0 the host */
	uint8_t		byname;		/* allowed by a `host` rule: the DNS table holds it */
	uint8_t		pending;	/* accepted for now: its check has not run yet */
	uint8_t		watch;		/* accepted by its check; its client bytes still
					   compared until the server answers */
	uint8_t		kcounts;	/* pkts and bytes are the kernel's totals (conntrack) */

	/* table internals: hash chain and per-class LRU list, by slot index */
	uint32_t	hnext;
	uint32_t	lprev, lnext;
	uint32_t	hash;		/* of the key, the same both ways: its chain */
	uint8_t		lru;		/* the LRU list it is on */
};

struct flow_stats {
	uint64_t	created;
	uint64_t	expired;	/* freed because their idle timeout passed */
	uint64_t	evicted[FLOW_NCLASS];	/* live flows pushed out, by their class */
	uint64_t	refused[FLOW_NCLASS];	/* creations that found no room, by class */
	uint64_t	deleted;
	size_t		active;
	size_t		capacity;
};

struct flow_table;

typedef void flow_end_fn(const struct flow *f, void *arg);

/*
 * capacity 1 to 2^31; returns NULL outside that or on allocation failure.
 * The caller owns the table.  Every slot is allocated here, none later.
 */
struct flow_table *flow_table_new(size_t capacity);
/* The same with a fixed hash seed instead of a random one: tests, replay. */
struct flow_table *flow_table_new_seeded(size_t capacity, uint64_t seed);
void	flow_table_free(struct flow_table *t);

/*
 * Find the flow of a packet with key k (in the packet's own orientation).
 * Sets *dir to FLOW_DIR_ORIG or FLOW_DIR_REPLY.  A flow whose idle timeout
 * has passed at now_us is removed (on_end is called) and NULL returned.
 */
struct flow *flow_lookup(struct flow_table *t, const struct flow_key *k,
    uint64_t now_us, int *dir);

/*
 * A hint, for a source that reads ahead (replay): the lookup of k comes
 * soon.  Hashes k once for it and starts loading its chain from memory.
 */
void	flow_prefetch(struct flow_table *t, const struct flow_key *k);

/*
 * Create a flow whose initiator sent k.  Returns NULL when the table is full
 * and the eviction rule above lets this class take no slot.
 */
struct flow *flow_create(struct flow_table *t, const struct flow_key *k,
    enum flow_origin origin, enum flow_class cls, uint64_t now_us);

/*
 * Account one packet of f going way dir at now_us: counters, last seen,
 * LRU position, and the TCP state from its flags (PKT_TCP_* bits).
 */
void	flow_update(struct flow_table *t, struct flow *f, int dir,
    uint8_t tcp_flags, size_t len, uint64_t now_us);

void	flow_set_class(struct flow_table *t, struct flow *f, enum flow_class cls);
void	flow_delete(struct flow_table *t, struct flow *f);

/* The idle timeout of f in its present state, in microseconds. */
uint64_t flow_timeout_us(const struct flow *f);

/* Remove up to budget expired flows, oldest first; returns how many. */
size_t	flow_expire(struct flow_table *t, uint64_t now_us, size_t budget);

/*
 * Called for each flow leaving the table (expired, evicted, deleted, freed),
 * while it is still whole.  fn must not call back into the table.
 */
void	flow_on_end(struct flow_table *t, flow_end_fn *fn, void *arg);

/*
 * Call fn for every flow in the table.  fn may change the engine's fields
 * (verdict, reason, rule) and tcp_state, but must not add or remove flows.
 */
typedef void flow_visit_fn(struct flow *f, void *arg);
void	flow_foreach(struct flow_table *t, flow_visit_fn *fn, void *arg);

/*
 * Up to n of the flows seen last (by last_us, newest first) into out; how
 * many.  Walks back from the tail of each LRU list, so it costs about n
 * visits a list, whatever the table's size (for `outgate top`).
 */
size_t	flow_recent(const struct flow_table *t, const struct flow **out, size_t n);

void	flow_get_stats(const struct flow_table *t, struct flow_stats *st);
const char *flow_tcp_state_name(int state);

#endif
