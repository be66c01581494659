/*
 * expect.h - the expected verdicts of a pcap test (pcap-tests/README.md gives
 * the format), and the comparison of each decision against them.
 */
#ifndef OUTGATE_EXPECT_H
#define OUTGATE_EXPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"

struct expect;

/* Parse FILE; on error returns NULL with "FILE:LINE: message" in err. Caller owns. */
struct expect *expect_load(const char *path, char *err, size_t errlen);
void	expect_free(struct expect *x);

/*
 * Compare the decision on frame (1-based).  On a difference, writes one line
 * "frame N: expected ... got ..." to out (unless NULL) and returns false.
 */
bool	expect_frame(struct expect *x, uint64_t frame, const struct decision *d, FILE *out);

/* After the last frame: report listed frames the capture did not have. Returns their count. */
size_t	expect_finish(struct expect *x, uint64_t frames_seen, FILE *out);

#endif
