/*
 * attrib.c - the owner of a local socket: sock_diag gives its inode and uid; the
 * pid comes from the latest owners, kept open, from the processes born since the
 * last look, else from a map built by a (rate-limited) scan of PROC/[pid]/fd.
 * Must never report a guessed owner nor allocate per lookup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "attrib.h"
#include "cgroupid.h"

#define MAP_SLOTS	(1u << 17)	/* sockets known at once; power of two */
#define DENTS_LEN	32768
#define NEW_DENTS_LEN	2048		/* one read of the /proc listing past the mark */
#define PID_DENT_LEN	32		/* a pid's dirent64: 19 bytes, the name and a NUL, aligned to 8 */
#define NLBUF_LEN	8192
#define FILE_LEN	4096		/* /proc/PID/cgroup read at most this far */
#define PROCS		16		/* latest owners remembered */
#define KEEP_AFTER	2		/* kept open once found this many times */
#define NEW_PIDS_MAX	256		/* processes born since the last look, tried first */
#define FD_ORDER_MAX	4096		/* fds of one process read newest first */
/*
 * fs/proc/base.c: the entry of pid P in the /proc listing sits at position
 * TGID_OFFSET + P (FIRST_PROCESS_ENTRY + 2 = 258).  Only where a listing of
 * the new pids starts: what it returns is filtered by pid, so a kernel that
 * laid /proc out otherwise would cost a scan, never misname an owner.
 */
#define PROC_TGID_OFFSET	258

struct map_slot {
	uint64_t	inode;		/* 0 = empty */
	uint32_t	pid;
};

/*
 * One of the latest owners.  fdd pins the process: a procfs directory belongs
 * to the process that had the pid when it was opened, and everything read
 * through it (its fd entries, ../exe, ../cgroup) fails with ENOENT or ESRCH
 * once that process is gone, even when the pid has been given to another
 * since.  So a lookup reads the socket and the process through one fdd, and
 * an owner found again and again keeps its fdd open between lookups.
 */
struct proc {
	uint32_t	pid;		/* 0: a free slot */
	int		fdd;		/* PROC/pid/fd while attached; -1 */
	int		cgfd;		/* PROC/pid/cgroup, opened with fdd; -1 */
	int		hint;		/* the fd its last socket found was at; -1 none */
	unsigned	hits;		/* lookups it was found by */
	uint64_t	used;		/* the least recently used goes first */
};

struct attrib {
	int		rootfd;		/* proc_root, O_DIRECTORY */
	int		nl;		/* NETLINK_SOCK_DIAG */
	bool		procfs;		/* rootfd is a procfs: it lists processes only, by pid */
	uint32_t	seq;
	unsigned	rescan_limit;	/* per second */
	time_t		window;		/* the second rescans are counted in */
	unsigned	window_rescans;
	struct proc	procs[PROCS];
	struct proc	thread;		/* a new thread found holding the socket */
	uint32_t	thread_tgid;	/* its process */
	uint64_t	clock;		/* stamps proc.used */
	int		new_hint;	/* the fd the last new process's socket was at; -1 none */
	uint32_t	pid_mark;	/* ns_last_pid when pids were last looked at; 0 unknown */
	int		lastpidfd;	/* PROC/sys/kernel/ns_last_pid, -1 none */
	bool		cmdline;	/* read PROC/pid/cmdline */
	struct cgroupid	*cg;		/* a socket's cgroup id -> path; NULL: /proc only */
	struct attrib_stats st;
	struct map_slot	*map;		/* MAP_SLOTS entries, rebuilt whole by each scan */
	uint32_t	map_used;
	uint32_t	newpids[NEW_PIDS_MAX];	/* a ring: the newest NEW_PIDS_MAX seen */
	_Alignas(8) char dents[DENTS_LEN];	/* the PROC listing */
	_Alignas(8) char fddents[DENTS_LEN];	/* one PROC/PID/fd listing */
	int32_t		fdnums[FD_ORDER_MAX];	/* one process's fd numbers */
	_Alignas(4) char nlbuf[NLBUF_LEN];
	char		file[FILE_LEN];
};

/* --- the inode -> pid map --- */

static uint32_t
map_hash(uint64_t inode)
{
	return (uint32_t)((inode * 0x9e3779b97f4a7c15ull) >> 32) & (MAP_SLOTS - 1);
}

/*
 * replace: the caller has just seen pid hold inode, so an older entry goes.
 * Otherwise a shared socket keeps the first holder found.  The map is never
 * filled past half, so that a miss ends at an empty slot within a few probes;
 * it empties at each scan.
 */
