/* test_fwrules.c - the mark arithmetic and the rendered iptables-restore text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fwrules.h"

static char buf[65536];

static const struct fwrules_opts host = {
	.backend = FWRULES_IPTABLES,
	.queue_lo = 0, .queue_hi = 0,
	.mark_mask = FWRULES_MARK_MASK_DEFAULT,
};

/* How many whole lines of text equal line. */
static int
count_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	int c = 0;

	for (const char *p = text; *p != '\0';) {
		const char *e = strchr(p, '\n');
		size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

		if (l == n && memcmp(p, line, n) == 0)
			c++;
		p += l + (e != NULL);
	}
	return c;
}

static void
render_ok(const struct fwrules_opts *o, int family, const char *current)
{
	int n = fwrules_render(o, family, current, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
}

static void
test_marks(void **state)
{
	uint32_t a = 7, d = 7, r = 7;

	(void)state;
	assert_int_equal(fwrules_marks(0x60000000, &a, &d, &r), 0);
	assert_int_equal(a, 0x20000000);
	assert_int_equal(d, 0x40000000);
	assert_int_equal(r, 0x60000000);
	assert_int_equal(fwrules_marks(0x3, &a, &d, &r), 0);
	assert_int_equal(a, 1);
	assert_int_equal(d, 2);
	assert_int_equal(r, 3);
	assert_int_equal(fwrules_marks(0xc0000000, &a, &d, &r), 0);	/* top bits */
	assert_int_equal(a, 0x40000000);
	assert_int_equal(d, 0x80000000);
	assert_int_equal(r, 0xc0000000);
	assert_int_equal(fwrules_marks(0x000ff000, &a, &d, &r), 0);	/* wider than needed */
	assert_int_equal(a, 0x1000);
	assert_int_equal(d, 0x2000);
	assert_int_equal(r, 0x3000);
	/* all 32 bits is two contiguous bits and more: legal, the user's choice */
	assert_int_equal(fwrules_marks(0xffffffff, &a, &d, &r), 0);
	assert_int_equal(a, 1);
	assert_int_equal(r, 3);
	assert_int_equal(fwrules_marks(0x60000000, NULL, NULL, NULL), 0);
}

static void
test_marks_bad(void **state)
{
	static const uint32_t bad[] = {
		0, 0x1, 0x40000000, 0x80000000,		/* none, one bit */
		0x5, 0xa0000000, 0x60000001, 0x80000001,	/* not contiguous */
		0xfffffffe & ~0x100u, 0xf0f00000,
	};
	uint32_t a = 7, d = 7, r = 7;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fwrules_marks(bad[i], &a, &d, &r), -1);
		assert_int_equal(a, 7);	/* untouched */
		assert_int_equal(d, 7);
		assert_int_equal(r, 7);
	}
}

static void
test_host_v4(void **state)
{
	static const char want[] =
	    "*filter\n"
	    ":OUTGATE_OUT - [0:0]\n"
	    ":OUTGATE_IN - [0:0]\n"
	    "-A OUTGATE_OUT -o lo -m comment --comment \"outgate\" -j RETURN\n"
	    "-A OUTGATE_OUT -m mark ! --mark 0x0/0x60000000 -m comment --comment \"outgate\" "
	    "-j CONNMARK --save-mark --nfmask 0x60000000 --ctmask 0x60000000\n"
	    "-A OUTGATE_OUT -m conntrack --ctstate INVALID -m comment --comment \"outgate\" -j DROP\n"
	    "-A OUTGATE_OUT -m connmark --mark 0x20000000/0x60000000 -m comment --comment \"outgate\" -j RETURN\n"
	    "-A OUTGATE_OUT -m connmark --mark 0x40000000/0x60000000 -m comment --comment \"outgate\" -j DROP\n"
	    "-A OUTGATE_OUT -p tcp -m connmark --mark 0x60000000/0x60000000 -m comment --comment \"outgate\" "
	    "-j REJECT --reject-with tcp-reset\n"
	    "-A OUTGATE_OUT -m connmark --mark 0x60000000/0x60000000 -m comment --comment \"outgate\" "
	    "-j REJECT --reject-with icmp-port-unreachable\n"
	    "-A OUTGATE_OUT -m comment --comment \"outgate\" -j NFQUEUE --queue-num 0\n"
	    "-A OUTGATE_IN -i lo -m comment --comment \"outgate\" -j RETURN\n"
	    "-A OUTGATE_IN -m mark ! --mark 0x0/0x60000000 -m comment --comment \"outgate\" "
	    "-j CONNMARK --save-mark --nfmask 0x60000000 --ctmask 0x60000000\n"
	    "-A OUTGATE_IN -m conntrack --ctstate INVALID -m comment --comment \"outgate\" -j DROP\n"
	    "-A OUTGATE_IN -m connmark --mark 0x20000000/0x60000000 -m comment --comment \"outgate\" -j RETURN\n"
	    "-A OUTGATE_IN -m connmark --mark 0x40000000/0x60000000 -m comment --comment \"outgate\" -j DROP\n"
	    "-A OUTGATE_IN -p tcp -m connmark --mark 0x60000000/0x60000000 -m comment --comment \"outgate\" "
	    "-j REJECT --reject-with tcp-reset\n"
	    "-A OUTGATE_IN -m connmark --mark 0x60000000/0x60000000 -m comment --comment \"outgate\" "
	    "-j REJECT --reject-with icmp-port-unreachable\n"
	    "-A OUTGATE_IN -m conntrack --ctstate NEW -m comment --comment \"outgate\" -j DROP\n"
	    "-A OUTGATE_IN -m comment --comment \"outgate\" -j NFQUEUE --queue-num 0\n"
	    "-I OUTPUT 1 -m comment --comment \"outgate\" -j OUTGATE_OUT\n"
	    "-I INPUT 1 -m comment --comment \"outgate\" -j OUTGATE_IN\n"
	    "COMMIT\n";

	(void)state;
	render_ok(&host, 4, NULL);
	assert_string_equal(buf, want);
	/* a mask of 0 means the default */
	{
		struct fwrules_opts o = host;

		o.mark_mask = 0;
		render_ok(&o, 4, NULL);
		assert_string_equal(buf, want);
	}
}

