/* test_attrib.c - the cgroup parsers on fixture files, the inode -> pid map on a
 * fake proc tree, and lookups through the real /proc: this process's own loopback
 * sockets, short- and long-lived children, and a pid given to another process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "attrib.h"

#define FIXTURES	"gw/tests/attrib/"
#define ID	"3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"
#define POD	"1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d"

static size_t
slurp(const char *name, char *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, len, f);
	fclose(f);
	return n;
}

static void
test_cgroup_fixtures(void **state)
{
	static const struct {
		const char *file, *path, *id;	/* NULL: none expected */
	} cases[] = {
		{ "docker.cgroup", "/system.slice/docker-" ID ".scope", ID },
		{ "docker_cgroupfs.cgroup", "/docker/" ID, ID },
		{ "kubepods_besteffort.cgroup",
		    "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD
		    ".slice/cri-containerd-" ID ".scope", ID },
		{ "kubepods_burstable_crio.cgroup",
		    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD
		    ".slice/crio-" ID ".scope", ID },
		{ "kubepods_cgroupfs.cgroup",
		    "/kubepods/burstable/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" ID, ID },
		{ "crio.cgroup", "/machine.slice/crio-" ID ".scope", ID },
		{ "crio_conmon.cgroup", "/system.slice/crio-conmon-" ID ".scope", NULL },
		{ "user_slice.cgroup", "/user.slice/user-1000.slice/user@1000.service/"
		    "app.slice/app-gnome-firefox-4242.scope", NULL },
		{ "v1_mixed.cgroup", "/system.slice/docker-" ID ".scope", ID },
		{ "v1_only.cgroup", NULL, NULL },
		{ "empty.cgroup", NULL, NULL },
		{ "garbage.cgroup", NULL, NULL },
		{ "no_newline.cgroup", "/system.slice/docker-" ID ".scope", ID },
	};
	char text[4096], path[ATTRIB_CGROUP_LEN], id[ATTRIB_CONTAINER_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = slurp(cases[i].file, text, sizeof(text));
		int rc = attrib_parse_cgroup(text, n, path, sizeof(path));

		print_message("# %s\n", cases[i].file);
		if (cases[i].path == NULL) {
			assert_int_equal(rc, -1);
			assert_string_equal(path, "");
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(path, cases[i].path);
		rc = attrib_container_id(path, id, sizeof(id));
		if (cases[i].id == NULL) {
			assert_int_equal(rc, -1);
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(id, cases[i].id);
		}
	}
}

static void
test_cgroup_bounds(void **state)
{
	static const char t[] = "0::/a/b\n";
	char path[8], small[7];

	(void)state;
	assert_int_equal(attrib_parse_cgroup(t, sizeof(t) - 1, path, sizeof(path)), 0);
	assert_string_equal(path, "/a/b");
	/* does not fit: none rather than a cut path */
	assert_int_equal(attrib_parse_cgroup("0::/abcdefgh\n", 13, small, sizeof(small)), -1);
	assert_int_equal(attrib_parse_cgroup(t, sizeof(t) - 1, path, 0), -1);
	/* len bounds the read: the line is cut before its path */
	assert_int_equal(attrib_parse_cgroup(t, 3, path, sizeof(path)), -1);
	/* a 0:: line later than v1 lines, with CRLF-free text of its own */
	assert_int_equal(attrib_parse_cgroup("1:cpu:/x\n0::/y", 14, path, sizeof(path)), 0);
	assert_string_equal(path, "/y");
}

