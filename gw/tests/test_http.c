/*
 * test_http.c - the HTTP/1.x request-head parser: Host and its anomalies, what
 * is not HTTP, every cut of a head, byte-at-a-time feeding, and mutations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

#define BIT(a)	(1u << (a))

static enum http_status
parse(const char *s, bool final, struct http_req *r)
{
	return http_request_head((const uint8_t *)s, strlen(s), final, r);
}

static enum http_status
parse_n(const char *s, size_t n, bool final, struct http_req *r)
{
	return http_request_head((const uint8_t *)s, n, final, r);
}

/* A complete head with this Host line: the anomaly and host it gave. */
static void
host_case(const char *line, enum http_anomaly want, const char *host)
{
	char buf[1024];
	struct http_req r;

	strcpy(buf, "GET / HTTP/1.1\r\n");
	strcat(buf, line);
	strcat(buf, "\r\nAccept: */*\r\n\r\n");
	assert_int_equal(parse(buf, false, &r), HTTP_OK);
	assert_true(r.complete);
	assert_int_equal(r.head_len, strlen(buf));
	assert_true(r.has_host);
	assert_string_equal(r.host, host);
	assert_int_equal(r.anomaly, want);
	assert_int_equal(r.anomalies, want == HTTP_ANOM_NONE ? 0 : BIT(want));
}

static void
assert_req_equal(const struct http_req *a, const struct http_req *b)
{
	assert_string_equal(a->method, b->method);
	assert_string_equal(a->target, b->target);
	assert_int_equal(a->target_cut, b->target_cut);
	assert_int_equal(a->version_major, b->version_major);
	assert_int_equal(a->version_minor, b->version_minor);
	assert_int_equal(a->has_host, b->has_host);
	assert_string_equal(a->host, b->host);
	assert_int_equal(a->anomaly, b->anomaly);
	assert_int_equal(a->anomalies, b->anomalies);
	assert_int_equal(a->complete, b->complete);
	assert_int_equal(a->head_len, b->head_len);
	assert_int_equal(a->nheaders, b->nheaders);
	assert_ptr_equal(a->why, b->why);
}

static void
t_names(void **state)
{
	static const char *want[HTTP_ANOM_COUNT] = {
		"http_none", "http_duplicate_host", "http_obs_fold",
		"http_bad_host", "http_space_before_colon", "http_bare_lf",
		"http_loose_request_line", "http_host_mismatch",
	};
	int a;

	(void)state;
	for (a = 0; a < HTTP_ANOM_COUNT; a++)
		assert_string_equal(http_anomaly_name((enum http_anomaly)a),
		    want[a]);
	assert_string_equal(http_anomaly_name(HTTP_ANOM_COUNT), "http_unknown");
	assert_string_equal(http_status_name(HTTP_OK), "ok");
	assert_string_equal(http_status_name(HTTP_MORE), "more");
	assert_string_equal(http_status_name(HTTP_NOT_HTTP), "not_http");
	assert_string_equal(http_status_name(HTTP_INVALID), "invalid");
}

static void
t_get_host(void **state)
{
	static const char head[] = "GET /index.html?q=1 HTTP/1.1\r\n"
	    "Host: www.example.com\r\n"
	    "User-Agent: curl/8.1.2\r\n"
	    "Accept: */*\r\n"
	    "\r\n";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(head, false, &r), HTTP_OK);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.target, "/index.html?q=1");
	assert_false(r.target_cut);
	assert_int_equal(r.version_major, 1);
	assert_int_equal(r.version_minor, 1);
	assert_true(r.has_host);
	assert_string_equal(r.host, "www.example.com");
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_int_equal(r.anomalies, 0);
	assert_true(r.complete);
	assert_int_equal(r.head_len, sizeof(head) - 1);
	assert_int_equal(r.nheaders, 3);
	assert_null(r.why);

	/* final changes nothing once the head is complete */
	assert_int_equal(parse(head, true, &r), HTTP_OK);
	assert_int_equal(r.head_len, sizeof(head) - 1);
}

static void
t_post(void **state)
{
	static const char msg[] = "POST /inform HTTP/1.1\r\n"
	    "Host: unifi:8080\r\n"
	    "Content-Type: application/x-binary\r\n"
	    "Content-Length: 11\r\n"
	    "\r\n"
	    "hello\r\n\r\nxy";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(msg, false, &r), HTTP_OK);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.target, "/inform");
	assert_string_equal(r.host, "unifi:8080");
	assert_true(r.complete);
	assert_int_equal(r.head_len, sizeof(msg) - 1 - 11);
	assert_int_equal(r.nheaders, 3);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
}

