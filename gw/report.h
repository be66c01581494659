/*
 * report.h - `outgate report`: one self-contained HTML page about decision
 * logs: what was decided over time (an SVG chart), the top refused
 * destinations by owner, and what enforce mode would refuse that monitor
 * mode let through.
 */
#ifndef OUTGATE_REPORT_H
#define OUTGATE_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* Read the logs ("-" is stdin) and write the page to out.  0, or -1 with err. */
int	report_run(char *const *paths, size_t npaths, FILE *out, char *err, size_t errlen);

#endif