static void
test_container_id_rules(void **state)
{
	char id[ATTRIB_CONTAINER_LEN], tiny[64];
	const char *other = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char p[512];

	(void)state;
	/* upper case and short ids are not ids */
	assert_int_equal(attrib_container_id("/docker-" "3F4E1C2B9A8D7E6F5A4B3C2D1E0F9A8B"
	    "7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F.scope", id, sizeof(id)), -1);
	assert_int_equal(attrib_container_id("/docker/" "3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b"
	    "7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2", id, sizeof(id)), -1);
	/* a bare 64-hex component outside docker/ and kubepods says nothing */
	assert_int_equal(attrib_container_id("/system.slice/" ID, id, sizeof(id)), -1);
	assert_int_equal(attrib_container_id("/", id, sizeof(id)), -1);
	assert_int_equal(attrib_container_id("", id, sizeof(id)), -1);
	/* libpod (podman) */
	assert_int_equal(attrib_container_id("/machine.slice/libpod-" ID ".scope", id,
	    sizeof(id)), 0);
	assert_string_equal(id, ID);
	/* nested: the innermost id wins */
	snprintf(p, sizeof(p), "/docker/%s/docker/%s", other, ID);
	assert_int_equal(attrib_container_id(p, id, sizeof(id)), 0);
	assert_string_equal(id, ID);
	/* no room for 64 digits and a NUL */
	assert_int_equal(attrib_container_id("/docker/" ID, tiny, sizeof(tiny)), -1);
}

/* --- a fake proc tree --- */

struct tree {
	char	dir[64];
};