static void
map_put(struct attrib *a, uint64_t inode, uint32_t pid, bool replace)
{
	uint32_t i = map_hash(inode);

	for (;; i = (i + 1) & (MAP_SLOTS - 1)) {
		if (a->map[i].inode == inode) {
			if (replace)
				a->map[i].pid = pid;
			return;
		}
		if (a->map[i].inode == 0)
			break;
	}
	if (a->map_used >= MAP_SLOTS / 2) {
		a->st.map_full++;
		return;
	}
	a->map[i].inode = inode;
	a->map[i].pid = pid;
	a->map_used++;
}

static int
map_get(const struct attrib *a, uint64_t inode, uint32_t *pid)
{
	uint32_t i = map_hash(inode);

	for (;; i = (i + 1) & (MAP_SLOTS - 1)) {
		if (a->map[i].inode == 0)
			return -1;
		if (a->map[i].inode == inode) {
			*pid = a->map[i].pid;
			return 0;
		}
	}
}

static void
map_clear(struct attrib *a)
{
	memset(a->map, 0, MAP_SLOTS * sizeof(*a->map));
	a->map_used = 0;
}

/* --- /proc --- */

static int
parse_u64(const char *s, size_t len, uint64_t *v)
{
	uint64_t x = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* "socket:[12345]" -> 12345 */
static int
socket_inode(const char *link, size_t len, uint64_t *inode)
{
	static const char pre[] = "socket:[";
	size_t pl = sizeof(pre) - 1;

	if (len < pl + 2 || memcmp(link, pre, pl) != 0 || link[len - 1] != ']')
		return -1;
	return parse_u64(link + pl, len - pl - 1, inode);
}

static int
name_pid(const char *name, uint32_t *pid)
{
	uint64_t v;

	if (parse_u64(name, strlen(name), &v) == -1 || v == 0 || v > UINT32_MAX)
		return -1;
	*pid = (uint32_t)v;
	return 0;
}

static int
cmp_desc(const void *x, const void *y)
{
	int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;

	return a < b ? 1 : a > b ? -1 : 0;
}

static int
cmp_pid_desc(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? 1 : a > b ? -1 : 0;
}

/* The socket inode behind entry name of an fd directory: 0, or -1 (not a socket, closed). */
static int
fd_socket(int fdd, const char *name, uint64_t *inode)
{
	char link[64];
	ssize_t ll;

	ll = readlinkat(fdd, name, link, sizeof(link));
	if (ll <= 0 || (size_t)ll >= sizeof(link))
		return -1;
	return socket_inode(link, (size_t)ll, inode);
}

/* Whether fd number fdnum of the fd directory fdd is socket want. */
static bool
fd_is(int fdd, int fdnum, uint64_t want)
{
	char name[16];
	uint64_t ino;

	if (fdnum < 0)
		return false;
	snprintf(name, sizeof(name), "%d", fdnum);
	return fd_socket(fdd, name, &ino) == 0 && ino == want;
}

/*
 * Read the fd directory fdd (of pid) from its start.  want == 0: put every
 * socket in the map, return 0.  want != 0: return 1 as soon as that inode is
 * found, with its fd number in *at, else 0; the highest fds are read first
 * (a socket just made is most often the newest fd), and skip1 and skip2, tried
 * already, are not read again.  -1 when the directory cannot be read: the
 * process is gone.
 */
static int
fd_walk(struct attrib *a, int fdd, uint32_t pid, uint64_t want, int skip1, int skip2,
    int *at)
{
	int found = 0;
	size_t nfd = 0;
	long n;

	if (lseek(fdd, 0, SEEK_SET) == -1)
		return -1;
	/* a listing that left room for another entry was the whole listing */
	n = (long)sizeof(a->fddents);
	while (!found && n > (long)sizeof(a->fddents) - 512) {
		n = getdents64(fdd, a->fddents, sizeof(a->fddents));
		if (n == -1 && nfd == 0 && want != 0)
			return -1;
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(a->fddents + off);
			uint64_t ino;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			if (want != 0 && nfd < FD_ORDER_MAX &&
			    parse_u64(d->d_name, strlen(d->d_name), &ino) == 0 &&
			    ino <= INT32_MAX) {
				a->fdnums[nfd++] = (int32_t)ino;	/* read below, newest first */
				continue;
			}
			if (fd_socket(fdd, d->d_name, &ino) == -1)
				continue;
			if (want == 0) {
				map_put(a, ino, pid, false);
			} else if (ino == want) {
				if (parse_u64(d->d_name, strlen(d->d_name), &ino) == 0 &&
				    ino <= INT32_MAX)
					*at = (int)ino;
				found = 1;
				break;
			}
		}
	}
	qsort(a->fdnums, nfd, sizeof(a->fdnums[0]), cmp_desc);
	for (size_t i = 0; !found && i < nfd; i++) {
		if (a->fdnums[i] == skip1 || a->fdnums[i] == skip2)
			continue;
		if (fd_is(fdd, a->fdnums[i], want)) {
			*at = a->fdnums[i];
			found = 1;
		}
	}
	return found;
}