/* Only the first head of a pipelined stream counts. */
static void
t_pipelined(void **state)
{
	static const char msg[] = "GET /a HTTP/1.1\r\nHost: a.example\r\n\r\n"
	    "GET /b HTTP/1.1\r\nHost: b.example\r\n\r\n";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(msg, false, &r), HTTP_OK);
	assert_string_equal(r.target, "/a");
	assert_string_equal(r.host, "a.example");
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_int_equal(r.head_len, 36);
}

static void
t_mixed_case_host(void **state)
{
	(void)state;
	host_case("hOsT:   Example.COM:8080 \t ", HTTP_ANOM_NONE,
	    "Example.COM:8080");
	host_case("HOST:x.example", HTTP_ANOM_NONE, "x.example");
	host_case("host:\t\tx.example", HTTP_ANOM_NONE, "x.example");
	/* not Host: a longer or shorter name */
	{
		struct http_req r;

		assert_int_equal(parse("GET / HTTP/1.1\r\nHosts: a\r\n"
		    "Hos: b\r\nX-Host: c\r\n\r\n", false, &r), HTTP_OK);
		assert_false(r.has_host);
		assert_string_equal(r.host, "");
		assert_int_equal(r.nheaders, 3);
	}
}

static void
t_dup_host(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a.example\r\n"
	    "Accept: */*\r\nhost: b.example\r\n\r\n", false, &r), HTTP_OK);
	assert_string_equal(r.host, "a.example");
	assert_int_equal(r.anomaly, HTTP_ANOM_DUP_HOST);
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_DUP_HOST));
	assert_int_equal(r.nheaders, 3);

	/* the same value twice is still two Host fields */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
	    false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_DUP_HOST);

	/* BAD_HOST is about the kept value only */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b c\r\n\r\n",
	    false, &r), HTTP_OK);
	assert_string_equal(r.host, "a");
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_DUP_HOST));
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: b c\r\nHost: a\r\n\r\n",
	    false, &r), HTTP_OK);
	assert_string_equal(r.host, "b c");
	assert_int_equal(r.anomaly, HTTP_ANOM_BAD_HOST);
	assert_int_equal(r.anomalies,
	    BIT(HTTP_ANOM_BAD_HOST) | BIT(HTTP_ANOM_DUP_HOST));
}

static void
t_obs_fold(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\nX-A: 1\r\n  2\r\n"
	    "Host: h.example\r\n\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_OBS_FOLD);
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_OBS_FOLD));
	assert_int_equal(r.nheaders, 2);
	assert_string_equal(r.host, "h.example");

	/* a folded Host keeps its first line: the fold is not unfolded */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a.example\r\n"
	    "\t.evil.example\r\n\r\n", false, &r), HTTP_OK);
	assert_string_equal(r.host, "a.example");
	assert_int_equal(r.anomaly, HTTP_ANOM_OBS_FOLD);
	assert_int_equal(r.nheaders, 1);

	/* whitespace before the first field */
	assert_int_equal(parse("GET / HTTP/1.1\r\n Host: a.example\r\n\r\n",
	    false, &r), HTTP_OK);
	assert_false(r.has_host);
	assert_int_equal(r.anomaly, HTTP_ANOM_OBS_FOLD);
	assert_int_equal(r.nheaders, 0);

	/* a fold may not carry control bytes either */
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: 1\r\n \x01\r\n\r\n",
	    false, &r), HTTP_INVALID);
	assert_string_equal(r.why, "control byte in a field value");
}

