/*
 * attrib_cost.c - what attribution costs per new flow: N idle processes
 * (each holding a socket), then M connections over loopback, each from a
 * short-lived client of its own (with -l, all from one long-lived client);
 * the parent times attrib_lookup for each connection and checks that it
 * names the client's pid.  Prints one line:
 *   attrib idle=N flows=M clients=short|long cmdline=on|off p50_us= p99_us= max_us=
 *     right= not_found= wrong=
 * The clients come from a spawner forked before attribution starts, so that
 * they hold none of its descriptors: a client is no child of the gateway.
 * Loopback only; every child is ended before it returns.
 *
 *   attrib_cost [-l] [-n] [IDLE [FLOWS]]     (defaults 2000, 1000)
 *     -l  one long-lived client makes every connection
 *     -n  the command line is not read (as in outgate run)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attrib.h"

static pid_t *idle;
static long nidle;
static pid_t spawner = -1;

static void
end_idle(void)
{
	for (long i = 0; i < nidle; i++)
		kill(idle[i], SIGKILL);
	for (long i = 0; i < nidle; i++)
		waitpid(idle[i], NULL, 0);
	nidle = 0;
	if (spawner > 0) {
		kill(spawner, SIGKILL);
		waitpid(spawner, NULL, 0);
		spawner = -1;
	}
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Connect to sa and wait until the other side closes.  0 or -1. */
static int
connect_once(const struct sockaddr_in *sa, int rep, pid_t who)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char c;

	if (s == -1 || connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == -1)
		return -1;
	if (write(rep, &who, sizeof(who)) != (ssize_t)sizeof(who))
		return -1;
	while (read(s, &c, 1) > 0)
		;	/* until the parent has looked and closed */
	close(s);
	return 0;
}

/*
 * For each byte read from req: a connection to sa, from a new process
 * (long: from the spawner itself); the pid of its maker written to rep.
 * Ends at the end of req.
 */
static void
spawn_clients(const struct sockaddr_in *sa, int req, int rep, int long_lived)
{
	pid_t prev = -1, p;
	char c;

	alarm(600);	/* ends even if the parent is killed hard */
	while (read(req, &c, 1) == 1) {
		if (long_lived) {
			if (connect_once(sa, rep, getpid()) == -1)
				_exit(1);
			continue;
		}
		if (prev > 0)
			waitpid(prev, NULL, 0);		/* one client at a time */
		if ((p = fork()) == -1)
			_exit(1);
		if (p == 0) {
			close(req);
			_exit(connect_once(sa, rep, getpid()) == 0 ? 0 : 1);
		}
		prev = p;
	}
	if (prev > 0)
		waitpid(prev, NULL, 0);
	_exit(0);
}

int
main(int argc, char **argv)
{
	long want_idle = 2000, flows = 1000;
	int long_lived = 0, cmdline = 1, opt;
	struct sockaddr_in sa, peer;
	socklen_t sl = sizeof(sa);
	struct attrib_owner o;
	struct attrib *a;
	struct flow_key k;
	long right = 0, notfound = 0, wrong = 0;
	double *t;
	char err[256];
	int ls, req[2], rep[2];

	while ((opt = getopt(argc, argv, "ln")) != -1) {
		switch (opt) {
		case 'l':
			long_lived = 1;
			break;
		case 'n':
			cmdline = 0;
			break;
		default:
			fprintf(stderr, "usage: attrib_cost [-l] [-n] [IDLE [FLOWS]]\n");
			return 2;
		}
	}
	if (optind < argc)
		want_idle = atol(argv[optind++]);
	if (optind < argc)
		flows = atol(argv[optind++]);
	if (want_idle < 0 || flows < 1 || flows > 1000000 || optind != argc) {
		fprintf(stderr, "usage: attrib_cost [-l] [-n] [IDLE [FLOWS]]\n");
		return 2;
	}
	if ((idle = calloc((size_t)want_idle + 1, sizeof(*idle))) == NULL ||
	    (t = calloc((size_t)flows, sizeof(*t))) == NULL)
		return 1;
	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(ls, 16) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) == -1) {
		perror("attrib_cost: listen");
		return 1;
	}
	atexit(end_idle);
	for (nidle = 0; nidle < want_idle; nidle++) {
		pid_t p = fork();

		if (p == -1) {
			fprintf(stderr, "attrib_cost: fork: %s after %ld\n", strerror(errno), nidle);
			return 1;
		}
		if (p == 0) {
			close(ls);
			(void)socket(AF_INET, SOCK_DGRAM, 0);	/* a socket for the map */
			alarm(600);	/* ends even if we are killed hard */
			pause();
			_exit(0);
		}
		idle[nidle] = p;
	}
	if (pipe(req) == -1 || pipe(rep) == -1 || (spawner = fork()) == -1) {
		perror("attrib_cost: spawner");
		return 1;
	}
	if (spawner == 0) {
		close(ls);
		close(req[1]);
		close(rep[0]);
		spawn_clients(&sa, req[0], rep[1], long_lived);
	}
	close(req[0]);
	close(rep[1]);
	if ((a = attrib_new("/proc", err, sizeof(err))) == NULL) {
		fprintf(stderr, "attrib_cost: %s\n", err);
		return 1;
	}
	attrib_set_cmdline(a, cmdline != 0);
	for (long i = 0; i < flows; i++) {
		pid_t p;
		double t0;
		int cs;

		if (write(req[1], "c", 1) != 1 ||
		    read(rep[0], &p, sizeof(p)) != (ssize_t)sizeof(p)) {
			fprintf(stderr, "attrib_cost: the spawner stopped at flow %ld\n", i);
			return 1;
		}
		sl = sizeof(peer);
		cs = accept(ls, (struct sockaddr *)&peer, &sl);
		if (cs == -1) {
			perror("attrib_cost: accept");
			return 1;
		}
		memset(&k, 0, sizeof(k));
		k.proto = IPPROTO_TCP;
		addr_set4(&k.src, (const uint8_t *)&peer.sin_addr);
		addr_set4(&k.dst, (const uint8_t *)&sa.sin_addr);
		k.sport = ntohs(peer.sin_port);
		k.dport = ntohs(sa.sin_port);
		t0 = now_us();
		if (attrib_lookup(a, &k, true, &o) == 0)
			o.pid == (uint32_t)p ? right++ : wrong++;
		else
			notfound++;
		t[i] = now_us() - t0;
		close(cs);	/* the client ends */
	}
	close(req[1]);
	waitpid(spawner, NULL, 0);
	spawner = -1;
	qsort(t, (size_t)flows, sizeof(*t), cmp_d);
	printf("attrib idle=%ld flows=%ld clients=%s cmdline=%s p50_us=%.1f p99_us=%.1f "
	    "max_us=%.1f right=%ld not_found=%ld wrong=%ld\n", want_idle, flows,
	    long_lived ? "long" : "short", cmdline ? "on" : "off", t[flows / 2],
	    t[(size_t)((double)flows * 0.99)], t[flows - 1], right, notfound, wrong);
	attrib_free(a);
	return wrong == 0 ? 0 : 1;
}
