/*
 * addr.h - IPv4/IPv6 addresses and prefixes: parse, format, compare, match.
 * Pure functions on caller-owned values; nothing here allocates.
 */
#ifndef OUTGATE_ADDR_H
#define OUTGATE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An address in network byte order; IPv4 uses b[0..3] and leaves the rest zero. */
struct addr {
	uint8_t		family;		/* 4 or 6; 0 = none */
	uint8_t		b[16];
};

struct cidr {
	struct addr	net;		/* host bits cleared */
	uint8_t		len;		/* prefix length: 0-32 or 0-128 */
};

#define ADDR_STRLEN	46		/* INET6_ADDRSTRLEN */

/* Parse "192.0.2.1" or "2001:db8::1". Returns 0 or -1. */
int	addr_parse(struct addr *a, const char *s);
/* Parse "192.0.2.0/24", "2001:db8::/32" or a bare address (full length).
 * A prefix with host bits set is refused (-1): a typo more often than not. */
int	cidr_parse(struct cidr *c, const char *s);
/* Write the address in its canonical text form; returns buf. */
const char *addr_format(const struct addr *a, char *buf, size_t len);
const char *cidr_format(const struct cidr *c, char *buf, size_t len);
bool	addr_eq(const struct addr *a, const struct addr *b);
/* memcmp-like order: family first, then bytes. */
int	addr_cmp(const struct addr *a, const struct addr *b);
bool	cidr_contains(const struct cidr *c, const struct addr *a);
/* Set a from raw bytes: 4 bytes for IPv4, 16 for IPv6. */
void	addr_set4(struct addr *a, const uint8_t *b4);
void	addr_set6(struct addr *a, const uint8_t *b16);

#endif
