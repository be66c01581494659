/* test_sandbox.c - the seccomp allowlist: what it lets through, what ends the process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox.h"

/* In a child: enter the sandbox, run what, exit 0; the parent gets the status and stderr. */
static int
in_sandbox(int (*what)(void), char *errbuf, size_t errlen)
{
	char err[256];
	int p[2], st;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		dup2(p[1], STDERR_FILENO);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    sandbox_prepare(err, sizeof(err)) == -1 ||
		    sandbox_enter(err, sizeof(err)) == -1) {
			dprintf(STDERR_FILENO, "%s\n", err);
			_exit(10);
		}
		_exit(what());
	}
	close(p[1]);
	n = read(p[0], errbuf, errlen - 1);
	errbuf[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* what a worker does: files under /proc, memory, time, a netlink socket */
static int
worker_like(void)
{
	char buf[4096];
	int fd, s;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) == -1 ||
	    read(fd, buf, sizeof(buf)) <= 0 || close(fd) == -1)
		return 1;
	if (readlink("/proc/self/exe", buf, sizeof(buf)) <= 0)
		return 2;
	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 4)) == -1)	/* NETLINK_SOCK_DIAG */
		return 3;
	close(s);
	if (write(STDERR_FILENO, "fine\n", 5) != 5)
		return 4;
	return 0;
}

/* what no thread of ours may do */
static int
make_inet_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) == -1 ? 20 : 21;
}

static int
run_program(void)
{
	char *argv[] = { "/bin/true", NULL };

	execve("/bin/true", argv, NULL);
	return 22;
}

static int
fork_child(void)
{
	return syscall(SYS_fork) == -1 ? 23 : 24;
}

static void
test_allowed(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(in_sandbox(worker_like, err, sizeof(err)), 0);
	assert_string_equal(err, "fine\n");
}

static void
test_refused(void **state)
{
	char err[512];

	(void)state;
	/* each ends the process with SIGSYS's status and names the call */
	assert_int_equal(in_sandbox(make_inet_socket, err, sizeof(err)), 128 + 31);
	assert_non_null(strstr(err, "seccomp: system call"));
	assert_non_null(strstr(err, "is not allowed"));
	assert_int_equal(in_sandbox(run_program, err, sizeof(err)), 128 + 31);
	assert_int_equal(in_sandbox(fork_child, err, sizeof(err)), 128 + 31);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
