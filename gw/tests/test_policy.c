/*
 * test_policy.c - the policy loader and the Lua sandbox: good files compile to
 * the expected structures, bad ones give the exact FILE:LINE: line, the
 * sandbox holds (no files, no bytecode, a budget, a memory cap), and
 * policy_match picks the first rule that holds.
 */
#include <netinet/in.h>

#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lua_rt.h"
#include "policy.h"
#include "reason.h"

#define TCP	IPPROTO_TCP
#define UDP	IPPROTO_UDP
#define ICMP	IPPROTO_ICMP
#define ICMP6	IPPROTO_ICMPV6

static char tmpdir[64];
static char mods[96];			/* a module directory of our own */
static char lua_dir[PATH_MAX];		/* the repository's lua/ */
static char root_dir[PATH_MAX];		/* the repository */
static char path[160];			/* the running test's policy */

static void
write_text(const char *p, const char *text)
{
	FILE *fp;

	assert_non_null(fp = fopen(p, "wb"));
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
}

static void
write_mod(const char *name, const char *text)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", mods, name);
	write_text(p, text);
}

static struct policy *
load_in(const char *text, const char *ldir)
{
	struct policy *p = NULL;
	char err[1024];

	write_text(path, text);
	if (policy_load(&p, path, ldir, err, sizeof(err)) == -1)
		fail_msg("policy_load: %s", err);
	assert_non_null(p);
	return p;
}

static struct policy *
load_ok(const char *text)
{
	return load_in(text, lua_dir);
}

/* Load text and fail; the error must be path + ":" + want. */
static void
expect_err_in(const char *text, const char *ldir, const char *want)
{
	struct policy *p = (struct policy *)1;
	char err[1024], full[1024];

	write_text(path, text);
	assert_int_equal(policy_load(&p, path, ldir, err, sizeof(err)), -1);
	assert_null(p);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	assert_string_equal(err, full);
	assert_null(strchr(err, '\n'));
}

static void
expect_err(const char *text, const char *want)
{
	expect_err_in(text, lua_dir, want);
}

