/*
 * lua_match.c - Lua 5.4's pattern matching (manual section 6.4.1), written
 * again so that each step is charged to the sandbox's budget.  It must never
 * differ from stock Lua in what a pattern means, nor loop or recurse uncounted.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "lua_match.h"

#define MATCH_MAXDEPTH	200	/* calls of match() deep, as Lua's MAXCCALLS */
#define MATCH_MAXCAPS	32	/* as LUA_MAXCAPTURES */
#define CAP_UNFINISHED	(-1)
#define CAP_POSITION	(-2)
#define ESC		'%'
#define SPECIALS	"^$*+?.([%-"

/*
 * Subjects and patterns are Lua strings, so a NUL follows each: reading the
 * byte at src_end or p_end is safe, as stock Lua relies on too.
 */
struct mstate {
	const char	*src, *src_end;
	const char	*p_end;
	lua_State	*L;
	struct luamatch_meter *meter;
	int		depth;		/* calls of match() left */
	int		level;		/* captures open or closed */
	struct {
		const char	*init;
		ptrdiff_t	len;	/* or CAP_UNFINISHED, CAP_POSITION */
	} cap[MATCH_MAXCAPS];
};

struct gmstate {
	const char	*src;		/* where the next search starts */
	const char	*p;
	const char	*last;		/* end of the last match */
	struct mstate	ms;
};

static const char *match(struct mstate *, const char *, const char *);

static void
pay(struct mstate *ms)
{
	struct luamatch_meter *m = ms->meter;
	unsigned long n = m->pending;

	m->pending = 0;
	if (m->charge != NULL)
		m->charge(ms->L, m->ud, n);
}

static inline void
spend(struct mstate *ms, unsigned long n)
{
	ms->meter->pending += n;
	if (ms->meter->pending >= LUAMATCH_TICK)
		pay(ms);
}

static void
ms_init(struct mstate *ms, lua_State *L, struct luamatch_meter *m,
    const char *s, size_t ls, const char *p, size_t lp)
{
	ms->L = L;
	ms->meter = m;
	ms->src = s;
	ms->src_end = s + ls;
	ms->p_end = p + lp;
	ms->depth = MATCH_MAXDEPTH;
	ms->level = 0;
}

static void
ms_reset(struct mstate *ms)
{
	ms->level = 0;
	ms->depth = MATCH_MAXDEPTH;
}

static int
check_capture(struct mstate *ms, int l)
{
	l -= '1';
	if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
		return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
	return l;
}

static int
capture_to_close(struct mstate *ms)
{
	int level;

	for (level = ms->level - 1; level >= 0; level--)
		if (ms->cap[level].len == CAP_UNFINISHED)
			return level;
	return luaL_error(ms->L, "invalid pattern capture");
}

/* Past the single-character class at p: a byte, %x or [set]. */
static const char *
class_end(struct mstate *ms, const char *p)
{
	switch (*p++) {
	case ESC:
		if (p == ms->p_end)
			luaL_error(ms->L, "malformed pattern (ends with '%%')");
		return p + 1;
	case '[':
		if (*p == '^')
			p++;
		do {	/* to the ']', %] skipped */
			if (p == ms->p_end)
				luaL_error(ms->L, "malformed pattern (missing "
				    "']')");
			if (*(p++) == ESC && p < ms->p_end)
				p++;
		} while (*p != ']');
		return p + 1;
	default:
		return p;
	}
}

/* c against %cl, in the C locale's ctype as stock Lua. */
static int
class_match(int c, int cl)
{
	int r;

	switch (tolower(cl)) {
	case 'a': r = isalpha(c); break;
	case 'c': r = iscntrl(c); break;
	case 'd': r = isdigit(c); break;
	case 'g': r = isgraph(c); break;
	case 'l': r = islower(c); break;
	case 'p': r = ispunct(c); break;
	case 's': r = isspace(c); break;
	case 'u': r = isupper(c); break;
	case 'w': r = isalnum(c); break;
	case 'x': r = isxdigit(c); break;
	case 'z': r = c == 0; break;	/* undocumented since 5.2, still in 5.4 */
	default:
		return cl == c;
	}
	if (isupper(cl))
		r = !r;
	return r;
}

