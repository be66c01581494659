/*
 * policy.c - run a policy file once in the sandbox, check what it returns
 * strictly (one error line, FILE:LINE: message) and compile it for matching.
 * policy_match must never allocate: it runs for every new flow.
 */
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_rt.h"
#include "luasrc.h"
#include "policy.h"
#include "policy_index.h"
#include "reason.h"

#define POLICY_MAX_FILE	((size_t)4 << 20)
#define NAME_MAX_LEN	64
#define HOST_MAX_LEN	253
#define LABEL_MAX_LEN	63
#define PATH_MAX_LEN	4095
#define ID_MAX		4294967294LL	/* (uid_t)-1 is "no change", no id */

/*
 * Registry key of the compiled checks: a table from rule key (egress rule i
 * is i + 1, inbound rule i is -(i + 1)) to the check function.
 */
static char checks_key;

/* Where a value sits: its node if a constructor wrote it, the nearest line. */
struct at {
	int		node;
	int		line;
};

struct ld {
	const char	*path;
	lua_State	*L;
	struct policy	*p;
	struct luasrc	*src;	/* positions of the source */
	char		*err;
	size_t		errlen;
	int		checks;	/* stack index of `checks`, 0 none */
	int		cktab;	/* stack index of the compiled checks */
	const struct policy_rule **names;	/* rules by name, hashed */
	size_t		nnames;			/* slots, a power of 2 */
	int		failed;
};

/* The earliest (by line, then key text) of several problems of one table. */
struct first {
	int		set;
	int		line;
	char		key[96];
	char		msg[320];
};

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Positions: luasrc maps the constructor the file returns to its lines; a
 * value it could not map takes the line of the nearest one it did.
 */

static struct at
at_key(const struct ld *ld, struct at a, const char *key)
{
	struct at r = { -1, a.line };
	int line = luasrc_key(ld->src, a.node, key, strlen(key), &r.node);

	if (line > 0)
		r.line = line;
	return r;
}

static struct at
at_idx(struct ld *ld, struct at a, lua_Integer i)
{
	struct at r = { -1, a.line };
	int line = luasrc_index(ld->src, a.node, i, &r.node);

	if (line > 0)
		r.line = line;
	return r;
}

/* The position of the key at stack index k of a table at a. */
static int
key_line(struct ld *ld, struct at a, int k)
{
	if (lua_type(ld->L, k) == LUA_TSTRING)
		return at_key(ld, a, lua_tostring(ld->L, k)).line;
	if (lua_isinteger(ld->L, k))
		return at_idx(ld, a, lua_tointeger(ld->L, k)).line;
	return a.line;
}

/*
 * Errors.
 */

static int lerr(struct ld *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
lerr(struct ld *ld, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->errlen > 0) {
		if (line > 0)
			snprintf(ld->err, ld->errlen, "%s:%d: %s", ld->path,
			    line, msg);
		else
			snprintf(ld->err, ld->errlen, "%s: %s", ld->path, msg);
	}
	ld->failed = 1;
	return -1;
}

static int
oom(struct ld *ld)
{
	return lerr(ld, 0, "out of memory");
}

static void
quote(const char *s, size_t len, char *buf, size_t blen)
{
	size_t o = 0, i;

	if (blen < 8) {
		if (blen > 0)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= blen || o > 72) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, blen - o, "\\%u", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* A value for a message: quoted, as Lua writes a number, or its type. */
static const char *
show(lua_State *L, int i, char *buf, size_t blen)
{
	const char *s;
	size_t len;

	switch (lua_type(L, i)) {
	case LUA_TSTRING:
		s = lua_tolstring(L, i, &len);
		quote(s, len, buf, blen);
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, i)) {
			snprintf(buf, blen, "%lld",
			    (long long)lua_tointeger(L, i));
			break;
		}
		snprintf(buf, blen, "%.14g", (double)lua_tonumber(L, i));
		if (strpbrk(buf, ".eni") == NULL && strlen(buf) + 3 <= blen)
			strcat(buf, ".0");
		break;
	case LUA_TBOOLEAN:
		snprintf(buf, blen, "%s", lua_toboolean(L, i) ? "true" :
		    "false");
		break;
	default:
		snprintf(buf, blen, "%s", luaL_typename(L, i));
		break;
	}
	return buf;
}

/* A key for a message: "name" for strings, else the value in brackets. */
static const char *
show_key(lua_State *L, int i, char *buf, size_t blen)
{
	char tmp[96];

	if (lua_type(L, i) == LUA_TSTRING)
		return show(L, i, buf, blen);
	snprintf(buf, blen, "[%s]", show(L, i, tmp, sizeof(tmp)));
	return buf;
}

static void first_offer(struct first *, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static void
first_offer(struct first *f, int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (f->set && (line > f->line ||
	    (line == f->line && strcmp(key, f->key) >= 0)))
		return;
	f->set = 1;
	f->line = line;
	snprintf(f->key, sizeof(f->key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

static int
first_report(struct ld *ld, const struct first *f)
{
	if (!f->set)
		return 0;
	return lerr(ld, f->line, "%s", f->msg);
}

/*
 * Reading the table.  Only raw access: no metamethod of the policy runs here.
 */

/* Push t[key] (raw); returns its type. */
static int
rawfield(lua_State *L, int t, const char *key)
{
	lua_pushstring(L, key);
	return lua_rawget(L, t);
}

static int
str_in(const char *s, const char *const *list)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return i;
	return -1;
}

/* Each key of table t must be a string in known.  what == NULL: the top. */
static int
check_keys(struct ld *ld, int t, struct at a, const char *const *known,
    const char *what)
{
	lua_State *L = ld->L;
	struct first f;
	char k[96];

	memset(&f, 0, sizeof(f));
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) == LUA_TSTRING &&
		    str_in(lua_tostring(L, -1), known) >= 0)
			continue;
		show_key(L, -1, k, sizeof(k));
		if (what == NULL)
			first_offer(&f, key_line(ld, a, lua_gettop(L)), k,
			    "unknown key %s at top level", k);
		else
			first_offer(&f, key_line(ld, a, lua_gettop(L)), k,
			    "%s: unknown key %s", what, k);
	}
	return first_report(ld, &f);
}

/* Table t must be a sequence 1..n (n > 0 unless empty_ok); *n its length. */
static int
seq_len(struct ld *ld, int t, struct at a, const char *what, int empty_ok,
    size_t *n)
{
	lua_State *L = ld->L;
	struct first f;
	lua_Integer k, max = 0, count = 0, i;
	char ks[96];

	memset(&f, 0, sizeof(f));
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		lua_pop(L, 1);
		if (!lua_isinteger(L, -1) || (k = lua_tointeger(L, -1)) < 1) {
			show_key(L, -1, ks, sizeof(ks));
			first_offer(&f, key_line(ld, a, lua_gettop(L)), ks,
			    "%s: expected a list, found key %s", what, ks);
			continue;
		}
		count++;
		if (k > max)
			max = k;
	}
	if (first_report(ld, &f) == -1)
		return -1;
	if (count != max) {
		for (i = 1; i < max; i++) {
			int ty = lua_rawgeti(L, t, i);

			lua_pop(L, 1);
			if (ty == LUA_TNIL)
				break;
		}
		return lerr(ld, a.line, "%s: expected a list, item %lld is "
		    "missing", what, (long long)i);
	}
	if (count == 0 && !empty_ok)
		return lerr(ld, a.line, "%s: empty list", what);
	*n = (size_t)count;
	return 0;
}

