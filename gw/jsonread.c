/*
 * jsonread.c - one flat JSON object read in place: keys and scalar values.
 * Must never read past the line's NUL, nor accept what is not JSON.
 */
#include <string.h>

#include "jsonread.h"

static char *
skip_ws(char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Write code point cp as UTF-8 at *w. */
static void
put_utf8(char **w, unsigned cp)
{
	char *o = *w;

	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	*w = o;
}

/* *pp at the opening quote: unescape in place; *pp after the closing quote. */
static char *
read_string(char **pp, const char **why)
{
	char *p = *pp + 1, *start = p, *w = p;
	unsigned cp;
	int i, h;

	for (;;) {
		if (*p == '\0') {
			*why = "unterminated string";
			return NULL;
		}
		if ((unsigned char)*p < 0x20) {
			*why = "control character in a string";
			return NULL;
		}
		if (*p == '"')
			break;
		if (*p != '\\') {
			*w++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case '"': case '\\': case '/':
			*w++ = *p++;
			break;
		case 'b': *w++ = '\b'; p++; break;
		case 'f': *w++ = '\f'; p++; break;
		case 'n': *w++ = '\n'; p++; break;
		case 'r': *w++ = '\r'; p++; break;
		case 't': *w++ = '\t'; p++; break;
		case 'u':
			for (cp = 0, i = 1; i <= 4; i++) {
				if ((h = hexval(p[i])) < 0) {
					*why = "bad \\u escape";
					return NULL;
				}
				cp = cp << 4 | (unsigned)h;
			}
			p += 5;
			if (cp == 0) {
				*why = "\\u0000 in a string";
				return NULL;
			}
			put_utf8(&w, cp);	/* surrogates pass as they come */
			break;
		default:
			*why = "bad escape";
			return NULL;
		}
	}
	*w = '\0';
	*pp = p + 1;
	return start;
}

int
jsonread_object(char *line, struct jsonread *o, const char **why)
{
	char *p = skip_ws(line), *key, *val, *end;

	o->n = 0;
	if (*p++ != '{') {
		*why = "not an object";
		return -1;
	}
	p = skip_ws(p);
	if (*p == '}')
		goto done;
	for (;;) {
		if (*p != '"') {
			*why = "a key must be a string";
			return -1;
		}
		if ((key = read_string(&p, why)) == NULL)
			return -1;
		p = skip_ws(p);
		if (*p++ != ':') {
			*why = "no ':' after a key";
			return -1;
		}
		p = skip_ws(p);
		if (o->n == JSONREAD_MAX) {
			*why = "too many fields";
			return -1;
		}
		if (*p == '"') {
			if ((val = read_string(&p, why)) == NULL)
				return -1;
			o->f[o->n].type = JSONREAD_STRING;
		} else {
			val = p;
			if (strncmp(p, "true", 4) == 0) {
				o->f[o->n].type = JSONREAD_BOOL;
				p += 4;
			} else if (strncmp(p, "false", 5) == 0) {
				o->f[o->n].type = JSONREAD_BOOL;
				p += 5;
			} else if (strncmp(p, "null", 4) == 0) {
				o->f[o->n].type = JSONREAD_NULL;
				p += 4;
			} else {
				for (end = p; (*end >= '0' && *end <= '9') || *end == '-' ||
				    *end == '+' || *end == '.' || *end == 'e' || *end == 'E'; end++)
					;
				if (end == p) {
					*why = *p == '{' || *p == '[' ? "nested value" : "bad value";
					return -1;
				}
				o->f[o->n].type = JSONREAD_NUMBER;
				p = end;
			}
		}
		end = p;
		p = skip_ws(p);
		o->f[o->n].key = key;
		o->f[o->n].val = val;
		o->n++;
		if (*p == ',') {
			*end = '\0';	/* ends a bare value; a string is ended already */
			p = skip_ws(p + 1);
			continue;
		}
		if (*p == '}') {
			*end = '\0';
			break;
		}
		*why = "no ',' or '}' after a value";
		return -1;
	}
done:
	p = skip_ws(p + 1);
	if (*p != '\0') {
		*why = "text after the object";
		return -1;
	}
	return 0;
}

const char *
jsonread_get(const struct jsonread *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->f[i].key, key) == 0)
			return o->f[i].val;
	return NULL;
}
