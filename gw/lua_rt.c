/*
 * lua_rt.c - one sandboxed Lua state, after Suricata's util-lua-sandbox.
 * It must never open io, os, debug or package, load bytecode, or let a script
 * run unbounded.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "lua_match.h"
#include "lua_rt.h"

#define LUART_HOOK_STEP	1000	/* instructions between two calls of the hook */
/*
 * The count hook never runs inside a C function, so the library loops that
 * Lua code can size without allocating are capped by count: table.insert,
 * remove, sort, concat and move.  Real tables under the memory cap are far
 * smaller.
 */
#define LUART_TABLE_MAX	(1 << 22)

struct luart {
	lua_State	*L;
	char		*lua_dir;
	size_t		mem, mem_peak, mem_cap;
	unsigned long	budget;		/* instructions per call */
	unsigned long	spent;
	unsigned long	time_ms;	/* wall-clock budget per call, 0 none */
	struct timespec	start;		/* of the outermost call */
	int		step;		/* hook period */
	int		depth;		/* nesting of luart_pcall */
	int		budget_hit;
	int		timed_out;	/* the budget gone was the time */
	int		refused;	/* the allocator said no in this call */
	char		where[LUA_IDSIZE + 16];	/* where the budget ran out */
	struct luamatch_meter meter;	/* the pattern matcher's steps */
	struct luart_stats stats;
};

/* registry keys: their addresses are what counts */
static char require_key;	/* our require closure */
static char loaded_key;		/* table: module name -> value */
static char loading_key;	/* value of a module being loaded */

struct chunk {
	const char	*buf;		/* NULL: read path */
	size_t		len;
	const char	*path;
};

static struct luart *
rt_of(lua_State *L)
{
	struct luart *rt;

	memcpy(&rt, lua_getextraspace(L), sizeof(rt));
	return rt;
}

/* The allocator: refuses growth past the cap, never refuses a shrink. */
static void *
luart_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct luart *rt = ud;
	size_t old = ptr != NULL ? osize : 0;
	void *n;

	if (nsize == 0) {
		free(ptr);
		rt->mem -= old;
		return NULL;
	}
	if ((nsize > old && nsize - old > rt->mem_cap - rt->mem) ||
	    (n = realloc(ptr, nsize)) == NULL) {
		rt->refused = 1;
		return NULL;
	}
	rt->mem = rt->mem - old + nsize;
	if (rt->mem > rt->mem_peak)
		rt->mem_peak = rt->mem;
	return n;
}

static unsigned long
elapsed_ms(const struct luart *rt)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (unsigned long)((now.tv_sec - rt->start.tv_sec) * 1000 +
	    (now.tv_nsec - rt->start.tv_nsec) / 1000000);
}

static void	budget_hook(lua_State *, lua_Debug *);

/*
 * Charge n instructions (or steps of the pattern matcher) and look at the
 * clock: C functions cost time that no instruction count sees.  Returns 0
 * while both budgets last.
 */
static int
budget_spend(struct luart *rt, unsigned long n)
{
	if (rt->spent >= rt->budget)
		return -1;
	rt->spent = n < rt->budget - rt->spent ? rt->spent + n : rt->budget;
	if (rt->spent < rt->budget &&
	    (rt->time_ms == 0 || elapsed_ms(rt) < rt->time_ms))
		return 0;
	rt->timed_out = rt->spent < rt->budget;
	rt->spent = rt->budget;
	return -1;
}

/*
 * The budget is gone: note where (the innermost Lua function at or above
 * level), make the hook fire on every instruction, so that a script that
 * catches the error with pcall cannot go on, and raise.
 */
static int
budget_gone(lua_State *L, struct luart *rt, int level)
{
	lua_Debug ar;

	if (!rt->budget_hit) {
		rt->budget_hit = 1;
		for (; lua_getstack(L, level, &ar); level++)
			if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
				snprintf(rt->where, sizeof(rt->where),
				    "%s:%d", ar.short_src, ar.currentline);
				break;
			}
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, 1);
	}
	lua_pushliteral(L, "instruction budget exhausted");
	return lua_error(L);
}

/* Counts instructions in steps of rt->step. */
static void
budget_hook(lua_State *L, lua_Debug *ar)
{
	struct luart *rt = rt_of(L);

	(void)ar;
	if (budget_spend(rt, (unsigned long)rt->step) == 0)
		return;
	budget_gone(L, rt, 0);
}