static void
t_space_before_colon(void **state)
{
	struct http_req r;

	(void)state;
	host_case("Host : evil.example", HTTP_ANOM_SPACE_BEFORE_COLON,
	    "evil.example");
	host_case("Host\t: evil.example", HTTP_ANOM_SPACE_BEFORE_COLON,
	    "evil.example");
	/* the first anomaly wins, all are in the mask */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: good.example\r\n"
	    "Host : evil.example\r\n\r\n", false, &r), HTTP_OK);
	assert_string_equal(r.host, "good.example");
	assert_int_equal(r.anomaly, HTTP_ANOM_SPACE_BEFORE_COLON);
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_SPACE_BEFORE_COLON) |
	    BIT(HTTP_ANOM_DUP_HOST));
	/* on any field */
	assert_int_equal(parse("GET / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n"
	    "\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_SPACE_BEFORE_COLON);
	assert_false(r.has_host);
}

static void
t_host_port(void **state)
{
	(void)state;
	host_case("Host: example.com:8080", HTTP_ANOM_NONE, "example.com:8080");
	host_case("Host: 192.0.2.1:80", HTTP_ANOM_NONE, "192.0.2.1:80");
	host_case("Host: example.com:65535", HTTP_ANOM_NONE, "example.com:65535");
	host_case("Host: example.com:", HTTP_ANOM_NONE, "example.com:");
	host_case("Host: example.com:65536", HTTP_ANOM_BAD_HOST,
	    "example.com:65536");
	host_case("Host: example.com:000080", HTTP_ANOM_BAD_HOST,
	    "example.com:000080");
	host_case("Host: example.com:80a", HTTP_ANOM_BAD_HOST,
	    "example.com:80a");
	host_case("Host: example.com:80:81", HTTP_ANOM_BAD_HOST,
	    "example.com:80:81");
	host_case("Host: :80", HTTP_ANOM_BAD_HOST, ":80");
}

static void
t_ipv6_literal(void **state)
{
	(void)state;
	host_case("Host: [2001:db8::1]:8080", HTTP_ANOM_NONE,
	    "[2001:db8::1]:8080");
	host_case("Host: [2001:DB8::1]", HTTP_ANOM_NONE, "[2001:DB8::1]");
	host_case("Host: [::ffff:192.0.2.1]:443", HTTP_ANOM_NONE,
	    "[::ffff:192.0.2.1]:443");
	host_case("Host: [2001:db8::1", HTTP_ANOM_BAD_HOST, "[2001:db8::1");
	host_case("Host: [2001:db8::g]", HTTP_ANOM_BAD_HOST, "[2001:db8::g]");
	host_case("Host: [fe80::1%25eth0]", HTTP_ANOM_BAD_HOST,
	    "[fe80::1%25eth0]");
	host_case("Host: [v1.fe80::a+en1]", HTTP_ANOM_BAD_HOST,
	    "[v1.fe80::a+en1]");
	host_case("Host: [2001:db8::1]x", HTTP_ANOM_BAD_HOST, "[2001:db8::1]x");
	host_case("Host: 2001:db8::1", HTTP_ANOM_BAD_HOST, "2001:db8::1");
	host_case("Host: [1111:2222:3333:4444:5555:6666:7777:8888:9999]",
	    HTTP_ANOM_BAD_HOST,
	    "[1111:2222:3333:4444:5555:6666:7777:8888:9999]");
}

static void
t_bad_host(void **state)
{
	char line[400];
	struct http_req r;

	(void)state;
	host_case("Host: exa mple.com", HTTP_ANOM_BAD_HOST, "exa mple.com");
	host_case("Host: user@example.com", HTTP_ANOM_BAD_HOST,
	    "user@example.com");
	host_case("Host: example.com/x", HTTP_ANOM_BAD_HOST, "example.com/x");
	host_case("Host: \xc3\xa9t\xc3\xa9.example", HTTP_ANOM_BAD_HOST,
	    "\xc3\xa9t\xc3\xa9.example");
	host_case("Host: ex%4", HTTP_ANOM_BAD_HOST, "ex%4");
	host_case("Host: ex%4g", HTTP_ANOM_BAD_HOST, "ex%4g");
	/* RFC 3986 reg-name: pct-encoded and sub-delims are allowed */
	host_case("Host: %65x.example", HTTP_ANOM_NONE, "%65x.example");
	host_case("Host: a_b-c~d.example.", HTTP_ANOM_NONE, "a_b-c~d.example.");
	/* an empty Host is valid (a target without authority) */
	host_case("Host:", HTTP_ANOM_NONE, "");
	host_case("Host:   ", HTTP_ANOM_NONE, "");

	/* 255 bytes fit; 256 do not, and then host is left empty */
	strcpy(line, "Host: ");
	memset(line + 6, 'a', 255);
	line[6 + 255] = '\0';
	host_case(line, HTTP_ANOM_NONE, line + 6);
	strcat(line, "b");
	strcat(line, "\r\n\r\n");
	{
		char buf[512];

		strcpy(buf, "GET / HTTP/1.1\r\n");
		strcat(buf, line);
		assert_int_equal(parse(buf, false, &r), HTTP_OK);
		assert_true(r.has_host);
		assert_string_equal(r.host, "");
		assert_int_equal(r.anomaly, HTTP_ANOM_BAD_HOST);
	}
}

static void
t_host_mismatch(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET http://a.example/x HTTP/1.1\r\n"
	    "Host: b.example\r\n\r\n", false, &r), HTTP_OK);
	assert_string_equal(r.target, "http://a.example/x");
	assert_string_equal(r.host, "b.example");
	assert_int_equal(r.anomaly, HTTP_ANOM_HOST_MISMATCH);
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_HOST_MISMATCH));

	assert_int_equal(parse("GET HTTP://A.Example:8080?x HTTP/1.1\r\n"
	    "Host: a.example:8080\r\n\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_int_equal(parse("GET http://u:p@a.example/ HTTP/1.1\r\n"
	    "Host: a.example\r\n\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_int_equal(parse("GET http://a.example HTTP/1.1\r\n"
	    "Host: a.example:80\r\n\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_HOST_MISMATCH);
	/* origin-form and asterisk-form have no authority to compare */
	assert_int_equal(parse("GET /http://a.example/ HTTP/1.1\r\n"
	    "Host: b.example\r\n\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: b.example\r\n\r\n",
	    false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);

	assert_int_equal(parse("CONNECT a.example:443 HTTP/1.1\r\n"
	    "Host: a.example:443\r\n\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_int_equal(parse("CONNECT a.example:443 HTTP/1.1\r\n"
	    "Host: b.example:443\r\n\r\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_HOST_MISMATCH);
	/* as captured (ja4 https-connect): HTTP/1.0, no Host */
	assert_int_equal(parse("CONNECT ts01-b.cloudsink.net:443 HTTP/1.0\r\n"
	    "User-Agent: CrowdStrike Falcon Sensor\r\n\r\n\x16\x03\x01", false,
	    &r), HTTP_OK);
	assert_string_equal(r.method, "CONNECT");
	assert_string_equal(r.target, "ts01-b.cloudsink.net:443");
	assert_false(r.has_host);
	assert_int_equal(r.head_len, 84);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
}

static void
t_missing_host(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", false,
	    &r), HTTP_OK);
	assert_int_equal(r.version_major, 1);
	assert_int_equal(r.version_minor, 0);
	assert_false(r.has_host);
	assert_string_equal(r.host, "");
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_true(r.complete);

	assert_int_equal(parse("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", false,
	    &r), HTTP_OK);
	assert_int_equal(r.version_minor, 1);
	assert_false(r.has_host);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_int_equal(r.nheaders, 1);

	/* no fields at all */
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", false, &r), HTTP_OK);
	assert_true(r.complete);
	assert_int_equal(r.head_len, 18);
	assert_int_equal(r.nheaders, 0);
}

static void
t_tls_not_http(void **state)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	struct http_req r;

	(void)state;
	assert_int_equal(http_request_head(hello, 1, false, &r), HTTP_NOT_HTTP);
	assert_string_equal(r.why, "first byte is not a token character");
	assert_int_equal(http_request_head(hello, 3, false, &r), HTTP_NOT_HTTP);
	assert_int_equal(http_request_head(hello, sizeof(hello), true, &r),
	    HTTP_NOT_HTTP);
	assert_false(r.complete);
	assert_false(r.has_host);
	/* and nothing at all is not yet anything */
	assert_int_equal(http_request_head(hello, 0, false, &r), HTTP_MORE);
	assert_null(r.why);
	assert_int_equal(http_request_head(NULL, 0, false, &r), HTTP_MORE);
	assert_int_equal(http_request_head(NULL, 0, true, &r), HTTP_NOT_HTTP);
	assert_string_equal(r.why, "data ended before a method and SP");
}

static void
t_not_http(void **state)
{
	static const struct {
		const char	*s;
		size_t		at;	/* the shortest prefix found NOT_HTTP */
		const char	*why;
	} cases[] = {
		{ "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n", 21,
		    "method too long" },
		{ "SSH-2.0-Go\r\n", 11,
		    "method is not a token followed by SP" },
		{ "EHLO mail.example\r\n", 18,
		    "request line without a version (HTTP/0.9 or not HTTP)" },
		{ "GET /\r\n", 6,
		    "request line without a version (HTTP/0.9 or not HTTP)" },
		{ "GET / FOO/1.0\r\n", 7,
		    "no \"HTTP/\" after the request target" },
		{ "GET / http/1.1\r\n", 7,
		    "no \"HTTP/\" after the request target" },
		{ "GET /a b HTTP/1.1\r\n", 8,
		    "no \"HTTP/\" after the request target" },
		{ "GET /\x01 HTTP/1.1\r\n", 6,
		    "control byte in the request target" },
		{ "GET \r\n", 5,
		    "request line without a version (HTTP/0.9 or not HTTP)" },
		{ "HTTP/1.1 200 OK\r\n", 5,
		    "method is not a token followed by SP" },
		{ "\r\nGET / HTTP/1.1\r\n", 1,
		    "first byte is not a token character" },
		{ " GET / HTTP/1.1\r\n", 1,
		    "first byte is not a token character" },
		{ "a001 LOGIN user pass\r\n", 12,
		    "no \"HTTP/\" after the request target" },
	};
	struct http_req r;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (k = 0; k < cases[i].at; k++)
			assert_int_equal(parse_n(cases[i].s, k, false, &r),
			    HTTP_MORE);
		assert_int_equal(parse_n(cases[i].s, k, false, &r),
		    HTTP_NOT_HTTP);
		assert_string_equal(r.why, cases[i].why);
		assert_int_equal(parse(cases[i].s, true, &r), HTTP_NOT_HTTP);
		assert_string_equal(r.why, cases[i].why);
	}
	/* 20 token characters is the longest method */
	assert_int_equal(parse("ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\n\r\n", false,
	    &r), HTTP_OK);
	assert_string_equal(r.method, "ABCDEFGHIJKLMNOPQRST");
	assert_int_equal(parse("ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n\r\n", false,
	    &r), HTTP_NOT_HTTP);
	/* the stream ended: before "method SP" not HTTP, after it invalid */
	assert_int_equal(parse("GET", true, &r), HTTP_NOT_HTTP);
	assert_string_equal(r.why, "data ended before a method and SP");
	assert_int_equal(parse("GET ", true, &r), HTTP_INVALID);
	assert_string_equal(r.why, "data ended inside the request line");
	assert_int_equal(parse("GET / HTTP/1.1\r", true, &r), HTTP_INVALID);
	assert_string_equal(r.why, "data ended inside the request line");
}

