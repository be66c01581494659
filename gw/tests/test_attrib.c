/* test_attrib.c - the cgroup parsers on fixture files, the inode -> pid map on a
 * fake proc tree, and one lookup of this process's own loopback sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

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

/* A miss tries the recent owners, then the pids created since, before a scan. */
static void
test_quick_search(void **state)
{
	static const char status[] = "Name:\tworker\nTgid:\t700\nPid:\t702\n";
	struct tree *t = *state;
	struct attrib_owner o;
	struct attrib_stats st;
	struct attrib *a;
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

	/* its next socket: a recent owner, no pid walk needed */
	link_to(t, "socket:[4243]", "605/fd/4");
	assert_int_equal(attrib_owner_of_inode(a, 4243, &o), 0);
	assert_int_equal(o.pid, 605);

	/* a thread's id leads to its process */
	mk(t, "700");
	mk(t, "700/fd");
	mk(t, "702");
	mk(t, "702/fd");
	link_to(t, "socket:[4244]", "700/fd/5");
	link_to(t, "socket:[4244]", "702/fd/5");
	write_file(t, "702/status", status, sizeof(status) - 1);
	set_last_pid(t, "702\n");
	assert_int_equal(attrib_owner_of_inode(a, 4244, &o), 0);
	assert_int_equal(o.pid, 700);

	/* nobody new holds it, and no scan is allowed: not found, never guessed */
	assert_int_equal(attrib_owner_of_inode(a, 4999, &o), -1);
	assert_string_equal(o.why, "process unknown: rescan limit reached");

	attrib_get_stats(a, &st);
	assert_int_equal(st.rescans, 1);
	assert_int_equal(st.quick_hits, 3);
	assert_int_equal(st.found, 4);
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
	};

	return cmocka_run_group_tests(tests, tree_setup, tree_teardown);
}
