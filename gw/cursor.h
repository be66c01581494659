/*
 * cursor.h - a bounded read cursor over packet bytes (after tcpdump's extract.h).
 * Every getter checks what remains first and fails instead of reading past the end.
 */
#ifndef OUTGATE_CURSOR_H
#define OUTGATE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t	*pos;
	const uint8_t	*end;
};

static inline void
cur_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->pos = p;
	c->end = p + len;
}

static inline size_t
cur_left(const struct cursor *c)
{
	return (size_t)(c->end - c->pos);
}

/* Narrow the view to the next len bytes; fails if fewer remain. */
static inline int
cur_limit(struct cursor *c, size_t len)
{
	if (len > cur_left(c))
		return -1;
	c->end = c->pos + len;
	return 0;
}

static inline int
cur_skip(struct cursor *c, size_t n)
{
	if (n > cur_left(c))
		return -1;
	c->pos += n;
	return 0;
}

static inline int
cur_u8(struct cursor *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return -1;
	*v = c->pos[0];
	c->pos += 1;
	return 0;
}

static inline int
cur_be16(struct cursor *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return -1;
	*v = (uint16_t)((unsigned)c->pos[0] << 8 | c->pos[1]);
	c->pos += 2;
	return 0;
}

static inline int
cur_le16(struct cursor *c, uint16_t *v)
{
	if (cur_left(c) < 2)
		return -1;
	*v = (uint16_t)((unsigned)c->pos[1] << 8 | c->pos[0]);
	c->pos += 2;
	return 0;
}

static inline int
cur_be32(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return -1;
	*v = (uint32_t)c->pos[0] << 24 | (uint32_t)c->pos[1] << 16 |
	    (uint32_t)c->pos[2] << 8 | c->pos[3];
	c->pos += 4;
	return 0;
}

static inline int
cur_le32(struct cursor *c, uint32_t *v)
{
	if (cur_left(c) < 4)
		return -1;
	*v = (uint32_t)c->pos[3] << 24 | (uint32_t)c->pos[2] << 16 |
	    (uint32_t)c->pos[1] << 8 | c->pos[0];
	c->pos += 4;
	return 0;
}

/* Copy n bytes out; fails if fewer remain. */
static inline int
cur_bytes(struct cursor *c, void *dst, size_t n)
{
	if (n > cur_left(c))
		return -1;
	if (n > 0)
		memcpy(dst, c->pos, n);	/* n is often a constant: a move or two */
	c->pos += n;
	return 0;
}

#endif