/* A value that is one item or a list of them: how many. */
static int
count_items(struct ld *ld, int v, struct at a, const char *what, size_t *n)
{
	if (lua_type(ld->L, v) != LUA_TTABLE) {
		*n = 1;
		return 0;
	}
	return seq_len(ld, v, a, what, 0, n);
}

/* Push item i (0-based) of v, a list or one item; name and place it. */
static void
push_item(struct ld *ld, int v, size_t i, struct at a, const char *what,
    struct at *ia, char *iwhat, size_t iwlen)
{
	if (lua_type(ld->L, v) == LUA_TTABLE) {
		lua_rawgeti(ld->L, v, (lua_Integer)i + 1);
		*ia = at_idx(ld, a, (lua_Integer)i + 1);
		snprintf(iwhat, iwlen, "%s[%zu]", what, i + 1);
	} else {
		lua_pushvalue(ld->L, v);
		*ia = a;
		snprintf(iwhat, iwlen, "%s", what);
	}
}

/* A string value without NUL bytes, or an error naming what was expected. */
static const char *
want_string(struct ld *ld, int v, struct at a, const char *what,
    const char *expected, size_t *len)
{
	const char *s;
	char buf[96];

	if (lua_type(ld->L, v) != LUA_TSTRING) {
		lerr(ld, a.line, "%s: expected %s, got %s", what, expected,
		    luaL_typename(ld->L, v));
		return NULL;
	}
	s = lua_tolstring(ld->L, v, len);
	if (strlen(s) != *len) {
		lerr(ld, a.line, "%s: %s contains a NUL byte", what,
		    show(ld->L, v, buf, sizeof(buf)));
		return NULL;
	}
	return s;
}

/* An integral number (an integral float too) in [lo, hi]. */
static int
want_int(lua_State *L, int v, lua_Integer lo, lua_Integer hi, lua_Integer *out)
{
	lua_Integer x;
	int ok;

	if (lua_type(L, v) != LUA_TNUMBER)
		return -1;
	x = lua_tointegerx(L, v, &ok);
	if (!ok || x < lo || x > hi)
		return -1;
	*out = x;
	return 0;
}

