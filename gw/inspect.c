/*
 * inspect.c - the first bytes of a flow: reassembly of the client's TCP bytes,
 * then TLS, HTTP or DNS; the findings go to the flow's slot for its check.
 * Must never hold a slot past a flow's handshake, allocate per packet, or read
 * outside the bytes it was given.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "inspect.h"
#include "stream.h"
#include "tls.h"

#define NO_SLOT	UINT32_MAX

struct slot {
	struct stream	*st;
	bool		started;	/* the stream has its first sequence number */
	bool		done;		/* READY or EVASION reached: final */
	bool		in_use;
	enum inspect_state state;
	const char	*evasion, *detail;
	size_t		last_len;	/* in-order bytes at the last parse */
	uint32_t	next_free;
	struct inspect_info info;
	struct policy_subject_store subject;	/* the strings of info.subject */
};

struct inspector {
	struct stream_pool *pool;
	struct slot	*slots;
	size_t		nslots;
	uint32_t	free_head;
	struct inspect_stats st;
	/* scratch for one parse at a time */
	struct tls_hello tls;
	struct http_req	http;
	struct dns_msg	dns;
	char		sni_raw[256];
};

struct inspector *
inspector_new(size_t slots)
{
	struct inspector *in;
	size_t i;

	if (slots == 0)
		slots = INSPECT_SLOTS_DEFAULT;
	if (slots >= NO_SLOT - 1 || (in = calloc(1, sizeof(*in))) == NULL)
		return NULL;
	in->nslots = slots;
	if ((in->slots = calloc(slots, sizeof(*in->slots))) == NULL ||
	    (in->pool = stream_pool_new(slots, 0)) == NULL) {
		inspector_free(in);
		return NULL;
	}
	for (i = 0; i < slots; i++)
		in->slots[i].next_free = i + 1 < slots ? (uint32_t)(i + 1) : NO_SLOT;
	in->free_head = 0;
	return in;
}

void
inspector_free(struct inspector *in)
{
	if (in == NULL)
		return;
	stream_pool_free(in->pool);
	free(in->slots);
	free(in);
}

static struct slot *
slot_of(struct inspector *in, const struct flow *f)
{
	if (f == NULL || f->insp == 0 || f->insp > in->nslots)
		return NULL;
	return in->slots[f->insp - 1].in_use ? &in->slots[f->insp - 1] : NULL;
}

/*
 * An info as if zeroed, for whoever reads its strings up to their NUL and
 * versions[] up to nversions: not a memset of its 1.4 KiB (inspect.h).
 */
static void
info_clear(struct inspect_info *fi)
{
	memset(fi, 0, offsetof(struct inspect_info, sni));
	fi->sni[0] = fi->alpn[0] = fi->method[0] = fi->target[0] = '\0';
	fi->host[0] = '\0';
}

int
inspector_open(struct inspector *in, struct flow *f, const struct pkt *p,
    const struct policy_subject *s)
{
	struct slot *sl;
	uint32_t i;

	f->insp = 0;
	if (in->free_head == NO_SLOT || (i = in->free_head,
	    (sl = &in->slots[i])->st = stream_get(in->pool)) == NULL) {
		in->st.no_slot++;
		return -1;
	}
	in->free_head = sl->next_free;
	sl->in_use = true;
	sl->started = sl->done = false;
	sl->state = INSPECT_MORE;
	sl->evasion = sl->detail = NULL;
	sl->last_len = 0;
	info_clear(&sl->info);
	policy_subject_copy(&sl->info.subject, s, &sl->subject);
	if (p->proto == IPPROTO_TCP && p->has_l4 && (p->tcp_flags & PKT_TCP_SYN)) {
		stream_start(sl->st, p->tcp_seq + 1);
		sl->started = true;
	}
	f->insp = i + 1;
	in->st.opened++;
	in->st.in_use++;
	return 0;
}

int
inspector_open_watch(struct inspector *in, struct flow *f, const struct pkt *p)
{
	f->insp = 0;
	if (in->st.in_use >= in->nslots / 2) {
		in->st.watch_skipped++;
		return -1;
	}
	return inspector_open(in, f, p, NULL);
}

void
inspector_close(struct inspector *in, const struct flow *f)
{
	struct slot *sl = slot_of(in, f);

	if (sl == NULL)
		return;
	stream_put(in->pool, sl->st);
	sl->st = NULL;
	sl->in_use = false;
	sl->next_free = in->free_head;
	in->free_head = f->insp - 1;
	in->st.in_use--;
}

/*
 * dst = src lower-cased, without one trailing dot and (when port) a :port.
 * One dot only: "name.." is not "name", and a server may route it elsewhere.
 */