static void
t_invalid(void **state)
{
	static const struct {
		const char	*s;
		const char	*why;
	} cases[] = {
		{ "GET / HTTP/1.x\r\n\r\n", "malformed HTTP version" },
		{ "GET / HTTP/x.1\r\n\r\n", "malformed HTTP version" },
		{ "GET / HTTP/1,1\r\n\r\n", "malformed HTTP version" },
		{ "GET / HTTP/1.1x\r\n\r\n", "junk after the HTTP version" },
		{ "GET / HTTP/1.10\r\n\r\n", "junk after the HTTP version" },
		{ "GET / HTTP/1.1\rX\n\r\n", "CR not followed by LF" },
		{ "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
		    "CR not followed by LF" },
		{ "GET / HTTP/1.1\r\n\rX", "CR not followed by LF" },
		{ "GET / HTTP/1.1\r\nHost: a\x01" "b\r\n\r\n",
		    "control byte in a field value" },
		{ "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n",
		    "control byte in a field value" },
		{ "GET / HTTP/1.1\r\nX: \x1b[0m\r\n\r\n",
		    "control byte in a field value" },
		{ "GET / HTTP/1.1\r\n: x\r\n\r\n", "field name is not a token" },
		{ "GET / HTTP/1.1\r\nHo(st: x\r\n\r\n",
		    "field name is not a token" },
		{ "GET / HTTP/1.1\r\nHost x\r\n\r\n",
		    "field line without a colon" },
		{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
		    "field line without a colon" },
		{ "GET / HTTP/1.1\r\nHost \r\n\r\n",
		    "field line without a colon" },
		{ "GET / HTTP/1.1\r\n\xc3\xa9: x\r\n\r\n",
		    "field name is not a token" },
	};
	struct http_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].s, false, &r), HTTP_INVALID);
		assert_string_equal(r.why, cases[i].why);
		assert_false(r.complete);
	}
	/* NUL is a control byte too */
	assert_int_equal(parse_n("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26, false,
	    &r), HTTP_INVALID);
	assert_string_equal(r.why, "control byte in a field value");
	/* HTAB and obs-text are allowed in a value */
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\tb\xff\r\n\r\n", false,
	    &r), HTTP_OK);
	assert_int_equal(r.nheaders, 1);
}