/* A string field that must be one of names: *out its index, if present. */
static int
get_choice(struct ld *ld, int t, struct at a, const char *key,
    const char *const *names, const char *shown, int *out)
{
	lua_State *L = ld->L;
	struct at ka = at_key(ld, a, key);
	const char *s;
	size_t len;
	char buf[96];
	int i;

	if (rawfield(L, t, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if ((s = want_string(ld, -1, ka, key, "a string", &len)) == NULL)
		return -1;
	if ((i = str_in(s, names)) < 0)
		return lerr(ld, ka.line, "%s: %s is not one of %s", key,
		    show(L, -1, buf, sizeof(buf)), shown);
	*out = i;
	lua_pop(L, 1);
	return 0;
}

/*
 * Values.
 */

/* "a.b.c.d/n" or "x::/n": a prefix with no host bits, or a plain address. */
static int
cidr_item(struct ld *ld, int v, struct at a, const char *what, int inlist,
    struct cidr *c)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	char host[ADDR_STRLEN + 1], buf[96], ok[ADDR_STRLEN + 8];
	const char *s, *slash;
	struct cidr t;
	size_t len, n, i;
	unsigned max, plen = 0;

	if ((s = want_string(ld, v, a, what, inlist ? "an address or prefix" :
	    "an address, a prefix or a list", &len)) == NULL)
		return -1;
	show(ld->L, v, buf, sizeof(buf));
	if (cidr_parse(c, s) == 0) {
		if (c->net.family == 6 && c->len >= 96 &&
		    memcmp(c->net.b, mapped, sizeof(mapped)) == 0) {
			addr_set4(&t.net, c->net.b + 12);
			t.len = (uint8_t)(c->len - 96);
			if (t.len == 32)
				addr_format(&t.net, ok, sizeof(ok));
			else
				cidr_format(&t, ok, sizeof(ok));
			return lerr(ld, a.line, "%s: %s is IPv4-mapped: "
			    "write %s", what, buf, ok);
		}
		return 0;
	}
	/* say why: a bad prefix length, host bits, or no address at all */
	slash = strchr(s, '/');
	n = slash != NULL ? (size_t)(slash - s) : len;
	if (slash == NULL || n == 0 || n > ADDR_STRLEN)
		goto bad;
	memcpy(host, s, n);
	host[n] = '\0';
	if (addr_parse(&t.net, host) == -1)
		goto bad;
	max = t.net.family == 4 ? 32 : 128;
	for (i = 1; slash[i] != '\0'; i++) {
		if (!is_digit(slash[i]) || i > 4)
			goto bad;
		plen = plen * 10 + (unsigned)(slash[i] - '0');
	}
	if (i == 1 || plen > max)
		return lerr(ld, a.line, "%s: %s: the prefix length must be "
		    "0-%u", what, buf, max);
	t.len = (uint8_t)plen;
	for (i = 0; i < max / 8; i++) {
		unsigned bits = plen > i * 8 ? plen - (unsigned)i * 8 : 0;

		if (bits < 8)
			t.net.b[i] &= (uint8_t)(0xff00 >> bits);
	}
	return lerr(ld, a.line, "%s: %s has host bits set (the prefix is %s)",
	    what, buf, cidr_format(&t, ok, sizeof(ok)));
bad:
	return lerr(ld, a.line, "%s: %s is not an address or prefix", what,
	    buf);
}

static int
compile_cidrs(struct ld *ld, int v, struct at a, const char *what,
    struct cidr **out, size_t *nout)
{
	char iwhat[96];
	struct at ia;
	size_t n, i;
	int rc;

	if (count_items(ld, v, a, what, &n) == -1)
		return -1;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return oom(ld);
	*nout = n;
	for (i = 0; i < n; i++) {
		push_item(ld, v, i, a, what, &ia, iwhat, sizeof(iwhat));
		rc = cidr_item(ld, lua_gettop(ld->L), ia, iwhat,
		    lua_type(ld->L, v) == LUA_TTABLE, &(*out)[i]);
		lua_pop(ld->L, 1);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Digits only, at most 6 of them; -1 otherwise. */
static long
port_num(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > 6)
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
port_item(struct ld *ld, int v, struct at a, const char *what, int inlist,
    struct policy_port_range *r)
{
	lua_State *L = ld->L;
	const char *s, *dash;
	char buf[96];
	lua_Integer x;
	long lo, hi;
	size_t len;

	show(L, v, buf, sizeof(buf));
	if (lua_type(L, v) == LUA_TNUMBER) {
		if (want_int(L, v, 1, 65535, &x) == -1)
			return lerr(ld, a.line, "%s: %s is not a port "
			    "(1-65535)", what, buf);
		r->lo = r->hi = (uint16_t)x;
		return 0;
	}
	if (lua_type(L, v) != LUA_TSTRING)
		return lerr(ld, a.line, "%s: expected %s, got %s", what,
		    inlist ? "a number or \"lo-hi\"" :
		    "a number, a list or \"lo-hi\"", luaL_typename(L, v));
	s = lua_tolstring(L, v, &len);
	dash = memchr(s, '-', len);
	lo = port_num(s, dash != NULL ? (size_t)(dash - s) : len);
	hi = dash == NULL ? lo :
	    port_num(dash + 1, len - (size_t)(dash - s) - 1);
	if (lo < 0 || hi < 0)
		return lerr(ld, a.line, "%s: %s is not a port or a range "
		    "\"lo-hi\"", what, buf);
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
		return lerr(ld, a.line, "%s: %s: %ld is not a port (1-65535)",
		    what, buf, lo < 1 || lo > 65535 ? lo : hi);
	if (lo > hi)
		return lerr(ld, a.line, "%s: %s: the range runs backwards "
		    "(%ld > %ld)", what, buf, lo, hi);
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct policy_port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static int
compile_ports(struct ld *ld, int v, struct at a, const char *what,
    struct policy_rule *r)
{
	char iwhat[96];
	struct at ia;
	size_t n, i, o;
	int rc;

	if (lua_type(ld->L, v) == LUA_TTABLE) {
		if (seq_len(ld, v, a, what, 0, &n) == -1)
			return -1;
	} else if (lua_type(ld->L, v) == LUA_TNUMBER ||
	    lua_type(ld->L, v) == LUA_TSTRING)
		n = 1;
	else
		return lerr(ld, a.line, "%s: expected a number, a list or "
		    "\"lo-hi\", got %s", what, luaL_typename(ld->L, v));
	if ((r->ports = calloc(n, sizeof(*r->ports))) == NULL)
		return oom(ld);
	r->nports = n;
	for (i = 0; i < n; i++) {
		push_item(ld, v, i, a, what, &ia, iwhat, sizeof(iwhat));
		rc = port_item(ld, lua_gettop(ld->L), ia, iwhat,
		    lua_type(ld->L, v) == LUA_TTABLE, &r->ports[i]);
		lua_pop(ld->L, 1);
		if (rc == -1)
			return -1;
	}
	/* sorted, overlapping and adjacent ranges merged */
	qsort(r->ports, n, sizeof(*r->ports), range_cmp);
	for (i = 1, o = 0; i < n; i++) {
		if ((unsigned)r->ports[i].lo <= (unsigned)r->ports[o].hi + 1) {
			if (r->ports[i].hi > r->ports[o].hi)
				r->ports[o].hi = r->ports[i].hi;
		} else
			r->ports[++o] = r->ports[i];
	}
	r->nports = o + 1;
	return 0;
}

/* What is wrong with a lower-cased host name h, as the end of a sentence. */
static const char *
host_why(const char *h, size_t len)
{
	const char *lab, *dot;
	size_t llen, i;
	struct addr ad;

	if (len == 0)
		return " is not a host name";
	if (strcmp(h, "*") == 0 || strcmp(h, "**") == 0)
		return " is not allowed: a bare wildcard matches every name";
	if (addr_parse(&ad, h) == 0)
		return " is an address, not a host name: use \"to\"";
	if (len > HOST_MAX_LEN)
		return " is longer than 253 characters";
	for (lab = h; lab != NULL; lab = dot != NULL ? dot + 1 : NULL) {
		dot = strchr(lab, '.');
		llen = dot != NULL ? (size_t)(dot - lab) : strlen(lab);
		if (llen == 0)
			return " has an empty label";
		/* "*." one label, "**." any depth: only in front */
		if (lab == h && dot != NULL && strspn(lab, "*") == llen &&
		    llen <= 2)
			continue;
		if (memchr(lab, '*', llen) != NULL)
			return ": a wildcard is allowed only as the whole "
			    "first label (\"*.\" or \"**.\")";
		if (llen > LABEL_MAX_LEN)
			return " has a label longer than 63 characters";
		for (i = 0; i < llen; i++)
			if (!(lab[i] >= 'a' && lab[i] <= 'z') &&
			    !is_digit(lab[i]) && lab[i] != '-' && lab[i] != '_')
				return " has a character that is not "
				    "a-z 0-9 - _";
	}
	return NULL;
}

/* Lower-case, one trailing dot off, then checked by host_why. */
static int
host_item(struct ld *ld, int v, struct at a, const char *what, int inlist,
    char **out)
{
	const char *s, *why;
	char buf[96], *h;
	size_t len, i;

	if ((s = want_string(ld, v, a, what, inlist ? "a host name" :
	    "a host name or a list", &len)) == NULL)
		return -1;
	show(ld->L, v, buf, sizeof(buf));
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return lerr(ld, a.line, "%s: %s is not ASCII: write "
			    "its punycode form (xn--...)", what, buf);
	if ((h = *out = strdup(s)) == NULL)
		return oom(ld);
	for (i = 0; i < len; i++)
		if (h[i] >= 'A' && h[i] <= 'Z')
			h[i] = (char)(h[i] - 'A' + 'a');
	if (len > 0 && h[len - 1] == '.')
		h[--len] = '\0';
	if ((why = host_why(h, len)) != NULL)
		return lerr(ld, a.line, "%s: %s%s", what, buf, why);
	return 0;
}

static int
exe_item(struct ld *ld, int v, struct at a, const char *what, int inlist,
    char **out)
{
	const char *s;
	char buf[96];
	size_t len;

	if ((s = want_string(ld, v, a, what, inlist ? "a path" :
	    "a path or a list", &len)) == NULL)
		return -1;
	if (s[0] != '/' || len > PATH_MAX_LEN)
		return lerr(ld, a.line, "%s: %s is not an absolute path", what,
		    show(ld->L, v, buf, sizeof(buf)));
	if ((*out = strdup(s)) == NULL)
		return oom(ld);
	return 0;
}

static int
cgroup_item(struct ld *ld, int v, struct at a, const char *what, int inlist,
    char **out)
{
	const char *s;
	char buf[96];
	size_t len;

	if ((s = want_string(ld, v, a, what, inlist ? "a cgroup path" :
	    "a cgroup path or a list", &len)) == NULL)
		return -1;
	if (s[0] != '/' || len > PATH_MAX_LEN)
		return lerr(ld, a.line, "%s: %s does not start with \"/\"",
		    what, show(ld->L, v, buf, sizeof(buf)));
	if ((*out = strdup(s)) == NULL)
		return oom(ld);
	/* a prefix on a '/' boundary: a trailing slash adds nothing */
	while (len > 1 && (*out)[len - 1] == '/')
		(*out)[--len] = '\0';
	return 0;
}

typedef int str_item_fn(struct ld *, int, struct at, const char *, int,
    char **);

static int
compile_strs(struct ld *ld, int v, struct at a, const char *what,
    str_item_fn *fn, char ***out, size_t *nout)
{
	char iwhat[96];
	struct at ia;
	size_t n, i;
	int rc;

	if (count_items(ld, v, a, what, &n) == -1)
		return -1;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return oom(ld);
	*nout = n;
	for (i = 0; i < n; i++) {
		push_item(ld, v, i, a, what, &ia, iwhat, sizeof(iwhat));
		rc = fn(ld, lua_gettop(ld->L), ia, iwhat,
		    lua_type(ld->L, v) == LUA_TTABLE, &(*out)[i]);
		lua_pop(ld->L, 1);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
compile_ids(struct ld *ld, int v, struct at a, const char *what,
    const char *kind, uint32_t **out, size_t *nout)
{
	lua_State *L = ld->L;
	char iwhat[96], buf[96];
	lua_Integer x;
	struct at ia;
	size_t n, i;
	int list = lua_type(L, v) == LUA_TTABLE;

	if (count_items(ld, v, a, what, &n) == -1)
		return -1;
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return oom(ld);
	*nout = n;
	for (i = 0; i < n; i++) {
		push_item(ld, v, i, a, what, &ia, iwhat, sizeof(iwhat));
		if (lua_type(L, -1) != LUA_TNUMBER)
			return lerr(ld, ia.line, "%s: expected %s, got %s",
			    iwhat, list ? "an integer" : "an integer or a list",
			    luaL_typename(L, -1));
		if (want_int(L, -1, 0, ID_MAX, &x) == -1)
			return lerr(ld, ia.line, "%s: %s is not a %s (0-%lld)",
			    iwhat, show(L, -1, buf, sizeof(buf)), kind, ID_MAX);
		(*out)[i] = (uint32_t)x;
		lua_pop(L, 1);
	}
	return 0;
}

static int
is_ident(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_LEN || !is_alpha(s[0]))
		return 0;
	for (i = 1; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]))
			return 0;
	return 1;
}

static int
rule_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '.' &&
		    s[i] != ':' && s[i] != '-')
			return 0;
	return 1;
}

/* FNV-1a 64, for the policy hash and the table of rule names. */
static uint64_t
fnv1a(const void *v, size_t len)
{
	const unsigned char *b = v;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Which rule already has this name, in either list; or NULL, and r takes it.
 * An open-addressed table sized for both lists at the start.
 */
static const struct policy_rule *
name_claim(struct ld *ld, const struct policy_rule *r)
{
	const struct policy_rule **slot;
	size_t i;

	i = (size_t)fnv1a(r->name, strlen(r->name)) & (ld->nnames - 1);
	for (;; i = (i + 1) & (ld->nnames - 1)) {
		slot = &ld->names[i];
		if (*slot == NULL) {
			*slot = r;
			return NULL;
		}
		if (strcmp((*slot)->name, r->name) == 0)
			return *slot;
	}
}

/* "egress[3]" for a rule of p. */
static void
rule_ref(const struct policy *p, const struct policy_rule *r, char *buf,
    size_t len)
{
	if (p->ninbound > 0 && r >= p->inbound && r < p->inbound + p->ninbound)
		snprintf(buf, len, "inbound[%zu]", (size_t)(r - p->inbound) + 1);
	else
		snprintf(buf, len, "egress[%zu]", (size_t)(r - p->egress) + 1);
}

/* Push module.func for a check named s: module loaded by require, now. */
static int
push_module_check(struct ld *ld, const char *s, size_t len, struct at a,
    const char *what)
{
	lua_State *L = ld->L;
	const char *dot = strrchr(s, '.');
	char mod[160], msg[512];
	size_t mlen = (size_t)(dot - s);

	if (mlen >= sizeof(mod) || !luart_module_name_ok(s, mlen) ||
	    !is_ident(dot + 1, len - mlen - 1))
		return 1;
	memcpy(mod, s, mlen);
	mod[mlen] = '\0';
	if (luart_require(ld->p->lua, mod, msg, sizeof(msg)) == -1)
		return lerr(ld, a.line, "%s: %s", what, msg);
	if (lua_type(L, -1) != LUA_TTABLE)
		return lerr(ld, a.line, "%s: module \"%s\" is not a table of "
		    "functions", what, mod);
	if (rawfield(L, lua_gettop(L), dot + 1) != LUA_TFUNCTION)
		return lerr(ld, a.line, "%s: module \"%s\" has no function "
		    "\"%s\"", what, mod, dot + 1);
	lua_remove(L, -2);
	return 0;
}

/* `check`: a function of `checks` or module.func, kept in the registry. */
static int
compile_check(struct ld *ld, int v, struct at a, const char *what,
    bool inbound, size_t i, struct policy_rule *r)
{
	lua_State *L = ld->L;
	const char *s;
	char buf[96];
	size_t len;
	int rc;

	if ((s = want_string(ld, v, a, what, "a string", &len)) == NULL)
		return -1;
	show(L, v, buf, sizeof(buf));
	if (strchr(s, '.') != NULL)
		rc = push_module_check(ld, s, len, a, what);
	else if (!is_ident(s, len))
		rc = 1;
	else if (ld->checks == 0 ||
	    rawfield(L, ld->checks, s) != LUA_TFUNCTION)
		return lerr(ld, a.line, "%s: no function %s in checks", what,
		    buf);
	else
		rc = 0;
	if (rc == 1)
		return lerr(ld, a.line, "%s: %s is not a check name (a "
		    "function in checks, or module.function)", what, buf);
	if (rc == -1)
		return -1;
	lua_rawseti(L, ld->cktab, inbound ? -(lua_Integer)i - 1 :
	    (lua_Integer)i + 1);
	if ((r->check = strdup(s)) == NULL)
		return oom(ld);
	return 0;
}

static const char *const proto_names[] = { "tcp", "udp", "icmp", "icmpv6",
	"any", NULL };
static const uint8_t proto_nums[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
	IPPROTO_ICMPV6, POLICY_PROTO_ANY };

/* One field of one rule: its value at stack index v, its place, its name. */
struct field {
	struct ld	*ld;
	struct policy_rule *r;
	bool		inbound;
	size_t		i;		/* the rule's index in its list */
	int		v;
	struct at	a;
	const char	*what;		/* e.g. "egress[2].port" */
};

static int
f_name(struct field *f)
{
	lua_State *L = f->ld->L;
	const struct policy_rule *other;
	const char *s;
	char buf[96], who[32];
	size_t len;

	if ((s = want_string(f->ld, f->v, f->a, f->what, "a string",
	    &len)) == NULL)
		return -1;
	show(L, f->v, buf, sizeof(buf));
	if (!rule_name_ok(s, len))
		return lerr(f->ld, f->a.line, "%s: %s is not a valid name "
		    "(1-64 of A-Z a-z 0-9 _ . : -)", f->what, buf);
	free(f->r->name);
	if ((f->r->name = strdup(s)) == NULL)
		return oom(f->ld);
	if ((other = name_claim(f->ld, f->r)) != NULL) {
		rule_ref(f->ld->p, other, who, sizeof(who));
		return lerr(f->ld, f->a.line, "%s: %s is already the name "
		    "of %s", f->what, buf, who);
	}
	return 0;
}

static int
f_proto(struct field *f)
{
	const char *s;
	char buf[96];
	size_t len;
	int k;

	if ((s = want_string(f->ld, f->v, f->a, f->what, "a string",
	    &len)) == NULL)
		return -1;
	if ((k = str_in(s, proto_names)) < 0)
		return lerr(f->ld, f->a.line, "%s: %s is not one of tcp, udp, "
		    "icmp, icmpv6, any", f->what,
		    show(f->ld->L, f->v, buf, sizeof(buf)));
	f->r->proto = proto_nums[k];
	return 0;
}

static int
f_port(struct field *f)
{
	if (f->r->proto == IPPROTO_ICMP || f->r->proto == IPPROTO_ICMPV6)
		return lerr(f->ld, f->a.line, "%s: not allowed with proto "
		    "\"%s\" (ICMP has no ports)", f->what,
		    f->r->proto == IPPROTO_ICMP ? "icmp" : "icmpv6");
	return compile_ports(f->ld, f->v, f->a, f->what, f->r);
}

static int
f_to(struct field *f)
{
	return compile_cidrs(f->ld, f->v, f->a, f->what, &f->r->to,
	    &f->r->nto);
}

/* `src` on egress rules, `from` on inbound rules: the initiator. */
static int
f_src(struct field *f)
{
	if (f->inbound)
		return lerr(f->ld, f->a.line, "%s: not allowed on inbound "
		    "rules (the sender is \"from\")", f->what);
	return compile_cidrs(f->ld, f->v, f->a, f->what, &f->r->from,
	    &f->r->nfrom);
}

static int
f_from(struct field *f)
{
	if (!f->inbound)
		return lerr(f->ld, f->a.line, "%s: not allowed on egress rules "
		    "(the sender is \"src\")", f->what);
	return compile_cidrs(f->ld, f->v, f->a, f->what, &f->r->from,
	    &f->r->nfrom);
}

static int
f_host(struct field *f)
{
	if (f->inbound)
		return lerr(f->ld, f->a.line, "%s: not allowed on inbound "
		    "rules (the responder is this side)", f->what);
	return compile_strs(f->ld, f->v, f->a, f->what, host_item,
	    &f->r->hosts, &f->r->nhosts);
}

static int
f_mode(struct field *f)
{
	static const char *const modes[] = { "enforce", "monitor", NULL };
	const char *s;
	char buf[96];
	size_t len;
	int i;

	if ((s = want_string(f->ld, f->v, f->a, f->what, "\"enforce\" or "
	    "\"monitor\"", &len)) == NULL)
		return -1;
	if ((i = str_in(s, modes)) < 0)
		return lerr(f->ld, f->a.line, "%s: %s is not enforce or monitor",
		    f->what, show(f->ld->L, f->v, buf, sizeof(buf)));
	f->r->mode = (int8_t)(i == 1 ? POLICY_MONITOR : POLICY_ENFORCE);
	return 0;
}

static int
f_private(struct field *f)
{
	lua_State *L = f->ld->L;

	if (lua_type(L, f->v) != LUA_TBOOLEAN)
		return lerr(f->ld, f->a.line, "%s: expected true or false, got %s",
		    f->what, luaL_typename(L, f->v));
	f->r->private_ok = lua_toboolean(L, f->v);
	return 0;
}

static int
f_exe(struct field *f)
{
	return compile_strs(f->ld, f->v, f->a, f->what, exe_item, &f->r->exe,
	    &f->r->nexe);
}

static int
f_uid(struct field *f)
{
	return compile_ids(f->ld, f->v, f->a, f->what, "uid", &f->r->uid,
	    &f->r->nuid);
}

static int
f_gid(struct field *f)
{
	return compile_ids(f->ld, f->v, f->a, f->what, "gid", &f->r->gid,
	    &f->r->ngid);
}

static int
f_cgroup(struct field *f)
{
	return compile_strs(f->ld, f->v, f->a, f->what, cgroup_item,
	    &f->r->cgroup, &f->r->ncgroup);
}

static int
f_check(struct field *f)
{
	return compile_check(f->ld, f->v, f->a, f->what, f->inbound, f->i,
	    f->r);
}

/* The keys of a rule, in the order they are compiled: proto before port. */
static const struct {
	const char	*key;
	int		(*fn)(struct field *);
} rule_fields[] = {
	{ "name", f_name }, { "proto", f_proto }, { "port", f_port },
	{ "to", f_to }, { "src", f_src }, { "from", f_from },
	{ "host", f_host }, { "exe", f_exe }, { "uid", f_uid },
	{ "gid", f_gid }, { "cgroup", f_cgroup }, { "check", f_check },
	{ "private", f_private }, { "mode", f_mode },
};

static const char *const rule_keys[] = { "name", "proto", "port", "to",
	"src", "from", "host", "exe", "uid", "gid", "cgroup", "check", "private",
	"mode", NULL };

static int
compile_rule(struct ld *ld, int t, struct at a, bool inbound, size_t i,
    struct policy_rule *r)
{
	lua_State *L = ld->L;
	struct field f;
	char what[32], kw[64];
	size_t k;
	int top = lua_gettop(L), rc;

	snprintf(what, sizeof(what), "%s[%zu]", inbound ? "inbound" : "egress",
	    i + 1);
	r->line = a.line;
	r->proto = POLICY_PROTO_ANY;
	r->mode = -1;
	if ((r->name = strdup(what)) == NULL)
		return oom(ld);
	if (lua_type(L, t) != LUA_TTABLE)
		return lerr(ld, a.line, "%s: expected a table (a rule), got %s",
		    what, luaL_typename(L, t));
	if (check_keys(ld, t, a, rule_keys, what) == -1)
		return -1;
	for (k = 0; k < sizeof(rule_fields) / sizeof(rule_fields[0]); k++) {
		if (rawfield(L, t, rule_fields[k].key) == LUA_TNIL) {
			lua_settop(L, top);
			continue;
		}
		snprintf(kw, sizeof(kw), "%s.%s", what, rule_fields[k].key);
		f.ld = ld;
		f.r = r;
		f.inbound = inbound;
		f.i = i;
		f.v = top + 1;
		f.a = at_key(ld, a, rule_fields[k].key);
		f.what = kw;
		rc = rule_fields[k].fn(&f);
		lua_settop(L, top);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
compile_rules(struct ld *ld, int t, struct at top, bool inbound)
{
	lua_State *L = ld->L;
	const char *key = inbound ? "inbound" : "egress";
	struct policy_rule *rules;
	struct at a;
	size_t n, i;
	int v;

	if (rawfield(L, t, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	v = lua_gettop(L);
	a = at_key(ld, top, key);
	if (lua_type(L, v) != LUA_TTABLE)
		return lerr(ld, a.line, "%s: expected a list of rules, got %s",
		    key, luaL_typename(L, v));
	if (seq_len(ld, v, a, key, 1, &n) == -1)
		return -1;
	if (n == 0) {
		lua_pop(L, 1);
		return 0;
	}
	if ((rules = calloc(n, sizeof(*rules))) == NULL)
		return oom(ld);
	if (inbound) {
		ld->p->inbound = rules;
		ld->p->ninbound = n;
	} else {
		ld->p->egress = rules;
		ld->p->negress = n;
	}
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, v, (lua_Integer)i + 1);
		if (compile_rule(ld, lua_gettop(L),
		    at_idx(ld, a, (lua_Integer)i + 1), inbound, i,
		    &rules[i]) == -1)
			return -1;
		lua_settop(L, v);
	}
	lua_pop(L, 1);
	return 0;
}

/* `checks`: names to functions; the table stays on the stack at ld->checks. */
static int
compile_checks(struct ld *ld, int t, struct at top)
{
	lua_State *L = ld->L;
	struct first f;
	struct at a;
	const char *s = NULL;
	char k[96], buf[96];
	size_t len;
	int v;

	if (rawfield(L, t, "checks") == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	v = lua_gettop(L);
	a = at_key(ld, top, "checks");
	if (lua_type(L, v) != LUA_TTABLE)
		return lerr(ld, a.line, "checks: expected a table of "
		    "functions, got %s", luaL_typename(L, v));
	memset(&f, 0, sizeof(f));
	lua_pushnil(L);
	while (lua_next(L, v) != 0) {
		show_key(L, -2, k, sizeof(k));
		if (lua_type(L, -2) != LUA_TSTRING ||
		    (s = lua_tolstring(L, -2, &len), !is_ident(s, len)))
			first_offer(&f, key_line(ld, a, lua_gettop(L) - 1), k,
			    "checks: %s is not a check name (letters, digits, "
			    "_)", k);
		else if (lua_type(L, -1) != LUA_TFUNCTION)
			first_offer(&f, key_line(ld, a, lua_gettop(L) - 1), k,
			    "checks.%s: expected a function, got %s", s,
			    show(L, -1, buf, sizeof(buf)));
		lua_pop(L, 1);
	}
	if (first_report(ld, &f) == -1)
		return -1;
	ld->checks = v;
	return 0;
}

static const struct {
	const char	*name;
	uint16_t	type;
} qtype_names[] = {
	{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
	{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 },
	{ "NAPTR", 35 }, { "DS", 43 }, { "DNSKEY", 48 }, { "SVCB", 64 },
	{ "HTTPS", 65 }, { "CAA", 257 }, { "ANY", 255 },
};

/* A query type: a name of qtype_names or a number. */
static int
qtype_item(struct ld *ld, int v, struct at a, const char *what, uint16_t *out)
{
	lua_State *L = ld->L;
	lua_Integer x;
	const char *s;
	char buf[96];
	size_t i, len;

	if (want_int(L, v, 1, 65535, &x) == 0) {
		*out = (uint16_t)x;
		return 0;
	}
	if (lua_type(L, v) == LUA_TSTRING) {
		s = lua_tolstring(L, v, &len);
		for (i = 0; i < sizeof(qtype_names) / sizeof(qtype_names[0]); i++)
			if (strcasecmp(s, qtype_names[i].name) == 0) {
				*out = qtype_names[i].type;
				return 0;
			}
	}
	return lerr(ld, a.line, "%s: %s is not a DNS query type (a name such as "
	    "\"TXT\" or \"HTTPS\", or a number 1-65535)", what,
	    show(L, v, buf, sizeof(buf)));
}

/* A whole number of seconds in [0, 86400]. */
static int
get_seconds(struct ld *ld, int t, struct at a, const char *key, uint32_t *out)
{
	lua_State *L = ld->L;
	struct at ka = at_key(ld, a, key);
	lua_Integer x;
	char buf[96];

	if (rawfield(L, t, key) == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (want_int(L, -1, 0, 86400, &x) == -1)
		return lerr(ld, ka.line, "dns.%s: %s is not a number of seconds "
		    "(0-86400)", key, show(L, -1, buf, sizeof(buf)));
	*out = (uint32_t)x;
	lua_pop(L, 1);
	return 0;
}

static const char *const dns_keys[] = { "resolvers", "min_ttl", "max_ttl",
	"grace", "any_name", "qtypes", NULL };

/* `dns = { resolvers, min_ttl, max_ttl, grace, any_name, qtypes }`. */
static int
compile_dns(struct ld *ld, int t, struct at top)
{
	lua_State *L = ld->L;
	struct policy_dns *d = &ld->p->dns;
	char iwhat[96];
	struct at a, ia;
	size_t n, i;
	int v, top_i = lua_gettop(L);

	d->min_ttl = 5;
	d->max_ttl = 300;
	d->grace = 30;
	if (rawfield(L, t, "dns") == LUA_TNIL) {
		lua_settop(L, top_i);
		return 0;
	}
	v = lua_gettop(L);
	a = at_key(ld, top, "dns");
	if (lua_type(L, v) != LUA_TTABLE)
		return lerr(ld, a.line, "dns: expected a table, got %s",
		    luaL_typename(L, v));
	d->given = true;
	if (check_keys(ld, v, a, dns_keys, "dns") == -1)
		return -1;
	if (get_seconds(ld, v, a, "min_ttl", &d->min_ttl) == -1 ||
	    get_seconds(ld, v, a, "max_ttl", &d->max_ttl) == -1 ||
	    get_seconds(ld, v, a, "grace", &d->grace) == -1)
		return -1;
	if (d->max_ttl == 0)
		return lerr(ld, at_key(ld, a, "max_ttl").line, "dns.max_ttl: 0 would "
		    "keep no answer; at least 1");
	if (d->min_ttl > d->max_ttl)
		return lerr(ld, at_key(ld, a, "min_ttl").line, "dns.min_ttl: %u is "
		    "more than dns.max_ttl (%u)", d->min_ttl, d->max_ttl);
	if (rawfield(L, v, "any_name") != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TBOOLEAN)
			return lerr(ld, at_key(ld, a, "any_name").line, "dns.any_name: "
			    "expected true or false, got %s", luaL_typename(L, -1));
		d->any_name = lua_toboolean(L, -1);
	}
	lua_pop(L, 1);
	if (rawfield(L, v, "resolvers") != LUA_TNIL &&
	    compile_cidrs(ld, lua_gettop(L), at_key(ld, a, "resolvers"),
	    "dns.resolvers", &d->resolvers, &d->nresolvers) == -1)
		return -1;
	lua_pop(L, 1);
	if (rawfield(L, v, "qtypes") != LUA_TNIL) {
		int q = lua_gettop(L);
		struct at qa = at_key(ld, a, "qtypes");

		if (count_items(ld, q, qa, "dns.qtypes", &n) == -1)
			return -1;
		if ((d->qtypes = calloc(n + 1, sizeof(*d->qtypes))) == NULL)
			return oom(ld);
		d->nqtypes = n;
		for (i = 0; i < n; i++) {
			push_item(ld, q, i, qa, "dns.qtypes", &ia, iwhat, sizeof(iwhat));
			if (qtype_item(ld, lua_gettop(L), ia, iwhat, &d->qtypes[i]) == -1)
				return -1;
			lua_pop(L, 1);
		}
	}
	lua_settop(L, top_i);
	return 0;
}

_Static_assert(REASON_COUNT <= 64, "enforce_always is a 64-bit mask");

/*
 * `enforce_always = { "tcp_overlap", ... }`: reasons that drop even in
 * monitor mode.  Default: tcp_overlap and private_address.
 */
static int
compile_enforce_always(struct ld *ld, int t, struct at top)
{
	lua_State *L = ld->L;
	char iwhat[96], buf[96];
	struct at a, ia;
	const char *s;
	size_t n, i, len;
	int v, r, top_i = lua_gettop(L);

	ld->p->enforce_always = 1ull << REASON_TCP_OVERLAP |
	    1ull << REASON_PRIVATE_ADDRESS;
	if (rawfield(L, t, "enforce_always") == LUA_TNIL) {
		lua_settop(L, top_i);
		return 0;
	}
	v = lua_gettop(L);
	a = at_key(ld, top, "enforce_always");
	ld->p->enforce_always = 0;
	if (lua_type(L, v) == LUA_TTABLE) {	/* {}: nothing enforced in monitor mode */
		lua_pushnil(L);
		if (lua_next(L, v) == 0) {
			lua_settop(L, top_i);
			return 0;
		}
		lua_settop(L, v);
	}
	if (count_items(ld, v, a, "enforce_always", &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		push_item(ld, v, i, a, "enforce_always", &ia, iwhat, sizeof(iwhat));
		if ((s = want_string(ld, -1, ia, iwhat, "a reason code", &len)) == NULL)
			return -1;
		if ((r = reason_parse(s)) < 0)
			return lerr(ld, ia.line, "%s: %s is not a reason code", iwhat,
			    show(L, -1, buf, sizeof(buf)));
		ld->p->enforce_always |= 1ull << r;
		lua_pop(L, 1);
	}
	lua_settop(L, top_i);
	return 0;
}

/* Room in the name table for the rules of both lists, half of it free. */
static int
names_init(struct ld *ld, int t)
{
	lua_State *L = ld->L;
	size_t n = 1;

	if (rawfield(L, t, "inbound") == LUA_TTABLE)
		n += lua_rawlen(L, -1);
	if (rawfield(L, t, "egress") == LUA_TTABLE)
		n += lua_rawlen(L, -1);
	lua_pop(L, 2);
	for (ld->nnames = 16; ld->nnames < 2 * n; ld->nnames *= 2)
		;
	ld->names = calloc(ld->nnames, sizeof(*ld->names));
	return ld->names != NULL ? 0 : -1;
}

static const char *const top_keys[] = { "mode", "unknown_egress",
	"on_check_error", "tcp_midstream", "local_nets", "inbound", "egress",
	"checks", "dns", "enforce_always", NULL };

static int
compile_policy(struct ld *ld, int t)
{
	static const char *const modes[] = { "enforce", "monitor", NULL };
	static const char *const unknown[] = { "drop", "reject", NULL };
	static const char *const midstream[] = { "drop", "allow", NULL };
	static const char *const onerr[] = { "drop", "reject", "accept", NULL };
	lua_State *L = ld->L;
	struct policy *p = ld->p;
	struct at top, in, eg;
	int x;

	if (!lua_checkstack(L, 40))
		return oom(ld);
	top.node = luasrc_root(ld->src);
	top.line = top.node >= 0 ? luasrc_node_line(ld->src, top.node) :
	    luasrc_return_line(ld->src);
	if (check_keys(ld, t, top, top_keys, NULL) == -1)
		return -1;

	x = 0;
	if (get_choice(ld, t, top, "mode", modes, "enforce, monitor", &x) == -1)
		return -1;
	p->mode = x == 1 ? POLICY_MONITOR : POLICY_ENFORCE;
	x = 0;
	if (get_choice(ld, t, top, "unknown_egress", unknown, "drop, reject",
	    &x) == -1)
		return -1;
	p->unknown_egress = x == 1 ? 2 : 1;
	x = 0;
	if (get_choice(ld, t, top, "on_check_error", onerr, "drop, reject, accept",
	    &x) == -1)
		return -1;
	p->on_check_error = x == 0 ? 1 : x == 1 ? 2 : 0;
	x = 0;
	if (get_choice(ld, t, top, "tcp_midstream", midstream, "drop, allow",
	    &x) == -1)
		return -1;
	p->tcp_midstream = x == 1;

	if (rawfield(L, t, "local_nets") != LUA_TNIL) {
		if (compile_cidrs(ld, lua_gettop(L),
		    at_key(ld, top, "local_nets"), "local_nets",
		    &p->local_nets, &p->nlocal) == -1)
			return -1;
	}
	lua_pop(L, 1);

	if (compile_dns(ld, t, top) == -1)
		return -1;
	if (compile_enforce_always(ld, t, top) == -1)
		return -1;
	if (compile_checks(ld, t, top) == -1)
		return -1;
	lua_newtable(L);
	ld->cktab = lua_gettop(L);
	if (names_init(ld, t) == -1)
		return oom(ld);

	/* in file order, so a duplicate name is reported where it repeats */
	in = at_key(ld, top, "inbound");
	eg = at_key(ld, top, "egress");
	if (eg.line < in.line) {
		if (compile_rules(ld, t, top, false) == -1 ||
		    compile_rules(ld, t, top, true) == -1)
			return -1;
	} else {
		if (compile_rules(ld, t, top, true) == -1 ||
		    compile_rules(ld, t, top, false) == -1)
			return -1;
	}
	lua_pushvalue(L, ld->cktab);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &checks_key);
	for (size_t i = 0; i < p->negress; i++)
		if (p->egress[i].nhosts > 0)
			p->nhostrules++;
	return 0;
}

/* Runs protected: (policy table, struct ld *). */
static int
compile_cf(lua_State *L)
{
	struct ld *ld = lua_touserdata(L, 2);

	compile_policy(ld, 1);
	return 0;
}

static int
read_file(const char *path, char **bufp, size_t *lenp, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap != 0 ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				errno = ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (len > POLICY_MAX_FILE) {
			errno = EFBIG;
			goto fail;
		}
		if (n == 0)
			break;
	}
	if (ferror(fp))
		goto fail;
	fclose(fp);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
fail:
	snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
	fclose(fp);
	free(buf);
	return -1;
}

int
policy_load(struct policy **out, const char *path, const char *lua_dir,
    char *err, size_t errlen)
{
	struct policy *p = NULL;
	struct ld ld;
	lua_State *L;
	static const char *const no_globals[] = { "os", "io", "debug", "package",
	    "dofile", "loadfile", "load", "loadstring", "collectgarbage", NULL };
	char *buf = NULL, msg[512], tname[32];
	const char *src, *which = NULL;
	size_t len, srclen;
	int line;

	memset(&ld, 0, sizeof(ld));
	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	if (read_file(path, &buf, &len, err, errlen) == -1)
		return -1;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->path = strdup(path)) == NULL)
		goto oom;
	snprintf(p->hash, sizeof(p->hash), "%016llx",
	    (unsigned long long)fnv1a(buf, len));
	p->mode = POLICY_ENFORCE;
	p->unknown_egress = 1;
	p->on_check_error = 1;

	if ((p->lua = luart_new(lua_dir, 0, 0, msg, sizeof(msg))) == NULL) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	L = luart_state(p->lua);
	/* a UTF-8 byte order mark is no part of the source */
	src = buf;
	srclen = len;
	if (srclen >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0) {
		src += 3;
		srclen -= 3;
	}
	if (luart_dobuffer(p->lua, src, srclen, path, err, errlen) == -1)
		goto fail;

	ld.path = path;
	ld.L = L;
	ld.p = p;
	ld.err = err;
	ld.errlen = errlen;
	if (luasrc_new(src, srclen, &ld.src) == LUASRC_NOMEM) {
		lua_pop(L, 1);
		goto oom;
	}
	/* what a check would only meet at run time, told at load */
	if ((line = luasrc_global_line(ld.src, no_globals, &which)) != 0) {
		lua_pop(L, 1);
		lerr(&ld, line, "%s is not available to policies (the sandbox has "
		    "base, string, table, math and utf8; require serves lua/)", which);
		goto fail;
	}
	if (lua_type(L, -1) != LUA_TTABLE) {
		snprintf(tname, sizeof(tname), "%s", luaL_typename(L, -1));
		lua_pop(L, 1);
		lerr(&ld, luasrc_return_line(ld.src), "the policy must "
		    "return a table, got %s", tname);
		goto fail;
	}
	if (!lua_checkstack(L, 3)) {
		lua_pop(L, 1);
		goto oom;
	}
	lua_pushcfunction(L, compile_cf);
	lua_insert(L, -2);
	lua_pushlightuserdata(L, &ld);
	if (luart_pcall(p->lua, 2, 0, msg, sizeof(msg)) == -1) {
		/* the sandbox's own failure (memory, a module's error) */
		if (ld.failed)
			goto fail;
		snprintf(err, errlen, "%s: %s", path, msg);
		goto fail;
	}
	if (ld.failed)
		goto fail;
	if ((p->index = policy_index_new(p->inbound, p->ninbound, p->egress,
	    p->negress)) == NULL)
		goto oom;
	luasrc_free(ld.src);
	free(ld.names);
	free(buf);
	*out = p;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
fail:
	luasrc_free(ld.src);
	free(ld.names);
	free(buf);
	policy_free(p);
	return -1;
}

static void
free_strs(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
free_rules(struct policy_rule *rules, size_t n)
{
	size_t i;

	if (rules == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct policy_rule *r = &rules[i];

		free(r->name);
		free(r->ports);
		free(r->to);
		free_strs(r->hosts, r->nhosts);
		free(r->from);
		free_strs(r->exe, r->nexe);
		free(r->uid);
		free(r->gid);
		free_strs(r->cgroup, r->ncgroup);
		free(r->check);
	}
	free(rules);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	policy_index_free(p->index);
	free_rules(p->inbound, p->ninbound);
	free_rules(p->egress, p->negress);
	free(p->local_nets);
	free(p->dns.resolvers);
	free(p->dns.qtypes);
	luart_free(p->lua);
	free(p->path);
	free(p);
}

int
policy_add_local(struct policy *p, const struct cidr *c)
{
	struct cidr *n;

	if ((n = realloc(p->local_nets, (p->nlocal + 1) * sizeof(*n))) == NULL)
		return -1;
	n[p->nlocal++] = *c;
	p->local_nets = n;
	return 0;
}

static bool
in_cidrs(const struct cidr *c, size_t n, const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_contains(&c[i], a))
			return true;
	return false;
}

bool
policy_is_local(const struct policy *p, const struct addr *a)
{
	return in_cidrs(p->local_nets, p->nlocal, a);
}

/* Ranges are sorted and disjoint: binary search. */
static bool
in_ports(const struct policy_port_range *r, size_t n, uint16_t port)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (port < r[mid].lo)
			hi = mid;
		else if (port > r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool
has_str(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool
has_id(const uint32_t *v, size_t n, uint32_t id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == id)
			return true;
	return false;
}

/* path is prefix itself or below it: "/a/b" is under "/a", "/ab" is not. */
static bool
cgroup_under(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	if (strncmp(prefix, path, n) != 0)
		return false;
	return path[n] == '\0' || path[n] == '/' ||
	    (n > 0 && prefix[n - 1] == '/');
}

static bool
subject_holds(const struct policy_rule *r, const struct policy_subject *s)
{
	size_t i;

	if (r->nexe == 0 && r->nuid == 0 && r->ngid == 0 && r->ncgroup == 0)
		return true;
	if (s == NULL || !s->known)
		return false;
	if (r->nexe > 0 &&
	    (s->exe == NULL || !has_str(r->exe, r->nexe, s->exe)))
		return false;
	if (r->nuid > 0 && !has_id(r->uid, r->nuid, s->uid))
		return false;
	if (r->ngid > 0 && !has_id(r->gid, r->ngid, s->gid))
		return false;
	if (r->ncgroup > 0) {
		if (s->cgroup == NULL)
			return false;
		for (i = 0; i < r->ncgroup; i++)
			if (cgroup_under(r->cgroup[i], s->cgroup))
				break;
		if (i == r->ncgroup)
			return false;
	}
	return true;
}

/*
 * "*.x" matches one label in front of x, "**.x" one or more; the apex is
 * never implied.  name and patterns are lower-case, without a trailing dot.
 */
static bool
host_pattern(const char *pat, const char *name)
{
	size_t pl, nl = strlen(name);
	const char *dot;

	if (strncmp(pat, "**.", 3) == 0) {
		pl = strlen(pat + 2);	/* ".x" */
		return nl > pl && strcmp(name + nl - pl, pat + 2) == 0 &&
		    name[0] != '.';
	}
	if (strncmp(pat, "*.", 2) == 0) {
		dot = strchr(name, '.');
		return dot != NULL && dot != name && strcmp(dot, pat + 1) == 0;
	}
	return strcmp(pat, name) == 0;
}

bool
policy_host_match(const struct policy_rule *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nhosts; i++)
		if (host_pattern(r->hosts[i], name))
			return true;
	return false;
}

bool
policy_names_host(const struct policy *p, const char *name)
{
	return policy_index_named(p->index, name);
}

bool
policy_qtype_ok(const struct policy *p, uint16_t t)
{
	size_t i;

	if (t == 1 || t == 28)
		return true;
	for (i = 0; i < p->dns.nqtypes; i++)
		if (p->dns.qtypes[i] == t)
			return true;
	return false;
}

static int
match(const struct policy *p, bool inbound, const struct flow_key *k,
    const struct policy_subject *s, policy_names_fn *names, void *arg,
    int *host_state)
{
	const struct policy_rule *rules = inbound ? p->inbound : p->egress;
	struct policy_index_iter it;
	long i;
	int st;

	if (host_state != NULL)
		*host_state = -1;
	/*
	 * Only the rules whose proto, ports and `to` may hold, in rule order:
	 * the rest would fail below, and give no host_state either.
	 */
	policy_index_find(p->index, inbound, k, &it);
	while ((i = policy_index_next(&it)) >= 0) {
		const struct policy_rule *r = &rules[i];

		if (r->proto != POLICY_PROTO_ANY && r->proto != k->proto)
			continue;
		/* ports are TCP and UDP ports; ICMP keys hold an echo id */
		if (r->nports > 0 && k->proto != IPPROTO_TCP &&
		    k->proto != IPPROTO_UDP)
			continue;
		if (r->nports > 0 && !in_ports(r->ports, r->nports, k->dport))
			continue;
		if (r->nto > 0 && !in_cidrs(r->to, r->nto, &k->dst))
			continue;
		if (r->nfrom > 0 && !in_cidrs(r->from, r->nfrom, &k->src))
			continue;
		if (!subject_holds(r, s))
			continue;
		/*
		 * Names alone need DNS provenance: the subject resolved one of
		 * them to this responder.  With `to` the addresses decide and
		 * the names are for the rule's check (sni_matches_host).
		 */
		if (r->nhosts > 0 && r->nto == 0) {
			if (names == NULL)
				continue;
			st = names(arg, r, k);
			if (st < 2) {
				if (host_state != NULL && st > *host_state)
					*host_state = st;
				continue;
			}
		}
		return (int)i;
	}
	return -1;
}

int
policy_match(const struct policy *p, bool inbound, const struct flow_key *k,
    const struct policy_subject *s)
{
	return match(p, inbound, k, s, NULL, NULL, NULL);
}

int
policy_match_names(const struct policy *p, const struct flow_key *k,
    const struct policy_subject *s, policy_names_fn *names, void *arg,
    int *host_state)
{
	return match(p, false, k, s, names, arg, host_state);
}

int
policy_push_check(const struct policy *p, bool inbound, size_t i)
{
	const struct policy_rule *r;
	lua_State *L;

	if (i >= (inbound ? p->ninbound : p->negress) || p->lua == NULL)
		return -1;
	r = inbound ? &p->inbound[i] : &p->egress[i];
	if (r->check == NULL)
		return -1;
	L = luart_state(p->lua);
	if (!lua_checkstack(L, 2))
		return -1;
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &checks_key) != LUA_TTABLE) {
		lua_pop(L, 1);
		return -1;
	}
	if (lua_rawgeti(L, -1, inbound ? -(lua_Integer)i - 1 :
	    (lua_Integer)i + 1) != LUA_TFUNCTION) {
		lua_pop(L, 2);
		return -1;
	}
	lua_remove(L, -2);
	return 0;
}

void
policy_subject_copy(struct policy_subject *dst, const struct policy_subject *src,
    struct policy_subject_store *st)
{
	memset(dst, 0, sizeof(*dst));
	dst->uid = dst->gid = POLICY_ID_NONE;
	if (src == NULL)
		return;
	*dst = *src;
#define COPY(field) \
	if (src->field != NULL) { \
		snprintf(st->field, sizeof(st->field), "%s", src->field); \
		dst->field = st->field; \
	}
	COPY(exe)
	COPY(cgroup)
	COPY(container)
	COPY(mac)
	COPY(how)
#undef COPY
}
