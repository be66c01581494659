/*
 * test_lua_match.c - lua_match, the budgeted pattern functions, through the
 * sandbox: the same answers as stock Lua's string library on a hand list and
 * on seeded random patterns, and hostile patterns stopped by the budgets.
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
#include <cmocka.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua_rt.h"

/*
 * Run in both states: run(fn, s, p, a3, a4) calls string[fn] protected and
 * answers one string with every return (typed), the error message, the
 * iterations of gmatch and what gsub's function replacement was given.
 */
static const char harness[] =
    "local log\n"
    "local function one(v)\n"
    "  local t = type(v)\n"
    "  if t == 'string' then return 's' .. #v .. ':' .. v end\n"
    "  if t == 'number' then return math.type(v) .. ':' .. tostring(v) end\n"
    "  return t .. ':' .. tostring(v)\n"
    "end\n"
    "local function all(...)\n"
    "  local o = { 'n' .. select('#', ...) }\n"
    "  for i = 1, select('#', ...) do o[#o + 1] = one((select(i, ...))) end\n"
    "  return table.concat(o, '|')\n"
    "end\n"
    "local repl = {\n"
    "  ['<T>'] = { a = 'A', b = false, ab = 7, [''] = 'E', c = 'C%1' },\n"
    "  ['<F>'] = function(...)\n"
    "    log[#log + 1] = all(...)\n"
    "    local a = ...\n"
    "    if a == 'b' then return nil elseif a == 'c' then return false end\n"
    "    return '<' .. tostring(a) .. '>'\n"
    "  end,\n"
    "  ['<Fbad>'] = function() return {} end,\n"
    "  ['<Fnum>'] = function(a) return 1.5 end,\n"
    "}\n"
    "return function(fn, s, p, a3, a4)\n"
    "  log = {}\n"
    "  local f = string[fn]\n"
    "  if fn == 'gmatch' then\n"
    "    local ok, it = pcall(f, s, p, a3)\n"
    "    if not ok then return 'error:' .. it end\n"
    "    local out = {}\n"
    "    for i = 1, 40 do\n"
    "      local r = table.pack(pcall(it))\n"
    "      if not r[1] then out[#out + 1] = 'error:' .. r[2] break end\n"
    "      if r.n == 1 then break end\n"
    "      out[#out + 1] = all(table.unpack(r, 2, r.n))\n"
    "    end\n"
    "    return table.concat(out, ' ; ')\n"
    "  end\n"
    "  if fn == 'gsub' and repl[a3] ~= nil then a3 = repl[a3] end\n"
    "  local r = table.pack(pcall(f, s, p, a3, a4))\n"
    "  if not r[1] then return 'error:' .. r[2] end\n"
    "  return all(table.unpack(r, 2, r.n)) .. ' log:' .. table.concat(log, ',')\n"
    "end\n";

static struct luart *rt;	/* the sandbox */
static lua_State *plain;	/* stock Lua */
static int rt_run, plain_run;	/* the harness in each, registry refs */
static unsigned long ncases;

