/*
 * addr.c - IPv4/IPv6 addresses and prefixes: parse, format, compare, match.
 * Must never allocate or touch global state: the hot path calls cidr_contains.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

void
addr_set4(struct addr *a, const uint8_t *b4)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	memcpy(a->b, b4, 4);
}

void
addr_set6(struct addr *a, const uint8_t *b16)
{
	a->family = 6;
	memcpy(a->b, b16, 16);
}

int
addr_parse(struct addr *a, const char *s)
{
	uint8_t buf[16];

	if (s == NULL)
		return -1;
	if (inet_pton(AF_INET, s, buf) == 1) {
		addr_set4(a, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		addr_set6(a, buf);
		return 0;
	}
	return -1;
}

int
cidr_parse(struct cidr *c, const char *s)
{
	char host[ADDR_STRLEN + 1], *end;
	const char *slash;
	size_t n, i;
	long len;
	unsigned max, bits;

	if (s == NULL)
		return -1;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n > ADDR_STRLEN)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (addr_parse(&c->net, host) == -1)
		return -1;
	max = c->net.family == 4 ? 32 : 128;
	if (slash == NULL) {
		c->len = (uint8_t)max;
		return 0;
	}
	if (slash[1] < '0' || slash[1] > '9')
		return -1;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || len < 0 || len > (long)max)
		return -1;
	c->len = (uint8_t)len;
	/* refuse set host bits */
	for (i = 0; i < (max / 8); i++) {
		bits = (unsigned)len > i * 8 ? (unsigned)len - (unsigned)i * 8 : 0;
		if (bits >= 8)
			continue;
		if ((c->net.b[i] & (uint8_t)(0xff >> bits)) != 0)
			return -1;
	}
	return 0;
}

const char *
addr_format(const struct addr *a, char *buf, size_t len)
{
	if (a->family == 4) {
		if (inet_ntop(AF_INET, a->b, buf, (socklen_t)len) != NULL)
			return buf;
	} else if (a->family == 6) {
		if (inet_ntop(AF_INET6, a->b, buf, (socklen_t)len) != NULL)
			return buf;
	}
	if (len > 0)
		buf[0] = '\0';
	return buf;
}

const char *
cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char tmp[ADDR_STRLEN];

	snprintf(buf, len, "%s/%u", addr_format(&c->net, tmp, sizeof(tmp)),
	    (unsigned)c->len);
	return buf;
}

bool
addr_eq(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->b, b->b, a->family == 4 ? 4 : 16) == 0;
}

int
addr_cmp(const struct addr *a, const struct addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, a->family == 4 ? 4 : 16);
}

bool
cidr_contains(const struct cidr *c, const struct addr *a)
{
	unsigned full, rest;

	if (c->net.family != a->family)
		return false;
	full = c->len / 8;
	rest = c->len % 8;
	if (full > 0 && memcmp(c->net.b, a->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->net.b[full] ^ a->b[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}