/* The pattern matcher's steps, charged as instructions (lua_match.h). */
static void
match_charge(lua_State *L, void *ud, unsigned long steps)
{
	struct luart *rt = ud;

	if (budget_spend(rt, steps) == 0)
		return;
	budget_gone(L, rt, 1);
}

static int
luart_panic(lua_State *L)
{
	const char *m = lua_tostring(L, -1);

	/* only reached by an unprotected error: a bug of ours */
	fprintf(stderr, "outgate: lua panic: %s\n", m != NULL ? m : "?");
	abort();
}

/* Copy a message as one line: controls become spaces. */
static void
one_line(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t i, n;

	if (dlen == 0)
		return;
	n = slen < dlen - 1 ? slen : dlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[n] = '\0';
}

static bool
ends_with(const char *s, size_t len, const char *tail)
{
	size_t n = strlen(tail);

	return len >= n && memcmp(s + len - n, tail, n) == 0;
}

bool
luart_module_name_ok(const char *name, size_t len)
{
	size_t i, lab = 0;

	if (len == 0 || len > 128)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (c == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_')
			lab++;
		else
			return false;
	}
	return lab > 0;
}

static int
luart_print(lua_State *L)
{
	char msg[512], where[LUA_IDSIZE + 16] = "?";
	size_t off = 0, len, i;
	int n = lua_gettop(L), a;
	lua_Debug ar;
	const char *s;

	msg[0] = '\0';
	for (a = 1; a <= n && off < sizeof(msg) - 1; a++) {
		s = luaL_tolstring(L, a, &len);
		if (a > 1)
			msg[off++] = ' ';
		for (i = 0; i < len && off < sizeof(msg) - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c < 0x20 || c == 0x7f || c == '"')
				c = '\'';
			msg[off++] = (char)c;
		}
		msg[off] = '\0';
		lua_pop(L, 1);
	}
	if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
		snprintf(where, sizeof(where), "%s:%d", ar.short_src,
		    ar.currentline);
	fprintf(stderr, "outgate: lua print src=%s msg=\"%s\"\n", where, msg);
	return 0;
}

/*
 * require(name): only [a-z0-9_] names, dot-separated, from lua_dir, text only,
 * run in this same sandbox and cached.
 */
static int
luart_require_cf(lua_State *L)
{
	struct luart *rt = rt_of(L);
	char path[PATH_MAX];
	const char *name;
	size_t len, dlen, i;
	int st;

	name = luaL_checklstring(L, 1, &len);
	if (!luart_module_name_ok(name, len))
		return luaL_error(L, "require: \"%s\" is not a module name "
		    "(a-z 0-9 _, parts joined by dots)", name);
	lua_settop(L, 1);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &loaded_key);		/* 2 */
	if (lua_getfield(L, 2, name) != LUA_TNIL) {		/* 3 */
		if (lua_touserdata(L, 3) == &loading_key)
			return luaL_error(L, "require: module \"%s\" requires "
			    "itself (a loop)", name);
		return 1;
	}
	lua_pop(L, 1);
	if (rt->lua_dir == NULL)
		return luaL_error(L, "require: module \"%s\": no module "
		    "directory", name);
	dlen = strlen(rt->lua_dir);
	if (dlen + 1 + len + 5 > sizeof(path))
		return luaL_error(L, "require: module \"%s\": path too long",
		    name);
	memcpy(path, rt->lua_dir, dlen);
	path[dlen] = '/';
	for (i = 0; i < len; i++)
		path[dlen + 1 + i] = name[i] == '.' ? '/' : name[i];
	memcpy(path + dlen + 1 + len, ".lua", 5);

	lua_pushlightuserdata(L, &loading_key);
	lua_setfield(L, 2, name);
	st = luaL_loadfilex(L, path, "t");
	if (st == LUA_OK) {
		lua_pushvalue(L, 1);
		lua_pushstring(L, path);
		st = lua_pcall(L, 2, 1, 0);
	}
	if (st != LUA_OK) {
		lua_pushnil(L);
		lua_setfield(L, 2, name);
		if (st == LUA_ERRFILE)
			return luaL_error(L, "require: module \"%s\" not "
			    "found: %s", name, lua_tostring(L, -1));
		return lua_error(L);
	}
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, 2, name);
	return 1;
}