/* PROC/sys/kernel/ns_last_pid: the pid the kernel gave out last.  0 or -1. */
static int
last_pid(struct attrib *a, uint32_t *pid)
{
	char buf[24];
	ssize_t n;
	uint64_t v;

	if (a->lastpidfd == -1)
		a->lastpidfd = openat(a->rootfd, "sys/kernel/ns_last_pid",
		    O_RDONLY | O_CLOEXEC);
	if (a->lastpidfd == -1)
		return -1;
	n = pread(a->lastpidfd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	if (parse_u64(buf, (size_t)n, &v) == -1 || v == 0 || v > UINT32_MAX)
		return -1;
	*pid = (uint32_t)v;
	return 0;
}

/*
 * The processes born since mark, up to last, newest first in a->newpids;
 * their count.  /proc lists thread-group leaders only, so each is a process
 * (a thread's sockets are its process's).  On a procfs the listing starts at
 * the mark and ends at the first pid past last.  When pids have wrapped, only
 * those from 1 up to last are listed: the others are left to a scan.
 */
static size_t
new_processes(struct attrib *a, uint32_t mark, uint32_t last)
{
	_Alignas(8) char buf[NEW_DENTS_LEN];
	uint32_t lo = last > mark ? mark : 0;
	size_t seen = 0, n, len = sizeof(buf);
	bool done = false;
	long got;

	/* each entry listed costs the kernel a dentry: on a procfs ask for no
	 * more than there can be new pids, not for the older pids above them */
	if (a->procfs && last - lo < sizeof(buf) / PID_DENT_LEN)
		len = (last - lo) * PID_DENT_LEN;
	if (lseek(a->rootfd, a->procfs ? PROC_TGID_OFFSET + (off_t)lo + 1 : 0,
	    SEEK_SET) == -1)
		return 0;
	while (!done && (got = getdents64(a->rootfd, buf, len)) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
			uint32_t pid;

			off += d->d_reclen;
			if (name_pid(d->d_name, &pid) == -1 || pid <= lo)
				continue;
			if (pid > last) {
				done = a->procfs;	/* in pid order: the rest are later */
				continue;
			}
			a->newpids[seen++ % NEW_PIDS_MAX] = pid;
		}
		if (a->procfs && seen >= last - lo)
			done = true;	/* there can be no more */
	}
	n = seen < NEW_PIDS_MAX ? seen : NEW_PIDS_MAX;
	qsort(a->newpids, n, sizeof(a->newpids[0]), cmp_pid_desc);
	return n;
}

/* --- the latest owners --- */

/* Close p's handles; the entry stays. */
static void
proc_detach(struct proc *p)
{
	if (p->fdd != -1)
		close(p->fdd);
	if (p->cgfd != -1)
		close(p->cgfd);
	p->fdd = p->cgfd = -1;
}

static void
proc_forget(struct proc *p)
{
	proc_detach(p);
	p->pid = 0;
	p->hint = -1;
	p->hits = 0;
	p->used = 0;
}

/* Open the fd directory of whoever has p->pid now, unless open already.
 * 0, or -1: no such process (or not ours to read). */
