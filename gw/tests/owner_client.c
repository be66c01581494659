/*
 * owner_client.c - the client of owner_live.sh: one TCP connection or one UDP
 * datagram from this process, so that the test knows which pid and port the
 * gateway should have attributed.  Prints "ok PID PORT" or "fail PID PORT: why".
 *
 *   owner_client tcp|udp|udp-fire ADDR PORT
 *
 * tcp: connect, send a line, read it back.  udp: send, read the echo.
 * udp-fire: send and exit at once (the socket is gone before any reply).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in sa, me;
	socklen_t ml = sizeof(me);
	struct timeval tv = { .tv_sec = 2 };
	char buf[64];
	int s, udp, fire;
	ssize_t n;

	if (argc != 4) {
		fprintf(stderr, "usage: owner_client tcp|udp|udp-fire ADDR PORT\n");
		return 2;
	}
	udp = strncmp(argv[1], "udp", 3) == 0;
	fire = strcmp(argv[1], "udp-fire") == 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		return 2;
	s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s == -1)
		return 1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		getsockname(s, (struct sockaddr *)&me, &ml);
		printf("fail %d %u: connect: %s\n", (int)getpid(), ntohs(me.sin_port),
		    strerror(errno));
		return 1;
	}
	getsockname(s, (struct sockaddr *)&me, &ml);
	if (send(s, "owner\n", 6, 0) != 6) {
		printf("fail %d %u: send: %s\n", (int)getpid(), ntohs(me.sin_port),
		    strerror(errno));
		return 1;
	}
	if (fire) {
		printf("ok %d %u\n", (int)getpid(), ntohs(me.sin_port));
		return 0;
	}
	n = recv(s, buf, sizeof(buf), 0);
	if (n <= 0) {
		printf("fail %d %u: no reply: %s\n", (int)getpid(), ntohs(me.sin_port),
		    n == 0 ? "closed" : strerror(errno));
		return 1;
	}
	printf("ok %d %u\n", (int)getpid(), ntohs(me.sin_port));
	close(s);
	return 0;
}