/* setmetatable without __gc: finalizers run with hooks off, unbudgeted. */
static int
luart_setmetatable(lua_State *L)
{
	int t = lua_type(L, 2);

	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2,
	    "nil or table");
	if (t == LUA_TTABLE) {
		lua_pushliteral(L, "__gc");
		if (lua_rawget(L, 2) != LUA_TNIL)
			return luaL_error(L, "setmetatable: __gc is not "
			    "allowed in the sandbox");
		lua_pop(L, 1);
	}
	if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
		return luaL_error(L, "cannot change a protected metatable");
	lua_settop(L, 2);
	lua_setmetatable(L, 1);
	return 1;
}

/* Call the original function, our upvalue, with all our arguments. */
static int
call_original(lua_State *L)
{
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	return lua_gettop(L);
}

/* string.rep("", n) loops n times in C for nothing. */
static int
luart_str_rep(lua_State *L)
{
	size_t l, lsep;
	lua_Integer n;

	luaL_checklstring(L, 1, &l);
	n = luaL_checkinteger(L, 2);
	luaL_optlstring(L, 3, "", &lsep);
	if (n > 0 && l + lsep == 0) {
		lua_pushliteral(L, "");
		return 1;
	}
	return call_original(L);
}

/* #t without __len (which could answer differently each time), capped. */
static lua_Integer
plain_len(lua_State *L, const char *fn)
{
	lua_Integer n;

	luaL_checktype(L, 1, LUA_TTABLE);
	if (luaL_getmetafield(L, 1, "__len") != LUA_TNIL)
		luaL_error(L, "%s: a table with __len is not allowed in the "
		    "sandbox", fn);
	n = (lua_Integer)lua_rawlen(L, 1);
	if (n > LUART_TABLE_MAX)
		luaL_error(L, "%s: table too long for the sandbox", fn);
	return n;
}

static void
check_span(lua_State *L, const char *fn, lua_Integer lo, lua_Integer hi)
{
	if (hi >= lo && (lua_Unsigned)hi - (lua_Unsigned)lo >= LUART_TABLE_MAX)
		luaL_error(L, "%s: more than %d elements for the sandbox", fn,
		    LUART_TABLE_MAX);
}

static int
luart_tinsert(lua_State *L)
{
	plain_len(L, "table.insert");
	return call_original(L);
}

static int
luart_tremove(lua_State *L)
{
	plain_len(L, "table.remove");
	return call_original(L);
}

static int
luart_tsort(lua_State *L)
{
	plain_len(L, "table.sort");
	return call_original(L);
}

static int
luart_tconcat(lua_State *L)
{
	lua_Integer i, j;

	i = luaL_optinteger(L, 3, 1);
	j = lua_isnoneornil(L, 4) ? plain_len(L, "table.concat") :
	    luaL_checkinteger(L, 4);
	check_span(L, "table.concat", i, j);
	return call_original(L);
}

static int
luart_tmove(lua_State *L)
{
	check_span(L, "table.move", luaL_checkinteger(L, 2),
	    luaL_checkinteger(L, 3));
	return call_original(L);
}

/* Replace lib[name] by fn, which gets the original as its upvalue. */
static void
wrap(lua_State *L, const char *lib, const char *name, lua_CFunction fn)
{
	lua_getglobal(L, lib);
	lua_getfield(L, -1, name);
	lua_pushcclosure(L, fn, 1);
	lua_setfield(L, -2, name);
	lua_pop(L, 1);
}

/* Runs protected at luart_new: the allowlisted libraries and our globals. */
static int
luart_setup_cf(lua_State *L)
{
	static const luaL_Reg libs[] = {
		{ LUA_GNAME, luaopen_base },
		{ LUA_STRLIBNAME, luaopen_string },
		{ LUA_TABLIBNAME, luaopen_table },
		{ LUA_MATHLIBNAME, luaopen_math },
		{ LUA_UTF8LIBNAME, luaopen_utf8 },
		{ NULL, NULL },
	};
	/* files, bytecode, the collector, warnings: none of them */
	static const char *const drop[] = {
		"dofile", "loadfile", "load", "loadstring", "collectgarbage",
		"warn", NULL,
	};
	const luaL_Reg *l;
	const char *const *d;

	for (l = libs; l->name != NULL; l++) {
		luaL_requiref(L, l->name, l->func, 1);
		lua_pop(L, 1);
	}
	for (d = drop; *d != NULL; d++) {
		lua_pushnil(L);
		lua_setglobal(L, *d);
	}
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);

	lua_pushcfunction(L, luart_print);
	lua_setglobal(L, "print");
	lua_pushcfunction(L, luart_setmetatable);
	lua_setglobal(L, "setmetatable");
	wrap(L, LUA_STRLIBNAME, "rep", luart_str_rep);
	/* also the strings' metatable's __index: the same table */
	lua_getglobal(L, LUA_STRLIBNAME);
	luamatch_open(L, -1, &rt_of(L)->meter);
	lua_pop(L, 1);
	wrap(L, LUA_TABLIBNAME, "insert", luart_tinsert);
	wrap(L, LUA_TABLIBNAME, "remove", luart_tremove);
	wrap(L, LUA_TABLIBNAME, "sort", luart_tsort);
	wrap(L, LUA_TABLIBNAME, "concat", luart_tconcat);
	wrap(L, LUA_TABLIBNAME, "move", luart_tmove);
	lua_newtable(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &loaded_key);
	lua_pushcfunction(L, luart_require_cf);
	lua_pushvalue(L, -1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &require_key);
	lua_setglobal(L, "require");
	return 0;
}

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

