/* test_cgroupid.c - the cgroup2 mount found in mountinfo texts; cgroup ids
 * named through the real mount (a child cgroup of ours, the root, a removed
 * one); and attrib naming a socket's cgroup by its id, the cgroup the socket
 * was made in even after its process has moved.  The parts that need a
 * writable cgroup2 mount in this mount namespace skip without one
 * (`ip netns exec` remounts /sys and hides it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "attrib.h"
#include "cgroupid.h"

static void
test_mountinfo(void **state)
{
	static const char v1_only[] =
	    "25 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
	    "32 25 0:27 / /sys/fs/cgroup/memory rw shared:9 - cgroup cgroup rw,memory\n";
	static const char hybrid[] =
	    "25 30 0:22 / /sys rw,nosuid - sysfs sysfs rw\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:12 - cgroup2 cgroup2 rw\n";
	static const char nested_first[] =
	    "50 30 0:38 /kubepods/pod1 /mnt/cg rw - cgroup2 cgroup2 rw\n"
	    "51 30 0:38 / /sys/fs/cgroup rw,nosuid,nodev,noexec - cgroup2 cgroup2 rw\n";
	static const char escaped[] =
	    "60 30 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw\n";
	static const char bad_escape[] =
	    "60 30 0:38 / /mnt/x\\09 rw - cgroup2 none rw\n";
	static const char no_sep[] =
	    "60 30 0:38 / /mnt/x rw cgroup2 none rw\n";
	static const char looks_like[] =
	    "60 30 0:38 / /mnt/x rw - cgroup2fs none rw\n"
	    "61 30 0:39 / /cgroup2 rw - tmpfs cgroup2 rw\n";
	char mnt[64];

	(void)state;
	assert_int_equal(cgroupid_parse_mountinfo(v1_only, sizeof(v1_only) - 1,
	    mnt, sizeof(mnt)), -1);
	assert_int_equal(cgroupid_parse_mountinfo(hybrid, sizeof(hybrid) - 1,
	    mnt, sizeof(mnt)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup/unified");
	/* a mount of a subtree shows paths that are not the hierarchy's */
	assert_int_equal(cgroupid_parse_mountinfo(nested_first, sizeof(nested_first) - 1,
	    mnt, sizeof(mnt)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup");
	assert_int_equal(cgroupid_parse_mountinfo(escaped, sizeof(escaped) - 1,
	    mnt, sizeof(mnt)), 0);
	assert_string_equal(mnt, "/mnt/my cgroups");
	assert_int_equal(cgroupid_parse_mountinfo(bad_escape, sizeof(bad_escape) - 1,
	    mnt, sizeof(mnt)), -1);
	assert_int_equal(cgroupid_parse_mountinfo(no_sep, sizeof(no_sep) - 1,
	    mnt, sizeof(mnt)), -1);
	assert_int_equal(cgroupid_parse_mountinfo(looks_like, sizeof(looks_like) - 1,
	    mnt, sizeof(mnt)), -1);
	/* too long for the caller's buffer: none, never cut */
	assert_int_equal(cgroupid_parse_mountinfo(hybrid, sizeof(hybrid) - 1,
	    mnt, 8), -1);
	assert_int_equal(cgroupid_parse_mountinfo("", 0, mnt, sizeof(mnt)), -1);
}

static void
test_no_mount(void **state)
{
	struct cgroupid *c;
	char err[64], path[64], f[] = "/tmp/og-mountinfo-XXXXXX";
	int fd;

	(void)state;
	fd = mkstemp(f);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "25 30 0:22 / /sys rw - sysfs sysfs rw\n", 38), 38);
	close(fd);
	c = cgroupid_new(f, err, sizeof(err));
	unlink(f);
	assert_non_null(c);
	assert_false(cgroupid_usable(c));
	assert_int_equal(cgroupid_path(c, 1, path, sizeof(path)), -1);
	cgroupid_free(c);
	/* an unreadable mountinfo is no mount either */
	c = cgroupid_new("/nonexistent/mountinfo", err, sizeof(err));
	assert_non_null(c);
	assert_false(cgroupid_usable(c));
	cgroupid_free(c);
}

/* The cgroup2 mount of this mount namespace and a child cgroup made in it. */
struct lab {
	char	mnt[256];
	char	dir[512];	/* mnt + rel */
	char	rel[256];	/* "/og-cgid-PID" */
	char	dir2[512];
	char	rel2[256];
};

static int
lab_make(struct lab *l)
{
	char buf[65536];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/self/mountinfo", O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || cgroupid_parse_mountinfo(buf, (size_t)n, l->mnt, sizeof(l->mnt)) == -1)
		return -1;
	snprintf(l->rel, sizeof(l->rel), "/og-cgid-%d", (int)getpid());
	snprintf(l->rel2, sizeof(l->rel2), "/og-cgid-%d/moved", (int)getpid());
	snprintf(l->dir, sizeof(l->dir), "%s%s", strcmp(l->mnt, "/") == 0 ? "" : l->mnt, l->rel);
	snprintf(l->dir2, sizeof(l->dir2), "%s%s", strcmp(l->mnt, "/") == 0 ? "" : l->mnt, l->rel2);
	if (mkdir(l->dir, 0755) == -1)
		return -1;
	if (mkdir(l->dir2, 0755) == -1) {
		rmdir(l->dir);
		return -1;
	}
	return 0;
}

