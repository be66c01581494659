/*
 * stream.c - in-order reassembly of the first bytes a TCP client sends.
 * Must never allocate after stream_pool_new, nor touch a byte outside a buffer.
 */

/*
 * Held bytes are a sorted list of disjoint, non-adjacent ranges [lo, hi) of
 * offsets from the start; touching ranges are merged, so the contiguous
 * prefix is the first range when it begins at 0.  A list rather than a bit
 * per byte: an add costs its memcmp and memcpy plus one pass over at most 32
 * ranges, and the list stays small enough to sit beside the buffer.
 *
 * An add is checked whole before anything is written, so a refused segment
 * (conflict, too fragmented) leaves the stream exactly as it was: the caller
 * drops that packet, and the stream keeps holding what the server was given.
 */
#include <stdlib.h>
#include <string.h>

#include "stream.h"

struct stream_range {
	uint32_t	lo, hi;		/* offsets from the start, hi exclusive */
};

struct stream {
	uint8_t		*buf;
	struct stream	*next_free;	/* the pool's free list */
	uint32_t	bufsize;
	uint32_t	isn;		/* sequence number of offset 0 */
	uint32_t	nranges;
	bool		started;
	bool		taken;		/* handed out by stream_get */
	struct stream_range r[STREAM_MAX_RANGES];
};

struct stream_pool {
	struct stream	*streams;
	uint8_t		*bufs;
	struct stream	*free_head;
	struct stream_pool_stats st;
};

struct stream_pool *
stream_pool_new(size_t nbufs, size_t bufsize)
{
	struct stream_pool *p;
	size_t i;

	if (bufsize == 0)
		bufsize = STREAM_BUFSIZE_DEFAULT;
	if (nbufs == 0 || nbufs > STREAM_POOL_MAX || bufsize > STREAM_BUFSIZE_MAX)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	/* calloc checks nbufs * size for overflow */
	if ((p->streams = calloc(nbufs, sizeof(*p->streams))) == NULL)
		goto fail;
	if ((p->bufs = calloc(nbufs, bufsize)) == NULL)
		goto fail;
	/* the free list in array order, so the first get takes streams[0] */
	for (i = nbufs; i-- > 0;) {
		p->streams[i].buf = p->bufs + i * bufsize;
		p->streams[i].bufsize = (uint32_t)bufsize;
		p->streams[i].next_free = p->free_head;
		p->free_head = &p->streams[i];
	}
	p->st.capacity = nbufs;
	p->st.bufsize = bufsize;
	p->st.bytes = sizeof(*p) + nbufs * (sizeof(*p->streams) + bufsize);
	return p;

fail:
	stream_pool_free(p);
	return NULL;
}

void
stream_pool_free(struct stream_pool *p)
{
	if (p == NULL)
		return;
	free(p->bufs);
	free(p->streams);
	free(p);
}

struct stream *
stream_get(struct stream_pool *p)
{
	struct stream *s;

	if ((s = p->free_head) == NULL) {
		p->st.get_failures++;
		return NULL;
	}
	p->free_head = s->next_free;
	s->next_free = NULL;
	s->taken = true;
	stream_reset(s);
	if (++p->st.in_use > p->st.peak)
		p->st.peak = p->st.in_use;
	return s;
}

void
stream_put(struct stream_pool *p, struct stream *s)
{
	uintptr_t a = (uintptr_t)s, base = (uintptr_t)p->streams;

	/* a double put would hand one buffer to two flows */
	if (s == NULL || a < base ||
	    (a - base) / sizeof(*s) >= p->st.capacity ||
	    (a - base) % sizeof(*s) != 0 || !s->taken)
		return;
	s->taken = false;
	s->started = false;
	s->nranges = 0;
	s->next_free = p->free_head;
	p->free_head = s;
	p->st.in_use--;
}

void
stream_pool_get_stats(const struct stream_pool *p, struct stream_pool_stats *st)
{
	*st = p->st;
}

void
stream_start(struct stream *s, uint32_t isn_next)
{
	s->isn = isn_next;
	s->nranges = 0;
	s->started = true;
}

void
stream_reset(struct stream *s)
{
	s->isn = 0;
	s->nranges = 0;
	s->started = false;
}

enum stream_status
stream_add(struct stream *s, uint32_t seq, const uint8_t *data, size_t len)
{
	struct stream_range *r = s->r;
	uint32_t d, skip, a, b, lo, hi;
	size_t i, k, n = s->nranges;
	bool cut = false;

	if (!s->started)
		return STREAM_NOT_STARTED;
	if (len == 0)
		return STREAM_OK;

	/* clip to [0, bufsize) in offsets; d >= 2^31 is before the start */
	d = seq - s->isn;
	if (d >= 0x80000000u) {
		skip = s->isn - seq;
		if (len <= skip)
			return STREAM_OK;
		data += skip;
		len -= skip;
		d = 0;
	}
	if (d >= s->bufsize)
		return STREAM_FULL;
	if (len > s->bufsize - d) {
		len = s->bufsize - d;
		cut = true;
	}
	a = d;
	b = d + (uint32_t)len;

	/* r[i..k-1] overlap or touch [a, b); only overlaps are compared */
	for (i = 0; i < n && r[i].hi < a; i++)
		;
	for (k = i; k < n && r[k].lo <= b; k++) {
		lo = r[k].lo > a ? r[k].lo : a;
		hi = r[k].hi < b ? r[k].hi : b;
		if (lo < hi &&
		    memcmp(s->buf + lo, data + (lo - a), hi - lo) != 0)
			return STREAM_OVERLAP_CONFLICT;
	}
	if (k == i && n == STREAM_MAX_RANGES)
		return STREAM_TOO_FRAGMENTED;

	/* what overlaps is equal, so one copy of the whole segment will do */
	memcpy(s->buf + a, data, len);
	if (k == i) {
		memmove(&r[i + 1], &r[i], (n - i) * sizeof(*r));
		r[i].lo = a;
		r[i].hi = b;
		s->nranges++;
	} else {
		r[i].lo = r[i].lo < a ? r[i].lo : a;
		r[i].hi = r[k - 1].hi > b ? r[k - 1].hi : b;
		memmove(&r[i + 1], &r[k], (n - k) * sizeof(*r));
		s->nranges -= (uint32_t)(k - i - 1);
	}
	return cut ? STREAM_FULL : STREAM_OK;
}

size_t
stream_contig(const struct stream *s, const uint8_t **p)
{
	if (p != NULL)
		*p = s->buf;
	if (s->nranges == 0 || s->r[0].lo != 0)
		return 0;
	return s->r[0].hi;
}

bool
stream_full(const struct stream *s)
{
	return stream_contig(s, NULL) == s->bufsize;
}

size_t
stream_bufsize(const struct stream *s)
{
	return s->bufsize;
}

const char *
stream_status_name(enum stream_status st)
{
	static const char *const names[] = {
		[STREAM_OK] = "ok",
		[STREAM_OVERLAP_CONFLICT] = "overlap_conflict",
		[STREAM_FULL] = "full",
		[STREAM_TOO_FRAGMENTED] = "too_fragmented",
		[STREAM_NOT_STARTED] = "not_started",
	};

	if ((size_t)st >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[st];
}
