/*
 * attrib.c - the owner of a local socket: sock_diag gives its inode and uid; the
 * pid comes from a map built from PROC/[pid]/fd, else from the pids born since
 * and the recent owners, else from a new (rate-limited) scan.  Must never report a guessed owner nor allocate per lookup.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "attrib.h"

#define MAP_SLOTS	(1u << 17)	/* sockets known at once; power of two */
#define DENTS_LEN	32768
#define NLBUF_LEN	8192
#define FILE_LEN	4096		/* /proc/PID/cgroup read at most this far */
#define RECENT_PIDS	32		/* owners found lately, tried on a miss */
#define NEW_PIDS_MAX	256		/* pids created since the last look, tried first */
#define FD_ORDER_MAX	4096		/* fds of one process read newest first */

struct map_slot {
	uint64_t	inode;		/* 0 = empty */
	uint32_t	pid;
};

struct attrib {
	int		rootfd;		/* proc_root, O_DIRECTORY */
	int		nl;		/* NETLINK_SOCK_DIAG */
	uint32_t	seq;
	unsigned	rescan_limit;	/* per second */
	time_t		window;		/* the second rescans are counted in */
	unsigned	window_rescans;
	uint32_t	recent[RECENT_PIDS];	/* a ring; 0 = empty */
	unsigned	recent_next;
	uint32_t	pid_mark;	/* ns_last_pid when pids were last looked at; 0 unknown */
	int		lastpidfd;	/* PROC/sys/kernel/ns_last_pid, -1 none */
	bool		cmdline;	/* read PROC/pid/cmdline */
	struct attrib_stats st;
	struct map_slot	*map;		/* MAP_SLOTS entries, rebuilt whole by each scan */
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

static void
map_put(struct attrib *a, uint64_t inode, uint32_t pid)
{
	uint32_t i = map_hash(inode);

	for (uint32_t n = 0; n < MAP_SLOTS / 2; n++, i = (i + 1) & (MAP_SLOTS - 1)) {
		if (a->map[i].inode == inode)
			return;		/* shared socket: the first holder found stays */
		if (a->map[i].inode == 0) {
			a->map[i].inode = inode;
			a->map[i].pid = pid;
			return;
		}
	}
	a->st.map_full++;	/* probe bound reached: keep lookups short */
}

static int
map_get(const struct attrib *a, uint64_t inode, uint32_t *pid)
{
	uint32_t i = map_hash(inode);

	for (uint32_t n = 0; n < MAP_SLOTS / 2; n++, i = (i + 1) & (MAP_SLOTS - 1)) {
		if (a->map[i].inode == 0)
			return -1;
		if (a->map[i].inode == inode) {
			*pid = a->map[i].pid;
			return 0;
		}
	}
	return -1;
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

/*
 * Walk PROC/pid/fd.  want == 0: put every socket in the map, return 0.
 * want != 0: return 1 as soon as that inode is found, else 0; the highest
 * fds are read first, since a socket just made is most often the newest fd.
 * -1 when the directory cannot be opened (the process is gone, or not ours
 * to read).
 */
static int
scan_fds(struct attrib *a, uint32_t pid, uint64_t want)
{
	char path[32], link[64];
	int fd, found = 0;
	size_t nfd = 0;
	long n;

	snprintf(path, sizeof(path), "%u/fd", pid);
	fd = openat(a->rootfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	/* a listing that left room for another entry was the whole listing */
	n = (long)sizeof(a->fddents);
	while (!found && n > (long)sizeof(a->fddents) - 512 &&
	    (n = getdents64(fd, a->fddents, sizeof(a->fddents))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(a->fddents + off);
			uint64_t ino;
			ssize_t ll;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			if (want != 0 && nfd < FD_ORDER_MAX &&
			    parse_u64(d->d_name, strlen(d->d_name), &ino) == 0 &&
			    ino <= INT32_MAX) {
				a->fdnums[nfd++] = (int32_t)ino;	/* read below, newest first */
				continue;
			}
			ll = readlinkat(fd, d->d_name, link, sizeof(link));
			if (ll <= 0 || (size_t)ll >= sizeof(link) ||
			    socket_inode(link, (size_t)ll, &ino) == -1)
				continue;
			if (want == 0) {
				map_put(a, ino, pid);
			} else if (ino == want) {
				found = 1;
				break;
			}
		}
	}
	qsort(a->fdnums, nfd, sizeof(a->fdnums[0]), cmp_desc);
	for (size_t i = 0; !found && i < nfd; i++) {
		char name[16];
		uint64_t ino;
		ssize_t ll;

		snprintf(name, sizeof(name), "%d", a->fdnums[i]);
		ll = readlinkat(fd, name, link, sizeof(link));
		if (ll > 0 && (size_t)ll < sizeof(link) &&
		    socket_inode(link, (size_t)ll, &ino) == 0 && ino == want)
			found = 1;
	}
	close(fd);
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

static void
recent_add(struct attrib *a, uint32_t pid)
{
	for (unsigned i = 0; i < RECENT_PIDS; i++)
		if (a->recent[i] == pid)
			return;
	a->recent[a->recent_next] = pid;
	a->recent_next = (a->recent_next + 1) % RECENT_PIDS;
}

static ssize_t read_proc_file(struct attrib *, uint32_t, const char *, char *, size_t);

/* The process (thread group) of a task id: tid itself unless status says otherwise. */
static uint32_t
thread_group(struct attrib *a, uint32_t tid)
{
	const char *t;
	uint64_t v;
	size_t n;

	if (read_proc_file(a, tid, "status", a->file, sizeof(a->file)) <= 0 ||
	    (t = strstr(a->file, "\nTgid:")) == NULL)
		return tid;
	t += 6;
	while (*t == '\t' || *t == ' ')
		t++;
	for (n = 0; t[n] >= '0' && t[n] <= '9'; n++)
		;
	if (parse_u64(t, n, &v) == -1 || v == 0 || v > UINT32_MAX)
		return tid;
	return (uint32_t)v;
}

/*
 * The cheap searches a miss tries before a full scan: the pids created
 * since the last look, newest first (a short-lived client), then the
 * processes that owned sockets lately (a client that opens one connection
 * after another).  A pid found among the new may be a thread's id: its
 * status gives the process.  0 with *pid, or -1.
 */
static int
quick_search(struct attrib *a, uint64_t inode, uint32_t *pid)
{
	uint32_t last, p, n;

	/* pids wrap: past pid_max the walk stops at 1 and a scan does the rest */
	if (a->pid_mark != 0 && last_pid(a, &last) == 0) {
		for (p = last, n = 0; p != a->pid_mark && p > 0 && n < NEW_PIDS_MAX;
		    p--, n++) {
			if (scan_fds(a, p, inode) == 1) {
				a->pid_mark = last;
				*pid = thread_group(a, p);
				a->st.quick_hits++;
				return 0;
			}
		}
		a->pid_mark = last;	/* what was not looked at is left to a scan */
	}
	for (unsigned i = 0; i < RECENT_PIDS; i++) {
		if (a->recent[i] == 0)
			continue;
		switch (scan_fds(a, a->recent[i], inode)) {
		case 1:
			*pid = a->recent[i];
			a->st.quick_hits++;
			return 0;
		case -1:
			a->recent[i] = 0;	/* gone: not worth a look again */
			break;
		}
	}
	return -1;
}

static void
rescan(struct attrib *a)
{
	long n;

	memset(a->map, 0, MAP_SLOTS * sizeof(*a->map));
	a->st.rescans++;
	(void)last_pid(a, &a->pid_mark);	/* read first: later pids are new */
	if (lseek(a->rootfd, 0, SEEK_SET) == -1)
		return;
	while ((n = getdents64(a->rootfd, a->dents, sizeof(a->dents))) > 0) {
		for (long off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(void *)(a->dents + off);
			uint32_t pid;

			off += d->d_reclen;
			if (name_pid(d->d_name, &pid) == 0)
				(void)scan_fds(a, pid, 0);
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

/* Read PROC/pid/name into buf (at most len - 1 bytes, NUL added); length or -1. */
static ssize_t
read_proc_file(struct attrib *a, uint32_t pid, const char *name, char *buf, size_t len)
{
	char path[48];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "%u/%s", pid, name);
	fd = openat(a->rootfd, path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - (size_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
		if ((size_t)n < len / 2)
			break;	/* /proc gives a small file whole in one read */
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/*
 * Fill o's process fields from PROC/pid.  0, or -1 with o->why set when the
 * process is gone or cannot be read.
 */
static int
read_process(struct attrib *a, uint32_t pid, struct attrib_owner *o)
{
	char path[32];
	struct stat sb;
	ssize_t n;

	snprintf(path, sizeof(path), "%u/exe", pid);
	n = readlinkat(a->rootfd, path, o->exe, sizeof(o->exe));
	if (n == -1 && (errno == EACCES || errno == EPERM)) {
		o->why = "not permitted";
		return -1;
	}
	if (n < 0 || (size_t)n >= sizeof(o->exe))
		n = 0;		/* a kernel thread, or too long to give whole */
	o->exe[n] = '\0';
	snprintf(path, sizeof(path), "%u", pid);
	/* an exe that could be read says the process is there */
	if (n == 0 && fstatat(a->rootfd, path, &sb, 0) == -1) {
		o->why = "process gone";
		return -1;
	}

	n = a->cmdline ? read_proc_file(a, pid, "cmdline", o->cmdline,
	    sizeof(o->cmdline)) : 0;
	if (n < 0)
		n = 0;
	for (ssize_t i = 0; i < n; i++)
		if (o->cmdline[i] == '\0')
			o->cmdline[i] = ' ';
	while (n > 0 && o->cmdline[n - 1] == ' ')
		o->cmdline[--n] = '\0';

	n = read_proc_file(a, pid, "cgroup", a->file, sizeof(a->file));
	if (n < 0 || attrib_parse_cgroup(a->file, (size_t)n, o->cgroup,
	    sizeof(o->cgroup)) == -1)
		o->cgroup[0] = '\0';
	if (o->cgroup[0] == '\0' ||
	    attrib_container_id(o->cgroup, o->container, sizeof(o->container)) == -1)
		o->container[0] = '\0';
	return 0;
}

/*
 * pid is believed to hold inode: read it, then check it still does (after
 * the reads, so that a pid reused meanwhile is not reported).  A pid whose
 * fds were read just now needs no second look: pids are handed out in
 * sequence, so one is not reused within microseconds.
 */
static int
try_pid(struct attrib *a, uint32_t pid, uint64_t inode, bool fresh,
    struct attrib_owner *o)
{
	if (read_process(a, pid, o) == -1)
		return -1;
	if (!fresh && scan_fds(a, pid, inode) != 1) {
		o->why = "process gone";
		return -1;
	}
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
owner_of_inode(struct attrib *a, uint64_t inode, struct attrib_owner *o)
{
	uint32_t pid;
	bool stale = false;

	owner_clear_process(o);
	o->inode = inode;
	if (map_get(a, inode, &pid) == 0) {
		if (try_pid(a, pid, inode, false, o) == 0)
			goto found;
		stale = true;
	}
	if (quick_search(a, inode, &pid) == 0 &&
	    try_pid(a, pid, inode, true, o) == 0) {
		map_put(a, inode, pid);
		goto found;
	}
	if (!rescan_allowed(a)) {
		a->st.rescans_skipped++;
		o->why = "process unknown: rescan limit reached";
		goto miss;
	}
	rescan(a);
	if (map_get(a, inode, &pid) == 0) {
		if (try_pid(a, pid, inode, false, o) == 0)
			goto found;
		goto miss;	/* why set by try_pid */
	}
	o->why = stale ? "process gone" : "socket without process";
miss:
	owner_clear_process(o);
	o->how = ATTRIB_NONE;
	a->st.no_process++;
	return -1;
found:
	recent_add(a, pid);
	o->how = ATTRIB_SOCK_DIAG_PROC;
	o->why = NULL;
	a->st.found++;
	return 0;
}

/* --- sock_diag --- */

/* 0 with *inode and *uid, -1 with *why. */
static int
diag_query(struct attrib *a, const struct flow_key *k, bool local_is_src,
    uint64_t *inode, uint32_t *uid, const char **why)
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

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->nl = -1;
	a->rootfd = -1;
	a->lastpidfd = -1;
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
	a->nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (a->nl == -1) {
		snprintf(err, errlen, "sock_diag socket: %s", strerror(errno));
		goto fail;
	}
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
	uint64_t inode;
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
	if (diag_query(a, k, local_is_src, &inode, &uid, &o->why) == -1) {
		a->st.no_socket++;
		return -1;
	}
	o->uid = uid;
	o->has_uid = true;
	return owner_of_inode(a, inode, o);
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
	return owner_of_inode(a, inode, o);
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
