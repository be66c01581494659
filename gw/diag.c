/*
 * diag.c - diagnostics for people: one line each on stderr.
 * Only start-up code and broken invariants may call fatalx(); packets never do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static const char *diag_prog = "outgate";
static int diag_verbose;

void
diag_init(const char *progname, int verbose)
{
	if (progname != NULL)
		diag_prog = progname;
	diag_verbose = verbose;
}

static void diag_vline(const char *, va_list, const char *)
    __attribute__((format(printf, 1, 0)));

static void
diag_vline(const char *fmt, va_list ap, const char *suffix)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (suffix != NULL)
		fprintf(stderr, "%s: %s: %s\n", diag_prog, buf, suffix);
	else
		fprintf(stderr, "%s: %s\n", diag_prog, buf);
}

void
diag_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vline(fmt, ap, NULL);
	va_end(ap);
}

void
diag_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	diag_vline(fmt, ap, strerror(saved));
	va_end(ap);
}

void
diag_info(const char *fmt, ...)
{
	va_list ap;

	if (!diag_verbose)
		return;
	va_start(ap, fmt);
	diag_vline(fmt, ap, NULL);
	va_end(ap);
}

void
diag_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vline(fmt, ap, NULL);
	va_end(ap);
	exit(2);
}
