/*
 * json.c - append one flat JSON object to a caller's fixed buffer.
 * Must never write past cap: the decision log and replay output share it.
 */
#include <string.h>

#include "json.h"

static void
put(struct jbuf *j, const char *s, size_t n)
{
	/* keep room for "}\n" and the NUL */
	if (j->overflow || n > j->cap - j->len - 3) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

/* The length of the well-formed UTF-8 sequence at u (lead byte >= 0x80), or 0. */
static size_t
utf8_len(const unsigned char *u)
{
	size_t n, i;
	uint32_t cp;

	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, cp = u[0] & 0x1f;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, cp = u[0] & 0x0f;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, cp = u[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;	/* overlong, out of range, or a surrogate */
	return n;
}

static void
put_escaped(struct jbuf *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s, *run;
	char esc[6];
	size_t n;

	put(j, "\"", 1);
	while (*u != '\0') {
		/* copy the longest run that needs no escape in one go */
		for (run = u; *u >= 0x20 && *u != 0x7f && *u != '"' && *u != '\\'; ) {
			if (*u < 0x80)
				u++;
			else if ((n = utf8_len(u)) > 0)
				u += n;
			else
				break;
		}
		if (u > run)
			put(j, (const char *)run, (size_t)(u - run));
		if (*u == '\0')
			break;
		if (*u == '"' || *u == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*u;
			put(j, esc, 2);
		} else {
			/* a control byte, or a byte that is not UTF-8: as its Latin-1 code */
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*u >> 4];
			esc[5] = hex[*u & 0xf];
			put(j, esc, 6);
		}
		u++;
	}
	put(j, "\"", 1);
}

static void
put_key(struct jbuf *j, const char *key)
{
	if (!j->first)
		put(j, ",", 1);
	j->first = false;
	put_escaped(j, key);
	put(j, ":", 1);
}

void
json_begin(struct jbuf *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->first = true;
	j->overflow = cap < 4;
	if (!j->overflow)
		put(j, "{", 1);
}

void
json_str(struct jbuf *j, const char *key, const char *val)
{
	put_key(j, key);
	if (val == NULL)
		put(j, "null", 4);
	else
		put_escaped(j, val);
}

void
json_u64(struct jbuf *j, const char *key, uint64_t val)
{
	char num[20];
	size_t i = sizeof(num);

	put_key(j, key);
	do {
		num[--i] = (char)('0' + val % 10);
		val /= 10;
	} while (val != 0);
	put(j, num + i, sizeof(num) - i);
}

void
json_bool(struct jbuf *j, const char *key, bool val)
{
	put_key(j, key);
	if (val)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void
json_null(struct jbuf *j, const char *key)
{
	put_key(j, key);
	put(j, "null", 4);
}

size_t
json_end(struct jbuf *j)
{
	if (j->cap < 4) {
		if (j->cap > 0)
			j->buf[0] = '\0';
		return 0;
	}
	if (j->overflow) {
		/* cut at a field boundary is not tracked: say so in a valid object */
		j->len = 0;
		j->first = true;
		j->overflow = false;
		put(j, "{", 1);
		json_str(j, "error", "record too long");
	}
	j->buf[j->len++] = '}';
	j->buf[j->len++] = '\n';
	j->buf[j->len] = '\0';
	return j->len;
}