static void
lower_name(char *dst, size_t len, const char *src, bool port)
{
	size_t n = dns_name_lower(dst, len, src), end;

	if (port && n > 0) {
		/* "[v6]:port" or "name:port"; a bare IPv6 literal keeps its colons */
		char *close = dst[0] == '[' ? strchr(dst, ']') : NULL;
		char *colon = close != NULL ? strchr(close, ':') :
		    strchr(dst, ':');

		if (colon != NULL && (close != NULL || strchr(colon + 1, ':') == NULL)) {
			*colon = '\0';
			end = strlen(dst);	/* "name.:port" */
			if (end > 0 && dst[end - 1] == '.')
				dst[end - 1] = '\0';
		}
	}
}

static void
finish(struct slot *sl, enum inspect_state state, const char *evasion,
    const char *detail)
{
	sl->done = true;
	sl->state = state;
	sl->evasion = evasion;
	sl->detail = detail;
}

/*
 * The first anomaly of the head (in enum order) on which servers disagree:
 * those let a request say one thing to us and another to the server.  Bare
 * LF and loose spacing are read alike by servers: not evasions.
 */
static enum http_anomaly
http_evasion(uint32_t seen)
{
	static const enum http_anomaly bad[] = { HTTP_ANOM_DUP_HOST,
	    HTTP_ANOM_OBS_FOLD, HTTP_ANOM_BAD_HOST, HTTP_ANOM_SPACE_BEFORE_COLON,
	    HTTP_ANOM_HOST_MISMATCH };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (seen & (1u << bad[i]))
			return bad[i];
	return HTTP_ANOM_NONE;
}

static void
take_tls(struct inspector *in, struct slot *sl, struct inspect_result *r)
{
	struct inspect_info *fi = &sl->info;
	const struct tls_hello *h = &in->tls;
	size_t i, n = 0;

	fi->proto = INSPECT_TLS;
	fi->tls = true;
	lower_name(fi->sni, sizeof(fi->sni), h->has_sni ? h->sni : "", false);
	fi->alpn[0] = '\0';
	for (i = 0; i < h->nalpn; i++) {
		size_t l = strlen(h->alpn[i]);

		if (n + l + 2 > sizeof(fi->alpn))
			break;
		if (n > 0)
			fi->alpn[n++] = ',';
		memcpy(fi->alpn + n, h->alpn[i], l + 1);
		n += l;
	}
	fi->nversions = h->nversions < 16 ? h->nversions : 16;
	memcpy(fi->versions, h->versions, fi->nversions * sizeof(fi->versions[0]));
	fi->max_version = h->max_version;
	fi->ech = h->ech;
	if (h->has_sni) {
		strncpy(in->sni_raw, h->sni, sizeof(in->sni_raw) - 1);
		in->sni_raw[sizeof(in->sni_raw) - 1] = '\0';
		r->tls_sni = in->sni_raw;
	}
	if (fi->alpn[0] != '\0')
		r->tls_alpn = fi->alpn;
	in->st.tls++;
}

static void
take_http(struct inspector *in, struct slot *sl, struct inspect_result *r)
{
	struct inspect_info *fi = &sl->info;
	const struct http_req *h = &in->http;

	fi->proto = INSPECT_HTTP;
	fi->http = true;
	memcpy(fi->method, h->method, sizeof(fi->method));
	fi->method[sizeof(fi->method) - 1] = '\0';
	strncpy(fi->target, h->target, sizeof(fi->target) - 1);
	fi->target[sizeof(fi->target) - 1] = '\0';
	lower_name(fi->host, sizeof(fi->host), h->has_host ? h->host : "", true);
	fi->http_major = h->version_major;
	fi->http_minor = h->version_minor;
	if (h->has_host)
		r->http_host = h->host;
	r->http_method = h->method;
	in->st.http++;
}

/* The bytes so far: is it TLS, HTTP, DNS, or something else? */
static void
parse(struct inspector *in, struct slot *sl, const struct flow *f, bool final,
    struct inspect_result *r)
{
	struct inspect_info *fi = &sl->info;
	const uint8_t *data;
	enum tls_status ts;
	enum http_status hs;
	enum http_anomaly an;
	size_t n, off, mlen;

	n = stream_contig(sl->st, &data);
	if (n == sl->last_len && !final)
		return;
	sl->last_len = n;
	fi->payload = data;
	fi->payload_len = n < INSPECT_PAYLOAD_MAX ? n : INSPECT_PAYLOAD_MAX;
	if (n == 0) {
		if (final) {
			fi->proto = INSPECT_OTHER;
			finish(sl, INSPECT_READY, NULL, "no client bytes");
		}
		return;
	}