/* Load text and fail with an error that starts with path + ":" + want. */
static void
expect_err_prefix(const char *text, const char *want, char *err, size_t errlen)
{
	struct policy *p = NULL;
	char full[1024];

	write_text(path, text);
	assert_int_equal(policy_load(&p, path, lua_dir, err, errlen), -1);
	assert_null(p);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	if (strncmp(err, full, strlen(full)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", err, full);
	assert_null(strchr(err, '\n'));
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
group_setup(void **state)
{
	const char *cands[] = { "lua", "../lua", "../../lua", NULL };
	char probe[PATH_MAX + 16], *slash;
	int i;

	(void)state;
	for (i = 0; cands[i] != NULL; i++) {
		snprintf(probe, sizeof(probe), "%s/outgate.lua", cands[i]);
		if (access(probe, R_OK) == 0 &&
		    realpath(cands[i], lua_dir) != NULL)
			break;
	}
	if (cands[i] == NULL) {
		fprintf(stderr, "test_policy: no lua/outgate.lua from here\n");
		return -1;
	}
	snprintf(root_dir, sizeof(root_dir), "%s", lua_dir);
	if ((slash = strrchr(root_dir, '/')) != NULL)
		*slash = '\0';
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/og-policy-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(mods, sizeof(mods), "%s/mods", tmpdir);
	snprintf(path, sizeof(path), "%s/p.lua", tmpdir);
	if (mkdir(mods, 0700) == -1)
		return -1;
	snprintf(probe, sizeof(probe), "%s/pkg", mods);
	return mkdir(probe, 0700);
}

static int
group_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct flow_key
key(uint8_t proto, const char *src, uint16_t sport, const char *dst,
    uint16_t dport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	assert_int_equal(addr_parse(&k.src, src), 0);
	assert_int_equal(addr_parse(&k.dst, dst), 0);
	k.sport = sport;
	k.dport = dport;
	k.proto = proto;
	return k;
}

static int
match(const struct policy *p, bool inbound, uint8_t proto, const char *src,
    const char *dst, uint16_t dport)
{
	struct flow_key k = key(proto, src, 40000, dst, dport);

	return policy_match(p, inbound, &k, NULL);
}

/* Egress from a fixed inside address of the destination's family. */
static int
out(const struct policy *p, uint8_t proto, const char *dst, uint16_t dport)
{
	return match(p, false, proto, strchr(dst, ':') != NULL ? "fd00::1" :
	    "10.0.0.1", dst, dport);
}

static void
assert_cidr(const struct cidr *c, const char *want)
{
	char buf[64];

	assert_string_equal(cidr_format(c, buf, sizeof(buf)), want);
}

/*
 * Good policies.
 */

static void
test_minimal_defaults(void **state)
{
	struct policy *p;
	char hash[17];

	(void)state;
	p = load_ok("return {}\n");
	assert_int_equal(p->mode, POLICY_ENFORCE);
	assert_int_equal(p->unknown_egress, 1);
	assert_false(p->tcp_midstream);
	assert_int_equal(p->nlocal, 0);
	assert_int_equal(p->ninbound, 0);
	assert_int_equal(p->negress, 0);
	assert_non_null(p->lua);
	assert_string_equal(p->path, path);
	assert_ptr_not_equal(p->path, path);
	/* FNV-1a 64 of the bytes; the reference vector checks our own fnv1a */
	assert_true(fnv1a("a", 1) == 0xaf63dc4c8601ec8cULL);
	snprintf(hash, sizeof(hash), "%016llx",
	    (unsigned long long)fnv1a("return {}\n", 10));
	assert_string_equal(p->hash, hash);
	policy_free(p);

	p = load_ok("return { egress = {}, inbound = {} }\n");
	assert_int_equal(p->negress, 0);
	assert_string_not_equal(p->hash, hash);
	policy_free(p);
}

static void
test_full_compile(void **state)
{
	struct policy *p;
	const struct policy_rule *r;

	(void)state;
	p = load_ok(
	    "-- everything at once\n"
	    "return {\n"
	    " mode = 'monitor',\n"
	    " unknown_egress = 'reject',\n"
	    " tcp_midstream = 'allow',\n"
	    " local_nets = { '10.1.0.0/16', 'fd00:1::/64' },\n"
	    " inbound = {\n"
	    "  { name='ssh', proto='tcp', port=22, from='192.0.2.0/24' },\n"
	    " },\n"
	    " egress = {\n"
	    "  { name = 'web', proto = 'tcp',\n"
	    "   port = { 443, '8000-8099', 80, 81, '8050-8999', '9000' },\n"
	    "   to = { '198.51.100.0/24', '2001:db8::1' },\n"
	    "   host = { 'WWW.Example.COM.', '*.x.org', '**.y.net', 'a_b-c.d' "
	    "},\n"
	    "   exe = { '/usr/bin/curl', '/bin/wget' }, uid={0, 4294967294},\n"
	    "   gid = 1000.0, cgroup = { '/kubepods/', '/' }, check = 'c1' },\n"
	    "  { proto = 'any', port = 53 },\n"
	    "  { proto = 'icmpv6' }, { proto = 'udp', src = '10.1.2.0/24' },\n"
	    " },\n"
	    " checks = { c1 = function(ctx) return 'drop', 'x' end },\n"
	    "}\n");
	assert_int_equal(p->mode, POLICY_MONITOR);
	assert_int_equal(p->unknown_egress, 2);
	assert_true(p->tcp_midstream);
	assert_int_equal(p->nlocal, 2);
	assert_cidr(&p->local_nets[0], "10.1.0.0/16");
	assert_cidr(&p->local_nets[1], "fd00:1::/64");

	assert_int_equal(p->ninbound, 1);
	r = &p->inbound[0];
	assert_string_equal(r->name, "ssh");
	assert_int_equal(r->line, 8);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->nports, 1);
	assert_int_equal(r->ports[0].lo, 22);
	assert_int_equal(r->ports[0].hi, 22);
	assert_int_equal(r->nfrom, 1);
	assert_cidr(&r->from[0], "192.0.2.0/24");
	assert_int_equal(r->nto, 0);

	assert_int_equal(p->negress, 4);
	r = &p->egress[0];
	assert_string_equal(r->name, "web");
	assert_int_equal(r->line, 11);
	assert_int_equal(r->nports, 3);		/* sorted and merged */
	assert_int_equal(r->ports[0].lo, 80);
	assert_int_equal(r->ports[0].hi, 81);
	assert_int_equal(r->ports[1].lo, 443);
	assert_int_equal(r->ports[1].hi, 443);
	assert_int_equal(r->ports[2].lo, 8000);
	assert_int_equal(r->ports[2].hi, 9000);
	assert_int_equal(r->nto, 2);
	assert_cidr(&r->to[1], "2001:db8::1/128");
	assert_int_equal(r->nhosts, 4);
	assert_string_equal(r->hosts[0], "www.example.com");
	assert_string_equal(r->hosts[1], "*.x.org");
	assert_string_equal(r->hosts[2], "**.y.net");
	assert_string_equal(r->hosts[3], "a_b-c.d");
	assert_int_equal(r->nexe, 2);
	assert_string_equal(r->exe[1], "/bin/wget");
	assert_int_equal(r->nuid, 2);
	assert_true(r->uid[1] == 4294967294U);
	assert_int_equal(r->ngid, 1);
	assert_int_equal(r->gid[0], 1000);
	assert_int_equal(r->ncgroup, 2);
	assert_string_equal(r->cgroup[0], "/kubepods");
	assert_string_equal(r->cgroup[1], "/");
	assert_string_equal(r->check, "c1");

	r = &p->egress[1];
	assert_string_equal(r->name, "egress[2]");
	assert_int_equal(r->proto, POLICY_PROTO_ANY);
	assert_null(r->check);
	assert_int_equal(p->egress[2].proto, IPPROTO_ICMPV6);
	assert_int_equal(p->egress[2].line, 18);
	assert_string_equal(p->egress[3].name, "egress[4]");
	assert_int_equal(p->egress[3].nfrom, 1);
	assert_cidr(&p->egress[3].from[0], "10.1.2.0/24");
	policy_free(p);
}

static struct policy *
load_file(const char *rel)
{
	struct policy *p = NULL;
	char full[PATH_MAX + 64], err[1024];

	snprintf(full, sizeof(full), "%s/%s", root_dir, rel);
	if (policy_load(&p, full, lua_dir, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	return p;
}

static int
rule_index(const struct policy_rule *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return (int)i;
	fail_msg("no rule %s", name);
	return -1;
}

static void
test_shipped_policies(void **state)
{
	struct policy *p;
	const struct policy_rule *r;
	int i;

	(void)state;
	p = load_file("rules/default.lua");
	assert_int_equal(p->nlocal, 2);
	assert_int_equal(p->ninbound, 1);
	assert_string_equal(p->inbound[0].name, "ssh");
	r = &p->egress[rule_index(p->egress, p->negress, "dns")];
	assert_int_equal(r->proto, POLICY_PROTO_ANY);
	assert_int_equal(r->ports[0].lo, 53);
	r = &p->egress[rule_index(p->egress, p->negress, "https")];
	assert_int_equal(r->nports, 2);
	assert_int_equal(r->ports[1].lo, 8443);
	assert_int_equal(r->ports[1].hi, 8444);
	assert_int_equal(match(p, false, TCP, "10.1.1.1", "198.51.100.7", 443),
	    rule_index(p->egress, p->negress, "https"));
	assert_int_equal(match(p, false, UDP, "fd00::5", "fd00::2", 53),
	    rule_index(p->egress, p->negress, "dns"));
	policy_free(p);

	p = load_file("rules/sidecar.lua");
	i = rule_index(p->egress, p->negress, "payments");
	assert_string_equal(p->egress[i].check, "no_plain_post");
	assert_int_equal(policy_push_check(p, false, (size_t)i), 0);
	lua_pop(luart_state(p->lua), 1);
	r = &p->egress[rule_index(p->egress, p->negress, "uploads")];
	assert_int_equal(r->nports, 2);
	assert_int_equal(r->ports[0].lo, 443);
	assert_int_equal(r->ports[1].lo, 9000);
	assert_int_equal(r->ports[1].hi, 9001);
	policy_free(p);

	p = load_file("rules/bastion.lua");
	r = &p->egress[rule_index(p->egress, p->negress, "web")];
	assert_int_equal(r->nfrom, 2);
	assert_int_equal(r->nports, 2);
	assert_int_equal(match(p, false, TCP, "10.20.3.4", "192.0.2.99", 80),
	    rule_index(p->egress, p->negress, "web"));
	assert_int_equal(match(p, false, TCP, "10.21.3.4", "192.0.2.99", 80),
	    -1);
	policy_free(p);
}

/*
 * Error lines.
 */

static void
test_err_unknown_top_key_line(void **state)
{
	(void)state;
	expect_err(
	    "-- a comment with { braces } and \"quotes\n"
	    "--[[ a long\n"
	    "comment ]] local banner = [==[\n"
	    "  ]] still inside\n"
	    "]==]\n"
	    "return {\n"
	    "  mode = 'enforce', -- egress = {\n"
	    "  egres = {},\n"
	    "}\n",
	    "8: unknown key \"egres\" at top level");
	/* the earliest of several, by line */
	expect_err("return {\n  zzz = 1,\n  aaa = 2,\n}\n",
	    "2: unknown key \"zzz\" at top level");
	expect_err("return { mode = 'enforce', 'stray' }\n",
	    "1: unknown key [1] at top level");
}

static void
test_err_nested_lines(void **state)
{
	(void)state;
	expect_err(
	    "return {\n"
	    "  egress = {\n"
	    "    { name = \"a\", proto = \"tcp\", port = 443 },\n"
	    "    {\n"
	    "      name = \"b\",\n"
	    "      proto = \"tcp\",\n"
	    "      port = 70000,\n"
	    "    },\n"
	    "  },\n"
	    "}\n",
	    "7: egress[2].port: 70000 is not a port (1-65535)");
	/* a list item reports its own line */
	expect_err(
	    "return {\n"
	    "  egress = {\n"
	    "    { port = {\n"
	    "        80,\n"
	    "        \"x\\\n"		/* an escaped newline inside a string */
	    "y\",\n"
	    "        0,\n"
	    "    } },\n"
	    "  },\n"
	    "}\n",
	    "5: egress[1].port[2]: \"x\\10y\" is not a port or a range "
	    "\"lo-hi\"");
	/* escaped newlines and \z in strings before count as lines */
	expect_err(
	    "local s = \"a\\\nb\\z\n\n   c\"\n"
	    "local t = 'x\\\r\ny'\n"
	    "return {\n"
	    "  mode = 'none',\n"
	    "}\n",
	    "8: mode: \"none\" is not one of enforce, monitor");
	/* an unknown key of a rule, after long strings */
	expect_err(
	    "local doc = [[\n\n\n]]\n"
	    "return { inbound = { { name = [[x]],\n"
	    "  prot = \"tcp\" } } }\n",
	    "6: inbound[1]: unknown key \"prot\"");
	/* ["key"] = keys and ; separators */
	expect_err(
	    "return {\n"
	    "  [\"egress\"] = {\n"
	    "    { [\"port\"] = 1; proto = 'tcp' };\n"
	    "    { [\"proto\"] = 'tcpp' },\n"
	    "  },\n"
	    "}\n",
	    "4: egress[2].proto: \"tcpp\" is not one of tcp, udp, icmp, "
	    "icmpv6, any");
}

static void
test_err_crlf_lines(void **state)
{
	(void)state;
	expect_err("return {\r\n  egress = {\r\n    { port = 0 },\r\n  "
	    "},\r\n}\r\n",
	    "3: egress[1].port: 0 is not a port (1-65535)");
	expect_err("\xef\xbb\xbfreturn {\n  mode = 'x',\n}\n",
	    "2: mode: \"x\" is not one of enforce, monitor");
}

static void
test_err_local_and_fields(void **state)
{
	(void)state;
	/* return NAME of a local constructor */
	expect_err(
	    "local p = {\n"
	    "  egress = {\n"
	    "    { to = \"10.0.0.300/8\" },\n"
	    "  },\n"
	    "}\n"
	    "return p\n",
	    "3: egress[1].to: \"10.0.0.300/8\" is not an address or prefix");
	/* NAME.key = ... after it */
	expect_err(
	    "local p = { mode = 'enforce' }\n"
	    "p.egress = {\n"
	    "  {},\n"
	    "  { port = true },\n"
	    "}\n"
	    "return p\n",
	    "4: egress[2].port: expected a number, a list or \"lo-hi\", got "
	    "boolean");
	/* built by code: the nearest enclosing known line */
	expect_err(
	    "local rules = {}\n"
	    "for i = 1, 3 do rules[i] = { port = i * 30000 } end\n"
	    "return {\n"
	    "  egress = rules,\n"
	    "}\n",
	    "4: egress[3].port: 90000 is not a port (1-65535)");
	/* nothing known but the return */
	expect_err("local function f() return { egres = 1 } end\nreturn f()\n",
	    "2: unknown key \"egres\" at top level");
	/* no top-level return: no line */
	expect_err("do return { egres = 1 } end\n",
	    " unknown key \"egres\" at top level");
}

static void
test_err_lua_errors(void **state)
{
	char err[1024];

	(void)state;
	expect_err_prefix("return {\n  mode = 'enforce'\n  egress = {},\n}\n",
	    "3: ", err, sizeof(err));
	assert_non_null(strstr(err, "'}' expected"));
	expect_err("local x = nil\n\nreturn { mode = x.y }\n",
	    "3: attempt to index a nil value (local 'x')");
	expect_err("error('multi\\nline')\n", "1: multi line");
	expect_err("error({})\n", " (error object is a table value)");
	expect_err("error('no position', 0)\n", " no position");
	expect_err("return 42\n", "1: the policy must return a table, got "
	    "number");
	expect_err("local x = 1\n", " the policy must return a table, got nil");
	/* binary chunks are refused */
	expect_err_prefix("\x1bLua\x54\x00", " ", err, sizeof(err));
	assert_non_null(strstr(err, "binary chunk"));
}

static void
test_err_long_path(void **state)
{
	char longp[200], err[1024], want[400];
	struct policy *p = NULL;

	(void)state;
	/* Lua shortens long chunk names to "...tail": the path comes back */
	snprintf(longp, sizeof(longp), "%s/a-rather-long-policy-file-name-"
	    "that-lua-would-cut-short.lua", tmpdir);
	assert_true(strlen(longp) > LUA_IDSIZE);
	write_text(longp, "return {\n  mode = nil .. 'x',\n}\n");
	assert_int_equal(policy_load(&p, longp, lua_dir, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: attempt to concatenate a nil value",
	    longp);
	assert_string_equal(err, want);
	remove(longp);
}

/* Long lists and many rules: positions and names stay linear. */
static void
test_large_policy(void **state)
{
	struct policy *p;
	char *text, want[128];
	size_t cap = 4 << 20, o = 0;
	int i;

	(void)state;
	assert_non_null(text = malloc(cap));
	o += (size_t)snprintf(text + o, cap - o, "return {\n egress = {\n"
	    "  { to = {\n");
	for (i = 0; i < 50000; i++)
		o += (size_t)snprintf(text + o, cap - o, "   '10.%d.%d.0/24',\n",
		    i >> 8 & 255, i & 255);
	o += (size_t)snprintf(text + o, cap - o, "  } },\n");
	for (i = 0; i < 20000; i++)
		o += (size_t)snprintf(text + o, cap - o, "  { name = 'r%d', "
		    "port = %d },\n", i, i % 65535 + 1);
	snprintf(text + o, cap - o, " },\n}\n");
	p = load_ok(text);
	assert_int_equal(p->negress, 20001);
	assert_int_equal(p->egress[0].nto, 50000);
	assert_string_equal(p->egress[20000].name, "r19999");
	assert_int_equal(p->egress[20000].line, 50000 + 20000 + 4);
	policy_free(p);

	/* the last rule repeats a name: found, at its line */
	snprintf(text + o, cap - o, "  { name = 'r7' },\n },\n}\n");
	snprintf(want, sizeof(want), "%d: egress[20002].name: \"r7\" is already "
	    "the name of egress[9]", 50000 + 20000 + 5);
	expect_err(text, want);
	free(text);
}

static void
test_err_top_values(void **state)
{
	(void)state;
	expect_err("return {\n  mode = 1,\n}\n", "2: mode: expected a string, "
	    "got number");
	expect_err("return { unknown_egress = 'allow' }\n",
	    "1: unknown_egress: \"allow\" is not one of drop, reject");
	expect_err("return { tcp_midstream = true }\n",
	    "1: tcp_midstream: expected a string, got boolean");
	expect_err("return {\n  local_nets = { '10.0.0.0/8',\n  '10.0.0.1/8' "
	    "},\n}\n",
	    "3: local_nets[2]: \"10.0.0.1/8\" has host bits set (the prefix is "
	    "10.0.0.0/8)");
	expect_err("return { egress = 'x' }\n",
	    "1: egress: expected a list of rules, got string");
	expect_err("return { checks = 1 }\n",
	    "1: checks: expected a table of functions, got number");
}

static void
test_err_rule_keys(void **state)
{
	(void)state;
	expect_err("return { egress = {\n  { proto = 'tcp', prot = 1 } } }\n",
	    "2: egress[1]: unknown key \"prot\"");
	expect_err("return { egress = { { 'tcp', 443 } } }\n",
	    "1: egress[1]: unknown key [1]");
	expect_err("return { inbound = {\n  {\n    src = '10.0.0.0/8' } } }\n",
	    "3: inbound[1].src: not allowed on inbound rules (the sender is "
	    "\"from\")");
	expect_err("return { egress = { { from = '10.0.0.0/8' } } }\n",
	    "1: egress[1].from: not allowed on egress rules (the sender is "
	    "\"src\")");
	expect_err("return { inbound = { { host = 'a.example' } } }\n",
	    "1: inbound[1].host: not allowed on inbound rules (the responder "
	    "is this side)");
	expect_err("return { egress = { 'tcp' } }\n",
	    "1: egress[1]: expected a table (a rule), got string");
}

static void
test_err_ports(void **state)
{
	(void)state;
	expect_err("return { egress = { { port = 0 } } }\n",
	    "1: egress[1].port: 0 is not a port (1-65535)");
	expect_err("return { egress = { { port = 65536 } } }\n",
	    "1: egress[1].port: 65536 is not a port (1-65535)");
	expect_err("return { egress = { { port = 1.5 } } }\n",
	    "1: egress[1].port: 1.5 is not a port (1-65535)");
	expect_err("return { egress = { { port = -1 } } }\n",
	    "1: egress[1].port: -1 is not a port (1-65535)");
	expect_err("return { egress = { { port = '9-3' } } }\n",
	    "1: egress[1].port: \"9-3\": the range runs backwards (9 > 3)");
	expect_err("return { egress = { { port = 'x' } } }\n",
	    "1: egress[1].port: \"x\" is not a port or a range \"lo-hi\"");
	expect_err("return { egress = { { port = '0-10' } } }\n",
	    "1: egress[1].port: \"0-10\": 0 is not a port (1-65535)");
	expect_err("return { egress = { { port = '1-65536' } } }\n",
	    "1: egress[1].port: \"1-65536\": 65536 is not a port (1-65535)");
	expect_err("return { egress = { { port = ' 80' } } }\n",
	    "1: egress[1].port: \" 80\" is not a port or a range \"lo-hi\"");
	expect_err("return { inbound = { { port = true } } }\n",
	    "1: inbound[1].port: expected a number, a list or \"lo-hi\", got "
	    "boolean");
	expect_err("return { egress = { { port = { 80, {} } } } }\n",
	    "1: egress[1].port[2]: expected a number or \"lo-hi\", got table");
	expect_err("return { egress = { { port = {} } } }\n",
	    "1: egress[1].port: empty list");
	expect_err("return { egress = {\n  { proto = 'icmp',\n    port = 8 } } "
	    "}\n",
	    "3: egress[1].port: not allowed with proto \"icmp\" (ICMP has no "
	    "ports)");
	expect_err("return { egress = { { proto = 'icmpv6', port = 8 } } }\n",
	    "1: egress[1].port: not allowed with proto \"icmpv6\" (ICMP has no "
	    "ports)");
}

static void
test_err_proto(void **state)
{
	(void)state;
	expect_err("return { egress = {\n {}, {}, {},\n { proto = 'tcpp' } } "
	    "}\n",
	    "3: egress[4].proto: \"tcpp\" is not one of tcp, udp, icmp, "
	    "icmpv6, any");
	expect_err("return { egress = { { proto = 'TCP' } } }\n",
	    "1: egress[1].proto: \"TCP\" is not one of tcp, udp, icmp, icmpv6, "
	    "any");
	expect_err("return { egress = { { proto = 6 } } }\n",
	    "1: egress[1].proto: expected a string, got number");
}

static void
test_err_cidrs(void **state)
{
	(void)state;
	expect_err("return { egress = { { to = '10.0.0.300/8' } } }\n",
	    "1: egress[1].to: \"10.0.0.300/8\" is not an address or prefix");
	expect_err("return { egress = { { to = 'example.com' } } }\n",
	    "1: egress[1].to: \"example.com\" is not an address or prefix");
	expect_err("return { egress = { { to = '10.0.0.1/8' } } }\n",
	    "1: egress[1].to: \"10.0.0.1/8\" has host bits set (the prefix is "
	    "10.0.0.0/8)");
	expect_err("return { egress = { { to = '2001:db8::1/32' } } }\n",
	    "1: egress[1].to: \"2001:db8::1/32\" has host bits set (the prefix "
	    "is 2001:db8::/32)");
	expect_err("return { egress = { { to = '10.0.0.0/33' } } }\n",
	    "1: egress[1].to: \"10.0.0.0/33\": the prefix length must be 0-32");
	expect_err("return { egress = { { to = '::/129' } } }\n",
	    "1: egress[1].to: \"::/129\": the prefix length must be 0-128");
	expect_err("return { egress = { { to = '10.0.0.0/x' } } }\n",
	    "1: egress[1].to: \"10.0.0.0/x\" is not an address or prefix");
	expect_err("return { egress = { { to = '::ffff:10.0.0.1' } } }\n",
	    "1: egress[1].to: \"::ffff:10.0.0.1\" is IPv4-mapped: write "
	    "10.0.0.1");
	expect_err("return { egress = { { to = 10 } } }\n",
	    "1: egress[1].to: expected an address, a prefix or a list, got "
	    "number");
	expect_err("return { egress = { { src = { '10.0.0.0/8', false } } } }"
	    "\n",
	    "1: egress[1].src[2]: expected an address or prefix, got boolean");
	expect_err("return { inbound = { { from = '192.0.2.1/24' } } }\n",
	    "1: inbound[1].from: \"192.0.2.1/24\" has host bits set (the "
	    "prefix is 192.0.2.0/24)");
}

static void
test_err_hosts(void **state)
{
	char text[512], err[1024], label[70], longname[300];

	(void)state;
	expect_err("return { egress = { { host = 'bücher.de' } } }\n",
	    "1: egress[1].host: \"bücher.de\" is not ASCII: write its punycode "
	    "form (xn--...)");
	expect_err("return { egress = { { host = '*' } } }\n",
	    "1: egress[1].host: \"*\" is not allowed: a bare wildcard matches "
	    "every name");
	expect_err("return { egress = { { host = '*.' } } }\n",
	    "1: egress[1].host: \"*.\" is not allowed: a bare wildcard matches "
	    "every name");
	expect_err("return { egress = { { host = 'a.*.b' } } }\n",
	    "1: egress[1].host: \"a.*.b\": a wildcard is allowed only as the "
	    "whole first label (\"*.\" or \"**.\")");
	expect_err("return { egress = { { host = '*a.b' } } }\n",
	    "1: egress[1].host: \"*a.b\": a wildcard is allowed only as the "
	    "whole first label (\"*.\" or \"**.\")");
	expect_err("return { egress = { { host = 'a..b' } } }\n",
	    "1: egress[1].host: \"a..b\" has an empty label");
	expect_err("return { egress = { { host = 'a.b..' } } }\n",
	    "1: egress[1].host: \"a.b..\" has an empty label");
	expect_err("return { egress = { { host = '' } } }\n",
	    "1: egress[1].host: \"\" is not a host name");
	expect_err("return { egress = { { host = 'a b.c' } } }\n",
	    "1: egress[1].host: \"a b.c\" has a character that is not a-z 0-9 "
	    "- _");
	expect_err("return { egress = { { host = '192.0.2.1' } } }\n",
	    "1: egress[1].host: \"192.0.2.1\" is an address, not a host name: "
	    "use \"to\"");
	expect_err("return { egress = { { host = { 'a.example', 7 } } } }\n",
	    "1: egress[1].host[2]: expected a host name, got number");
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(text, sizeof(text), "return { egress = { { host = '%s.com' } "
	    "} }\n", label);
	expect_err_prefix(text, "1: egress[1].host: \"aaaa", err, sizeof(err));
	assert_non_null(strstr(err, "a.com\" has a label longer than 63 "
	    "characters"));
	/* 63 is fine; 254 in all is not */
	label[63] = '\0';
	snprintf(longname, sizeof(longname), "%s.%s.%s.%s", label, label, label,
	    label);
	assert_int_equal(strlen(longname), 255);
	snprintf(text, sizeof(text), "return { egress = { { host = '%s' } } "
	    "}\n", longname);
	expect_err_prefix(text, "1: egress[1].host: ", err, sizeof(err));
	assert_non_null(strstr(err, "is longer than 253 characters"));
	longname[253] = '\0';		/* 253 ends in a whole label */
	longname[252] = 'b';
	snprintf(text, sizeof(text), "return { egress = { { host = '%s.' } } "
	    "}\n", longname);
	policy_free(load_ok(text));
}

static void
test_err_names(void **state)
{
	(void)state;
	expect_err("return { egress = { { name = 'my rule' } } }\n",
	    "1: egress[1].name: \"my rule\" is not a valid name (1-64 of A-Z "
	    "a-z 0-9 _ . : -)");
	expect_err("return { egress = { { name = '' } } }\n",
	    "1: egress[1].name: \"\" is not a valid name (1-64 of A-Z a-z 0-9 "
	    "_ . : -)");
	expect_err("return { egress = { { name = 7 } } }\n",
	    "1: egress[1].name: expected a string, got number");
	expect_err(
	    "return {\n"
	    "  inbound = { { name = 'dns' } },\n"
	    "  egress = {\n"
	    "    { name = 'web' },\n"
	    "    { name = 'dns' },\n"
	    "  },\n"
	    "}\n",
	    "5: egress[2].name: \"dns\" is already the name of inbound[1]");
	/* reported where it repeats, whichever list comes first */
	expect_err(
	    "return {\n"
	    "  egress = { { name = 'a' } },\n"
	    "  inbound = { { name = 'a' } },\n"
	    "}\n",
	    "3: inbound[1].name: \"a\" is already the name of egress[1]");
	expect_err("return { egress = { { name = 'x' }, { name = 'x' } } }\n",
	    "1: egress[2].name: \"x\" is already the name of egress[1]");
	/* a default name cannot be taken: brackets are not allowed */
	expect_err("return { egress = { { name = 'egress[2]' }, {} } }\n",
	    "1: egress[1].name: \"egress[2]\" is not a valid name (1-64 of A-Z "
	    "a-z 0-9 _ . : -)");
}

static void
test_err_subject_values(void **state)
{
	(void)state;
	expect_err("return { egress = { { exe = 'curl' } } }\n",
	    "1: egress[1].exe: \"curl\" is not an absolute path");
	expect_err("return { egress = { { exe = { '/bin/a', 1 } } } }\n",
	    "1: egress[1].exe[2]: expected a path, got number");
	expect_err("return { egress = { { uid = -1 } } }\n",
	    "1: egress[1].uid: -1 is not a uid (0-4294967294)");
	expect_err("return { egress = { { uid = 4294967295 } } }\n",
	    "1: egress[1].uid: 4294967295 is not a uid (0-4294967294)");
	expect_err("return { egress = { { gid = 1.5 } } }\n",
	    "1: egress[1].gid: 1.5 is not a gid (0-4294967294)");
	expect_err("return { egress = { { uid = 'root' } } }\n",
	    "1: egress[1].uid: expected an integer or a list, got string");
	expect_err("return { egress = { { gid = { 1, '2' } } } }\n",
	    "1: egress[1].gid[2]: expected an integer, got string");
	expect_err("return { egress = { { cgroup = 'kubepods' } } }\n",
	    "1: egress[1].cgroup: \"kubepods\" does not start with \"/\"");
	expect_err("return { egress = { { exe = '/bin/a\\0b' } } }\n",
	    "1: egress[1].exe: \"/bin/a\\0b\" contains a NUL byte");
}

static void
test_err_lists(void **state)
{
	(void)state;
	/* a rule written without its own braces */
	expect_err("return {\n  egress = { name = 'x', proto = 'tcp' },\n}\n",
	    "2: egress: expected a list, found key \"name\"");
	expect_err("return { egress = { {}, nil, {} } }\n",
	    "1: egress: expected a list, item 2 is missing");
	expect_err("return { local_nets = {} }\n", "1: local_nets: empty list");
	expect_err("return { egress = { { to = { '10.0.0.0/8', x = "
	    "'10.1.0.0/16' } } } }\n",
	    "1: egress[1].to: expected a list, found key \"x\"");
	expect_err("return { egress = { [1.5] = {} } }\n",
	    "1: egress: expected a list, found key [1.5]");
}

static void
test_err_checks(void **state)
{
	(void)state;
	expect_err("return { egress = {\n  { check = 'nope' } } }\n",
	    "2: egress[1].check: no function \"nope\" in checks");
	expect_err("return { egress = { { check = 'nope' } }, checks = { other "
	    "= print } }\n",
	    "1: egress[1].check: no function \"nope\" in checks");
	expect_err("return { egress = { { check = 1 } } }\n",
	    "1: egress[1].check: expected a string, got number");
	expect_err("return { egress = { { check = 'no pe' } } }\n",
	    "1: egress[1].check: \"no pe\" is not a check name (a function in "
	    "checks, or module.function)");
	expect_err("return {\n  checks = {\n    a = function() end,\n    b = "
	    "'x',\n  },\n}\n",
	    "4: checks.b: expected a function, got \"x\"");
	expect_err("return { checks = { [1] = print } }\n",
	    "1: checks: [1] is not a check name (letters, digits, _)");
}

static void
test_module_checks(void **state)
{
	struct policy *p;
	lua_State *L;
	char err[1024];

	(void)state;
	write_mod("mychecks.lua",
	    "local M = {}\n"
	    "function M.ok(ctx) return 'drop', 'mine' end\n"
	    "M.notfn = 1\n"
	    "return M\n");
	write_mod("pkg/sub.lua", "return { f = function() return 'accept' end "
	    "}\n");
	write_mod("flag.lua", "return true\n");

	p = load_in("return { egress = { { check = 'mychecks.ok' }, {} },\n"
	    "  inbound = { { check = 'pkg.sub.f' }, { check = 'local1' } },\n"
	    "  checks = { local1 = function() return 'reject', 'l' end } }\n",
	    mods);
	assert_string_equal(p->egress[0].check, "mychecks.ok");
	L = luart_state(p->lua);
	assert_int_equal(policy_push_check(p, false, 0), 0);
	assert_int_equal(luart_pcall(p->lua, 0, 2, err, sizeof(err)), 0);
	assert_string_equal(lua_tostring(L, -2), "drop");
	assert_string_equal(lua_tostring(L, -1), "mine");
	lua_pop(L, 2);
	assert_int_equal(policy_push_check(p, true, 1), 0);
	assert_int_equal(luart_pcall(p->lua, 0, 1, err, sizeof(err)), 0);
	assert_string_equal(lua_tostring(L, -1), "reject");
	lua_pop(L, 1);
	assert_int_equal(policy_push_check(p, true, 0), 0);
	lua_pop(L, 1);
	assert_int_equal(policy_push_check(p, false, 1), -1);	/* no check */
	assert_int_equal(policy_push_check(p, false, 2), -1);	/* no rule */
	assert_int_equal(lua_gettop(L), 0);
	policy_free(p);

	expect_err_in("return { egress = { { check = 'mychecks.nope' } } }\n",
	    mods, "1: egress[1].check: module \"mychecks\" has no function "
	    "\"nope\"");
	expect_err_in("return { egress = { { check = 'mychecks.notfn' } } }\n",
	    mods, "1: egress[1].check: module \"mychecks\" has no function "
	    "\"notfn\"");
	expect_err_in("return { egress = { { check = 'flag.f' } } }\n", mods,
	    "1: egress[1].check: module \"flag\" is not a table of functions");
	expect_err_in("return { egress = { { check = 'Bad.f' } } }\n", mods,
	    "1: egress[1].check: \"Bad.f\" is not a check name (a function in "
	    "checks, or module.function)");
}

static void
test_module_check_errors(void **state)
{
	char err[1024], want[512];
	struct policy *p = NULL;

	(void)state;
	write_mod("broken.lua", "return {\n  f = function() end\n  g = 1\n}\n");
	write_text(path, "return {\n egress = { { check = 'broken.f' } } }\n");
	assert_int_equal(policy_load(&p, path, mods, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: egress[1].check: %s/broken.lua:3: ",
	    path, mods);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got \"%s\"", err);
	write_text(path, "return { egress = { { check = 'absent.f' } } }\n");
	assert_int_equal(policy_load(&p, path, mods, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: egress[1].check: require: module "
	    "\"absent\" "
	    "not found: cannot open %s/absent.lua", path, mods);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("got \"%s\"", err);
}

/*
 * The sandbox.
 */

static void
test_sandbox_globals(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok(
	    "for _, n in ipairs({ 'io', 'os', 'load', 'loadfile', 'dofile', "
	    "'loadstring',\n"
	    "    'collectgarbage', 'debug', 'package', 'coroutine', 'warn' }) "
	    "do\n"
	    "  assert(_G[n] == nil, n .. ' is reachable')\n"
	    "end\n"
	    "assert(string['dump'] == nil, 'string.dump')\n"
	    "assert(('').dump == nil, 'dump via the string metatable')\n"
	    "assert(type(string.format) == 'function' and type(table.concat) "
	    "== 'function')\n"
	    "assert(type(math.floor) == 'function' and type(utf8.char) == "
	    "'function')\n"
	    "assert(type(pcall) == 'function' and type(setmetatable) == "
	    "'function')\n"
	    "print('a diagnostic', 1, nil)\n"
	    "return {}\n");
	policy_free(p);
}

/* What only a check would meet at run time is told at load, with its line. */
static void
test_modes_and_enforce_always(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok("return { enforce_always = { 'tcp_overlap', 'dns_denied' },\n"
	    "  egress = { { proto = 'tcp', port = 443, mode = 'monitor' },\n"
	    "    { proto = 'tcp', port = 80 } } }\n");
	assert_int_equal(p->egress[0].mode, POLICY_MONITOR);
	assert_int_equal(p->egress[1].mode, -1);
	assert_true(p->enforce_always & (1ull << REASON_DNS_DENIED));
	assert_false(p->enforce_always & (1ull << REASON_PRIVATE_ADDRESS));
	policy_free(p);
	p = load_ok("return {}\n");
	assert_true(p->enforce_always & (1ull << REASON_TCP_OVERLAP));
	assert_true(p->enforce_always & (1ull << REASON_PRIVATE_ADDRESS));
	policy_free(p);
	expect_err("return {\n enforce_always = { 'tcp_overlap', 'nope' } }\n",
	    "2: enforce_always[2]: \"nope\" is not a reason code");
	expect_err("return { egress = {\n { proto = 'tcp', mode = 'watch' } } }\n",
	    "2: egress[1].mode: \"watch\" is not enforce or monitor");
}

static void
test_sandbox_globals_at_load(void **state)
{
	struct policy *p;

	(void)state;
	expect_err("return {\n"
	    "  egress = { { proto = 'tcp', port = 443, check = 'x' } },\n"
	    "  checks = {\n"
	    "    x = function(ctx)\n"
	    "      os.execute('id')\n"
	    "    end,\n"
	    "  },\n"
	    "}\n",
	    "5: os is not available to policies (the sandbox has base, string, "
	    "table, math and utf8; require serves lua/)");
	expect_err("return { checks = { x = function(ctx) return io.open('/etc/passwd') end } }\n",
	    "1: io is not available to policies (the sandbox has base, string, "
	    "table, math and utf8; require serves lua/)");
	expect_err("return {\n checks = { x = function(ctx)\n return string.dump(print) end } }\n",
	    "3: string.dump is not available to policies (the sandbox has base, "
	    "string, table, math and utf8; require serves lua/)");
	expect_err("return { checks = { x = function(ctx) return load('x') end } }\n",
	    "1: load is not available to policies (the sandbox has base, string, "
	    "table, math and utf8; require serves lua/)");
	/* fields, keys, locals and parameters of those names are fine */
	p = load_ok("local os = { name = 'linux' }\n"
	    "local t = { io = 1, debug = false }\n"
	    "local function f(load) return load end\n"
	    "for package in pairs({}) do end\n"
	    "return { egress = { { proto = 'tcp', port = 443, check = 'x' } },\n"
	    "  checks = { x = function(ctx) return ctx.os, t.io, os.name, f(1) end } }\n");
	policy_free(p);
}

static void
test_sandbox_require(void **state)
{
	struct policy *p;
	char err[1024];

	(void)state;
	p = load_ok(
	    "local og = require 'outgate'\n"
	    "assert(og == require('outgate'), 'cached')\n"
	    "return { local_nets = og.list(og.rfc1918, 'fd00::/8'),\n"
	    "  egress = { { proto = 'tcp', port = og.ports('https', 80, "
	    "'8000-8001') } } }\n");
	assert_int_equal(p->nlocal, 4);
	assert_cidr(&p->local_nets[1], "172.16.0.0/12");
	assert_int_equal(p->egress[0].nports, 3);
	assert_int_equal(p->egress[0].ports[0].lo, 80);
	policy_free(p);

	/* a helper's error points at the policy's line */
	expect_err("local og = require 'outgate'\n"
	    "return { egress = {\n  { port = og.ports('gopher') } } }\n",
	    "3: outgate.ports: gopher is not a port, a range or a service "
	    "name");
	expect_err("require('../etc/passwd')\n",
	    "1: require: \"../etc/passwd\" is not a module name (a-z 0-9 _, "
	    "parts joined by dots)");
	expect_err("require('Outgate')\n",
	    "1: require: \"Outgate\" is not a module name (a-z 0-9 _, parts "
	    "joined by dots)");
	expect_err("require('a..b')\n",
	    "1: require: \"a..b\" is not a module name (a-z 0-9 _, parts "
	    "joined by dots)");
	expect_err_prefix("\nrequire('nosuch')\n",
	    "2: require: module \"nosuch\" not found: cannot open ", err,
	    sizeof(err));
	expect_err_in("require('outgate')\n", NULL,
	    "1: require: module \"outgate\": no module directory");
	write_mod("selfreq.lua", "return require('selfreq')\n");
	write_text(path, "require('selfreq')\n");
	{
		struct policy *p2 = NULL;
		char want[512];

		assert_int_equal(policy_load(&p2, path, mods, err,
		    sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s/selfreq.lua:1: require: "
		    "module "
		    "\"selfreq\" requires itself (a loop)", mods);
		assert_string_equal(err, want);
	}
	/* a module cannot reach the files either */
	write_mod("sneaky.lua", "return { io = io, load = load }\n");
	p = load_in("local s = require 'sneaky'\n"
	    "assert(s.io == nil and s.load == nil)\nreturn {}\n", mods);
	policy_free(p);
}

static void
test_sandbox_budget(void **state)
{
	char err[1024];

	(void)state;
	expect_err("local n = 0\nwhile true do\n  n = n + 1\nend\n",
	    "3: instruction budget of 10000000 exhausted");
	/* pcall cannot catch its way past the budget */
	expect_err_prefix("while true do\n  pcall(function() while true do end "
	    "end)\nend\n",
	    "", err, sizeof(err));
	assert_non_null(strstr(err, "budget of 10000000 exhausted"));
	/* so is a pattern that backtracks without end, inside one C call */
	expect_err("local s = string.rep('a', 40)\n"
	    "return { x = s:find(string.rep('a*', 12) .. 'b') }\n",
	    "2: instruction budget of 10000000 exhausted");
	/* a loop in a module is caught where it spins */
	write_mod("spin.lua", "while true do end\n");
	write_text(path, "require 'spin'\nreturn {}\n");
	{
		struct policy *p = NULL;
		char want[512];

		assert_int_equal(policy_load(&p, path, mods, err,
		    sizeof(err)), -1);
		snprintf(want, sizeof(want), "%s/spin.lua:1: instruction "
		    "budget of "
		    "10000000 exhausted", mods);
		assert_string_equal(err, want);
	}
}

/* What the instruction count cannot see: finalizers and C loops. */
static void
test_sandbox_c_loops(void **state)
{
	struct policy *p;
	struct luart *rt;
	char err[512];

	(void)state;
	expect_err("local t = setmetatable({}, {\n  __gc = function() while "
	    "true do end end })\n",
	    "1: setmetatable: __gc is not allowed in the sandbox");
	/* a __gc added later is no finalizer; __close and the rest work */
	p = load_ok("local mt = {}\nlocal t = setmetatable({}, mt)\n"
	    "mt.__gc = function() while true do end end\n"
	    "local n = 0\n"
	    "do local c <close> = setmetatable({}, { __close = function() n = "
	    "n + 1 end }) end\n"
	    "assert(n == 1)\n"
	    "assert(getmetatable(setmetatable({}, { __metatable = 'x' })) == "
	    "'x')\n"
	    "return {}\n");
	policy_free(p);
	p = load_ok("assert(string.rep('', 1e15) == '' and ('x'):rep(3, ',') "
	    "== 'x,x,x')\n"
	    "assert(string.rep('ab', 0) == '')\n"
	    "local t = { 3, 1, 2 }\n"
	    "table.insert(t, 4); table.insert(t, 1, 0); table.sort(t)\n"
	    "assert(table.concat(t, ',') == '0,1,2,3,4' and table.remove(t) == "
	    "4)\n"
	    "assert(table.concat(t, '-', 2, 3) == '1-2')\n"
	    "assert(#table.move(t, 1, 4, 2, {}) == 5)\n"
	    "return {}\n");
	policy_free(p);
	expect_err("table.move({}, 1, 1e15, 1, {})\n",
	    "1: table.move: more than 4194304 elements for the sandbox");
	expect_err("local t = setmetatable({}, { __len = function() return 1 "
	    "<< 30 end,\n"
	    "  __index = function() return 0 end })\n\ntable.sort(t)\n",
	    "4: table.sort: a table with __len is not allowed in the sandbox");
	expect_err("local t = setmetatable({}, { __len = function() return 1 "
	    "<< 40 end })\n"
	    "table.remove(t, 1)\n",
	    "2: table.remove: a table with __len is not allowed in the "
	    "sandbox");
	expect_err("table.concat({}, '', 1, 1 << 40)\n",
	    "1: table.concat: more than 4194304 elements for the sandbox");

	/* time spent in C functions, between instructions: the clock */
	rt = luart_new(NULL, 0, 0, err, sizeof(err));
	assert_non_null(rt);
	luart_set_time_budget(rt, 100);
	write_text(path, "local s = string.rep('x', 1 << 20)\n"
	    "while true do\n  s:find('y', 1, true)\nend\n");
	assert_int_equal(luart_dofile(rt, path, err, sizeof(err)), -1);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s:3: time budget of 100 ms "
		    "exhausted", path);
		assert_string_equal(err, want);
	}
	luart_free(rt);
}

static void
test_sandbox_memory(void **state)
{
	(void)state;
	expect_err("local s = 'x'\nwhile true do s = s .. s end\n",
	    " out of memory (cap 33554432 bytes)");
	expect_err("local t = {}\nfor i = 1, 1e9 do t[i] = { i } end\n",
	    " out of memory (cap 33554432 bytes)");
	/* caught and raised again, still out of memory */
	expect_err("local ok, e = pcall(string.rep, 'x', 1 << 30)\nerror(e)\n",
	    " out of memory (cap 33554432 bytes)");
}

static int
bump_cf(lua_State *L)
{
	lua_pushinteger(L, lua_tointeger(L, 1) + 1);
	return 1;
}

static void
test_luart_direct(void **state)
{
	struct luart *rt;
	struct luart_stats st;
	lua_State *L;
	char err[512];

	(void)state;
	luart_free(NULL);
	policy_free(NULL);
	assert_null(luart_new(NULL, 4096, 0, err, sizeof(err)));
	assert_string_equal(err, "out of memory (cap 4096 bytes)");

	rt = luart_new(NULL, 1 << 20, 20000, err, sizeof(err));
	assert_non_null(rt);
	L = luart_state(rt);
	/* each call gets the whole budget again: 2 x ~15000 instructions */
	write_text(path, "return function() local n = 0 for i = 1, 5000 do n = "
	    "n + i end "
	    "return n end\n");
	assert_int_equal(luart_dofile(rt, path, err, sizeof(err)), 0);
	assert_int_equal(lua_type(L, -1), LUA_TFUNCTION);
	lua_pushvalue(L, -1);
	assert_int_equal(luart_pcall(rt, 0, 1, err, sizeof(err)), 0);
	assert_int_equal(lua_tointeger(L, -1), 12502500);
	lua_pop(L, 1);
	lua_pushvalue(L, -1);
	assert_int_equal(luart_pcall(rt, 0, 1, err, sizeof(err)), 0);
	lua_pop(L, 2);

	/* the three failure kinds, each counted */
	write_text(path, "while true do end\n");
	assert_int_equal(luart_dofile(rt, path, err, sizeof(err)), -1);
	write_text(path, "local t = {} for i = 1, 1e7 do t[i] = i end\n");
	luart_set_budget(rt, 100000000);
	assert_int_equal(luart_dofile(rt, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "out of memory (cap 1048576 bytes)"));
	write_text(path, "error('boom')\n");
	assert_int_equal(luart_dofile(rt, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":1: boom"));
	luart_get_stats(rt, &st);
	assert_int_equal(st.budget, 1);
	assert_int_equal(st.oom, 1);
	assert_int_equal(st.runtime, 1);
	assert_true(st.mem <= st.mem_cap && st.mem_peak <= st.mem_cap);
	assert_true(st.mem_peak > st.mem_cap / 2);

	/* a C function run protected */
	lua_pushcfunction(L, bump_cf);
	lua_pushinteger(L, 41);
	assert_int_equal(luart_pcall(rt, 1, 1, err, sizeof(err)), 0);
	assert_int_equal(lua_tointeger(L, -1), 42);
	lua_pop(L, 1);
	assert_int_equal(luart_require(rt, "x", err, sizeof(err)), -1);
	assert_string_equal(err, "require: module \"x\": no module directory");
	assert_int_equal(lua_gettop(L), 0);
	luart_free(rt);

	assert_true(luart_module_name_ok("a.b_2.c", 7));
	assert_false(luart_module_name_ok("a.", 2));
	assert_false(luart_module_name_ok(".a", 2));
	assert_false(luart_module_name_ok("a/b", 3));
	assert_false(luart_module_name_ok("", 0));
}

static void
test_missing_file(void **state)
{
	struct policy *p = NULL;
	char err[512], want[512];

	(void)state;
	assert_int_equal(policy_load(&p, "/nonexistent/p.lua", lua_dir, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/p.lua: cannot open: No such "
	    "file or directory");
	assert_int_equal(policy_load(&p, tmpdir, lua_dir, err, sizeof(err)),
	    -1);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", tmpdir);
	assert_string_equal(err, want);
}

/*
 * Matching.
 */

static void
test_match_first_rule_wins(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok("return { egress = {\n"
	    "  { name = 'narrow', proto = 'tcp', port = 443, to = "
	    "'198.51.100.7' },\n"
	    "  { name = 'wide', proto = 'tcp', to = '198.51.100.0/24' },\n"
	    "  { name = 'narrow2', proto = 'tcp', port = 80, to = "
	    "'198.51.100.8' },\n"
	    "} }\n");
	assert_int_equal(out(p, TCP, "198.51.100.7", 443), 0);
	assert_int_equal(out(p, TCP, "198.51.100.7", 80), 1);
	/* shadowed by 'wide' */
	assert_int_equal(out(p, TCP, "198.51.100.8", 80), 1);
	assert_int_equal(out(p, UDP, "198.51.100.7", 443), -1);
	assert_int_equal(out(p, TCP, "198.51.101.7", 443), -1);
	/* the other list is not consulted */
	assert_int_equal(match(p, true, TCP, "10.0.0.1", "198.51.100.7", 443),
	    -1);
	policy_free(p);
}

static void
test_match_ports(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok("return { egress = {\n"
	    "  { proto = 'tcp', port = { 22, '8000-8099', 443, '1-3', 65535 } "
	    "},\n"
	    "} }\n");
	assert_int_equal(p->egress[0].nports, 5);
	assert_int_equal(out(p, TCP, "192.0.2.1", 1), 0);
	assert_int_equal(out(p, TCP, "192.0.2.1", 3), 0);
	assert_int_equal(out(p, TCP, "192.0.2.1", 4), -1);
	assert_int_equal(out(p, TCP, "192.0.2.1", 22), 0);
	assert_int_equal(out(p, TCP, "192.0.2.1", 7999), -1);
	assert_int_equal(out(p, TCP, "192.0.2.1", 8000), 0);
	assert_int_equal(out(p, TCP, "192.0.2.1", 8099), 0);
	assert_int_equal(out(p, TCP, "192.0.2.1", 8100), -1);
	assert_int_equal(out(p, TCP, "192.0.2.1", 443), 0);
	assert_int_equal(out(p, TCP, "192.0.2.1", 65535), 0);
	assert_int_equal(out(p, TCP, "192.0.2.1", 0), -1);
	policy_free(p);
}

static void
test_match_prefixes(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok("return { egress = {\n"
	    "  { name = 'host4', to = '192.0.2.1/32' },\n"
	    "  { name = 'odd4', to = '172.16.0.0/13' },\n"
	    "  { name = 'host6', to = '2001:db8::1/128' },\n"
	    "  { name = 'odd6', to = '2001:db8:8::/45' },\n"
	    "  { name = 'all6', to = '::/0' },\n"
	    "  { name = 'all4', to = '0.0.0.0/0' },\n"
	    "} }\n");
	assert_int_equal(out(p, TCP, "192.0.2.1", 1), 0);
	assert_int_equal(out(p, TCP, "172.23.255.255", 1), 1);
	assert_int_equal(out(p, TCP, "172.24.0.0", 1), 5);
	assert_int_equal(out(p, TCP, "172.15.255.255", 1), 5);
	assert_int_equal(out(p, TCP, "2001:db8::1", 1), 2);
	assert_int_equal(out(p, TCP, "2001:db8::2", 1), 4);
	assert_int_equal(out(p, TCP, "2001:db8:f:ffff::1", 1), 3);
	assert_int_equal(out(p, TCP, "2001:db8:10::1", 1), 4);
	assert_int_equal(out(p, TCP, "2001:db8:7::1", 1), 4);
	/* a v4 prefix never holds a v6 address, nor the reverse */
	policy_free(p);
	p = load_ok("return { egress = { { to = '0.0.0.0/0' } } }\n");
	assert_int_equal(out(p, TCP, "2001:db8::1", 1), -1);
	assert_int_equal(out(p, TCP, "8.8.8.8", 1), 0);
	policy_free(p);
}

static void
test_match_proto(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok("return { egress = {\n"
	    "  { name = 'web', proto = 'any', port = 443 },\n"
	    "  { name = 'ping', proto = 'icmp', to = '198.51.100.0/24' },\n"
	    "  { name = 'ping6', proto = 'icmpv6' },\n"
	    "  { name = 'gre', proto = 'any', to = '203.0.113.9' },\n"
	    "} }\n");
	assert_int_equal(out(p, TCP, "192.0.2.1", 443), 0);
	assert_int_equal(out(p, UDP, "192.0.2.1", 443), 0);
	/* ports hold only TCP and UDP: an echo id of 443 is no port */
	assert_int_equal(out(p, ICMP, "192.0.2.1", 443), -1);
	assert_int_equal(out(p, 132, "192.0.2.1", 443), -1);
	/* ICMP rules ignore the echo id */
	assert_int_equal(out(p, ICMP, "198.51.100.1", 7), 1);
	assert_int_equal(out(p, ICMP, "198.51.100.1", 0), 1);
	assert_int_equal(out(p, ICMP6, "2001:db8::1", 9), 2);
	assert_int_equal(out(p, ICMP, "203.0.113.9", 9), 3);
	assert_int_equal(out(p, 47, "203.0.113.9", 0), 3);
	assert_int_equal(out(p, 47, "203.0.113.8", 0), -1);
	policy_free(p);
}

static void
test_match_src_from(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok("return {\n"
	    "  inbound = { { name = 'ssh', proto = 'tcp', port = 22,\n"
	    "    from = { '192.0.2.0/24', '2001:db8:ad::/48' }, to = "
	    "'10.0.0.5' } },\n"
	    "  egress = { { name = 'office', src = '10.1.2.0/24', proto = "
	    "'any' } },\n"
	    "}\n");
	assert_int_equal(match(p, true, TCP, "192.0.2.77", "10.0.0.5", 22), 0);
	assert_int_equal(match(p, true, TCP, "2001:db8:ad::9", "10.0.0.5", 22),
	    0);
	assert_int_equal(match(p, true, TCP, "192.0.3.77", "10.0.0.5", 22), -1);
	assert_int_equal(match(p, true, TCP, "192.0.2.77", "10.0.0.6", 22), -1);
	assert_int_equal(match(p, true, TCP, "192.0.2.77", "10.0.0.5", 23), -1);
	assert_int_equal(match(p, false, UDP, "10.1.2.200", "9.9.9.9", 53), 0);
	assert_int_equal(match(p, false, UDP, "10.1.3.200", "9.9.9.9", 53), -1);
	policy_free(p);
}

static void
test_match_subject(void **state)
{
	struct policy *p;
	struct policy_subject s;
	struct flow_key k = key(TCP, "10.0.0.1", 40000, "192.0.2.1", 443);

	(void)state;
	p = load_ok("return { egress = {\n"
	    "  { name = 'curl', exe = { '/usr/bin/curl', '/usr/bin/wget' }, "
	    "uid = { 1000, 1001 } },\n"
	    "  { name = 'grp', gid = 50 },\n"
	    "  { name = 'pods', cgroup = '/kubepods/burstable/' },\n"
	    "  { name = 'anyone', port = 8080 },\n"
	    "} }\n");
	/* unknown owner: no subject selector holds */
	assert_int_equal(policy_match(p, false, &k, NULL), -1);
	memset(&s, 0, sizeof(s));
	s.known = false;
	s.exe = "/usr/bin/curl";
	s.uid = 1000;
	assert_int_equal(policy_match(p, false, &k, &s), -1);
	s.known = true;
	assert_int_equal(policy_match(p, false, &k, &s), 0);
	s.uid = 1002;
	assert_int_equal(policy_match(p, false, &k, &s), -1);
	s.uid = 1001;
	s.exe = "/usr/bin/curl2";
	assert_int_equal(policy_match(p, false, &k, &s), -1);
	s.exe = NULL;
	s.gid = 50;
	assert_int_equal(policy_match(p, false, &k, &s), 1);
	s.gid = 0;
	s.cgroup = "/kubepods/burstable";
	assert_int_equal(policy_match(p, false, &k, &s), 2);
	s.cgroup = "/kubepods/burstable/pod1/c2";
	assert_int_equal(policy_match(p, false, &k, &s), 2);
	s.cgroup = "/kubepods/burstable2/pod1";
	assert_int_equal(policy_match(p, false, &k, &s), -1);
	s.cgroup = "/kubepods";
	assert_int_equal(policy_match(p, false, &k, &s), -1);
	/* no subject selector: holds for a known, an unknown or no subject */
	k.dport = 8080;
	assert_int_equal(policy_match(p, false, &k, &s), 3);
	assert_int_equal(policy_match(p, false, &k, NULL), 3);
	policy_free(p);

	p = load_ok("return { egress = { { cgroup = '/' } } }\n");
	s.cgroup = "/anything/at/all";
	assert_int_equal(policy_match(p, false, &k, &s), 0);
	s.cgroup = NULL;
	assert_int_equal(policy_match(p, false, &k, &s), -1);
	policy_free(p);
}

static void
test_match_hosts_never(void **state)
{
	struct policy *p;

	(void)state;
	p = load_ok("return { egress = {\n"
	    "  { name = 'named', proto = 'tcp', port = 443, host = "
	    "'example.com' },\n"
	    "  { name = 'both', proto = 'tcp', port = 443, to = "
	    "'192.0.2.0/24', host = 'example.com' },\n"
	    "  { name = 'plain', proto = 'tcp', port = 443, to = "
	    "'192.0.2.0/24' },\n"
	    "} }\n");
	/* names alone wait for DNS provenance; with `to` the addresses decide */
	assert_int_equal(out(p, TCP, "192.0.2.1", 443), 1);
	assert_int_equal(out(p, TCP, "192.0.3.1", 443), -1);
	policy_free(p);
}

static void
test_local_nets(void **state)
{
	struct policy *p;
	struct cidr c;
	struct addr a;

	(void)state;
	p = load_ok("return { local_nets = '10.1.0.0/16' }\n");
	assert_int_equal(addr_parse(&a, "10.1.200.3"), 0);
	assert_true(policy_is_local(p, &a));
	assert_int_equal(addr_parse(&a, "fd00:1::3"), 0);
	assert_false(policy_is_local(p, &a));
	assert_int_equal(cidr_parse(&c, "fd00:1::/64"), 0);
	assert_int_equal(policy_add_local(p, &c), 0);
	assert_int_equal(p->nlocal, 2);
	assert_true(policy_is_local(p, &a));
	policy_free(p);

	p = load_ok("return {}\n");
	assert_false(policy_is_local(p, &a));
	assert_int_equal(policy_add_local(p, &c), 0);
	assert_true(policy_is_local(p, &a));
	policy_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full_compile),
		cmocka_unit_test(test_shipped_policies),
		cmocka_unit_test(test_err_unknown_top_key_line),
		cmocka_unit_test(test_err_nested_lines),
		cmocka_unit_test(test_err_crlf_lines),
		cmocka_unit_test(test_err_local_and_fields),
		cmocka_unit_test(test_err_lua_errors),
		cmocka_unit_test(test_err_long_path),
		cmocka_unit_test(test_large_policy),
		cmocka_unit_test(test_err_top_values),
		cmocka_unit_test(test_err_rule_keys),
		cmocka_unit_test(test_err_ports),
		cmocka_unit_test(test_err_proto),
		cmocka_unit_test(test_err_cidrs),
		cmocka_unit_test(test_err_hosts),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_err_subject_values),
		cmocka_unit_test(test_err_lists),
		cmocka_unit_test(test_err_checks),
		cmocka_unit_test(test_module_checks),
		cmocka_unit_test(test_module_check_errors),
		cmocka_unit_test(test_sandbox_globals),
		cmocka_unit_test(test_sandbox_globals_at_load),
		cmocka_unit_test(test_modes_and_enforce_always),
		cmocka_unit_test(test_sandbox_require),
		cmocka_unit_test(test_sandbox_budget),
		cmocka_unit_test(test_sandbox_c_loops),
		cmocka_unit_test(test_sandbox_memory),
		cmocka_unit_test(test_luart_direct),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_match_first_rule_wins),
		cmocka_unit_test(test_match_ports),
		cmocka_unit_test(test_match_prefixes),
		cmocka_unit_test(test_match_proto),
		cmocka_unit_test(test_match_src_from),
		cmocka_unit_test(test_match_subject),
		cmocka_unit_test(test_match_hosts_never),
		cmocka_unit_test(test_local_nets),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
