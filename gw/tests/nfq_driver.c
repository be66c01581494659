/*
 * nfq_driver.c - test-only program for nfq_live.sh: answers one queue with a fixed
 * policy and prints nfq.c's counters; also sends test traffic.  Never a daemon.
 *
 *   nfq_driver run [--queue N] [--policy P] [--seconds S] [--maxlen N] [--copy N]
 *                  [--batch N] [--fail-open] [--stall MS]
 *       P: accept | drop | mark:M (accept, mark |= M) | repeat:M (repeat with
 *       mark |= M once, then accept) | bogus (an invalid verdict) | split:K (drop
 *       every K-th packet, accept the rest, marking 0x20000000 on every other block of K)
 *   nfq_driver busy N             open queue N, which must fail; prints the error
 *   nfq_driver blast ADDR PORT N  N UDP datagrams to ADDR:PORT, as fast as possible
 *   nfq_driver tcpsink PORT S     accept one TCP connection, read it; S seconds at most
 *   nfq_driver tcpsend ADDR PORT BYTES
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter.h>

#include "nfq.h"

#define MAX_UIDS	8

struct policy {
	enum { P_ACCEPT, P_DROP, P_MARK, P_REPEAT, P_BOGUS, P_SPLIT } kind;
	uint32_t	mark;		/* split: K */
	/* what was seen */
	uint32_t	uid[MAX_UIDS];
	uint64_t	uid_n[MAX_UIDS];
	unsigned	nuids;
	uint64_t	no_uid;
	uint64_t	repeats;
	uint64_t	seen, accepted, marked;
	size_t		max_wirelen;
	size_t		max_caplen;
	uint64_t	len0;		/* IPv4 total length 0 (BIG TCP) */
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
decide(void *arg, const struct nfqueue_pkt *p, struct nfqueue_verdict *v)
{
	struct policy *pol = arg;
	unsigned i;

	if (p->has_uid) {
		for (i = 0; i < pol->nuids && pol->uid[i] != p->uid; i++)
			;
		if (i == pol->nuids && i < MAX_UIDS)
			pol->uid[pol->nuids++] = p->uid;
		if (i < MAX_UIDS)
			pol->uid_n[i]++;
	} else {
		pol->no_uid++;
	}
	if (p->wirelen > pol->max_wirelen)
		pol->max_wirelen = p->wirelen;
	if (p->caplen > pol->max_caplen)
		pol->max_caplen = p->caplen;
	if (p->caplen >= 4 && p->data[0] >> 4 == 4 && p->data[2] == 0 && p->data[3] == 0)
		pol->len0++;

	pol->seen++;
	switch (pol->kind) {
	case P_SPLIT:
		if (pol->seen % pol->mark == 0) {
			v->verdict = NF_DROP;
			break;
		}
		v->verdict = NF_ACCEPT;
		if ((pol->seen / pol->mark) % 2 == 1) {
			v->set_mark = true;
			v->mark = p->mark | 0x20000000;
			pol->marked++;
		}
		break;
	case P_ACCEPT:
		v->verdict = NF_ACCEPT;
		break;
	case P_DROP:
		v->verdict = NF_DROP;
		break;
	case P_MARK:
		v->verdict = NF_ACCEPT;
		v->set_mark = true;
		v->mark = p->mark | pol->mark;
		break;
	case P_REPEAT:
		if ((p->mark & pol->mark) == pol->mark) {
			v->verdict = NF_ACCEPT;	/* our rule should not have queued it again */
		} else {
			pol->repeats++;
			v->verdict = NF_REPEAT;
			v->set_mark = true;
			v->mark = p->mark | pol->mark;
		}
		break;
	case P_BOGUS:
		v->verdict = 77;
		break;
	}
}