static void
t_line_limit(void **state)
{
	char buf[4096];
	struct http_req r;
	size_t i;

	(void)state;
	strcpy(buf, "GET / HTTP/1.1\r\n");
	for (i = 0; i < HTTP_MAX_LINES - 2; i++)
		strcat(buf, "X-A: 1\r\n");
	strcat(buf, "Host: h\r\n");
	strcat(buf, " fold\r\n");	/* folds count toward the limit */
	strcat(buf, "\r\n");
	assert_int_equal(parse(buf, false, &r), HTTP_OK);
	assert_int_equal(r.nheaders, HTTP_MAX_LINES - 1);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.anomaly, HTTP_ANOM_OBS_FOLD);

	buf[strlen(buf) - 2] = '\0';
	strcat(buf, "Y: 2\r\n\r\n");
	assert_int_equal(parse(buf, false, &r), HTTP_INVALID);
	assert_string_equal(r.why, "more than 100 header lines");
	/* the 101st line counts only once it ended */
	buf[strlen(buf) - 4] = '\0';
	assert_int_equal(parse(buf, false, &r), HTTP_MORE);
	assert_int_equal(parse(buf, true, &r), HTTP_OK);
	assert_false(r.complete);
	assert_int_equal(r.nheaders, HTTP_MAX_LINES - 1);
}