static void
mk(const struct tree *t, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", t->dir, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void
link_to(const struct tree *t, const char *target, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", t->dir, rel);
	assert_int_equal(symlink(target, p), 0);
}

static void
unlink_rel(const struct tree *t, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", t->dir, rel);
	assert_int_equal(unlink(p), 0);
}

static void
write_file(const struct tree *t, const char *rel, const char *data, size_t len)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", t->dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int
tree_setup(void **state)
{
	static struct tree t;
	static const char cmd[] = "fake\0--flag\0x\0";
	static const char cg[] = "1:name=systemd:/\n0::/system.slice/docker-" ID ".scope\n";

	strcpy(t.dir, "/tmp/attrib-test-XXXXXX");
	if (mkdtemp(t.dir) == NULL)
		return -1;
	mk(&t, "123");
	mk(&t, "123/fd");
	link_to(&t, "/dev/null", "123/fd/0");
	link_to(&t, "pipe:[77]", "123/fd/3");
	link_to(&t, "socket:[5555]", "123/fd/4");
	link_to(&t, "socket:[]", "123/fd/6");
	link_to(&t, "socket:[12x]", "123/fd/7");
	link_to(&t, "/usr/bin/fake", "123/exe");
	write_file(&t, "123/cmdline", cmd, sizeof(cmd) - 1);
	write_file(&t, "123/cgroup", cg, sizeof(cg) - 1);
	mk(&t, "456");
	mk(&t, "456/fd");
	link_to(&t, "socket:[7777]", "456/fd/3");
	mk(&t, "self");		/* not a pid */
	mk(&t, "12a");
	mk(&t, "12a/fd");
	link_to(&t, "socket:[8888]", "12a/fd/1");
	*state = &t;
	return 0;
}

static int
tree_teardown(void **state)
{
	struct tree *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_proc_map(void **state)
{
	struct tree *t = *state;
	struct attrib_owner o;
	struct attrib_stats st;
	struct attrib *a;
	char err[128];

	a = attrib_new(t->dir, err, sizeof(err));
	assert_non_null(a);
	o.uid = 42;
	assert_int_equal(attrib_owner_of_inode(a, 5555, &o), 0);
	assert_int_equal(o.how, ATTRIB_SOCK_DIAG_PROC);
	assert_null(o.why);
	assert_true(o.has_pid);
	assert_int_equal(o.pid, 123);
	assert_int_equal(o.inode, 5555);
	assert_int_equal(o.uid, 42);	/* left alone */
	assert_string_equal(o.exe, "/usr/bin/fake");
	assert_string_equal(o.cmdline, "fake --flag x");
	assert_string_equal(o.cgroup, "/system.slice/docker-" ID ".scope");
	assert_string_equal(o.container, ID);

	/* no exe, cmdline or cgroup: found all the same, fields empty */
	assert_int_equal(attrib_owner_of_inode(a, 7777, &o), 0);
	assert_int_equal(o.pid, 456);
	assert_string_equal(o.exe, "");
	assert_string_equal(o.cmdline, "");
	assert_string_equal(o.cgroup, "");
	assert_string_equal(o.container, "");

	/* one scan served both */
	attrib_get_stats(a, &st);
	assert_int_equal(st.rescans, 1);
	assert_int_equal(st.found, 2);

	/* held by nobody (and 12a is no pid); malformed links were never mapped */
	assert_int_equal(attrib_owner_of_inode(a, 8888, &o), -1);
	assert_string_equal(o.why, "socket without process");
	assert_false(o.has_pid);
	assert_string_equal(o.exe, "");
	assert_int_equal(attrib_owner_of_inode(a, 12, &o), -1);
	assert_int_equal(attrib_owner_of_inode(a, 0, &o), -1);
	assert_string_equal(o.why, "socket without inode");

	/* the socket moves to another process: the stale entry is not trusted */
	unlink_rel(t, "123/fd/4");
	link_to(t, "socket:[5555]", "456/fd/9");
	assert_int_equal(attrib_owner_of_inode(a, 5555, &o), 0);
	assert_int_equal(o.pid, 456);

	/* and then closes: the map's entry is stale, no one holds it */
	unlink_rel(t, "456/fd/9");
	assert_int_equal(attrib_owner_of_inode(a, 5555, &o), -1);
	assert_string_equal(o.why, "process gone");
	assert_false(o.has_pid);
	link_to(t, "socket:[5555]", "123/fd/4");	/* as it was */

	attrib_get_stats(a, &st);
	assert_int_equal(st.lookups, 7);
	assert_int_equal(st.found, 3);
	assert_int_equal(st.no_process, 3);
	assert_int_equal(st.no_socket, 1);
	assert_int_equal(st.rescans_skipped, 0);
	attrib_free(a);
}

static void
test_rescan_limit(void **state)
{
	struct tree *t = *state;
	struct attrib_owner o;
	struct attrib_stats st;
	struct attrib *a;
	char err[128];

	a = attrib_new(t->dir, err, sizeof(err));
	assert_non_null(a);
	attrib_set_rescan_limit(a, 2);
	for (int i = 0; i < 10; i++)
		assert_int_equal(attrib_owner_of_inode(a, 9999, &o), -1);
	attrib_get_stats(a, &st);
	/* 10 misses within (most likely) one second: 2 scans; across a
	 * second boundary at most 4 */
	assert_true(st.rescans >= 2 && st.rescans <= 4);
	assert_int_equal(st.rescans + st.rescans_skipped, 10);
	assert_string_equal(o.why, "process unknown: rescan limit reached");

	/* those scans mapped 5555: a hit needs none */
	attrib_set_rescan_limit(a, 0);
	assert_int_equal(attrib_owner_of_inode(a, 5555, &o), 0);
	assert_int_equal(o.pid, 123);
	attrib_free(a);

	/* with no scan allowed, nothing is ever mapped */
	a = attrib_new(t->dir, err, sizeof(err));
	assert_non_null(a);
	attrib_set_rescan_limit(a, 0);
	assert_int_equal(attrib_owner_of_inode(a, 5555, &o), -1);
	assert_string_equal(o.why, "process unknown: rescan limit reached");
	attrib_get_stats(a, &st);
	assert_int_equal(st.rescans, 0);
	assert_int_equal(st.rescans_skipped, 1);
	attrib_free(a);
}

static void
set_last_pid(const struct tree *t, const char *pid)
{
	write_file(t, "sys/kernel/ns_last_pid", pid, strlen(pid));
}

/* A miss tries the latest owners and the processes created since, before a scan. */
static void
test_quick_search(void **state)
{
	struct tree *t = *state;
	struct attrib_owner o;
	struct attrib_stats st;
	struct attrib *a;
	uint64_t probes;
	char err[128];

	mk(t, "sys");
	mk(t, "sys/kernel");
	set_last_pid(t, "600\n");
	a = attrib_new(t->dir, err, sizeof(err));
	assert_non_null(a);
	assert_int_equal(attrib_owner_of_inode(a, 5555, &o), 0);	/* the one scan */
	attrib_set_rescan_limit(a, 0);

	/* a process born after the scan: found among the new pids */
	mk(t, "605");
	mk(t, "605/fd");
	link_to(t, "socket:[4242]", "605/fd/3");
	link_to(t, "/usr/bin/short", "605/exe");
	set_last_pid(t, "607\n");
	assert_int_equal(attrib_owner_of_inode(a, 4242, &o), 0);
	assert_int_equal(o.pid, 605);
	assert_string_equal(o.exe, "/usr/bin/short");

	/* its next socket: a latest owner, no new pid to look at */
	link_to(t, "socket:[4243]", "605/fd/4");
	assert_int_equal(attrib_owner_of_inode(a, 4243, &o), 0);
	assert_int_equal(o.pid, 605);
	assert_string_equal(o.exe, "/usr/bin/short");

	/* found twice, it is tried first, at the fd of its last socket: a
	 * client that closes its socket and opens the next one */
	attrib_get_stats(a, &st);
	probes = st.probe_hits;
	unlink_rel(t, "605/fd/4");
	link_to(t, "socket:[4245]", "605/fd/4");
	assert_int_equal(attrib_owner_of_inode(a, 4245, &o), 0);
	assert_int_equal(o.pid, 605);
	assert_string_equal(o.exe, "/usr/bin/short");
	attrib_get_stats(a, &st);
	assert_int_equal(st.probe_hits, probes + 1);
	/* and a socket it holds elsewhere is found all the same */
	link_to(t, "socket:[4246]", "605/fd/1");
	assert_int_equal(attrib_owner_of_inode(a, 4246, &o), 0);
	assert_int_equal(o.pid, 605);

	/* a thread's socket is its process's: /proc lists thread-group
	 * leaders only (thread 702 has no entry of its own in the listing) */
	mk(t, "700");
	mk(t, "700/fd");
	link_to(t, "socket:[4244]", "700/fd/5");
	set_last_pid(t, "702\n");
	assert_int_equal(attrib_owner_of_inode(a, 4244, &o), 0);
	assert_int_equal(o.pid, 700);

	/* nobody new holds it, and no scan is allowed: not found, never guessed */
	assert_int_equal(attrib_owner_of_inode(a, 4999, &o), -1);
	assert_string_equal(o.why, "process unknown: rescan limit reached");

	attrib_get_stats(a, &st);
	assert_int_equal(st.rescans, 1);
	assert_int_equal(st.quick_hits, 5);
	assert_int_equal(st.found, 6);
	attrib_free(a);
	unlink_rel(t, "sys/kernel/ns_last_pid");
}

static void
test_new_free(void **state)
{
	char err[128];

	(void)state;
	attrib_free(NULL);
	err[0] = '\0';
	assert_null(attrib_new("/nonexistent/proc", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/proc"));
}

/* this process's own loopback sockets, through the real sock_diag and /proc */
static void
test_lookup_self(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct attrib_owner o;
	struct flow_key k, r;
	struct attrib *a;
	char err[128];
	int l, c, u;
	uint16_t lport, cport, uport;

	(void)state;
	a = attrib_new("/proc", err, sizeof(err));
	assert_non_null(a);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &sl), 0);
	lport = ntohs(sa.sin_port);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sl = sizeof(sa);
	assert_int_equal(getsockname(c, (struct sockaddr *)&sa, &sl), 0);
	cport = ntohs(sa.sin_port);

	memset(&k, 0, sizeof(k));
	addr_parse(&k.src, "127.0.0.1");
	addr_parse(&k.dst, "127.0.0.1");
	k.proto = IPPROTO_TCP;
	k.sport = cport;
	k.dport = lport;
	assert_int_equal(attrib_lookup(a, &k, true, &o), 0);
	assert_int_equal(o.pid, (uint32_t)getpid());
	assert_true(o.has_uid);
	assert_int_equal(o.uid, getuid());
	assert_true(o.exe[0] == '/');
	/* the same socket seen from a packet it receives */
	r = k;
	r.src = k.dst;
	r.dst = k.src;
	r.sport = k.dport;
	r.dport = k.sport;
	assert_int_equal(attrib_lookup(a, &r, false, &o), 0);
	assert_int_equal(o.pid, (uint32_t)getpid());

	/* an unconnected UDP socket bound to the wildcard takes any remote */
	u = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	sa.sin_port = 0;
	assert_int_equal(bind(u, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sl = sizeof(sa);
	assert_int_equal(getsockname(u, (struct sockaddr *)&sa, &sl), 0);
	uport = ntohs(sa.sin_port);
	k.proto = IPPROTO_UDP;
	k.sport = uport;
	k.dport = 53;
	addr_parse(&k.dst, "192.0.2.1");
	assert_int_equal(attrib_lookup(a, &k, true, &o), 0);
	assert_int_equal(o.pid, (uint32_t)getpid());

	/* ports nobody uses; a protocol sock_diag is not asked about */
	k.proto = IPPROTO_TCP;
	k.sport = 1;
	k.dport = 2;
	assert_int_equal(attrib_lookup(a, &k, true, &o), -1);
	assert_string_equal(o.why, "no socket");
	assert_false(o.has_pid);
	k.proto = IPPROTO_ICMP;
	assert_int_equal(attrib_lookup(a, &k, true, &o), -1);
	assert_string_equal(o.why, "not tcp or udp");
	assert_string_equal(attrib_how_name(ATTRIB_NONE), "none");
	assert_string_equal(attrib_how_name(ATTRIB_SOCK_DIAG_PROC), "sock_diag");

	close(u);
	close(c);
	close(l);
	attrib_free(a);
}

/* --- through the real /proc --- */

/* A loopback listener; its address in *sa. */
static int
listen_lo(struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l == -1 || bind(l, (struct sockaddr *)sa, sizeof(*sa)) == -1 ||
	    listen(l, 8) == -1 || getsockname(l, (struct sockaddr *)sa, &sl) == -1)
		return -1;
	return l;
}

/* The key of a connection accepted from l, as a packet the client sends. */
static int
accept_key(int l, const struct sockaddr_in *sa, struct flow_key *k)
{
	struct sockaddr_in peer;
	socklen_t sl = sizeof(peer);
	int c = accept4(l, (struct sockaddr *)&peer, &sl, SOCK_CLOEXEC);

	memset(k, 0, sizeof(*k));
	k->proto = IPPROTO_TCP;
	addr_set4(&k->src, (const uint8_t *)&peer.sin_addr);
	addr_set4(&k->dst, (const uint8_t *)&sa->sin_addr);
	k->sport = ntohs(peer.sin_port);
	k->dport = ntohs(sa->sin_port);
	return c;
}

/* In a child: n connections to sa one after another, each announced on
 * ready and held until the other side closes. */
static void
client(const struct sockaddr_in *sa, int ready, int n)
{
	char c;

	for (int i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s == -1 || connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == -1 ||
		    write(ready, "c", 1) != 1)
			_exit(1);
		while (read(s, &c, 1) > 0)
			;
		close(s);
	}
	_exit(0);
}

static int
count_fds(void)
{
	int n = 0;
	char p[32];

	for (int fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		n += access(p, F_OK) == 0;
	}
	return n;
}

/* Short-lived clients, each found among the processes born since the last
 * look; then a long-lived one, found again and again at its socket's fd.
 * No descriptor is left open. */
static void
test_lookup_children(void **state)
{
	struct sockaddr_in sa;
	struct attrib_owner o;
	struct attrib_stats st;
	struct flow_key k;
	struct attrib *a;
	char err[128], self[ATTRIB_EXE_LEN], c;
	bool quick = access("/proc/sys/kernel/ns_last_pid", R_OK) == 0;
	ssize_t n;
	int l, cs, ready[2], fds;
	pid_t p;

	(void)state;
	fds = count_fds();
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	l = listen_lo(&sa);
	assert_true(l >= 0);
	a = attrib_new("/proc", err, sizeof(err));
	assert_non_null(a);
	attrib_prime(a);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(pipe(ready), 0);
		if ((p = fork()) == 0) {
			close(ready[0]);
			client(&sa, ready[1], 1);
		}
		assert_true(p > 0);
		close(ready[1]);
		assert_int_equal(read(ready[0], &c, 1), 1);
		cs = accept_key(l, &sa, &k);
		assert_true(cs >= 0);
		assert_int_equal(attrib_lookup(a, &k, true, &o), 0);
		assert_int_equal(o.pid, (uint32_t)p);
		assert_string_equal(o.exe, self);
		assert_true(o.cmdline[0] != '\0');
		close(cs);
		close(ready[0]);
		assert_int_equal(waitpid(p, NULL, 0), p);
	}
	attrib_get_stats(a, &st);
	print_message("# short-lived: rescans=%llu quick_hits=%llu probe_hits=%llu\n",
	    (unsigned long long)st.rescans, (unsigned long long)st.quick_hits,
	    (unsigned long long)st.probe_hits);
	if (quick) {
		assert_int_equal(st.rescans, 1);	/* the prime */
		assert_int_equal(st.quick_hits, 20);
	}

	assert_int_equal(pipe(ready), 0);
	if ((p = fork()) == 0) {
		close(ready[0]);
		client(&sa, ready[1], 6);
	}
	assert_true(p > 0);
	close(ready[1]);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(read(ready[0], &c, 1), 1);
		cs = accept_key(l, &sa, &k);
		assert_true(cs >= 0);
		assert_int_equal(attrib_lookup(a, &k, true, &o), 0);
		assert_int_equal(o.pid, (uint32_t)p);
		close(cs);
	}
	close(ready[0]);
	assert_int_equal(waitpid(p, NULL, 0), p);
	attrib_get_stats(a, &st);
	print_message("# long-lived: rescans=%llu quick_hits=%llu probe_hits=%llu\n",
	    (unsigned long long)st.rescans, (unsigned long long)st.quick_hits,
	    (unsigned long long)st.probe_hits);
	if (quick) {
		assert_int_equal(st.rescans, 1);
		/* from its second connection on, the fd its socket was at */
		assert_true(st.probe_hits >= 5);
	}
	attrib_free(a);
	close(l);
	assert_int_equal(count_fds(), fds);
}

