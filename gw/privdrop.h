/*
 * privdrop.h - least privilege for the daemon, once its queues are bound
 * and its rules are in: the user it runs as (--user), the capabilities it
 * keeps (CAP_NET_ADMIN for verdicts; CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
 * for reading other users' /proc entries when attribution is on), an
 * emptied bounding set and no_new_privs.  Called before any thread starts:
 * capabilities belong to threads, and new threads copy the caller's.
 */
#ifndef OUTGATE_PRIVDROP_H
#define OUTGATE_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct privdrop_user {
	uid_t	uid;
	gid_t	gid;
};

/* The capability bit of capability number n, for privdrop_apply's keep. */
#define PRIVDROP_CAP(n)	(UINT64_C(1) << (n))

/*
 * spec is a user name (its primary group from the passwd database) or
 * UID[:GID] in digits.  0, or -1 with a one-line error.
 */
int	privdrop_user_parse(const char *spec, struct privdrop_user *u, char *err,
	    size_t errlen);

/*
 * Keep exactly the capabilities in keep (permitted and effective), drop
 * every other from the bounding set where we may, switch to u's uid and gid
 * with no supplementary groups when u is not NULL, set no_new_privs.  With
 * ambient, the kept capabilities are also raised as ambient ones, so that a
 * program we run as a non-root user (iptables-restore, to remove our rules
 * at exit) still has them.  Afterwards, checks that root cannot be had back.
 * 0, or -1 with a one-line error (the process may then be half-dropped:
 * the caller stops).
 */
int	privdrop_apply(const struct privdrop_user *u, uint64_t keep, bool ambient,
	    char *err, size_t errlen);

/*
 * The capability sets of a process (tid 0: ourselves) as /proc/PID/status
 * shows them: effective, permitted, bounding, ambient.  0, or -1.
 */
int	privdrop_read_caps(pid_t pid, uint64_t *eff, uint64_t *prm, uint64_t *bnd,
	    uint64_t *amb);

#endif
