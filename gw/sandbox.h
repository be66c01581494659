/*
 * sandbox.h - a seccomp allowlist for the threads that touch packets and
 * clients (the workers, the control socket's thread).  Built once by the
 * main thread, entered by each of those threads as it starts; the main
 * thread stays outside, since it only waits for signals, reloads the policy
 * and, at the stop, runs iptables-restore to remove the rules.  A system
 * call outside the list ends the whole process (status 159, as a SIGSYS
 * death), with a line on stderr that names it: fail-closed, like any other
 * death of the daemon.
 */
#ifndef OUTGATE_SANDBOX_H
#define OUTGATE_SANDBOX_H

#include <stddef.h>

/*
 * Build the filter (libseccomp, exported to a BPF program held here).
 * 0, or -1 with a one-line error.  Call once, before the threads start.
 */
int	sandbox_prepare(char *err, size_t errlen);

/*
 * Enter it on the calling thread (needs no_new_privs, set by privdrop, or
 * CAP_SYS_ADMIN).  Without a prepared filter it does nothing and returns 0.
 * 0, or -1 with a one-line error: the thread must not go on.
 */
int	sandbox_enter(char *err, size_t errlen);

/* Whether sandbox_prepare has built a filter. */
int	sandbox_active(void);

#endif
