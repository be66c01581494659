/*
 * test_engine.c - the verdict pipeline on hand-built decoded packets: new
 * flows against the rules, sticky verdicts, ICMP errors, fragments, monitor
 * mode, table pressure.  The decoder has its own tests; these start after it.
 */
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

#include "engine.h"
#include "flow.h"
#include "policy.h"

#define T0	1700000000000000ULL
#define SEC	1000000ULL

static const char policy_text[] =
    "return {\n"
    "  local_nets = { \"10.1.0.0/16\", \"fd00:1::/64\" },\n"
    "  inbound = {\n"
    "    { name = \"ssh\", proto = \"tcp\", port = 22, from = \"192.0.2.0/24\" },\n"
    "  },\n"
    "  egress = {\n"
    "    { name = \"https\", proto = \"tcp\", port = 443, to = { \"198.51.100.0/24\", \"2001:db8::/32\" } },\n"
    "    { name = \"dns\", proto = \"udp\", port = 53, to = \"203.0.113.5\" },\n"
    "    { name = \"ping\", proto = \"icmp\", to = \"198.51.100.0/24\" },\n"
    "    { name = \"checked\", proto = \"tcp\", port = 8443, to = \"198.51.100.0/24\", check = \"nope\" },\n"
    "  },\n"
    "  checks = { nope = function(ctx) return \"drop\", \"no\" end },\n"
    "}\n";

struct fixture {
	char		dir[64];
	char		path[96];
	struct policy	*pol;
	struct engine	*e;
};

static struct fixture *
fixture_new(const char *text, int mode, size_t flows)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct engine_opts eo = { .flow_capacity = flows, .mode = mode };
	char err[512];
	FILE *fp;

	assert_non_null(fx);
	strcpy(fx->dir, "/tmp/og-engine-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/p.lua", fx->dir);
	assert_non_null(fp = fopen(fx->path, "w"));
	fputs(text, fp);
	fclose(fp);
	if (policy_load(&fx->pol, fx->path, "lua", err, sizeof(err)) == -1)
		fail_msg("policy: %s", err);
	assert_non_null(fx->e = engine_new(fx->pol, &eo));
	return fx;
}

static void
fixture_free(struct fixture *fx)
{
	engine_free(fx->e);
	policy_free(fx->pol);
	unlink(fx->path);
	rmdir(fx->dir);
	free(fx);
}

static struct pkt
mk(const char *src, uint16_t sport, const char *dst, uint16_t dport,
    uint8_t proto, uint8_t flags)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.status = PKT_OK;
	assert_int_equal(addr_parse(&p.src, src), 0);
	assert_int_equal(addr_parse(&p.dst, dst), 0);
	p.family = p.src.family;
	p.proto = proto;
	p.ttl = 64;
	p.has_l4 = true;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = flags;
	p.l3_len = 60;
	return p;
}

static struct decision
run(struct fixture *fx, const struct pkt *p, uint64_t t)
{
	struct decision d;

	engine_decide(fx->e, p, ENGINE_HINT_NONE, t, &d);
	return d;
}

#define SYN	PKT_TCP_SYN
#define ACK	PKT_TCP_ACK
#define FIN	PKT_TCP_FIN
#define RST	PKT_TCP_RST

static void
test_tcp_out_and_replies(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt a = mk("10.1.0.5", 40000, "198.51.100.10", 443, 6, SYN);
	struct pkt b = mk("198.51.100.10", 443, "10.1.0.5", 40000, 6, SYN | ACK);
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_string_equal(d.rule, "https");
	assert_int_equal(d.dir, ENGINE_DIR_OUT);
	assert_true(d.new_flow);
	assert_int_equal(d.flow_id, 1);
	d = run(fx, &b, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_int_equal(d.dir, ENGINE_DIR_IN);
	assert_false(d.new_flow);
	assert_int_equal(d.flow_id, 1);
	fixture_free(fx);
}

static void
test_unknown_egress_sticks(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt a = mk("10.1.0.5", 40000, "198.51.100.10", 80, 6, SYN);
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNKNOWN_EGRESS);
	assert_null(d.rule);
	d = run(fx, &a, T0 + SEC);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNKNOWN_EGRESS);
	assert_false(d.new_flow);
	fixture_free(fx);
}

static void
test_reject_setting(void **state)
{
	struct fixture *fx = fixture_new("return { unknown_egress = \"reject\" }", -1, 0);
	struct pkt a = mk("10.1.0.5", 40000, "198.51.100.10", 80, 6, SYN);
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_REJECT);
	assert_int_equal(d.reason, REASON_UNKNOWN_EGRESS);
	fixture_free(fx);
}

static void
test_unsolicited_inbound_takes_no_flow(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt a = mk("203.0.113.9", 5555, "10.1.0.5", 8080, 6, SYN);
	struct flow_stats fs;
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	assert_int_equal(d.dir, ENGINE_DIR_IN);
	assert_int_equal(d.flow_id, 0);
	flow_get_stats(engine_flows(fx->e), &fs);
	assert_int_equal(fs.active, 0);
	fixture_free(fx);
}

static void
test_inbound_rule(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt a = mk("192.0.2.7", 5555, "10.1.0.5", 22, 6, SYN);
	struct pkt b = mk("10.1.0.5", 22, "192.0.2.7", 5555, 6, SYN | ACK);
	struct pkt c = mk("203.0.113.7", 5555, "10.1.0.5", 22, 6, SYN);
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_string_equal(d.rule, "ssh");
	d = run(fx, &b, T0 + 1);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_int_equal(d.dir, ENGINE_DIR_OUT);
	assert_string_equal(d.rule, "ssh");
	d = run(fx, &c, T0 + 2);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	fixture_free(fx);
}

static void
test_midstream(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct fixture *fy = fixture_new(
	    "return { tcp_midstream = \"allow\", local_nets = { \"10.1.0.0/16\" },"
	    " egress = { { name = \"w\", proto = \"tcp\", port = 443 } } }", -1, 0);
	struct pkt a = mk("10.1.0.5", 40000, "198.51.100.10", 443, 6, ACK);
	struct pkt in = mk("198.51.100.10", 443, "10.1.0.5", 40001, 6, ACK);
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_MIDSTREAM);
	d = run(fx, &in, T0);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	d = run(fy, &a, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	fixture_free(fx);
	fixture_free(fy);
}