static int
proc_attach(struct attrib *a, struct proc *p)
{
	char path[24];

	if (p->fdd != -1)
		return 0;
	snprintf(path, sizeof(path), "%u/fd", p->pid);
	p->fdd = openat(a->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return p->fdd == -1 ? -1 : 0;
}

/*
 * At the end of a lookup, close the handles of the owners found fewer than
 * KEEP_AFTER times.  Most of those are short-lived: closed while the process
 * lives, a handle costs little; held past its exit, the last close pays for
 * tearing down its /proc entries.
 */
static void
procs_release(struct attrib *a)
{
	for (size_t i = 0; i < PROCS; i++)
		if (a->procs[i].hits < KEEP_AFTER)
			proc_detach(&a->procs[i]);
	proc_detach(&a->thread);
}

static struct proc *
proc_find(struct attrib *a, uint32_t pid)
{
	for (size_t i = 0; i < PROCS; i++)
		if (a->procs[i].pid == pid)
			return &a->procs[i];
	return NULL;
}

/* Take p (and its handles) into a free slot, or the least recently used one's. */
static struct proc *
proc_keep(struct attrib *a, const struct proc *p)
{
	struct proc *slot = &a->procs[0];

	for (size_t i = 0; i < PROCS; i++) {
		if (a->procs[i].pid == 0) {
			slot = &a->procs[i];
			break;
		}
		if (a->procs[i].used < slot->used)
			slot = &a->procs[i];
	}
	proc_forget(slot);
	*slot = *p;
	return slot;
}

/*
 * Whether p (attached) holds socket want: 1 (p->hint set to its fd), 0 not,
 * -1 gone.  First the fd its last socket was at (unless tried already), then,
 * as a socket takes the lowest free number, the last fd of a table without
 * holes; then the whole listing, newest first.
 */
static int
proc_search(struct attrib *a, struct proc *p, uint64_t want, bool hint_tried)
{
	struct stat sb;
	int guess = -1, at = -1, r;

	if (!hint_tried && fd_is(p->fdd, p->hint, want)) {
		a->st.probe_hits++;
		return 1;
	}
	/* a procfs fd directory's size is its number of open fds (Linux 6.2) */
	if (a->procfs && fstat(p->fdd, &sb) == 0 && sb.st_size > 0 &&
	    sb.st_size <= INT_MAX) {
		guess = (int)sb.st_size - 1;
		if (guess != p->hint && fd_is(p->fdd, guess, want)) {
			p->hint = guess;
			a->st.probe_hits++;
			return 1;
		}
	}
	r = fd_walk(a, p->fdd, p->pid, want, p->hint, guess, &at);
	if (r == 1)
		p->hint = at;
	return r;
}

/*
 * p's process is gone: search whoever has its pid now (if anyone), as a
 * process never seen.  1, 0 or -1 as proc_search.
 */
static int
proc_research(struct attrib *a, struct proc *p, uint64_t want)
{
	proc_detach(p);
	p->hits = 0;
	if (proc_attach(a, p) == -1)
		return -1;
	return proc_search(a, p, want, false);
}

/*
 * Whether the process that has pid now holds socket want: 1 with *pp (an
 * entry, attached), 0 not, -1 no such process.  hint: the fd to try first
 * when pid has no entry.  An entry kept open whose process is gone is opened
 * again: the pid may be another process's by now.
 */
static int
holder(struct attrib *a, uint32_t pid, uint64_t want, int hint, struct proc **pp)
{
	struct proc *k = proc_find(a, pid);
	struct proc tmp = { .pid = pid, .fdd = -1, .cgfd = -1, .hint = hint };
	struct proc *p = k != NULL ? k : &tmp;
	int r;

	if (p->fdd != -1) {
		r = proc_search(a, p, want, false);
		if (r == -1)
			r = proc_research(a, p, want);
	} else {
		r = proc_attach(a, p) == 0 ? proc_search(a, p, want, false) : -1;
	}
	if (r == 1) {
		*pp = k != NULL ? k : proc_keep(a, &tmp);
		return 1;
	}
	if (k == NULL)
		proc_detach(&tmp);
	else if (r == -1)
		proc_forget(k);
	return r;
}

static ssize_t	read_file_at(int, const char *, char *, size_t);

/* The Tgid of a PROC/pid/status text: 0, or -1. */
static int
status_tgid(const char *text, uint32_t *tgid)
{
	const char *t = strstr(text, "\nTgid:");
	uint64_t v;
	size_t n;

	if (t == NULL)
		return -1;
	for (t += 6; *t == '\t' || *t == ' '; t++)
		;
	for (n = 0; t[n] >= '0' && t[n] <= '9'; n++)
		;
	if (parse_u64(t, n, &v) == -1 || v == 0 || v > UINT32_MAX)
		return -1;
	*tgid = (uint32_t)v;
	return 0;
}

/*
 * The ids born in (lo, last] that the listing did not give as processes
 * (a->newpids[0..nproc), newest first): new threads, of older processes too.
 * PROC/tid is there though not listed, and shows the thread's fd table (its
 * process's, or its own if it does not share it).  A match is read through
 * it, so exe and cgroup are the thread's (the same as its process's but for
 * a threaded cgroup), and named by the Tgid of its status.  0 with a->thread
 * attached and a->thread_tgid, or -1.
 */
static int
new_threads(struct attrib *a, uint32_t lo, uint32_t last, size_t nproc, uint64_t want)
{
	struct proc *t = &a->thread;
	size_t j = 0, tried = 0;

	for (uint32_t id = last; id > lo && tried < NEW_PIDS_MAX; id--) {
		while (j < nproc && a->newpids[j] > id)
			j++;
		if (j < nproc && a->newpids[j] == id)
			continue;	/* a process, searched already */
		tried++;
		t->pid = id;
		t->hint = -1;
		if (proc_attach(a, t) == -1)
			continue;	/* gone */
		if (proc_search(a, t, want, true) == 1 &&
		    read_file_at(t->fdd, "../status", a->file, sizeof(a->file)) > 0 &&
		    status_tgid(a->file, &a->thread_tgid) == 0)
			return 0;
		proc_detach(t);
	}
	return -1;
}

/*
 * The cheap searches a miss tries before a full scan: the latest owner at
 * the fd of its latest socket, when it was found before (a client that
 * connects again); the processes born since the last look, newest first (a
 * short-lived client); the other latest owners; then the threads born since.
 * 0 with *pp (attached; a->thread for a thread), or -1.
 */
static int
quick_search(struct attrib *a, uint64_t want, struct proc **pp)
{
	struct proc *mru = NULL, *p;
	uint32_t last, lo = 0;
	bool born = false;	/* pids were given out since the last look */
	size_t n = 0;
	int r;

	for (size_t i = 0; i < PROCS; i++)
		if (a->procs[i].pid != 0 && (mru == NULL || a->procs[i].used > mru->used))
			mru = &a->procs[i];
	if (mru != NULL && mru->hits < KEEP_AFTER)
		mru = NULL;	/* most likely a short-lived one, gone by now */
	if (mru != NULL && proc_attach(a, mru) == -1) {
		proc_forget(mru);	/* gone */
		mru = NULL;
	}
	if (mru != NULL && fd_is(mru->fdd, mru->hint, want)) {
		a->st.probe_hits++;
		*pp = mru;
		return 0;
	}
	if (a->pid_mark != 0 && last_pid(a, &last) == 0 && last != a->pid_mark) {
		born = true;
		lo = last > a->pid_mark ? a->pid_mark : 0;
		n = new_processes(a, a->pid_mark, last);
		a->pid_mark = last;	/* what was not looked at is left to a scan */
		for (size_t i = 0; i < n; i++) {
			if (holder(a, a->newpids[i], want, a->new_hint, pp) == 1) {
				a->new_hint = (*pp)->hint;
				return 0;
			}
		}
	}
	for (size_t i = 0; i < PROCS; i++) {
		p = &a->procs[i];
		if (p->pid == 0 || p == mru)
			continue;
		if (proc_attach(a, p) == -1) {
			proc_forget(p);
			continue;
		}
		if (fd_is(p->fdd, p->hint, want)) {
			a->st.probe_hits++;
			*pp = p;
			return 0;
		}
	}
	for (size_t i = 0; i < PROCS; i++) {
		p = &a->procs[i];
		if (p->pid == 0 || p->fdd == -1)
			continue;
		r = proc_search(a, p, want, true);
		if (r == -1 && p->hits >= KEEP_AFTER)
			r = proc_research(a, p, want);	/* kept open past its exit */
		if (r == 1) {
			*pp = p;
			return 0;
		}
		if (r == -1)
			proc_forget(p);
	}
	if (born && new_threads(a, lo, last, n, want) == 0) {
		*pp = &a->thread;
		return 0;
	}
	return -1;
}

static void
rescan(struct attrib *a)
{
	long n;

	map_clear(a);
	a->st.rescans++;
	(void)last_pid(a, &a->pid_mark);	/* read first: later pids are new */
	if (lseek(a->rootfd, 0, SEEK_SET) == -1)
		return;
	while ((n = getdents64(a->rootfd, a->dents, sizeof(a->dents))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(a->dents + off);
			struct proc p = { .fdd = -1, .cgfd = -1 };

			off += d->d_reclen;
			if (name_pid(d->d_name, &p.pid) == -1 || proc_attach(a, &p) == -1)
				continue;
			(void)fd_walk(a, p.fdd, p.pid, 0, -1, -1, NULL);
			proc_detach(&p);
		}
	}
}

static bool
rescan_allowed(struct attrib *a)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (ts.tv_sec != a->window) {
		a->window = ts.tv_sec;
		a->window_rescans = 0;
	}
	if (a->window_rescans >= a->rescan_limit)
		return false;
	a->window_rescans++;
	return true;
}