/* c against the set from p ('[') to ec (its ']'). */
static int
set_match(int c, const char *p, const char *ec)
{
	int sig = 1;

	if (*(p + 1) == '^') {
		sig = 0;
		p++;
	}
	while (++p < ec) {
		if (*p == ESC) {
			p++;
			if (class_match(c, (unsigned char)*p))
				return sig;
		} else if (*(p + 1) == '-' && p + 2 < ec) {
			p += 2;
			if ((unsigned char)*(p - 2) <= c &&
			    c <= (unsigned char)*p)
				return sig;
		} else if ((unsigned char)*p == c)
			return sig;
	}
	return !sig;
}

static int
single_match(struct mstate *ms, const char *s, const char *p, const char *ep)
{
	int c;

	if (s >= ms->src_end)
		return 0;
	c = (unsigned char)*s;
	switch (*p) {
	case '.':
		return 1;
	case ESC:
		return class_match(c, (unsigned char)*(p + 1));
	case '[':
		return set_match(c, p, ep - 1);
	default:
		return (unsigned char)*p == c;
	}
}

/* %bxy at p (past the "%b"). */
static const char *
match_balance(struct mstate *ms, const char *s, const char *p)
{
	int open, close, n = 1;

	if (p >= ms->p_end - 1)
		luaL_error(ms->L, "malformed pattern (missing arguments to "
		    "'%%b')");
	if (s >= ms->src_end || *s != *p)
		return NULL;
	open = *p;
	close = *(p + 1);
	while (++s < ms->src_end) {
		spend(ms, 1);
		if (*s == close) {
			if (--n == 0)
				return s + 1;
		} else if (*s == open)
			n++;
	}
	return NULL;
}

/* Greedy: as many as match, then give back one at a time. */
static const char *
max_expand(struct mstate *ms, const char *s, const char *p, const char *ep)
{
	ptrdiff_t i = 0;
	const char *r;

	while (single_match(ms, s + i, p, ep)) {
		i++;
		spend(ms, 1);
	}
	for (; i >= 0; i--)
		if ((r = match(ms, s + i, ep + 1)) != NULL)
			return r;
	return NULL;
}

/* Lazy: as few as let the rest match. */
static const char *
min_expand(struct mstate *ms, const char *s, const char *p, const char *ep)
{
	const char *r;

	for (;;) {
		if ((r = match(ms, s, ep + 1)) != NULL)
			return r;
		if (!single_match(ms, s, p, ep))
			return NULL;
		s++;
	}
}

static const char *
start_capture(struct mstate *ms, const char *s, const char *p, int what)
{
	const char *r;

	if (ms->level >= MATCH_MAXCAPS)
		luaL_error(ms->L, "too many captures");
	ms->cap[ms->level].init = s;
	ms->cap[ms->level].len = what;
	ms->level++;
	if ((r = match(ms, s, p)) == NULL)
		ms->level--;
	return r;
}

static const char *
end_capture(struct mstate *ms, const char *s, const char *p)
{
	int l = capture_to_close(ms);
	const char *r;

	ms->cap[l].len = s - ms->cap[l].init;
	if ((r = match(ms, s, p)) == NULL)
		ms->cap[l].len = CAP_UNFINISHED;
	return r;
}

/* %1-%9: the same bytes again (a position capture never matches). */
static const char *
match_backref(struct mstate *ms, const char *s, int l)
{
	size_t len;

	l = check_capture(ms, l);
	len = (size_t)ms->cap[l].len;
	if ((size_t)(ms->src_end - s) >= len) {
		spend(ms, len / 64);
		if (memcmp(ms->cap[l].init, s, len) == 0)
			return s + len;
	}
	return NULL;
}

/*
 * The end of the match of pattern p at s, or NULL.  Tail positions loop
 * instead of recursing, as in stock Lua; each pass is one step.
 */