static void
test_dns_stays_under_inspection(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt q = mk("10.1.0.5", 33333, "203.0.113.5", 53, 17, 0);
	struct pkt r = mk("203.0.113.5", 53, "10.1.0.5", 33333, 17, 0);
	struct pkt w = mk("10.1.0.5", 40000, "198.51.100.10", 443, 6, SYN);
	struct pkt x = mk("10.1.0.5", 33334, "203.0.113.6", 53, 17, 0);
	struct decision d;

	(void)state;
	d = run(fx, &q, T0);
	assert_true(d.inspect);
	d = run(fx, &r, T0 + 1);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_true(d.inspect);
	d = run(fx, &w, T0 + 2);	/* not DNS: handed over once decided */
	assert_false(d.inspect);
	d = run(fx, &x, T0 + 3);	/* DNS that is refused needs no more looks */
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_false(d.inspect);
	fixture_free(fx);
}

static void
test_udp_expiry(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt q = mk("10.1.0.5", 33333, "203.0.113.5", 53, 17, 0);
	struct pkt r = mk("203.0.113.5", 53, "10.1.0.5", 33333, 17, 0);
	struct decision d;

	(void)state;
	d = run(fx, &q, T0);
	assert_int_equal(d.reason, REASON_ALLOWED);
	d = run(fx, &r, T0 + 29 * SEC);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	/* replied: 120 s now; silence for 121 s ends it */
	d = run(fx, &r, T0 + 29 * SEC + 121 * SEC);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	fixture_free(fx);
}

