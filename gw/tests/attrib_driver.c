/*
 * attrib_driver.c - attrib_lookup from the command line, for attrib_live.sh.
 * usage: attrib_driver tcp|udp LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT
 * Prints found=1 pid= uid= exe= ... or found=0 why=...; exit 0 found, 1 not, 2 error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "attrib.h"

int
main(int argc, char **argv)
{
	struct flow_key k;
	struct attrib_owner o;
	struct attrib *a;
	char err[256];
	int rc;

	memset(&k, 0, sizeof(k));
	if (argc != 6 || addr_parse(&k.src, argv[2]) == -1 ||
	    addr_parse(&k.dst, argv[4]) == -1) {
		fprintf(stderr, "usage: attrib_driver tcp|udp LADDR LPORT RADDR RPORT\n");
		return 2;
	}
	k.proto = strcmp(argv[1], "udp") == 0 ? IPPROTO_UDP : IPPROTO_TCP;
	k.sport = (uint16_t)atoi(argv[3]);
	k.dport = (uint16_t)atoi(argv[5]);
	a = attrib_new("/proc", err, sizeof(err));
	if (a == NULL) {
		fprintf(stderr, "attrib_new: %s\n", err);
		return 2;
	}
	/* the key as a packet the local side receives: local is dst */
	{
		struct flow_key r = k;

		r.src = k.dst;
		r.dst = k.src;
		r.sport = k.dport;
		r.dport = k.sport;
		rc = attrib_lookup(a, &r, false, &o);
	}
	if (rc == 0)
		printf("found=1 how=%s pid=%u uid=%u inode=%llu exe=%s cgroup=%s container=%s cmdline=%s\n",
		    attrib_how_name(o.how), o.pid, o.uid, (unsigned long long)o.inode,
		    o.exe, o.cgroup, o.container, o.cmdline);
	else
		printf("found=0 why=\"%s\" uid=%s%u\n", o.why,
		    o.has_uid ? "" : "none:", o.uid);
	attrib_free(a);
	return rc == 0 ? 0 : 1;
}
