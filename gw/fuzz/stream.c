/*
 * stream.c - fuzz target: TCP segments through the reassembly of gw/stream.c,
 * held against a model that keeps one flag per byte.  One input:
 *
 *   byte 0: the buffer size, (b + 1) * 8 bytes; bytes 1-4: the start, ISN + 1
 *   then per segment: 4 bytes big-endian of offset from the start (a
 *   sequence number, so it wraps and may lie before the start), 2 bytes of
 *   length, the data (cut short by the input's end).
 *   A segment of length 0xffff and offset 0 starts the stream again.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "stream.h"

#define MODEL_MAX	(256 * 8)

struct model {
	uint8_t		byte[MODEL_MAX];
	bool		held[MODEL_MAX];
	size_t		size;
};

static struct model	mdl;

static size_t
model_ranges(const struct model *m, const bool *held)
{
	size_t i, n = 0;

	for (i = 0; i < m->size; i++)
		if (held[i] && (i == 0 || !held[i - 1]))
			n++;
	return n;
}

/* What stream_add must answer, and the model after it (stream.h's rules). */
static enum stream_status
model_add(struct model *m, uint32_t d, const uint8_t *data, size_t len)
{
	static bool after[MODEL_MAX];
	size_t i, skip;
	bool cut = false;

	if (len == 0)
		return STREAM_OK;
	if (d >= 0x80000000u) {
		skip = (size_t)(0u - d);
		if (len <= skip)
			return STREAM_OK;
		data += skip;
		len -= skip;
		d = 0;
	}
	if (d >= m->size)
		return STREAM_FULL;
	if (len > m->size - d) {
		len = m->size - d;
		cut = true;
	}
	for (i = 0; i < len; i++)
		if (m->held[d + i] && m->byte[d + i] != data[i])
			return STREAM_OVERLAP_CONFLICT;
	memcpy(after, m->held, m->size);
	for (i = 0; i < len; i++)
		after[d + i] = true;
	if (model_ranges(m, after) > STREAM_MAX_RANGES)
		return STREAM_TOO_FRAGMENTED;
	memcpy(m->held, after, m->size);
	memcpy(m->byte + d, data, len);
	return cut ? STREAM_FULL : STREAM_OK;
}

static void
check_same(const struct model *m, const struct stream *s)
{
	const uint8_t *p;
	size_t n, i;

	for (i = 0; i < m->size && m->held[i]; i++)
		;
	n = stream_contig(s, &p);
	FUZZ_ASSERT(n == i);
	FUZZ_ASSERT(memcmp(p, m->byte, n) == 0);
	FUZZ_ASSERT(stream_full(s) == (n == m->size));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_pool *pool;
	struct stream *s;
	enum stream_status got, want;
	uint32_t isn, d;
	size_t off = 5, len;
	uint8_t *seg;

	if (size < 5)
		return 0;
	mdl.size = ((size_t)data[0] + 1) * 8;
	isn = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 8 | data[4];
	if ((pool = stream_pool_new(1, mdl.size)) == NULL)
		return 0;
	s = stream_get(pool);
	FUZZ_ASSERT(s != NULL && stream_bufsize(s) == mdl.size);
	FUZZ_ASSERT(stream_add(s, isn, data, 1) == STREAM_NOT_STARTED);
	stream_start(s, isn);
	memset(mdl.held, 0, sizeof(mdl.held));

	while (size - off >= 6) {
		d = (uint32_t)data[off] << 24 | (uint32_t)data[off + 1] << 16 |
		    (uint32_t)data[off + 2] << 8 | data[off + 3];
		len = (size_t)data[off + 4] << 8 | data[off + 5];
		off += 6;
		if (len == 0xffff && d == 0) {
			stream_start(s, isn);
			memset(mdl.held, 0, sizeof(mdl.held));
			check_same(&mdl, s);
			continue;
		}
		if (len > size - off)
			len = size - off;
		/* the segment alone, so that a read past it is ASan's */
		if ((seg = malloc(len > 0 ? len : 1)) == NULL)
			break;
		memcpy(seg, data + off, len);
		off += len;
		want = model_add(&mdl, d, seg, len);
		got = stream_add(s, isn + d, seg, len);
		free(seg);
		FUZZ_ASSERT(got == want);
		check_same(&mdl, s);
	}
	stream_put(pool, s);
	stream_put(pool, s);	/* a second put does nothing */
	FUZZ_ASSERT(stream_get(pool) == s && stream_get(pool) == NULL);
	stream_pool_free(pool);
	return 0;
}
