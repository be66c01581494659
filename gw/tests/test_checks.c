/*
 * test_checks.c - lua/checks.lua, the ready-made checks, run in the sandbox:
 * each verdict and reason, the host wildcards, factory errors at the policy's
 * line, and the cost of one call (printed, never asserted).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_rt.h"

static struct luart *rt;

static void	push_expr(const char *expr);

/*
 * Run check (a Lua expression that is a check) on ctx (a Lua expression),
 * with c = require "checks"; "accept" when it returns nothing, else
 * "verdict/reason".
 */
static const char *
run_check(const char *check, const char *ctx)
{
	static char out[256];
	lua_State *L = luart_state(rt);
	char code[2048], err[512];
	const char *s;

	snprintf(code, sizeof(code),
	    "local c = require 'checks'\n"
	    "local f = %s\n"
	    "local v, r = f(%s)\n"
	    "if v == nil and r == nil then return 'accept' end\n"
	    "return tostring(v) .. '/' .. tostring(r)\n", check, ctx);
	if (luart_dobuffer(rt, code, strlen(code), "case.lua", err,
	    sizeof(err)) == -1)
		fail_msg("%s on %s: %s", check, ctx, err);
	s = lua_tostring(L, -1);
	assert_non_null(s);
	snprintf(out, sizeof(out), "%s", s);
	lua_pop(L, 1);
	assert_int_equal(lua_gettop(L), 0);
	return out;
}

static void
verdict_is(const char *check, const char *ctx, const char *want)
{
	const char *got = run_check(check, ctx);

	if (strcmp(got, want) != 0)
		fail_msg("%s on %s: got \"%s\", want \"%s\"", check, ctx, got,
		    want);
}

/* sni_matches_host with SNI sni (a Lua expression) and host list hosts. */
static void
expect_sni(const char *sni, const char *hosts, const char *want)
{
	char ctx[512];

	snprintf(ctx, sizeof(ctx), "{ tls = { sni = %s }, rule = { name = "
	    "'web', host = %s } }", sni, hosts);
	verdict_is("c.sni_matches_host", ctx, want);
}

/* dns_no_tunnel(opts) on a query for qname. */
static void
expect_dns(const char *opts, const char *qname, const char *want)
{
	char check[256], ctx[512];

	snprintf(check, sizeof(check), "c.dns_no_tunnel%s", opts);
	snprintf(ctx, sizeof(ctx), "{ dns = { qname = '%s', qtype = 'A', "
	    "qtype_num = 1, response = false, answers = {} } }", qname);
	verdict_is(check, ctx, want);
}

/*
 * icmp_no_tunnel(opts) on an echo message of the given proto and type
 * whose data is the Lua expression data (len: its length, or more when
 * len > 0 says so).
 */
static void
expect_icmp(const char *opts, const char *proto, int type, int len,
    const char *data, const char *want)
{
	char check[256], ctx[1024];

	snprintf(check, sizeof(check), "c.icmp_no_tunnel%s", opts);
	snprintf(ctx, sizeof(ctx), "(function() local d = %s return { flow = "
	    "{ proto = '%s' }, icmp = { type = %d, code = 0, id = 7, seq = 1, "
	    "len = %d > 0 and %d or #d }, payload = d } end)()", data, proto,
	    type, len, len);
	verdict_is(check, ctx, want);
}

/* Lua expressions for echo data: what ping programs send, and not. */
#define TS16	"'\\1\\2\\3\\4\\5\\6\\7\\8\\9\\10\\11\\12\\13\\14\\15\\16'"
#define COUNT(from, to) \
	"(function() local t = {} for i = " #from ", " #to " do " \
	"t[#t + 1] = string.char(i % 256) end return table.concat(t) end)()"
#define RANDOM56 \
	"'35l9m26mi0yhz0nartbnlzgcjn2qavsyeefnpaxxq7Rt0pLm2Zx9Kd4B'"

/*
 * "policy.lua", whose line 2 is `local x = EXPR` (not `return EXPR`: a tail
 * call leaves no caller's line to name), fails; the error names line (of the
 * factory's call) and contains want.
 */
static void
expect_factory_err_at(const char *expr, int line, const char *want)
{
	lua_State *L = luart_state(rt);
	char code[1024], err[512], at[64];

	snprintf(code, sizeof(code), "local c = require 'checks'\n"
	    "local x = %s\nreturn x\n", expr);
	snprintf(at, sizeof(at), "policy.lua:%d: checks.", line);
	if (luart_dobuffer(rt, code, strlen(code), "policy.lua", err,
	    sizeof(err)) == 0)
		fail_msg("%s: loaded, want an error with \"%s\"", expr, want);
	if (strncmp(err, at, strlen(at)) != 0 || strstr(err, want) == NULL)
		fail_msg("%s: error \"%s\", want \"%s\" and \"%s\"", expr, err,
		    at, want);
	assert_null(strchr(err, '\n'));
	assert_int_equal(lua_gettop(L), 0);
}

