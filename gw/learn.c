/*
 * learn.c - `outgate learn`: decision logs in, a draft policy out.  Must
 * write only what `outgate check` accepts, and quote every string it copies
 * from a log as a Lua string literal (a log is data, never code).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "jsonread.h"
#include "learn.h"

#define MAX_GROUPS	4096	/* rules a draft can hold */
#define MAX_PORTS	64	/* ports one rule lists; more: the rule takes any port */
#define MAX_NAMES	256	/* names queried but never connected to, listed */
#define LINE_MAX_LEN	16384

struct group {
	bool		inbound;
	char		owner_kind[8];	/* "exe", "cgroup", "uid", or "" */
	char		owner[256];
	char		proto[8];	/* tcp, udp, icmp, icmpv6, or a number */
	char		target[256];	/* egress: a name or an address; inbound: our port's peer */
	bool		by_name;
	uint16_t	ports[MAX_PORTS];
	size_t		nports;
	bool		any_port;
	unsigned long	seen;
	char		first[40], last[40];
};

struct learn {
	struct group	*g;
	size_t		n;
	unsigned long	records, used, bad;
	char		first[40], last[40];
	char		*names[MAX_NAMES];	/* queried, refused, never reached */
	size_t		nnames;
};

static bool
has_port(const struct group *g, uint16_t p)
{
	for (size_t i = 0; i < g->nports; i++)
		if (g->ports[i] == p)
			return true;
	return false;
}

static struct group *
find_group(struct learn *l, bool inbound, const char *kind, const char *owner,
    const char *proto, const char *target)
{
	struct group *g;
	size_t i;

	for (i = 0; i < l->n; i++) {
		g = &l->g[i];
		if (g->inbound == inbound && strcmp(g->owner_kind, kind) == 0 &&
		    strcmp(g->owner, owner) == 0 && strcmp(g->proto, proto) == 0 &&
		    strcmp(g->target, target) == 0)
			return g;
	}
	if (l->n == MAX_GROUPS)
		return NULL;
	g = &l->g[l->n++];
	memset(g, 0, sizeof(*g));
	g->inbound = inbound;
	snprintf(g->owner_kind, sizeof(g->owner_kind), "%s", kind);
	snprintf(g->owner, sizeof(g->owner), "%s", owner);
	snprintf(g->proto, sizeof(g->proto), "%s", proto);
	snprintf(g->target, sizeof(g->target), "%s", target);
	return g;
}

/* Reasons that mean "a flow started here": what a draft must allow. */
static bool
flow_start(const char *reason)
{
	static const char *const r[] = { "allowed", "unknown_egress",
	    "unsolicited_inbound", "no_dns_provenance", "dns_expired", "check",
	    "sni_mismatch", "host_mismatch", "private_address", NULL };

	for (size_t i = 0; r[i] != NULL; i++)
		if (strcmp(reason, r[i]) == 0)
			return true;
	return false;
}

static void
keep_name(struct learn *l, const char *name)
{
	for (size_t i = 0; i < l->nnames; i++)
		if (strcmp(l->names[i], name) == 0)
			return;
	if (l->nnames < MAX_NAMES && (l->names[l->nnames] = strdup(name)) != NULL)
		l->nnames++;
}

static void
take(struct learn *l, const struct jsonread *o)
{
	const char *ev = jsonread_get(o, "event"), *reason = jsonread_get(o, "reason");
	const char *dir = jsonread_get(o, "dir"), *proto = jsonread_get(o, "proto");
	const char *ts = jsonread_get(o, "ts"), *kind = "", *owner = "", *target, *v;
	struct group *g;
	struct addr a;
	bool inbound;
	long port;

	if (ev == NULL || strcmp(ev, "decision") != 0 || reason == NULL ||
	    dir == NULL || proto == NULL)
		return;
	if (strcmp(reason, "dns_denied") == 0) {
		if ((v = jsonread_get(o, "dns_qname")) != NULL)
			keep_name(l, v);
		return;
	}
	if (!flow_start(reason))
		return;
	inbound = strcmp(dir, "in") == 0;
	if (!inbound && strcmp(dir, "out") != 0)
		return;
	if (!inbound) {
		if ((v = jsonread_get(o, "exe")) != NULL)
			kind = "exe", owner = v;
		else if ((v = jsonread_get(o, "cgroup")) != NULL && strcmp(v, "/") != 0)
			kind = "cgroup", owner = v;
		else if ((v = jsonread_get(o, "uid")) != NULL)
			kind = "uid", owner = v;
	}
	/* egress by name where the owner resolved one; else by address */
	target = inbound ? jsonread_get(o, "src") : jsonread_get(o, "dst_name");
	if (!inbound && target == NULL)
		target = jsonread_get(o, "dst");
	if (target == NULL)
		return;
	if ((g = find_group(l, inbound, kind, owner, proto, target)) == NULL)
		return;
	g->by_name = !inbound && jsonread_get(o, "dst_name") != NULL &&
	    addr_parse(&a, target) == -1;
	if ((v = jsonread_get(o, "dport")) != NULL) {
		errno = 0;
		port = strtol(v, NULL, 10);
		if (errno == 0 && port > 0 && port <= 65535 && !g->any_port &&
		    !has_port(g, (uint16_t)port)) {
			if (g->nports == MAX_PORTS)
				g->any_port = true;
			else
				g->ports[g->nports++] = (uint16_t)port;
		}
	}
	g->seen++;
	if (ts != NULL) {
		if (g->first[0] == '\0' || strcmp(ts, g->first) < 0)
			snprintf(g->first, sizeof(g->first), "%s", ts);
		if (strcmp(ts, g->last) > 0)
			snprintf(g->last, sizeof(g->last), "%s", ts);
		if (l->first[0] == '\0' || strcmp(ts, l->first) < 0)
			snprintf(l->first, sizeof(l->first), "%s", ts);
		if (strcmp(ts, l->last) > 0)
			snprintf(l->last, sizeof(l->last), "%s", ts);
	}
	l->used++;
}

