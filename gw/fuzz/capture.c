/*
 * capture.c - fuzz target: a whole capture file (pcap or pcapng, any link
 * type) through replay_run (gw/replay.c), libpcap's reader included, into the
 * engine with the policy gw/fuzz/frame.lua, the JSON lines (checked: one
 * object a frame) and the decision log.
 * The input is the file; replay opens it by path, so it goes to a memfd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "engine.h"
#include "log.h"
#include "replay.h"

#define CAPTURE_FLOWS	64
#define CAPTURE_SLOTS	4

static struct fuzz_file	file;
static struct policy	*pol;
static struct dlog	*dlog;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	pol = fuzz_policy("gw/fuzz/frame.lua");
	if (fuzz_file_open(&file, "capture.pcap") == -1)
		exit(2);
	if ((dlog = dlog_open("/dev/null", "enforce", pol->hash, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz: %s\n", err);
		exit(2);
	}
	dlog_set_rate(dlog, 0);
	return 0;
}

/* Replay's output: one JSON object a frame, no raw control byte in a line. */
static void
check_lines(const char *buf, size_t len, uint64_t frames)
{
	uint64_t lines = 0;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			FUZZ_ASSERT(i - start >= 2 && buf[start] == '{' &&
			    buf[i - 1] == '}');
			lines++;
			start = i + 1;
		} else
			FUZZ_ASSERT((unsigned char)buf[i] >= 0x20);
	}
	FUZZ_ASSERT(start == len && lines == frames);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct replay_opts ro;
	struct replay_result rr;
	struct engine_opts eo;
	struct engine_stats st;
	struct engine *e;
	char err[1024], *out = NULL;
	size_t outlen = 0;
	FILE *fp;
	int rc;

	if (fuzz_file_put(&file, data, size) == -1)
		return 0;
	memset(&eo, 0, sizeof(eo));
	eo.flow_capacity = CAPTURE_FLOWS;
	eo.inspect_slots = CAPTURE_SLOTS;
	eo.mode = -1;
	eo.inspect_all = true;
	if ((e = engine_new(pol, &eo)) == NULL)
		return 0;
	if ((fp = open_memstream(&out, &outlen)) == NULL) {
		engine_free(e);
		return 0;
	}
	memset(&ro, 0, sizeof(ro));
	ro.capture = file.path;
	ro.out = fp;
	ro.log = dlog;
	err[0] = '\0';
	rc = replay_run(e, &ro, &rr, err, sizeof(err));
	FUZZ_ASSERT(rc == 0 || rc == -1);
	if (rc == -1)
		FUZZ_ASSERT(err[0] != '\0' && strchr(err, '\n') == NULL);
	fclose(fp);
	check_lines(out, outlen, rr.frames);
	free(out);
	engine_get_stats(e, &st);
	FUZZ_ASSERT(st.packets == rr.frames);
	FUZZ_ASSERT(st.flows <= CAPTURE_FLOWS);
	engine_free(e);
	dlog_flush(dlog);
	fuzz_policy_gc(pol);
	return 0;
}
