/*
 * sandbox.c - the seccomp allowlist of the packet and control threads.
 * What they do, and so what is listed: netlink to the queue and to
 * sock_diag; /proc reads for attribution; memory for malloc and Lua; the
 * decision log (a file, stdout or a syslog datagram socket); the control
 * socket's clients; time, locks, signals to ourselves, thread exit.
 */
#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"

static struct sock_fprog prog;

/*
 * A refused system call traps here, on the thread that made it: say which
 * (async-signal-safe: write and _exit are on the list) and end the process
 * with the status a SIGSYS death would give.
 */
static void
refused(int sig, siginfo_t *si, void *uc)
{
	char msg[96] = "outgate: seccomp: system call ";
	size_t n = strlen(msg);
	char num[12];
	int v = si->si_syscall, k = 0;

	(void)uc;
	if (v < 0)
		v = 0;
	do {
		num[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && k < (int)sizeof(num));
	while (k > 0)
		msg[n++] = num[--k];
	memcpy(msg + n, " is not allowed: stopping\n", 27);
	if (write(STDERR_FILENO, msg, n + 26) < 0)
		_exit(128 + sig);	/* nothing more to do about it */
	_exit(128 + sig);
}

/* Allowed as they are. */
static const char *const plain[] = {
	/* files: the log, /proc, the policy's modules on a reload seen by Lua */
	"read", "readv", "pread64", "write", "writev", "pwrite64", "close",
	"openat", "open", "newfstatat", "fstat", "stat", "lstat", "statx", "lseek",
	"getdents64", "readlink", "readlinkat", "fcntl", "fsync", "fdatasync",
	"fstatfs", "statfs",
	"open_by_handle_at",	/* a socket's cgroup, by id (attrib, cgroupid) */
	"dup", "access", "faccessat", "faccessat2",
	/* memory */
	"mmap", "munmap", "mprotect", "mremap", "brk", "madvise",
	/* threads, time, locks */
	"futex", "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
	"gettimeofday", "time", "sched_yield", "getpid", "gettid", "getuid",
	"geteuid", "getgid", "getegid", "getrandom", "rseq", "set_robust_list",
	"sched_getaffinity", "sysinfo", "exit", "exit_group", "restart_syscall",
	"rt_sigprocmask", "rt_sigreturn", "sigaltstack", "prlimit64", "uname",
	/* sockets already open, and clients of the control socket */
	"poll", "ppoll", "recvmsg", "recvfrom", "recvmmsg", "sendmsg", "sendto",
	"sendmmsg", "accept4", "accept", "connect", "shutdown", "getsockname",
	"getpeername", "setsockopt", "getsockopt", "bind",
};

/* Argument arg equals v (libseccomp's SCMP_An macros leave datum_b to a
 * missing initializer, which clang -Wextra warns of). */
static struct scmp_arg_cmp
arg_eq(unsigned int arg, scmp_datum_t v)
{
	struct scmp_arg_cmp c = { .arg = arg, .op = SCMP_CMP_EQ, .datum_a = v, .datum_b = 0 };

	return c;
}

/* The filter as BPF, in a buffer of ours (libseccomp writes it to an fd). */
static int
export_bpf(scmp_filter_ctx ctx, char **out, size_t *outlen)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, rc;

	if ((fd = memfd_create("outgate-seccomp", MFD_CLOEXEC)) == -1)
		return -errno;
	if ((rc = seccomp_export_bpf(ctx, fd)) != 0 || fstat(fd, &st) == -1 ||
	    st.st_size <= 0 || st.st_size > 1 << 20) {
		close(fd);
		return rc != 0 ? rc : -EINVAL;
	}
	if ((buf = malloc((size_t)st.st_size)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, (size_t)st.st_size, 0);
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

int
sandbox_prepare(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	struct sigaction sa;
	char *buf = NULL;
	size_t len = 0, i;
	int rc, sc;

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		snprintf(err, errlen, "seccomp: cannot start a filter");
		return -1;
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if ((sc = seccomp_syscall_resolve_name(plain[i])) == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sc, 0)) != 0)
			goto fail;
	}
	/* new sockets: only local ones (syslog reconnects, sock_diag, sd_notify) */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    arg_eq(0, AF_UNIX))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    arg_eq(0, AF_NETLINK))) != 0)
		goto fail;
	/* isatty() on the log's stream, and nothing else of ioctl */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
	    arg_eq(1, TCGETS))) != 0)
		goto fail;
	/* a failed worker wakes the main thread with SIGTERM: to ourselves only */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
	    arg_eq(0, (scmp_datum_t)getpid()))) != 0 ||
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    arg_eq(0, (scmp_datum_t)getpid()))) != 0)
		goto fail;

	/* the BPF program, kept so that each thread can load it with prctl */
	if ((rc = export_bpf(ctx, &buf, &len)) != 0)
		goto fail;
	if (len == 0 || len % sizeof(struct sock_filter) != 0) {
		snprintf(err, errlen, "seccomp: the exported filter has %zu bytes", len);
		free(buf);
		seccomp_release(ctx);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = refused;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		snprintf(err, errlen, "seccomp: SIGSYS: %s", strerror(errno));
		free(buf);
		seccomp_release(ctx);
		return -1;
	}
	prog.len = (unsigned short)(len / sizeof(struct sock_filter));
	prog.filter = (struct sock_filter *)buf;
	seccomp_release(ctx);
	return 0;
fail:
	snprintf(err, errlen, "seccomp: %s", strerror(rc < 0 ? -rc : EINVAL));
	free(buf);
	seccomp_release(ctx);
	return -1;
}

int
sandbox_enter(char *err, size_t errlen)
{
	if (prog.filter == NULL)
		return 0;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1) {
		snprintf(err, errlen, "seccomp: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
sandbox_active(void)
{
	return prog.filter != NULL;
}
