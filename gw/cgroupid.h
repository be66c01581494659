/*
 * cgroupid.h - the cgroup v2 path of a cgroup id (as sock_diag gives a
 * socket's), through a file handle on the cgroup2 mount; cached.
 */
#ifndef OUTGATE_CGROUPID_H
#define OUTGATE_CGROUPID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGROUPID_PATH_LEN	512

struct cgroupid_stats {
	uint64_t	resolved;	/* ids asked of the kernel */
	uint64_t	failed;		/* of those, not named (gone, not permitted) */
	uint64_t	cached;		/* answered from the cache */
};

struct cgroupid;

/*
 * Finds the first cgroup2 mount of its whole hierarchy in mountinfo (NULL:
 * /proc/self/mountinfo).  No such mount is no error: cgroupid_path then
 * always fails.  NULL with err set only when out of memory.
 */
struct cgroupid *cgroupid_new(const char *mountinfo, char *err, size_t errlen);
void	cgroupid_free(struct cgroupid *c);

/* Whether lookups can succeed: a cgroup2 mount, and handles not refused. */
bool	cgroupid_usable(const struct cgroupid *c);

/*
 * The path of cgroup id, "/" for the root, as /proc/PID/cgroup's "0::" line
 * would show it.  0, or -1 when it cannot be named (gone, no mount, handles
 * refused for want of CAP_DAC_READ_SEARCH, or longer than len): never cut.
 */
int	cgroupid_path(struct cgroupid *c, uint64_t id, char *path, size_t len);

/* The mount point of the first cgroup2 mount whose root is the hierarchy's
 * ("/"), with octal escapes undone.  0, or -1 when there is none. */
int	cgroupid_parse_mountinfo(const char *text, size_t len, char *mnt, size_t mntlen);

void	cgroupid_get_stats(const struct cgroupid *c, struct cgroupid_stats *st);

#endif
