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

static void
put_escaped(struct jbuf *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s, *run;
	char esc[6];

	put(j, "\"", 1);
	while (*u != '\0') {
		/* copy the longest run that needs no escape in one go */
		for (run = u; *u >= 0x20 && *u != 0x7f && *u != '"' && *u != '\\'; u++)
			;
		if (u > run)
			put(j, (const char *)run, (size_t)(u - run));
		if (*u == '\0')
			break;
		if (*u == '"' || *u == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*u;
			put(j, esc, 2);
		} else {
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