static const char *
match(struct mstate *ms, const char *s, const char *p)
{
	const char *ep, *r;
	int prev;

	if (ms->depth-- == 0)
		luaL_error(ms->L, "pattern too complex");
again:
	spend(ms, 1);
	if (p == ms->p_end)
		goto out;
	switch (*p) {
	case '(':
		if (*(p + 1) == ')')
			s = start_capture(ms, s, p + 2, CAP_POSITION);
		else
			s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
		goto out;
	case ')':
		s = end_capture(ms, s, p + 1);
		goto out;
	case '$':
		if (p + 1 != ms->p_end)
			break;		/* a plain '$' */
		if (s != ms->src_end)
			s = NULL;
		goto out;
	case ESC:
		switch (*(p + 1)) {
		case 'b':
			if ((s = match_balance(ms, s, p + 2)) != NULL) {
				p += 4;
				goto again;
			}
			goto out;
		case 'f':
			p += 2;
			if (*p != '[')
				luaL_error(ms->L, "missing '[' after '%%f' in "
				    "pattern");
			ep = class_end(ms, p);
			prev = s == ms->src ? '\0' : (unsigned char)*(s - 1);
			if (!set_match(prev, p, ep - 1) &&
			    set_match((unsigned char)*s, p, ep - 1)) {
				p = ep;
				goto again;
			}
			s = NULL;
			goto out;
		case '0': case '1': case '2': case '3': case '4':
		case '5': case '6': case '7': case '8': case '9':
			if ((s = match_backref(ms, s,
			    (unsigned char)*(p + 1))) != NULL) {
				p += 2;
				goto again;
			}
			goto out;
		default:
			break;		/* a class such as %d */
		}
		break;
	default:
		break;
	}

	/* a single-character class, perhaps with a quantifier */
	ep = class_end(ms, p);
	if (!single_match(ms, s, p, ep)) {
		if (*ep == '*' || *ep == '?' || *ep == '-') {
			p = ep + 1;	/* none is fine */
			goto again;
		}
		s = NULL;
		goto out;
	}
	switch (*ep) {
	case '?':
		if ((r = match(ms, s + 1, ep + 1)) != NULL)
			s = r;
		else {
			p = ep + 1;
			goto again;
		}
		break;
	case '+':
		s = max_expand(ms, s + 1, p, ep);
		break;
	case '*':
		s = max_expand(ms, s, p, ep);
		break;
	case '-':
		s = min_expand(ms, s, p, ep);
		break;
	default:
		s++;
		p = ep;
		goto again;
	}
out:
	ms->depth++;
	return s;
}

/*
 * Capture i as a string (its length returned) or, for a position, pushed
 * (CAP_POSITION returned).  With no captures, capture 0 is the whole match.
 */
static ptrdiff_t
get_capture(struct mstate *ms, int i, const char *s, const char *e,
    const char **cap)
{
	ptrdiff_t l;

	if (i >= ms->level) {
		if (i != 0)
			luaL_error(ms->L, "invalid capture index %%%d", i + 1);
		*cap = s;
		return e - s;
	}
	l = ms->cap[i].len;
	*cap = ms->cap[i].init;
	if (l == CAP_UNFINISHED)
		luaL_error(ms->L, "unfinished capture");
	else if (l == CAP_POSITION)
		lua_pushinteger(ms->L, (ms->cap[i].init - ms->src) + 1);
	return l;
}

static void
push_capture(struct mstate *ms, int i, const char *s, const char *e)
{
	const char *cap;
	ptrdiff_t l = get_capture(ms, i, s, e, &cap);

	if (l != CAP_POSITION)
		lua_pushlstring(ms->L, cap, (size_t)l);
}

static int
push_captures(struct mstate *ms, const char *s, const char *e)
{
	int i, n = (ms->level == 0 && s != NULL) ? 1 : ms->level;

	luaL_checkstack(ms->L, n, "too many captures");
	for (i = 0; i < n; i++)
		push_capture(ms, i, s, e);
	return n;
}

/* Whether p (with its embedded NULs) has no special character. */
static int
no_specials(const char *p, size_t l)
{
	size_t upto = 0;

	do {
		if (strpbrk(p + upto, SPECIALS) != NULL)
			return 0;
		upto += strlen(p + upto) + 1;
	} while (upto <= l);
	return 1;
}

