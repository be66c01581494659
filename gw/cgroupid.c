/*
 * cgroupid.c - the cgroup v2 path of a cgroup id.  sock_diag names the cgroup
 * a socket was made in by its id; the kernel opens that cgroup's directory
 * from a file handle holding the id (kernfs handles: open_by_handle_at on the
 * cgroup2 mount), and the directory's path, less the mount point, is the path
 * /proc/PID/cgroup would show.  Ids are never reused, so a cache of id ->
 * path stays true but for a renamed cgroup: its entries expire.  Nothing
 * allocates after cgroupid_new.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroupid.h"

#define CG_SLOTS	256		/* direct-mapped by id; a power of two */
#define CG_TTL		30		/* seconds an entry is believed */
#define MOUNTINFO_LEN	65536		/* /proc/self/mountinfo read at most this far */
#define FILEID_KERNFS	0xfe		/* include/linux/exportfs.h */

struct cg_slot {
	uint64_t	id;		/* 0: empty */
	time_t		at;		/* when resolved (monotonic seconds) */
	bool		ok;		/* false: the id could not be named */
	char		path[CGROUPID_PATH_LEN];
};

struct cgroupid {
	int		mntfd;		/* the cgroup2 mount's root, -1 none */
	char		mnt[CGROUPID_PATH_LEN];	/* its mount point */
	size_t		mntlen;
	bool		off;		/* handles refused: every lookup fails at once */
	struct cgroupid_stats st;
	struct cg_slot	slot[CG_SLOTS];
};

/* Undo mountinfo's octal escapes (\040 for a space) in place; -1 if malformed. */
static int
unescape(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		if (r[1] < '0' || r[1] > '3' || r[2] < '0' || r[2] > '7' ||
		    r[3] < '0' || r[3] > '7')
			return -1;
		*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
		r += 4;
	}
	*w = '\0';
	return 0;
}

int
cgroupid_parse_mountinfo(const char *text, size_t len, char *mnt, size_t mntlen)
{
	size_t i = 0;

	while (i < len) {
		char line[1024], *field[16], *sep, *save = NULL;
		size_t eol = i, n, nf = 0;

		while (eol < len && text[eol] != '\n')
			eol++;
		n = eol - i;
		if (n < sizeof(line)) {
			memcpy(line, text + i, n);
			line[n] = '\0';
			for (char *t = strtok_r(line, " ", &save); t != NULL && nf < 16;
			    t = strtok_r(NULL, " ", &save))
				field[nf++] = t;
			/* id parent maj:min root mountpoint options [optional...] - fstype source super */
			for (sep = NULL, n = 6; n < nf; n++)
				if (strcmp(field[n], "-") == 0) {
					sep = field[n];
					break;
				}
			if (sep != NULL && n + 1 < nf && strcmp(field[n + 1], "cgroup2") == 0 &&
			    strcmp(field[3], "/") == 0 && unescape(field[4]) == 0 &&
			    field[4][0] == '/' && strlen(field[4]) < mntlen) {
				snprintf(mnt, mntlen, "%s", field[4]);
				return 0;
			}
		}
		i = eol + 1;
	}
	return -1;
}

struct cgroupid *
cgroupid_new(const char *mountinfo, char *err, size_t errlen)
{
	struct cgroupid *c;
	char *text;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->mntfd = -1;
	c->off = true;
	if ((text = malloc(MOUNTINFO_LEN)) == NULL) {
		free(c);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fd = open(mountinfo != NULL ? mountinfo : "/proc/self/mountinfo",
	    O_RDONLY | O_CLOEXEC);
	if (fd != -1) {
		while (got < MOUNTINFO_LEN - 1 &&
		    (n = read(fd, text + got, MOUNTINFO_LEN - 1 - got)) > 0)
			got += (size_t)n;
		close(fd);
	}
	/* no cgroup2 mount (or none readable) is no error: lookups fail, callers fall back */
	if (cgroupid_parse_mountinfo(text, got, c->mnt, sizeof(c->mnt)) == 0 &&
	    (c->mntfd = open(c->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		c->mntlen = strlen(c->mnt);
		if (c->mntlen == 1)
			c->mntlen = 0;	/* mounted on "/": the path is whole */
		c->off = false;
	}
	free(text);
	return c;
}

void
cgroupid_free(struct cgroupid *c)
{
	if (c == NULL)
		return;
	if (c->mntfd != -1)
		close(c->mntfd);
	free(c);
}

bool
cgroupid_usable(const struct cgroupid *c)
{
	return !c->off;
}

/* Open id's directory and read its path, less the mount point, into path. */
static int
resolve(struct cgroupid *c, uint64_t id, char *path, size_t len)
{
	struct {
		struct file_handle	fh;
		unsigned char		id[8];
	} h;
	char link[32], full[CGROUPID_PATH_LEN + 64];
	ssize_t n;
	int fd;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = sizeof(h.id);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->mntfd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd == -1) {
		if (errno == EPERM || errno == EACCES || errno == ENOSYS ||
		    errno == EOPNOTSUPP || errno == EINVAL)
			c->off = true;	/* not ours to use: every lookup falls back */
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	close(fd);
	if (n <= 0 || (size_t)n >= sizeof(full) - 1)
		return -1;
	full[n] = '\0';
	/* a removed cgroup: "... (deleted)"; or not below the mount point */
	if ((size_t)n > 10 && strcmp(full + n - 10, " (deleted)") == 0)
		return -1;
	if (strncmp(full, c->mnt, c->mntlen) != 0 ||
	    (full[c->mntlen] != '/' && full[c->mntlen] != '\0'))
		return -1;
	if (full[c->mntlen] == '\0')
		return snprintf(path, len, "/") < (int)len ? 0 : -1;
	if ((size_t)n - c->mntlen >= len)
		return -1;	/* cut is worse than none: a prefix rule could match it */
	memcpy(path, full + c->mntlen, (size_t)n - c->mntlen + 1);
	return 0;
}

int
cgroupid_path(struct cgroupid *c, uint64_t id, char *path, size_t len)
{
	struct cg_slot *s;
	struct timespec ts;

	if (c->off || id == 0 || len == 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s = &c->slot[(id ^ id >> 17) & (CG_SLOTS - 1)];
	if (s->id != id || ts.tv_sec - s->at >= CG_TTL) {
		s->id = id;
		s->at = ts.tv_sec;
		s->ok = resolve(c, id, s->path, sizeof(s->path)) == 0;
		c->st.resolved++;
		if (!s->ok) {
			c->st.failed++;
			if (c->off)
				s->id = 0;	/* nothing learnt about the id itself */
		}
	} else {
		c->st.cached++;
	}
	if (!s->ok || strlen(s->path) >= len)
		return -1;
	memcpy(path, s->path, strlen(s->path) + 1);
	return 0;
}

void
cgroupid_get_stats(const struct cgroupid *c, struct cgroupid_stats *st)
{
	*st = c->st;
}
