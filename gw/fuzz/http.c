/*
 * http.c - fuzz target: a client's first stream bytes through the request
 * head parser (gw/http.c), not final and final, whole and cut short, as
 * inspection calls it while the bytes arrive.  Checks what http.h promises
 * and that a prefix never says something the whole stream contradicts.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "http.h"

static void
check_text(const char *s, size_t len)
{
	FUZZ_ASSERT(memchr(s, '\0', len) != NULL);
}

static void
check_req(enum http_status st, const struct http_req *r, size_t len, bool final)
{
	FUZZ_ASSERT(st >= HTTP_OK && st <= HTTP_INVALID);
	FUZZ_ASSERT(http_status_name(st) != NULL);
	FUZZ_ASSERT((st == HTTP_NOT_HTTP || st == HTTP_INVALID) == (r->why != NULL));
	FUZZ_ASSERT(!final || st != HTTP_MORE);
	FUZZ_ASSERT(r->anomaly < HTTP_ANOM_COUNT);
	FUZZ_ASSERT(http_anomaly_name(r->anomaly) != NULL);
	FUZZ_ASSERT((r->anomaly == HTTP_ANOM_NONE) == (r->anomalies == 0));
	FUZZ_ASSERT(r->anomalies == 0 || (r->anomalies & 1u << r->anomaly) != 0);
	FUZZ_ASSERT(r->anomalies >> HTTP_ANOM_COUNT == 0);
	check_text(r->method, sizeof(r->method));
	check_text(r->target, sizeof(r->target));
	check_text(r->host, sizeof(r->host));
	FUZZ_ASSERT(strlen(r->method) <= HTTP_METHOD_MAX);
	FUZZ_ASSERT(r->has_host || r->host[0] == '\0');
	FUZZ_ASSERT(r->complete ? r->head_len > 0 && r->head_len <= len :
	    r->head_len == 0);
	FUZZ_ASSERT(r->nheaders < HTTP_MAX_LINES + 1);
	if (st == HTTP_OK)
		FUZZ_ASSERT(r->method[0] != '\0');
}

static enum http_status
parse(const uint8_t *data, size_t n, bool final, struct http_req *r)
{
	enum http_status st;
	uint8_t *buf;

	/* the bytes alone, in a buffer of their own size */
	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return HTTP_MORE;
	memcpy(buf, data, n);
	st = http_request_head(buf, n, final, r);
	check_req(st, r, n, final);
	free(buf);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req whole, part, fin;
	enum http_status st, pst;
	size_t cut[2], i;

	st = parse(data, size, false, &whole);
	(void)parse(data, size, true, &fin);
	if (st == HTTP_OK)
		FUZZ_ASSERT(whole.complete && whole.head_len <= size);
	if (size < 2)
		return 0;
	cut[0] = size / 2;
	cut[1] = size - 1;
	for (i = 0; i < 2; i++) {
		pst = parse(data, cut[i], false, &part);
		/* NOT_HTTP and INVALID are decided on bytes that stay */
		if (pst == HTTP_NOT_HTTP || pst == HTTP_INVALID)
			FUZZ_ASSERT(st == pst);
		if (pst == HTTP_OK) {
			FUZZ_ASSERT(st == HTTP_OK);
			FUZZ_ASSERT(part.head_len == whole.head_len);
			FUZZ_ASSERT(strcmp(part.host, whole.host) == 0);
			FUZZ_ASSERT(strcmp(part.method, whole.method) == 0);
		}
		if (st == HTTP_OK && cut[i] < whole.head_len)
			FUZZ_ASSERT(pst == HTTP_MORE);
	}
	return 0;
}