static void
test_host_v6(void **state)
{
	char line[256];

	(void)state;
	render_ok(&host, 6, NULL);
	assert_int_equal(count_line(buf, ":OUTGATE_OUT - [0:0]"), 1);
	assert_int_equal(count_line(buf, ":OUTGATE_IN - [0:0]"), 1);
	for (int t = 133; t <= 137; t++) {
		snprintf(line, sizeof(line), "-A OUTGATE_OUT -p ipv6-icmp -m icmp6 --icmpv6-type %d "
		    "-m hl --hl-eq 255 -m comment --comment \"outgate\" -j RETURN", t);
		assert_int_equal(count_line(buf, line), 1);
		snprintf(line, sizeof(line), "-A OUTGATE_IN -p ipv6-icmp -m icmp6 --icmpv6-type %d "
		    "-m hl --hl-eq 255 -m comment --comment \"outgate\" -j RETURN", t);
		assert_int_equal(count_line(buf, line), 1);
	}
	/* neighbour discovery passes before the INVALID drop, after the mark save */
	assert_true(strstr(buf, "--icmpv6-type 137") < strstr(buf, "--ctstate INVALID"));
	assert_true(strstr(buf, "--save-mark") < strstr(buf, "--icmpv6-type 133"));
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m connmark --mark 0x60000000/0x60000000 "
	    "-m comment --comment \"outgate\" -j REJECT --reject-with icmp6-port-unreachable"), 1);
	assert_null(strstr(buf, "icmp-port-unreachable"));
	assert_int_equal(count_line(buf, "-I OUTPUT 1 -m comment --comment \"outgate\" -j OUTGATE_OUT"), 1);
	assert_int_equal(count_line(buf, "-I INPUT 1 -m comment --comment \"outgate\" -j OUTGATE_IN"), 1);
	/* v4 has no ND rules */
	render_ok(&host, 4, NULL);
	assert_null(strstr(buf, "icmp6"));
	assert_null(strstr(buf, "--hl-eq"));
}