	if (f->key.dport == 53) {
		switch (dns_tcp_message(data, n, &off, &mlen)) {
		case 0:
			fi->proto = INSPECT_DNS;
			(void)dns_parse(data + off, mlen, &in->dns);
			fi->dns = &in->dns;
			r->dns = &in->dns;
			if (in->dns.has_question)
				r->dns_qname = in->dns.qname;
			in->st.dns++;
			finish(sl, INSPECT_READY, NULL, in->dns.why);
			return;
		case 1:
			if (!final)
				return;
			break;
		default:
			break;
		}
		fi->proto = INSPECT_OTHER;
		finish(sl, INSPECT_READY, NULL, "not a dns message");
		return;
	}

	if (fi->proto == INSPECT_UNKNOWN || fi->proto == INSPECT_TLS) {
		ts = tls_client_hello(data, n, &in->tls);
		switch (ts) {
		case TLS_OK:
			take_tls(in, sl, r);
			finish(sl, INSPECT_READY, NULL, NULL);
			return;
		case TLS_MORE:
			fi->proto = INSPECT_TLS;
			if (final) {
				in->st.truncated++;
				fi->tls_error = "client hello cut short";
				finish(sl, INSPECT_READY, NULL, fi->tls_error);
			}
			return;
		case TLS_NOT_TLS:
			break;
		default:	/* INVALID, TOOBIG: TLS, but no hello to trust */
			fi->proto = INSPECT_TLS;
			fi->tls_error = in->tls.why != NULL ? in->tls.why :
			    "client hello not readable";
			finish(sl, INSPECT_READY, NULL, fi->tls_error);
			return;
		}
	}
	hs = http_request_head(data, n, final, &in->http);
	switch (hs) {
	case HTTP_OK:
		take_http(in, sl, r);
		if (!in->http.complete)
			in->st.truncated++;
		if ((an = http_evasion(in->http.anomalies)) != HTTP_ANOM_NONE) {
			in->st.anomalies++;
			finish(sl, INSPECT_EVASION, http_anomaly_name(an),
			    "http request head that servers may read differently");
		} else {
			finish(sl, INSPECT_READY, NULL, NULL);
		}
		return;
	case HTTP_MORE:
		fi->proto = INSPECT_HTTP;
		return;
	case HTTP_INVALID:
		fi->proto = INSPECT_HTTP;
		finish(sl, INSPECT_READY, NULL, in->http.why);
		return;
	case HTTP_NOT_HTTP:
		break;
	}
	fi->proto = INSPECT_OTHER;
	in->st.other++;
	finish(sl, INSPECT_READY, NULL, NULL);
}

static void
dns_alone(struct inspector *in, struct slot *sl, const struct pkt *p,
    struct inspect_result *r)
{
	(void)dns_parse(p->payload, p->payload_len, &in->dns);
	if (in->dns.has_question)
		r->dns_qname = in->dns.qname;
	r->dns = &in->dns;
	in->st.dns++;
	if (sl != NULL && !sl->done) {
		sl->info.proto = INSPECT_DNS;
		sl->info.dns = &in->dns;
		sl->info.payload = p->payload;
		sl->info.payload_len = p->payload_len < INSPECT_PAYLOAD_MAX ?
		    p->payload_len : INSPECT_PAYLOAD_MAX;
		finish(sl, INSPECT_READY, NULL, in->dns.why);
	}
}

/* An ICMP message (a flow's first, or an echo request checked again). */
static void
icmp_message(struct slot *sl, const struct pkt *p)
{
	struct inspect_info *fi = &sl->info;

	fi->proto = INSPECT_ICMP;
	fi->icmp_type = p->icmp_type;
	fi->icmp_code = p->icmp_code;
	fi->icmp_id = p->icmp_id;
	fi->icmp_seq = p->icmp_seq;
	fi->icmp_len = p->icmp_len;
	fi->payload = p->payload;
	fi->payload_len = p->payload_len < INSPECT_PAYLOAD_MAX ?
	    p->payload_len : INSPECT_PAYLOAD_MAX;
	finish(sl, INSPECT_READY, NULL, NULL);
}

/*
 * DNS over TCP after a flow's first message (or on a flow read for nothing
 * else): one segment that holds a whole message at its start, as resolvers
 * and stub resolvers send them.  One that does not is marked dns_split: the
 * caller cannot police what it cannot read.
 */