static int
parse_policy(const char *s, struct policy *pol)
{
	char *end;

	memset(pol, 0, sizeof(*pol));
	if (strcmp(s, "accept") == 0)
		pol->kind = P_ACCEPT;
	else if (strcmp(s, "drop") == 0)
		pol->kind = P_DROP;
	else if (strcmp(s, "bogus") == 0)
		pol->kind = P_BOGUS;
	else if (strncmp(s, "mark:", 5) == 0 || strncmp(s, "repeat:", 7) == 0 ||
	    strncmp(s, "split:", 6) == 0) {
		pol->kind = s[0] == 'm' ? P_MARK : s[0] == 'r' ? P_REPEAT : P_SPLIT;
		s = strchr(s, ':') + 1;
		errno = 0;
		pol->mark = (uint32_t)strtoul(s, &end, 0);
		if (errno != 0 || *end != '\0' || pol->mark == 0)
			return -1;
	} else
		return -1;
	return 0;
}

static void
print_stats(const struct nfqueue_stats *st, const struct policy *pol, double secs)
{
	unsigned i;

	printf("packets=%" PRIu64 " verdicts=%" PRIu64 " verdict_msgs=%" PRIu64
	    " batch_msgs=%" PRIu64 " sends=%" PRIu64 " recvs=%" PRIu64 " enobufs=%" PRIu64
	    " parse_errors=%" PRIu64 " kernel_errors=%" PRIu64 " last_kernel_error=%d"
	    " bad_verdicts=%" PRIu64 " gso=%" PRIu64 " cut=%" PRIu64 " open_drops=%" PRIu64
	    " max_batch=%u rcvbuf=%d kernel_known=%d queue_total=%u queue_dropped=%u"
	    " user_dropped=%u",
	    st->packets, st->verdicts, st->verdict_msgs, st->batch_msgs, st->sends, st->recvs,
	    st->enobufs, st->parse_errors, st->kernel_errors, st->last_kernel_error,
	    st->bad_verdicts, st->gso, st->cut, st->open_drops, st->max_batch, st->rcvbuf,
	    st->kernel_known, st->queue_total, st->queue_dropped, st->user_dropped);
	printf(" no_uid=%" PRIu64 " repeats=%" PRIu64 " marked=%" PRIu64 " max_wirelen=%zu"
	    " max_caplen=%zu ipv4_len0=%" PRIu64 " seconds=%.3f uids=", pol->no_uid,
	    pol->repeats, pol->marked,
	    pol->max_wirelen, pol->max_caplen, pol->len0, secs);
	for (i = 0; i < pol->nuids; i++)
		printf("%s%u:%" PRIu64, i ? "," : "", pol->uid[i], pol->uid_n[i]);
	printf("\n");
}