/*
 * The plain search.  memchr and memcmp are fast, so bytes are charged at a
 * discount, but a needle that almost matches everywhere still adds up.
 */
static const char *
mem_find(struct mstate *ms, const char *s1, size_t l1, const char *s2,
    size_t l2)
{
	const char *hit;

	if (l2 == 0)
		return s1;
	if (l2 > l1)
		return NULL;
	l2--;		/* memchr checks the first byte */
	l1 -= l2;
	while (l1 > 0 && (hit = memchr(s1, *s2, l1)) != NULL) {
		spend(ms, 1 + (size_t)(hit - s1) / 1024 + l2 / 256);
		hit++;
		if (memcmp(hit, s2 + 1, l2) == 0)
			return hit - 1;
		l1 -= (size_t)(hit - s1);
		s1 = hit;
	}
	return NULL;
}

/* string.find and string.match's init: from 1, negative from the end. */
static size_t
start_of(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos;
	if (pos == 0 || pos < -(lua_Integer)len)
		return 1;
	return len + (size_t)pos + 1;
}

static int
find_aux(lua_State *L, int find)
{
	struct luamatch_meter *m = lua_touserdata(L, lua_upvalueindex(1));
	struct mstate ms;
	size_t ls, lp, init;
	const char *s, *p, *s1, *r;
	int anchor;

	s = luaL_checklstring(L, 1, &ls);
	p = luaL_checklstring(L, 2, &lp);
	init = start_of(luaL_optinteger(L, 3, 1), ls) - 1;
	if (init > ls) {
		luaL_pushfail(L);
		return 1;
	}
	if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
		ms_init(&ms, L, m, s, ls, p, lp);
		if ((r = mem_find(&ms, s + init, ls - init, p, lp)) != NULL) {
			lua_pushinteger(L, (r - s) + 1);
			lua_pushinteger(L, (lua_Integer)((size_t)(r - s) + lp));
			return 2;
		}
		luaL_pushfail(L);
		return 1;
	}
	s1 = s + init;
	anchor = *p == '^';
	if (anchor) {
		p++;
		lp--;
	}
	ms_init(&ms, L, m, s, ls, p, lp);
	do {
		ms_reset(&ms);
		if ((r = match(&ms, s1, p)) != NULL) {
			if (!find)
				return push_captures(&ms, s1, r);
			lua_pushinteger(L, (s1 - s) + 1);
			lua_pushinteger(L, r - s);
			return push_captures(&ms, NULL, 0) + 2;
		}
	} while (s1++ < ms.src_end && !anchor);
	luaL_pushfail(L);
	return 1;
}

static int
str_find(lua_State *L)
{
	return find_aux(L, 1);
}

static int
str_match(lua_State *L)
{
	return find_aux(L, 0);
}

static int
gmatch_next(lua_State *L)
{
	struct gmstate *gm = lua_touserdata(L, lua_upvalueindex(3));
	const char *src, *e;

	gm->ms.L = L;
	for (src = gm->src; src <= gm->ms.src_end; src++) {
		ms_reset(&gm->ms);
		if ((e = match(&gm->ms, src, gm->p)) != NULL &&
		    e != gm->last) {
			gm->src = gm->last = e;
			return push_captures(&gm->ms, src, e);
		}
	}
	return 0;
}

/* The subject and the pattern stay upvalues, so the pointers hold. */
static int
str_gmatch(lua_State *L)
{
	struct luamatch_meter *m = lua_touserdata(L, lua_upvalueindex(1));
	struct gmstate *gm;
	size_t ls, lp, init;
	const char *s, *p;

	s = luaL_checklstring(L, 1, &ls);
	p = luaL_checklstring(L, 2, &lp);
	init = start_of(luaL_optinteger(L, 3, 1), ls) - 1;
	lua_settop(L, 2);
	gm = lua_newuserdatauv(L, sizeof(*gm), 0);
	if (init > ls)
		init = ls + 1;
	ms_init(&gm->ms, L, m, s, ls, p, lp);
	gm->src = s + init;
	gm->p = p;
	gm->last = NULL;
	lua_pushcclosure(L, gmatch_next, 3);
	return 1;
}