static void
dns_segment(struct inspector *in, const struct pkt *p, struct inspect_result *r)
{
	size_t off, mlen;

	if (dns_tcp_message(p->payload, p->payload_len, &off, &mlen) != 0) {
		r->dns_split = true;
		return;
	}
	(void)dns_parse(p->payload + off, mlen, &in->dns);
	if (in->dns.has_question)
		r->dns_qname = in->dns.qname;
	r->dns = &in->dns;
	in->st.dns++;
}

void
inspector_packet(struct inspector *in, struct flow *f, int fdir,
    const struct pkt *p, struct inspect_result *r)
{
	struct slot *sl = slot_of(in, f);
	enum stream_status ss;
	bool final = false;

	memset(r, 0, sizeof(*r));
	r->state = INSPECT_MORE;
	if (p->status != PKT_OK || !p->has_l4)
		goto out;
	if (p->proto == IPPROTO_UDP) {
		if ((p->sport == 53 || p->dport == 53) && p->payload_len > 0)
			dns_alone(in, sl, p, r);
		else if (sl != NULL && !sl->done && (p->sport == 443 || p->dport == 443)) {
			sl->info.proto = INSPECT_QUIC;
			in->st.quic++;
			finish(sl, INSPECT_READY, NULL, "quic is not decrypted");
		} else if (sl != NULL && !sl->done) {
			sl->info.proto = INSPECT_OTHER;
			finish(sl, INSPECT_READY, NULL, NULL);
		}
		goto out;
	}
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		if (sl != NULL && !sl->done)
			icmp_message(sl, p);
		goto out;
	}
	if ((sl == NULL || sl->done) && p->proto == IPPROTO_TCP &&
	    (p->sport == 53 || p->dport == 53) && p->payload_len > 0) {
		dns_segment(in, p, r);
		goto out;
	}
	if (sl == NULL || sl->done || p->proto != IPPROTO_TCP) {
		if (sl != NULL && !sl->done) {
			sl->info.proto = INSPECT_OTHER;
			finish(sl, INSPECT_READY, NULL, NULL);
		}
		goto out;
	}
	if (fdir == FLOW_DIR_REPLY) {
		/* the server spoke first: nothing of the client's to read */
		if (p->payload_len > 0 && sl->last_len == 0) {
			sl->info.proto = INSPECT_OTHER;
			finish(sl, INSPECT_READY, NULL, "the server spoke first");
		} else if (p->payload_len > 0 ||
		    (p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN))) {
			/*
			 * The server answered before the client's hello or
			 * request head was whole: neither TLS nor HTTP server
			 * does, so what the client sent is all there is to
			 * read (as at its end).  Waiting would hold the flow
			 * in the queue to its end.
			 */
			parse(in, sl, f, true, r);
		}
		goto out;
	}
	if (p->tcp_flags & PKT_TCP_SYN) {
		if (!sl->started)
			stream_start(sl->st, p->tcp_seq + 1);
		sl->started = true;
	}
	if (p->payload_len > 0) {
		if (!sl->started) {
			stream_start(sl->st, p->tcp_seq);	/* picked up mid-stream */
			sl->started = true;
		}
		ss = stream_add(sl->st, p->tcp_seq, p->payload, p->payload_len);
		switch (ss) {
		case STREAM_OVERLAP_CONFLICT:
			in->st.overlaps++;
			finish(sl, INSPECT_EVASION, "tcp_overlap",
			    "a retransmitted segment changes bytes already seen");
			goto out;
		case STREAM_TOO_FRAGMENTED:
			final = true;
			break;
		case STREAM_FULL:
			final = stream_full(sl->st);
			break;
		default:
			break;
		}
	}
	if (p->tcp_flags & (PKT_TCP_RST | PKT_TCP_FIN))
		final = true;
	parse(in, sl, f, final || stream_full(sl->st), r);
out:
	if (sl != NULL && sl->done) {
		r->state = sl->state;
		r->evasion = sl->evasion;
		r->detail = sl->detail;
	}
}

int
inspector_recheck(struct inspector *in, const struct flow *f, const struct pkt *p)
{
	struct slot *sl = slot_of(in, f);

	if (sl == NULL || !sl->started || p->proto != IPPROTO_TCP ||
	    p->payload_len == 0)
		return 0;
	if (stream_add(sl->st, p->tcp_seq, p->payload, p->payload_len) ==
	    STREAM_OVERLAP_CONFLICT) {
		in->st.overlaps++;
		return 1;
	}
	return 0;
}

const struct inspect_info *
inspector_info(struct inspector *in, const struct flow *f)
{
	struct slot *sl = slot_of(in, f);

	return sl == NULL ? NULL : &sl->info;
}

void
inspector_get_stats(const struct inspector *in, struct inspect_stats *st)
{
	*st = in->st;
}
