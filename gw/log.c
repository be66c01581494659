/*
 * log.c - the decision log: one JSON line per flow decision.
 * Must never block the packet path on a slow reader beyond stdio's buffer,
 * and never lose a write error silently: they are counted.
 */
#include <netinet/in.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "community_id.h"
#include "flow.h"
#include "json.h"
#include "log.h"
#include "policy.h"

#define RL_SLOTS	1024	/* (reason, subject) pairs followed at once */

/* One (reason, subject) pair's records in the second `window`. */
struct rl_slot {
	uint64_t	key;		/* 0: free */
	uint64_t	window;		/* seconds of the record clock */
	uint32_t	count;		/* records written in window */
	uint32_t	suppressed;	/* records left out in window */
	uint16_t	reason;
};

struct dlog {
	pthread_mutex_t	mu;		/* workers share the log: writes, reopen, slots */
	FILE		*fp;
	bool		own;		/* we opened fp */
	int		syslog_fd;	/* records go to a syslog socket instead; -1 none */
	int		pid;
	char		*path;
	char		mode[16];
	char		hash[24];
	unsigned	rate;		/* records a second per (reason, subject); 0: all */
	struct rl_slot	rl[RL_SLOTS];
	uint64_t	tick_sec;	/* the second dlog_tick last looked at the slots */
	atomic_uint_fast64_t errors;
	atomic_uint_fast64_t suppressed;	/* in all */
};

static void format_ts(uint64_t, char *, size_t);

