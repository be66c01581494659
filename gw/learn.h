/*
 * learn.h - `outgate learn`: from decision logs (monitor mode), a draft
 * policy that allows what was seen, grouped by owner, by name where the flow
 * had DNS provenance, ports merged, each rule with how often and when.
 */
#ifndef OUTGATE_LEARN_H
#define OUTGATE_LEARN_H

#include <stddef.h>
#include <stdio.h>

/* Read the logs (paths; "-" is stdin) and write the policy to out.  0, or -1 with err. */
int	learn_run(char *const *paths, size_t npaths, FILE *out, char *err, size_t errlen);

#endif