static void
test_forward(void **state)
{
	struct fwrules_opts o = host;
	static const char want[] =
	    "*filter\n"
	    ":OUTGATE_FWD - [0:0]\n"
	    "-A OUTGATE_FWD -m mark ! --mark 0x0/0x60000000 -m comment --comment \"outgate\" "
	    "-j CONNMARK --save-mark --nfmask 0x60000000 --ctmask 0x60000000\n"
	    "-A OUTGATE_FWD -m conntrack --ctstate INVALID -m comment --comment \"outgate\" -j DROP\n"
	    "-A OUTGATE_FWD -m connmark --mark 0x20000000/0x60000000 -m comment --comment \"outgate\" -j RETURN\n"
	    "-A OUTGATE_FWD -m connmark --mark 0x40000000/0x60000000 -m comment --comment \"outgate\" -j DROP\n"
	    "-A OUTGATE_FWD -p tcp -m connmark --mark 0x60000000/0x60000000 -m comment --comment \"outgate\" "
	    "-j REJECT --reject-with tcp-reset\n"
	    "-A OUTGATE_FWD -m connmark --mark 0x60000000/0x60000000 -m comment --comment \"outgate\" "
	    "-j REJECT --reject-with icmp-port-unreachable\n"
	    "-A OUTGATE_FWD -m comment --comment \"outgate\" -j NFQUEUE --queue-num 0\n"
	    "-I FORWARD 1 -m comment --comment \"outgate\" -j OUTGATE_FWD\n"
	    "COMMIT\n";

	(void)state;
	o.forward = true;
	render_ok(&o, 4, NULL);
	assert_string_equal(buf, want);
	/* no NEW drop in forward mode, whatever inbound_possible says */
	render_ok(&o, 6, NULL);
	assert_null(strstr(buf, "OUTGATE_OUT"));
	assert_null(strstr(buf, "OUTGATE_IN"));
	assert_null(strstr(buf, "--ctstate NEW"));
	assert_null(strstr(buf, " lo "));
	assert_int_equal(count_line(buf, "-I FORWARD 1 -m comment --comment \"outgate\" -j OUTGATE_FWD"), 1);
	assert_non_null(strstr(buf, "--icmpv6-type 135 -m hl --hl-eq 255"));
}

static void
test_queues(void **state)
{
	struct fwrules_opts o = host;

	(void)state;
	o.queue_lo = o.queue_hi = 7;
	render_ok(&o, 4, NULL);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m comment --comment \"outgate\" "
	    "-j NFQUEUE --queue-num 7"), 1);
	assert_null(strstr(buf, "bypass"));

	o.queue_lo = 2;
	o.queue_hi = 5;
	o.fail_open = true;
	render_ok(&o, 6, NULL);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m comment --comment \"outgate\" "
	    "-j NFQUEUE --queue-balance 2:5 --queue-bypass"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_IN -m comment --comment \"outgate\" "
	    "-j NFQUEUE --queue-balance 2:5 --queue-bypass"), 1);
	assert_null(strstr(buf, "--queue-num"));

	o.queue_lo = 65535;
	o.queue_hi = 65535;
	o.fail_open = false;
	render_ok(&o, 4, NULL);
	assert_non_null(strstr(buf, "--queue-num 65535\n"));

	o.queue_lo = 5;
	o.queue_hi = 2;
	assert_int_equal(fwrules_render(&o, 4, NULL, buf, sizeof(buf)), -1);
}

static void
test_inbound_loopback_mask(void **state)
{
	struct fwrules_opts o = host;

	(void)state;
	render_ok(&o, 4, NULL);
	assert_int_equal(count_line(buf, "-A OUTGATE_IN -m conntrack --ctstate NEW "
	    "-m comment --comment \"outgate\" -j DROP"), 1);
	assert_null(strstr(buf, "-A OUTGATE_OUT -m conntrack --ctstate NEW"));
	/* the NEW drop sits just before the queue rule */
	assert_true(strstr(buf, "--ctstate NEW") > strstr(buf, "-A OUTGATE_IN -m connmark"));
	assert_true(strstr(buf, "--ctstate NEW") < strstr(buf, "-A OUTGATE_IN -m comment"));

	o.inbound_possible = true;
	render_ok(&o, 4, NULL);
	assert_null(strstr(buf, "--ctstate NEW"));

	o.include_loopback = true;
	render_ok(&o, 6, NULL);
	assert_null(strstr(buf, " lo "));

	o.mark_mask = 0x3;
	render_ok(&o, 4, NULL);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m mark ! --mark 0x0/0x3 -m comment "
	    "--comment \"outgate\" -j CONNMARK --save-mark --nfmask 0x3 --ctmask 0x3"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m connmark --mark 0x1/0x3 "
	    "-m comment --comment \"outgate\" -j RETURN"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m connmark --mark 0x2/0x3 "
	    "-m comment --comment \"outgate\" -j DROP"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -p tcp -m connmark --mark 0x3/0x3 "
	    "-m comment --comment \"outgate\" -j REJECT --reject-with tcp-reset"), 1);
	assert_null(strstr(buf, "0x60000000"));

	o.mark_mask = 0x5;
	assert_int_equal(fwrules_render(&o, 4, NULL, buf, sizeof(buf)), -1);
	o.mark_mask = 0x80000000;
	assert_int_equal(fwrules_render(&o, 4, NULL, buf, sizeof(buf)), -1);
}