struct conn_arg {
	const struct sockaddr_in *sa;
	bool	own_fds;	/* a fd table of its own (unshare(CLONE_FILES)) */
	int	ready;		/* written once connected */
	int	done;		/* a byte read from it: the end */
};

static void *
connect_thread(void *arg)
{
	struct conn_arg *c = arg;
	char b;
	int s;

	if (c->own_fds && unshare(CLONE_FILES) == -1)
		return NULL;
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s == -1 || connect(s, (const struct sockaddr *)c->sa, sizeof(*c->sa)) == -1 ||
	    write(c->ready, "c", 1) != 1)
		return NULL;
	/* a byte, not the end of the pipe: a thread with a table of its own
	 * holds a copy of the write end */
	while (read(c->done, &b, 1) == -1 && errno == EINTR)
		;
	close(s);
	return NULL;
}

/* New threads of an older process (this one): not in the listing of new
 * processes, found by their ids and named by their process, with no scan;
 * one shares the process's fd table, one has its own. */
static void
test_lookup_thread(void **state)
{
	struct sockaddr_in sa;
	struct attrib_owner o;
	struct attrib_stats st;
	struct flow_key k;
	struct attrib *a;
	char err[128], c;
	int l, cs, ready[2], done[2];

	(void)state;
	if (access("/proc/sys/kernel/ns_last_pid", R_OK) != 0)
		skip();
	l = listen_lo(&sa);
	assert_true(l >= 0);
	a = attrib_new("/proc", err, sizeof(err));
	assert_non_null(a);
	attrib_prime(a);
	attrib_set_rescan_limit(a, 0);
	for (int own = 0; own < 2; own++) {
		struct conn_arg arg = { .sa = &sa, .own_fds = own != 0 };
		pthread_t t;

		assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
		assert_int_equal(pipe2(done, O_CLOEXEC), 0);
		arg.ready = ready[1];
		arg.done = done[0];
		assert_int_equal(pthread_create(&t, NULL, connect_thread, &arg), 0);
		assert_int_equal(read(ready[0], &c, 1), 1);
		cs = accept_key(l, &sa, &k);
		assert_true(cs >= 0);
		assert_int_equal(attrib_lookup(a, &k, true, &o), 0);
		assert_int_equal(o.pid, (uint32_t)getpid());
		assert_true(o.exe[0] == '/');
		assert_int_equal(write(done[1], "e", 1), 1);
		assert_int_equal(pthread_join(t, NULL), 0);
		close(done[1]);
		close(cs);
		close(ready[0]);
		close(ready[1]);
		close(done[0]);
	}
	attrib_get_stats(a, &st);
	assert_int_equal(st.rescans, 1);	/* the prime */
	assert_int_equal(st.found, 2);
	attrib_free(a);
	close(l);
}

