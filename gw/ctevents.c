/*
 * ctevents.c - conntrack destroy events over ctnetlink (a multicast group
 * of NETLINK_NETFILTER), parsed with ctseed's parser.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ctevents.h"

#define EV_RCVBUF	(4 << 20)	/* a burst of closing connections */
#define ACCT_PATH	"/proc/sys/net/netfilter/nf_conntrack_acct"

struct ctevents {
	struct mnl_socket	*nl;
	struct ctevents_stats	 st;
	ctseed_fn		*fn;
	void			*arg;
	long			 handed;
	uint32_t		 buf[8192 / 4];	/* a page or two of events, aligned for in-place reads */
};

struct ctevents *
ctevents_open(char *err, size_t errlen)
{
	struct ctevents *ev;
	int fd, sz = EV_RCVBUF;

	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		snprintf(err, errlen, "conntrack events: out of memory");
		return NULL;
	}
	if ((ev->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(ev->nl, NF_NETLINK_CONNTRACK_DESTROY, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "conntrack events: %s%s", strerror(errno),
		    errno == EPERM ? " (CAP_NET_ADMIN needed)" : "");
		ctevents_close(ev);
		return NULL;
	}
	fd = mnl_socket_get_fd(ev->nl);
	/* the larger buffer when we may (SO_RCVBUFFORCE), else what rmem_max allows */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "conntrack events: %s", strerror(errno));
		ctevents_close(ev);
		return NULL;
	}
	return ev;
}

void
ctevents_close(struct ctevents *ev)
{
	if (ev == NULL)
		return;
	if (ev->nl != NULL)
		mnl_socket_close(ev->nl);
	free(ev);
}

int
ctevents_fd(const struct ctevents *ev)
{
	return mnl_socket_get_fd(ev->nl);
}

static int
event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ctevents *ev = data;
	struct ctseed_entry e;

	switch (ctseed_parse(nlh, &e)) {
	case CTSEED_OK:
		break;
	case CTSEED_UNSUPPORTED:
		return MNL_CB_OK;
	default:
		ev->st.malformed++;
		return MNL_CB_OK;
	}
	if (!e.destroyed)
		return MNL_CB_OK;
	ev->st.events++;
	ev->handed++;
	(void)ev->fn(ev->arg, &e);
	return MNL_CB_OK;
}

long
ctevents_read(struct ctevents *ev, ctseed_fn *fn, void *arg)
{
	ssize_t n;

	ev->fn = fn;
	ev->arg = arg;
	ev->handed = 0;
	for (;;) {
		n = mnl_socket_recvfrom(ev->nl, ev->buf, sizeof(ev->buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				ev->st.lost++;	/* the kernel dropped some; go on */
				continue;
			}
			break;		/* EAGAIN: nothing more */
		}
		/* events carry sequence 0 and port 0: check neither */
		(void)mnl_cb_run(ev->buf, (size_t)n, 0, 0, event_cb, ev);
	}
	return ev->handed;
}

void
ctevents_get_stats(const struct ctevents *ev, struct ctevents_stats *st)
{
	*st = ev->st;
}

int
ctevents_enable_counters(char *err, size_t errlen)
{
	char c = '0';
	int fd;

	if ((fd = open(ACCT_PATH, O_RDWR | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", ACCT_PATH, strerror(errno));
		return -1;
	}
	if (read(fd, &c, 1) == 1 && c == '1') {
		close(fd);
		return 0;
	}
	if (pwrite(fd, "1\n", 2, 0) != 2) {
		snprintf(err, errlen, "%s: %s", ACCT_PATH, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
