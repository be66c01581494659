/*
 * frame.c - fuzz target: frames through decode, the flow table, the policy
 * (gw/fuzz/frame.lua), inspection, the Lua checks and the log writer, as
 * replay and the daemon drive them.  One input is one short capture:
 *
 *   byte 0: bits 0-3 the link type (an index into FUZZ_LINKS, modulo),
 *           bit 4 monitor mode, bits 5-6 the hint (none, out, in, none),
 *           bit 7 live: decided flows are offloaded as the daemon does
 *   then per frame: 2 bytes big-endian, bit 15 "snapped" (the wire carried
 *           64 bytes more), bits 0-14 the captured length; 1 byte of clock
 *           step in half seconds; the frame (cut short by the input's end).
 *
 * A fresh engine per input, so that an input always gives the same result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "engine.h"
#include "json.h"
#include "log.h"
#include "pkt.h"

#define FRAME_FLOWS	32	/* small: eviction and refusal happen */
#define FRAME_SLOTS	4
#define FRAME_MAX	64	/* frames read from one input */

static const int links[] = FUZZ_LINKS;

static struct policy *pol;
static struct dlog *dlog;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	pol = fuzz_policy("gw/fuzz/frame.lua");
	if ((dlog = dlog_open("/dev/null", "enforce", pol->hash, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz: %s\n", err);
		exit(2);
	}
	dlog_set_rate(dlog, 0);
	return 0;
}

/* A JSON line: one object, no raw control byte but the final newline. */
static void
check_json(const char *buf, size_t n)
{
	size_t i;

	FUZZ_ASSERT(n >= 3 && buf[0] == '{' && buf[n - 2] == '}' &&
	    buf[n - 1] == '\n' && buf[n] == '\0');
	for (i = 0; i + 1 < n; i++)
		FUZZ_ASSERT((unsigned char)buf[i] >= 0x20);
}

static void
check_decision(const struct pkt *p, const struct decision *d)
{
	char buf[4096];
	struct jbuf j;

	FUZZ_ASSERT(d->verdict <= VERDICT_REJECT && d->would <= VERDICT_REJECT);
	FUZZ_ASSERT(d->reason < REASON_COUNT);
	FUZZ_ASSERT(d->dir <= ENGINE_DIR_IN);
	FUZZ_ASSERT(d->flow == NULL || d->flow->id == d->flow_id);
	FUZZ_ASSERT(p->payload_len == 0 || p->payload != NULL);
	json_begin(&j, buf, sizeof(buf));
	json_str(&j, "verdict", engine_verdict_name(d->verdict));
	json_str(&j, "reason", engine_reason_name(d->reason));
	json_str(&j, "rule", d->rule);
	json_str(&j, "dir", engine_dir_name(d->dir));
	json_str(&j, "detail", d->detail);
	dlog_put_packet(&j, p);
	dlog_put_inspect(&j, d);
	check_json(buf, json_end(&j));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct engine_opts eo;
	struct engine_stats st;
	struct engine *e;
	struct decision d;
	struct dlog_ctx lc;
	struct pkt p;
	enum engine_hint hint;
	uint8_t *frame;
	uint64_t now = 1700000000ULL * 1000000, frames = 0;
	size_t off = 1, caplen, wirelen;
	int link;
	bool live;

	if (size < 1)
		return 0;
	link = links[(data[0] & 0x0f) % (sizeof(links) / sizeof(links[0]))];
	hint = (data[0] >> 5 & 3) == 1 ? ENGINE_HINT_OUT :
	    (data[0] >> 5 & 3) == 2 ? ENGINE_HINT_IN : ENGINE_HINT_NONE;
	live = (data[0] & 0x80) != 0;
	memset(&eo, 0, sizeof(eo));
	eo.flow_capacity = FRAME_FLOWS;
	eo.inspect_slots = FRAME_SLOTS;
	eo.mode = data[0] & 0x10 ? POLICY_MONITOR : -1;
	eo.inspect_all = !live;
	if ((e = engine_new(pol, &eo)) == NULL)
		return 0;	/* out of memory: not this input's doing */

	while (size - off >= 3 && frames < FRAME_MAX) {
		caplen = (size_t)(data[off] & 0x7f) << 8 | data[off + 1];
		wirelen = caplen + (data[off] & 0x80 ? 64 : 0);
		now += (uint64_t)data[off + 2] * 500000;
		off += 3;
		/* cut by the input's end: as if the capture's snaplen cut it */
		if (caplen > size - off)
			caplen = size - off;
		/* a copy of exactly caplen bytes: a read past it is ASan's */
		if ((frame = malloc(caplen > 0 ? caplen : 1)) == NULL)
			break;
		frames++;
		memcpy(frame, data + off, caplen);
		off += caplen;

		pkt_decode(&p, link, frame, caplen, wirelen);
		FUZZ_ASSERT(p.l3_len <= caplen);
		FUZZ_ASSERT(p.payload_len == 0 || (p.payload >= frame &&
		    p.payload_len <= caplen - (size_t)(p.payload - frame)));
		engine_decide(e, &p, hint, now, &d);
		check_decision(&p, &d);
		if (live && d.flow != NULL && !d.inspect)
			engine_offload(e, &d);
		memset(&lc, 0, sizeof(lc));
		lc.ts_us = now;
		lc.pcap_frame = frames;
		dlog_decision(dlog, &p, &d, &lc);
		free(frame);
	}
	engine_get_stats(e, &st);
	FUZZ_ASSERT(st.packets == frames);
	FUZZ_ASSERT(st.flows <= FRAME_FLOWS);
	engine_free(e);
	dlog_flush(dlog);
	fuzz_policy_gc(pol);
	return 0;
}
