/*
 * capread.c - a capture's frames for replay, without a copy per frame where
 * the file is a plain pcap file.  It must never read a file otherwise than
 * libpcap would: whatever it does not handle, libpcap reads and judges.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capread.h"

#define BLOCK		(1024 * 1024)	/* bytes read at once */
#define REC_HDR		16		/* a record's header in the file */
#define FILE_HDR	24
#define FRAME_MAX	262144		/* libpcap's largest snapshot length */

struct capread {
	pcap_t		*pc;
	int		fd;
	int		blocks;		/* 1: records read here, 0: by libpcap */
	int		swapped;	/* the file's byte order is not ours */
	int		nano;		/* its stamps are in nanoseconds */
	uint32_t	snap;		/* the snapshot length libpcap holds to */
	int		given;		/* frames returned since the last flush */
	int		eof;		/* the file has no byte past len */
	uint8_t		*buf;
	size_t		size;
	size_t		pos;		/* the next record, in buf */
	size_t		len;		/* bytes in buf */
	long long	off;		/* the file offset of buf[0] */
	char		err[PCAP_ERRBUF_SIZE + 64];
};

static uint32_t
get32(const uint8_t *p, int swapped)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

/*
 * Whether this reader may read the records itself: libpcap does nothing to
 * them but swap the header and scale the stamp (no link-layer fix-ups, no
 * lengths of version 2.3), and the file can be read at an offset.
 */
static void
try_blocks(struct capread *c)
{
	FILE *fp = pcap_file(c->pc);
	uint8_t hdr[FILE_HDR];
	struct stat sb;
	uint32_t magic;
	long at;

	if (fp == NULL || pcap_major_version(c->pc) != 2 ||
	    pcap_minor_version(c->pc) != 4)
		return;
	switch (pcap_datalink(c->pc)) {
	case DLT_EN10MB:
	case 12:	/* DLT_RAW on most systems */
	case 14:	/* DLT_RAW on OpenBSD */
	case 228:	/* DLT_IPV4 */
	case 229:	/* DLT_IPV6 */
		break;
	default:
		return;
	}
	c->fd = fileno(fp);
	if (c->fd < 0 || fstat(c->fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (at = ftell(fp)) < FILE_HDR ||
	    pread(c->fd, hdr, sizeof(hdr), at - FILE_HDR) != (ssize_t)sizeof(hdr))
		return;
	memcpy(&magic, hdr, 4);
	switch (magic) {
	case 0xa1b2c3d4:
		break;
	case 0xa1b23c4d:
		c->nano = 1;
		break;
	case 0xd4c3b2a1:
		c->swapped = 1;
		break;
	case 0x4d3cb2a1:
		c->swapped = c->nano = 1;
		break;
	default:	/* libpcap's other magic numbers have other records */
		return;
	}
	if (c->swapped != (pcap_is_swapped(c->pc) == 1))
		return;
	c->snap = (uint32_t)pcap_snapshot(c->pc);
	if (c->snap == 0 || c->snap > FRAME_MAX)
		return;
	c->size = BLOCK > 2 * (REC_HDR + (size_t)c->snap) ? BLOCK :
	    2 * (REC_HDR + (size_t)c->snap);
	if ((c->buf = malloc(c->size)) == NULL)
		return;		/* libpcap reads it then */
	c->off = at;
	c->blocks = 1;
}

struct capread *
capread_open(const char *path, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct capread *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	errbuf[0] = '\0';
	c->pc = pcap_open_offline_with_tstamp_precision(path,
	    PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (c->pc == NULL) {
		snprintf(err, errlen, "%s", errbuf);
		free(c);
		return NULL;
	}
	c->fd = -1;
	try_blocks(c);
	return c;
}

void
capread_close(struct capread *c)
{
	if (c == NULL)
		return;
	free(c->buf);
	pcap_close(c->pc);
	free(c);
}

pcap_t *
capread_pcap(const struct capread *c)
{
	return c->pc;
}

const char *
capread_error(const struct capread *c)
{
	return c->err;
}

int
capread_blocks(const struct capread *c)
{
	return c->blocks;
}

long long
capread_offset(const struct capread *c)
{
	FILE *fp;

	if (c->blocks)
		return c->off + (long long)c->pos;
	fp = pcap_file(c->pc);
	return fp != NULL ? ftell(fp) : -1;
}

/* Keep the unread bytes, read more after them.  0, or -1 with err set. */
static int
refill(struct capread *c)
{
	size_t rest = c->len - c->pos;
	ssize_t n;

	memmove(c->buf, c->buf + c->pos, rest);
	c->off += (long long)c->pos;
	c->pos = 0;
	c->len = rest;
	do
		n = pread(c->fd, c->buf + c->len, c->size - c->len,
		    (off_t)(c->off + (long long)c->len));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(c->err, sizeof(c->err), "error reading dump file: %s",
		    strerror(errno));
		return -1;
	}
	if (n == 0)
		c->eof = 1;
	c->len += (size_t)n;
	return 0;
}

/* libpcap reads from the record at the reader's position on. */
static int
hand_over(struct capread *c)
{
	FILE *fp = pcap_file(c->pc);

	if (fseek(fp, (long)(c->off + (long long)c->pos), SEEK_SET) != 0) {
		snprintf(c->err, sizeof(c->err), "error reading dump file: %s",
		    strerror(errno));
		return -1;
	}
	c->blocks = 0;
	return 0;
}

static int
next_libpcap(struct capread *c, struct pcap_pkthdr *h, const uint8_t **data)
{
	struct pcap_pkthdr *ph;
	const u_char *pd;
	int rc;

	if (c->given) {		/* libpcap reuses its buffer at each read */
		c->given = 0;
		return CAPREAD_FLUSH;
	}
	rc = pcap_next_ex(c->pc, &ph, &pd);
	if (rc == 1) {
		*h = *ph;
		*data = pd;
		c->given = 1;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK)
		return CAPREAD_END;
	snprintf(c->err, sizeof(c->err), "%s", pcap_geterr(c->pc));
	return CAPREAD_ERROR;
}

int
capread_next(struct capread *c, struct pcap_pkthdr *h, const uint8_t **data)
{
	const uint8_t *r;
	uint32_t caplen;
	size_t rest;

	while (c->blocks) {
		rest = c->len - c->pos;
		if (rest >= REC_HDR) {
			r = c->buf + c->pos;
			caplen = get32(r + 8, c->swapped);
			if (caplen > c->snap)
				break;	/* libpcap's to cut or refuse */
			if (rest - REC_HDR >= caplen) {
				h->ts.tv_sec = (int32_t)get32(r, c->swapped);
				h->ts.tv_usec = (int32_t)get32(r + 4, c->swapped);
				if (c->nano)
					h->ts.tv_usec /= 1000;
				h->caplen = caplen;
				h->len = get32(r + 12, c->swapped);
				*data = r + REC_HDR;
				c->pos += REC_HDR + caplen;
				c->given++;
				return 1;
			}
		}
		if (c->eof) {
			if (rest == 0)
				return CAPREAD_END;
			break;		/* cut short: libpcap's error */
		}
		if (c->given) {
			c->given = 0;
			return CAPREAD_FLUSH;
		}
		if (refill(c) != 0)
			return CAPREAD_ERROR;
	}
	if (c->blocks) {
		if (c->given) {
			c->given = 0;
			return CAPREAD_FLUSH;
		}
		if (hand_over(c) != 0)
			return CAPREAD_ERROR;
	}
	return next_libpcap(c, h, data);
}