struct dlog *
dlog_open(const char *path, const char *mode_name, const char *policy_hash,
    char *err, size_t errlen)
{
	struct dlog *l;

	if ((l = calloc(1, sizeof(*l))) == NULL || (l->path = strdup(path)) == NULL) {
		free(l);
		snprintf(err, errlen, "log: out of memory");
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->rate = DLOG_RATE_DEFAULT;
	l->syslog_fd = -1;
	if (strcmp(path, "-") == 0) {
		l->fp = stdout;
	} else if ((l->fp = fopen(path, "a")) == NULL) {
		snprintf(err, errlen, "log: %s: %s", path, strerror(errno));
		free(l->path);
		free(l);
		return NULL;
	} else {
		l->own = true;
	}
	snprintf(l->mode, sizeof(l->mode), "%s", mode_name);
	snprintf(l->hash, sizeof(l->hash), "%s", policy_hash);
	return l;
}

void
dlog_close(struct dlog *l)
{
	if (l == NULL)
		return;
	dlog_tick(l, UINT64_MAX);	/* what was left out, said before the end */
	dlog_flush(l);
	if (l->own && l->fp != NULL)
		fclose(l->fp);
	if (l->syslog_fd != -1)
		close(l->syslog_fd);
	pthread_mutex_destroy(&l->mu);
	free(l->path);
	free(l);
}

struct dlog *
dlog_open_syslog(const char *sock, const char *mode_name, const char *policy_hash,
    char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct dlog *l;

	if (strlen(sock) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "log: syslog socket %s: path too long", sock);
		return NULL;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL || (l->path = strdup(sock)) == NULL) {
		free(l);
		snprintf(err, errlen, "log: out of memory");
		return NULL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, sock);
	if ((l->syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(l->syslog_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		snprintf(err, errlen, "log: syslog socket %s: %s", sock, strerror(errno));
		if (l->syslog_fd != -1)
			close(l->syslog_fd);
		free(l->path);
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->rate = DLOG_RATE_DEFAULT;
	l->pid = (int)getpid();
	snprintf(l->mode, sizeof(l->mode), "%s", mode_name);
	snprintf(l->hash, sizeof(l->hash), "%s", policy_hash);
	return l;
}

void
dlog_set_rate(struct dlog *l, unsigned per_sec)
{
	l->rate = per_sec;
}

int
dlog_reopen(struct dlog *l, char *err, size_t errlen)
{
	FILE *fp;
	int rc = 0;

	if (l == NULL || !l->own)
		return 0;
	pthread_mutex_lock(&l->mu);
	if (l->fp != NULL)
		fclose(l->fp);
	if ((l->fp = fp = fopen(l->path, "a")) == NULL) {
		snprintf(err, errlen, "log: reopen %s: %s (records are counted as "
		    "write errors until the next reopen)", l->path, strerror(errno));
		rc = -1;
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/* Under l->mu: write one record, counting a failure. */
static void
put_record(struct dlog *l, const char *buf, size_t n)
{
	if (l->syslog_fd != -1) {
		/* one datagram a record: <daemon.info> tag, the JSON, no newline */
		char msg[4200];
		int m = snprintf(msg, sizeof(msg), "<30>outgate[%d]: %.*s", l->pid,
		    (int)(n > 0 ? n - 1 : 0), buf);

		if (m < 0 || send(l->syslog_fd, msg, (size_t)m < sizeof(msg) ?
		    (size_t)m : sizeof(msg) - 1, MSG_NOSIGNAL) < 0)
			atomic_fetch_add(&l->errors, 1);
		return;
	}
	if (l->fp == NULL || fwrite(buf, 1, n, l->fp) != n)
		atomic_fetch_add(&l->errors, 1);
}

/* The summary of a pair's records left out in its last window. */
static void
put_suppressed(struct dlog *l, struct rl_slot *s)
{
	char buf[512], ts[40];
	struct jbuf j;

	format_ts((s->window + 1) * 1000000, ts, sizeof(ts));
	json_begin(&j, buf, sizeof(buf));
	json_str(&j, "ts", ts);
	json_str(&j, "event", "suppressed");
	json_str(&j, "reason", engine_reason_name(s->reason));
	json_u64(&j, "suppressed", s->suppressed);
	json_u64(&j, "written", s->count);
	json_u64(&j, "rate", l->rate);
	put_record(l, buf, json_end(&j));
	s->suppressed = 0;
}

void
dlog_tick(struct dlog *l, uint64_t now_us)
{
	uint64_t sec = now_us / 1000000;
	size_t i;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	/*
	 * A slot's count can grow only within its own second: one look at
	 * every slot when a second begins finds every count that is over.
	 */
	if (sec != l->tick_sec) {
		l->tick_sec = sec;
		for (i = 0; i < RL_SLOTS; i++)
			if (l->rl[i].suppressed > 0 && l->rl[i].window < sec)
				put_suppressed(l, &l->rl[i]);
	}
	pthread_mutex_unlock(&l->mu);
}

/*
 * Under l->mu: whether a record of this reason about this subject may be
 * written at sec.  A pair over its rate in a second is left out and counted;
 * the count goes out as a "suppressed" record when its second is over.
 */
static bool
rate_ok(struct dlog *l, int reason, uint64_t subject, uint64_t sec)
{
	uint64_t key = (subject ^ ((uint64_t)reason << 56)) * 0x9e3779b97f4a7c15ull;
	struct rl_slot *s;

	if (l->rate == 0)
		return true;
	key |= 1;
	s = &l->rl[(key >> 40) % RL_SLOTS];
	if (s->key != key || s->window != sec) {
		if (s->suppressed > 0)
			put_suppressed(l, s);
		s->key = key;
		s->window = sec;
		s->count = 0;
		s->reason = (uint16_t)reason;
	}
	if (s->count >= l->rate) {
		s->suppressed++;
		atomic_fetch_add(&l->suppressed, 1);
		return false;
	}
	s->count++;
	return true;
}

/*
 * The flow's Community ID (v1, seed 0), to join with Zeek and Suricata: from
 * its initiator's key, or from the packet when there is no flow.  ICMP flows
 * in the table are echo flows.
 */
static void
put_community_id(struct jbuf *j, const struct flow_key *k, bool icmp, uint8_t type,
    uint8_t code)
{
	char id[COMMUNITY_ID_LEN];

	if (community_id(k, 0, icmp, type, code, id, sizeof(id)) == 0)
		json_str(j, "community_id", id);
}

static void
put_flow_community_id(struct jbuf *j, const struct flow_key *k)
{
	bool icmp = k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;

	put_community_id(j, k, icmp, k->proto == IPPROTO_ICMP ? 8 : 128, 0);
}

/* Who a decision is about, for the rate: the flow's owner, else the inside host. */
static uint64_t
subject_of(const struct pkt *p, const struct decision *d)
{
	uint64_t h = 1469598103934665603ULL;
	const struct addr *a;
	size_t i;

	if (d->flow != NULL && d->flow->skey != 0)
		return d->flow->skey;
	a = d->dir == ENGINE_DIR_IN ? &p->dst : &p->src;
	for (i = 0; i < sizeof(a->b); i++)
		h = (h ^ a->b[i]) * 1099511628211ULL;
	return h;
}

uint64_t
dlog_suppressed(const struct dlog *l)
{
	return atomic_load(&l->suppressed);
}

/*
 * RFC 3339 in UTC with microseconds.  The date and time of the last second
 * formatted are kept (a thread's own): records come many a second, and
 * gmtime and strftime cost more than the rest of a record's stamp.
 */
static void
format_ts(uint64_t us, char *buf, size_t len)
{
	static _Thread_local time_t last = -1;
	static _Thread_local char prefix[32];
	static _Thread_local size_t plen;
	time_t sec = (time_t)(us / 1000000);
	unsigned frac = (unsigned)(us % 1000000);
	struct tm tm;
	int i;

	if (sec != last) {
		gmtime_r(&sec, &tm);
		plen = strftime(prefix, sizeof(prefix), "%Y-%m-%dT%H:%M:%S", &tm);
		last = plen > 0 ? sec : -1;
	}
	if (len < plen + 9) {	/* ".uuuuuuZ" and the NUL */
		if (len > 0)
			buf[0] = '\0';
		return;
	}
	memcpy(buf, prefix, plen);
	buf[plen] = '.';
	for (i = 6; i >= 1; i--, frac /= 10)
		buf[plen + (size_t)i] = (char)('0' + frac % 10);
	buf[plen + 7] = 'Z';
	buf[plen + 8] = '\0';
}

void
dlog_put_packet(struct jbuf *j, const struct pkt *p)
{
	char a[ADDR_STRLEN];
	const char *pn;
	bool ports = p->has_l4 && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP);

	if (p->family == 0)
		return;
	if ((pn = pkt_proto_name(p->proto)) != NULL)
		json_str(j, "proto", pn);
	else
		json_u64(j, "proto", p->proto);
	json_str(j, "src", addr_format(&p->src, a, sizeof(a)));
	if (ports)
		json_u64(j, "sport", p->sport);
	json_str(j, "dst", addr_format(&p->dst, a, sizeof(a)));
	if (ports)
		json_u64(j, "dport", p->dport);
}

/* The owner: the packet's uid/gid from the source, the rest from the subject. */
static void
put_owner(struct jbuf *j, const struct policy_subject *s, const struct dlog_ctx *c)
{
	bool known = s != NULL && s->known;

	if (c->has_uid)
		json_u64(j, "uid", c->uid);
	else if (known && s->uid != POLICY_ID_NONE)
		json_u64(j, "uid", s->uid);
	if (c->has_gid)
		json_u64(j, "gid", c->gid);
	else if (known && s->gid != POLICY_ID_NONE)
		json_u64(j, "gid", s->gid);
	if (s != NULL && s->mac != NULL)
		json_str(j, "mac", s->mac);
	if (!known) {
		if (s != NULL && s->how != NULL)
			json_str(j, "attr", s->how);	/* why it is not known */
		return;
	}
	if (s->pid != 0)
		json_u64(j, "pid", s->pid);
	if (s->exe != NULL)
		json_str(j, "exe", s->exe);
	if (s->cgroup != NULL)
		json_str(j, "cgroup", s->cgroup);
	if (s->container != NULL)
		json_str(j, "container", s->container);
	if (s->how != NULL)
		json_str(j, "attr", s->how);
}

void
dlog_put_inspect(struct jbuf *j, const struct decision *d)
{
	if (d->dns_qname != NULL)
		json_str(j, "dns_qname", d->dns_qname);
	if (d->tls_sni != NULL)
		json_str(j, "tls_sni", d->tls_sni);
	if (d->tls_alpn != NULL)
		json_str(j, "tls_alpn", d->tls_alpn);
	if (d->http_host != NULL)
		json_str(j, "http_host", d->http_host);
	if (d->http_method != NULL)
		json_str(j, "http_method", d->http_method);
	if (d->dst_name != NULL)
		json_str(j, "dst_name", d->dst_name);
}

void
dlog_decision(struct dlog *l, const struct pkt *p, const struct decision *d,
    const struct dlog_ctx *c)
{
	char buf[4096], ts[40];
	struct jbuf j;
	size_t n;

	if (l == NULL || d->reason == REASON_NOT_IP)
		return;
	if (d->pending)
		return;	/* its check has not run: the record comes when it has */
	if (!d->new_flow && !d->checked && d->flow_id != 0)
		return;	/* a later packet of a decided flow */
	format_ts(c->ts_us, ts, sizeof(ts));
	json_begin(&j, buf, sizeof(buf));
	json_str(&j, "ts", ts);
	json_str(&j, "event", "decision");
	json_str(&j, "verdict", engine_verdict_name(d->verdict));
	if (d->would != d->verdict)
		json_str(&j, "would", engine_verdict_name(d->would));
	json_str(&j, "reason", engine_reason_name(d->reason));
	if (d->detail != NULL)
		json_str(&j, "detail", d->detail);
	json_str(&j, "rule", d->rule);
	json_str(&j, "mode", c->mode != NULL ? c->mode : l->mode);
	json_str(&j, "policy_hash", c->policy_hash != NULL ? c->policy_hash : l->hash);
	if (d->flow_id != 0)
		json_u64(&j, "flow_id", d->flow_id);
	if (d->flow != NULL) {
		put_flow_community_id(&j, &d->flow->key);
	} else if (p->family != 0 && (p->has_l4 || !(p->proto == IPPROTO_TCP ||
	    p->proto == IPPROTO_UDP))) {
		struct flow_key k;

		memset(&k, 0, sizeof(k));
		k.src = p->src;
		k.dst = p->dst;
		k.proto = p->proto;
		k.sport = p->sport;
		k.dport = p->dport;
		put_community_id(&j, &k, p->has_l4 && (p->proto == IPPROTO_ICMP ||
		    p->proto == IPPROTO_ICMPV6), p->icmp_type, p->icmp_code);
	}
	json_str(&j, "dir", engine_dir_name(d->dir));
	dlog_put_packet(&j, p);
	put_owner(&j, d->subject, c);
	dlog_put_inspect(&j, d);
	if (c->pcap_frame != 0)
		json_u64(&j, "pcap_frame", c->pcap_frame);
	n = json_end(&j);
	pthread_mutex_lock(&l->mu);
	/*
	 * A new flow accepted is one the inside chose to make: never left out.
	 * Refusals, and the decisions a flow gets again (each DNS query or
	 * ICMP echo a check sees), are limited: a ping flood on a checked
	 * rule costs a line a second too.
	 */
	if ((d->would == VERDICT_ACCEPT && (d->new_flow || d->flow_id == 0)) ||
	    rate_ok(l, d->reason, subject_of(p, d), c->ts_us / 1000000))
		put_record(l, buf, n);
	pthread_mutex_unlock(&l->mu);
}

void
dlog_flow_end(struct dlog *l, const struct flow *f, uint64_t ts_us, bool offloaded)
{
	char buf[1024], ts[40], a[ADDR_STRLEN];
	const char *pn;
	struct jbuf j;

	if (l == NULL)
		return;
	format_ts(ts_us, ts, sizeof(ts));
	json_begin(&j, buf, sizeof(buf));
	json_str(&j, "ts", ts);
	json_str(&j, "event", "flow_end");
	json_u64(&j, "flow_id", f->id);
	put_flow_community_id(&j, &f->key);
	json_str(&j, "verdict", engine_verdict_name(f->verdict));
	json_str(&j, "reason", engine_reason_name(f->reason));
	if ((pn = pkt_proto_name(f->key.proto)) != NULL)
		json_str(&j, "proto", pn);
	else
		json_u64(&j, "proto", f->key.proto);
	json_str(&j, "src", addr_format(&f->key.src, a, sizeof(a)));
	json_u64(&j, "sport", f->key.sport);
	json_str(&j, "dst", addr_format(&f->key.dst, a, sizeof(a)));
	json_u64(&j, "dport", f->key.dport);
	json_u64(&j, "packets_out", f->pkts[FLOW_DIR_ORIG]);
	json_u64(&j, "bytes_out", f->bytes[FLOW_DIR_ORIG]);
	json_u64(&j, "packets_in", f->pkts[FLOW_DIR_REPLY]);
	json_u64(&j, "bytes_in", f->bytes[FLOW_DIR_REPLY]);
	if (offloaded)
		json_bool(&j, "offloaded", true);	/* the kernel carried the rest */
	if (f->kcounts)
		json_str(&j, "counts", "conntrack");	/* its totals, from the kernel */
	pthread_mutex_lock(&l->mu);
	put_record(l, buf, json_end(&j));
	pthread_mutex_unlock(&l->mu);
}

void
dlog_flush(struct dlog *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	if (l->fp != NULL && fflush(l->fp) == EOF)
		atomic_fetch_add(&l->errors, 1);
	pthread_mutex_unlock(&l->mu);
}

uint64_t
dlog_errors(const struct dlog *l)
{
	return atomic_load(&l->errors);
}
