/*
 * conn_rate.c - new TCP connections per second, for `make bench`.
 *
 *   conn_rate -s ADDR PORT [-t SECONDS]
 *       server: accept, read one byte, write one byte, close; one connection
 *       after the other; exits after SECONDS (default 120).
 *   conn_rate ADDR PORT [-d SECONDS] [-c MAX]
 *       client: sequentially connect, send a byte, read a byte, wait for the
 *       server's close, close; for SECONDS (default 3) or MAX connections
 *       (default 1000000), whichever comes first.  Prints one line:
 *       "conns=N failed=N secs=X conn_per_s=X p50_us=X p99_us=X".
 *
 * The server closes first, so TIME_WAIT stays on its side and the client
 * never runs out of ports.  Every blocking call has a timeout; the client
 * gives up after 100 failures.
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

#define IO_TIMEOUT_S	1
#define MAX_FAILED	100
#define MAX_SAMPLES	(1 << 20)

static void
die(const char *what)
{
	fprintf(stderr, "conn_rate: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
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
		fprintf(stderr, "conn_rate: %s %s: %s\n", addr, port, gai_strerror(r));
		exit(2);
	}
	return ai;
}

static int
serve(const char *addr, const char *port, long lifetime)
{
	struct addrinfo *ai = resolve(addr, port, true);
	uint64_t end = now_ns() + (uint64_t)lifetime * 1000000000u;
	int one = 1, ls;

	if ((ls = socket(ai->ai_family, SOCK_STREAM, 0)) < 0)
		die("socket");
	(void)setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, ai->ai_addr, ai->ai_addrlen) < 0)
		die("bind");
	if (listen(ls, 1024) < 0)
		die("listen");
	freeaddrinfo(ai);
	set_timeouts(ls, 1);	/* accept wakes up to look at the clock */
	while (now_ns() < end) {
		int c = accept(ls, NULL, NULL);
		char b;

		if (c < 0)
			continue;
		(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_timeouts(c, IO_TIMEOUT_S);
		if (read(c, &b, 1) == 1)
			(void)!write(c, &b, 1);
		close(c);
	}
	close(ls);
	return 0;
}

/* One connection: 0 when the byte came back and the server closed. */
static int
one_conn(const struct addrinfo *ai)
{
	char b = 'c';
	int fd, one = 1, ok = -1;

	if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) < 0)
		die("socket");
	set_timeouts(fd, IO_TIMEOUT_S);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 && write(fd, &b, 1) == 1 &&
	    read(fd, &b, 1) == 1 && read(fd, &b, 1) == 0)
		ok = 0;
	close(fd);
	return ok;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
client(const char *addr, const char *port, double secs, long max)
{
	struct addrinfo *ai = resolve(addr, port, false);
	uint32_t *lat;
	uint64_t t0, end, a, b;
	long conns = 0, failed = 0, n = 0;
	double el;

	if ((lat = calloc(MAX_SAMPLES, sizeof(*lat))) == NULL)
		die("calloc");
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (a = t0; a < end && conns < max && failed < MAX_FAILED; a = b) {
		int r = one_conn(ai);

		b = now_ns();
		if (r < 0) {
			failed++;
			continue;
		}
		if (n < MAX_SAMPLES)
			lat[n++] = (uint32_t)((b - a) / 1000u > UINT32_MAX ? UINT32_MAX : (b - a) / 1000u);
		conns++;
	}
	el = (double)(now_ns() - t0) / 1e9;
	freeaddrinfo(ai);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_u32);
	printf("conns=%ld failed=%ld secs=%.3f conn_per_s=%.0f p50_us=%u p99_us=%u\n",
	    conns, failed, el, (double)conns / el,
	    n ? lat[(long)(0.50 * (double)(n - 1) + 0.5)] : 0,
	    n ? lat[(long)(0.99 * (double)(n - 1) + 0.5)] : 0);
	free(lat);
	return conns > 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	long max = 1000000, lifetime = 120;
	double secs = 3;
	bool server = false;
	int c;

	while ((c = getopt(argc, argv, "sd:c:t:")) != -1) {
		switch (c) {
		case 's': server = true; break;
		case 'd': secs = atof(optarg); break;
		case 'c': max = atol(optarg); break;
		case 't': lifetime = atol(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind != 2 || secs <= 0 || max < 1)
		goto usage;
	if (server)
		return serve(argv[optind], argv[optind + 1], lifetime);
	return client(argv[optind], argv[optind + 1], secs, max);
usage:
	fprintf(stderr, "usage: conn_rate -s ADDR PORT [-t SECONDS]\n"
	    "       conn_rate ADDR PORT [-d SECONDS] [-c MAX]\n");
	return 2;
}
