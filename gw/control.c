/*
 * control.c - the control socket: answers each connection with the metrics
 * text, on a thread of its own.  Must never block the packet path nor leave
 * its socket file behind on a clean stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "diag.h"
#include "sandbox.h"

#define POLL_MS		200
#define IO_TIMEOUT_S	2

struct control {
	pthread_t	th;
	bool		started;
	int		ufd, hfd;	/* unix and TCP listeners, -1 none */
	char		path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct control_answers a;
	atomic_bool	stop;
};

static void
set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One client: metrics text (behind an HTTP header when http), then close. */
static void
serve(struct control *c, int fd, bool http)
{
	char req[1024];
	ssize_t n;
	FILE *out;
	int ok = 1;

	set_timeouts(fd);
	if (!http) {
		/* an optional request line, if it comes at once */
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 100) == 1 && (n = recv(fd, req, sizeof(req) - 1, 0)) > 0) {
			req[n] = '\0';
			control_write_fn *fn = NULL;

			if (strncmp(req, "recent", 6) == 0)
				fn = c->a.recent;
			else if (strncmp(req, "health", 6) == 0)
				fn = c->a.health;
			else if (strncmp(req, "flows", 5) == 0)
				fn = c->a.flows;
			if (fn != NULL) {
				if ((out = fdopen(fd, "w")) == NULL) {
					close(fd);
					return;
				}
				fn(c->a.arg, out);
				fclose(out);
				return;
			}
		}
	}
	if (http) {
		/* the request line is enough: GET /metrics; the rest is read and ignored */
		n = recv(fd, req, sizeof(req) - 1, 0);
		req[n > 0 ? n : 0] = '\0';
		ok = n > 0 && (strncmp(req, "GET /metrics ", 13) == 0 ||
		    strncmp(req, "GET / ", 6) == 0);
	}
	if ((out = fdopen(fd, "w")) == NULL) {
		close(fd);
		return;
	}
	if (http && !ok) {
		fputs("HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\n"
		    "only GET /metrics here\n", out);
	} else {
		if (http)
			fputs("HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
			    "version=0.0.4\r\n\r\n", out);
		c->a.metrics(c->a.arg, out);
	}
	fclose(out);
}

static void *
control_main(void *arg)
{
	struct control *c = arg;
	struct pollfd pfd[2];
	char err[256];
	int n, i, fd;

	if (sandbox_enter(err, sizeof(err)) == -1) {
		diag_warnx("control: %s: not answering", err);
		return NULL;
	}
	while (!atomic_load(&c->stop)) {
		n = 0;
		if (c->ufd != -1)
			pfd[n++] = (struct pollfd){ .fd = c->ufd, .events = POLLIN };
		if (c->hfd != -1)
			pfd[n++] = (struct pollfd){ .fd = c->hfd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, POLL_MS) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			if ((fd = accept4(pfd[i].fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
				continue;
			serve(c, fd, pfd[i].fd == c->hfd);
		}
	}
	return NULL;
}

static int
listen_unix(struct control *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control: %s: path too long for a unix socket", path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	if ((c->ufd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "control: socket: %s", strerror(errno));
		return -1;
	}
	(void)unlink(path);	/* a socket left by a killed daemon */
	old = umask(077);	/* created 0600: counters are not for everyone */
	if (bind(c->ufd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		umask(old);
		snprintf(err, errlen, "control: %s: %s", path, strerror(errno));
		return -1;
	}
	umask(old);
	(void)chmod(path, 0600);
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (listen(c->ufd, 16) == -1) {
		snprintf(err, errlen, "control: listen %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
listen_http(struct control *c, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char host[64], *colon, *end;
	unsigned long port;
	socklen_t sl;
	int one = 1;

	snprintf(host, sizeof(host), "%s", spec);
	if ((colon = strrchr(host, ':')) == NULL)
		goto bad;
	*colon = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535 || colon[1] == '\0')
		goto bad;
	memset(&ss, 0, sizeof(ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		sl = sizeof(*s6);
	} else {
		goto bad;
	}
	if ((c->hfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(c->hfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(c->hfd, (struct sockaddr *)&ss, sl) == -1 || listen(c->hfd, 16) == -1) {
		snprintf(err, errlen, "control: --metrics %s: %s", spec, strerror(errno));
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "control: --metrics \"%s\" is not ADDR:PORT "
	    "(127.0.0.1:9477, [::1]:9477)", spec);
	return -1;
}

struct control *
control_start(const char *path, const char *http, const struct control_answers *a,
    char *err, size_t errlen)
{
	struct control *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "control: out of memory");
		return NULL;
	}
	c->ufd = c->hfd = -1;
	c->a = *a;
	if ((path != NULL && listen_unix(c, path, err, errlen) == -1) ||
	    (http != NULL && listen_http(c, http, err, errlen) == -1))
		goto fail;
	if (pthread_create(&c->th, NULL, control_main, c) != 0) {
		snprintf(err, errlen, "control: cannot start its thread");
		goto fail;
	}
	c->started = true;
	return c;
fail:
	control_stop(c);
	return NULL;
}

void
control_stop(struct control *c)
{
	if (c == NULL)
		return;
	atomic_store(&c->stop, true);
	if (c->started)
		pthread_join(c->th, NULL);
	if (c->ufd != -1) {
		close(c->ufd);
		if (c->path[0] != '\0')
			(void)unlink(c->path);
	}
	if (c->hfd != -1)
		close(c->hfd);
	free(c);
}

int
control_read(const char *path, const char *request, FILE *out, char *err,
    size_t errlen)
{
	struct sockaddr_un sa;
	char buf[4096];
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a unix socket", path);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(err, errlen, "%s: %s (is outgate run --control %s "
		    "running?)", path, strerror(errno), path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	set_timeouts(fd);
	snprintf(buf, sizeof(buf), "%s\n", request);
	if (write(fd, buf, strlen(buf)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, out);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
