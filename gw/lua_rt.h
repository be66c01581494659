/*
 * lua_rt.h - one sandboxed Lua state: a byte cap, an instruction budget reset
 * before each call, base/string/table/math/utf8 only, a require confined to
 * lua_dir.
 */
#ifndef OUTGATE_LUA_RT_H
#define OUTGATE_LUA_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#define LUART_MEM_DEFAULT	((size_t)32 << 20)	/* bytes */
#define LUART_INSTR_DEFAULT	10000000UL	/* instructions a call */
#define LUART_TIME_DEFAULT_MS	10000UL		/* wall clock a call */

/*
 * What a script sees: base without dofile, loadfile, load, collectgarbage and
 * warn, whose setmetatable refuses __gc (finalizers run outside any budget);
 * string without dump; table, whose insert, remove, sort, concat and move
 * refuse more than 4M elements (C loops no instruction count sees); math;
 * utf8; a print that writes one diagnostic line to stderr; a require that
 * loads lua_dir/NAME.lua.  string.find, match, gmatch and gsub (also as
 * s:find(...)) are lua_match's, whose steps count as instructions and look at
 * the clock, so a pattern that backtracks without end stops like a loop.
 */
struct luart;

struct luart_stats {
	uint64_t	calls;		/* luart_pcall, and all built on it */
	uint64_t	budget;		/* stopped by instructions or time */
	uint64_t	oom;		/* stopped by the memory cap */
	uint64_t	runtime;	/* stopped by any other error */
	size_t		mem;		/* bytes held now */
	size_t		mem_peak;
	size_t		mem_cap;
};

/*
 * A new sandboxed state.  lua_dir (may be NULL: require then always fails) is
 * where require finds NAME.lua; mem_cap 0 and instr_budget 0 take the defaults.
 * Returns NULL and writes a message to err on failure.  Free with luart_free.
 */
struct luart *luart_new(const char *lua_dir, size_t mem_cap,
	    unsigned long instr_budget, char *err, size_t errlen);
void	luart_free(struct luart *rt);

/* The state, for pushing arguments and reading results.  Owned by rt. */
lua_State *luart_state(struct luart *rt);

/* The instruction budget of each following call (0: the default). */
void	luart_set_budget(struct luart *rt, unsigned long instr_budget);
/*
 * The wall-clock budget of each following call, in ms (0: none), checked with
 * the instruction count: it catches time spent in library C functions.
 */
void	luart_set_time_budget(struct luart *rt, unsigned long ms);

/*
 * lua_pcall with the budget reset (only at the outermost call, so nested calls
 * share it), each failure counted by kind.  On failure returns -1, pops the
 * error and writes one line: Lua's "src:line: message", "src:line: instruction
 * budget of N exhausted" (or "time budget of N ms"), or "out of memory (cap N
 * bytes)".
 *
 * Outside a protected call only push what does not allocate (lua_pushcfunction
 * of a C function without upvalues, lua_pushlightuserdata, lua_pushinteger,
 * lua_rawgetp/lua_rawgeti): an allocation that fails there would panic.
 */
int	luart_pcall(struct luart *rt, int nargs, int nresults, char *err,
	    size_t errlen);

/*
 * Load a file (text only, chunkname "@path") and run it with the budget reset;
 * leaves its first return value on the stack.  On failure returns -1 and writes
 * one line that starts with "path:" ("path:LINE: ..." where a line is known).
 */
int	luart_dofile(struct luart *rt, const char *path, char *err,
	    size_t errlen);
/* The same for source text already in memory that came from path. */
int	luart_dobuffer(struct luart *rt, const char *buf, size_t len,
	    const char *path, char *err, size_t errlen);

/*
 * require(name) from C, unaffected by what a script did to the global: leaves
 * the module's value on the stack, or returns -1 with the error in err.
 */
int	luart_require(struct luart *rt, const char *name, char *err,
	    size_t errlen);

/* Whether name is a module name require accepts: [a-z0-9_]+(\.[a-z0-9_]+)* */
bool	luart_module_name_ok(const char *name, size_t len);

void	luart_get_stats(const struct luart *rt, struct luart_stats *st);

#endif
