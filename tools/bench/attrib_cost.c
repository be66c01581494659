/*
 * attrib_cost.c - what attribution costs per new flow: N idle processes
 * (each holding a socket), then M short-lived clients, one after another,
 * each connecting over loopback; the parent times attrib_lookup for each
 * connection and checks that it names the client's pid.  Prints one line:
 *   attrib idle=N flows=M p50_us= p99_us= max_us= right= not_found= wrong=
 * Loopback only; every child is ended before it returns.
 *
 *   attrib_cost [IDLE [FLOWS]]     (defaults 2000, 1000)
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

static void
end_idle(void)
{
	for (long i = 0; i < nidle; i++)
		kill(idle[i], SIGKILL);
	for (long i = 0; i < nidle; i++)
		waitpid(idle[i], NULL, 0);
	nidle = 0;
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

int
main(int argc, char **argv)
{
	long want_idle = argc > 1 ? atol(argv[1]) : 2000;
	long flows = argc > 2 ? atol(argv[2]) : 1000;
	struct sockaddr_in sa, peer;
	socklen_t sl = sizeof(sa);
	struct attrib_owner o;
	struct attrib *a;
	struct flow_key k;
	long right = 0, notfound = 0, wrong = 0;
	double *t;
	char err[256];
	int ls;

	if (want_idle < 0 || flows < 1 || flows > 1000000) {
		fprintf(stderr, "usage: attrib_cost [IDLE [FLOWS]]\n");
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
	if ((a = attrib_new("/proc", err, sizeof(err))) == NULL) {
		fprintf(stderr, "attrib_cost: %s\n", err);
		return 1;
	}
	for (long i = 0; i < flows; i++) {
		int go[2], cs;
		char c = 0;
		pid_t p;
		double t0;

		if (pipe(go) == -1)
			return 1;
		if ((p = fork()) == 0) {
			int s = socket(AF_INET, SOCK_STREAM, 0);

			close(go[1]);
			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1)
				_exit(1);
			(void)read(go[0], &c, 1);	/* until the parent has looked */
			_exit(0);
		}
		close(go[0]);
		sl = sizeof(peer);
		cs = accept(ls, (struct sockaddr *)&peer, &sl);
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
		(void)write(go[1], &c, 1);
		close(go[1]);
		close(cs);
		waitpid(p, NULL, 0);
	}
	qsort(t, (size_t)flows, sizeof(*t), cmp_d);
	printf("attrib idle=%ld flows=%ld p50_us=%.1f p99_us=%.1f max_us=%.1f right=%ld "
	    "not_found=%ld wrong=%ld\n", want_idle, flows, t[flows / 2],
	    t[(size_t)((double)flows * 0.99)], t[flows - 1], right, notfound, wrong);
	attrib_free(a);
	return wrong == 0 ? 0 : 1;
}