/* Read fd from offset 0 into buf (at most len - 1 bytes, NUL added); length or -1. */
static ssize_t
read_whole(int fd, char *buf, size_t len)
{
	ssize_t n, got = 0;

	while ((size_t)got < len - 1) {
		n = pread(fd, buf + got, len - 1 - (size_t)got, got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && got == 0) {
			buf[0] = '\0';
			return -1;
		}
		if (n <= 0)
			break;
		got += n;
		if ((size_t)n < len / 2)
			break;	/* /proc gives a small file whole in one read */
	}
	buf[got] = '\0';
	return got;
}

/* Read name (relative to dirfd) into buf as read_whole does; length or -1. */
static ssize_t
read_file_at(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		buf[0] = '\0';
		return -1;
	}
	n = read_whole(fd, buf, len);
	close(fd);
	return n;
}

/*
 * Fill o's process fields from p, through its fd directory so that all of it
 * is the same process's, and name it pid.  exe, cmdline and cgroup are read
 * at each lookup: an exec or a move to another cgroup keeps the pid.  0, or
 * -1 with o->why set when the process is gone or cannot be read.
 */
static int
read_process(struct attrib *a, struct proc *p, uint32_t pid, uint64_t cgid,
    struct attrib_owner *o)
{
	struct stat sb;
	ssize_t n;

