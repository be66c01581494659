/*
 * json.h - append one flat JSON object to a caller's fixed buffer.
 * No allocation: a record that does not fit is cut and marked, never overrun.
 */
#ifndef OUTGATE_JSON_H
#define OUTGATE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jbuf {
	char	*buf;
	size_t	cap;
	size_t	len;
	bool	first;
	bool	overflow;	/* something did not fit */
};

void	json_begin(struct jbuf *j, char *buf, size_t cap);
void	json_str(struct jbuf *j, const char *key, const char *val);	/* NULL val: null */
void	json_u64(struct jbuf *j, const char *key, uint64_t val);
void	json_null(struct jbuf *j, const char *key);
void	json_bool(struct jbuf *j, const char *key, bool val);
/* Close the object and add a newline; returns the length (buf is NUL-terminated). */
size_t	json_end(struct jbuf *j);

#endif