static void
t_bare_lf(void **state)
{
	struct http_req r;

	(void)state;
	/* as captured (ja4 http-empty-useragent) */
	assert_int_equal(parse("GET / HTTP/1.0\nUser-Agent:\n\n", false, &r),
	    HTTP_OK);
	assert_true(r.complete);
	assert_int_equal(r.head_len, 28);
	assert_int_equal(r.nheaders, 1);
	assert_int_equal(r.anomaly, HTTP_ANOM_BARE_LF);
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_BARE_LF));

	/* only the last line */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\n\n", false, &r),
	    HTTP_OK);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.head_len, 26);
	assert_int_equal(r.anomaly, HTTP_ANOM_BARE_LF);

	/* a Host line */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h \n\r\n", false, &r),
	    HTTP_OK);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.anomaly, HTTP_ANOM_BARE_LF);
}

static void
t_loose_request_line(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse("GET  /x   HTTP/1.1 \r\nHost: h\r\n\r\n", false,
	    &r), HTTP_OK);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.target, "/x");
	assert_int_equal(r.version_minor, 1);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.anomaly, HTTP_ANOM_LOOSE_REQUEST_LINE);
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_LOOSE_REQUEST_LINE));

	assert_int_equal(parse("GET / HTTP/1.1  \n\n", false, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_LOOSE_REQUEST_LINE);
	assert_int_equal(r.anomalies, BIT(HTTP_ANOM_LOOSE_REQUEST_LINE) |
	    BIT(HTTP_ANOM_BARE_LF));
	/* a tab is no separator */
	assert_int_equal(parse("GET\t/ HTTP/1.1\r\n\r\n", false, &r),
	    HTTP_NOT_HTTP);
}

static void
t_h2_preface(void **state)
{
	static const char pri[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(pri, false, &r), HTTP_OK);
	assert_string_equal(r.method, "PRI");
	assert_string_equal(r.target, "*");
	assert_int_equal(r.version_major, 2);
	assert_int_equal(r.version_minor, 0);
	assert_true(r.complete);
	assert_int_equal(r.head_len, 18);
	assert_int_equal(r.nheaders, 0);
	assert_false(r.has_host);
}