/* s as a Lua string literal: only printable ASCII as is, the rest escaped. */
static void
lua_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, out);
		else
			fprintf(out, "\\%03u", c);
	}
	fputc('"', out);
}

static int
cmp_port(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void
write_rule(FILE *out, struct group *g, size_t n)
{
	bool ports = strcmp(g->proto, "tcp") == 0 || strcmp(g->proto, "udp") == 0;
	size_t i;

	fprintf(out, "    -- seen %lu time%s, %s to %s%s%s\n", g->seen, g->seen == 1 ? "" : "s",
	    g->first, g->last, g->owner_kind[0] != '\0' ? "; " : "",
	    g->owner_kind[0] != '\0' ? g->owner_kind : "");
	fprintf(out, "    { name = \"learnt_%zu\", proto = ", n);
	lua_str(out, g->proto);
	if (g->owner_kind[0] != '\0') {
		fprintf(out, ", %s = ", g->owner_kind);
		if (strcmp(g->owner_kind, "uid") == 0)
			fprintf(out, "%ld", strtol(g->owner, NULL, 10));
		else
			lua_str(out, g->owner);
	}
	if (ports && !g->any_port && g->nports > 0) {
		qsort(g->ports, g->nports, sizeof(g->ports[0]), cmp_port);
		fputs(", port = { ", out);
		for (i = 0; i < g->nports; i++)
			fprintf(out, "%s%u", i > 0 ? ", " : "", g->ports[i]);
		fputs(" }", out);
	}
	if (g->inbound)
		fputs(", from = ", out);
	else
		fputs(g->by_name ? ", host = " : ", to = ", out);
	lua_str(out, g->target);
	fputs(" },\n", out);
}

int
learn_run(char *const *paths, size_t npaths, FILE *out, char *err, size_t errlen)
{
	struct learn l;
	struct jsonread o;
	const char *why;
	char *line = NULL;
	size_t i, n, k;
	FILE *fp;

	memset(&l, 0, sizeof(l));
	if ((l.g = calloc(MAX_GROUPS, sizeof(*l.g))) == NULL ||
	    (line = malloc(LINE_MAX_LEN)) == NULL) {
		snprintf(err, errlen, "learn: out of memory");
		goto fail;
	}
	for (i = 0; i < npaths; i++) {
		fp = strcmp(paths[i], "-") == 0 ? stdin : fopen(paths[i], "r");
		if (fp == NULL) {
			snprintf(err, errlen, "learn: %s: %s", paths[i], strerror(errno));
			goto fail;
		}
		while (fgets(line, LINE_MAX_LEN, fp) != NULL) {
			l.records++;
			if (jsonread_object(line, &o, &why) == -1) {
				l.bad++;
				continue;
			}
			take(&l, &o);
		}
		if (fp != stdin)
			fclose(fp);
	}
	if (l.used == 0) {
		snprintf(err, errlen, "learn: no flow decisions in %lu record%s (a "
		    "decision log from outgate run --log or replay --log)", l.records,
		    l.records == 1 ? "" : "s");
		goto fail;
	}
	fprintf(out, "-- A draft policy written by `outgate learn` from %lu decision "
	    "records (%lu flows started, %lu unreadable lines), %s to %s.\n"
	    "-- It allows what was seen.  Read it, prune it, then switch to enforce.\n",
	    l.records, l.used, l.bad, l.first, l.last);
	fputs("return {\n  mode = \"monitor\",\n", out);
	for (k = 0; k < l.n && !l.g[k].by_name; k++)
		;
	if (l.nnames > 0 || k < l.n) {
		/* host rules police DNS: what was asked before must still pass */
		fputs("  -- The host rules below make DNS policed: queries only for the names\n"
		    "  -- they name.  Names were also asked that no rule names; any_name lets\n"
		    "  -- them through.  Remove it to refuse them.\n", out);
		for (k = 0; k < l.nnames; k++) {
			fputs("  --   asked, refused, never reached: ", out);
			lua_str(out, l.names[k]);
			fputc('\n', out);
		}
		fputs("  dns = { any_name = true },\n", out);
	}
	fputs("  egress = {\n", out);
	for (k = 0, n = 1; k < l.n; k++)
		if (!l.g[k].inbound)
			write_rule(out, &l.g[k], n++);
	fputs("  },\n  inbound = {\n", out);
	for (k = 0; k < l.n; k++)
		if (l.g[k].inbound)
			write_rule(out, &l.g[k], n++);
	fputs("  },\n}\n", out);
	for (k = 0; k < l.nnames; k++)
		free(l.names[k]);
	free(l.g);
	free(line);
	return 0;
fail:
	for (k = 0; k < l.nnames; k++)
		free(l.names[k]);
	free(l.g);
	free(line);
	return -1;
}
