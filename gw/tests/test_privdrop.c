/* test_privdrop.c - --user parsing, and the drop itself in forked children (as root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <cmocka.h>

#include "privdrop.h"

static void
test_parse(void **state)
{
	struct privdrop_user u;
	char err[256];

	(void)state;
	assert_int_equal(privdrop_user_parse("root", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 0);
	assert_int_equal(u.gid, 0);
	assert_int_equal(privdrop_user_parse("65534:65533", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 65534);
	assert_int_equal(u.gid, 65533);
	assert_int_equal(privdrop_user_parse("0", &u, err, sizeof(err)), 0);
	assert_int_equal(u.gid, 0);
	/* a uid with no passwd entry: its own number as the group */
	assert_int_equal(privdrop_user_parse("4000123", &u, err, sizeof(err)), 0);
	assert_int_equal(u.uid, 4000123);
	assert_int_equal(u.gid, 4000123);

	assert_int_equal(privdrop_user_parse("no-such-user-here", &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no such user"));
	assert_int_equal(privdrop_user_parse("12x", &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "UID[:GID]"));
	assert_int_equal(privdrop_user_parse("12:", &u, err, sizeof(err)), -1);
	assert_int_equal(privdrop_user_parse("12:-1", &u, err, sizeof(err)), -1);
	assert_int_equal(privdrop_user_parse("4294967295", &u, err, sizeof(err)), -1);
	assert_int_equal(privdrop_user_parse("99999999999", &u, err, sizeof(err)), -1);
}

static int
no_new_privs(void)
{
	char line[128];
	int v = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "NoNewPrivs: %d", &v) == 1)
			break;
	fclose(fp);
	return v;
}

/*
 * In a child: drop with u and keep, then exit with a code saying which
 * property failed (0 when all hold).
 */
static int
drop_in_child(const struct privdrop_user *u, uint64_t keep, bool ambient)
{
	uint64_t eff = 1, prm = 1, bnd = 1, amb = 1;
	char err[256];
	pid_t pid;
	int st;

	if ((pid = fork()) == 0) {
		if (privdrop_apply(u, keep, ambient, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			_exit(10);
		}
		if (privdrop_read_caps(0, &eff, &prm, &bnd, &amb) == -1)
			_exit(11);
		if (eff != keep || prm != keep || bnd != keep)
			_exit(12);
		if (amb != (ambient ? keep : 0))
			_exit(13);
		if (no_new_privs() != 1)
			_exit(14);
		if (u != NULL && (getuid() != u->uid || geteuid() != u->uid ||
		    getgid() != u->gid || getegid() != u->gid))
			_exit(15);
		if (u != NULL && getgroups(0, NULL) != 1)
			_exit(16);
		if (u != NULL && u->uid != 0 && setuid(0) != -1)
			_exit(17);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_apply(void **state)
{
	struct privdrop_user nobody = { 65534, 65534 };
	uint64_t na = PRIVDROP_CAP(CAP_NET_ADMIN);
	uint64_t attrib = na | PRIVDROP_CAP(CAP_SYS_PTRACE) | PRIVDROP_CAP(CAP_DAC_READ_SEARCH);

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(drop_in_child(&nobody, na, false), 0);
	assert_int_equal(drop_in_child(&nobody, attrib, false), 0);
	assert_int_equal(drop_in_child(&nobody, na, true), 0);
	/* staying root: only the capabilities change */
	assert_int_equal(drop_in_child(NULL, na, false), 0);
}

static void
test_apply_missing(void **state)
{
	struct privdrop_user nobody = { 65534, 65534 };
	char err[256];
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0)
		skip();
	/* once dropped, a second drop that asks for more must fail, not pretend */
	if ((pid = fork()) == 0) {
		if (privdrop_apply(&nobody, PRIVDROP_CAP(CAP_NET_ADMIN), false, err,
		    sizeof(err)) == -1)
			_exit(10);
		if (privdrop_apply(NULL, PRIVDROP_CAP(CAP_NET_ADMIN) |
		    PRIVDROP_CAP(CAP_SYS_PTRACE), false, err, sizeof(err)) != -1)
			_exit(11);
		_exit(strstr(err, "missing") != NULL ? 0 : 12);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_apply_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