static void
t_target_cut(void **state)
{
	char buf[1024];
	struct http_req r;

	(void)state;
	strcpy(buf, "GET /");
	memset(buf + 5, 'a', 600);
	strcpy(buf + 605, " HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(parse(buf, false, &r), HTTP_OK);
	assert_true(r.target_cut);
	assert_int_equal(strlen(r.target), HTTP_TARGET_BUF - 1);
	assert_memory_equal(r.target, buf + 4, HTTP_TARGET_BUF - 1);
	assert_string_equal(r.host, "h");
	assert_int_equal(r.head_len, strlen(buf));

	/* exactly HTTP_TARGET_BUF - 1 bytes is not cut */
	strcpy(buf, "GET /");
	memset(buf + 5, 'a', HTTP_TARGET_BUF - 2);
	strcpy(buf + 5 + HTTP_TARGET_BUF - 2, " HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(buf, false, &r), HTTP_OK);
	assert_false(r.target_cut);
	assert_int_equal(strlen(r.target), HTTP_TARGET_BUF - 1);
}

static const char sample[] = "GET /path HTTP/1.1\r\n"
    "User-Agent: t\r\n"
    "Host: sample.example:8080\r\n"
    "Accept: */*\r\n"
    "\r\n"
    "body";
#define SAMPLE_RL	20	/* the request line with its CRLF */
#define SAMPLE_HOST_END	(SAMPLE_RL + 15 + 27)	/* after the Host line */
#define SAMPLE_HEAD	(SAMPLE_HOST_END + 13 + 2)

static void
t_byte_at_a_time(void **state)
{
	struct http_req whole, r;
	size_t k;

	(void)state;
	assert_int_equal(parse_n(sample, SAMPLE_HEAD, false, &whole), HTTP_OK);
	assert_int_equal(whole.head_len, SAMPLE_HEAD);
	assert_string_equal(whole.host, "sample.example:8080");
	for (k = 0; k < SAMPLE_HEAD; k++)
		assert_int_equal(parse_n(sample, k, false, &r), HTTP_MORE);
	for (; k <= sizeof(sample) - 1; k++) {
		assert_int_equal(parse_n(sample, k, false, &r), HTTP_OK);
		assert_req_equal(&r, &whole);
	}
}

/* Every cut of the sample, with and without final. */
static void
t_truncate_everywhere(void **state)
{
	struct http_req r;
	size_t k, i, lines;
	enum http_status st;

	(void)state;
	for (k = 0; k < SAMPLE_HEAD; k++) {
		assert_int_equal(parse_n(sample, k, false, &r), HTTP_MORE);
		assert_false(r.complete);
		assert_int_equal(r.head_len, 0);
		assert_null(r.why);
		/* before the request line ended, nothing is filled in */
		if (k < SAMPLE_RL) {
			assert_string_equal(r.method, "");
			assert_int_equal(r.version_major, 0);
		} else {
			assert_string_equal(r.method, "GET");
			assert_int_equal(r.has_host, k >= SAMPLE_HOST_END);
		}

		st = parse_n(sample, k, true, &r);
		if (k <= 3) {
			assert_int_equal(st, HTTP_NOT_HTTP);
			assert_string_equal(r.why,
			    "data ended before a method and SP");
			continue;
		}
		if (k < SAMPLE_RL) {
			assert_int_equal(st, HTTP_INVALID);
			assert_string_equal(r.why,
			    "data ended inside the request line");
			continue;
		}
		assert_int_equal(st, HTTP_OK);
		assert_null(r.why);
		assert_false(r.complete);
		assert_int_equal(r.head_len, 0);
		assert_string_equal(r.method, "GET");
		assert_string_equal(r.target, "/path");
		assert_int_equal(r.version_minor, 1);
		assert_int_equal(r.has_host, k >= SAMPLE_HOST_END);
		assert_string_equal(r.host,
		    k >= SAMPLE_HOST_END ? "sample.example:8080" : "");
		for (i = SAMPLE_RL, lines = 0; i < k; i++)
			if (sample[i] == '\n')
				lines++;
		assert_int_equal(r.nheaders, lines);
		assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	}
	assert_int_equal(parse_n(sample, SAMPLE_HEAD, true, &r), HTTP_OK);
	assert_true(r.complete);
	assert_int_equal(r.nheaders, 3);
}

/* The buffer limit cut the head: a Host that came before still counts. */
static void
t_final_cut_mid_headers(void **state)
{
	static const char head[] = "GET / HTTP/1.1\r\n"
	    "Host: example.com\r\n"
	    "Cookie: aaaaaaaaaaaaaaaa";
	struct http_req r;

	(void)state;
	assert_int_equal(parse(head, false, &r), HTTP_MORE);
	assert_true(r.has_host);
	assert_int_equal(parse(head, true, &r), HTTP_OK);
	assert_false(r.complete);
	assert_int_equal(r.head_len, 0);
	assert_true(r.has_host);
	assert_string_equal(r.host, "example.com");
	assert_int_equal(r.nheaders, 1);

	/* cut inside the Host value, or between its CR and LF */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: exam", true, &r),
	    HTTP_OK);
	assert_false(r.has_host);
	assert_int_equal(r.nheaders, 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: example.com\r", true,
	    &r), HTTP_OK);
	assert_false(r.has_host);
	assert_string_equal(r.host, "");
	/* cut inside a name with a space before the colon: no anomaly yet */
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost :", true, &r), HTTP_OK);
	assert_int_equal(r.anomaly, HTTP_ANOM_NONE);
	assert_false(r.has_host);
	/* right after the request line */
	assert_int_equal(parse("GET / HTTP/1.1\r\n", true, &r), HTTP_OK);
	assert_false(r.complete);
	assert_int_equal(r.nheaders, 0);
}

