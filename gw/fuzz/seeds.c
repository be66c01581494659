/*
 * seeds.c - make the fuzz targets' starting corpora from capture files:
 * frames in the frame target's format, DNS messages, the client's first bytes
 * of TCP streams (TLS, HTTP, DNS over TCP), their segments for the stream
 * target, and capture files cut to a size a fuzzer can mutate.
 *
 *   seeds OUTDIR CAPTURE...   writes OUTDIR/seeds-TARGET/HASH
 *
 * Built with the normal compiler from the production decoder (pkt.c); it
 * reads only what it is given and never fails on a bad capture.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "pkt.h"

#define SEED_FRAMES	16		/* frames in one frame seed */
#define SEED_FRAME_BYTES 8192		/* bytes in one, about */
#define SEED_GROUPS	24		/* frame seeds from one capture */
#define SEED_CAPTURE	65536		/* a bigger capture is cut to its first frames */
#define STREAM_KEEP	20000		/* client bytes kept of each TCP stream */
#define STREAM_SEGS	48		/* segments kept for the stream target */
#define STREAM_SEG_BYTES 512		/* of each */
#define HTTP_KEEP	8192
#define NFLOWS		4096
#define NHASHES		65536

struct half {				/* one direction of a TCP flow */
	struct addr	src, dst;
	uint16_t	sport, dport;
	bool		used, broken;
	uint32_t	isn, next;	/* first payload byte's sequence number; the next one */
	uint8_t		*buf;
	size_t		len;
	uint8_t		*segs;		/* stream target records */
	size_t		seglen, nsegs;
};

