/*
 * replay.c - feed a capture file through the engine with the capture's clock.
 * A source like nfq.c: it may call the engine, never the reverse; a bad frame
 * is the engine's to judge, a bad file is an error line, never a crash.
 */
#include <sys/stat.h>

#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capread.h"
#include "json.h"
#include "log.h"
#include "replay.h"

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
write_decision(FILE *out, uint64_t frame, const struct pkt *p,
    const struct decision *d)
{
	char buf[4096];
	struct jbuf j;
	size_t n;

	json_begin(&j, buf, sizeof(buf));
	json_u64(&j, "frame", frame);
	json_str(&j, "verdict", engine_verdict_name(d->verdict));
	json_str(&j, "reason", engine_reason_name(d->reason));
	json_str(&j, "rule", d->rule);
	json_str(&j, "dir", engine_dir_name(d->dir));
	if (d->flow_id != 0)
		json_u64(&j, "flow", d->flow_id);
	else
		json_null(&j, "flow");
	if (d->would != d->verdict)
		json_str(&j, "would", engine_verdict_name(d->would));
	if (d->detail != NULL)
		json_str(&j, "detail", d->detail);
	if (d->pending)
		json_bool(&j, "pending", true);
	dlog_put_packet(&j, p);
	dlog_put_inspect(&j, d);
	n = json_end(&j);
	fwrite(buf, 1, n, out);
}

/*
 * Frames read ahead, decoded, whose flows the engine has been told to fetch
 * from memory (engine_prefetch): by the time a frame is decided its flow's
 * chain, a cache miss at the lookup otherwise, has had RING - 1 frames'
 * work to arrive.  The bytes are capread's, valid until it asks to flush.
 */
#define RING	8

struct frame {
	struct pcap_pkthdr	h;
	struct pkt		p;
};

/* One line that rewrites itself: frames, how far into the file, the rate. */
static void
show_progress(FILE *fp, const struct capread *c, off_t size, uint64_t frames,
    double secs)
{
	long long at = capread_offset(c);

	if (size > 0 && at >= 0)
		fprintf(fp, "\rreplay: %llu frames, %.0f%% of the file, %.0f frames/s",
		    (unsigned long long)frames, 100.0 * (double)at / (double)size,
		    (double)frames / secs);
	else
		fprintf(fp, "\rreplay: %llu frames, %.0f frames/s",
		    (unsigned long long)frames, (double)frames / secs);
	fflush(fp);
}

/* Decide one frame and write what the options ask for. */
static void
replay_frame(struct engine *e, const struct replay_opts *o,
    struct replay_result *r, const struct frame *f, uint64_t *now)
{
	struct decision d;
	struct dlog_ctx lc;
	uint64_t ts;

	r->frames++;
	/* the packet clock never goes back: captures are not always in order */
	ts = (uint64_t)f->h.ts.tv_sec * 1000000u + (uint64_t)f->h.ts.tv_usec;
	if (ts > *now)
		*now = ts;
	engine_decide(e, &f->p, ENGINE_HINT_NONE, *now, &d);
	if (o->log != NULL) {
		memset(&lc, 0, sizeof(lc));
		lc.ts_us = ts;
		lc.pcap_frame = r->frames;
		dlog_decision(o->log, &f->p, &d, &lc);
	}
	if (o->out != NULL)
		write_decision(o->out, r->frames, &f->p, &d);
	if (o->expect != NULL && !expect_frame(o->expect, r->frames, &d,
	    r->mismatches < o->max_diffs ? o->diff : NULL))
		r->mismatches++;
}

int
replay_run(struct engine *e, const struct replay_opts *o,
    struct replay_result *r, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE + 64];
	struct frame ring[RING], *f;
	const uint8_t *data;
	struct capread *c;
	pcap_t *pc;
	uint64_t now = 0;
	double t0, shown;
	struct stat sb;
	off_t size = 0;
	unsigned head = 0, n = 0;
	int rc = 1, link, flushing = 0, ret = 0;

	memset(r, 0, sizeof(*r));
	if ((c = capread_open(o->capture, errbuf, sizeof(errbuf))) == NULL) {
		snprintf(err, errlen, "%s: %s", o->capture, errbuf);
		return -1;
	}
	pc = capread_pcap(c);
	if ((link = pkt_link_from_dlt(pcap_datalink(pc))) < 0) {
		snprintf(err, errlen, "%s: link type %d (%s) is not one outgate reads",
		    o->capture, pcap_datalink(pc),
		    pcap_datalink_val_to_name(pcap_datalink(pc)) ?
		    pcap_datalink_val_to_name(pcap_datalink(pc)) : "unknown");
		capread_close(c);
		return -1;
	}
	r->link = link;
	t0 = shown = now_seconds();
	if (o->progress != NULL && stat(o->capture, &sb) == 0)
		size = sb.st_size;
	for (;;) {
		/* keep RING frames ahead, unless capread wants its frames back */
		if (n < RING && rc == 1 && !flushing) {
			f = &ring[(head + n) % RING];
			rc = capread_next(c, &f->h, &data);
			if (rc == 1) {
				pkt_decode(&f->p, link, data, f->h.caplen,
				    f->h.len > f->h.caplen ? f->h.len : f->h.caplen);
				engine_prefetch(e, &f->p);
				n++;
			} else if (rc == CAPREAD_FLUSH) {
				flushing = 1;
				rc = 1;
			}
			continue;
		}
		if (n == 0) {
			if (rc != 1)
				break;
			flushing = 0;
			continue;
		}
		replay_frame(e, o, r, &ring[head], &now);
		head = (head + 1) % RING;
		n--;
		if (o->progress != NULL && (r->frames & 0xffff) == 0 &&
		    now_seconds() - shown >= 1.0) {
			shown = now_seconds();
			show_progress(o->progress, c, size, r->frames, shown - t0);
		}
	}
	if (o->progress != NULL && shown > t0)
		fputs("\r\033[K", o->progress);	/* the summary line replaces it */
	r->elapsed = now_seconds() - t0;
	if (rc == CAPREAD_ERROR) {
		snprintf(err, errlen, "%s: after frame %llu: %s", o->capture,
		    (unsigned long long)r->frames, capread_error(c));
		ret = -1;
	}
	if (o->expect != NULL)
		r->mismatches += expect_finish(o->expect, r->frames,
		    r->mismatches < o->max_diffs ? o->diff : NULL);
	capread_close(c);
	return ret;
}
