/*
 * daemon.h - `outgate run`: the live gateway.  One worker thread and one
 * engine per queue, the kernel's rules around them, signals for reload and stop.
 */
#ifndef OUTGATE_DAEMON_H
#define OUTGATE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fwrules.h"
#include "privdrop.h"

struct daemon_opts {
	const char	*policy_path;
	const char	*lua_dir;
	const char	*log_path;	/* NULL: no decision log; "-": stdout */
	const char	*syslog;	/* the decision log to this syslog socket instead, or NULL */
	uint16_t	queue_lo, queue_hi;
	size_t		flows;		/* per worker; 0: the engine's default */
	int		mode;		/* -1: the policy's */
	bool		no_seed;	/* do not read the conntrack table at start */
	bool		no_attrib;	/* owners from the packet's uid/gid only, no process lookup */
	unsigned	log_rate;	/* decision records a second per (reason, subject); 0: all */
	const char	*control_path;	/* --control SOCKET, or NULL */
	const char	*metrics_addr;	/* --metrics ADDR:PORT, or NULL */
	struct fwrules_opts rules;	/* backend NONE: the caller manages the rules */
	bool		has_user;	/* --user: run as user once started */
	bool		no_seccomp;	/* --no-seccomp: threads without the allowlist */
	struct privdrop_user user;
};

/* Runs until SIGTERM or SIGINT; returns the exit code (0, or 2 on a start-up error). */
int	daemon_run(const struct daemon_opts *o);

#endif