static const char *outdir;
static struct half flows[NFLOWS];
static uint64_t hashes[NHASHES];
static size_t nhashes, nwritten;

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* One seed, named by its hash; the same bytes twice are written once. */
static void
put_seed(const char *target, const uint8_t *p, size_t n)
{
	char path[4096];
	uint64_t h = fnv1a(p, n) ^ fnv1a((const uint8_t *)target, strlen(target));
	size_t i;
	FILE *fp;

	if (n == 0)
		return;
	for (i = 0; i < nhashes; i++)
		if (hashes[i] == h)
			return;
	if (nhashes == NHASHES)
		return;
	hashes[nhashes++] = h;
	snprintf(path, sizeof(path), "%s/seeds-%s", outdir, target);
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/seeds-%s/%016llx", outdir, target,
	    (unsigned long long)h);
	if ((fp = fopen(path, "wb")) == NULL || fwrite(p, 1, n, fp) != n ||
	    fclose(fp) != 0) {
		fprintf(stderr, "seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	nwritten++;
}

static struct half *
half_find(const struct pkt *p)
{
	size_t i, h = (size_t)(fnv1a(p->src.b, sizeof(p->src.b)) ^
	    fnv1a(p->dst.b, sizeof(p->dst.b)) ^ p->sport * 31u ^ p->dport) % NFLOWS;

	for (i = 0; i < NFLOWS; i++, h = (h + 1) % NFLOWS) {
		struct half *f = &flows[h];

		if (!f->used) {
			f->used = true;
			f->src = p->src;
			f->dst = p->dst;
			f->sport = p->sport;
			f->dport = p->dport;
			return f;
		}
		if (addr_eq(&f->src, &p->src) && addr_eq(&f->dst, &p->dst) &&
		    f->sport == p->sport && f->dport == p->dport)
			return f;
	}
	return NULL;
}

static void
put_be(uint8_t *p, uint32_t v, int n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/* A TCP segment: the stream target's record, and in-order bytes kept. */
static void
tcp_segment(const struct pkt *p)
{
	struct half *f;
	size_t n, rec;

	if ((f = half_find(p)) == NULL)
		return;
	if (f->buf == NULL) {
		if ((f->buf = malloc(STREAM_KEEP)) == NULL ||
		    (f->segs = malloc(5 + STREAM_SEGS * (6 + STREAM_SEG_BYTES))) == NULL)
			exit(1);
		f->isn = f->next = p->tcp_seq;
		/* a 2048-byte buffer, starting at the first segment */
		f->segs[0] = 255;
		put_be(f->segs + 1, f->isn, 4);
		f->seglen = 5;
	}
	if (f->nsegs < STREAM_SEGS) {
		rec = p->payload_len < STREAM_SEG_BYTES ? p->payload_len : STREAM_SEG_BYTES;
		put_be(f->segs + f->seglen, p->tcp_seq - f->isn, 4);
		put_be(f->segs + f->seglen + 4, (uint32_t)rec, 2);
		memcpy(f->segs + f->seglen + 6, p->payload, rec);
		f->seglen += 6 + rec;
		f->nsegs++;
	}
	if (f->broken || p->tcp_seq != f->next)
		return;	/* a retransmission, or a gap: keep the bytes so far */
	n = p->payload_len;
	if (n > STREAM_KEEP - f->len)
		n = STREAM_KEEP - f->len;
	memcpy(f->buf + f->len, p->payload, n);
	f->len += n;
	f->next += (uint32_t)p->payload_len;
	if (p->snapped)
		f->broken = true;
}

static bool
is_dns_port(uint16_t port)
{
	return port == 53 || port == 5353 || port == 5355;
}

static void
flows_flush(void)
{
	size_t i;

	for (i = 0; i < NFLOWS; i++) {
		struct half *f = &flows[i];

		if (!f->used)
			continue;
		if (f->len > 0) {
			if (f->buf[0] == 0x16)
				put_seed("tls", f->buf, f->len);
			else if (f->buf[0] >= 'A' && f->buf[0] <= 'Z')
				put_seed("http", f->buf, f->len < HTTP_KEEP ?
				    f->len : HTTP_KEEP);
			if (is_dns_port(f->sport) || is_dns_port(f->dport))
				put_seed("dns", f->buf, f->len);
		}
		if (f->nsegs > 0)
			put_seed("stream", f->segs, f->seglen);
		free(f->buf);
		free(f->segs);
		memset(f, 0, sizeof(*f));
	}
}

/* The frame target's index of a PKT_LINK_ value, -1 none. */
static int
link_index(int link)
{
	static const int links[] = FUZZ_LINKS;
	size_t i;

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (links[i] == link)
			return (int)i;
	return -1;
}

/* A capture over SEED_CAPTURE bytes: its first frames as a pcap file. */
static void
capture_cut(pcap_t *pc, const char *name)
{
	char tmpl[4096];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_dumper_t *pd;
	uint8_t *buf;
	size_t total = 24;
	FILE *fp;
	long n;

	snprintf(tmpl, sizeof(tmpl), "%s/cut.pcap", outdir);
	if ((pd = pcap_dump_open(pc, tmpl)) == NULL) {
		fprintf(stderr, "seeds: %s: %s\n", name, pcap_geterr(pc));
		return;
	}
	while (pcap_next_ex(pc, &h, &data) == 1 &&
	    total + 16 + h->caplen <= SEED_CAPTURE) {
		pcap_dump((u_char *)pd, h, data);
		total += 16 + h->caplen;
	}
	pcap_dump_close(pd);
	if ((fp = fopen(tmpl, "rb")) == NULL)
		return;
	if ((buf = malloc(SEED_CAPTURE)) != NULL &&
	    (n = (long)fread(buf, 1, SEED_CAPTURE, fp)) > 0)
		put_seed("capture", buf, (size_t)n);
	fclose(fp);
	free(buf);
	remove(tmpl);
}

static void
capture_whole(const char *name)
{
	struct stat sb;
	uint8_t *buf;
	FILE *fp;

	if ((fp = fopen(name, "rb")) == NULL || fstat(fileno(fp), &sb) == -1 ||
	    (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		if (fp != NULL)
			fclose(fp);
		return;
	}
	if (fread(buf, 1, (size_t)sb.st_size, fp) == (size_t)sb.st_size)
		put_seed("capture", buf, (size_t)sb.st_size);
	free(buf);
	fclose(fp);
}

static void
one_capture(const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct stat sb;
	struct pkt p;
	uint8_t *seed;
	uint64_t last = 0, ts, step;
	size_t len = 0, nframes = 0, ngroups = 0, caplen;
	int link, idx;
	pcap_t *pc;

	if (stat(name, &sb) == 0 && sb.st_size <= SEED_CAPTURE)
		capture_whole(name);
	else if ((pc = pcap_open_offline(name, errbuf)) != NULL) {
		capture_cut(pc, name);
		pcap_close(pc);
	}
	if ((pc = pcap_open_offline(name, errbuf)) == NULL) {
		fprintf(stderr, "seeds: %s\n", errbuf);
		return;
	}
	link = pkt_link_from_dlt(pcap_datalink(pc));
	idx = link_index(link);
	if ((seed = malloc(SEED_FRAME_BYTES + 3 + 0x7fff)) == NULL)
		exit(1);
	while (link >= 0 && pcap_next_ex(pc, &h, &data) == 1) {
		ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		step = nframes == 0 || ts < last ? 0 : (ts - last) / 500000;
		last = ts;
		caplen = h->caplen < 0x7fff ? h->caplen : 0x7fff;

		if (idx >= 0 && ngroups < SEED_GROUPS) {
			if (len == 0)
				seed[len++] = (uint8_t)idx;
			seed[len] = (uint8_t)(caplen >> 8) |
			    (h->len > h->caplen ? 0x80 : 0);
			seed[len + 1] = (uint8_t)caplen;
			seed[len + 2] = (uint8_t)(step > 255 ? 255 : step);
			memcpy(seed + len + 3, data, caplen);
			len += 3 + caplen;
			if (++nframes % SEED_FRAMES == 0 || len >= SEED_FRAME_BYTES) {
				put_seed("frame", seed, len);
				ngroups++;
				len = 0;
			}
		}
		if (pkt_decode(&p, link, data, h->caplen, h->len) != PKT_OK ||
		    !p.has_l4 || p.payload_len == 0 || (p.frag && p.frag_off != 0))
			continue;
		if (p.proto == 17 && (is_dns_port(p.sport) || is_dns_port(p.dport)))
			put_seed("dns", p.payload, p.payload_len);
		else if (p.proto == 6)
			tcp_segment(&p);
	}
	if (len > 1)
		put_seed("frame", seed, len);
	free(seed);
	pcap_close(pc);
	flows_flush();
}

int
main(int argc, char **argv)
{
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: seeds OUTDIR CAPTURE...\n");
		return 2;
	}
	outdir = argv[1];
	for (i = 2; i < argc; i++)
		one_capture(argv[i]);
	printf("seeds: %zu inputs from %d captures\n", nwritten, argc - 2);
	return 0;
}