static void
lab_remove(struct lab *l)
{
	rmdir(l->dir2);
	rmdir(l->dir);
}

static uint64_t
ino_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (uint64_t)sb.st_ino : 0;
}

static void
test_path_of_id(void **state)
{
	struct cgroupid_stats st;
	struct cgroupid *c;
	struct lab l;
	char err[64], path[512];
	uint64_t id;

	(void)state;
	if (geteuid() != 0 || lab_make(&l) == -1)
		skip();		/* no writable cgroup2 mount here */
	c = cgroupid_new(NULL, err, sizeof(err));
	assert_non_null(c);
	assert_true(cgroupid_usable(c));
	id = ino_of(l.dir);
	assert_int_equal(cgroupid_path(c, id, path, sizeof(path)), 0);
	assert_string_equal(path, l.rel);
	/* again: from the cache */
	assert_int_equal(cgroupid_path(c, id, path, sizeof(path)), 0);
	assert_string_equal(path, l.rel);
	assert_int_equal(cgroupid_path(c, ino_of(l.dir2), path, sizeof(path)), 0);
	assert_string_equal(path, l.rel2);
	assert_int_equal(cgroupid_path(c, ino_of(l.mnt), path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	/* never cut */
	assert_int_equal(cgroupid_path(c, ino_of(l.dir2), path, 4), -1);
	cgroupid_get_stats(c, &st);
	assert_int_equal(st.resolved, 3);
	assert_int_equal(st.cached, 2);
	assert_int_equal(st.failed, 0);
	/* a removed cgroup is named by no one, and never reused */
	lab_remove(&l);
	cgroupid_free(c);
	c = cgroupid_new(NULL, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(cgroupid_path(c, id, path, sizeof(path)), -1);
	assert_int_equal(cgroupid_path(c, 0, path, sizeof(path)), -1);
	assert_int_equal(cgroupid_path(c, UINT64_MAX - 7, path, sizeof(path)), -1);
	assert_true(cgroupid_usable(c));	/* a gone cgroup does not turn it off */
	cgroupid_free(c);
}

/* Write pid to the cgroup directory dir. */
static int
join(const char *dir, pid_t pid)
{
	char p[600], b[16];
	int fd, n, rc;

	snprintf(p, sizeof(p), "%s/cgroup.procs", dir);
	if ((fd = open(p, O_WRONLY)) == -1)
		return -1;
	n = snprintf(b, sizeof(b), "%d\n", (int)pid);
	rc = write(fd, b, (size_t)n) == n ? 0 : -1;
	close(fd);
	return rc;
}

/*
 * A child joins our cgroup, makes a socket and connects to us; then moves to
 * the cgroup below.  attrib names the socket's cgroup, by id, both times.
 */
static void
test_attrib_socket_cgroup(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct attrib_owner o;
	struct attrib_stats st;
	struct flow_key k;
	struct attrib *a;
	struct lab l;
	char err[128], c;
	int ls, cs, go[2], done[2];
	pid_t pid;
	(void)state;
	if (geteuid() != 0 || lab_make(&l) == -1)
		skip();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 1), 0);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		int s;

		close(go[1]);
		close(done[0]);
		if (join(l.dir, getpid()) == -1)
			_exit(1);
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
			_exit(1);
		if (write(done[1], "1", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(1);
		/* moved after the socket was made */
		if (join(l.dir2, getpid()) == -1 || write(done[1], "2", 1) != 1)
			_exit(1);
		_exit(read(go[0], &c, 1) < 0);	/* until the parent is done */
	}
	close(go[0]);
	close(done[1]);
	assert_int_equal(read(done[0], &c, 1), 1);
	cs = accept(ls, (struct sockaddr *)&sa, &sl);
	assert_true(cs != -1);

	a = attrib_new("/proc", err, sizeof(err));
	assert_non_null(a);
	memset(&k, 0, sizeof(k));
	addr_parse(&k.src, "127.0.0.1");
	addr_parse(&k.dst, "127.0.0.1");
	k.proto = IPPROTO_TCP;
	k.sport = ntohs(sa.sin_port);
	sl = sizeof(sa);
	assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	k.dport = ntohs(sa.sin_port);
	assert_int_equal(attrib_lookup(a, &k, true, &o), 0);
	assert_int_equal(o.pid, (uint32_t)pid);
	assert_string_equal(o.cgroup, l.rel);
	attrib_get_stats(a, &st);
	assert_int_equal(st.cgroup_by_id, 1);

	assert_int_equal(write(go[1], "1", 1), 1);
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(attrib_lookup(a, &k, true, &o), 0);
	assert_string_equal(o.cgroup, l.rel);	/* the socket's, not where it went */
	attrib_get_stats(a, &st);
	assert_int_equal(st.cgroup_by_id, 2);

	close(go[1]);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	attrib_free(a);
	close(cs);
	close(ls);
	close(done[0]);
	lab_remove(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_no_mount),
		cmocka_unit_test(test_path_of_id),
		cmocka_unit_test(test_attrib_socket_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
