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
 * A frame read ahead: libpcap reuses its buffer at the next read, so the
 * bytes are copied to one of ours: the capture's snapshot length, and
 * grown only for a frame longer than it says.
 */
struct frame {
	struct pcap_pkthdr	h;
	uint8_t			*buf;
	size_t			size;
	struct pkt		p;
};

#define FRAME_NOMEM	(-100)	/* frame_read: no memory for a frame's bytes */
#define FRAME_MIN	65536
#define FRAME_MAX	262144	/* libpcap's largest snapshot length */

/* pcap_next_ex into f, then decode it; pcap_next_ex's code, or FRAME_NOMEM. */
static int
frame_read(pcap_t *pc, int link, struct frame *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t *nb;
	size_t ns;
	int rc;

	if ((rc = pcap_next_ex(pc, &h, &data)) != 1)
		return rc;
	if (h->caplen > f->size) {
		ns = f->size * 2 > h->caplen ? f->size * 2 : h->caplen;
		if ((nb = realloc(f->buf, ns)) == NULL)
			return FRAME_NOMEM;
		f->buf = nb;
		f->size = ns;
	}
	if (h->caplen > 0)
		memcpy(f->buf, data, h->caplen);
	f->h = *h;
	pkt_decode(&f->p, link, f->buf, h->caplen,
	    h->len > h->caplen ? h->len : h->caplen);
	return 1;
}

/* One line that rewrites itself: frames, how far into the file, the rate. */
static void
show_progress(FILE *fp, pcap_t *pc, off_t size, uint64_t frames, double secs)
{
	FILE *in = pcap_file(pc);
	long at = in != NULL ? ftell(in) : -1;

	if (size > 0 && at >= 0)
		fprintf(fp, "\rreplay: %llu frames, %.0f%% of the file, %.0f frames/s",
		    (unsigned long long)frames, 100.0 * (double)at / (double)size,
		    (double)frames / secs);
	else
		fprintf(fp, "\rreplay: %llu frames, %.0f frames/s",
		    (unsigned long long)frames, (double)frames / secs);
	fflush(fp);
}

int
replay_run(struct engine *e, const struct replay_opts *o,
    struct replay_result *r, char *err, size_t errlen)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct frame fr[2], *f;
	struct decision d;
	struct dlog_ctx lc;
	pcap_t *pc;
	uint64_t now = 0, ts;
	double t0, shown;
	struct stat sb;
	off_t size = 0;
	int rc, link, cur = 0, ret = 0;

	memset(r, 0, sizeof(*r));
	errbuf[0] = '\0';
	pc = pcap_open_offline_with_tstamp_precision(o->capture,
	    PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (pc == NULL) {
		snprintf(err, errlen, "%s: %s", o->capture, errbuf);
		return -1;
	}
	if ((link = pkt_link_from_dlt(pcap_datalink(pc))) < 0) {
		snprintf(err, errlen, "%s: link type %d (%s) is not one outgate reads",
		    o->capture, pcap_datalink(pc),
		    pcap_datalink_val_to_name(pcap_datalink(pc)) ?
		    pcap_datalink_val_to_name(pcap_datalink(pc)) : "unknown");
		pcap_close(pc);
		return -1;
	}
	r->link = link;
	t0 = shown = now_seconds();
	if (o->progress != NULL && stat(o->capture, &sb) == 0)
		size = sb.st_size;
	memset(fr, 0, sizeof(fr));
	fr[0].size = fr[1].size = pcap_snapshot(pc) > FRAME_MIN &&
	    pcap_snapshot(pc) <= FRAME_MAX ? (size_t)pcap_snapshot(pc) : FRAME_MIN;
	if ((fr[0].buf = malloc(fr[0].size)) == NULL ||
	    (fr[1].buf = malloc(fr[1].size)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", o->capture);
		free(fr[0].buf);
		pcap_close(pc);
		return -1;
	}
	/*
	 * One frame ahead: the next frame's flow is looked for in memory
	 * (engine_prefetch) while this one's output is written and the one
	 * after it read, not when its decision waits for it.
	 */
	if ((rc = frame_read(pc, link, &fr[cur])) == 1)
		engine_prefetch(e, &fr[cur].p);
	while (rc == 1) {
		f = &fr[cur];
		rc = frame_read(pc, link, &fr[cur ^ 1]);
		r->frames++;
		/* the packet clock never goes back: captures are not always in order */
		ts = (uint64_t)f->h.ts.tv_sec * 1000000u + (uint64_t)f->h.ts.tv_usec;
		if (ts > now)
			now = ts;
		engine_decide(e, &f->p, ENGINE_HINT_NONE, now, &d);
		if (rc == 1)
			engine_prefetch(e, &fr[cur ^ 1].p);
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
		if (o->progress != NULL && (r->frames & 0xffff) == 0 &&
		    now_seconds() - shown >= 1.0) {
			shown = now_seconds();
			show_progress(o->progress, pc, size, r->frames, shown - t0);
		}
		cur ^= 1;
	}
	if (o->progress != NULL && shown > t0)
		fputs("\r\033[K", o->progress);	/* the summary line replaces it */
	r->elapsed = now_seconds() - t0;
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: after frame %llu: %s", o->capture,
		    (unsigned long long)r->frames, pcap_geterr(pc));
		ret = -1;
	} else if (rc == FRAME_NOMEM) {
		snprintf(err, errlen, "%s: after frame %llu: out of memory for "
		    "the next frame", o->capture, (unsigned long long)r->frames);
		ret = -1;
	}
	free(fr[0].buf);
	free(fr[1].buf);
	if (o->expect != NULL)
		r->mismatches += expect_finish(o->expect, r->frames,
		    r->mismatches < o->max_diffs ? o->diff : NULL);
	pcap_close(pc);
	return ret;
}
