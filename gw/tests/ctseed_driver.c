/*
 * ctseed_driver.c - dump this namespace's conntrack table with ctseed_dump, one line
 * per entry, for ctseed_live.sh.  Reads only; never changes the table.
 *
 * usage: ctseed_driver [max]	stop after max entries (tests the stop path)
 * output: "proto=6 src=A sport=N dst=A dport=N rsrc=A rsport=N rdst=A rdport=N
 *          status=0xX mark=0xX timeout=N tcp_state=N", then a "# entries=..." line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "addr.h"
#include "ctseed.h"

struct drv {
	long	max;
	long	seen;
};

static int
print_entry(void *arg, const struct ctseed_entry *e)
{
	struct drv *d = arg;
	char s[ADDR_STRLEN], t[ADDR_STRLEN], rs[ADDR_STRLEN], rt[ADDR_STRLEN];

	printf("proto=%u src=%s sport=%u dst=%s dport=%u "
	    "rsrc=%s rsport=%u rdst=%s rdport=%u "
	    "status=0x%x mark=0x%x timeout=%u tcp_state=%u\n",
	    e->orig.proto,
	    addr_format(&e->orig.src, s, sizeof(s)), e->orig.sport,
	    addr_format(&e->orig.dst, t, sizeof(t)), e->orig.dport,
	    addr_format(&e->reply.src, rs, sizeof(rs)), e->reply.sport,
	    addr_format(&e->reply.dst, rt, sizeof(rt)), e->reply.dport,
	    e->status, e->mark, e->timeout, e->tcp_state);
	d->seen++;
	return d->max > 0 && d->seen >= d->max ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct ctseed_stats st;
	struct drv d = { 0, 0 };
	char err[256];
	long n;

	if (argc > 1)
		d.max = strtol(argv[1], NULL, 10);
	n = ctseed_dump(print_entry, &d, &st, err, sizeof(err));
	if (n == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("# entries=%ld messages=%llu malformed=%llu unsupported=%llu "
	    "interrupted=%llu\n", n, (unsigned long long)st.messages,
	    (unsigned long long)st.malformed,
	    (unsigned long long)st.unsupported,
	    (unsigned long long)st.interrupted);
	return 0;
}