static int
load_harness(lua_State *L, int *ref)
{
	if (luaL_loadbufferx(L, harness, sizeof(harness) - 1, "=harness",
	    "t") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
		fprintf(stderr, "harness: %s\n", lua_tostring(L, -1));
		return -1;
	}
	*ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

static int
group_setup(void **state)
{
	char err[512];

	(void)state;
	if ((rt = luart_new(NULL, 0, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "luart_new: %s\n", err);
		return -1;
	}
	if ((plain = luaL_newstate()) == NULL)
		return -1;
	luaL_openlibs(plain);
	if (load_harness(luart_state(rt), &rt_run) == -1 ||
	    load_harness(plain, &plain_run) == -1)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	luart_free(rt);
	lua_close(plain);
	return 0;
}

/* Push one argument: NULL nil, "#N" the integer N, else the string (len). */
static void
push_arg(lua_State *L, const char *a, size_t len)
{
	if (a == NULL)
		lua_pushnil(L);
	else if (a[0] == '#' && len > 1)
		lua_pushinteger(L, strtoll(a + 1, NULL, 10));
	else
		lua_pushlstring(L, a, len);
}

struct mcase {
	const char	*fn;
	const char	*s;
	size_t		slen;		/* 0: strlen */
	const char	*p;
	size_t		plen;		/* 0: strlen */
	const char	*a3, *a4;
};

static void
push_case(lua_State *L, int ref, const struct mcase *c)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
	lua_pushstring(L, c->fn);
	lua_pushlstring(L, c->s, c->slen != 0 ? c->slen : strlen(c->s));
	lua_pushlstring(L, c->p, c->plen != 0 ? c->plen : strlen(c->p));
	push_arg(L, c->a3, c->a3 != NULL ? strlen(c->a3) : 0);
	push_arg(L, c->a4, c->a4 != NULL ? strlen(c->a4) : 0);
}

/* The case in both states: the answers must be the same bytes. */
static void
same(const struct mcase *c)
{
	lua_State *L = luart_state(rt);
	char err[512];
	const char *a, *b;
	size_t al, bl;

	push_case(L, rt_run, c);
	if (luart_pcall(rt, 5, 1, err, sizeof(err)) == -1)
		fail_msg("%s(\"%s\", \"%s\"): sandbox: %s", c->fn, c->s, c->p,
		    err);
	push_case(plain, plain_run, c);
	assert_int_equal(lua_pcall(plain, 5, 1, 0), LUA_OK);
	a = lua_tolstring(L, -1, &al);
	b = lua_tolstring(plain, -1, &bl);
	assert_non_null(a);
	assert_non_null(b);
	if (al != bl || memcmp(a, b, al) != 0)
		fail_msg("%s(\"%s\", \"%s\", %s, %s):\n  ours  %s\n  stock %s",
		    c->fn, c->s, c->p, c->a3 != NULL ? c->a3 : "nil",
		    c->a4 != NULL ? c->a4 : "nil", a, b);
	lua_pop(L, 1);
	lua_pop(plain, 1);
	ncases++;
}

static void
same4(const char *s, const char *p, const char *a3)
{
	static const char *const fns[] = { "find", "match", "gmatch" };
	struct mcase c = { NULL, s, 0, p, 0, a3, NULL };
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		c.fn = fns[i];
		same(&c);
	}
	c.fn = "gsub";
	c.a3 = "[%0|%1]";
	same(&c);
}

static void
test_sandbox_serves_ours(void **state)
{
	lua_State *L = luart_state(rt);
	char err[512];
	const char *code =
	    "local fns = { 'find', 'match', 'gmatch', 'gsub' }\n"
	    "local mt = getmetatable('').__index\n"
	    "for _, f in ipairs(fns) do\n"
	    "  assert(mt[f] == string[f])\n"
	    "end\n"
	    "return string.find\n";

	(void)state;
	assert_int_equal(luart_dobuffer(rt, code, strlen(code), "serves.lua",
	    err, sizeof(err)), 0);
	/* not stock's: that one sits in the plain state's string table */
	lua_getglobal(plain, "string");
	lua_getfield(plain, -1, "find");
	assert_true(lua_tocfunction(L, -1) !=
	    lua_tocfunction(plain, -1));
	lua_pop(plain, 2);
	lua_pop(L, 1);
}

