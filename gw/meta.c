/*
 * meta.c - the --meta file: which process owns each replayed flow.
 * Loading allocates and refuses the whole file on one bad line; lookup never allocates.
 */
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"

#define META_PATH_MAX	4095		/* as policy.c allows for exe and cgroup */
#define META_PID_MAX	4194304		/* the kernel's PID_MAX_LIMIT */
#define META_ID_MAX	4294967294ULL	/* (uid_t)-1 is no id */
#define META_SEC_MAX	9999999999ULL	/* seconds: keeps microseconds in 64 bits */
#define NONE		UINT32_MAX
#define NOSTR		SIZE_MAX

struct meta_entry {
	struct meta_owner owner;
	struct cidr	src, dst;	/* net.family 0: any address */
	int32_t		sport, dport;	/* -1: any port */
	uint8_t		proto;		/* POLICY_PROTO_ANY: every protocol */
	bool		exact;		/* one 5-tuple: found through the hash */
	uint64_t	from_us, to_us;	/* inclusive bounds of the first packet's time */
	size_t		exe_off, cg_off;	/* into the string arena, NOSTR: none */
	uint32_t	hnext;		/* next exact entry in the bucket, in file order */
};

struct meta {
	char			*path;
	struct meta_entry	*e;
	size_t			n, cap;
	char			*str;	/* every exe and cgroup, NUL-terminated */
	size_t			nstr, strcap;
	uint32_t		*heads;	/* exact entries by hash of the sorted tuple */
	size_t			hmask;
	uint32_t		*wild;	/* the other entries, in file order */
	size_t			nwild;
};

/* what one line is parsed against */
struct ld {
	struct meta	*m;
	int		line;
	char		*err;
	size_t		errlen;
};