/* A replacement string: %0-%9 and %%. */
static void
add_string(struct mstate *ms, luaL_Buffer *b, const char *s, const char *e)
{
	lua_State *L = ms->L;
	const char *news, *p, *cap;
	ptrdiff_t cl;
	size_t l;

	news = lua_tolstring(L, 3, &l);
	while ((p = memchr(news, ESC, l)) != NULL) {
		luaL_addlstring(b, news, (size_t)(p - news));
		p++;
		if (*p == ESC)
			luaL_addchar(b, *p);
		else if (*p == '0')
			luaL_addlstring(b, s, (size_t)(e - s));
		else if (isdigit((unsigned char)*p)) {
			cl = get_capture(ms, *p - '1', s, e, &cap);
			if (cl == CAP_POSITION)
				luaL_addvalue(b);
			else
				luaL_addlstring(b, cap, (size_t)cl);
		} else
			luaL_error(L, "invalid use of '%c' in replacement "
			    "string", ESC);
		l -= (size_t)(p + 1 - news);
		news = p + 1;
	}
	luaL_addlstring(b, news, l);
}

/* Whether the match was replaced (false and nil keep it). */
static int
add_value(struct mstate *ms, luaL_Buffer *b, const char *s, const char *e,
    int tr)
{
	lua_State *L = ms->L;
	int n;

	switch (tr) {
	case LUA_TFUNCTION:
		lua_pushvalue(L, 3);
		n = push_captures(ms, s, e);
		lua_call(L, n, 1);
		break;
	case LUA_TTABLE:
		push_capture(ms, 0, s, e);
		lua_gettable(L, 3);
		break;
	default:	/* a string or a number */
		add_string(ms, b, s, e);
		return 1;
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
		return 0;
	}
	if (!lua_isstring(L, -1))
		return luaL_error(L, "invalid replacement value (a %s)",
		    luaL_typename(L, -1));
	luaL_addvalue(b);
	return 1;
}

static int
str_gsub(lua_State *L)
{
	struct luamatch_meter *m = lua_touserdata(L, lua_upvalueindex(1));
	struct mstate ms;
	luaL_Buffer b;
	size_t srcl, lp;
	const char *src, *p, *e, *last = NULL;
	lua_Integer max_n, n = 0;
	int tr, anchor, changed = 0;

	src = luaL_checklstring(L, 1, &srcl);
	p = luaL_checklstring(L, 2, &lp);
	tr = lua_type(L, 3);
	max_n = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
	luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING ||
	    tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
	    "string/function/table");
	luaL_buffinit(L, &b);
	anchor = *p == '^';
	if (anchor) {
		p++;
		lp--;
	}
	ms_init(&ms, L, m, src, srcl, p, lp);
	while (n < max_n) {
		ms_reset(&ms);
		if ((e = match(&ms, src, p)) != NULL && e != last) {
			n++;
			changed = add_value(&ms, &b, src, e, tr) | changed;
			src = last = e;
		} else if (src < ms.src_end)
			luaL_addchar(&b, *src++);
		else
			break;
		if (anchor)
			break;
	}
	if (!changed)
		lua_pushvalue(L, 1);
	else {
		luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
		luaL_pushresult(&b);
	}
	lua_pushinteger(L, n);
	return 2;
}

void
luamatch_open(lua_State *L, int idx, struct luamatch_meter *m)
{
	static const luaL_Reg fns[] = {
		{ "find", str_find },
		{ "match", str_match },
		{ "gmatch", str_gmatch },
		{ "gsub", str_gsub },
		{ NULL, NULL },
	};
	const luaL_Reg *f;

	idx = lua_absindex(L, idx);
	for (f = fns; f->name != NULL; f++) {
		lua_pushlightuserdata(L, m);
		lua_pushcclosure(L, f->func, 1);
		lua_setfield(L, idx, f->name);
	}
}