	n = readlinkat(p->fdd, "../exe", o->exe, sizeof(o->exe));
	if (n == -1 && (errno == EACCES || errno == EPERM)) {
		o->why = "not permitted";
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof(o->exe))
		n = 0;		/* a kernel thread, or too long to give whole */
	o->exe[n] = '\0';
	/* an exe that could be read says the process is there */
	if (n == 0 && fstatat(p->fdd, "../fd", &sb, 0) == -1) {
		o->why = "process gone";
		return -1;
	}

	n = a->cmdline ? read_file_at(p->fdd, "../cmdline", o->cmdline,
	    sizeof(o->cmdline)) : 0;
	if (n < 0)
		n = 0;
	for (ssize_t i = 0; i < n; i++)
		if (o->cmdline[i] == '\0')
			o->cmdline[i] = ' ';
	while (n > 0 && o->cmdline[n - 1] == ' ')
		o->cmdline[--n] = '\0';

	/* the socket's cgroup, by id, else the process's from /proc */
	if (cgid != 0 && a->cg != NULL &&
	    cgroupid_path(a->cg, cgid, o->cgroup, sizeof(o->cgroup)) == 0) {
		a->st.cgroup_by_id++;
	} else {
		if (p->cgfd == -1)
			p->cgfd = openat(p->fdd, "../cgroup", O_RDONLY | O_CLOEXEC);
		n = p->cgfd == -1 ? -1 : read_whole(p->cgfd, a->file, sizeof(a->file));
		if (n < 0 || attrib_parse_cgroup(a->file, (size_t)n, o->cgroup,
		    sizeof(o->cgroup)) == -1)
			o->cgroup[0] = '\0';
	}
	if (o->cgroup[0] == '\0' ||
	    attrib_container_id(o->cgroup, o->container, sizeof(o->container)) == -1)
		o->container[0] = '\0';
	o->pid = pid;
	o->has_pid = true;
	return 0;
}

static void
owner_clear_process(struct attrib_owner *o)
{
	o->pid = 0;
	o->has_pid = false;
	o->exe[0] = o->cgroup[0] = o->container[0] = o->cmdline[0] = '\0';
}

static int
owner_of_inode(struct attrib *a, uint64_t inode, uint64_t cgid, struct attrib_owner *o)
{
	struct proc *p = NULL;
	uint32_t pid;
	bool stale = false;

	owner_clear_process(o);
	o->inode = inode;
	if (map_get(a, inode, &pid) == 0) {
		if (holder(a, pid, inode, -1, &p) == 1)
			goto read;
		stale = true;
	}
	if (quick_search(a, inode, &p) == 0) {
		a->st.quick_hits++;
		goto read;
	}
	if (!rescan_allowed(a)) {
		a->st.rescans_skipped++;
		o->why = "process unknown: rescan limit reached";
		goto miss;
	}
	rescan(a);
	if (map_get(a, inode, &pid) == 0) {
		if (holder(a, pid, inode, -1, &p) == 1)
			goto read;
		o->why = "process gone";
		goto miss;
	}
	o->why = stale ? "process gone" : "socket without process";
	goto miss;
read:
	if (p == &a->thread) {
		pid = a->thread_tgid;
		if (proc_find(a, pid) == NULL) {	/* its process: tried at the next miss */
			struct proc e = { .pid = pid, .fdd = -1, .cgfd = -1, .hint = -1 };

			proc_keep(a, &e)->used = ++a->clock;
		}
	} else {
		pid = p->pid;
		p->used = ++a->clock;
		if (p->hits < UINT_MAX)
			p->hits++;
	}
	map_put(a, inode, pid, true);
	if (read_process(a, p, pid, cgid, o) == 0)
		goto found;
miss:
	procs_release(a);
	owner_clear_process(o);
	o->how = ATTRIB_NONE;
	a->st.no_process++;
	return -1;
found:
	procs_release(a);
	o->how = ATTRIB_SOCK_DIAG_PROC;
	o->why = NULL;
	a->st.found++;
	return 0;
}

/* --- sock_diag --- */

/* The INET_DIAG_CGROUP_ID after m (kernels from 5.7 add it unasked); 0 none. */
static uint64_t
diag_cgroup_id(const struct nlmsghdr *h, const struct inet_diag_msg *m)
{
	const struct rtattr *rta = (const struct rtattr *)(const void *)(m + 1);
	size_t left = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	uint64_t id;

	for (; RTA_OK(rta, left); rta = RTA_NEXT(rta, left))
		if (rta->rta_type == INET_DIAG_CGROUP_ID &&
		    RTA_PAYLOAD(rta) >= sizeof(id)) {
			memcpy(&id, RTA_DATA(rta), sizeof(id));
			return id;
		}
	return 0;
}