static int lerr(struct ld *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
lerr(struct ld *ld, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ld->err, ld->errlen, "%s:%d: ", ld->m->path, ld->line);
	if (n >= 0 && (size_t)n < ld->errlen) {
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void
meta_free(struct meta *m)
{
	if (m == NULL)
		return;
	free(m->path);
	free(m->e);
	free(m->str);
	free(m->heads);
	free(m->wild);
	free(m);
}

size_t
meta_count(const struct meta *m)
{
	return m == NULL ? 0 : m->n;
}

/* Digits only, no sign, no blanks; at most max. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* "SECONDS" or "SECONDS.FRACTION" with 1 to 6 decimals, into microseconds. */
static int
parse_time(const char *s, uint64_t *us)
{
	char sec[16];
	const char *dot = strchr(s, '.');
	uint64_t v, frac = 0;
	size_t n = dot ? (size_t)(dot - s) : strlen(s), nd;

	if (n == 0 || n >= sizeof(sec))
		return -1;
	memcpy(sec, s, n);
	sec[n] = '\0';
	if (parse_u64(sec, META_SEC_MAX, &v) == -1)
		return -1;
	if (dot != NULL) {
		nd = strlen(dot + 1);
		if (nd == 0 || nd > 6 || parse_u64(dot + 1, 999999, &frac) == -1)
			return -1;
		for (; nd < 6; nd++)
			frac *= 10;
	}
	*us = v * 1000000 + frac;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode %XX escapes of a path value into the string arena. */
static int
add_path(struct ld *ld, const char *key, const char *v, size_t *off)
{
	struct meta *m = ld->m;
	size_t len = strlen(v), ncap, i, o;
	char *nstr;
	int hi, lo;

	if (m->nstr + len + 1 > m->strcap) {
		ncap = m->strcap ? m->strcap : 4096;
		while (ncap < m->nstr + len + 1)
			ncap *= 2;
		if ((nstr = realloc(m->str, ncap)) == NULL)
			return lerr(ld, "out of memory");
		m->str = nstr;
		m->strcap = ncap;
	}
	o = m->nstr;
	for (i = 0; i < len; i++) {
		if (v[i] != '%') {
			m->str[o++] = v[i];
			continue;
		}
		if (i + 2 >= len || (hi = hexval(v[i + 1])) < 0 ||
		    (lo = hexval(v[i + 2])) < 0)
			return lerr(ld, "%s=%.64s: bad %%-escape (%%XX, two hex digits)",
			    key, v);
		if (hi == 0 && lo == 0)
			return lerr(ld, "%s=%.64s: %%00 is not allowed", key, v);
		m->str[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	m->str[o] = '\0';
	if (m->str[m->nstr] != '/' || o - m->nstr > META_PATH_MAX)
		return lerr(ld, "%s=%.64s: not an absolute path", key, v);
	/* a cgroup is a path prefix in rules: a trailing slash adds nothing */
	if (strcmp(key, "cgroup") == 0)
		while (o - m->nstr > 1 && m->str[o - 1] == '/')
			m->str[--o] = '\0';
	*off = m->nstr;
	m->nstr = o + 1;
	return 0;
}

static int
parse_end(struct ld *ld, const char *what, const char *a, const char *p,
    struct cidr *c, int32_t *port)
{
	uint64_t v;

	if (strcmp(a, "*") == 0)
		memset(c, 0, sizeof(*c));
	else if (cidr_parse(c, a) == -1)
		return lerr(ld, "%s \"%.64s\" is not an address, a prefix (no host "
		    "bits set) or *", what, a);
	if (strcmp(p, "*") == 0)
		*port = -1;
	else if (parse_u64(p, 65535, &v) == 0)
		*port = (int32_t)v;
	else
		return lerr(ld, "%s port \"%.64s\" is not a port (0-65535 or *)",
		    what, p);
	return 0;
}

static const char *const proto_names[] = { "tcp", "udp", "icmp", "icmpv6",
	"any", NULL };
static const uint8_t proto_nums[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
	IPPROTO_ICMPV6, POLICY_PROTO_ANY };

enum { K_FROM, K_TO, K_PID, K_EXE, K_UID, K_GID, K_CGROUP, K_N };
static const char *const key_names[K_N] = { "from", "to", "pid", "exe", "uid",
	"gid", "cgroup" };

static int
parse_field(struct ld *ld, struct meta_entry *e, char *tok, bool *seen)
{
	char *eq = strchr(tok, '=');
	const char *v;
	uint64_t x;
	int k;

	if (eq == NULL)
		return lerr(ld, "\"%.64s\" is not KEY=VALUE", tok);
	*eq = '\0';
	v = eq + 1;
	for (k = 0; k < K_N; k++)
		if (strcmp(tok, key_names[k]) == 0)
			break;
	if (k == K_N)
		return lerr(ld, "unknown key \"%.64s\" (from, to, pid, exe, uid, "
		    "gid or cgroup)", tok);
	if (seen[k])
		return lerr(ld, "%s= given twice", tok);
	seen[k] = true;
	switch (k) {
	case K_FROM:
	case K_TO:
		if (parse_time(v, k == K_FROM ? &e->from_us : &e->to_us) == -1)
			return lerr(ld, "%s=%.64s: not a time (seconds since the "
			    "epoch, up to 6 decimals)", tok, v);
		break;
	case K_PID:
		if (parse_u64(v, META_PID_MAX, &x) == -1 || x == 0)
			return lerr(ld, "pid=%.64s: not a process id (1-%d)", v,
			    META_PID_MAX);
		e->owner.pid = (uint32_t)x;
		break;
	case K_UID:
	case K_GID:
		if (parse_u64(v, META_ID_MAX, &x) == -1)
			return lerr(ld, "%s=%.64s: not a %s id (0-%llu)", tok, v,
			    k == K_UID ? "user" : "group", META_ID_MAX);
		if (k == K_UID)
			e->owner.subject.uid = (uint32_t)x;
		else
			e->owner.subject.gid = (uint32_t)x;
		break;
	case K_EXE:
		return add_path(ld, "exe", v, &e->exe_off);
	case K_CGROUP:
		return add_path(ld, "cgroup", v, &e->cg_off);
	}
	return 0;
}

/* Byte offset of the first control character or invalid UTF-8, or -1. */
static long
bad_byte(const unsigned char *s, size_t n, bool *ctl)
{
	size_t i = 0, len, j;
	uint32_t cp;

	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			*ctl = true;
			return (long)i;
		}
	*ctl = false;
	for (i = 0; i < n; i += len) {
		if (s[i] < 0x80) {
			len = 1;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if ((s[i] & 0xf0) == 0xe0)
			len = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return (long)i;
		if (n - i < len)
			return (long)i;
		cp = s[i] & (0x7fu >> len);
		for (j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return (long)i;
			cp = cp << 6 | (s[i + j] & 0x3fu);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return (long)i;
	}
	return -1;
}

static int
grow(struct ld *ld)
{
	struct meta *m = ld->m;
	struct meta_entry *ne;
	size_t ncap;

	if (m->n < m->cap)
		return 0;
	ncap = m->cap ? m->cap * 2 : 64;
	if ((ne = realloc(m->e, ncap * sizeof(*ne))) == NULL)
		return lerr(ld, "out of memory");
	m->e = ne;
	m->cap = ncap;
	return 0;
}

static int
parse_line(struct ld *ld, char *s, size_t len)
{
	struct meta *m = ld->m;
	struct meta_entry *e;
	char *tok[5], *t, *save = NULL, *hash;
	bool seen[K_N] = { false }, ctl;
	long bad;
	int ntok = 0, i;

	if ((bad = bad_byte((const unsigned char *)s, len, &ctl)) >= 0) {
		if (ctl)
			return lerr(ld, "control character 0x%02x at column %ld",
			    (unsigned char)s[bad], bad + 1);
		return lerr(ld, "invalid UTF-8 at column %ld", bad + 1);
	}
	if ((hash = strchr(s, '#')) != NULL)
		*hash = '\0';
	for (t = strtok_r(s, " \t", &save); t != NULL && ntok < 5;
	    t = strtok_r(NULL, " \t", &save))
		tok[ntok++] = t;
	if (ntok == 0)
		return 0;
	for (i = 0; i < ntok; i++)
		if (strchr(tok[i], '=') != NULL)
			break;
	if (i < 5)
		return lerr(ld, "expected PROTO SRC SPORT DST DPORT, then "
		    "KEY=VALUE fields");
	if (m->n == META_MAX)
		return lerr(ld, "more than %d owner lines", META_MAX);
	if (grow(ld) == -1)
		return -1;
	e = &m->e[m->n];
	memset(e, 0, sizeof(*e));
	e->owner.line = ld->line;
	e->owner.subject.known = true;
	e->owner.subject.uid = META_ID_NONE;
	e->owner.subject.gid = META_ID_NONE;
	e->to_us = UINT64_MAX;
	e->exe_off = e->cg_off = NOSTR;
	e->hnext = NONE;

	for (i = 0; proto_names[i] != NULL; i++)
		if (strcmp(tok[0], proto_names[i]) == 0)
			break;
	if (proto_names[i] == NULL)
		return lerr(ld, "unknown protocol \"%.64s\" (tcp, udp, icmp, "
		    "icmpv6 or any)", tok[0]);
	e->proto = proto_nums[i];
	if (parse_end(ld, "source", tok[1], tok[2], &e->src, &e->sport) == -1 ||
	    parse_end(ld, "destination", tok[3], tok[4], &e->dst, &e->dport) == -1)
		return -1;
	if (e->src.net.family != 0 && e->dst.net.family != 0 &&
	    e->src.net.family != e->dst.net.family)
		return lerr(ld, "source and destination are not of one family");
	if ((e->proto == IPPROTO_ICMP && (e->src.net.family == 6 ||
	    e->dst.net.family == 6)) || (e->proto == IPPROTO_ICMPV6 &&
	    (e->src.net.family == 4 || e->dst.net.family == 4)))
		return lerr(ld, "%s with an IPv%d address", tok[0],
		    e->proto == IPPROTO_ICMP ? 6 : 4);

	for (; t != NULL; t = strtok_r(NULL, " \t", &save))
		if (parse_field(ld, e, t, seen) == -1)
			return -1;
	if (!seen[K_PID] && !seen[K_EXE] && !seen[K_UID] && !seen[K_GID] &&
	    !seen[K_CGROUP])
		return lerr(ld, "no owner: give at least one of pid, exe, uid, "
		    "gid, cgroup");
	if (e->from_us > e->to_us)
		return lerr(ld, "from= is after to=");
	e->exact = e->proto != POLICY_PROTO_ANY && e->sport >= 0 &&
	    e->dport >= 0 && e->src.net.family != 0 &&
	    e->src.len == (e->src.net.family == 4 ? 32 : 128) &&
	    e->dst.net.family != 0 &&
	    e->dst.len == (e->dst.net.family == 4 ? 32 : 128);
	m->n++;
	return 0;
}

/* A hash of the 5-tuple that is the same in both orientations. */
static uint64_t
tuple_hash(uint8_t proto, const struct addr *a, uint16_t ap,
    const struct addr *b, uint16_t bp)
{
	const struct addr *x = a, *y = b;
	uint16_t xp = ap, yp = bp;
	uint8_t buf[1 + 2 * (1 + 16 + 2)];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t n = 0, i, alen;
	int c = addr_cmp(a, b);

	if (c > 0 || (c == 0 && ap > bp)) {
		x = b, y = a;
		xp = bp, yp = ap;
	}
	alen = x->family == 4 ? 4 : 16;
	buf[n++] = proto;
	buf[n++] = x->family;
	memcpy(buf + n, x->b, alen);
	n += alen;
	buf[n++] = (uint8_t)(xp >> 8);
	buf[n++] = (uint8_t)xp;
	buf[n++] = y->family;
	memcpy(buf + n, y->b, alen);
	n += alen;
	buf[n++] = (uint8_t)(yp >> 8);
	buf[n++] = (uint8_t)yp;
	for (i = 0; i < n; i++) {
		h ^= buf[i];
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static int
build_index(struct meta *m)
{
	size_t i, nexact = 0, size, b;
	struct meta_entry *e;

	for (i = 0; i < m->n; i++) {
		e = &m->e[i];
		e->owner.subject.pid = e->owner.pid;
		e->owner.subject.how = "meta";
		e->owner.subject.exe = e->exe_off == NOSTR ? NULL : m->str + e->exe_off;
		e->owner.subject.cgroup = e->cg_off == NOSTR ? NULL : m->str + e->cg_off;
		if (e->exact)
			nexact++;
	}
	if (m->n - nexact > 0 &&
	    (m->wild = malloc((m->n - nexact) * sizeof(*m->wild))) == NULL)
		return -1;
	for (i = 0; i < m->n; i++)
		if (!m->e[i].exact)
			m->wild[m->nwild++] = (uint32_t)i;
	if (nexact == 0)
		return 0;
	for (size = 16; size < 2 * nexact; size *= 2)
		;
	if ((m->heads = malloc(size * sizeof(*m->heads))) == NULL)
		return -1;
	memset(m->heads, 0xff, size * sizeof(*m->heads));
	m->hmask = size - 1;
	/* push from the last line back, so each bucket lists lines in file order */
	for (i = m->n; i-- > 0;) {
		e = &m->e[i];
		if (!e->exact)
			continue;
		b = tuple_hash(e->proto, &e->src.net, (uint16_t)e->sport,
		    &e->dst.net, (uint16_t)e->dport) & m->hmask;
		e->hnext = m->heads[b];
		m->heads[b] = (uint32_t)i;
	}
	return 0;
}

/* Read one line into buf (NUL-terminated); *len without the newline. 0 at EOF. */
static int
read_line(FILE *fp, char *buf, size_t *len, bool *toolong)
{
	size_t n = 0;
	int c;

	*toolong = false;
	while ((c = getc_unlocked(fp)) != EOF && c != '\n') {
		if (n == META_LINE_MAX) {
			*toolong = true;
			continue;
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	*len = n;
	return c != EOF || n > 0 || *toolong;
}

struct meta *
meta_load(const char *path, char *err, size_t errlen)
{
	struct meta *m;
	struct ld ld;
	FILE *fp;
	char *buf = NULL;
	size_t len;
	bool toolong;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL || (m->path = strdup(path)) == NULL ||
	    (buf = malloc(META_LINE_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	ld.m = m;
	ld.line = 0;
	ld.err = err;
	ld.errlen = errlen;
	while (read_line(fp, buf, &len, &toolong)) {
		ld.line++;
		if (toolong) {
			lerr(&ld, "line too long (more than %d bytes)", META_LINE_MAX);
			goto fail;
		}
		if (parse_line(&ld, buf, len) == -1)
			goto fail;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (build_index(m) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	free(buf);
	fclose(fp);
	return m;
fail:
	free(buf);
	fclose(fp);
	meta_free(m);
	return NULL;
}

static bool
end_holds(const struct cidr *c, int32_t port, const struct addr *a, uint16_t p)
{
	return (c->net.family == 0 || cidr_contains(c, a)) &&
	    (port < 0 || (uint16_t)port == p);
}

static bool
entry_holds(const struct meta_entry *e, const struct flow_key *k, uint64_t t_us)
{
	if (e->proto != POLICY_PROTO_ANY && e->proto != k->proto)
		return false;
	if (t_us < e->from_us || t_us > e->to_us)
		return false;
	return (end_holds(&e->src, e->sport, &k->src, k->sport) &&
	    end_holds(&e->dst, e->dport, &k->dst, k->dport)) ||
	    (end_holds(&e->src, e->sport, &k->dst, k->dport) &&
	    end_holds(&e->dst, e->dport, &k->src, k->sport));
}

const struct meta_owner *
meta_find(const struct meta *m, const struct flow_key *k, uint64_t t_us)
{
	uint32_t i, best = NONE;
	size_t j;

	if (m == NULL || k == NULL)
		return NULL;
	if (m->heads != NULL)
		for (i = m->heads[tuple_hash(k->proto, &k->src, k->sport, &k->dst,
		    k->dport) & m->hmask]; i != NONE; i = m->e[i].hnext)
			if (entry_holds(&m->e[i], k, t_us)) {
				best = i;
				break;
			}
	/* an earlier line with wildcards or prefixes still wins */
	for (j = 0; j < m->nwild && m->wild[j] < best; j++)
		if (entry_holds(&m->e[m->wild[j]], k, t_us)) {
			best = m->wild[j];
			break;
		}
	return best == NONE ? NULL : &m->e[best].owner;
}

const struct policy_subject *
meta_lookup(const struct meta *m, const struct flow_key *k, uint64_t t_us)
{
	const struct meta_owner *o = meta_find(m, k, t_us);

	return o == NULL ? NULL : &o->subject;
}