/* A listing as `iptables -S` prints it: ours in host mode, and rules of others. */
static const char listing[] =
    "-P INPUT ACCEPT\n"
    "-P FORWARD DROP\n"
    "-P OUTPUT ACCEPT\n"
    "-N OUTGATE_IN\n"
    "-N OUTGATE_OUT\n"
    "-N OUTGATE_EXTRA\n"
    "-N USER\n"
    "-A INPUT -m comment --comment outgate -j OUTGATE_IN\n"
    "-A INPUT -m mark --mark 0x1/0x1 -j ACCEPT\n"
    "-A OUTPUT -m comment --comment outgate -j OUTGATE_OUT\n"
    "-A OUTPUT -m comment --comment outgate-user -j ACCEPT\n"
    "-A OUTPUT -m comment --comment \"not outgate\" -j ACCEPT\n"
    "-A OUTPUT -m comment --comment \"outgate and more\" -j ACCEPT\n"
    "-A OUTPUT -j USER\n"
    "-A OUTGATE_IN -m comment --comment outgate -j NFQUEUE --queue-num 0\n"
    "-A OUTGATE_OUT -m comment --comment outgate -j NFQUEUE --queue-num 0\n"
    "-A USER -m comment --comment \"outgate\" -j OUTGATE_OUT\r\n"
    "-A USER -j ACCEPT";	/* no final newline */

static void
test_remove(void **state)
{
	static const char want[] =
	    "*filter\n"
	    "-D INPUT -m comment --comment outgate -j OUTGATE_IN\n"
	    "-D OUTPUT -m comment --comment outgate -j OUTGATE_OUT\n"
	    "-D USER -m comment --comment \"outgate\" -j OUTGATE_OUT\n"
	    "-F OUTGATE_IN\n"
	    "-X OUTGATE_IN\n"
	    "-F OUTGATE_OUT\n"
	    "-X OUTGATE_OUT\n"
	    "COMMIT\n";

	(void)state;
	render_ok(NULL, 4, listing);
	assert_string_equal(buf, want);
	render_ok(NULL, 6, listing);
	assert_string_equal(buf, want);
	/* nothing of ours: an empty transaction */
	render_ok(NULL, 4, NULL);
	assert_string_equal(buf, "*filter\nCOMMIT\n");
	render_ok(NULL, 4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
	    "-A OUTPUT -j ACCEPT\n");
	assert_string_equal(buf, "*filter\nCOMMIT\n");
	render_ok(NULL, 4, "");
	assert_string_equal(buf, "*filter\nCOMMIT\n");
}

static void
test_replace(void **state)
{
	struct fwrules_opts o = host;
	const char *decl, *del, *add;

	(void)state;
	/* same mode again: chains kept (their declaration flushes them), jumps replaced */
	render_ok(&o, 4, listing);
	assert_int_equal(count_line(buf, "-D INPUT -m comment --comment outgate -j OUTGATE_IN"), 1);
	assert_int_equal(count_line(buf, "-D OUTPUT -m comment --comment outgate -j OUTGATE_OUT"), 1);
	assert_null(strstr(buf, "-X OUTGATE"));
	assert_null(strstr(buf, "-F OUTGATE"));
	decl = strstr(buf, ":OUTGATE_OUT - [0:0]");
	del = strstr(buf, "-D OUTPUT");
	add = strstr(buf, "-I OUTPUT 1");
	assert_non_null(decl);
	assert_true(decl < del && del < add);
	assert_null(strstr(buf, "USER -j"));
	assert_null(strstr(buf, "outgate-user"));

	/* host -> forward: the host chains go */
	o.forward = true;
	render_ok(&o, 6, listing);
	assert_int_equal(count_line(buf, "-F OUTGATE_OUT"), 1);
	assert_int_equal(count_line(buf, "-X OUTGATE_OUT"), 1);
	assert_int_equal(count_line(buf, "-X OUTGATE_IN"), 1);
	assert_int_equal(count_line(buf, ":OUTGATE_FWD - [0:0]"), 1);
	assert_null(strstr(buf, ":OUTGATE_OUT"));
	assert_null(strstr(buf, "OUTGATE_EXTRA"));	/* not a name of ours */
	assert_true(strstr(buf, "-X OUTGATE_IN") < strstr(buf, "-A OUTGATE_FWD"));
}

