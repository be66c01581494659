/*
 * stream.h - in-order reassembly of the first bytes a TCP client sends, for
 * inspection.  Buffers come from a pool sized at start; nothing is allocated
 * per packet, and no byte is ever read or written outside a buffer.
 *
 * One direction only (client -> server), from the first payload byte up to
 * the buffer's size.  Out-of-order segments are kept in a sorted list of at
 * most STREAM_MAX_RANGES byte ranges.  A segment that would change a byte
 * already held is refused whole (STREAM_OVERLAP_CONFLICT): two copies of the
 * same bytes that differ are an evasion, whichever the server keeps.
 *
 * Memory: each pooled stream costs bufsize + 288 bytes (the buffer, and the
 * stream with its 32 ranges) on LP64; the default bufsize, 16384 bytes, makes
 * 16672.  stream_pool_stats.bytes gives the whole pool's.
 */
#ifndef OUTGATE_STREAM_H
#define OUTGATE_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_BUFSIZE_DEFAULT	16384
#define STREAM_BUFSIZE_MAX	(1u << 24)
#define STREAM_POOL_MAX		(1u << 24)	/* buffers in one pool */
#define STREAM_MAX_RANGES	32		/* separate byte ranges held */

enum stream_status {
	STREAM_OK = 0,		/* stored, or nothing to store */
	STREAM_OVERLAP_CONFLICT,	/* differs from bytes held: nothing stored */
	STREAM_FULL,		/* bytes past the buffer's end were cut off */
	STREAM_TOO_FRAGMENTED,	/* would need a range more: nothing stored */
	STREAM_NOT_STARTED,	/* stream_start was not called: a caller's bug */
};

struct stream_pool_stats {
	size_t		capacity;	/* buffers in the pool */
	size_t		bufsize;
	size_t		in_use;
	size_t		peak;		/* most in use at once */
	uint64_t	get_failures;	/* stream_get found none free */
	size_t		bytes;		/* all the pool allocated */
};

struct stream;
struct stream_pool;

/*
 * nbufs 1 to STREAM_POOL_MAX; bufsize 1 to STREAM_BUFSIZE_MAX, or 0 for
 * STREAM_BUFSIZE_DEFAULT.  Returns NULL outside those or on allocation
 * failure.  The caller owns the pool; every buffer is allocated here.
 */
struct stream_pool *stream_pool_new(size_t nbufs, size_t bufsize);
/* Frees the pool and every stream in it, taken or not. */
void	stream_pool_free(struct stream_pool *p);

/*
 * A free stream, reset and not started, or NULL when all are taken (counted
 * in get_failures).  The pool keeps ownership: give it back with stream_put.
 */
struct stream *stream_get(struct stream_pool *p);
/* Give s back to p.  s NULL, not taken or not from p: nothing happens. */
void	stream_put(struct stream_pool *p, struct stream *s);
void	stream_pool_get_stats(const struct stream_pool *p,
    struct stream_pool_stats *st);

/*
 * Begin at isn_next, the sequence number of the first payload byte: the
 * SYN's sequence number + 1 (a SYN's own data, TCP Fast Open, starts there
 * too).  When the SYN was not seen the caller may start at the sequence
 * number of the first data segment instead.  Forgets any bytes held.
 */
void	stream_start(struct stream *s, uint32_t isn_next);
/* Forget the bytes and the start: s is as stream_get returned it. */
void	stream_reset(struct stream *s);

/*
 * Place len bytes of data at offset seq - isn_next (modulo 2^32; an offset
 * of 2^31 or more is before the start, as in RFC 1982).
 *   Bytes before the start are cut off and ignored, as the receiver trims
 *   them: a segment wholly before the start is STREAM_OK and stores nothing.
 *   Bytes past the buffer's end are cut off: STREAM_FULL, the rest stored.
 *   Bytes that overlap bytes held must equal them, or the whole segment is
 *   refused with STREAM_OVERLAP_CONFLICT and the old bytes stay.
 *   A segment that would leave more than STREAM_MAX_RANGES separate ranges
 *   is refused with STREAM_TOO_FRAGMENTED.
 * When several apply: OVERLAP_CONFLICT, then TOO_FRAGMENTED, then FULL.
 * len 0 (a bare ACK) is STREAM_OK.  Costs O(len + STREAM_MAX_RANGES).
 */
enum stream_status stream_add(struct stream *s, uint32_t seq,
    const uint8_t *data, size_t len);

/*
 * The bytes held without a gap from the start: their count, and in *p (if
 * p is not NULL) where they are.  They stay valid and unchanged until
 * stream_start, stream_reset or stream_put.
 */
size_t	stream_contig(const struct stream *s, const uint8_t **p);
/* The contiguous bytes fill the buffer: no more will ever be added. */
bool	stream_full(const struct stream *s);
size_t	stream_bufsize(const struct stream *s);

const char *stream_status_name(enum stream_status st);

#endif