/* 0 with *inode, *uid and *cgid (0: none given), -1 with *why. */
static int
diag_query(struct attrib *a, const struct flow_key *k, bool local_is_src,
    uint64_t *inode, uint32_t *uid, uint64_t *cgid, const char **why)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	r;
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const struct addr *la = local_is_src ? &k->src : &k->dst;
	const struct addr *ra = local_is_src ? &k->dst : &k->src;
	uint16_t lp = local_is_src ? k->sport : k->dport;
	uint16_t rp = local_is_src ? k->dport : k->sport;
	size_t alen = la->family == 4 ? 4 : 16;
	uint32_t seq = ++a->seq;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	req.r.sdiag_family = la->family == 4 ? AF_INET : AF_INET6;
	req.r.sdiag_protocol = k->proto;
	req.r.idiag_states = ~0u;
	req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (k->proto == IPPROTO_TCP) {
		/* the TCP lookup takes src as the local side */
		memcpy(req.r.id.idiag_src, la->b, alen);
		memcpy(req.r.id.idiag_dst, ra->b, alen);
		req.r.id.idiag_sport = htons(lp);
		req.r.id.idiag_dport = htons(rp);
	} else {
		/* udp_diag passes src as the packet source of an inbound
		 * lookup: the remote side ("swapped for historical reasons") */
		memcpy(req.r.id.idiag_src, ra->b, alen);
		memcpy(req.r.id.idiag_dst, la->b, alen);
		req.r.id.idiag_sport = htons(rp);
		req.r.id.idiag_dport = htons(lp);
	}

	if (sendto(a->nl, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) != (ssize_t)sizeof(req)) {
		*why = "sock_diag send failed";
		return -1;
	}
	for (;;) {
		n = recv(a->nl, a->nlbuf, sizeof(a->nlbuf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why = "sock_diag no answer";
			return -1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)a->nlbuf;
		    NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct inet_diag_msg *m;

			if (h->nlmsg_seq != seq)
				continue;	/* the late answer to an earlier query */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ||
				    e->error != -ENOENT)
					*why = "sock_diag error";
				else
					*why = "no socket";
				return -1;
			}
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = NLMSG_DATA(h);
			/* the answer always names the local side as src */
			if (ntohs(m->id.idiag_sport) != lp) {
				*why = "sock_diag answered another socket";
				return -1;
			}
			if (m->idiag_inode == 0) {
				*why = "socket without inode";	/* time-wait, request */
				return -1;
			}
			*inode = m->idiag_inode;
			*uid = m->idiag_uid;
			*cgid = diag_cgroup_id(h, m);
			return 0;
		}
	}
}

/* --- the API --- */