static uint32_t
xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Random mutations must not crash, and the result must stay coherent. */
static void
t_mutations(void **state)
{
	static const char *seeds[] = {
		sample,
		"POST http://u@a.example:80/x?y HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n"
		    "X: a\r\n b\r\nHost : c\n\r\n",
		"CONNECT a.example:443 HTTP/1.0\r\nHost: a.example:443\r\n\r\n",
	};
	uint8_t buf[256];
	struct http_req r;
	uint32_t x = 2463534242u;
	size_t s, i, k, n, len, nmut;
	enum http_status st;

	(void)state;
	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		n = strlen(seeds[s]);
		assert_true(n <= sizeof(buf));
		for (i = 0; i < 200; i++) {
			memcpy(buf, seeds[s], n);
			nmut = 1 + xorshift(&x) % 4;
			for (k = 0; k < nmut; k++)
				buf[xorshift(&x) % n] = (uint8_t)xorshift(&x);
			len = n - xorshift(&x) % (n / 2);
			st = http_request_head(buf, len, (i & 1) != 0, &r);
			switch (st) {
			case HTTP_OK:
			case HTTP_MORE:
				assert_null(r.why);
				break;
			case HTTP_NOT_HTTP:
			case HTTP_INVALID:
				assert_non_null(r.why);
				break;
			default:
				fail_msg("status %d", st);
			}
			if (st == HTTP_MORE)
				assert_true((i & 1) == 0);
			assert_true(strlen(r.method) <= HTTP_METHOD_MAX);
			assert_true(strlen(r.target) < HTTP_TARGET_BUF);
			assert_true(strlen(r.host) < HTTP_HOST_BUF);
			assert_true(r.head_len <= len);
			assert_int_equal(r.complete, r.head_len > 0);
			assert_int_equal(r.anomaly == HTTP_ANOM_NONE,
			    r.anomalies == 0);
			if (r.anomaly != HTTP_ANOM_NONE)
				assert_true(r.anomalies & BIT(r.anomaly));
			assert_true(r.anomalies < BIT(HTTP_ANOM_COUNT));
			assert_true(r.nheaders <= HTTP_MAX_LINES);
			if (!r.has_host)
				assert_string_equal(r.host, "");
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_names),
		cmocka_unit_test(t_get_host),
		cmocka_unit_test(t_post),
		cmocka_unit_test(t_pipelined),
		cmocka_unit_test(t_mixed_case_host),
		cmocka_unit_test(t_dup_host),
		cmocka_unit_test(t_obs_fold),
		cmocka_unit_test(t_space_before_colon),
		cmocka_unit_test(t_host_port),
		cmocka_unit_test(t_ipv6_literal),
		cmocka_unit_test(t_bad_host),
		cmocka_unit_test(t_host_mismatch),
		cmocka_unit_test(t_missing_host),
		cmocka_unit_test(t_tls_not_http),
		cmocka_unit_test(t_not_http),
		cmocka_unit_test(t_invalid),
		cmocka_unit_test(t_line_limit),
		cmocka_unit_test(t_bare_lf),
		cmocka_unit_test(t_loose_request_line),
		cmocka_unit_test(t_h2_preface),
		cmocka_unit_test(t_target_cut),
		cmocka_unit_test(t_byte_at_a_time),
		cmocka_unit_test(t_truncate_everywhere),
		cmocka_unit_test(t_final_cut_mid_headers),
		cmocka_unit_test(t_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
