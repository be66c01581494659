/*
 * dns.c - fuzz target: one DNS message through dns_parse (gw/dns.c), and the
 * same bytes as DNS over TCP through dns_tcp_message, then the names as
 * policies compare them.  Checks what dns.h promises of every result.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "dns.h"

/* 34 KiB: not on the stack */
static struct dns_msg	m;

/* buf holds a NUL within len bytes, and a name as policies compare it fits. */
static void
check_name(const char *buf, size_t len)
{
	char low[DNS_NAME_BUF];
	size_t n;

	FUZZ_ASSERT(memchr(buf, '\0', len) != NULL);
	n = dns_name_lower(low, sizeof(low), buf);
	FUZZ_ASSERT(n < sizeof(low) && low[n] == '\0' && strlen(low) == n);
}

static void
check_msg(enum dns_status st)
{
	size_t i;
	const char *s;

	FUZZ_ASSERT(st == DNS_OK || st == DNS_TRUNCATED || st == DNS_INVALID);
	FUZZ_ASSERT((st == DNS_OK) == (m.why == NULL));
	FUZZ_ASSERT(dns_status_name(st) != NULL);
	FUZZ_ASSERT(m.nanswers <= DNS_MAX_ANSWERS);
	if (m.has_question) {
		check_name(m.qname, sizeof(m.qname));
		(void)dns_type_name(m.qtype);
		/* not lossy: the text maps back to the wire name */
		if (!m.qname_lossy)
			for (s = m.qname; *s != '\0'; s++)
				FUZZ_ASSERT(*s >= 0x20 && *s < 0x7f && *s != '\\');
	}
	for (i = 0; i < m.nanswers; i++) {
		const struct dns_answer *a = &m.an[i];

		FUZZ_ASSERT(a->type == DNS_T_A || a->type == DNS_T_AAAA ||
		    a->type == DNS_T_CNAME);
		check_name(a->name, sizeof(a->name));
		check_name(a->cname, sizeof(a->cname));
		FUZZ_ASSERT(a->type == DNS_T_CNAME || a->cname[0] == '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off, mlen;
	uint8_t *inner;
	int rc;

	check_msg(dns_parse(size > 0 ? data : NULL, size, &m));

	rc = dns_tcp_message(size > 0 ? data : NULL, size, &off, &mlen);
	FUZZ_ASSERT(rc >= -1 && rc <= 1);
	if (rc != 0)
		return 0;
	FUZZ_ASSERT(mlen >= DNS_HDR_LEN && off <= size && mlen <= size - off);
	/* the message alone, so that a read past its end is ASan's */
	if ((inner = malloc(mlen)) == NULL)
		return 0;
	memcpy(inner, data + off, mlen);
	check_msg(dns_parse(inner, mlen, &m));
	free(inner);
	return 0;
}
