/*
 * replay.h - feed a capture file through the engine, one frame at a time,
 * with the capture's own clock, and write one JSON object per frame.
 */
#ifndef OUTGATE_REPLAY_H
#define OUTGATE_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "expect.h"
#include "log.h"

struct replay_opts {
	const char	*capture;
	FILE		*out;		/* JSON lines; NULL writes none */
	struct expect	*expect;	/* NULL: nothing to compare */
	struct dlog	*log;		/* decision log, or NULL */
	FILE		*diff;		/* where expect differences go */
	uint64_t	max_diffs;	/* lines of difference printed; the rest counted */
	FILE		*progress;	/* a terminal: frames and percent read, each second; NULL none */
};

struct replay_result {
	uint64_t	frames;
	uint64_t	mismatches;	/* frames that differ from expect, and frames missing */
	double		elapsed;	/* seconds of wall clock in the loop */
	int		link;		/* PKT_LINK_* of the capture */
};

/*
 * Replay the whole capture.  Returns 0, or -1 with one line in err when the
 * capture cannot be opened, has a link type outgate does not read, or breaks
 * off mid-record (the frames before it are decided and written first).
 */
int	replay_run(struct engine *e, const struct replay_opts *o,
    struct replay_result *r, char *err, size_t errlen);

#endif
