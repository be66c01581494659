/*
 * test_meta.c - the --meta owner file: good files give the owners they name
 * (either orientation, time windows, first line wins), bad ones give the
 * exact FILE:LINE: line, and a big file is looked up through its index.
 */
#include <netinet/in.h>

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "meta.h"

static char tmpdir[64];
static char path[160];
static int nfile;

static void
write_bytes(const char *text, size_t len)
{
	FILE *fp;

	snprintf(path, sizeof(path), "%s/meta-%d", tmpdir, ++nfile);
	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static struct meta *
load(const char *text)
{
	struct meta *m;
	char err[512];

	write_bytes(text, strlen(text));
	err[0] = '\0';
	m = meta_load(path, err, sizeof(err));
	if (m == NULL)
		fail_msg("%s", err);
	return m;
}

/* The file must fail with exactly "PATH:LINE: msg". */
static void
refuse_bytes(const char *text, size_t len, int line, const char *msg)
{
	char err[512], want[512];

	write_bytes(text, len);
	err[0] = '\0';
	assert_null(meta_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	assert_string_equal(err, want);
}

static void
refuse(const char *text, int line, const char *msg)
{
	refuse_bytes(text, strlen(text), line, msg);
}

static struct flow_key
key(uint8_t proto, const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	assert_int_equal(addr_parse(&k.src, src), 0);
	assert_int_equal(addr_parse(&k.dst, dst), 0);
	k.sport = sport;
	k.dport = dport;
	k.proto = proto;
	return k;
}

/* The line of the file that owns k at t, 0 when none. */
static int
owner_line(const struct meta *m, struct flow_key k, uint64_t t)
{
	const struct meta_owner *o = meta_find(m, &k, t);

	return o == NULL ? 0 : o->line;
}

#define T0	1700000000000000ULL	/* some time inside every unbounded window */

static void
test_v4(void **state)
{
	struct meta *m;
	const struct meta_owner *o;
	const struct policy_subject *s;
	struct flow_key k;

	(void)state;
	m = load("tcp 10.1.0.5 40000 198.51.100.10 443 pid=4242 exe=/usr/bin/curl "
	    "uid=1000 gid=1001 cgroup=/user.slice/user-1000.slice\n");
	assert_int_equal(meta_count(m), 1);
	k = key(IPPROTO_TCP, "10.1.0.5", 40000, "198.51.100.10", 443);
	assert_non_null(o = meta_find(m, &k, T0));
	assert_int_equal(o->line, 1);
	assert_int_equal(o->pid, 4242);
	assert_non_null(s = meta_lookup(m, &k, T0));
	assert_ptr_equal(s, &o->subject);
	assert_true(s->known);
	assert_int_equal(s->uid, 1000);
	assert_int_equal(s->gid, 1001);
	assert_string_equal(s->exe, "/usr/bin/curl");
	assert_string_equal(s->cgroup, "/user.slice/user-1000.slice");
	/* any time at all when no window is given */
	assert_non_null(meta_lookup(m, &k, 0));
	assert_non_null(meta_lookup(m, &k, UINT64_MAX));
	/* another port, address or protocol: no owner */
	k.sport = 40001;
	assert_null(meta_lookup(m, &k, T0));
	k = key(IPPROTO_UDP, "10.1.0.5", 40000, "198.51.100.10", 443);
	assert_null(meta_lookup(m, &k, T0));
	k = key(IPPROTO_TCP, "10.1.0.6", 40000, "198.51.100.10", 443);
	assert_null(meta_lookup(m, &k, T0));
	k = key(IPPROTO_TCP, "10.1.0.5", 443, "198.51.100.10", 40000);
	assert_null(meta_lookup(m, &k, T0));	/* ports swapped, addresses not */
	meta_free(m);
}

static void
test_v6_wildcard_port(void **state)
{
	struct meta *m;
	const struct policy_subject *s;
	struct flow_key k;

	(void)state;
	m = load("udp fd00:1::5 * 2001:db8::53 53 pid=77 exe=/usr/sbin/unbound uid=0 gid=0\n"
	    "icmpv6 fd00:1::5 * 2001:db8::1 * uid=5\n");
	k = key(IPPROTO_UDP, "fd00:1::5", 5353, "2001:db8::53", 53);
	assert_non_null(s = meta_lookup(m, &k, T0));
	assert_int_equal(s->uid, 0);
	assert_int_equal(s->gid, 0);
	assert_string_equal(s->exe, "/usr/sbin/unbound");
	assert_null(s->cgroup);
	assert_int_equal(meta_find(m, &k, T0)->pid, 77);
	k.sport = 1;
	assert_int_equal(owner_line(m, k, T0), 1);
	k.dport = 54;
	assert_int_equal(owner_line(m, k, T0), 0);
	/* ICMP echo: the id is in both ports */
	k = key(IPPROTO_ICMPV6, "fd00:1::5", 9, "2001:db8::1", 9);
	assert_non_null(s = meta_lookup(m, &k, T0));
	assert_int_equal(s->uid, 5);
	assert_int_equal(s->gid, META_ID_NONE);	/* not given */
	assert_null(s->exe);
	assert_int_equal(meta_find(m, &k, T0)->pid, 0);
	/* the same address in IPv4 is another address */
	k = key(IPPROTO_UDP, "10.0.0.5", 5353, "10.0.0.53", 53);
	assert_null(meta_lookup(m, &k, T0));
	meta_free(m);
}

static void
test_reverse(void **state)
{
	struct meta *m;
	struct flow_key k;

	(void)state;
	/* an exact line (hashed) and a wildcard one, each met from the other side */
	m = load("tcp 10.1.0.5 22 192.0.2.7 50000 uid=1\n"
	    "udp 10.1.0.5 * 192.0.2.0/24 123 uid=2\n");
	k = key(IPPROTO_TCP, "192.0.2.7", 50000, "10.1.0.5", 22);
	assert_int_equal(owner_line(m, k, T0), 1);
	k = key(IPPROTO_TCP, "10.1.0.5", 22, "192.0.2.7", 50000);
	assert_int_equal(owner_line(m, k, T0), 1);
	k = key(IPPROTO_TCP, "192.0.2.7", 22, "10.1.0.5", 50000);
	assert_int_equal(owner_line(m, k, T0), 0);
	k = key(IPPROTO_UDP, "192.0.2.99", 123, "10.1.0.5", 40000);
	assert_int_equal(owner_line(m, k, T0), 2);
	k = key(IPPROTO_UDP, "192.0.3.99", 123, "10.1.0.5", 40000);
	assert_int_equal(owner_line(m, k, T0), 0);
	meta_free(m);
}

static void
test_prefixes_and_any(void **state)
{
	struct meta *m;
	struct flow_key k;

	(void)state;
	m = load("any 10.1.2.0/24 * * 443 uid=10\n"
	    "tcp * * 2001:db8::/32 * uid=11\n"
	    "any * * * * uid=12\n");
	k = key(IPPROTO_UDP, "10.1.2.200", 1, "203.0.113.1", 443);
	assert_int_equal(owner_line(m, k, T0), 1);
	k = key(IPPROTO_TCP, "10.1.3.1", 1, "203.0.113.1", 443);
	assert_int_equal(owner_line(m, k, T0), 3);
	k = key(IPPROTO_TCP, "fd00::1", 1, "2001:db8:1::1", 80);
	assert_int_equal(owner_line(m, k, T0), 2);
	k = key(IPPROTO_ICMP, "10.9.9.9", 3, "10.8.8.8", 3);
	assert_int_equal(owner_line(m, k, T0), 3);
	meta_free(m);
}

static void
test_time_window(void **state)
{
	struct meta *m;
	struct flow_key k;

	(void)state;
	m = load("tcp 10.0.0.1 1000 10.0.0.2 80 from=100 to=200.5 uid=1\n"
	    "tcp 10.0.0.1 1000 10.0.0.2 80 from=300.000001 uid=2\n"
	    "tcp 10.0.0.1 1000 10.0.0.2 80 to=50.25 uid=3\n"
	    "tcp 10.0.0.1 * 10.0.0.2 80 from=400 to=400 uid=4\n");
	k = key(IPPROTO_TCP, "10.0.0.1", 1000, "10.0.0.2", 80);
	/* both bounds inclusive, to the microsecond */
	assert_int_equal(owner_line(m, k, 100000000 - 1), 0);
	assert_int_equal(owner_line(m, k, 100000000), 1);
	assert_int_equal(owner_line(m, k, 200500000), 1);
	assert_int_equal(owner_line(m, k, 200500000 + 1), 0);
	assert_int_equal(owner_line(m, k, 300000000), 0);
	assert_int_equal(owner_line(m, k, 300000001), 2);
	assert_int_equal(owner_line(m, k, T0), 2);
	assert_int_equal(owner_line(m, k, 0), 3);
	assert_int_equal(owner_line(m, k, 50250000), 3);
	assert_int_equal(owner_line(m, k, 50250001), 0);
	/* a window of one instant */
	k.sport = 1001;
	assert_int_equal(owner_line(m, k, 400000000), 4);
	assert_int_equal(owner_line(m, k, 400000001), 0);
	assert_int_equal(owner_line(m, k, 399999999), 0);
	meta_free(m);
}

static void
test_first_match_wins(void **state)
{
	struct meta *m;
	struct flow_key k;

	(void)state;
	m = load("tcp 10.0.0.1 * 10.0.0.2 80 uid=1\n"	/* wildcard before exact */
	    "tcp 10.0.0.1 1000 10.0.0.2 80 uid=2\n"
	    "udp 10.0.0.1 1000 10.0.0.2 53 uid=3\n"	/* exact before wildcard */
	    "udp 10.0.0.1 * 10.0.0.2 53 uid=4\n"
	    "udp 10.0.0.2 53 10.0.0.1 1000 uid=5\n"	/* exact, reversed */
	    "tcp 10.0.0.3 1 10.0.0.4 2 to=10 uid=6\n"	/* two exact, by time */
	    "tcp 10.0.0.4 2 10.0.0.3 1 uid=7\n");
	k = key(IPPROTO_TCP, "10.0.0.1", 1000, "10.0.0.2", 80);
	assert_int_equal(meta_lookup(m, &k, T0)->uid, 1);
	k = key(IPPROTO_UDP, "10.0.0.1", 1000, "10.0.0.2", 53);
	assert_int_equal(meta_lookup(m, &k, T0)->uid, 3);
	k = key(IPPROTO_UDP, "10.0.0.2", 53, "10.0.0.1", 1000);
	assert_int_equal(meta_lookup(m, &k, T0)->uid, 3);
	k = key(IPPROTO_UDP, "10.0.0.1", 1001, "10.0.0.2", 53);
	assert_int_equal(meta_lookup(m, &k, T0)->uid, 4);
	k = key(IPPROTO_TCP, "10.0.0.3", 1, "10.0.0.4", 2);
	assert_int_equal(meta_lookup(m, &k, 10000000)->uid, 6);
	assert_int_equal(meta_lookup(m, &k, 10000001)->uid, 7);
	meta_free(m);
}

static void
test_comments_blanks(void **state)
{
	struct meta *m;
	struct flow_key k;
	char line[META_LINE_MAX + 2];
	size_t n;

	(void)state;
	m = load("# owners\n\n   \n\t\n"
	    "  tcp\t10.0.0.1  1 10.0.0.2\t2   uid=1   # curl, with a comment\n"
	    "#tcp 10.0.0.1 1 10.0.0.2 2 uid=2\n"
	    "udp 10.0.0.1 1 10.0.0.2 2 uid=3#no blank needed\n"
	    "tcp 10.0.0.5 1 10.0.0.6 2 exe=/opt/caf\xc3\xa9/bin/\xe2\x82\xac uid=4");	/* no final newline */
	assert_int_equal(meta_count(m), 3);
	k = key(IPPROTO_TCP, "10.0.0.1", 1, "10.0.0.2", 2);
	assert_int_equal(owner_line(m, k, T0), 5);
	k.proto = IPPROTO_UDP;
	assert_int_equal(owner_line(m, k, T0), 7);
	k = key(IPPROTO_TCP, "10.0.0.5", 1, "10.0.0.6", 2);
	assert_int_equal(owner_line(m, k, T0), 8);
	assert_string_equal(meta_lookup(m, &k, T0)->exe, "/opt/caf\xc3\xa9/bin/\xe2\x82\xac");
	meta_free(m);

	/* an empty file and a file of comments are files of no owners */
	m = load("");
	assert_int_equal(meta_count(m), 0);
	k = key(IPPROTO_TCP, "10.0.0.1", 1, "10.0.0.2", 2);
	assert_null(meta_lookup(m, &k, T0));
	meta_free(m);
	m = load("# nothing\n\n");
	assert_int_equal(meta_count(m), 0);
	meta_free(m);

	/* a line of exactly META_LINE_MAX bytes is taken */
	n = (size_t)snprintf(line, sizeof(line), "tcp 10.0.0.1 1 10.0.0.2 2 uid=9 #");
	memset(line + n, 'x', META_LINE_MAX - n);
	line[META_LINE_MAX] = '\n';
	line[META_LINE_MAX + 1] = '\0';
	m = load(line);
	assert_int_equal(meta_count(m), 1);
	meta_free(m);
}

static void
test_escapes(void **state)
{
	struct meta *m;
	struct flow_key k;
	const struct policy_subject *s;

	(void)state;
	m = load("tcp 10.0.0.1 1 10.0.0.2 2 exe=/opt/my%20app/bin%2fx%25%23 "
	    "cgroup=/kubepods.slice/pod%3a1/// \n"
	    "tcp 10.0.0.1 3 10.0.0.2 2 cgroup=/\n");
	k = key(IPPROTO_TCP, "10.0.0.1", 1, "10.0.0.2", 2);
	assert_non_null(s = meta_lookup(m, &k, T0));
	assert_string_equal(s->exe, "/opt/my app/bin/x%#");
	assert_string_equal(s->cgroup, "/kubepods.slice/pod:1");
	assert_int_equal(s->uid, META_ID_NONE);
	assert_int_equal(s->gid, META_ID_NONE);
	k.sport = 3;
	assert_string_equal(meta_lookup(m, &k, T0)->cgroup, "/");
	meta_free(m);
}

static void
test_errors(void **state)
{
	static const struct { const char *text; int line; const char *msg; } cases[] = {
		{ "sctp 10.0.0.1 1 10.0.0.2 2 uid=0\n", 1,
		  "unknown protocol \"sctp\" (tcp, udp, icmp, icmpv6 or any)" },
		{ "# c\n\nTCP 10.0.0.1 1 10.0.0.2 2 uid=0\n", 3,
		  "unknown protocol \"TCP\" (tcp, udp, icmp, icmpv6 or any)" },
		{ "tcp 10.0.0.300 1 10.0.0.2 2 uid=0\n", 1,
		  "source \"10.0.0.300\" is not an address, a prefix (no host bits set) or *" },
		{ "tcp 10.0.0.1 1 10.0.0.2/24 2 uid=0\n", 1,
		  "destination \"10.0.0.2/24\" is not an address, a prefix (no host bits set) or *" },
		{ "tcp 10.0.0.1 1 fd00::1/129 2 uid=0\n", 1,
		  "destination \"fd00::1/129\" is not an address, a prefix (no host bits set) or *" },
		{ "tcp 10.0.0.1 65536 10.0.0.2 2 uid=0\n", 1,
		  "source port \"65536\" is not a port (0-65535 or *)" },
		{ "tcp 10.0.0.1 -1 10.0.0.2 2 uid=0\n", 1,
		  "source port \"-1\" is not a port (0-65535 or *)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 http uid=0\n", 1,
		  "destination port \"http\" is not a port (0-65535 or *)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 uid=0\ntcp 10.0.0.1 1 10.0.0.2\n", 2,
		  "expected PROTO SRC SPORT DST DPORT, then KEY=VALUE fields" },
		{ "tcp 10.0.0.1 1 10.0.0.2 uid=0 pid=1\n", 1,
		  "expected PROTO SRC SPORT DST DPORT, then KEY=VALUE fields" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 uid=0 curl\n", 1,
		  "\"curl\" is not KEY=VALUE" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 user=0\n", 1,
		  "unknown key \"user\" (from, to, pid, exe, uid, gid or cgroup)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 uid=0 uid=0\n", 1, "uid= given twice" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 from=1 from=2 uid=0\n", 1, "from= given twice" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2\n", 1,
		  "no owner: give at least one of pid, exe, uid, gid, cgroup" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 from=1 to=2\n", 1,
		  "no owner: give at least one of pid, exe, uid, gid, cgroup" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=curl\n", 1, "exe=curl: not an absolute path" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=\n", 1, "exe=: not an absolute path" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 cgroup=user.slice\n", 1,
		  "cgroup=user.slice: not an absolute path" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/bin/a%2\n", 1,
		  "exe=/bin/a%2: bad %-escape (%XX, two hex digits)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/bin/a%zz\n", 1,
		  "exe=/bin/a%zz: bad %-escape (%XX, two hex digits)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/bin/a%00b\n", 1,
		  "exe=/bin/a%00b: %00 is not allowed" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 uid=4294967295\n", 1,
		  "uid=4294967295: not a user id (0-4294967294)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 uid=99999999999999999999999\n", 1,
		  "uid=99999999999999999999999: not a user id (0-4294967294)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 gid=-1\n", 1,
		  "gid=-1: not a group id (0-4294967294)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 uid=\n", 1,
		  "uid=: not a user id (0-4294967294)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 pid=0\n", 1, "pid=0: not a process id (1-4194304)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 pid=4194305\n", 1,
		  "pid=4194305: not a process id (1-4194304)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 pid=+5\n", 1, "pid=+5: not a process id (1-4194304)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 from=1.1234567 uid=0\n", 1,
		  "from=1.1234567: not a time (seconds since the epoch, up to 6 decimals)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 to=1e9 uid=0\n", 1,
		  "to=1e9: not a time (seconds since the epoch, up to 6 decimals)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 to=5. uid=0\n", 1,
		  "to=5.: not a time (seconds since the epoch, up to 6 decimals)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 to=.5 uid=0\n", 1,
		  "to=.5: not a time (seconds since the epoch, up to 6 decimals)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 to=10000000000 uid=0\n", 1,
		  "to=10000000000: not a time (seconds since the epoch, up to 6 decimals)" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 from=200 to=100.5 uid=0\n", 1,
		  "from= is after to=" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 from=100.000001 to=100 uid=0\n", 1,
		  "from= is after to=" },
		{ "udp fd00:1::5 * 203.0.113.5 53 uid=0\n", 1,
		  "source and destination are not of one family" },
		{ "icmp fd00:1::5 * * * uid=0\n", 1, "icmp with an IPv6 address" },
		{ "icmpv6 * * 10.0.0.1 * uid=0\n", 1, "icmpv6 with an IPv4 address" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 uid=0\r\n", 1,
		  "control character 0x0d at column 32" },
		{ "# a bell \a in a comment\n", 1, "control character 0x07 at column 10" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/bin/\x7f\n", 1,
		  "control character 0x7f at column 36" },
		{ "\n# caf\xe9\n", 2, "invalid UTF-8 at column 6" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/\xc0\xaf\n", 1, "invalid UTF-8 at column 32" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/\xed\xa0\x80\n", 1, "invalid UTF-8 at column 32" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/\xf4\x90\x80\x80\n", 1,
		  "invalid UTF-8 at column 32" },
		{ "tcp 10.0.0.1 1 10.0.0.2 2 exe=/\xe2\x82\n", 1, "invalid UTF-8 at column 32" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refuse(cases[i].text, cases[i].line, cases[i].msg);
	/* a NUL byte is a control character too */
	refuse_bytes("tcp 10.0.0.1 1 10.0.0.2 2 uid=0\0x\n", 34, 1,
	    "control character 0x00 at column 32");
}

static void
test_line_too_long(void **state)
{
	char *text;
	size_t n;

	(void)state;
	assert_non_null(text = malloc(META_LINE_MAX + 64));
	n = (size_t)snprintf(text, 64, "# one\ntcp 10.0.0.1 1 10.0.0.2 2 uid=9 #");
	memset(text + n, 'x', META_LINE_MAX + 1 - (n - 6));
	n += META_LINE_MAX + 1 - (n - 6);
	text[n++] = '\n';
	text[n] = '\0';
	refuse(text, 2, "line too long (more than 8192 bytes)");
	/* and without a final newline */
	text[n - 1] = '\0';
	refuse(text, 2, "line too long (more than 8192 bytes)");
	free(text);
}

static void
test_missing_file(void **state)
{
	char err[512], want[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such-file", tmpdir);
	assert_null(meta_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	meta_free(NULL);
	assert_int_equal(meta_count(NULL), 0);
}

#define BIG	100000

/* Line i (0-based) of the big file: one exact client port each, over 3 subnets. */
static void
big_key(size_t i, char *src, size_t len, uint16_t *sport)
{
	snprintf(src, len, "10.%zu.%zu.%zu", (i / 65536) % 256, (i / 256) % 256, i % 256);
	*sport = (uint16_t)(1024 + i % 50000);
}

static void
test_big_file(void **state)
{
	FILE *fp;
	struct meta *m;
	struct flow_key k;
	char err[512], src[32];
	const struct meta_owner *o;
	uint16_t sport;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	fprintf(fp, "# a capture's worth of owners\n");
	for (i = 0; i < BIG; i++) {
		big_key(i, src, sizeof(src), &sport);
		if (i == BIG / 2)	/* a wildcard line in the middle */
			fprintf(fp, "udp * * 192.0.2.53 53 pid=1 exe=/usr/sbin/dnsmasq\n");
		else
			fprintf(fp, "tcp %s %u 198.51.100.%zu 443 pid=%zu exe=/usr/bin/app%zu "
			    "uid=%zu\n", src, sport, i % 200, i + 1, i % 7, i);
	}
	assert_int_equal(fclose(fp), 0);
	assert_non_null(m = meta_load(path, err, sizeof(err)));
	assert_int_equal(meta_count(m), BIG);
	for (i = 0; i < BIG; i++) {
		if (i == BIG / 2)
			continue;
		big_key(i, src, sizeof(src), &sport);
		snprintf(err, sizeof(err), "198.51.100.%zu", i % 200);
		k = key(IPPROTO_TCP, src, sport, err, 443);
		if (i % 2)	/* half of them from the other side */
			k = key(IPPROTO_TCP, err, 443, src, sport);
		o = meta_find(m, &k, T0);
		assert_non_null(o);
		assert_int_equal(o->line, (int)i + 2);
		assert_int_equal(o->pid, i + 1);
		assert_int_equal(o->subject.uid, i);
		snprintf(err, sizeof(err), "/usr/bin/app%zu", i % 7);
		assert_string_equal(o->subject.exe, err);
		k.dport = k.sport = 7;
		assert_null(meta_find(m, &k, T0));
	}
	k = key(IPPROTO_UDP, "10.200.0.1", 40000, "192.0.2.53", 53);
	assert_non_null(o = meta_find(m, &k, T0));
	assert_int_equal(o->line, BIG / 2 + 2);
	meta_free(m);
	unlink(path);
}

static void
test_too_many_lines(void **state)
{
	FILE *fp;
	char err[512], want[512];
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/huge", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	for (i = 0; i < META_MAX + 1; i++)
		fputs("any * * * * uid=0\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_null(meta_load(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:%d: more than 1000000 owner lines", path,
	    META_MAX + 1);
	assert_string_equal(err, want);
	unlink(path);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/og-meta-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6_wildcard_port),
		cmocka_unit_test(test_reverse),
		cmocka_unit_test(test_prefixes_and_any),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_comments_blanks),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_big_file),
		cmocka_unit_test(test_too_many_lines),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
