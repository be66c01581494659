/*
 * top.h - `outgate top`: a live terminal view of a running daemon, read
 * from its control socket: decisions a second by verdict, and the latest
 * decisions (who sent what where, and what was decided).
 */
#ifndef OUTGATE_TOP_H
#define OUTGATE_TOP_H

#include <stdbool.h>
#include <stddef.h>

/* Show the view every interval_ms until interrupted (count 0), or count times.  0, or -1 with err. */
int	top_run(const char *control, unsigned interval_ms, unsigned count, bool clear,
    char *err, size_t errlen);

#endif