struct attrib *
attrib_new(const char *proc_root, char *err, size_t errlen)
{
	struct attrib *a;
	struct timeval tv = { .tv_sec = 1 };
	struct statfs sf;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->nl = -1;
	a->rootfd = -1;
	a->lastpidfd = -1;
	a->new_hint = -1;
	for (size_t i = 0; i < PROCS; i++)
		a->procs[i].fdd = a->procs[i].cgfd = a->procs[i].hint = -1;	/* all free */
	a->thread.fdd = a->thread.cgfd = a->thread.hint = -1;
	a->cmdline = true;
	a->rescan_limit = 10;
	a->map = calloc(MAP_SLOTS, sizeof(*a->map));
	if (a->map == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	a->rootfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (a->rootfd == -1) {
		snprintf(err, errlen, "%s: %s", proc_root, strerror(errno));
		goto fail;
	}
	a->procfs = fstatfs(a->rootfd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	a->nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (a->nl == -1) {
		snprintf(err, errlen, "sock_diag socket: %s", strerror(errno));
		goto fail;
	}
	/* the socket's cgroup by id: only with the machine's own /proc */
	if (a->procfs && (a->cg = cgroupid_new(NULL, err, errlen)) == NULL)
		goto fail;
	/* an exact query is answered at once; the bound is for a broken kernel */
	(void)setsockopt(a->nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return a;
fail:
	attrib_free(a);
	return NULL;
}

void
attrib_free(struct attrib *a)
{
	if (a == NULL)
		return;
	if (a->nl != -1)
		close(a->nl);
	if (a->rootfd != -1)
		close(a->rootfd);
	if (a->lastpidfd != -1)
		close(a->lastpidfd);
	for (size_t i = 0; i < PROCS; i++)
		proc_detach(&a->procs[i]);
	proc_detach(&a->thread);
	cgroupid_free(a->cg);
	free(a->map);
	free(a);
}

void
attrib_prime(struct attrib *a)
{
	rescan(a);
}

void
attrib_set_cmdline(struct attrib *a, bool on)
{
	a->cmdline = on;
}

void
attrib_set_rescan_limit(struct attrib *a, unsigned per_sec)
{
	a->rescan_limit = per_sec;
}

static void
owner_reset(struct attrib_owner *o)
{
	o->how = ATTRIB_NONE;
	o->why = NULL;
	o->uid = 0;
	o->has_uid = false;
	o->inode = 0;
	owner_clear_process(o);
}

int
attrib_lookup(struct attrib *a, const struct flow_key *k, bool local_is_src,
    struct attrib_owner *o)
{
	uint64_t inode, cgid;
	uint32_t uid;

	owner_reset(o);
	a->st.lookups++;
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP) {
		o->why = "not tcp or udp";
		a->st.no_socket++;
		return -1;
	}
	if ((k->src.family != 4 && k->src.family != 6) || k->dst.family != k->src.family) {
		o->why = "bad address";
		a->st.no_socket++;
		return -1;
	}
	if (diag_query(a, k, local_is_src, &inode, &uid, &cgid, &o->why) == -1) {
		a->st.no_socket++;
		return -1;
	}
	o->uid = uid;
	o->has_uid = true;
	return owner_of_inode(a, inode, cgid, o);
}

int
attrib_owner_of_inode(struct attrib *a, uint64_t inode, struct attrib_owner *o)
{
	a->st.lookups++;
	o->how = ATTRIB_NONE;
	o->why = NULL;
	if (inode == 0) {
		owner_clear_process(o);
		o->inode = 0;
		o->why = "socket without inode";
		a->st.no_socket++;
		return -1;
	}
	return owner_of_inode(a, inode, 0, o);
}

/* --- the pure parsers --- */

int
attrib_parse_cgroup(const char *text, size_t len, char *path, size_t pathlen)
{
	size_t i = 0;

	if (pathlen == 0)
		return -1;
	path[0] = '\0';
	while (i < len) {
		size_t eol = i;

		while (eol < len && text[eol] != '\n')
			eol++;
		if (eol - i >= 3 && memcmp(text + i, "0::", 3) == 0) {
			size_t pl = eol - i - 3;

			/* cut is worse than none: a prefix rule could match it */
			if (pl == 0 || pl >= pathlen || text[i + 3] != '/' ||
			    memchr(text + i + 3, '\0', pl) != NULL)
				return -1;
			memcpy(path, text + i + 3, pl);
			path[pl] = '\0';
			return 0;
		}
		i = eol + 1;
	}
	return -1;
}

static bool
all_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* A 64-hex id in one path component, given the component before it. */
static const char *
component_id(const char *c, size_t len, const char *prev, size_t prevlen,
    bool kube)
{
	static const char *const scoped[] = {
		"docker-", "cri-containerd-", "crio-", "libpod-",
	};
	static const char scope[] = ".scope";
	size_t sl = sizeof(scope) - 1;

	for (size_t i = 0; i < sizeof(scoped) / sizeof(scoped[0]); i++) {
		size_t pl = strlen(scoped[i]);

		if (len == pl + 64 + sl && memcmp(c, scoped[i], pl) == 0 &&
		    memcmp(c + pl + 64, scope, sl) == 0 && all_hex(c + pl, 64))
			return c + pl;
	}
	/* cgroupfs driver: /docker/<id>, /kubepods/.../pod<uid>/<id> */
	if (len == 64 && all_hex(c, 64) &&
	    (kube || (prevlen == 6 && memcmp(prev, "docker", 6) == 0)))
		return c;
	return NULL;
}

int
attrib_container_id(const char *cgroup_path, char *id, size_t idlen)
{
	const char *p = cgroup_path, *prev = "", *found = NULL;
	size_t prevlen = 0;
	bool kube = strstr(cgroup_path, "kubepods") != NULL;

	while (*p != '\0') {
		const char *c, *hit;
		size_t len;

		while (*p == '/')
			p++;
		c = p;
		while (*p != '\0' && *p != '/')
			p++;
		len = (size_t)(p - c);
		if (len == 0)
			break;
		hit = component_id(c, len, prev, prevlen, kube);
		if (hit != NULL)
			found = hit;	/* innermost wins */
		prev = c;
		prevlen = len;
	}
	if (found == NULL || idlen < 65)
		return -1;
	memcpy(id, found, 64);
	id[64] = '\0';
	return 0;
}

const char *
attrib_how_name(enum attrib_how how)
{
	switch (how) {
	case ATTRIB_SOCK_DIAG_PROC:
		return "sock_diag";
	case ATTRIB_NONE:
		break;
	}
	return "none";
}

void
attrib_get_stats(const struct attrib *a, struct attrib_stats *st)
{
	*st = a->st;
}
