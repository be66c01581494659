/*
 * policy.c - fuzz target: Lua source through policy_load (gw/policy.c), what
 * `outgate check` runs, then the compiled rules matched against a few flows
 * and each check run once on a made-up handshake, under the sandbox's budgets.
 * The input is the policy file; require serves lua/ of this tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common.h"
#include "dns.h"
#include "inspect.h"
#include "policy.h"

#define POLICY_CHECKS_RUN	8	/* checks called per input, at most */

static struct fuzz_file	file;
static struct flow	flows[3];
static struct inspect_info infos[3];
static struct dns_msg	dmsg;

/* A query for www.example.com, type A. */
static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0x00, 0x01, 0x00, 0x01,
};

static void
mkflow(struct flow *f, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint8_t proto)
{
	memset(f, 0, sizeof(*f));
	(void)addr_parse(&f->key.src, src);
	(void)addr_parse(&f->key.dst, dst);
	f->key.sport = sport;
	f->key.dport = dport;
	f->key.proto = proto;
	f->id = 1;
	f->rule = -1;
	f->uid = f->gid = POLICY_ID_NONE;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct inspect_info *fi;

	(void)argc;
	(void)argv;
	if (fuzz_file_open(&file, "policy.lua") == -1)
		exit(2);
	mkflow(&flows[0], "10.1.0.5", 40000, "198.51.100.10", 443, 6);
	mkflow(&flows[1], "10.1.0.5", 40001, "198.51.100.10", 80, 6);
	mkflow(&flows[2], "fd00::5", 53000, "2001:db8::53", 53, 17);

	fi = &infos[0];
	fi->proto = INSPECT_TLS;
	fi->tls = true;
	snprintf(fi->sni, sizeof(fi->sni), "www.example.com");
	snprintf(fi->alpn, sizeof(fi->alpn), "h2,http/1.1");
	fi->versions[0] = 0x0304;
	fi->versions[1] = 0x0303;
	fi->nversions = 2;
	fi->max_version = 0x0304;
	fi->payload = (const uint8_t *)"\x16\x03\x01";
	fi->payload_len = 3;
	fi->subject.known = true;
	fi->subject.uid = 1000;
	fi->subject.gid = 1000;
	fi->subject.pid = 42;
	fi->subject.exe = "/usr/bin/curl";
	fi->subject.cgroup = "/system.slice/app.service";

	fi = &infos[1];
	fi->proto = INSPECT_HTTP;
	fi->http = true;
	snprintf(fi->method, sizeof(fi->method), "POST");
	snprintf(fi->target, sizeof(fi->target), "/upload?x=1");
	snprintf(fi->host, sizeof(fi->host), "api.example.com");
	fi->http_major = 1;
	fi->http_minor = 1;
	fi->subject.uid = fi->subject.gid = POLICY_ID_NONE;

	fi = &infos[2];
	fi->proto = INSPECT_DNS;
	if (dns_parse(query, sizeof(query), &dmsg) != DNS_OK)
		exit(2);
	fi->dns = &dmsg;
	fi->subject.uid = fi->subject.gid = POLICY_ID_NONE;
	return 0;
}

static void
check_error(const char *err)
{
	size_t n = strlen(file.path);

	/* "FILE:LINE: message" or "FILE: message", one line */
	if (strncmp(err, file.path, n) != 0 || err[n] != ':' ||
	    strchr(err, '\n') != NULL) {
		fprintf(stderr, "policy error: %s\n", err);
		fuzz_fail(__FILE__, __LINE__, "the error is one line that "
		    "starts with the policy's path");
	}
}

static void
check_rules(const struct policy_rule *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		FUZZ_ASSERT(r[i].name != NULL && r[i].name[0] != '\0');
		(void)policy_host_match(&r[i], "www.example.com");
		(void)policy_host_match(&r[i], "a.b.example.org");
	}
}

static void
run_checks(const struct policy *p)
{
	struct check_result cr;
	size_t i, k, ran = 0;
	bool inbound;

	for (k = 0; k < 2; k++) {
		const struct policy_rule *r = k == 0 ? p->egress : p->inbound;
		size_t n = k == 0 ? p->negress : p->ninbound;

		inbound = k == 1;
		for (i = 0; i < n && ran < POLICY_CHECKS_RUN; i++) {
			if (r[i].check == NULL)
				continue;
			memset(&cr, 0, sizeof(cr));
			if (check_run(p, inbound, i, &flows[ran % 3],
			    &infos[ran % 3], inbound ? "in" : "out", &cr) == 0)
				FUZZ_ASSERT(cr.verdict >= 0 && cr.verdict <= 2);
			else
				FUZZ_ASSERT(memchr(cr.error, '\0',
				    sizeof(cr.error)) != NULL);
			ran++;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p;
	char err[1024];
	size_t i;

	if (fuzz_file_put(&file, data, size) == -1)
		return 0;
	err[0] = '\0';
	if (policy_load(&p, file.path, fuzz_lua_dir(), err, sizeof(err)) == -1) {
		FUZZ_ASSERT(p == NULL);
		check_error(err);
		return 0;
	}
	FUZZ_ASSERT(p != NULL && strlen(p->hash) == 16);
	FUZZ_ASSERT(p->mode == POLICY_ENFORCE || p->mode == POLICY_MONITOR);
	check_rules(p->egress, p->negress);
	check_rules(p->inbound, p->ninbound);
	for (i = 0; i < 3; i++) {
		int m = policy_match(p, false, &flows[i].key, NULL);

		FUZZ_ASSERT(m >= -1 && m < (int)p->negress);
		m = policy_match(p, true, &flows[i].key, &infos[0].subject);
		FUZZ_ASSERT(m >= -1 && m < (int)p->ninbound);
		(void)policy_is_local(p, &flows[i].key.src);
	}
	(void)policy_qtype_ok(p, 16);
	run_checks(p);
	policy_free(p);
	return 0;
}
