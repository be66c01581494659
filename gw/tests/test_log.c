/*
 * test_log.c - the decision log: one record per flow decision, the rate
 * limit per (reason, subject) with its "suppressed" records, flow_end
 * records, and reopening the file (logrotate).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "flow.h"
#include "log.h"

#define T0	1700000000000000ULL

static char path[64];

static size_t
count(const char *needle)
{
	char line[4096];
	size_t n = 0;
	FILE *fp = fopen(path, "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(fp);
	return n;
}

static struct pkt
inbound(const char *src, const char *dst)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.status = PKT_OK;
	p.family = 4;
	assert_int_equal(addr_parse(&p.src, src), 0);
	assert_int_equal(addr_parse(&p.dst, dst), 0);
	p.proto = 6;
	p.has_l4 = true;
	p.sport = 40000;
	p.dport = 22;
	return p;
}

static struct decision
drop_in(void)
{
	struct decision d;

	memset(&d, 0, sizeof(d));
	d.verdict = d.would = VERDICT_DROP;
	d.reason = REASON_UNSOLICITED_INBOUND;
	d.dir = ENGINE_DIR_IN;
	d.rule_ref = -1;
	return d;
}

static struct dlog *
open_log(void)
{
	char err[256];
	struct dlog *l;

	strcpy(path, "/tmp/og-log-XXXXXX");
	assert_int_not_equal(mkstemp(path), -1);
	assert_non_null(l = dlog_open(path, "enforce", "0123456789abcdef", err, sizeof(err)));
	return l;
}

/* 200 drops of one reason about one inside host in one second: 50 written, 150 counted. */
static void
test_rate_limit(void **state)
{
	struct dlog_ctx c = { .ts_us = T0 };
	struct decision d = drop_in();
	struct pkt p;
	struct dlog *l = open_log();
	char src[32];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		snprintf(src, sizeof(src), "203.0.113.%d", i % 250 + 1);
		p = inbound(src, "10.1.0.5");	/* many senders, one inside host */
		dlog_decision(l, &p, &d, &c);
	}
	p = inbound("203.0.113.1", "10.1.0.6");	/* another inside host: its own count */
	dlog_decision(l, &p, &d, &c);
	dlog_flush(l);
	assert_int_equal(count("\"event\":\"decision\""), DLOG_RATE_DEFAULT + 1);
	assert_int_equal(count("\"event\":\"suppressed\""), 0);	/* its second is not over */
	assert_int_equal(dlog_suppressed(l), 200 - DLOG_RATE_DEFAULT);
	dlog_tick(l, T0 + 1000000);
	dlog_flush(l);
	assert_int_equal(count("\"suppressed\":150,\"written\":50"), 1);
	/* the next second starts afresh */
	c.ts_us = T0 + 1500000;
	p = inbound("203.0.113.9", "10.1.0.5");
	dlog_decision(l, &p, &d, &c);
	dlog_close(l);
	assert_int_equal(count("\"event\":\"decision\""), DLOG_RATE_DEFAULT + 2);
	assert_int_equal(count("\"event\":\"suppressed\""), 1);
	unlink(path);
}

/*
 * 200 echoes of one checked flow, accepted, in one second: 50 written, the
 * rest counted.  200 new flows accepted in that second: every one written.
 */
static void
test_rate_limit_redecided(void **state)
{
	struct dlog_ctx c = { .ts_us = T0 };
	struct decision d;
	struct pkt p = inbound("10.1.0.5", "198.51.100.9");
	struct dlog *l = open_log();
	int i;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.verdict = d.would = VERDICT_ACCEPT;
	d.reason = REASON_ALLOWED;
	d.dir = ENGINE_DIR_OUT;
	d.rule_ref = -1;
	d.flow_id = 7;
	d.checked = true;	/* a check's decision on a flow it decided before */
	for (i = 0; i < 200; i++)
		dlog_decision(l, &p, &d, &c);
	d.checked = false;
	d.new_flow = true;
	for (i = 0; i < 200; i++) {
		d.flow_id = 100 + (uint64_t)i;
		dlog_decision(l, &p, &d, &c);
	}
	dlog_tick(l, T0 + 1000000);
	dlog_close(l);
	assert_int_equal(count("\"event\":\"decision\""), DLOG_RATE_DEFAULT + 200);
	assert_int_equal(count("\"suppressed\":150,\"written\":50"), 1);
	unlink(path);
}

