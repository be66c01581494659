/*
 * test_luasrc.c - source positions of a Lua table constructor: keys and items
 * on their lines, what it cannot map left unknown, bad input never a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "luasrc.h"

/*
 * The source is copied to a buffer of its exact length, no NUL after it, so
 * a sanitizer build catches any read past the end.  luasrc points into it.
 */
static char *copy;

static struct luasrc *
load_len(const char *s, size_t len, enum luasrc_status want)
{
	struct luasrc *ls = NULL;

	assert_non_null(copy = malloc(len > 0 ? len : 1));
	memcpy(copy, s, len);
	assert_int_equal(luasrc_new(copy, len, &ls), want);
	assert_non_null(ls);
	return ls;
}

static struct luasrc *
load(const char *s, enum luasrc_status want)
{
	return load_len(s, strlen(s), want);
}

static void
unload(struct luasrc *ls)
{
	luasrc_free(ls);
	free(copy);
	copy = NULL;
}

/* The line of key k of node, and its child in *child. */
static int
key(const struct luasrc *ls, int node, const char *k, int *child)
{
	return luasrc_key(ls, node, k, strlen(k), child);
}

static int
key_line(const struct luasrc *ls, int node, const char *k)
{
	int child;

	return key(ls, node, k, &child);
}

static int
idx_line(struct luasrc *ls, int node, long long i)
{
	int child;

	return luasrc_index(ls, node, i, &child);
}

static void
test_keys_and_items(void **state)
{
	struct luasrc *ls;
	int root, child = 7;

	(void)state;
	ls = load("-- policy\n"
	    "return {\n"			/* 2 */
	    "  mode = \"enforce\",\n"		/* 3 */
	    "  \"a\",\n"			/* 4 */
	    "  \"b\", 'c';\n"			/* 5 */
	    "  [10] = 1,\n"			/* 6 */
	    "  x = 1, y =\n"			/* 7 */
	    "    2,\n"				/* 8 */
	    "  dup = 1,\n"			/* 9 */
	    "  dup = 2,\n"			/* 10 */
	    "  last = 1 }\n", LUASRC_OK);	/* 11 */
	root = luasrc_root(ls);
	assert_true(root >= 0);
	assert_int_equal(luasrc_node_line(ls, root), 2);
	assert_int_equal(luasrc_return_line(ls), 2);
	assert_int_equal(key(ls, root, "mode", &child), 3);
	assert_int_equal(child, -1);
	assert_int_equal(idx_line(ls, root, 1), 4);
	assert_int_equal(idx_line(ls, root, 2), 5);
	assert_int_equal(idx_line(ls, root, 3), 5);
	assert_int_equal(idx_line(ls, root, 10), 6);
	assert_int_equal(key_line(ls, root, "x"), 7);
	assert_int_equal(key_line(ls, root, "y"), 7);	/* the key's line */
	assert_int_equal(key_line(ls, root, "dup"), 10);	/* Lua keeps the last */
	assert_int_equal(key_line(ls, root, "last"), 11);
	/* out of order: the remembered item is no obstacle */
	assert_int_equal(idx_line(ls, root, 1), 4);
	/* what is not there */
	child = 7;
	assert_int_equal(key(ls, root, "nope", &child), 0);
	assert_int_equal(child, -1);
	assert_int_equal(luasrc_key(ls, root, "modex", 4, &child), 3);
	assert_int_equal(key_line(ls, root, "mod"), 0);
	assert_int_equal(idx_line(ls, root, 4), 0);
	assert_int_equal(idx_line(ls, root, 0), 0);
	assert_int_equal(idx_line(ls, root, -1), 0);
	/* "a" is an item, not a key */
	assert_int_equal(key_line(ls, root, "a"), 0);
	/* nodes that do not exist */
	assert_int_equal(key_line(ls, -1, "mode"), 0);
	assert_int_equal(key_line(ls, 9999, "mode"), 0);
	assert_int_equal(idx_line(ls, 9999, 1), 0);
	assert_int_equal(luasrc_node_line(ls, -1), 0);
	assert_int_equal(luasrc_node_line(ls, 9999), 0);
	unload(ls);
	luasrc_free(NULL);
}

