/*
 * tls.c - fuzz target: a client's first stream bytes through the ClientHello
 * parser (gw/tls.c), whole and cut short, as inspection feeds it while the
 * bytes arrive.  Checks the fields tls.h promises and that a prefix never
 * says something the whole stream contradicts.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "tls.h"

/* 16 KiB of scratch each: not on the stack */
static struct tls_hello	whole, part;

/* Text as tls.h writes it: NUL-terminated within len, bytes 0x20..0x7e. */
static void
check_text(const char *s, size_t len)
{
	FUZZ_ASSERT(memchr(s, '\0', len) != NULL);
	for (; *s != '\0'; s++)
		FUZZ_ASSERT(*s >= 0x20 && *s < 0x7f);
}

static void
check_hello(enum tls_status st, const struct tls_hello *h, size_t len)
{
	size_t i;

	FUZZ_ASSERT(st >= TLS_OK && st <= TLS_TOOBIG);
	FUZZ_ASSERT(tls_status_name(st) != NULL);
	FUZZ_ASSERT(st == TLS_OK || h->why != NULL);
	if (st != TLS_OK)
		return;
	FUZZ_ASSERT(h->consumed > 0 && h->consumed <= len);
	FUZZ_ASSERT(h->nalpn <= TLS_ALPN_MAX);
	FUZZ_ASSERT(h->nversions <= TLS_VERSIONS_MAX);
	FUZZ_ASSERT(h->nalpn == 0 || h->has_alpn);
	check_text(h->sni, sizeof(h->sni));
	FUZZ_ASSERT(!h->has_sni || h->sni[0] != '\0');
	for (i = 0; i < h->nalpn; i++)
		check_text(h->alpn[i], sizeof(h->alpn[i]));
	for (i = 0; i < h->nversions; i++)
		FUZZ_ASSERT(!tls_is_grease(h->versions[i]));
	(void)tls_version_name(h->max_version);
}

/* The first n bytes alone, in a buffer of their own size. */
static enum tls_status
prefix(const uint8_t *data, size_t n)
{
	enum tls_status st;
	uint8_t *buf;

	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return TLS_MORE;
	memcpy(buf, data, n);
	st = tls_client_hello(buf, n, &part);
	check_hello(st, &part, n);
	free(buf);
	return st;
}

static void
check_prefix(const uint8_t *data, size_t n, enum tls_status full)
{
	enum tls_status st = prefix(data, n);

	/* a verdict on the first n bytes holds for all of them */
	if (st != TLS_MORE && st != TLS_OK)
		FUZZ_ASSERT(st == full);
	if (st == TLS_OK) {
		FUZZ_ASSERT(full == TLS_OK);
		FUZZ_ASSERT(strcmp(part.sni, whole.sni) == 0);
		FUZZ_ASSERT(part.nciphers == whole.nciphers &&
		    part.nextensions == whole.nextensions);
	}
	if (full == TLS_OK && n < whole.consumed)
		FUZZ_ASSERT(st == TLS_MORE || st == TLS_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tls_status st;

	st = tls_client_hello(data, size, &whole);
	check_hello(st, &whole, size);
	if (size > 1) {
		check_prefix(data, size / 2, st);
		check_prefix(data, size - 1, st);
	}
	return 0;
}
