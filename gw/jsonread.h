/*
 * jsonread.h - read one flat JSON object (a line of the decision log): its
 * keys and scalar values, strings unescaped, in the caller's buffer.
 */
#ifndef OUTGATE_JSONREAD_H
#define OUTGATE_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>

#define JSONREAD_MAX	64	/* fields of one object */

enum jsonread_type { JSONREAD_STRING, JSONREAD_NUMBER, JSONREAD_BOOL, JSONREAD_NULL };

struct jsonread_field {
	const char		*key;
	const char		*val;	/* NUL-terminated text: the string unescaped, the number as written, "true", "false", "null" */
	enum jsonread_type	type;
};

struct jsonread {
	struct jsonread_field	f[JSONREAD_MAX];
	size_t			n;
};

/*
 * Parse the object in line (changed in place: the strings are unescaped
 * there).  Nested objects and arrays are refused.  0, or -1 with *why.
 */
int	jsonread_object(char *line, struct jsonread *o, const char **why);
/* The value of key, or NULL. */
const char *jsonread_get(const struct jsonread *o, const char *key);

#endif