struct luart *
luart_new(const char *lua_dir, size_t mem_cap, unsigned long instr_budget,
    char *err, size_t errlen)
{
	struct luart *rt;

	if ((rt = calloc(1, sizeof(*rt))) == NULL)
		goto oom;
	rt->mem_cap = mem_cap != 0 ? mem_cap : LUART_MEM_DEFAULT;
	rt->time_ms = LUART_TIME_DEFAULT_MS;
	rt->meter.charge = match_charge;
	rt->meter.ud = rt;
	luart_set_budget(rt, instr_budget);
	if (lua_dir != NULL && (rt->lua_dir = strdup(lua_dir)) == NULL)
		goto oom;
	if ((rt->L = lua_newstate(luart_alloc, rt)) == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "out of memory (cap %zu bytes)",
			    rt->mem_cap);
		goto fail;
	}
	memcpy(lua_getextraspace(rt->L), &rt, sizeof(rt));
	lua_atpanic(rt->L, luart_panic);
	lua_pushcfunction(rt->L, luart_setup_cf);
	if (luart_pcall(rt, 0, 0, err, errlen) == -1)
		goto fail;
	return rt;
oom:
	set_err(err, errlen, "out of memory");
fail:
	luart_free(rt);
	return NULL;
}

void
luart_free(struct luart *rt)
{
	if (rt == NULL)
		return;
	if (rt->L != NULL) {
		/* finalizers run at close: give them no budget at all */
		rt->spent = rt->budget;
		rt->budget_hit = 1;
		lua_sethook(rt->L, budget_hook, LUA_MASKCOUNT, 1);
		lua_close(rt->L);
	}
	free(rt->lua_dir);
	free(rt);
}

lua_State *
luart_state(struct luart *rt)
{
	return rt->L;
}

void
luart_set_budget(struct luart *rt, unsigned long instr_budget)
{
	rt->budget = instr_budget != 0 ? instr_budget : LUART_INSTR_DEFAULT;
	rt->step = rt->budget < LUART_HOOK_STEP ? (int)rt->budget :
	    LUART_HOOK_STEP;
}

void
luart_set_time_budget(struct luart *rt, unsigned long ms)
{
	rt->time_ms = ms;
}

int
luart_pcall(struct luart *rt, int nargs, int nresults, char *err, size_t errlen)
{
	lua_State *L = rt->L;
	const char *m, *sep;
	size_t len;
	int st;

	if (rt->depth == 0) {
		rt->spent = 0;
		rt->budget_hit = 0;
		rt->timed_out = 0;
		rt->refused = 0;
		clock_gettime(CLOCK_MONOTONIC, &rt->start);
		rt->where[0] = '\0';
		lua_sethook(L, budget_hook, LUA_MASKCOUNT, rt->step);
	}
	rt->stats.calls++;
	rt->depth++;
	st = lua_pcall(L, nargs, nresults, 0);
	rt->depth--;
	if (st == LUA_OK)
		return 0;

	m = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
	if (rt->budget_hit) {
		rt->stats.budget++;
		sep = rt->where[0] != '\0' ? ": " : "";
		if (errlen > 0 && rt->timed_out)
			snprintf(err, errlen, "%s%stime budget of %lu ms "
			    "exhausted", rt->where, sep, rt->time_ms);
		else if (errlen > 0)
			snprintf(err, errlen, "%s%sinstruction budget of %lu "
			    "exhausted", rt->where, sep, rt->budget);
	} else if (st == LUA_ERRMEM || (rt->refused && m != NULL &&
	    ends_with(m, len, "not enough memory"))) {
		/* the second form: a memory error caught and raised again */
		rt->stats.oom++;
		if (errlen > 0)
			snprintf(err, errlen, "out of memory (cap %zu bytes)",
			    rt->mem_cap);
	} else {
		rt->stats.runtime++;
		if (m != NULL)
			one_line(err, errlen, m, len);
		else if (errlen > 0)
			snprintf(err, errlen, "(error object is a %s value)",
			    luaL_typename(L, -1));
	}
	lua_pop(L, 1);
	return -1;
}