static const struct mcase hand[] = {
	/* find: init, negative init, past the end, plain, no specials */
	{ "find", "hello world", 0, "o", 0, NULL, NULL },
	{ "find", "hello world", 0, "o", 0, "#6", NULL },
	{ "find", "hello world", 0, "o", 0, "#-3", NULL },
	{ "find", "hello world", 0, "o", 0, "#-100", NULL },
	{ "find", "hello world", 0, "o", 0, "#0", NULL },
	{ "find", "hello world", 0, "", 0, "#12", NULL },
	{ "find", "hello world", 0, "", 0, "#13", NULL },
	{ "find", "hello world", 0, "l+", 0, NULL, NULL },
	{ "find", "a.b.c", 0, ".", 0, "#1", "#1" },
	{ "find", "a.b.c", 0, ".", 0, "#3", "yes" },
	{ "find", "a+b", 0, "+", 0, NULL, NULL },
	{ "find", "a(b", 0, "(", 0, NULL, "x" },
	{ "find", "a\0b\0c", 5, "b\0c", 3, NULL, NULL },
	{ "find", "a\0b\0c", 5, "\0.", 2, NULL, NULL },
	{ "find", "aaab", 0, "aab", 0, NULL, "#1" },
	{ "find", "", 0, "", 0, NULL, NULL },
	{ "find", "", 0, "^$", 0, NULL, NULL },
	{ "find", "abc", 0, "$", 0, NULL, NULL },
	{ "find", "abc", 0, "^", 0, NULL, NULL },
	{ "find", "x^y", 0, "a^", 0, NULL, NULL },
	{ "find", "x^y", 0, "x^", 0, NULL, NULL },
	{ "find", "a$b", 0, "$b", 0, NULL, NULL },
	{ "find", "a$b", 0, "a$b", 0, NULL, NULL },
	{ "find", "  key = value  ", 0, "(%w+)%s*=%s*(%w+)", 0, NULL, NULL },
	{ "find", "abc", 0, "()b()", 0, NULL, NULL },
	/* classes and their complements */
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%a", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%A", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%c", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%C", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%d", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%D", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%g", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%G", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%l", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%L", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%p", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%P", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%s", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%S", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%u", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%U", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%w", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_", 0, "%W", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_fF", 0, "%x", 0, ".", NULL },
	{ "gsub", "aZ09 \t\n!~\x7f\x80\xff_fF", 0, "%X", 0, ".", NULL },
	/* %z left the manual in 5.2 but not lstrlib.c: NUL, as stock */
	{ "gsub", "a\0z%z", 5, "%z", 0, ".", NULL },
	{ "gsub", "a\0z%z", 5, "[%Z]", 0, ".", NULL },
	{ "gsub", "a.b%c", 0, "%.", 0, "!", NULL },
	{ "gsub", "a.b%c", 0, "%%", 0, "!", NULL },
	{ "gsub", "a.b%c", 0, "%", 0, "!", NULL },
	/* sets */
	{ "gsub", "abc-]^xyz019", 0, "[a-c]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[^a-c]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[%d-]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[]]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[^]]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[%]]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[a-]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[-a]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[x^]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[z-a]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[%a%d]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[^%W]", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[^", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[a", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[%", 0, ".", NULL },
	{ "gsub", "abc-]^xyz019", 0, "[a%]", 0, ".", NULL },
	{ "gsub", "\x80\x90\xff", 0, "[\x80-\xfe]", 0, ".", NULL },
	/* quantifiers */
	{ "match", "aaab", 0, "a*", 0, NULL, NULL },
	{ "match", "aaab", 0, "a-b", 0, NULL, NULL },
	{ "match", "aaab", 0, "a+", 0, NULL, NULL },
	{ "match", "aaab", 0, "a?a?a?a?b", 0, NULL, NULL },
	{ "match", "baaa", 0, "a*", 0, NULL, NULL },
	{ "match", "baaa", 0, "a+", 0, NULL, NULL },
	{ "match", "<<a>>", 0, "<(.-)>", 0, NULL, NULL },
	{ "match", "<<a>>", 0, "<(.*)>", 0, NULL, NULL },
	{ "match", "x = 1 ", 0, "^(%w+)%s*=%s*(.-)%s*$", 0, NULL, NULL },
	{ "match", "*x", 0, "*x", 0, NULL, NULL },
	{ "match", "+x", 0, "^+x", 0, NULL, NULL },
	{ "match", "a", 0, "a**", 0, NULL, NULL },
	/* anchors, captures, position captures, back-references */
	{ "match", "hello", 0, "^(h)(e)(l)(l)(o)$", 0, NULL, NULL },
	{ "match", "hello", 0, "()ll()", 0, NULL, NULL },
	{ "match", "hello", 0, "()", 0, "#3", NULL },
	{ "match", "hello", 0, "((l)(l))", 0, NULL, NULL },
	{ "match", "say \"hi\" 'x'", 0, "([\"'])(.-)%1", 0, NULL, NULL },
	{ "match", "abab", 0, "(ab)%1", 0, NULL, NULL },
	{ "match", "abab", 0, "(ab)%2", 0, NULL, NULL },
	{ "match", "abab", 0, "(ab%1)", 0, NULL, NULL },
	{ "match", "abab", 0, "()%1", 0, NULL, NULL },
	{ "match", "abab", 0, "%0", 0, NULL, NULL },
	{ "match", "abab", 0, "(ab", 0, NULL, NULL },
	{ "match", "abab", 0, "ab)", 0, NULL, NULL },
	{ "match", "abab", 0, "(", 0, NULL, NULL },
	{ "match", "aaaaaaaaaa", 0,
	    "(a)(a)(a)(a)(a)(a)(a)(a)(a)%9%8", 0, NULL, NULL },
	{ "match", "abc", 0, "((((((((((((((((((((((((((((((((a))))))))))))))))"
	    "))))))))))))))))", 0, NULL, NULL },
	{ "match", "abc", 0, "(((((((((((((((((((((((((((((((((a)))))))))))))))"
	    "))))))))))))))))))", 0, NULL, NULL },
	/* %b and %f */
	{ "gsub", "f(a(b)c) (d) ((e)", 0, "%b()", 0, "[%0]", NULL },
	{ "gsub", "f(a(b)c) (d) ((e)", 0, "%b((", 0, "[%0]", NULL },
	{ "gsub", "f(a(b)c) (d) ((e)", 0, "%b(", 0, "[%0]", NULL },
	{ "gsub", "f(a(b)c) (d) ((e)", 0, "%b", 0, "[%0]", NULL },
	{ "gsub", "THE (quick) fox", 0, "%f[%a]%a+", 0, "W", NULL },
	{ "gsub", "THE (quick) fox", 0, "%f[%a]", 0, "|", NULL },
	{ "gsub", "THE (quick) fox", 0, "%f[%A]", 0, "|", NULL },
	{ "gsub", "THE (quick) fox", 0, "%f[%z]", 0, "|", NULL },
	{ "gsub", "THE (quick) fox", 0, "%f[^\\0]", 0, "|", NULL },
	{ "gsub", "THE (quick) fox", 0, "%fa", 0, "|", NULL },
	{ "gsub", "THE (quick) fox", 0, "%f", 0, "|", NULL },
	{ "gsub", "THE (quick) fox", 0, "%f[a", 0, "|", NULL },
	/* gsub: replacements, max n, the count */
	{ "gsub", "hello world", 0, "o", 0, "0", NULL },
	{ "gsub", "hello world", 0, "(o)", 0, "%1%1", "#1" },
	{ "gsub", "hello world", 0, "o", 0, "%%", "#0" },
	{ "gsub", "hello world", 0, "o", 0, "%%", "#-1" },
	{ "gsub", "hello world", 0, "o", 0, "%2", NULL },
	{ "gsub", "hello world", 0, "o", 0, "%1", NULL },
	{ "gsub", "hello world", 0, "o", 0, "%", NULL },
	{ "gsub", "hello world", 0, "o", 0, "%x", NULL },
	{ "gsub", "hello world", 0, "()o", 0, "%1", NULL },
	{ "gsub", "hello world", 0, "(o", 0, "%1", NULL },
	{ "gsub", "hello world", 0, "", 0, "-", NULL },
	{ "gsub", "hello world", 0, "x*", 0, "-", NULL },
	{ "gsub", "hello world", 0, "l*", 0, "-", NULL },
	{ "gsub", "hello world", 0, "^h", 0, "H", NULL },
	{ "gsub", "hello world", 0, "^l", 0, "L", NULL },
	{ "gsub", "hello world", 0, "^", 0, ">", NULL },
	{ "gsub", "hello world", 0, "$", 0, "<", NULL },
	{ "gsub", "hello world", 0, "%w+", 0, "#42", NULL },
	{ "gsub", "a b c ab", 0, "%w+", 0, "<T>", NULL },
	{ "gsub", "a b c ab", 0, "(%w)(%w*)", 0, "<T>", NULL },
	{ "gsub", "a b c ab", 0, "()%w", 0, "<T>", NULL },
	{ "gsub", "a b c ab", 0, "%w+", 0, "<F>", NULL },
	{ "gsub", "a b c ab", 0, "(%w)()", 0, "<F>", "#2" },
	{ "gsub", "a b c ab", 0, "%w+", 0, "<Fbad>", NULL },
	{ "gsub", "a b c ab", 0, "%w+", 0, "<Fnum>", NULL },
	{ "gsub", "a b c ab", 0, "%w+", 0, NULL, NULL },
	{ "gsub", "a b c ab", 0, "%w+", 0, "#1", "x" },
	/* gmatch: init, '^' is no anchor, empty matches */
	{ "gmatch", "one two  three", 0, "%a+", 0, NULL, NULL },
	{ "gmatch", "one two  three", 0, "%a+", 0, "#5", NULL },
	{ "gmatch", "one two  three", 0, "%a+", 0, "#-5", NULL },
	{ "gmatch", "one two  three", 0, "%a+", 0, "#100", NULL },
	{ "gmatch", "one two  three", 0, "%a*", 0, NULL, NULL },
	{ "gmatch", "one two  three", 0, "()", 0, NULL, NULL },
	{ "gmatch", "k=v, a=b", 0, "(%w+)=(%w+)", 0, NULL, NULL },
	{ "gmatch", "^a^b", 0, "^.", 0, NULL, NULL },
	{ "gmatch", "abc", 0, "%", 0, NULL, NULL },
	/* limits: depth and captures */
	{ "match", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    0, ".?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?"
	    ".?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?"
	    ".?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?"
	    ".?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?"
	    ".?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?"
	    ".?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?"
	    ".?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?.?",
	    0, NULL, NULL },
	/* argument errors, as stock words them */
	{ "find", "abc", 0, "b", 0, "x", NULL },
	{ "gmatch", "abc", 0, "b", 0, "x", NULL },
	{ "gsub", "abc", 0, "b", 0, "x", "y" },
};

static void
test_hand(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(hand) / sizeof(hand[0]); i++)
		same(&hand[i]);
	/* each of a few patterns through all four functions */
	same4("The year 2024, month 07; (x)", "%d+", NULL);
	same4("The year 2024, month 07; (x)", "(%a+) (%d+)", "#5");
	same4("The year 2024, month 07; (x)", "%b()", NULL);
	same4("The year 2024, month 07; (x)", "%f[%w]%w+", "#-10");
	same4("key=val&k2=v2&=", "([^&=]*)=([^&=]*)", NULL);
	same4("aaa", "a-", NULL);
	same4("aaa", "()a?()", NULL);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static const char *
pick(const char *const *v, size_t n)
{
	return v[next_rand() % n];
}

/* Small patterns over a small alphabet: many malformed, some backtracking. */
static void
test_random(void **state)
{
	static const char *const atoms[] = {
		"a", "b", "c", ".", "%a", "%d", "%s", "%W", "[ab]", "[^a]",
		"[a-c]", "[%d_]", "%b()", "%bab", "%f[%w]", "%f[^a]", "(", ")",
		"()", "%1", "%2", "^", "$", "*", "+", "-", "?", "%", "[", "]",
		"%z", "(a*)", "(.-)", "a*", "b+", "c-", ".?", "1", " ",
	};
	static const char *const inits[] = {
		NULL, NULL, "#1", "#2", "#0", "#-1", "#-3", "#5", "#40",
		"#-40",
	};
	static const char *const repls[] = {
		"x", "%0", "<%1>", "%2", "%%", "%", "<T>", "<F>", "#9", "%1%1",
	};
	static const char *const maxn[] = { NULL, NULL, "#0", "#1", "#2" };
	static const char subj[] = "aabc() 1_\0a";
	char s[16], p[64];
	size_t sl, pl, k, n;
	struct mcase c;
	int i;

	(void)state;
	for (i = 0; i < 6000; i++) {
		sl = next_rand() % 13;
		for (k = 0; k < sl; k++)
			s[k] = subj[next_rand() % (sizeof(subj) - 1)];
		s[sl] = '\0';
		n = 1 + next_rand() % 6;
		p[0] = '\0';
		for (k = 0; k < n; k++)
			strcat(p, pick(atoms, sizeof(atoms) / sizeof(atoms[0])));
		pl = strlen(p);
		memset(&c, 0, sizeof(c));
		c.s = s;
		c.slen = sl;
		c.p = p;
		c.plen = pl;
		if (sl == 0)
			c.s = "";	/* slen 0 means strlen: the same */
		switch (i % 4) {
		case 0:
			c.fn = "find";
			c.a3 = pick(inits, sizeof(inits) / sizeof(inits[0]));
			c.a4 = next_rand() % 5 == 0 ? "plain" : NULL;
			break;
		case 1:
			c.fn = "match";
			c.a3 = pick(inits, sizeof(inits) / sizeof(inits[0]));
			break;
		case 2:
			c.fn = "gmatch";
			c.a3 = pick(inits, sizeof(inits) / sizeof(inits[0]));
			break;
		default:
			c.fn = "gsub";
			c.a3 = pick(repls, sizeof(repls) / sizeof(repls[0]));
			c.a4 = pick(maxn, sizeof(maxn) / sizeof(maxn[0]));
			break;
		}
		same(&c);
	}
	printf("# %lu cases equal to stock Lua\n", ncases);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * code (chunk "hostile.lua") must fail with want in the error, in well
 * under the time a stock matcher takes (minutes for some).
 */
static void
stopped(struct luart *r, const char *code, const char *want)
{
	char err[512];
	double t0 = now_s(), dt;

	if (luart_dobuffer(r, code, strlen(code), "hostile.lua", err,
	    sizeof(err)) == 0)
		fail_msg("ran to its end: %s", code);
	dt = now_s() - t0;
	if (strstr(err, want) == NULL)
		fail_msg("%s: got \"%s\", want \"%s\"", code, err, want);
	if (dt >= 5.0)
		fail_msg("%s: took %.2f s", code, dt);
	printf("# %.3f s: %s\n", dt, err);
	assert_int_equal(lua_gettop(luart_state(r)), 0);
}

static void
test_hostile(void **state)
{
	struct luart *r;
	struct luart_stats st;
	char err[512];
	const char *ok = "return select(2, ('x y z'):gsub('%a', '%0'))";

	(void)state;
	r = luart_new(NULL, 0, 0, err, sizeof(err));
	assert_non_null(r);
	stopped(r, "local s = string.rep('a', 40)\n"
	    "return string.find(s, string.rep('a*', 12) .. 'b')\n",
	    "hostile.lua:2: instruction budget of 10000000 exhausted");
	stopped(r, "return ('/'):rep(200):find('^(.-)/(.-)/(.-)/(.-)/x$')\n",
	    "hostile.lua:1: instruction budget of 10000000 exhausted");
	stopped(r, "return ('a'):rep(40):match(('a*'):rep(12) .. 'b')\n",
	    "hostile.lua:1: instruction budget");
	stopped(r, "for x in ('a'):rep(40):gmatch(('a*'):rep(12) .. 'b') do\n"
	    "end\n", "hostile.lua:1: instruction budget");
	stopped(r, "return ('a'):rep(40):gsub(('a*'):rep(12) .. 'b', 'x')\n",
	    "hostile.lua:1: instruction budget");
	/* a long back-reference, and a plain needle that nearly matches */
	stopped(r, "local s = ('a'):rep(1 << 20)\n"
	    "return s:find('(.-)%1b')\n",
	    "hostile.lua:2: instruction budget");
	stopped(r, "local s = ('a'):rep(1 << 22)\n"
	    "return s:find(('a'):rep(1 << 21) .. 'b', 1, true)\n",
	    "hostile.lua:2: instruction budget");
	/*
	 * Many short calls add up as one long one: each is under a tick, and
	 * only a few instructions, so steps dropped at each call's end would
	 * let this run until the time budget (10 s).
	 */
	stopped(r, "local s = ('a'):rep(10)\n"
	    "for i = 1, 1e9 do s:find('a*a*a*b') end\n",
	    "hostile.lua:2: instruction budget");
	/* pcall cannot catch its way past the budget */
	stopped(r, "local p = ('a*'):rep(12) .. 'b'\n"
	    "while true do pcall(string.find, ('a'):rep(40), p) end\n",
	    "hostile.lua:2: instruction budget");
	/* the state goes on: the next call has its budget again */
	assert_int_equal(luart_dobuffer(r, ok, strlen(ok), "ok.lua", err,
	    sizeof(err)), 0);
	assert_int_equal(lua_tointeger(luart_state(r), -1), 3);
	lua_pop(luart_state(r), 1);
	luart_get_stats(r, &st);
	assert_int_equal(st.budget, 9);

	/* the budget of a check: far less */
	luart_set_budget(r, 1000000);
	luart_set_time_budget(r, 50);
	stopped(r, "return ('/'):rep(200):find('^(.-)/(.-)/(.-)/(.-)/x$')\n",
	    "hostile.lua:1: instruction budget of 1000000 exhausted");
	/* with no instruction budget to speak of, the clock */
	luart_set_budget(r, ULONG_MAX);
	luart_set_time_budget(r, 100);
	stopped(r, "local s = string.rep('a', 40)\n"
	    "return string.find(s, string.rep('a*', 12) .. 'b')\n",
	    "hostile.lua:2: time budget of 100 ms exhausted");
	/* deep nesting is an error, never a deep C stack */
	luart_set_budget(r, 0);
	luart_set_time_budget(r, 1000);
	stopped(r, "return ('a'):rep(1000):match(('a?'):rep(1000))\n",
	    "pattern too complex");
	luart_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sandbox_serves_ours),
		cmocka_unit_test(test_hand),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