static unsigned long
num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max) {
		fprintf(stderr, "nfq_driver: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

static int
cmd_run(int argc, char **argv)
{
	struct nfqueue_opts o = { .queue = 3 };
	struct policy pol;
	struct nfqueue_stats st;
	struct nfqueue *q;
	struct sigaction sa;
	struct pollfd pfd;
	char err[256];
	double t0, deadline, seconds = 10;
	unsigned long stall_ms = 0;
	int i, r;

	parse_policy("accept", &pol);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--fail-open") == 0) {
			o.fail_open = true;
			continue;
		}
		if (v == NULL)
			goto usage;
		i++;
		if (strcmp(a, "--queue") == 0)
			o.queue = (uint16_t)num(v, 65535);
		else if (strcmp(a, "--policy") == 0) {
			if (parse_policy(v, &pol) < 0)
				goto usage;
		} else if (strcmp(a, "--seconds") == 0)
			seconds = (double)num(v, 3600);
		else if (strcmp(a, "--maxlen") == 0)
			o.maxlen = (uint32_t)num(v, UINT32_MAX);
		else if (strcmp(a, "--copy") == 0)
			o.copy_range = (uint32_t)num(v, NFQUEUE_COPY_MAX);
		else if (strcmp(a, "--batch") == 0)
			o.batch = (unsigned)num(v, NFQUEUE_BATCH_MAX);
		else if (strcmp(a, "--stall") == 0)
			stall_ms = num(v, 60000);
		else
			goto usage;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if ((q = nfqueue_open(&o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "nfq_driver: %s\n", err);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	t0 = now();
	deadline = t0 + seconds;
	if (stall_ms > 0) {
		struct timespec ts = { (time_t)(stall_ms / 1000), (long)(stall_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	pfd.fd = nfqueue_fd(q);
	pfd.events = POLLIN;
	while (!stop && now() < deadline) {
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		while ((r = nfqueue_process(q, decide, &pol, err, sizeof(err))) > 0)
			;
		if (r < 0) {
			fprintf(stderr, "nfq_driver: %s\n", err);
			break;
		}
	}
	nfqueue_get_stats(q, &st);
	print_stats(&st, &pol, now() - t0);
	nfqueue_close(q);
	return 0;
usage:
	fprintf(stderr, "nfq_driver run: bad arguments\n");
	return 2;
}

static int
cmd_busy(const char *n)
{
	struct nfqueue_opts o = { .queue = (uint16_t)num(n, 65535) };
	struct nfqueue *q;
	char err[256];

	if ((q = nfqueue_open(&o, err, sizeof(err))) != NULL) {
		printf("opened\n");
		nfqueue_close(q);
		return 1;
	}
	printf("error: %s\n", err);
	return 0;
}

static int
addr_of(const char *a, const char *port, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)num(port, 65535));
	return inet_pton(AF_INET, a, &sin->sin_addr) == 1 ? 0 : -1;
}

static int
cmd_blast(const char *a, const char *port, const char *count)
{
	struct sockaddr_in sin;
	unsigned long n = num(count, 1000000), i, sent = 0;
	char payload[64];
	int fd;

	if (addr_of(a, port, &sin) < 0 || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return 2;
	memset(payload, 'x', sizeof(payload));
	for (i = 0; i < n; i++)
		if (sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&sin,
		    sizeof(sin)) == (ssize_t)sizeof(payload))
			sent++;
	printf("sent=%lu\n", sent);
	close(fd);
	return 0;
}

static void
timeouts(int fd, int secs)
{
	struct timeval tv = { secs, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
cmd_tcpsink(const char *port, const char *secs)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	static char buf[65536];
	unsigned long total = 0;
	ssize_t got;
	int fd, c, one = 1;

	if (addr_of("0.0.0.0", port, &sin) < 0 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 2;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 1) < 0)
		return 2;
	printf("listening\n");
	fflush(stdout);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (int)num(secs, 600) * 1000) != 1 || (c = accept(fd, NULL, NULL)) < 0) {
		printf("received=0\n");
		return 1;
	}
	timeouts(c, (int)num(secs, 600));
	while ((got = read(c, buf, sizeof(buf))) > 0)
		total += (unsigned long)got;
	printf("received=%lu\n", total);
	close(c);
	close(fd);
	return 0;
}

static int
cmd_tcpsend(const char *a, const char *port, const char *bytes)
{
	struct sockaddr_in sin;
	static char buf[65536];
	unsigned long left = num(bytes, 1UL << 30);
	ssize_t put;
	int fd;

	if (addr_of(a, port, &sin) < 0 || (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return 2;
	timeouts(fd, 5);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("connect");
		return 1;
	}
	while (left > 0) {
		put = write(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (put <= 0) {
			perror("write");
			return 1;
		}
		left -= (unsigned long)put;
	}
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "busy") == 0)
		return cmd_busy(argv[2]);
	if (argc == 5 && strcmp(argv[1], "blast") == 0)
		return cmd_blast(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "tcpsink") == 0)
		return cmd_tcpsink(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "tcpsend") == 0)
		return cmd_tcpsend(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: nfq_driver run|busy|blast|tcpsink|tcpsend ...\n");
	return 2;
}
