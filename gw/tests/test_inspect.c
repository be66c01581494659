/*
 * test_inspect.c - the inspector's slots: what a slot read for one flow
 * (a TLS hello, an HTTP head) is not seen by the next flow that takes it.
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "inspect.h"

struct bytes {
	uint8_t	b[512];
	size_t	n;
};

static void
put(struct bytes *x, const void *p, size_t n)
{
	assert_true(n <= sizeof(x->b) - x->n);
	memcpy(x->b + x->n, p, n);
	x->n += n;
}

static void
put8(struct bytes *x, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(x, &b, 1);
}

static void
put16(struct bytes *x, unsigned v)
{
	put8(x, v >> 8);
	put8(x, v);
}

/* One record: a ClientHello with SNI, ALPN h2 and http/1.1, TLS 1.3 and 1.2. */
static void
client_hello(struct bytes *rec, const char *sni)
{
	static const uint8_t random[32];
	struct bytes ext = { .n = 0 }, body = { .n = 0 };
	size_t l = strlen(sni);

	put16(&ext, 0x0000);		/* server_name */
	put16(&ext, (unsigned)l + 5);
	put16(&ext, (unsigned)l + 3);
	put8(&ext, 0);
	put16(&ext, (unsigned)l);
	put(&ext, sni, l);
	put16(&ext, 0x0010);		/* ALPN */
	put16(&ext, 14);
	put16(&ext, 12);
	put8(&ext, 2);
	put(&ext, "h2", 2);
	put8(&ext, 8);
	put(&ext, "http/1.1", 8);
	put16(&ext, 0x002b);		/* supported_versions */
	put16(&ext, 5);
	put8(&ext, 4);
	put16(&ext, 0x0304);
	put16(&ext, 0x0303);

	put16(&body, 0x0303);
	put(&body, random, sizeof(random));
	put8(&body, 0);			/* session id */
	put16(&body, 2);
	put16(&body, 0x1301);
	put8(&body, 1);
	put8(&body, 0);
	put16(&body, (unsigned)ext.n);
	put(&body, ext.b, ext.n);

	rec->n = 0;
	put8(rec, 0x16);
	put16(rec, 0x0301);
	put16(rec, (unsigned)body.n + 4);
	put8(rec, 0x01);
	put8(rec, 0);
	put16(rec, (unsigned)body.n);
	put(rec, body.b, body.n);
}

static struct pkt
tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
    const uint8_t *data, size_t len)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.status = PKT_OK;
	p.family = 4;
	p.proto = IPPROTO_TCP;
	p.has_l4 = true;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.payload = data;
	p.payload_len = len;
	return p;
}

/* Open f on the inspector's one slot with a SYN, feed it data: READY. */
static const struct inspect_info *
read_flow(struct inspector *in, struct flow *f, uint16_t sport, uint16_t dport,
    const void *data, size_t len)
{
	struct pkt syn = tcp(sport, dport, PKT_TCP_SYN, 99, NULL, 0);
	struct pkt seg = tcp(sport, dport, PKT_TCP_ACK | PKT_TCP_PSH, 100, data, len);
	struct inspect_result r;

	memset(f, 0, sizeof(*f));
	f->key.proto = IPPROTO_TCP;
	f->key.sport = sport;
	f->key.dport = dport;
	assert_int_equal(inspector_open(in, f, &syn, NULL), 0);
	inspector_packet(in, f, FLOW_DIR_ORIG, &syn, &r);
	assert_int_equal(r.state, INSPECT_MORE);
	inspector_packet(in, f, FLOW_DIR_ORIG, &seg, &r);
	assert_int_equal(r.state, INSPECT_READY);
	return inspector_info(in, f);
}

/* What a zeroed info holds, but for proto, tls, http and the strings given. */
static void
assert_only(const struct inspect_info *fi, enum inspect_proto proto,
    const char *sni, const char *method, const char *host)
{
	assert_int_equal(fi->proto, proto);
	assert_int_equal(fi->tls, proto == INSPECT_TLS);
	assert_null(fi->tls_error);
	assert_string_equal(fi->sni, sni);
	assert_string_equal(fi->alpn, proto == INSPECT_TLS ? "h2,http/1.1" : "");
	assert_int_equal(fi->nversions, proto == INSPECT_TLS ? 2 : 0);
	assert_int_equal(fi->max_version, proto == INSPECT_TLS ? 0x0304 : 0);
	assert_false(fi->ech);
	assert_int_equal(fi->http, proto == INSPECT_HTTP);
	assert_string_equal(fi->method, method);
	assert_string_equal(fi->target, proto == INSPECT_HTTP ? "/x" : "");
	assert_string_equal(fi->host, host);
	assert_int_equal(fi->http_major, proto == INSPECT_HTTP ? 1 : 0);
	assert_int_equal(fi->http_minor, proto == INSPECT_HTTP ? 1 : 0);
	assert_null(fi->dns);
	assert_int_equal(fi->icmp_type, 0);
	assert_int_equal(fi->icmp_len, 0);
	assert_false(fi->subject.known);
	assert_null(fi->subject.exe);
}

static void
test_slot_reused(void **state)
{
	static const char get[] = "GET /x HTTP/1.1\r\nHost: API.example.com:80\r\n\r\n";
	static const char other[] = "SSH-2.0-x\r\n";
	struct inspector *in = inspector_new(1);
	const struct inspect_info *fi;
	struct inspect_stats st;
	struct bytes hello;
	struct flow f;
	int i;

	(void)state;
	assert_non_null(in);
	client_hello(&hello, "Www.Example.COM.");
	for (i = 0; i < 2; i++) {
		fi = read_flow(in, &f, 40000, 443, hello.b, hello.n);
		assert_only(fi, INSPECT_TLS, "www.example.com", "", "");
		assert_int_equal(fi->versions[0], 0x0304);
		assert_int_equal(fi->versions[1], 0x0303);
		assert_int_equal(fi->payload_len, hello.n);
		inspector_close(in, &f);

		/* the same slot: nothing of the hello */
		fi = read_flow(in, &f, 40001, 80, get, strlen(get));
		assert_only(fi, INSPECT_HTTP, "", "GET", "api.example.com");
		inspector_close(in, &f);

		/* and nothing of the head either */
		fi = read_flow(in, &f, 40002, 22, other, strlen(other));
		assert_only(fi, INSPECT_OTHER, "", "", "");
		assert_int_equal(fi->payload_len, strlen(other));
		inspector_close(in, &f);
	}
	inspector_get_stats(in, &st);
	assert_int_equal(st.opened, 6);
	assert_int_equal(st.in_use, 0);
	inspector_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
