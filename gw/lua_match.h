/*
 * lua_match.h - Lua 5.4's string.find, match, gmatch and gsub, with every
 * step of the matcher charged to a meter.  It must never run a pattern
 * without counting, nor recurse past a fixed depth.
 */
#ifndef OUTGATE_LUA_MATCH_H
#define OUTGATE_LUA_MATCH_H

#include <lua.h>

/* Steps between two charges: a step is one pattern item tried or one byte. */
#define LUAMATCH_TICK	1024

/*
 * Where the steps go.  charge(L, ud, n) is called with each n steps spent
 * (n is LUAMATCH_TICK, or more after a long comparison); to stop the match it
 * raises a Lua error, which unwinds the matcher (it holds nothing to free);
 * when it returns it must leave the stack as it was.
 * charge NULL: nothing is charged.  Steps left over at the end of a call
 * are carried to the next, so many short matches add up as one long one.
 */
struct luamatch_meter {
	void		(*charge)(lua_State *L, void *ud, unsigned long steps);
	void		*ud;
	unsigned long	pending;	/* ours: steps not charged yet */
};

/*
 * Set find, match, gmatch and gsub of the table at index idx (the string
 * library, which is also the string metatable's __index) to ours.  The meter
 * (not NULL) is not copied: it must outlive the state, and belongs to one
 * thread with it.  Allocates: call it protected.
 */
void	luamatch_open(lua_State *L, int idx, struct luamatch_meter *m);

#endif
