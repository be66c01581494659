/*
 * attrib.h - the owner of a local socket: sock_diag for the socket, /proc for its process.
 * Never a guessed owner: when any step fails the lookup says so and why; nothing allocates per lookup.
 */
#ifndef OUTGATE_ATTRIB_H
#define OUTGATE_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

enum attrib_how {
	ATTRIB_NONE = 0,		/* not found: why says which step failed */
	ATTRIB_SOCK_DIAG_PROC,		/* sock_diag for the socket, /proc for the process */
};

#define ATTRIB_EXE_LEN		256
#define ATTRIB_CGROUP_LEN	512
#define ATTRIB_CONTAINER_LEN	72
#define ATTRIB_CMDLINE_LEN	256

struct attrib_owner {
	enum attrib_how	how;
	const char	*why;		/* static text: "no socket", "socket without process", ... */
	uint32_t	uid;		/* the socket's uid, from sock_diag */
	bool		has_uid;
	uint32_t	pid;
	bool		has_pid;
	uint64_t	inode;		/* 0 when no socket was found */
	char		exe[ATTRIB_EXE_LEN];		/* "" when unreadable (kernel thread) */
	/*
	 * cgroup v2 path, "" when none: the socket's (where its maker was when
	 * it made it), from sock_diag's cgroup id, where the cgroup2 mount can
	 * be opened by handle (CAP_DAC_READ_SEARCH); else the process's now,
	 * from /proc/PID/cgroup
	 */
	char		cgroup[ATTRIB_CGROUP_LEN];
	char		container[ATTRIB_CONTAINER_LEN];	/* 64 hex digits, "" when none */
	char		cmdline[ATTRIB_CMDLINE_LEN];	/* NULs as spaces, cut at the buffer */
};

struct attrib_stats {
	uint64_t	lookups;	/* attrib_lookup and attrib_owner_of_inode calls */
	uint64_t	found;
	uint64_t	no_socket;	/* sock_diag knew no socket (or the socket had no inode) */
	uint64_t	no_process;	/* no process holds the socket, or it went away */
	uint64_t	quick_hits;	/* misses served by the kept or the new processes */
	uint64_t	probe_hits;	/* owners found at the first fd tried, with no listing */
	uint64_t	rescans;	/* full /proc scans done */
	uint64_t	rescans_skipped;	/* misses that found the rescan budget spent */
	uint64_t	map_full;	/* sockets left out of a scan: the map had no room */
	uint64_t	cgroup_by_id;	/* cgroups named from the socket's cgroup id */
};

struct attrib;

/*
 * proc_root is "/proc", or a fixture tree in tests.  Opens the sock_diag socket
 * (in the caller's network namespace) and sizes the inode map; NULL with err set
 * on failure.  The caller owns the result.  Besides those two descriptors it
 * keeps at most 32 open between lookups: two for each of the 16 latest owners.
 */
struct attrib *attrib_new(const char *proc_root, char *err, size_t errlen);
void	attrib_free(struct attrib *a);

/* Build the inode map now (a full scan), so that the first miss need not. */
void	attrib_prime(struct attrib *a);

/* Whether lookups read the command line (default on; one more read each). */
void	attrib_set_cmdline(struct attrib *a, bool on);

/* Full /proc scans allowed per second on misses (default 10; 0 = none). */
void	attrib_set_rescan_limit(struct attrib *a, unsigned per_sec);

/*
 * The owner of the local socket of a TCP or UDP flow.  k is the packet's key;
 * local_is_src says whether k->src/sport is our side.  The socket is found by
 * exact 5-tuple (UDP: the kernel's own receive lookup, so a connected socket,
 * then one bound to the local address, then the wildcard), then its inode is
 * mapped to a pid.  Returns 0 found (o->how set), -1 not found (o->why set).
 */
int	attrib_lookup(struct attrib *a, const struct flow_key *k, bool local_is_src,
    struct attrib_owner *o);

/*
 * The process side alone: the process holding socket inode, and its exe,
 * cmdline, cgroup and container.  Leaves o->uid as it is.  0 or -1 as above.
 */
int	attrib_owner_of_inode(struct attrib *a, uint64_t inode, struct attrib_owner *o);

/* The path of the "0::" line of a /proc/PID/cgroup text.  0, or -1 when
 * there is none or it does not fit in pathlen. */
int	attrib_parse_cgroup(const char *text, size_t len, char *path, size_t pathlen);
/* The container id (64 hex digits) in a cgroup path: docker, containerd, cri-o,
 * podman, kubepods.  The innermost one wins.  0 found, -1 none. */
int	attrib_container_id(const char *cgroup_path, char *id, size_t idlen);

const char *attrib_how_name(enum attrib_how how);
void	attrib_get_stats(const struct attrib *a, struct attrib_stats *st);

#endif
