/*
 * log.c - the decision log: one JSON line per flow decision.
 * Must never block the packet path on a slow reader beyond stdio's buffer,
 * and never lose a write error silently: they are counted.
 */
#include <netinet/in.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"
#include "policy.h"

struct dlog {
	FILE		*fp;
	bool		own;		/* we opened fp */
	char		mode[16];
	char		hash[24];
	atomic_uint_fast64_t errors;	/* workers share the log */
};

struct dlog *
dlog_open(const char *path, const char *mode_name, const char *policy_hash,
    char *err, size_t errlen)
{
	struct dlog *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "log: out of memory");
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		l->fp = stdout;
	} else if ((l->fp = fopen(path, "a")) == NULL) {
		snprintf(err, errlen, "log: %s: %s", path, strerror(errno));
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
	dlog_flush(l);
	if (l->own)
		fclose(l->fp);
	free(l);
}

/* RFC 3339 in UTC with microseconds. */
static void
format_ts(uint64_t us, char *buf, size_t len)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	size_t n;

	gmtime_r(&sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06uZ", (unsigned)(us % 1000000));
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
	json_str(&j, "dir", engine_dir_name(d->dir));
	dlog_put_packet(&j, p);
	put_owner(&j, d->subject, c);
	dlog_put_inspect(&j, d);
	if (c->pcap_frame != 0)
		json_u64(&j, "pcap_frame", c->pcap_frame);
	n = json_end(&j);
	if (fwrite(buf, 1, n, l->fp) != n)
		atomic_fetch_add(&l->errors, 1);
}

void
dlog_flush(struct dlog *l)
{
	if (l != NULL && fflush(l->fp) == EOF)
		atomic_fetch_add(&l->errors, 1);
}

uint64_t
dlog_errors(const struct dlog *l)
{
	return atomic_load(&l->errors);
}
