/*
 * control.h - the control socket: a unix socket (mode 0600) and optionally a
 * TCP port that answer each connection with the daemon's metrics in the
 * Prometheus text format.  A thread of its own; the packet path never waits
 * on it.
 */
#ifndef OUTGATE_CONTROL_H
#define OUTGATE_CONTROL_H

#include <stddef.h>
#include <stdio.h>

/* Write the metrics text to out (called on the control thread). */
typedef void control_write_fn(void *arg, FILE *out);

struct control;

/* What the socket answers: each writer is called with arg. */
struct control_answers {
	control_write_fn *metrics;	/* the default, and GET /metrics */
	control_write_fn *recent;	/* "recent": the latest decisions */
	control_write_fn *health;	/* "health": "ok ..." or "failing: why" */
	control_write_fn *flows;	/* "flows": the flows seen last */
	void		 *arg;
};

/*
 * Listen on the unix socket path (replacing a stale socket file there) and,
 * when http is not NULL, on http ("ADDR:PORT"; a wildcard address only if
 * given as such) for GET /metrics.  A unix client may first send one line:
 * "metrics" (the default), "recent", "health" or "flows".  NULL with a one-line error.
 */
struct control *control_start(const char *path, const char *http,
    const struct control_answers *a, char *err, size_t errlen);
/* Stop the thread, close and remove the socket.  NULL is fine. */
void	control_stop(struct control *c);

/*
 * Connect to a control socket, ask (request: "metrics", "recent", "health"
 * or "flows"), copy the answer to out.  0, or -1 with err.
 */
int	control_read(const char *path, const char *request, FILE *out, char *err,
    size_t errlen);

#endif