static void
test_icmp_echo(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt req = mk("10.1.0.5", 7, "198.51.100.1", 7, 1, 0);
	struct pkt rep = mk("198.51.100.1", 7, "10.1.0.5", 7, 1, 0);
	struct pkt stray = mk("198.51.100.1", 9, "10.1.0.5", 9, 1, 0);
	struct decision d;

	(void)state;
	req.icmp_type = 8;
	req.icmp_id = 7;
	rep.icmp_type = 0;
	rep.icmp_id = 7;
	stray.icmp_type = 0;
	stray.icmp_id = 9;
	d = run(fx, &req, T0);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_string_equal(d.rule, "ping");
	d = run(fx, &rep, T0 + 1);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	d = run(fx, &stray, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	fixture_free(fx);
}

static void
test_icmp_errors(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt q = mk("10.1.0.5", 33333, "203.0.113.5", 53, 17, 0);
	struct pkt err = mk("203.0.113.5", 0, "10.1.0.5", 0, 1, 0);
	struct decision d;

	(void)state;
	run(fx, &q, T0);
	err.has_l4 = true;
	err.icmp_type = 3;
	err.icmp_code = 3;
	err.icmp_error = true;
	err.has_quote = true;
	err.quote.src = q.src;
	err.quote.dst = q.dst;
	err.quote.proto = 17;
	err.quote.sport = 33333;
	err.quote.dport = 53;
	d = run(fx, &err, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_RELATED);
	assert_int_equal(d.flow_id, 1);
	/* not the flow's own packet: the source must not hand the flow over on it */
	assert_null(d.flow);
	/* quoting a flow that does not exist */
	err.quote.sport = 44444;
	d = run(fx, &err, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNRELATED_ICMP);
	/* addressed to someone other than the quoted sender */
	err.quote.sport = 33333;
	assert_int_equal(addr_parse(&err.dst, "10.1.0.6"), 0);
	d = run(fx, &err, T0 + 3);
	assert_int_equal(d.reason, REASON_UNRELATED_ICMP);
	/* quoting too little */
	err.dst = q.src;
	err.has_quote = false;
	d = run(fx, &err, T0 + 4);
	assert_int_equal(d.reason, REASON_UNRELATED_ICMP);
	fixture_free(fx);
}

static void
test_fragments(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt first = mk("10.1.0.5", 33333, "203.0.113.5", 53, 17, 0);
	struct pkt later = first, orphan = first;
	struct decision d;

	(void)state;
	first.frag = true;
	first.frag_more = true;
	first.frag_id = 77;
	later.frag = true;
	later.frag_off = 1480;
	later.frag_id = 77;
	later.has_l4 = false;
	later.sport = later.dport = 0;
	orphan = later;
	orphan.frag_id = 78;
	d = run(fx, &first, T0);
	assert_int_equal(d.reason, REASON_ALLOWED);
	d = run(fx, &later, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_string_equal(d.rule, "dns");
	assert_null(d.flow);
	d = run(fx, &orphan, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_ORPHAN_FRAGMENT);
	/* a straggler after the fragment timeout */
	d = run(fx, &later, T0 + 31 * SEC);
	assert_int_equal(d.reason, REASON_ORPHAN_FRAGMENT);
	fixture_free(fx);
}

static void
test_dropped_first_fragment(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt first = mk("10.1.0.5", 33333, "203.0.113.99", 53, 17, 0);
	struct pkt later = first;
	struct decision d;

	(void)state;
	first.frag = first.frag_more = true;
	first.frag_id = 5;
	later.frag = true;
	later.frag_off = 8;
	later.frag_id = 5;
	later.has_l4 = false;
	d = run(fx, &first, T0);
	assert_int_equal(d.reason, REASON_UNKNOWN_EGRESS);
	d = run(fx, &later, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNKNOWN_EGRESS);
	fixture_free(fx);
}

static void
test_malformed_and_not_ip(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct fixture *fm = fixture_new(policy_text, POLICY_MONITOR, 0);
	struct pkt p;
	struct decision d;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.status = PKT_TRUNCATED;
	p.why = "ipv4 total length exceeds packet";
	d = run(fx, &p, T0);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_MALFORMED);
	assert_string_equal(d.detail, "ipv4 total length exceeds packet");
	d = run(fm, &p, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_MALFORMED);
	p.status = PKT_UNSUPPORTED;
	p.why = "not ip";
	d = run(fx, &p, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_NOT_IP);
	fixture_free(fx);
	fixture_free(fm);
}

static void
test_monitor_mode(void **state)
{
	struct fixture *fx = fixture_new(policy_text, POLICY_MONITOR, 0);
	struct pkt a = mk("10.1.0.5", 40000, "198.51.100.10", 80, 6, SYN);
	struct pkt in = mk("203.0.113.9", 5555, "10.1.0.5", 8080, 6, SYN);
	struct pkt ok = mk("10.1.0.5", 40001, "198.51.100.10", 443, 6, SYN);
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNKNOWN_EGRESS);
	d = run(fx, &in, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	d = run(fx, &ok, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	/* the policy's own mode = "monitor" does the same */
	fixture_free(fx);
	fx = fixture_new("return { mode = \"monitor\" }", -1, 0);
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_DROP);
	fixture_free(fx);
}

static struct pkt
mk_data(const char *src, uint16_t sport, const char *dst, uint16_t dport,
    uint32_t seq, const char *data)
{
	struct pkt p = mk(src, sport, dst, dport, 6, ACK | PKT_TCP_PSH);

	p.tcp_seq = seq;
	p.payload = (const uint8_t *)data;
	p.payload_len = strlen(data);
	return p;
}

static const char http_get[] = "GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n";

/* A rule with a check: accepted for now, decided once the request head is read. */
static void
test_check_after_handshake(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt syn = mk("10.1.0.5", 40000, "198.51.100.10", 8443, 6, SYN);
	struct pkt sa = mk("198.51.100.10", 8443, "10.1.0.5", 40000, 6, SYN | ACK);
	struct pkt part = mk_data("10.1.0.5", 40000, "198.51.100.10", 8443, 1001, "GET / HT");
	struct pkt rest = mk_data("10.1.0.5", 40000, "198.51.100.10", 8443, 1009,
	    http_get + 8);
	struct pkt again = mk_data("10.1.0.5", 40000, "198.51.100.10", 8443, 1100, "x");
	struct engine_stats st;
	struct decision d;

	(void)state;
	syn.tcp_seq = 1000;
	d = run(fx, &syn, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_string_equal(d.rule, "checked");
	assert_true(d.pending);
	assert_true(d.inspect);		/* plain verdicts: the next packets must come */
	d = run(fx, &sa, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_true(d.pending);
	d = run(fx, &part, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_true(d.pending);
	assert_null(d.http_host);
	d = run(fx, &rest, T0 + 3);	/* completes the head: the check says drop */
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK);
	assert_string_equal(d.detail, "no");
	assert_true(d.checked);
	assert_false(d.pending);
	assert_false(d.inspect);
	assert_string_equal(d.http_host, "api.example.com");
	assert_string_equal(d.http_method, "GET");
	d = run(fx, &again, T0 + 4);	/* it sticks */
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK);
	assert_false(d.checked);
	engine_get_stats(fx->e, &st);
	assert_int_equal(st.checks, 1);
	assert_int_equal(st.check_errors, 0);
	fixture_free(fx);
}

static const char check_policy[] =
    "return {\n"
    "  local_nets = { \"10.1.0.0/16\" },\n"
    "  %s\n"
    "  egress = {\n"
    "    { name = \"c\", proto = \"tcp\", port = 80, to = \"198.51.100.0/24\", check = \"%s\" },\n"
    "  },\n"
    "  checks = {\n"
    "    ok = function(ctx) if ctx.http.host == \"api.example.com\" and\n"
    "        ctx.flow.dport == 80 and ctx.rule.name == \"c\" then return end\n"
    "      return \"drop\", \"bad ctx\" end,\n"
    "    loops = function(ctx) while true do end end,\n"
    "    backtracks = function(ctx)\n"
    "      if ctx.http.host:rep(20):find((\"[a-z.]*\"):rep(12) .. \"!\") then return \"drop\" end end,\n"
    "    junk = function(ctx) return \"maybe\" end,\n"
    "    eats = function(ctx) local t = {} for i = 1, 1e9 do t[i] = string.rep(\"x\", 1048576) .. i end end,\n"
    "    reject = function(ctx) return \"reject\", \"nope\" end,\n"
    "    fresh = function(ctx)\n"
    "      n = (n or 0) + 1\n"
    "      if bad then return \"drop\", bad end\n"
    "      if next(ctx) ~= nil or (kept and next(kept) ~= nil) then bad = \"not empty \" .. n\n"
    "      elseif ctx.flow.sport ~= 39999 + n or ctx.http.host ~= \"api.example.com\" or\n"
    "        ctx.rule.name ~= \"c\" or rawget(ctx, \"flow\") == nil then bad = \"stale \" .. n end\n"
    "      if bad then return \"drop\", bad end\n"
    "      kept = ctx\n"
    "      ctx.mine = n\n"
    "      if n %% 3 == 0 then for i = 1, 40 do ctx[i] = i end end\n"
    "      if getmetatable(ctx) ~= false or getmetatable(ctx.tls or {}) then bad = \"metatable seen \" .. n end\n"
    "      if n %% 4 == 0 and pcall(setmetatable, ctx, nil) then bad = \"metatable changed \" .. n end\n"
    "      if n %% 5 == 0 then error(\"boom\") end\n"
    "    end,\n"
    "  },\n"
    "}\n";

static struct decision
check_flow(const char *check, const char *extra, size_t slots, int flows)
{
	static char detail[512], rule[64];
	char text[4096];
	struct fixture *fx;
	struct decision d;
	int i;

	snprintf(text, sizeof(text), check_policy, extra, check);
	fx = fixture_new(text, -1, 0);
	if (slots > 0) {
		struct engine_opts eo = { .mode = -1, .inspect_slots = slots };

		engine_free(fx->e);
		assert_non_null(fx->e = engine_new(fx->pol, &eo));
	}
	memset(&d, 0, sizeof(d));
	for (i = 0; i < flows; i++) {
		struct pkt syn = mk("10.1.0.5", (uint16_t)(40000 + i), "198.51.100.10", 80, 6, SYN);
		struct pkt get = mk_data("10.1.0.5", (uint16_t)(40000 + i), "198.51.100.10", 80,
		    2001, http_get);

		syn.tcp_seq = 2000;
		d = run(fx, &syn, T0 + (uint64_t)i * 10);
		if (!d.pending)
			break;		/* decided at once: no slot */
		d = run(fx, &get, T0 + (uint64_t)i * 10 + 1);
	}
	/* what d points at goes with the engine and the policy: keep copies */
	if (d.detail != NULL) {
		snprintf(detail, sizeof(detail), "%s", d.detail);
		d.detail = detail;
	}
	if (d.rule != NULL) {
		snprintf(rule, sizeof(rule), "%s", d.rule);
		d.rule = rule;
	}
	d.subject = NULL;
	d.flow = NULL;
	d.dns_qname = d.tls_sni = d.tls_alpn = d.http_host = d.http_method = NULL;
	d.dst_name = NULL;
	fixture_free(fx);
	return d;
}

static void
test_check_answers(void **state)
{
	struct decision d;

	(void)state;
	d = check_flow("ok", "", 0, 1);		/* nothing returned: accept, and the ctx holds */
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_true(d.checked);
	assert_true(d.inspect);		/* watched until the server answers */
	d = check_flow("reject", "", 0, 1);
	assert_int_equal(d.verdict, VERDICT_REJECT);
	assert_int_equal(d.reason, REASON_CHECK);
	assert_string_equal(d.detail, "nope");
	d = check_flow("reject", "mode = \"monitor\",", 0, 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_REJECT);
	assert_int_equal(d.reason, REASON_CHECK);
}

/*
 * Every call sees a ctx of its own flow and nothing the call before built or
 * wrote in it (the table is kept and emptied between calls): not after the
 * check filled it, took its metatable away or failed; and a ctx kept past
 * its call reads as empty.
 */
static void
test_check_ctx_each_call(void **state)
{
	struct decision d;

	(void)state;
	d = check_flow("fresh", "", 0, 13);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_null(d.detail);
	assert_true(d.checked);
}

/* A check that fails, loops or answers nonsense: on_check_error (drop by default). */
static void
test_check_errors(void **state)
{
	struct decision d;
	time_t t0;

	(void)state;
	d = check_flow("loops", "", 0, 1);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	assert_non_null(strstr(d.detail, "budget"));
	/* a pattern that backtracks on the traffic's bytes: the same budget */
	t0 = time(NULL);
	d = check_flow("backtracks", "", 0, 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	assert_non_null(strstr(d.detail, "instruction budget of 1000000 exhausted"));
	assert_true(time(NULL) - t0 < 5);
	d = check_flow("backtracks", "on_check_error = \"accept\",", 0, 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	d = check_flow("junk", "", 0, 1);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	assert_string_equal(d.detail,
	    "the check returned \"maybe\", not \"accept\", \"drop\" or \"reject\"");
	d = check_flow("eats", "", 0, 1);	/* the state's byte cap */
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	assert_non_null(strstr(d.detail, "out of memory"));
	d = check_flow("loops", "on_check_error = \"accept\",", 0, 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	d = check_flow("loops", "on_check_error = \"reject\",", 0, 1);
	assert_int_equal(d.verdict, VERDICT_REJECT);
	/* one slot is enough for one flow at a time */
	d = check_flow("ok", "", 1, 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
}

/*
 * After an accept the client's bytes are still compared until the server
 * answers: a decoy the server never got cannot pass for the real request.
 */
static void
test_check_watch(void **state)
{
	char text[4096];
	struct fixture *fx;
	struct decision d;
	struct pkt syn = mk("10.1.0.5", 40000, "198.51.100.10", 80, 6, SYN);
	struct pkt get = mk_data("10.1.0.5", 40000, "198.51.100.10", 80, 2001, http_get);
	struct pkt same = mk_data("10.1.0.5", 40000, "198.51.100.10", 80, 2001, http_get);
	struct pkt other = mk_data("10.1.0.5", 40000, "198.51.100.10", 80, 2001,
	    "GET / HTTP/1.1\r\nHost: evil.example.org\r\n\r\n");
	struct pkt answer = mk_data("198.51.100.10", 80, "10.1.0.5", 40000, 9001,
	    "HTTP/1.1 200 OK\r\n\r\n");

	(void)state;
	snprintf(text, sizeof(text), check_policy, "", "ok");
	fx = fixture_new(text, -1, 0);
	syn.tcp_seq = 2000;
	run(fx, &syn, T0);
	d = run(fx, &get, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_true(d.inspect);
	d = run(fx, &same, T0 + 2);		/* a plain retransmission */
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_true(d.inspect);
	d = run(fx, &other, T0 + 3);		/* the same bytes, rewritten */
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_TCP_OVERLAP);
	assert_true(d.checked);
	fixture_free(fx);

	/* the server answers: nothing more to compare, the kernel may take it */
	fx = fixture_new(text, -1, 0);
	run(fx, &syn, T0);
	run(fx, &get, T0 + 1);
	d = run(fx, &answer, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_false(d.inspect);
	d = run(fx, &other, T0 + 3);		/* no longer read */
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_false(d.inspect);
	fixture_free(fx);
}

/* A rule of its own mode; reasons enforced in every mode. */
static void
test_rule_mode_and_enforce_always(void **state)
{
	static const char pol[] =
	    "return {\n"
	    "  local_nets = { \"10.1.0.0/16\" },\n"
	    "  %s\n"
	    "  egress = {\n"
	    "    { name = \"c\", proto = \"tcp\", port = 80, to = \"198.51.100.0/24\", check = \"no\" %s },\n"
	    "  },\n"
	    "  checks = { no = function(ctx) return \"reject\", \"nope\" end },\n"
	    "}\n";
	struct pkt syn = mk("10.1.0.5", 40000, "198.51.100.10", 80, 6, SYN);
	struct pkt get = mk_data("10.1.0.5", 40000, "198.51.100.10", 80, 2001, http_get);
	struct pkt one = mk_data("10.1.0.5", 40000, "198.51.100.10", 80, 2001, "GET / HT");
	struct pkt two = mk_data("10.1.0.5", 40000, "198.51.100.10", 80, 2001, "POST / H");
	struct fixture *fx;
	struct decision d;
	char text[1024];

	(void)state;
	syn.tcp_seq = 2000;
	/* enforce, but the rule is watched: its check's reject is only "would" */
	snprintf(text, sizeof(text), pol, "", ", mode = \"monitor\"");
	fx = fixture_new(text, -1, 0);
	run(fx, &syn, T0);
	d = run(fx, &get, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_REJECT);
	assert_int_equal(d.reason, REASON_CHECK);
	fixture_free(fx);
	/* monitor, but the rule is proven: enforced */
	snprintf(text, sizeof(text), pol, "mode = \"monitor\",", ", mode = \"enforce\"");
	fx = fixture_new(text, -1, 0);
	run(fx, &syn, T0);
	d = run(fx, &get, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_REJECT);
	fixture_free(fx);
	/* monitor: tcp_overlap is enforced all the same (the default list) */
	snprintf(text, sizeof(text), pol, "mode = \"monitor\",", "");
	fx = fixture_new(text, -1, 0);
	run(fx, &syn, T0);
	run(fx, &one, T0 + 1);
	d = run(fx, &two, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_TCP_OVERLAP);
	fixture_free(fx);
	/* unless the policy's list leaves it out */
	snprintf(text, sizeof(text), pol, "mode = \"monitor\", enforce_always = {},", "");
	fx = fixture_new(text, -1, 0);
	run(fx, &syn, T0);
	run(fx, &one, T0 + 1);
	d = run(fx, &two, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_TCP_OVERLAP);
	fixture_free(fx);
	/* and a list can add a reason: check, enforced though the policy watches */
	snprintf(text, sizeof(text), pol, "mode = \"monitor\", enforce_always = { \"check\" },", "");
	fx = fixture_new(text, -1, 0);
	run(fx, &syn, T0);
	d = run(fx, &get, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_REJECT);
	fixture_free(fx);
}

static void
test_check_no_slot(void **state)
{
	struct fixture *fx;
	struct decision d;
	char text[4096];
	struct engine_opts eo = { .mode = -1, .inspect_slots = 1 };
	struct pkt a = mk("10.1.0.5", 40001, "198.51.100.10", 80, 6, SYN);
	struct pkt b = mk("10.1.0.5", 40002, "198.51.100.10", 80, 6, SYN);
	struct engine_stats st;

	(void)state;
	snprintf(text, sizeof(text), check_policy, "", "ok");
	fx = fixture_new(text, -1, 0);
	engine_free(fx->e);
	assert_non_null(fx->e = engine_new(fx->pol, &eo));
	d = run(fx, &a, T0);
	assert_true(d.pending);
	d = run(fx, &b, T0 + 1);
	assert_false(d.pending);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	assert_string_equal(d.detail, "no inspection slot free");
	engine_get_stats(fx->e, &st);
	assert_int_equal(st.inspect_no_slot, 1);
	fixture_free(fx);
}

/*
 * Connections reset before any data give their slot back at once: with one
 * slot, the next checked flow still gets it; bytes after a reset are not
 * let through unchecked.
 */
static void
test_reset_frees_slot(void **state)
{
	struct fixture *fx;
	struct decision d;
	char text[4096];
	struct engine_opts eo = { .mode = -1, .inspect_slots = 1 };
	uint16_t port;

	(void)state;
	snprintf(text, sizeof(text), check_policy, "", "ok");
	fx = fixture_new(text, -1, 0);
	engine_free(fx->e);
	assert_non_null(fx->e = engine_new(fx->pol, &eo));
	for (port = 41000; port < 41100; port++) {
		struct pkt syn = mk("10.1.0.5", port, "198.51.100.10", 80, 6, SYN);
		struct pkt rst = mk("10.1.0.5", port, "198.51.100.10", 80, 6, RST | ACK);

		d = run(fx, &syn, T0 + port);
		assert_true(d.pending);		/* it had the slot */
		d = run(fx, &rst, T0 + port);
		assert_int_equal(d.verdict, VERDICT_ACCEPT);	/* the reset itself passes */
	}
	/* a flow after all those resets has its check run as usual */
	{
		struct pkt syn = mk("10.1.0.5", 42000, "198.51.100.10", 80, 6, SYN);
		struct pkt get = mk_data("10.1.0.5", 42000, "198.51.100.10", 80, 2001, http_get);

		syn.tcp_seq = 2000;
		d = run(fx, &syn, T0 + 50000);
		assert_true(d.pending);
		d = run(fx, &get, T0 + 50001);
		assert_false(d.pending);
		assert_int_equal(d.verdict, VERDICT_ACCEPT);
		assert_int_equal(d.reason, REASON_ALLOWED);
		/* the server answers: the watched flow gives its slot back */
		{
			struct pkt ok = mk_data("198.51.100.10", 80, "10.1.0.5", 42000, 9001,
			    "HTTP/1.1 200 OK\r\n\r\n");

			d = run(fx, &ok, T0 + 50002);
		}
	}
	/* a (forged) reset, then the client's bytes: never passed unread */
	{
		struct pkt syn = mk("10.1.0.5", 43000, "198.51.100.10", 80, 6, SYN);
		struct pkt rst = mk("10.1.0.5", 43000, "198.51.100.10", 80, 6, RST);
		struct pkt get = mk_data("10.1.0.5", 43000, "198.51.100.10", 80, 2001, http_get);

		syn.tcp_seq = 2000;
		d = run(fx, &syn, T0 + 60000);
		assert_true(d.pending);
		d = run(fx, &rst, T0 + 60001);
		d = run(fx, &get, T0 + 60002);
		assert_false(d.pending);
		assert_int_equal(d.reason, REASON_CHECK_ERROR);
		assert_int_equal(d.verdict, VERDICT_DROP);
	}
	fixture_free(fx);
}

/*
 * The server answers a request head that is not whole yet: no HTTP or TLS
 * server does, so the check runs on what the client sent, at once, rather
 * than holding the flow in the queue to its end.  A bare ACK changes nothing.
 */
static void
test_server_answers_early(void **state)
{
	struct fixture *fx;
	struct decision d;
	char text[2048];
	struct pkt syn = mk("10.1.0.5", 44000, "198.51.100.10", 80, 6, SYN);
	struct pkt part = mk_data("10.1.0.5", 44000, "198.51.100.10", 80, 2001, "c");
	struct pkt ack = mk("198.51.100.10", 80, "10.1.0.5", 44000, 6, ACK);
	struct pkt echo = mk_data("198.51.100.10", 80, "10.1.0.5", 44000, 9001, "c");

	(void)state;
	snprintf(text, sizeof(text), check_policy, "", "ok");
	fx = fixture_new(text, -1, 0);
	syn.tcp_seq = 2000;
	d = run(fx, &syn, T0);
	assert_true(d.pending);
	d = run(fx, &part, T0 + 1);
	assert_true(d.pending);		/* "c" may start a method: more to read */
	d = run(fx, &ack, T0 + 2);
	assert_true(d.pending);
	d = run(fx, &echo, T0 + 3);
	assert_false(d.pending);	/* decided now, not at the end */
	assert_true(d.checked);
	/* "c" read whole is no HTTP: this check, which reads ctx.http, fails */
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	assert_int_equal(d.verdict, VERDICT_DROP);
	fixture_free(fx);

	/* a check that accepts: the server has answered, nothing to watch */
	fx = fixture_new("return { local_nets = { \"10.1.0.0/16\" }, egress = { { name = "
	    "\"c\", proto = \"tcp\", port = 80, to = \"198.51.100.0/24\", check = "
	    "\"any\" } }, checks = { any = function(ctx) return end } }\n", -1, 0);
	d = run(fx, &syn, T0);
	d = run(fx, &part, T0 + 1);
	assert_true(d.pending);
	d = run(fx, &echo, T0 + 3);
	assert_false(d.pending);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_false(d.inspect);	/* the kernel may take the flow now */
	fixture_free(fx);
}

/* Two copies of the same bytes that differ: an evasion, dropped. */
static void
test_tcp_overlap(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt syn = mk("10.1.0.5", 40000, "198.51.100.10", 8443, 6, SYN);
	struct pkt one = mk_data("10.1.0.5", 40000, "198.51.100.10", 8443, 11, "GET / HT");
	struct pkt two = mk_data("10.1.0.5", 40000, "198.51.100.10", 8443, 11, "POST / H");
	struct decision d;

	(void)state;
	syn.tcp_seq = 10;
	d = run(fx, &syn, T0);
	d = run(fx, &one, T0 + 1);
	assert_true(d.pending);
	d = run(fx, &two, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_TCP_OVERLAP);
	assert_true(d.checked);
	fixture_free(fx);
}

/*
 * IP is not reassembled: a client's fragment on a flow whose check reads its
 * bytes cannot be checked (on_check_error), and the fragments after it go
 * with it; a fragmented DNS query is not policed but refused.
 */
static void
test_fragment_of_checked_flow(void **state)
{
	static const char pol[] =
	    "return {\n"
	    "  local_nets = { \"10.1.0.0/16\" },\n"
	    "  %s\n"
	    "  egress = {\n"
	    "    { name = \"c\", proto = \"tcp\", port = 80, to = \"198.51.100.0/24\", check = \"ok\" },\n"
	    "    { name = \"dns\", proto = \"udp\", port = 53, to = \"203.0.113.5\" },\n"
	    "    { name = \"bulk\", proto = \"udp\", port = 9000, to = \"198.51.100.0/24\", check = \"ok\" },\n"
	    "  },\n"
	    "  checks = { ok = function(ctx) end },\n"
	    "}\n";
	struct pkt syn = mk("10.1.0.5", 40000, "198.51.100.10", 80, 6, SYN);
	struct pkt first = mk_data("10.1.0.5", 40000, "198.51.100.10", 80, 2001, "GET / HT");
	struct pkt later = mk("10.1.0.5", 0, "198.51.100.10", 0, 6, 0);
	struct pkt q = mk("10.1.0.5", 33333, "203.0.113.5", 53, 17, 0);
	struct pkt u = mk("10.1.0.5", 33334, "198.51.100.10", 9000, 17, 0);
	struct fixture *fx;
	struct decision d;
	char text[2048];

	(void)state;
	syn.tcp_seq = 2000;
	first.frag = first.frag_more = true;
	first.frag_id = 7;
	later.has_l4 = false;
	later.frag = true;
	later.frag_off = 32;
	later.frag_id = 7;
	snprintf(text, sizeof(text), pol, "dns = {},");
	fx = fixture_new(text, -1, 0);
	d = run(fx, &syn, T0);
	assert_true(d.pending);
	d = run(fx, &first, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	assert_non_null(strstr(d.detail, "ip fragments"));
	assert_true(d.checked);
	d = run(fx, &later, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	/* a check that reads no bytes (UDP but DNS) is not concerned */
	u.frag = u.frag_more = true;
	u.frag_id = 8;
	d = run(fx, &u, T0 + 3);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	/* a DNS query in fragments: not readable, so not let out */
	q.frag = q.frag_more = true;
	q.frag_id = 9;
	d = run(fx, &q, T0 + 4);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_DNS_DENIED);
	assert_string_equal(d.detail, "a dns query in ip fragments");
	fixture_free(fx);

	/* on_check_error says what a check that cannot run gets */
	snprintf(text, sizeof(text), pol, "on_check_error = \"accept\",");
	fx = fixture_new(text, -1, 0);
	run(fx, &syn, T0);
	d = run(fx, &first, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_CHECK_ERROR);
	d = run(fx, &later, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	fixture_free(fx);
}

/* What a check sees of a Host: lower-cased, one trailing dot and a port off. */
static void
test_host_as_checked(void **state)
{
	static const char pol[] =
	    "return {\n"
	    "  egress = {\n"
	    "    { name = \"c\", proto = \"tcp\", port = 80, check = \"say\" },\n"
	    "  },\n"
	    "  checks = { say = function(ctx) return \"drop\", ctx.http.host end },\n"
	    "}\n";
	static const char *const cases[][2] = {
		{ "WWW.Example.COM", "www.example.com" },
		{ "www.example.com.", "www.example.com" },
		{ "WWW.Example.Com.:8080", "www.example.com" },
		{ "www.example.com..", "www.example.com." },
		{ "www.example.com..:80", "www.example.com." },
		{ "[2001:DB8::1]:80", "[2001:db8::1]" },
	};
	struct fixture *fx = fixture_new(pol, -1, 0);
	char req[128];
	struct decision d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint16_t sport = (uint16_t)(40000 + i);
		struct pkt syn = mk("10.1.0.5", sport, "198.51.100.10", 80, 6, SYN);
		struct pkt get;

		snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n",
		    cases[i][0]);
		get = mk_data("10.1.0.5", sport, "198.51.100.10", 80, 2001, req);
		syn.tcp_seq = 2000;
		run(fx, &syn, T0 + i * 10);
		d = run(fx, &get, T0 + i * 10 + 1);
		assert_int_equal(d.reason, REASON_CHECK);
		if (strcmp(d.detail, cases[i][1]) != 0)
			fail_msg("Host: %s: the check saw \"%s\", want \"%s\"",
			    cases[i][0], d.detail, cases[i][1]);
	}
	fixture_free(fx);
}

static struct pkt
mk_echo(const char *src, const char *dst, uint16_t id, uint16_t seq,
    const char *data)
{
	struct pkt p = mk(src, id, dst, id, 1, 0);

	p.icmp_type = 8;
	p.icmp_id = id;
	p.icmp_seq = seq;
	p.payload = (const uint8_t *)data;
	p.payload_len = strlen(data);
	p.icmp_len = (uint16_t)p.payload_len;
	return p;
}

/* A check on an ICMP rule sees each echo request: its header and data. */
static void
test_icmp_check(void **state)
{
	static const char pol[] =
	    "return {\n"
	    "  local_nets = { \"10.1.0.0/16\" },\n"
	    "  egress = {\n"
	    "    { name = \"ping\", proto = \"icmp\", to = \"198.51.100.0/24\", check = \"small\" },\n"
	    "    { name = \"ping2\", proto = \"icmp\", to = \"203.0.113.0/24\" },\n"
	    "  },\n"
	    "  checks = { small = function(ctx)\n"
	    "    local i = ctx.icmp\n"
	    "    if ctx.flow.proto ~= \"icmp\" or i.type ~= 8 or i.code ~= 0 or\n"
	    "      i.id ~= 7 or i.seq < 1 or i.len ~= #ctx.payload then\n"
	    "      return \"drop\", \"bad ctx\" end\n"
	    "    if i.len > 8 then return \"drop\", \"long \" .. i.seq end\n"
	    "  end },\n"
	    "}\n";
	struct fixture *fx = fixture_new(pol, -1, 0);
	struct pkt a = mk_echo("10.1.0.5", "198.51.100.1", 7, 1, "ping");
	struct pkt b = mk_echo("10.1.0.5", "198.51.100.1", 7, 2, "pong");
	struct pkt c = mk_echo("10.1.0.5", "198.51.100.1", 7, 3, "a long tunnel");
	struct pkt rep = mk_echo("198.51.100.1", "10.1.0.5", 7, 1, "ping");
	struct pkt other = mk_echo("10.1.0.5", "203.0.113.1", 7, 1, "a long ping");
	struct engine_stats st;
	struct decision d;

	(void)state;
	rep.icmp_type = 0;
	d = run(fx, &a, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_null(d.detail);
	assert_true(d.checked);
	assert_true(d.inspect);		/* the next echo requests must come */
	d = run(fx, &rep, T0 + 1);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_true(d.inspect);
	d = run(fx, &b, T0 + SEC);	/* checked again, accepted again */
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_true(d.checked);
	d = run(fx, &c, T0 + 2 * SEC);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_CHECK);
	assert_string_equal(d.detail, "long 3");
	assert_false(d.inspect);
	d = run(fx, &a, T0 + 3 * SEC);	/* the flow's verdict sticks */
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_false(d.checked);
	/* a rule without a check: no Lua, and the kernel may take the flow */
	d = run(fx, &other, T0 + 4 * SEC);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_false(d.inspect);
	engine_get_stats(fx->e, &st);
	assert_int_equal(st.checks, 3);
	assert_int_equal(st.check_errors, 0);
	fixture_free(fx);
}

static void
test_port_reuse_after_close(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt syn = mk("10.1.0.5", 40000, "198.51.100.10", 443, 6, SYN);
	struct pkt rst = mk("198.51.100.10", 443, "10.1.0.5", 40000, 6, RST | ACK);
	struct decision d;

	(void)state;
	d = run(fx, &syn, T0);
	assert_int_equal(d.flow_id, 1);
	run(fx, &rst, T0 + 1);
	d = run(fx, &syn, T0 + 2);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_true(d.new_flow);
	assert_int_equal(d.flow_id, 2);
	fixture_free(fx);
}

static void
test_inbound_cannot_evict_outbound(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 2);
	struct pkt o1 = mk("10.1.0.5", 40000, "198.51.100.10", 443, 6, SYN);
	struct pkt o2 = mk("10.1.0.5", 40001, "198.51.100.10", 443, 6, SYN);
	struct pkt in = mk("192.0.2.7", 5555, "10.1.0.5", 22, 6, SYN);
	struct pkt r1 = mk("198.51.100.10", 443, "10.1.0.5", 40000, 6, SYN | ACK);
	struct decision d;

	(void)state;
	run(fx, &o1, T0);
	run(fx, &o2, T0 + 1);
	d = run(fx, &in, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_FLOW_TABLE_FULL);
	d = run(fx, &r1, T0 + 3);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	fixture_free(fx);
}

static void
test_no_local_nets_first_packet_is_out(void **state)
{
	struct fixture *fx = fixture_new(
	    "return { egress = { { name = \"all\", proto = \"any\" } } }", -1, 0);
	struct pkt a = mk("192.0.2.1", 1000, "192.0.2.2", 2000, 17, 0);
	struct pkt b = mk("192.0.2.2", 2000, "192.0.2.1", 1000, 17, 0);
	struct decision d;

	(void)state;
	d = run(fx, &a, T0);
	assert_int_equal(d.dir, ENGINE_DIR_OUT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	d = run(fx, &b, T0 + 1);
	assert_int_equal(d.dir, ENGINE_DIR_IN);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	fixture_free(fx);
}

static void
test_hints(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt a = mk("192.0.2.7", 5555, "198.51.100.10", 443, 6, SYN);
	struct decision d;

	(void)state;
	/* neither side local: from outside by default; OUT hint overrides */
	d = run(fx, &a, T0);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	engine_decide(fx->e, &a, ENGINE_HINT_OUT, T0 + 1, &d);
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_int_equal(d.dir, ENGINE_DIR_OUT);
	fixture_free(fx);
}

static void
test_ndp(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt ns = mk("fe80::1", 0, "ff02::1:ff00:1", 0, 58, 0);
	struct decision d;

	(void)state;
	ns.icmp_type = 135;
	ns.ttl = 255;
	d = run(fx, &ns, T0);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_NDP);
	ns.ttl = 64;	/* routed: not link-local ND */
	d = run(fx, &ns, T0);
	assert_int_not_equal(d.reason, REASON_NDP);
	fixture_free(fx);
}

static void
test_names_roundtrip(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < REASON_COUNT; i++)
		assert_int_equal(engine_reason_parse(engine_reason_name(i)), i);
	for (i = 0; i <= VERDICT_REJECT; i++)
		assert_int_equal(engine_verdict_parse(engine_verdict_name(i)), i);
	assert_int_equal(engine_reason_parse("monitorx"), -1);
	assert_string_equal(engine_reason_name(REASON_UNSOLICITED_INBOUND),
	    "unsolicited_inbound");
	assert_string_equal(engine_reason_name(REASON_UNKNOWN_EGRESS), "unknown_egress");
}

static void
test_reload_keeps_flows(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct fixture *fy = fixture_new(
	    "return { local_nets = { \"10.1.0.0/16\" }, egress = {"
	    " { name = \"other\", proto = \"udp\", port = 53 },"
	    " { name = \"https\", proto = \"tcp\", port = 443 } } }", -1, 0);
	struct fixture *fz = fixture_new("return { mode = \"monitor\" }", -1, 0);
	struct pkt a = mk("10.1.0.5", 40000, "198.51.100.10", 443, 6, SYN);
	struct pkt b = mk("198.51.100.10", 443, "10.1.0.5", 40000, 6, SYN | ACK);
	struct pkt c = mk("10.1.0.5", 40001, "203.0.113.99", 443, 6, SYN);
	struct decision d;

	(void)state;
	run(fx, &a, T0);
	engine_set_policy(fx->e, fy->pol);
	d = run(fx, &b, T0 + 1);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_string_equal(d.rule, "https");
	assert_ptr_equal(d.rule, fy->pol->egress[1].name);	/* the new policy's */
	d = run(fx, &c, T0 + 2);	/* new flows meet the new rules */
	assert_int_equal(d.reason, REASON_ALLOWED);
	assert_string_equal(d.rule, "https");
	engine_set_policy(fx->e, fz->pol);	/* no rule of that name: none */
	d = run(fx, &b, T0 + 3);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_null(d.rule);
	a.sport = 40002;
	d = run(fx, &a, T0 + 4);	/* and the new mode */
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.would, VERDICT_DROP);
	/* the fixtures free their own policies; fx's engine points at fz's */
	engine_set_policy(fx->e, fx->pol);
	fixture_free(fz);
	fixture_free(fy);
	fixture_free(fx);
}

static void
test_reload_remaps_fragments(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct fixture *fy = fixture_new(
	    "return { local_nets = { \"10.1.0.0/16\" }, egress = {"
	    " { name = \"first\", proto = \"tcp\", port = 22 },"
	    " { name = \"second\", proto = \"tcp\", port = 23 },"
	    " { name = \"dns\", proto = \"udp\", port = 53 } } }", -1, 0);
	struct pkt first = mk("10.1.0.5", 33333, "203.0.113.5", 53, 17, 0);
	struct pkt later = first;
	struct decision d;

	(void)state;
	first.frag = first.frag_more = true;
	first.frag_id = 9;
	later.frag = true;
	later.frag_off = 1480;
	later.frag_id = 9;
	later.has_l4 = false;
	run(fx, &first, T0);
	engine_set_policy(fx->e, fy->pol);
	d = run(fx, &later, T0 + 1);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_ptr_equal(d.rule, fy->pol->egress[2].name);	/* found again by name */
	engine_set_policy(fx->e, fx->pol);
	fixture_free(fy);
	fixture_free(fx);
}

static void
test_seed(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 0);
	struct pkt b = mk("198.51.100.99", 8000, "10.1.0.5", 40000, 6, ACK);
	struct flow_key k;
	struct decision d;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.src = b.dst;
	k.dst = b.src;
	k.sport = 40000;
	k.dport = 8000;
	k.proto = 6;
	/* without the seed, a bare ACK from outside is unsolicited */
	d = run(fx, &b, T0);
	assert_int_equal(d.reason, REASON_UNSOLICITED_INBOUND);
	assert_int_equal(engine_seed(fx->e, &k, FLOW_ORIGIN_INSIDE, VERDICT_ACCEPT, false, T0), 0);
	assert_int_equal(engine_seed(fx->e, &k, FLOW_ORIGIN_INSIDE, VERDICT_ACCEPT, false, T0), -1);
	d = run(fx, &b, T0 + 1);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	assert_int_equal(d.dir, ENGINE_DIR_IN);
	/* a seeded drop stays a drop */
	k.sport = 40001;
	b.dport = 40001;
	assert_int_equal(engine_seed(fx->e, &k, FLOW_ORIGIN_INSIDE, VERDICT_DROP, false, T0), 0);
	d = run(fx, &b, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_DROP);
	assert_int_equal(d.reason, REASON_UNKNOWN_EGRESS);
	fixture_free(fx);
}

static void
test_offloaded_flows_give_way(void **state)
{
	struct fixture *fx = fixture_new(policy_text, -1, 2);
	struct pkt o1 = mk("10.1.0.5", 40000, "198.51.100.10", 443, 6, SYN);
	struct pkt o2 = mk("10.1.0.5", 40001, "198.51.100.10", 443, 6, SYN);
	struct pkt in = mk("192.0.2.7", 5555, "10.1.0.5", 22, 6, SYN);
	struct decision d;

	(void)state;
	d = run(fx, &o1, T0);
	assert_non_null(d.flow);
	engine_offload(fx->e, &d);	/* the kernel holds this one */
	run(fx, &o2, T0 + 1);		/* this one still needs the table */
	d = run(fx, &in, T0 + 2);
	assert_int_equal(d.verdict, VERDICT_ACCEPT);
	assert_int_equal(d.reason, REASON_ALLOWED);
	/* the inbound flow took the offloaded slot, not the other one */
	o2.tcp_flags = ACK;
	d = run(fx, &o2, T0 + 3);
	assert_int_equal(d.reason, REASON_ESTABLISHED);
	fixture_free(fx);
}


/*
 * engine_prefetch is a hint: deciding the same packets with a prefetch of
 * the next one (as replay does), of an unrelated one, or of a packet that
 * failed to decode before each decision gives the same decisions, also
 * when a small table evicts.
 */
static void
test_prefetch_changes_nothing(void **state)
{
	struct fixture *plain = fixture_new(policy_text, -1, 4);
	struct fixture *hinted = fixture_new(policy_text, -1, 4);
	struct pkt seq[24], other, bad;
	struct decision a, b;
	char host[32];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(host, sizeof(host), "10.1.0.%zu", i + 1);
		seq[n++] = mk(host, (uint16_t)(40000 + i), "198.51.100.10", 443, 6, SYN);
		seq[n++] = mk("198.51.100.10", 443, host, (uint16_t)(40000 + i), 6, SYN | ACK);
		seq[n++] = mk(host, (uint16_t)(40000 + i), "203.0.113.5", 53, 17, 0);
		seq[n++] = mk("192.0.2.9", 5555, host, 22, 6, SYN);
	}
	other = mk("10.1.0.200", 1234, "198.51.100.99", 443, 6, SYN);
	bad = mk("10.1.0.1", 1, "198.51.100.10", 443, 6, SYN);
	bad.status = PKT_TRUNCATED;
	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			engine_prefetch(hinted->e, &seq[i + 1]);
		engine_prefetch(hinted->e, i % 2 ? &other : &bad);
		a = run(plain, &seq[i], T0 + i * SEC);
		b = run(hinted, &seq[i], T0 + i * SEC);
		assert_int_equal(a.verdict, b.verdict);
		assert_int_equal(a.reason, b.reason);
		assert_int_equal(a.flow_id, b.flow_id);
		assert_int_equal(a.new_flow, b.new_flow);
		assert_int_equal(a.dir, b.dir);
	}
	fixture_free(plain);
	fixture_free(hinted);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_out_and_replies),
		cmocka_unit_test(test_unknown_egress_sticks),
		cmocka_unit_test(test_reject_setting),
		cmocka_unit_test(test_unsolicited_inbound_takes_no_flow),
		cmocka_unit_test(test_inbound_rule),
		cmocka_unit_test(test_midstream),
		cmocka_unit_test(test_udp_expiry),
		cmocka_unit_test(test_dns_stays_under_inspection),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_dropped_first_fragment),
		cmocka_unit_test(test_malformed_and_not_ip),
		cmocka_unit_test(test_monitor_mode),
		cmocka_unit_test(test_check_after_handshake),
		cmocka_unit_test(test_check_answers),
		cmocka_unit_test(test_check_ctx_each_call),
		cmocka_unit_test(test_check_errors),
		cmocka_unit_test(test_check_watch),
		cmocka_unit_test(test_rule_mode_and_enforce_always),
		cmocka_unit_test(test_check_no_slot),
		cmocka_unit_test(test_reset_frees_slot),
		cmocka_unit_test(test_server_answers_early),
		cmocka_unit_test(test_prefetch_changes_nothing),
		cmocka_unit_test(test_tcp_overlap),
		cmocka_unit_test(test_fragment_of_checked_flow),
		cmocka_unit_test(test_icmp_check),
		cmocka_unit_test(test_host_as_checked),
		cmocka_unit_test(test_port_reuse_after_close),
		cmocka_unit_test(test_inbound_cannot_evict_outbound),
		cmocka_unit_test(test_no_local_nets_first_packet_is_out),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_ndp),
		cmocka_unit_test(test_names_roundtrip),
		cmocka_unit_test(test_reload_keeps_flows),
		cmocka_unit_test(test_reload_remaps_fragments),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_offloaded_flows_give_way),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
