/*
 * diag.h - diagnostics for people: one line each on stderr, key=value fields.
 * Decisions never go here; they go to the decision log.
 */
#ifndef OUTGATE_DIAG_H
#define OUTGATE_DIAG_H

#include <stdarg.h>
#include <stddef.h>

void	diag_init(const char *progname, int verbose);
void	diag_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* appends strerror(errno) */
void	diag_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));	/* only when verbose */
/* Format a one-line error into a caller's buffer (err may be NULL or errlen 0). */
void	diag_seterr(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