static void
test_nested(void **state)
{
	struct luasrc *ls;
	int root, eg, r1, r2, port, c;

	(void)state;
	ls = load("return {\n"
	    "  egress = {\n"			/* 2 */
	    "    { name = \"web\",\n"		/* 3 */
	    "      port = { 80,\n"		/* 4 */
	    "               443 } },\n"		/* 5 */
	    "    {\n"				/* 6 */
	    "      name = \"dns\" },\n"		/* 7 */
	    "  },\n"
	    "  wrapped = setmetatable({ a = 1 }, {}),\n"	/* 9 */
	    "  either = { a = 1 } or nil,\n"	/* 10 */
	    "  check = function(f)\n"		/* 11 */
	    "    if f then return { x = 1 } end\n"
	    "    local t = { [1] = 2 }\n"
	    "    return (t)\n"
	    "  end,\n"
	    "  after = 1,\n"			/* 16 */
	    "}\n", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(key(ls, root, "egress", &eg), 2);
	assert_true(eg >= 0);
	assert_int_equal(luasrc_node_line(ls, eg), 2);
	assert_int_equal(luasrc_index(ls, eg, 1, &r1), 3);
	assert_int_equal(luasrc_index(ls, eg, 2, &r2), 6);
	assert_true(r1 >= 0 && r2 >= 0 && r1 != r2);
	assert_int_equal(idx_line(ls, eg, 3), 0);
	assert_int_equal(key_line(ls, r1, "name"), 3);
	assert_int_equal(key(ls, r1, "port", &port), 4);
	assert_int_equal(idx_line(ls, port, 1), 4);
	assert_int_equal(idx_line(ls, port, 2), 5);
	assert_int_equal(key_line(ls, r2, "name"), 7);
	/* keys of one node are not keys of another */
	assert_int_equal(key_line(ls, root, "name"), 0);
	assert_int_equal(key_line(ls, eg, "name"), 0);
	/* a constructor inside a larger value gives its field no node */
	assert_int_equal(key(ls, root, "wrapped", &c), 9);
	assert_int_equal(c, -1);
	assert_int_equal(key(ls, root, "either", &c), 10);
	assert_int_equal(c, -1);
	/* code in a function is skipped whole */
	assert_int_equal(key(ls, root, "check", &c), 11);
	assert_int_equal(c, -1);
	assert_int_equal(key_line(ls, root, "x"), 0);
	assert_int_equal(key_line(ls, root, "after"), 16);
	unload(ls);
}

/* Constructors nested as deep as Lua allows map; deeper ones do not. */
static void
test_deep(void **state)
{
	char src[1024];
	struct luasrc *ls;
	size_t o;
	int node, d, child;

	(void)state;
	o = (size_t)snprintf(src, sizeof(src), "return ");
	for (d = 0; d < 150; d++)
		src[o++] = '{';
	for (d = 0; d < 150; d++)
		src[o++] = '}';
	ls = load_len(src, o, LUASRC_OK);
	node = luasrc_root(ls);
	for (d = 1; d < 150; d++) {
		assert_int_equal(luasrc_index(ls, node, 1, &child), 1);
		assert_true(child >= 0);
		node = child;
	}
	assert_int_equal(idx_line(ls, node, 1), 0);
	unload(ls);

	o = (size_t)snprintf(src, sizeof(src), "return ");
	for (d = 0; d < 300; d++)
		src[o++] = '{';
	for (d = 0; d < 300; d++)
		src[o++] = '}';
	ls = load_len(src, o, LUASRC_INVALID);
	assert_int_equal(luasrc_root(ls), -1);
	assert_int_equal(luasrc_return_line(ls), 1);
	unload(ls);
}

static void
test_comments(void **state)
{
	struct luasrc *ls;
	int root;

	(void)state;
	ls = load("-- return { no = 1 }\n"
	    "--[==[ a long\n"
	    "comment ]] ]=] still in it { return }\n"
	    "]==]\n"
	    "return { --[[ inline ]] a = 1, -- trailing }\n"	/* 5 */
	    "  --[=[ over\n"
	    "  two lines ]=] b = 2,\n"		/* 7 */
	    "  -- c = 0,\n"
	    "  c = 3 --[[ } ]] }\n", LUASRC_OK);	/* 9 */
	root = luasrc_root(ls);
	assert_int_equal(luasrc_return_line(ls), 5);
	assert_int_equal(luasrc_node_line(ls, root), 5);
	assert_int_equal(key_line(ls, root, "no"), 0);
	assert_int_equal(key_line(ls, root, "a"), 5);
	assert_int_equal(key_line(ls, root, "b"), 7);
	assert_int_equal(key_line(ls, root, "c"), 9);
	unload(ls);

	/* "--[" that opens no long bracket is a line comment */
	ls = load("return {\n"
	    "  a = 1, --[= not long\n"
	    "  b = 2, --[ neither\n"
	    "  c = 3 }", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(key_line(ls, root, "b"), 3);
	assert_int_equal(key_line(ls, root, "c"), 4);
	unload(ls);
}

static void
test_long_strings(void **state)
{
	struct luasrc *ls;
	int root;

	(void)state;
	ls = load("local s = [[\n"
	    "return { no = 1 }\n"
	    "]]\n"
	    "return {\n"				/* 4 */
	    "  a = [==[ x ]] ]=] }\n"
	    "  ]==],\n"
	    "  [[item]],\n"			/* 7: item 1 */
	    "  b = [=[\n"			/* 8 */
	    "\n"
	    "]=], [ [[k]] ] = 1,\n"		/* 10: a key not decoded */
	    "  c = 2,\n"			/* 11 */
	    "}\n", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(luasrc_return_line(ls), 4);
	assert_int_equal(key_line(ls, root, "no"), 0);
	assert_int_equal(key_line(ls, root, "a"), 5);
	assert_int_equal(idx_line(ls, root, 1), 7);
	assert_int_equal(key_line(ls, root, "b"), 8);
	assert_int_equal(key_line(ls, root, "k"), 0);
	assert_int_equal(key_line(ls, root, "c"), 11);
	unload(ls);
}

static void
test_escapes(void **state)
{
	struct luasrc *ls;
	int root;

	(void)state;
	ls = load("return {\n"
	    "  a = \"say \\\"hi\\\" }\", b = 'it\\'s',\n"	/* 2 */
	    "  c = \"back\\\\\", d = 1,\n"			/* 3 */
	    "  e = \"line\\\n"					/* 4 */
	    "break\", f = 2,\n"					/* 5 */
	    "  g = \"\\z\n"					/* 6 */
	    "       skip\", h = 3,\n"				/* 7 */
	    "  [\"with \\\"esc\\\"\"] = 4, i = 5,\n"		/* 8 */
	    "  \"\\u{7D}\", '\"', \"'\",\n"			/* 9 */
	    "}\n", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(key_line(ls, root, "a"), 2);
	assert_int_equal(key_line(ls, root, "b"), 2);
	assert_int_equal(key_line(ls, root, "c"), 3);
	assert_int_equal(key_line(ls, root, "d"), 3);
	assert_int_equal(key_line(ls, root, "e"), 4);
	assert_int_equal(key_line(ls, root, "f"), 5);
	assert_int_equal(key_line(ls, root, "g"), 6);
	assert_int_equal(key_line(ls, root, "h"), 7);
	/* a key with escapes is not decoded: unknown, never wrong */
	assert_int_equal(key_line(ls, root, "with \"esc\""), 0);
	assert_int_equal(key_line(ls, root, "with \\\"esc\\\""), 0);
	assert_int_equal(key_line(ls, root, "i"), 8);
	assert_int_equal(idx_line(ls, root, 1), 9);
	assert_int_equal(idx_line(ls, root, 3), 9);
	assert_int_equal(idx_line(ls, root, 4), 0);
	unload(ls);
}

static void
test_bracket_keys(void **state)
{
	struct luasrc *ls;
	int root, c;

	(void)state;
	ls = load("return {\n"
	    "  [\"key\"] = 1,\n"		/* 2 */
	    "  ['other'] = 2,\n"		/* 3 */
	    "  [\"a b\"] = { 1 },\n"		/* 4 */
	    "  [3] = \"x\",\n"			/* 5 */
	    "  [x] = 1,\n"			/* 6: computed */
	    "  [1 + 1] = 2,\n"			/* 7: computed */
	    "  [0x10] = 3,\n"			/* 8: not decoded */
	    "  [f(\"k\")[2]] = 4,\n"		/* 9: computed */
	    "  after = 5,\n"			/* 10 */
	    "  \"first\",\n"			/* 11: item 1 */
	    "}\n", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(key_line(ls, root, "key"), 2);
	assert_int_equal(key_line(ls, root, "other"), 3);
	assert_int_equal(key(ls, root, "a b", &c), 4);
	assert_true(c >= 0);
	assert_int_equal(idx_line(ls, c, 1), 4);
	assert_int_equal(idx_line(ls, root, 3), 5);
	assert_int_equal(key_line(ls, root, "x"), 0);
	assert_int_equal(idx_line(ls, root, 2), 0);
	assert_int_equal(idx_line(ls, root, 16), 0);
	assert_int_equal(key_line(ls, root, "k"), 0);
	assert_int_equal(key_line(ls, root, "after"), 10);
	assert_int_equal(idx_line(ls, root, 1), 11);
	unload(ls);
}

static void
test_return_name(void **state)
{
	struct luasrc *ls;
	int root, eg, c;

	(void)state;
	ls = load("local helper = require \"x\"\n"
	    "local P <const> = {\n"		/* 2 */
	    "  mode = \"enforce\",\n"		/* 3 */
	    "}\n"
	    "local other = { mode = 1, z = 1 }\n"
	    "P.egress = {\n"			/* 6 */
	    "  { name = \"a\" },\n"		/* 7 */
	    "}\n"
	    "P.checks = helper.checks\n"	/* 9 */
	    "other.y = 1\n"
	    "local function f() return { mode = 2 } end\n"
	    "for i = 1, 3 do P.mode = i end\n"
	    "return P\n", LUASRC_OK);		/* 13 */
	root = luasrc_root(ls);
	assert_true(root >= 0);
	assert_int_equal(luasrc_return_line(ls), 13);
	assert_int_equal(luasrc_node_line(ls, root), 2);
	assert_int_equal(key_line(ls, root, "mode"), 3);
	assert_int_equal(key(ls, root, "egress", &eg), 6);
	assert_int_equal(idx_line(ls, eg, 1), 7);
	assert_int_equal(key(ls, root, "checks", &c), 9);
	assert_int_equal(c, -1);
	assert_int_equal(key_line(ls, root, "z"), 0);
	assert_int_equal(key_line(ls, root, "y"), 0);
	unload(ls);

	/* a later assignment is the one returned; `return NAME;` too */
	ls = load("P = { a = 1 }\n"
	    "P = {\n"
	    "  b = 2 }\n"
	    "P.c = { 1 }\n"
	    "return P;\n", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(luasrc_node_line(ls, root), 2);
	assert_int_equal(key_line(ls, root, "a"), 0);
	assert_int_equal(key_line(ls, root, "b"), 3);
	assert_int_equal(key(ls, root, "c", &c), 4);
	assert_int_equal(idx_line(ls, c, 1), 4);
	unload(ls);
}

/* Code it cannot follow: read fine, no root, every lookup unknown. */
static void
test_unmapped(void **state)
{
	static const struct {
		const char	*src;
		int		ret_line;
	} cases[] = {
		{ "return make()\n", 1 },
		{ "local t = build()\nreturn t\n", 2 },
		{ "local t\nreturn t\n", 2 },
		{ "return undefined_name\n", 1 },
		{ "return setmetatable({ a = 1 }, {})\n", 1 },
		{ "return P.sub\n", 1 },
		{ "local t = { a = 1 }\nreturn t, 2\n", 2 },
		{ "local t = { a = 1 } .. x\nreturn t\n", 2 },
		{ "local function f()\n  return { a = 1 }\nend\n"
		    "return f()\n", 4 },
		{ "x = 1\n", 0 },
		{ "", 0 },
		{ "   \n\n", 0 },
	};
	struct luasrc *ls;
	size_t k;
	int c;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		ls = load(cases[k].src, LUASRC_OK);
		assert_int_equal(luasrc_root(ls), -1);
		assert_int_equal(luasrc_return_line(ls), cases[k].ret_line);
		assert_int_equal(luasrc_node_line(ls, luasrc_root(ls)), 0);
		assert_int_equal(key(ls, luasrc_root(ls), "a", &c), 0);
		assert_int_equal(c, -1);
		assert_int_equal(luasrc_index(ls, luasrc_root(ls), 1, &c), 0);
		assert_int_equal(c, -1);
		unload(ls);
	}
}

/*
 * What cannot be read: no crash, LUASRC_INVALID, no positions.  Tokens are
 * read before statements, so a bad token leaves even the return unknown.
 */
static void
test_invalid(void **state)
{
	static const struct {
		const char	*src;
		size_t		len;	/* 0: strlen */
		int		ret_line;
	} cases[] = {
		{ "return { a = \"abc }", 0, 0 },
		{ "return { a = 'abc\n', b = 1 }", 0, 0 },
		{ "return { a = \"x\\", 0, 0 },
		{ "return { a = \"x\\z   ", 0, 0 },
		{ "return {\n  a = 1 } --[==[ never ]=] closed ]]", 0, 0 },
		{ "--[[ open\nreturn { a = 1 }", 0, 0 },
		{ "return {\n  a = [[ open", 0, 0 },
		{ "return {\n  a = [==[ x ]=]", 0, 0 },
		{ "return { a = 1,", 0, 1 },
		{ "return { a = { b = 1 }", 0, 1 },
		{ "return {", 0, 1 },
		{ "end\nreturn { a = 1 }", 0, 0 },
		{ "return { a = (1 }", 0, 1 },
		{ "return { [a] 1 }", 0, 1 },
		{ "return { [a = 1 }", 0, 1 },
		{ "return { a = 1 @ }", 0, 0 },
		{ "return { a = 1, b = $ }", 0, 0 },
		{ "return { a = \xc3\xa9 }", 0, 0 },
		{ "return { a = \0 }", 16, 0 },
	};
	struct luasrc *ls;
	size_t k, len;
	int c;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		len = cases[k].len != 0 ? cases[k].len : strlen(cases[k].src);
		ls = load_len(cases[k].src, len, LUASRC_INVALID);
		assert_int_equal(luasrc_root(ls), -1);
		assert_int_equal(luasrc_return_line(ls), cases[k].ret_line);
		assert_int_equal(key(ls, 1, "a", &c), 0);
		assert_int_equal(c, -1);
		assert_int_equal(luasrc_index(ls, 1, 1, &c), 0);
		assert_int_equal(luasrc_node_line(ls, 1), 0);
		unload(ls);
	}
}

/* Lua's line breaks: \n, \r, \r\n and \n\r count one each. */
static void
test_line_endings(void **state)
{
	struct luasrc *ls;
	int root;

	(void)state;
	ls = load("return {\r\n a = 1,\r\n b = 2,\n\r c = 3,\r d = 4,\n\n"
	    " e = \"x\\\r\ny\", f = [[\r\n\r\n]], g = 5 }", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(key_line(ls, root, "a"), 2);
	assert_int_equal(key_line(ls, root, "b"), 3);
	assert_int_equal(key_line(ls, root, "c"), 4);
	assert_int_equal(key_line(ls, root, "d"), 5);
	assert_int_equal(key_line(ls, root, "e"), 7);
	assert_int_equal(key_line(ls, root, "f"), 8);
	assert_int_equal(key_line(ls, root, "g"), 10);
	unload(ls);
}

static void
test_numbers(void **state)
{
	struct luasrc *ls;
	int root;

	(void)state;
	ls = load("return {\n"
	    "  1e+5,\n"
	    "  0x1p-3,\n"
	    "  .5,\n"
	    "  3 .. 'x',\n"
	    "  0xA - 1,\n"
	    "  2e-2-1,\n"
	    "  0xE+1,\n"
	    "  n = 1 }", LUASRC_OK);
	root = luasrc_root(ls);
	assert_int_equal(idx_line(ls, root, 1), 2);
	assert_int_equal(idx_line(ls, root, 2), 3);
	assert_int_equal(idx_line(ls, root, 3), 4);
	assert_int_equal(idx_line(ls, root, 4), 5);
	assert_int_equal(idx_line(ls, root, 5), 6);
	assert_int_equal(idx_line(ls, root, 6), 7);
	assert_int_equal(idx_line(ls, root, 7), 8);
	assert_int_equal(idx_line(ls, root, 8), 0);
	assert_int_equal(key_line(ls, root, "n"), 9);
	unload(ls);
}

/* A large file: every item and key found on its line, lists in linear time. */
static void
test_big(void **state)
{
	enum { NITEMS = 100000, NKEYS = 5000, NRULES = 20000 };
	struct luasrc *ls;
	char *src, kname[32];
	size_t cap = 8u << 20, o = 0;
	int i, root, list, keys, rules, r, line;

	(void)state;
	assert_non_null(src = malloc(cap));
#define PUT(...) do {							\
		o += (size_t)snprintf(src + o, cap - o, __VA_ARGS__);	\
		assert_true(o < cap);					\
	} while (0)
	PUT("return {\n");				/* 1 */
	PUT("  list = {\n");				/* 2 */
	for (i = 0; i < NITEMS; i++)			/* 3 .. */
		PUT("    \"10.%d.%d.0/24\",\n", i / 256, i % 256);
	PUT("  },\n");
	PUT("  keys = {\n");
	for (i = 0; i < NKEYS; i++)
		PUT("    k%d = %d,\n", i, i);
	PUT("  },\n");
	PUT("  rules = {\n");
	for (i = 0; i < NRULES; i++)
		PUT("    { name = \"r%d\", port = { %d, %d } },\n", i, i, i + 1);
	PUT("  },\n");
	PUT("  last = true,\n");
	PUT("}\n");
#undef PUT
	ls = load_len(src, o, LUASRC_OK);
	free(src);
	root = luasrc_root(ls);
	assert_int_equal(key(ls, root, "list", &list), 2);
	for (i = 0; i < NITEMS; i++)
		assert_int_equal(idx_line(ls, list, i + 1), 3 + i);
	assert_int_equal(idx_line(ls, list, NITEMS + 1), 0);
	line = 3 + NITEMS;
	assert_int_equal(key(ls, root, "keys", &keys), line + 1);
	for (i = 0; i < NKEYS; i += 7) {
		snprintf(kname, sizeof(kname), "k%d", i);
		assert_int_equal(key_line(ls, keys, kname), line + 2 + i);
	}
	line += 2 + NKEYS;
	assert_int_equal(key(ls, root, "rules", &rules), line + 1);
	for (i = 0; i < NRULES; i++) {
		assert_int_equal(luasrc_index(ls, rules, i + 1, &r),
		    line + 2 + i);
		assert_int_equal(key_line(ls, r, "name"), line + 2 + i);
		assert_int_equal(key(ls, r, "port", &r), line + 2 + i);
		assert_int_equal(idx_line(ls, r, 2), line + 2 + i);
	}
	line += 2 + NRULES;
	assert_int_equal(key_line(ls, root, "last"), line + 1);
	/* a few backwards: slower, still right */
	for (i = NITEMS; i > NITEMS - 5; i--)
		assert_int_equal(idx_line(ls, list, i), 2 + i);
	unload(ls);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_and_items),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_deep),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_long_strings),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_bracket_keys),
		cmocka_unit_test(test_return_name),
		cmocka_unit_test(test_unmapped),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