#define SKIP	77

static int
say(const char *what)
{
	fprintf(stderr, "# pid_reused: %s\n", what);
	return 1;
}

/* The owner of a connection to sa once it has exec'd prog (pid p).  0 found. */
static int
owner_after_exec(struct attrib *a, const char *proc, pid_t p, int l,
    const struct sockaddr_in *sa, struct attrib_owner *o)
{
	char path[300], exe[ATTRIB_EXE_LEN];
	struct flow_key k;
	ssize_t n = -1;
	int cs;

	snprintf(path, sizeof(path), "%s/%d/exe", proc, (int)p);
	for (int i = 0; i < 200; i++) {
		n = readlink(path, exe, sizeof(exe) - 1);
		if (n > 6 && memcmp(exe + n - 6, "/sleep", 6) == 0)
			break;
		usleep(10000);
	}
	if ((cs = accept_key(l, sa, &k)) == -1)
		return -1;
	return attrib_lookup(a, &k, true, o);
}

/*
 * pid 1 of a pid namespace of our own, with its own /proc and pid_max 400.
 * A (pid P) owns a connection and is found twice, so that it is kept open;
 * it exits, P is handed to B, which holds another connection and runs
 * another program.  B's connection must be B's, with B's exe, not A's.
 */
static int
pid_reused_init(void)
{
	char dir[] = "/tmp/attrib-pidns-XXXXXX", path[300], self[ATTRIB_EXE_LEN], err[128], c;
	struct sockaddr_in sa;
	struct attrib_owner o;
	struct flow_key k;
	struct attrib *a;
	int ready[2], l, cs, fd, rc = 1;
	pid_t A, B;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return say("no /proc/self/exe");
	self[n] = '\0';
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mkdtemp(dir) == NULL)
		return SKIP;
	if (mount("proc", dir, "proc", 0, NULL) == -1) {
		rmdir(dir);
		return SKIP;
	}
	/* pid_max of a pid namespace of its own: Linux 6.14 */
	snprintf(path, sizeof(path), "%s/sys/kernel/pid_max", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1 || write(fd, "400", 3) != 3) {
		rc = SKIP;
		goto out;
	}
	close(fd);
	fd = -1;
	if ((l = listen_lo(&sa)) == -1 || pipe2(ready, O_CLOEXEC) == -1 ||
	    (a = attrib_new(dir, err, sizeof(err))) == NULL) {
		rc = say("setup");
		goto out;
	}
	attrib_prime(a);
	attrib_set_rescan_limit(a, 0);	/* found by the quick searches alone */
	/* A: the first pid from 350 up, so that the pids wrap (to 300) before it comes back */
	for (;;) {
		if ((A = fork()) == 0) {
			if (getpid() < 350)
				_exit(0);
			client(&sa, ready[1], 1);
		}
		if (A == -1 || A >= 350)
			break;
		waitpid(A, NULL, 0);
	}
	if (A == -1 || read(ready[0], &c, 1) != 1 || (cs = accept_key(l, &sa, &k)) == -1) {
		rc = say("A did not connect");
		goto out_a;
	}
	for (int i = 0; i < 2; i++) {
		if (attrib_lookup(a, &k, true, &o) == -1 || o.pid != (uint32_t)A ||
		    strcmp(o.exe, self) != 0) {
			rc = say("A not found as itself");
			goto out_a;
		}
	}
	close(cs);
	waitpid(A, NULL, 0);

	/* B: whoever gets A's pid connects, then runs sleep with the socket open */
	for (int i = 0;; i++) {
		if ((B = fork()) == 0) {
			if (getpid() != A)
				_exit(0);
			int s = socket(AF_INET, SOCK_STREAM, 0);

			if (s == -1 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
				_exit(1);
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
			_exit(1);
		}
		if (B == -1 || B == A || i > 2000)
			break;
		waitpid(B, NULL, 0);
	}
	if (B != A) {
		rc = say("the pid did not come back");
		goto out;
	}
	if (owner_after_exec(a, dir, B, l, &sa, &o) == -1) {
		rc = say(o.why != NULL ? o.why : "B not found");
	} else if (o.pid != (uint32_t)B || strcmp(o.exe, self) == 0 ||
	    strstr(o.exe, "sleep") == NULL) {
		fprintf(stderr, "# pid_reused: B (pid %d) found as pid %u exe %s\n", (int)B,
		    o.pid, o.exe);
	} else {
		rc = 0;
	}
	kill(B, SIGKILL);
	waitpid(B, NULL, 0);
	attrib_free(a);
	goto out;
out_a:
	kill(A, SIGKILL);
	waitpid(A, NULL, 0);
out:
	if (fd != -1)
		close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return rc;
}

static void
test_pid_reused(void **state)
{
	pid_t outer, init;
	int st = 0;

	(void)state;
	if (geteuid() != 0)
		skip();
	if ((outer = fork()) == 0) {
		/* a child's pid namespace, so that this process keeps its own */
		if (unshare(CLONE_NEWPID | CLONE_NEWNS) == -1)
			_exit(SKIP);
		if ((init = fork()) == 0)
			_exit(pid_reused_init());
		if (init == -1 || waitpid(init, &st, 0) != init || !WIFEXITED(st))
			_exit(1);
		_exit(WEXITSTATUS(st));
	}
	assert_true(outer > 0);
	assert_int_equal(waitpid(outer, &st, 0), outer);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == SKIP)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_fixtures),
		cmocka_unit_test(test_cgroup_bounds),
		cmocka_unit_test(test_container_id_rules),
		cmocka_unit_test(test_proc_map),
		cmocka_unit_test(test_rescan_limit),
		cmocka_unit_test(test_quick_search),
		cmocka_unit_test(test_new_free),
		cmocka_unit_test(test_lookup_self),
		cmocka_unit_test(test_lookup_children),
		cmocka_unit_test(test_lookup_thread),
		cmocka_unit_test(test_pid_reused),
	};

	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