static void
test_bad_args(void **state)
{
	char small[64];

	(void)state;
	assert_int_equal(fwrules_render(&host, 5, NULL, buf, sizeof(buf)), -1);
	assert_int_equal(fwrules_render(&host, 0, NULL, buf, sizeof(buf)), -1);
	assert_int_equal(fwrules_render(&host, 4, NULL, NULL, 10), -1);
	assert_int_equal(fwrules_render(&host, 4, NULL, buf, 0), -1);
	memset(small, 'x', sizeof(small));
	assert_int_equal(fwrules_render(&host, 4, NULL, small, sizeof(small)), -1);
	assert_string_equal(small, "");
	{
		struct fwrules_opts o = host;

		o.backend = (enum fwrules_backend)9;
		assert_int_equal(fwrules_render(&o, 4, NULL, buf, sizeof(buf)), -1);
	}
}

static void
test_names_and_none(void **state)
{
	struct fwrules_opts o = host;
	char err[128] = "";

	(void)state;
	assert_string_equal(fwrules_backend_name(FWRULES_AUTO), "auto");
	assert_string_equal(fwrules_backend_name(FWRULES_IPTABLES), "iptables");
	assert_string_equal(fwrules_backend_name(FWRULES_NFT), "nft");
	assert_string_equal(fwrules_backend_name(FWRULES_NONE), "none");
	/* none and bad options never run anything */
	o.backend = FWRULES_NONE;
	assert_int_equal(fwrules_install(&o, err, sizeof(err)), 0);
	assert_int_equal(fwrules_remove(&o, err, sizeof(err)), 0);
	o.backend = FWRULES_IPTABLES;
	o.mark_mask = 0x1;
	assert_int_equal(fwrules_install(&o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mark mask"));
	o.mark_mask = 0;
	o.queue_lo = 3;
	assert_int_equal(fwrules_install(&o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "queue"));
}

/* Exempt uids and mark: outbound only, ahead of the queue, accept-marked. */
static void
test_exempt(void **state)
{
	struct fwrules_opts o = host;
	const char *queue;

	(void)state;
	o.exempt_uid[0] = 999;
	o.exempt_uid[1] = 0;
	o.nexempt_uid = 2;
	o.exempt_mark = 0x100;
	o.exempt_mark_mask = 0x100;
	render_ok(&o, 4, NULL);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m owner --uid-owner 999 -m comment "
	    "--comment \"outgate\" -j CONNMARK --set-xmark 0x20000000/0x60000000"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m owner --uid-owner 999 -m comment "
	    "--comment \"outgate\" -j RETURN"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m owner --uid-owner 0 -m comment "
	    "--comment \"outgate\" -j RETURN"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m mark --mark 0x100/0x100 -m comment "
	    "--comment \"outgate\" -j CONNMARK --set-xmark 0x20000000/0x60000000"), 1);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m mark --mark 0x100/0x100 -m comment "
	    "--comment \"outgate\" -j RETURN"), 1);
	/* before the queue, and never on the inbound chain */
	queue = strstr(buf, "-A OUTGATE_OUT -m comment --comment \"outgate\" -j NFQUEUE");
	assert_non_null(queue);
	assert_true(strstr(buf, "--uid-owner 0 ") < queue);
	assert_true(strstr(buf, "--mark 0x100/0x100") < queue);
	assert_null(strstr(buf, "-A OUTGATE_IN -m owner"));
	assert_null(strstr(buf, "-A OUTGATE_IN -m mark --mark 0x100"));
	render_ok(&o, 6, NULL);
	assert_int_equal(count_line(buf, "-A OUTGATE_OUT -m owner --uid-owner 999 -m comment "
	    "--comment \"outgate\" -j RETURN"), 1);

	/* forward mode has no local sockets */
	o.forward = true;
	render_ok(&o, 4, NULL);
	assert_null(strstr(buf, "--uid-owner"));
	o.forward = false;

	/* a mark that is not inside its mask, or on our verdict bits */
	o.exempt_mark = 0x300;
	assert_int_equal(fwrules_render(&o, 4, NULL, buf, sizeof(buf)), -1);
	o.exempt_mark = 0x20000000;
	o.exempt_mark_mask = 0x20000000;
	assert_int_equal(fwrules_render(&o, 4, NULL, buf, sizeof(buf)), -1);
	o.exempt_mark = o.exempt_mark_mask = 0;
	o.nexempt_uid = FWRULES_EXEMPT_MAX + 1;
	assert_int_equal(fwrules_render(&o, 4, NULL, buf, sizeof(buf)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_marks_bad),
		cmocka_unit_test(test_host_v4),
		cmocka_unit_test(test_host_v6),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_queues),
		cmocka_unit_test(test_inbound_loopback_mask),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_names_and_none),
		cmocka_unit_test(test_exempt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
