/*
 * accept_all.c - the reference NFQUEUE consumer for `make bench`: one queue,
 * every packet accepted, nothing looked at but its id.
 *
 *   accept_all [-q QUEUE] [-p] [-t SECONDS]
 *
 * libmnl with libnetfilter_queue's nfq_nlmsg_* API.  Copies at most 128 bytes
 * of each packet, asks for GSO packets whole (NFQA_CFG_F_GSO).  By default the
 * verdicts of one received datagram go back in one NFQNL_MSG_VERDICT_BATCH
 * (the highest id accepts it and every lower one still pending); -p sends one
 * NFQNL_MSG_VERDICT per packet instead.  Says "accept_all: ready" on stderr
 * once bound, stops on SIGTERM/SIGINT or after SECONDS (default 300), and
 * prints how many packets it accepted.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define COPY_RANGE	128
#define RCVBUF		(8 << 20)
#define BUFLEN		(64 * 1024)

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
die(const char *what)
{
	fprintf(stderr, "accept_all: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Send a config message and wait for the kernel's ack. */
static void
config(struct mnl_socket *nl, struct nlmsghdr *nlh, char *buf, const char *what)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		die(what);
	n = mnl_socket_recvfrom(nl, buf, BUFLEN);
	if (n < 0 || mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL) < 0)
		die(what);
}

static void
verdict(struct mnl_socket *nl, char *sbuf, uint16_t queue, uint32_t id, int type)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(sbuf, type, queue);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 && errno != ENOBUFS)
		die("send verdict");
}

int
main(int argc, char **argv)
{
	static char buf[BUFLEN], sbuf[8192];
	uint16_t queue = 0;
	bool per_packet = false;
	long lifetime = 300;
	unsigned long long packets = 0, sends = 0;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct sigaction sa;
	struct timespec t0, t;
	int c, one = 1, rcvbuf = RCVBUF;

	while ((c = getopt(argc, argv, "q:pt:")) != -1) {
		switch (c) {
		case 'q': queue = (uint16_t)atoi(optarg); break;
		case 'p': per_packet = true; break;
		case 't': lifetime = atol(optarg); break;
		default:
			fprintf(stderr, "usage: accept_all [-q QUEUE] [-p] [-t SECONDS]\n");
			return 2;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL)
		die("netlink socket");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die("netlink bind");
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	(void)setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &one,
	    sizeof(one));

	nlh = nfq_nlmsg_put(sbuf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	config(nl, nlh, buf, "bind queue");
	nlh = nfq_nlmsg_put(sbuf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, COPY_RANGE);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	config(nl, nlh, buf, "queue params");
	fprintf(stderr, "accept_all: ready: queue %u, %s verdicts\n", queue,
	    per_packet ? "per-packet" : "batched");

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
		uint32_t last = 0;
		bool any = false;
		ssize_t n;
		int rem;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= lifetime)
			break;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS)
				continue;
			die("receive");
		}
		rem = (int)n;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, rem);
		    nlh = mnl_nlmsg_next(nlh, &rem)) {
			struct nlattr *attr[NFQA_MAX + 1] = { 0 };
			struct nfqnl_msg_packet_hdr *ph;

			if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
				continue;
			if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL)
				continue;
			ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
			last = ntohl(ph->packet_id);
			any = true;
			packets++;
			if (per_packet) {
				verdict(nl, sbuf, queue, last, NFQNL_MSG_VERDICT);
				sends++;
			}
		}
		if (any && !per_packet) {
			verdict(nl, sbuf, queue, last, NFQNL_MSG_VERDICT_BATCH);
			sends++;
		}
	}
	nlh = nfq_nlmsg_put(sbuf, NFQNL_MSG_CONFIG, queue);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
	(void)mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	mnl_socket_close(nl);
	fprintf(stderr, "accept_all: packets=%llu sends=%llu\n", packets, sends);
	return 0;
}