static void
expect_factory_err(const char *expr, const char *want)
{
	expect_factory_err_at(expr, 2, want);
}

static void
test_module_shape(void **state)
{
	lua_State *L = luart_state(rt);
	const char *fns[] = { "sni_matches_host", "no_ech", "http_methods",
		"dns_no_tunnel", "dns_qtypes", "alpn", "icmp_no_tunnel", NULL };
	char err[512];
	int i;

	(void)state;
	assert_int_equal(luart_require(rt, "checks", err, sizeof(err)), 0);
	assert_int_equal(lua_type(L, -1), LUA_TTABLE);
	for (i = 0; fns[i] != NULL; i++) {
		lua_getfield(L, -1, fns[i]);
		if (lua_type(L, -1) != LUA_TFUNCTION)
			fail_msg("checks.%s is not a function", fns[i]);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	/* loading it left no global behind */
	verdict_is("function(names) for _, n in ipairs(names) do if "
	    "_G[n] ~= nil then return 'drop', n end end end",
	    "{ 'M', 'checks', 'compiled', 'host_match', 'QTYPE', 'LOG2' }",
	    "accept");
}

static void
test_sni_exact(void **state)
{
	(void)state;
	expect_sni("'example.com'", "{ 'example.com' }", "accept");
	expect_sni("'example.com'", "{ 'other.net', 'example.com' }",
	    "accept");
	expect_sni("'www.example.com'", "{ 'example.com' }",
	    "drop/sni_mismatch");
	expect_sni("'example.co'", "{ 'example.com' }", "drop/sni_mismatch");
	expect_sni("'xexample.com'", "{ 'example.com' }",
	    "drop/sni_mismatch");
	/* the list as the engine may hand a single name */
	expect_sni("'example.com'", "'example.com'", "accept");
}

static void
test_sni_one_label(void **state)
{
	(void)state;
	expect_sni("'a.example.com'", "{ '*.example.com' }", "accept");
	expect_sni("'www-1.example.com'", "{ '*.example.com' }", "accept");
	expect_sni("'example.com'", "{ '*.example.com' }",
	    "drop/sni_mismatch");
	expect_sni("'a.b.example.com'", "{ '*.example.com' }",
	    "drop/sni_mismatch");
	expect_sni("'aexample.com'", "{ '*.example.com' }",
	    "drop/sni_mismatch");
	expect_sni("'.example.com'", "{ '*.example.com' }",
	    "drop/sni_mismatch");
	expect_sni("'a.example.com.evil.net'", "{ '*.example.com' }",
	    "drop/sni_mismatch");
	expect_sni("'a.example.org'", "{ '*.example.com' }",
	    "drop/sni_mismatch");
}

static void
test_sni_any_depth(void **state)
{
	(void)state;
	expect_sni("'a.cdn.net'", "{ '**.cdn.net' }", "accept");
	expect_sni("'a.b.cdn.net'", "{ '**.cdn.net' }", "accept");
	expect_sni("'x.y.z.cdn.net'", "{ '**.cdn.net' }", "accept");
	expect_sni("'a.b.example.com'", "{ '**.example.com' }", "accept");
	expect_sni("'example.com'", "{ '**.example.com' }",
	    "drop/sni_mismatch");
	expect_sni("'cdn.net'", "{ '**.cdn.net' }", "drop/sni_mismatch");
	expect_sni("'evilcdn.net'", "{ '**.cdn.net' }", "drop/sni_mismatch");
	/* empty labels are not labels */
	expect_sni("'a..cdn.net'", "{ '**.cdn.net' }", "drop/sni_mismatch");
	expect_sni("'.a.cdn.net'", "{ '**.cdn.net' }", "drop/sni_mismatch");
	/* the apex needs its own entry */
	expect_sni("'example.com'", "{ '*.example.com', 'example.com' }",
	    "accept");
	expect_sni("'a.b.example.com'", "{ 'example.com', '*.example.com', "
	    "'**.cdn.net' }", "drop/sni_mismatch");
	expect_sni("'a.b.cdn.net'", "{ 'example.com', '*.example.com', "
	    "'**.cdn.net' }", "accept");
}

static void
test_sni_case_and_dots(void **state)
{
	(void)state;
	expect_sni("'A.Example.COM'", "{ '*.example.com' }", "accept");
	expect_sni("'a.example.com'", "{ '*.EXAMPLE.Com' }", "accept");
	expect_sni("'WWW.EXAMPLE.COM'", "{ 'www.example.com' }", "accept");
	expect_sni("'A.B.CDN.NET'", "{ '**.Cdn.Net' }", "accept");
	expect_sni("'example.com.'", "{ 'example.com' }", "accept");
	expect_sni("'example.com'", "{ 'example.com.' }", "accept");
	expect_sni("'a.example.com.'", "{ '*.example.com.' }", "accept");
	expect_sni("'a.b.cdn.net.'", "{ '**.cdn.net' }", "accept");
	expect_sni("'example.com.'", "{ '*.example.com' }",
	    "drop/sni_mismatch");
	/* the same patterns again, now from the parsed memo */
	expect_sni("'a.example.com'", "{ '*.EXAMPLE.Com' }", "accept");
	expect_sni("'a.b.example.com'", "{ '*.EXAMPLE.Com' }",
	    "drop/sni_mismatch");
}

static void
test_sni_misuse(void **state)
{
	(void)state;
	expect_sni("nil", "{ 'example.com' }", "drop/no_sni");
	expect_sni("''", "{ 'example.com' }", "drop/no_sni");
	verdict_is("c.sni_matches_host", "{ rule = { host = { 'a.com' } } }",
	    "drop/not_tls");
	verdict_is("c.sni_matches_host", "{ http = { host = 'a.com' }, "
	    "rule = { host = { 'a.com' } } }", "drop/not_tls");
	expect_sni("'example.com'", "nil", "drop/rule_has_no_host");
	expect_sni("'example.com'", "{}", "drop/rule_has_no_host");
	verdict_is("c.sni_matches_host", "{ tls = { sni = 'a.com' } }",
	    "drop/rule_has_no_host");
	/* misuse shows even before any traffic is TLS */
	verdict_is("c.sni_matches_host", "{ rule = { name = 'x' } }",
	    "drop/rule_has_no_host");
}

/* One rule's host table for many flows: its compiled form, kept, serves all. */
static void
test_sni_same_rule(void **state)
{
	lua_State *L = luart_state(rt);
	char code[512], err[512];

	(void)state;
	verdict_is("(function() "
	    "local rule = { name = 'web', host = { '*.example.com', "
	    "'**.cdn.net', 'Example.ORG.' } } "
	    "local out = {} "
	    "for _, s in ipairs{ 'a.example.com', 'example.com', "
	    "'x.y.cdn.net', "
	    "'EXAMPLE.org', 'example.org.', 'a.b.example.com', 'a.example.com' "
	    "} do "
	    "local v, r = c.sni_matches_host{ rule = rule, tls = { sni = s } } "
	    "out[#out + 1] = v and r or 'ok' end "
	    "return function() return 'drop', table.concat(out, ',') end "
	    "end)()", "{}",
	    "drop/ok,sni_mismatch,ok,ok,ok,sni_mismatch,ok");

	/* a host list the engine got wrong is a check_error, not a verdict */
	snprintf(code, sizeof(code), "local c = require 'checks'\n"
	    "return c.sni_matches_host{ rule = { host = { 'a.com', 42 } }, "
	    "tls = { sni = 'a.com' } }\n");
	assert_int_equal(luart_dobuffer(rt, code, strlen(code), "case.lua",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "checks.sni_matches_host: "
	    "ctx.rule.host[2] is a number, not a host name"));
	assert_int_equal(lua_gettop(L), 0);
}

static void
test_no_ech(void **state)
{
	(void)state;
	verdict_is("c.no_ech", "{ tls = { sni = 'a.com', ech = true } }",
	    "drop/ech");
	verdict_is("c.no_ech", "{ tls = { sni = 'a.com', ech = false } }",
	    "accept");
	verdict_is("c.no_ech", "{ tls = { sni = 'a.com' } }", "accept");
	verdict_is("c.no_ech", "{ http = { method = 'GET' } }", "accept");
	verdict_is("c.no_ech", "{}", "accept");
}

static void
test_no_doh(void **state)
{
	(void)state;
	verdict_is("c.no_doh", "{ tls = { sni = 'dns.google' } }", "drop/doh");
	verdict_is("c.no_doh", "{ tls = { sni = 'Cloudflare-DNS.com.' } }", "drop/doh");
	verdict_is("c.no_doh", "{ http = { method = 'POST', host = 'dns.quad9.net' } }",
	    "drop/doh");
	verdict_is("c.no_doh", "{ tls = { sni = 'api.example.com' } }", "accept");
	verdict_is("c.no_doh", "{ tls = { sni = 'google' } }", "accept");
	verdict_is("c.no_doh", "{ tls = {} }", "accept");
	verdict_is("c.no_doh", "{}", "accept");
	verdict_is("c.no_ech", "{ tls = { error = 'client hello too big' } }",
	    "drop/tls_unreadable");
}

static void
test_http_methods(void **state)
{
	const char *get = "c.http_methods{ 'GET', 'HEAD' }";

	(void)state;
	verdict_is(get, "{ http = { method = 'GET', target = '/', host = "
	    "'a.com', version = 'HTTP/1.1' } }", "accept");
	verdict_is(get, "{ http = { method = 'HEAD' } }", "accept");
	verdict_is(get, "{ http = { method = 'POST' } }",
	    "drop/http_method");
	/* methods are case-sensitive (RFC 9110) */
	verdict_is(get, "{ http = { method = 'get' } }", "drop/http_method");
	verdict_is(get, "{ http = {} }", "drop/http_method");
	verdict_is(get, "{ tls = { sni = 'a.com' } }", "drop/not_http");
	verdict_is(get, "{}", "drop/not_http");
	verdict_is("c.http_methods{ 'PROPFIND' }", "{ http = { method = "
	    "'PROPFIND' } }", "accept");
}

static void
test_dns_no_tunnel(void **state)
{
	char name[400];

	(void)state;
	expect_dns("()", "www.example.com", "accept");
	expect_dns("{}", "www.example.com.", "accept");
	/* random-looking 40 characters: 4.6 bits each */
	expect_dns("()",
	    "35l9m26mi0yhz0nartbnlzgcjn2qavsyeefnpaxx.t.example.com",
	    "drop/dns_entropy");
	expect_dns("()", "35l9m26mi0yhz0nartbnlzgcjn2qavsyeefnpaxx.example.com",
	    "drop/dns_entropy");
	/* a long ordinary name: 3.9 bits */
	expect_dns("()", "mail-server-eu-west-production.corp.example.com",
	    "accept");
	expect_dns("{ max_entropy = 3.5 }",
	    "mail-server-eu-west-production.corp.example.com",
	    "drop/dns_entropy");
	/* the same characters in the registered domain are not counted */
	expect_dns("()", "www.35l9m26mi0yhz0nartbnlzgcjn2qavsyeefnpaxx.com",
	    "accept");
	/* too short to say: 19 distinct characters, 4.25 bits */
	expect_dns("()", "abcdefghijklmnopqrs.example.com", "accept");
	expect_dns("()", "abcdefghijklmnopqrst.example.com",
	    "drop/dns_entropy");
	/* the dots do not count, in the length or the entropy */
	expect_dns("()", "abcdefghij.klmnopqrs.example.com", "accept");
	expect_dns("{ entropy_min_len = 10 }", "abcdefghij.example.com",
	    "accept");
	expect_dns("{ entropy_min_len = 10, max_entropy = 3.3 }",
	    "abcdefghij.example.com", "drop/dns_entropy");

	/* lengths: a 63-byte label passes, 64 does not */
	memset(name, 'a', 63);
	snprintf(name + 63, sizeof(name) - 63, ".example.com");
	expect_dns("()", name, "accept");
	memset(name, 'a', 64);
	snprintf(name + 64, sizeof(name) - 64, ".example.com");
	expect_dns("()", name, "drop/dns_long_label");
	expect_dns("()", "www.example.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa", "drop/dns_long_label");
	memset(name, 'a', 250);
	memcpy(name + 63, ".", 1);
	memcpy(name + 127, ".", 1);
	memcpy(name + 191, ".", 1);
	memcpy(name + 246, ".com", 5);
	expect_dns("()", name, "accept");		/* 250 bytes */
	memcpy(name + 246, ".comm", 6);
	expect_dns("()", name, "accept");		/* 251 */
	memcpy(name + 246, ".commerce", 10);
	expect_dns("()", name, "drop/dns_long_name");	/* 255 */
	expect_dns("{ max_label = 10 }", "abcdefghijk.example.com",
	    "drop/dns_long_label");
	expect_dns("{ max_label = 10 }", "abcdefghij.example.com", "accept");
	expect_dns("{ max_name = 20 }", "abcdefghij.example.com",
	    "drop/dns_long_name");
	expect_dns("{ max_name = 22 }", "abcdefghij.example.com.", "accept");

	expect_dns("()", "localhost", "accept");
	expect_dns("()", "", "accept");
	/* not DNS: not this check's business */
	verdict_is("c.dns_no_tunnel()", "{ tls = { sni = 'a.com' } }",
	    "accept");
	verdict_is("c.dns_no_tunnel()", "{ dns = {} }", "accept");
	/* the scratch counts are clean for the next call */
	verdict_is("(function() local f = c.dns_no_tunnel() "
	    "local q = { dns = { qname = "
	    "'abcdefghijklmnopqrst.example.com' } } "
	    "local a = f(q) local b = f(q) return function() "
	    "if a ~= b then return 'drop', 'dirty' end end end)()", "{}",
	    "accept");
}

/* A call cut short by the instruction budget leaves no counts behind. */
static void
test_dns_budget_cut(void **state)
{
	lua_State *L = luart_state(rt);
	const char *q = "35l9m26mi0yhz0nartbnlzgcjn2qavsyeefnpaxx.example.com";
	char err[512];
	unsigned long b;
	int cut = 0;

	(void)state;
	push_expr("c.dns_no_tunnel()");
	lua_newtable(L);
	lua_newtable(L);
	lua_pushstring(L, q);
	lua_setfield(L, -2, "qname");
	lua_setfield(L, -2, "dns");
	for (b = 10; b < 400; b += 3) {
		luart_set_budget(rt, b);
		lua_pushvalue(L, 1);
		lua_pushvalue(L, 2);
		if (luart_pcall(rt, 1, 2, err, sizeof(err)) == -1)
			cut++;
		else
			lua_pop(L, 2);
		luart_set_budget(rt, 0);
		lua_pushvalue(L, 1);
		lua_pushvalue(L, 2);
		assert_int_equal(luart_pcall(rt, 1, 2, err, sizeof(err)), 0);
		if (!lua_isstring(L, -1) ||
		    strcmp(lua_tostring(L, -1), "dns_entropy") != 0)
			fail_msg("after a cut at %lu instructions: %s", b,
			    luaL_typename(L, -1));
		lua_pop(L, 2);
	}
	assert_true(cut > 10);
	lua_pop(L, 2);
	assert_int_equal(lua_gettop(L), 0);
}

static void
test_dns_qtypes(void **state)
{
	const char *q = "c.dns_qtypes{ 'A', 'aaaa', 'HTTPS' }";

	(void)state;
	verdict_is(q, "{ dns = { qname = 'a.com', qtype = 'A', qtype_num = 1 "
	    "} }", "accept");
	verdict_is(q, "{ dns = { qtype = 'AAAA', qtype_num = 28 } }",
	    "accept");
	verdict_is(q, "{ dns = { qtype = 'HTTPS', qtype_num = 65 } }",
	    "accept");
	verdict_is(q, "{ dns = { qtype = 'TYPE65', qtype_num = 65 } }",
	    "accept");
	verdict_is(q, "{ dns = { qtype = 'TYPE65' } }", "accept");
	verdict_is(q, "{ dns = { qtype = 'TXT', qtype_num = 16 } }",
	    "drop/dns_qtype");
	verdict_is(q, "{ dns = { qtype = 'TYPE99', qtype_num = 99 } }",
	    "drop/dns_qtype");
	verdict_is(q, "{ dns = {} }", "drop/dns_qtype");
	verdict_is(q, "{ tls = { sni = 'a.com' } }", "accept");
	verdict_is("c.dns_qtypes{ 'TYPE16' }", "{ dns = { qtype = 'TXT', "
	    "qtype_num = 16 } }", "accept");
	verdict_is("c.dns_qtypes{ 'FOO' }", "{ dns = { qtype = 'FOO', "
	    "qtype_num = 4242 } }", "accept");
}

static void
test_icmp_no_tunnel(void **state)
{
	(void)state;
	/* iputils: a 16-byte timestamp, then 0x10, 0x11, ... (56 bytes) */
	expect_icmp("{}", "icmp", 8, 0, TS16 " .. " COUNT(16, 55), "accept");
	/* BSD and macOS: 8 bytes of timestamp, then 0x08, 0x09, ... */
	expect_icmp("{}", "icmp", 8, 0, "'\\1\\2\\3\\4\\5\\6\\7\\8' .. "
	    COUNT(8, 55), "accept");
	expect_icmp("{}", "icmp", 8, 0, "'abcdefghijklmnopqrstuvwabcdefghi'",
	    "accept");
	expect_icmp("{}", "icmp", 8, 0, TS16 " .. string.rep('\\255', 40)",
	    "accept");
	expect_icmp("{}", "icmp", 8, 0, "string.rep('\\0', 56)", "accept");
	expect_icmp("{}", "icmp", 8, 0, TS16 " .. string.rep('xyz', 20)",
	    "accept");
	expect_icmp("()", "icmp", 8, 0, "''", "accept");
	expect_icmp("()", "icmp", 8, 0, "'q7Rt0pLm2Zx9Kd4Bz'", "accept");
	/* what tunnels send */
	expect_icmp("{}", "icmp", 8, 0, RANDOM56, "drop/icmp_payload");
	expect_icmp("{}", "icmp", 8, 0, TS16 " .. " COUNT(16, 54) " .. 'x'",
	    "drop/icmp_payload");
	expect_icmp("{}", "icmp", 8, 0, TS16 " .. string.rep("
	    "'0123456789abcdefg', 3)", "drop/icmp_payload");
	expect_icmp("{}", "icmpv6", 128, 0, RANDOM56, "drop/icmp_payload");
	expect_icmp("{}", "icmp", 8, 1000, TS16 " .. " COUNT(16, 255),
	    "drop/icmp_long");
	expect_icmp("{}", "icmp", 8, 129, TS16 " .. " COUNT(16, 128),
	    "drop/icmp_long");
	expect_icmp("{}", "icmp", 8, 128, TS16 " .. " COUNT(16, 127),
	    "accept");
	/* settings */
	expect_icmp("{ max_len = 1472 }", "icmp", 8, 1472, TS16 " .. "
	    COUNT(16, 255), "accept");
	expect_icmp("{ max_len = 32 }", "icmp", 8, 0, TS16 " .. " COUNT(16, 55),
	    "drop/icmp_long");
	expect_icmp("{ fill = false }", "icmp", 8, 0, RANDOM56, "accept");
	/* only echo requests */
	expect_icmp("{}", "icmp", 0, 0, RANDOM56, "accept");
	expect_icmp("{}", "icmp", 13, 0, RANDOM56, "accept");
	expect_icmp("{}", "icmpv6", 8, 0, RANDOM56, "accept");
	expect_icmp("{}", "icmp", 128, 0, RANDOM56, "accept");
	verdict_is("c.icmp_no_tunnel()", "{ tls = { sni = 'a.com' } }",
	    "accept");
}

static void
test_alpn(void **state)
{
	const char *a = "c.alpn{ 'h2', 'http/1.1' }";
	const char *r = "c.alpn{ 'h2', required = true }";

	(void)state;
	verdict_is(a, "{ tls = { alpn = { 'h2', 'http/1.1' } } }", "accept");
	verdict_is(a, "{ tls = { alpn = { 'h2' } } }", "accept");
	verdict_is(a, "{ tls = { alpn = { 'h2', 'h3' } } }", "drop/alpn");
	verdict_is(a, "{ tls = { alpn = { 'H2' } } }", "drop/alpn");
	verdict_is(a, "{ tls = { alpn = {} } }", "accept");
	verdict_is(a, "{ tls = { sni = 'a.com' } }", "accept");
	verdict_is(a, "{ http = { method = 'GET' } }", "accept");
	verdict_is(r, "{ tls = { alpn = { 'h2' } } }", "accept");
	verdict_is(r, "{ tls = { alpn = { 'http/1.1' } } }", "drop/alpn");
	verdict_is(r, "{ tls = { alpn = {} } }", "drop/no_alpn");
	verdict_is(r, "{ tls = {} }", "drop/no_alpn");
	verdict_is(r, "{ http = { method = 'GET' } }", "drop/not_tls");
	verdict_is("c.alpn{ 'h2', required = false }", "{ tls = {} }",
	    "accept");
}

static void
test_factory_errors(void **state)
{
	(void)state;
	expect_factory_err("c.http_methods{}", "http_methods: the list of HTTP "
	    "methods is empty");
	expect_factory_err("c.http_methods()", "http_methods: expected a list "
	    "of HTTP methods, got nothing");
	expect_factory_err("c.http_methods('GET')", "got string");
	expect_factory_err("c.http_methods{ 'GET', 42 }", "element 2 is a "
	    "number");
	expect_factory_err("c.http_methods{ 'GET HEAD' }", "\"GET HEAD\" is "
	    "not an HTTP method");
	expect_factory_err("c.http_methods{ 'GET', ['x'] = 1 }", "unknown key "
	    "x");
	expect_factory_err("c.http_methods{ 'GET', [3] = 'PUT' }", "the list "
	    "has a gap");
	/* a nil that #t counts but pairs skips (found by fuzzing) */
	expect_factory_err("c.dns_qtypes{ nil, 'AAAA', 'HTTPS' }", "element 1 "
	    "is a nil");
	expect_factory_err("c.http_methods{ 'GET', nil, 'PUT' }", "element 2 "
	    "is a nil");
	expect_factory_err("c.alpn{ nil, 'h2' }", "element 1 is a nil");
	expect_factory_err("c.dns_no_tunnel{ max_entropy = 'high' }",
	    "max_entropy must be a number");
	expect_factory_err("c.dns_no_tunnel{ max_entropy = 0 }",
	    "max_entropy must be above 0");
	expect_factory_err("c.dns_no_tunnel{ max_entropy = 0/0 }",
	    "max_entropy must be a number");
	expect_factory_err("c.dns_no_tunnel{ max_label = 1.5 }",
	    "max_label must be a whole number, got 1.5");
	expect_factory_err("c.dns_no_tunnel{ max_label = 64 }",
	    "max_label must be 1 to 63, got 64");
	expect_factory_err("c.dns_no_tunnel{ max_name = '200' }",
	    "max_name must be a whole number, got string");
	expect_factory_err("c.dns_no_tunnel{ max_lable = 30 }",
	    "unknown setting max_lable");
	expect_factory_err("c.dns_no_tunnel(3)", "expected a table of "
	    "settings, got number");
	expect_factory_err("c.dns_qtypes{}", "the list of DNS type names is "
	    "empty");
	expect_factory_err("c.dns_qtypes{ 'A', 'A A' }", "\"A A\" is not a "
	    "DNS type name");
	expect_factory_err("c.dns_qtypes{ 'TYPE70000' }", "\"TYPE70000\" is "
	    "not a DNS type");
	expect_factory_err("c.alpn{}", "alpn: the list of ALPN protocol ids "
	    "is empty");
	expect_factory_err("c.alpn{ required = true }", "is empty");
	expect_factory_err("c.alpn{ '' }", "\"\" is not an ALPN protocol id");
	expect_factory_err("c.alpn{ 'h2', required = 'yes' }", "required must "
	    "be true or false, got string");
	expect_factory_err("c.alpn{ 'h2', require = true }", "unknown key "
	    "require");
	expect_factory_err("c.icmp_no_tunnel{ max_len = 0 }",
	    "max_len must be 1 to 65535, got 0");
	expect_factory_err("c.icmp_no_tunnel{ fill = 'yes' }",
	    "fill must be true or false, got string");
	expect_factory_err("c.icmp_no_tunnel{ maxlen = 64 }",
	    "unknown setting maxlen (max_len, fill)");
	expect_factory_err("c.icmp_no_tunnel('big')", "expected a table of "
	    "settings, got string");
	/* the error is at the policy's line even a few lines down */
	expect_factory_err_at("{\n  checks = {\n    get = c.http_methods{},\n"
	    "  },\n}", 4, "http_methods: the list of HTTP methods is empty");
}

static void
test_factory_named_as_check(void **state)
{
	lua_State *L = luart_state(rt);
	char code[512], err[512];

	(void)state;
	/* a rule's `check = "checks.http_methods"` is called with ctx */
	snprintf(code, sizeof(code), "local c = require 'checks'\n"
	    "return c.http_methods{ flow = { proto = 'tcp' }, rule = {} }\n");
	assert_int_equal(luart_dobuffer(rt, code, strlen(code), "case.lua",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "checks.http_methods makes a check: call "
	    "it in the policy's `checks` table"));
	snprintf(code, sizeof(code), "local c = require 'checks'\n"
	    "return c.dns_no_tunnel{ flow = {}, dns = { qname = 'a.com' } }\n");
	assert_int_equal(luart_dobuffer(rt, code, strlen(code), "case.lua",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "checks.dns_no_tunnel makes a check"));
	assert_int_equal(lua_gettop(L), 0);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Leave the value of the Lua expression expr on the stack. */
static void
push_expr(const char *expr)
{
	char code[1024], err[512];

	snprintf(code, sizeof(code), "local c = require 'checks'\n"
	    "return %s\n", expr);
	if (luart_dobuffer(rt, code, strlen(code), "bench.lua", err,
	    sizeof(err)) == -1)
		fail_msg("%s: %s", expr, err);
}

/* µs for one call of check on ctx, over n calls through luart_pcall. */
static double
time_check(const char *check, const char *ctx, int n, const char *want)
{
	lua_State *L = luart_state(rt);
	char err[512];
	double t0, t1;
	int i, top = lua_gettop(L);

	push_expr(check);
	push_expr(ctx);
	/* once, checked */
	lua_pushvalue(L, top + 1);
	lua_pushvalue(L, top + 2);
	assert_int_equal(luart_pcall(rt, 1, 2, err, sizeof(err)), 0);
	if (want == NULL)
		assert_true(lua_isnil(L, -2));
	else if (!lua_isstring(L, -1) || strcmp(lua_tostring(L, -1), want) != 0)
		fail_msg("%s: not \"%s\"", check, want);
	lua_pop(L, 2);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		lua_pushvalue(L, top + 1);
		lua_pushvalue(L, top + 2);
		if (luart_pcall(rt, 1, 2, err, sizeof(err)) == -1)
			fail_msg("call %d: %s", i, err);
		lua_pop(L, 2);
	}
	t1 = now_us();
	lua_settop(L, top);
	return (t1 - t0) / n;
}

static void
test_cost(void **state)
{
	const int n = 100000;
	const char *web = "{ flow = { proto = 'tcp', src = '10.0.0.2', "
	    "sport = 40000, dst = '198.51.100.10', dport = 443, dir = 'out', "
	    "id = 1 }, subject = { known = false }, "
	    "rule = { name = 'web', host = { 'example.com', '*.example.com', "
	    "'**.cdn.net' } }, "
	    "tls = { sni = 'img.a.cdn.net', alpn = { 'h2', 'http/1.1' }, "
	    "versions = { 'TLSv1.3', 'TLSv1.2' }, version = 'TLSv1.3', "
	    "ech = false } }";
	double base, sni, exact, miss, meth, dns, dns_short, alpn;

	(void)state;
	base = time_check("function() end", web, n, NULL);
	sni = time_check("c.sni_matches_host", web, n, NULL);
	exact = time_check("c.sni_matches_host", "{ rule = { host = { "
	    "'example.com', '*.example.com', '**.cdn.net' } }, tls = { sni = "
	    "'www.example.com' } }", n, NULL);
	miss = time_check("c.sni_matches_host", "{ rule = { host = { "
	    "'example.com', '*.example.com', '**.cdn.net' } }, tls = { sni = "
	    "'www.example.org' } }", n, "sni_mismatch");
	meth = time_check("c.http_methods{ 'GET', 'HEAD' }", "{ http = { "
	    "method = 'GET', target = '/', host = 'a.com', version = "
	    "'HTTP/1.1' } }", n, NULL);
	dns = time_check("c.dns_no_tunnel()", "{ dns = { qname = "
	    "'mail-server-eu-west-production.corp.example.com', qtype = 'A', "
	    "qtype_num = 1 } }", n, NULL);
	dns_short = time_check("c.dns_no_tunnel()", "{ dns = { qname = "
	    "'www.example.com', qtype = 'A', qtype_num = 1 } }", n, NULL);
	alpn = time_check("c.alpn{ 'h2', 'http/1.1' }", web, n, NULL);
	printf("# checks: us per call, %d calls through luart_pcall: empty "
	    "function %.3f; sni_matches_host %.3f (\"**.\" match), %.3f "
	    "(\"*.\" match), %.3f (no match); http_methods %.3f; "
	    "dns_no_tunnel %.3f (www.example.com), %.3f (47 bytes, entropy "
	    "taken); alpn %.3f\n", n, base, sni, exact, miss, meth, dns_short,
	    dns, alpn);
}

static int
group_setup(void **state)
{
	const char *env = getenv("OUTGATE_LUA_DIR");
	const char *cands[] = { "lua", "../lua", "../../lua", NULL };
	char probe[PATH_MAX + 16], err[512];
	const char *dir = NULL;
	int i;

	(void)state;
	if (env != NULL && env[0] != '\0') {
		snprintf(probe, sizeof(probe), "%s/checks.lua", env);
		if (access(probe, R_OK) == 0)
			dir = env;
	}
	for (i = 0; dir == NULL && cands[i] != NULL; i++) {
		snprintf(probe, sizeof(probe), "%s/checks.lua", cands[i]);
		if (access(probe, R_OK) == 0)
			dir = cands[i];
	}
	if (dir == NULL) {
		fprintf(stderr, "test_checks: no lua/checks.lua from here\n");
		return -1;
	}
	if ((rt = luart_new(dir, 0, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "test_checks: %s\n", err);
		return -1;
	}
	if (luart_require(rt, "checks", err, sizeof(err)) == -1) {
		fprintf(stderr, "test_checks: %s\n", err);
		return -1;
	}
	lua_pop(luart_state(rt), 1);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	luart_free(rt);
	rt = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module_shape),
		cmocka_unit_test(test_sni_exact),
		cmocka_unit_test(test_sni_one_label),
		cmocka_unit_test(test_sni_any_depth),
		cmocka_unit_test(test_sni_case_and_dots),
		cmocka_unit_test(test_sni_misuse),
		cmocka_unit_test(test_sni_same_rule),
		cmocka_unit_test(test_no_ech),
		cmocka_unit_test(test_no_doh),
		cmocka_unit_test(test_http_methods),
		cmocka_unit_test(test_dns_no_tunnel),
		cmocka_unit_test(test_dns_budget_cut),
		cmocka_unit_test(test_dns_qtypes),
		cmocka_unit_test(test_alpn),
		cmocka_unit_test(test_icmp_no_tunnel),
		cmocka_unit_test(test_factory_errors),
		cmocka_unit_test(test_factory_named_as_check),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
