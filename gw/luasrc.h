/*
 * luasrc.h - source positions of a Lua table constructor: the line of each key
 * and item of the table a chunk returns.  It must never run or judge the code.
 */
#ifndef OUTGATE_LUASRC_H
#define OUTGATE_LUASRC_H

#include <stddef.h>

/*
 * Lua keeps no lines for table fields.  luasrc reads the chunk's tokens and
 * maps the constructor it returns, `return {...}` or `return NAME` after
 * `local NAME = {...}` (and `NAME.key = value`), nested constructors
 * included.  A node is one constructor; lines count from 1, 0 is unknown.
 * Anything it does not follow leaves a position unknown, never an error.
 */
struct luasrc;

enum luasrc_status {
	LUASRC_OK = 0,		/* read; luasrc_root() may still be -1 */
	LUASRC_NOMEM = -1,	/* out of memory; no luasrc */
	LUASRC_INVALID = -2,	/* not readable (an unterminated string or
				 * comment, unbalanced brackets, a stray byte,
				 * nesting past 200): no positions at all but
				 * luasrc_return_line() */
};

/*
 * Read src.  On LUASRC_OK and LUASRC_INVALID *out is a luasrc the caller
 * frees with luasrc_free; on LUASRC_NOMEM it is NULL.  The luasrc points
 * into src, which must outlive it.
 */
enum luasrc_status luasrc_new(const char *src, size_t len,
    struct luasrc **out);
void	luasrc_free(struct luasrc *ls);		/* NULL is fine */

/* The node of the table the chunk returns, or -1 unknown. */
int	luasrc_root(const struct luasrc *ls);
/* The line of the chunk's top-level `return`. */
int	luasrc_return_line(const struct luasrc *ls);
/* The line of a node's "{". */
int	luasrc_node_line(const struct luasrc *ls, int node);

/*
 * The line of a field of node: by its string key (`key =` or `["key"] =`;
 * the last of duplicates, as Lua keeps), or by its index, an item's number
 * from 1 or `[N] =`.  *child is the node of the field's value when that is
 * a constructor, else -1.  An unknown node (-1 included) finds nothing.
 * luasrc_index remembers where it found the last item, so walking a list in
 * order costs linear time.
 */
int	luasrc_key(const struct luasrc *ls, int node, const char *key,
	    size_t klen, int *child);
int	luasrc_index(struct luasrc *ls, int node, long long i, int *child);

/*
 * The line of the first use of one of names (NULL-terminated) as a global
 * variable, or of `string.dump`: a NAME token that is not a field (after
 * "." or ":"), not a table key (`{ name = ...`), and not made local or a
 * parameter anywhere in the chunk.  *which is the name found.  0: none.
 * Only tokens: code that builds the name at run time is not seen (the
 * sandbox still refuses it then).
 */
int	luasrc_global_line(const struct luasrc *ls, const char *const *names,
	    const char **which);

#endif