static int
luart_chunk_cf(lua_State *L)
{
	const struct chunk *c = lua_touserdata(L, 1);
	int st;

	if (c->buf == NULL)
		st = luaL_loadfilex(L, c->path, "t");
	else {
		lua_pushfstring(L, "@%s", c->path);
		st = luaL_loadbufferx(L, c->buf, c->len, lua_tostring(L, -1),
		    "t");
	}
	if (st != LUA_OK)
		return lua_error(L);
	lua_call(L, 0, 1);
	return 1;
}

/*
 * Lua names a file by its last LUA_IDSIZE - 4 bytes after "..." when the name
 * is long; put the whole path back, and make sure the line starts with it.
 */
static void
name_the_file(const char *path, const char *lua_dir, char *err, size_t errlen)
{
	char tmp[1024], shrt[LUA_IDSIZE + 4];
	size_t plen = strlen(path), slen, i;

	if (errlen == 0)
		return;
	if (plen + 1 <= LUA_IDSIZE)
		snprintf(shrt, sizeof(shrt), "%s", path);
	else
		snprintf(shrt, sizeof(shrt), "...%s",
		    path + plen - (LUA_IDSIZE - 4));
	slen = strlen(shrt);
	if (strncmp(err, shrt, slen) == 0 && err[slen] == ':') {
		if (slen != plen) {
			snprintf(tmp, sizeof(tmp), "%s%s", path, err + slen);
			snprintf(err, errlen, "%s", tmp);
		}
		return;
	}
	/* a position in another file (a module) already says where */
	if (lua_dir != NULL && strncmp(err, lua_dir, strlen(lua_dir)) == 0)
		return;
	if (strncmp(err, "...", 3) == 0)
		return;
	for (i = 0; err[i] != '\0' && err[i] != ' ' && err[i] != ':'; i++)
		;
	if (i > 0 && err[i] == ':' && err[i + 1] >= '0' && err[i + 1] <= '9') {
		for (i++; err[i] >= '0' && err[i] <= '9'; i++)
			;
		if (err[i] == ':')
			return;
	}
	snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
	snprintf(err, errlen, "%s", tmp);
}

static int
run_chunk(struct luart *rt, const struct chunk *c, char *err, size_t errlen)
{
	if (!lua_checkstack(rt->L, 3)) {
		if (errlen > 0)
			snprintf(err, errlen, "%s: out of memory", c->path);
		return -1;
	}
	lua_pushcfunction(rt->L, luart_chunk_cf);
	lua_pushlightuserdata(rt->L, (void *)c);
	if (luart_pcall(rt, 1, 1, err, errlen) == -1) {
		name_the_file(c->path, rt->lua_dir, err, errlen);
		return -1;
	}
	return 0;
}

int
luart_dofile(struct luart *rt, const char *path, char *err, size_t errlen)
{
	struct chunk c = { NULL, 0, path };

	return run_chunk(rt, &c, err, errlen);
}

int
luart_dobuffer(struct luart *rt, const char *buf, size_t len, const char *path,
    char *err, size_t errlen)
{
	struct chunk c = { buf, len, path };

	return run_chunk(rt, &c, err, errlen);
}

static int
luart_require_call_cf(lua_State *L)
{
	const char *name = lua_touserdata(L, 1);

	lua_rawgetp(L, LUA_REGISTRYINDEX, &require_key);
	lua_pushstring(L, name);
	lua_call(L, 1, 1);
	return 1;
}

int
luart_require(struct luart *rt, const char *name, char *err, size_t errlen)
{
	if (!lua_checkstack(rt->L, 3)) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	lua_pushcfunction(rt->L, luart_require_call_cf);
	lua_pushlightuserdata(rt->L, (void *)name);
	return luart_pcall(rt, 1, 1, err, errlen);
}

void
luart_get_stats(const struct luart *rt, struct luart_stats *st)
{
	*st = rt->stats;
	st->mem = rt->mem;
	st->mem_peak = rt->mem_peak;
	st->mem_cap = rt->mem_cap;
}