/* Stamps: RFC 3339 UTC with microseconds, the same second twice, then the next. */
static void
test_timestamps(void **state)
{
	static const uint64_t at[] = { 0, 1, 999999, 1000042, 60000000 + 500000 };
	static const char *const want[] = {
		"\"ts\":\"2023-11-14T22:13:20.000000Z\"",
		"\"ts\":\"2023-11-14T22:13:20.000001Z\"",
		"\"ts\":\"2023-11-14T22:13:20.999999Z\"",
		"\"ts\":\"2023-11-14T22:13:21.000042Z\"",
		"\"ts\":\"2023-11-14T22:14:20.500000Z\"",
	};
	struct dlog_ctx c = { .ts_us = T0 };
	struct decision d = drop_in();
	struct pkt p = inbound("203.0.113.7", "10.1.0.5");
	struct dlog *l = open_log();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		c.ts_us = T0 + at[i];
		dlog_decision(l, &p, &d, &c);
	}
	dlog_close(l);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(count(want[i]), 1);
	unlink(path);
}

/* Left-out records are told at close even when no later second came. */
static void
test_suppressed_at_close(void **state)
{
	struct dlog_ctx c = { .ts_us = T0 };
	struct decision d = drop_in();
	struct pkt p = inbound("203.0.113.1", "10.1.0.5");
	struct dlog *l = open_log();
	int i;

	(void)state;
	dlog_set_rate(l, 3);
	for (i = 0; i < 10; i++)
		dlog_decision(l, &p, &d, &c);
	dlog_close(l);
	assert_int_equal(count("\"event\":\"decision\""), 3);
	assert_int_equal(count("\"suppressed\":7,\"written\":3,\"rate\":3"), 1);
	unlink(path);
	/* rate 0: no limit */
	l = open_log();
	dlog_set_rate(l, 0);
	for (i = 0; i < 100; i++)
		dlog_decision(l, &p, &d, &c);
	dlog_close(l);
	assert_int_equal(count("\"event\":\"decision\""), 100);
	unlink(path);
}

static void
test_flow_end_and_reopen(void **state)
{
	struct flow f;
	struct dlog *l = open_log();
	char moved[80], err[256];

	(void)state;
	memset(&f, 0, sizeof(f));
	f.id = 7;
	f.key.proto = 6;
	assert_int_equal(addr_parse(&f.key.src, "10.1.0.5"), 0);
	assert_int_equal(addr_parse(&f.key.dst, "198.51.100.10"), 0);
	f.key.sport = 40000;
	f.key.dport = 443;
	f.pkts[FLOW_DIR_ORIG] = 3;
	f.bytes[FLOW_DIR_ORIG] = 180;
	f.pkts[FLOW_DIR_REPLY] = 2;
	f.bytes[FLOW_DIR_REPLY] = 1500;
	dlog_flow_end(l, &f, T0, true);
	dlog_flush(l);
	assert_int_equal(count("\"event\":\"flow_end\",\"flow_id\":7"), 1);
	assert_int_equal(count("\"packets_out\":3,\"bytes_out\":180,\"packets_in\":2,"
	    "\"bytes_in\":1500,\"offloaded\":true"), 1);
	/* logrotate moves the file; a reopen starts a new one at the path */
	snprintf(moved, sizeof(moved), "%s.1", path);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(dlog_reopen(l, err, sizeof(err)), 0);
	dlog_flow_end(l, &f, T0, false);
	dlog_close(l);
	assert_int_equal(count("\"event\":\"flow_end\""), 1);
	assert_int_equal(count("offloaded"), 0);
	unlink(path);
	unlink(moved);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_rate_limit_redecided),
		cmocka_unit_test(test_suppressed_at_close),
		cmocka_unit_test(test_flow_end_and_reopen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
