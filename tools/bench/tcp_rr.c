/*
 * tcp_rr.c - TCP request/response latency for `make bench`.
 *
 *   tcp_rr -s ADDR PORT [-t SECONDS]
 *       server: accept connections one after the other and echo each back
 *       until its peer closes; exits after SECONDS (default 120).
 *   tcp_rr ADDR PORT [-n ROUNDS] [-m BYTES] [-w WARMUP] [-T SECONDS]
 *       client: one persistent connection (TCP_NODELAY), WARMUP untimed round
 *       trips (default 200), then ROUNDS (default 20000) timed ones of BYTES
 *       (default 64) each, stopping early after SECONDS (default 30).  Prints
 *       one line: "rounds=N p50_us=X p90_us=X p99_us=X max_us=X mean_us=X".
 *
 * IPv4 or IPv6 by the form of ADDR.  Every blocking call has a timeout.
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define IO_TIMEOUT_S	2
#define MAX_BYTES	65536

static void
die(const char *what)
{
	fprintf(stderr, "tcp_rr: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
set_timeouts(int fd, int sec)
{
	struct timeval tv = { .tv_sec = sec, .tv_usec = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static struct addrinfo *
resolve(const char *addr, const char *port, bool passive)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0) };
	struct addrinfo *ai;
	int r;

	if ((r = getaddrinfo(addr, port, &hints, &ai)) != 0) {
		fprintf(stderr, "tcp_rr: %s %s: %s\n", addr, port, gai_strerror(r));
		exit(2);
	}
	return ai;
}

static int
read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const char *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = write(fd, buf + put, len - put);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		put += (size_t)n;
	}
	return 0;
}

static int
serve(const char *addr, const char *port, long lifetime)
{
	static char buf[MAX_BYTES];
	struct addrinfo *ai = resolve(addr, port, true);
	double end = now_s() + (double)lifetime;
	int one = 1, ls;

	if ((ls = socket(ai->ai_family, SOCK_STREAM, 0)) < 0)
		die("socket");
	(void)setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, ai->ai_addr, ai->ai_addrlen) < 0)
		die("bind");
	if (listen(ls, 16) < 0)
		die("listen");
	freeaddrinfo(ai);
	set_timeouts(ls, 1);	/* accept wakes up to look at the clock */
	while (now_s() < end) {
		int c = accept(ls, NULL, NULL);
		ssize_t n;

		if (c < 0)
			continue;
		(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_timeouts(c, IO_TIMEOUT_S);
		while (now_s() < end) {
			n = read(c, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || write_full(c, buf, (size_t)n) < 0)
				break;
		}
		close(c);
	}
	close(ls);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, long n, double p)
{
	long i = (long)(p * (double)(n - 1) + 0.5);

	return (double)v[i] / 1000.0;
}

static int
client(const char *addr, const char *port, long rounds, size_t bytes, long warmup,
    double limit)
{
	static char out[MAX_BYTES], in[MAX_BYTES];
	struct addrinfo *ai = resolve(addr, port, false);
	uint64_t *lat, sum = 0;
	double end;
	long i, done = 0;
	int fd, one = 1;

	if ((lat = calloc((size_t)rounds, sizeof(*lat))) == NULL)
		die("calloc");
	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0)
		die("socket");
	set_timeouts(fd, IO_TIMEOUT_S);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die("connect");
	freeaddrinfo(ai);
	memset(out, 'r', bytes);
	end = now_s() + limit;
	for (i = 0; i < warmup && now_s() < end; i++)
		if (write_full(fd, out, bytes) < 0 || read_full(fd, in, bytes) < 0)
			die("warm-up round trip");
	for (i = 0; i < rounds; i++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		if (a.tv_sec + a.tv_nsec / 1e9 >= end)
			break;
		if (write_full(fd, out, bytes) < 0 || read_full(fd, in, bytes) < 0)
			die("round trip");
		clock_gettime(CLOCK_MONOTONIC, &b);
		lat[i] = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000u +
		    (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
		sum += lat[i];
		done++;
	}
	close(fd);
	if (done == 0) {
		fprintf(stderr, "tcp_rr: no round trip in time\n");
		return 1;
	}
	qsort(lat, (size_t)done, sizeof(*lat), cmp_u64);
	printf("rounds=%ld p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f\n",
	    done, pct(lat, done, 0.50), pct(lat, done, 0.90), pct(lat, done, 0.99),
	    (double)lat[done - 1] / 1000.0, (double)sum / (double)done / 1000.0);
	free(lat);
	return 0;
}

int
main(int argc, char **argv)
{
	long rounds = 20000, warmup = 200, lifetime = 120;
	double limit = 30;
	size_t bytes = 64;
	bool server = false;
	int c;

	while ((c = getopt(argc, argv, "sn:m:w:T:t:")) != -1) {
		switch (c) {
		case 's': server = true; break;
		case 'n': rounds = atol(optarg); break;
		case 'm': bytes = (size_t)atol(optarg); break;
		case 'w': warmup = atol(optarg); break;
		case 'T': limit = atof(optarg); break;
		case 't': lifetime = atol(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || rounds < 1 || bytes < 1 || bytes > MAX_BYTES)
		goto usage;
	if (server)
		return serve(argv[optind], argv[optind + 1], lifetime);
	return client(argv[optind], argv[optind + 1], rounds, bytes, warmup, limit);
usage:
	fprintf(stderr, "usage: tcp_rr -s ADDR PORT [-t SECONDS]\n"
	    "       tcp_rr ADDR PORT [-n ROUNDS] [-m BYTES] [-w WARMUP] [-T SECONDS]\n");
	return 2;
}
