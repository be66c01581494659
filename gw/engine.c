/*
 * engine.c - the path of one packet: decode result -> flow -> policy -> verdict.
 * Must never call back into a source (nfq, replay), allocate per packet, or run
 * Lua for a flow that names no check.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "dnscache.h"
#include "engine.h"
#include "flow.h"
#include "frag.h"
#include "inspect.h"

#define ENGINE_FRAG_SLOTS	4096
#define ENGINE_EXPIRE_BUDGET	4	/* expired flows reaped per packet */

static const char *const private_names[] = { "10.0.0.0/8", "172.16.0.0/12",
	"192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10",
	"0.0.0.0/8", "::1/128", "::/128", "fc00::/7", "fe80::/10",
	"::ffff:0.0.0.0/96" };
#define NPRIVATE	(sizeof(private_names) / sizeof(private_names[0]))

/* flow->rule holds an egress index, or an inbound index with this bit set. */
#define RULE_INBOUND	0x40000000

struct engine {
	const struct policy	*pol;
	enum policy_mode	mode;
	int			mode_override;	/* -1: the policy's */
	engine_owner_fn		*owner;
	void			*owner_arg;
	struct flow_table	*flows;
	struct frag_table	*frags;
	struct inspector	*insp;
	struct dnscache		*dns;		/* address -> names, per owner */
	struct cidr		private_nets[NPRIVATE];
	uint64_t		now;		/* the packet's clock */
	bool			inspect_all;
	void			(*flow_end)(void *, const struct flow *, uint64_t);
	void			*flow_end_arg;
	struct engine_stats	st;
	char			detail[320];	/* a check's reason or error, for d->detail */
	struct policy_subject	subj;		/* a checked flow's owner, for d->subject */
	struct policy_subject_store subj_store;
	const struct policy	*warned_pol;	/* check errors are told once per rule */
	uint8_t			warned[256];
};

static const char *const verdict_names[] = { "accept", "drop", "reject" };


const char *
engine_verdict_name(int v)
{
	if (v < 0 || v > VERDICT_REJECT)
		return "?";
	return verdict_names[v];
}

const char *
engine_reason_name(int r)
{
	return reason_name(r);
}

const char *
engine_dir_name(int d)
{
	switch (d) {
	case ENGINE_DIR_OUT:
		return "out";
	case ENGINE_DIR_IN:
		return "in";
	default:
		return NULL;
	}
}

int
engine_verdict_parse(const char *s)
{
	int i;

	for (i = 0; i <= VERDICT_REJECT; i++)
		if (strcmp(s, verdict_names[i]) == 0)
			return i;
	return -1;
}

int
engine_reason_parse(const char *s)
{
	return reason_parse(s);
}

/* A flow leaves the table: its inspection slot, if any, goes back. */
static void
flow_ended(const struct flow *f, void *arg)
{
	struct engine *e = arg;

	if (f->insp != 0 && e->insp != NULL)
		inspector_close(e->insp, f);
	if (f->byname && e->dns != NULL)
		dnscache_release(e->dns, f->skey, &f->key.dst);
	if (e->flow_end != NULL)
		e->flow_end(e->flow_end_arg, f, e->now);
}

struct engine *
engine_new(const struct policy *pol, const struct engine_opts *opts)
{
	struct engine *e;
	struct dnscache_opts dco;
	size_t cap = ENGINE_DEFAULT_FLOWS;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memset(&dco, 0, sizeof(dco));
	for (size_t i = 0; i < NPRIVATE; i++)
		(void)cidr_parse(&e->private_nets[i], private_names[i]);
	if (opts != NULL && opts->flow_capacity > 0)
		cap = opts->flow_capacity;
	e->pol = pol;
	e->mode_override = opts != NULL ? opts->mode : -1;
	if (opts != NULL) {
		e->owner = opts->owner;
		e->owner_arg = opts->owner_arg;
		e->inspect_all = opts->inspect_all;
		e->flow_end = opts->flow_end;
		e->flow_end_arg = opts->flow_end_arg;
	}
	e->mode = e->mode_override >= 0 ? (enum policy_mode)e->mode_override :
	    pol->mode;
	if ((e->flows = flow_table_new(cap)) == NULL)
		goto fail;
	if ((e->frags = frag_table_new(ENGINE_FRAG_SLOTS)) == NULL)
		goto fail;
	if ((e->insp = inspector_new(opts != NULL ? opts->inspect_slots : 0)) == NULL)
		goto fail;
	dco.min_ttl = pol->dns.min_ttl;
	dco.max_ttl = pol->dns.max_ttl;
	dco.grace = pol->dns.grace;
	if ((e->dns = dnscache_new(&dco)) == NULL)
		goto fail;
	flow_on_end(e->flows, flow_ended, e);
	return e;
fail:
	engine_free(e);
	return NULL;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	flow_table_free(e->flows);	/* first: its on_end gives slots back */
	frag_table_free(e->frags);
	inspector_free(e->insp);
	dnscache_free(e->dns);
	free(e);
}

void
engine_get_stats(const struct engine *e, struct engine_stats *st)
{
	struct flow_stats fs;
	struct dnscache_stats ds;

	*st = e->st;
	flow_get_stats(e->flows, &fs);
	st->flows = fs.active;
	dnscache_get_stats(e->dns, &ds);
	st->dns_entries = ds.entries;
}

struct flow_table *
engine_flows(struct engine *e)
{
	return e->flows;
}

static const char *rule_name(const struct engine *, int32_t);

struct remap {
	const struct engine	*e;
	const struct policy	*next;
};

static int32_t
rule_find(const struct policy *p, const char *name, bool inbound)
{
	const struct policy_rule *r = inbound ? p->inbound : p->egress;
	size_t i, n = inbound ? p->ninbound : p->negress;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			return inbound ? (int32_t)i | RULE_INBOUND : (int32_t)i;
	return -1;
}

static int32_t
remap_ref(const struct remap *rm, int32_t rule)
{
	const char *name = rule_name(rm->e, rule);

	return name == NULL ? -1 :
	    rule_find(rm->next, name, (rule & RULE_INBOUND) != 0);
}

static void
remap_flow(struct flow *f, void *arg)
{
	f->rule = remap_ref(arg, f->rule);
}

static void
remap_frag(struct frag_decision *fd, void *arg)
{
	fd->rule = remap_ref(arg, fd->rule);
}

void
engine_set_policy(struct engine *e, const struct policy *pol)
{
	struct remap rm = { e, pol };

	flow_foreach(e->flows, remap_flow, &rm);
	frag_foreach(e->frags, remap_frag, &rm);
	e->pol = pol;
	e->mode = e->mode_override >= 0 ? (enum policy_mode)e->mode_override :
	    pol->mode;
}

void
engine_offload(struct engine *e, const struct decision *d)
{
	if (d->flow != NULL)
		flow_set_class(e->flows, d->flow, FLOW_CLASS_OFFLOADED);
}

int
engine_seed(struct engine *e, const struct flow_key *k, enum flow_origin origin,
    int verdict, bool offloaded, uint64_t now_us)
{
	struct flow *f;
	enum flow_class cls;
	int dir;

	if (flow_lookup(e->flows, k, now_us, &dir) != NULL)
		return -1;
	if (offloaded)
		cls = FLOW_CLASS_OFFLOADED;
	else if (verdict != VERDICT_ACCEPT)
		cls = FLOW_CLASS_DENIED;
	else
		cls = origin == FLOW_ORIGIN_INSIDE ? FLOW_CLASS_OUTBOUND :
		    FLOW_CLASS_INBOUND;
	if ((f = flow_create(e->flows, k, origin, cls, now_us)) == NULL)
		return -1;
	f->verdict = f->would = (uint8_t)verdict;
	f->reason = verdict == VERDICT_ACCEPT ? REASON_ALLOWED :
	    (origin == FLOW_ORIGIN_INSIDE ? REASON_UNKNOWN_EGRESS :
	    REASON_UNSOLICITED_INBOUND);
	f->rule = -1;
	f->uid = f->gid = POLICY_ID_NONE;	/* a restart does not know owners */
	f->pid = 0;
	if (k->proto == IPPROTO_TCP)
		f->tcp_state = FLOW_TCP_ESTABLISHED;
	return 0;
}

static const char *
rule_name(const struct engine *e, int32_t rule)
{
	size_t i;

	if (rule < 0)
		return NULL;
	if (rule & RULE_INBOUND) {
		i = (size_t)(rule & ~RULE_INBOUND);
		return i < e->pol->ninbound ? e->pol->inbound[i].name : NULL;
	}
	i = (size_t)rule;
	return i < e->pol->negress ? e->pol->egress[i].name : NULL;
}

/*
 * Set what enforce would do; monitor mode applies accept instead.  The mode
 * is the deciding rule's own when it has one (a new rule watched while the
 * proven ones are enforced), else the policy's; reasons in enforce_always
 * are enforced in every mode.
 */
static void
set_verdict(const struct engine *e, struct decision *d, int verdict, int reason)
{
	const struct policy_rule *r = NULL;
	enum policy_mode mode = e->mode;
	size_t i;

	if (d->rule_ref >= 0 && e->mode_override < 0) {
		i = (size_t)(d->rule_ref & ~RULE_INBOUND);
		if (d->rule_ref & RULE_INBOUND)
			r = i < e->pol->ninbound ? &e->pol->inbound[i] : NULL;
		else
			r = i < e->pol->negress ? &e->pol->egress[i] : NULL;
		if (r != NULL && r->mode >= 0)
			mode = (enum policy_mode)r->mode;
	}
	if (reason >= 0 && reason < 64 && (e->pol->enforce_always >> reason & 1))
		mode = POLICY_ENFORCE;
	d->would = (uint8_t)verdict;
	d->verdict = mode == POLICY_MONITOR ? VERDICT_ACCEPT : (uint8_t)verdict;
	d->reason = (uint16_t)reason;
}

static bool
is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static bool
is_echo_reply(const struct pkt *p)
{
	return (p->proto == IPPROTO_ICMP && p->icmp_type == 0) ||
	    (p->proto == IPPROTO_ICMPV6 && p->icmp_type == 129);
}

static bool
is_echo_request(const struct pkt *p)
{
	return (p->proto == IPPROTO_ICMP && p->icmp_type == 8) ||
	    (p->proto == IPPROTO_ICMPV6 && p->icmp_type == 128);
}

/* Router/neighbor solicitation and advertisement, redirect: link-local only. */
static bool
is_ndp(const struct pkt *p)
{
	return p->proto == IPPROTO_ICMPV6 && p->icmp_type >= 133 &&
	    p->icmp_type <= 137 && p->ttl == 255;
}

/*
 * DNS flows stay under inspection: their answers teach the name rules that
 * come later, so the source must keep sending every packet.
 */
static bool
wants_inspection(const struct flow_key *k)
{
	return (k->proto == IPPROTO_UDP || k->proto == IPPROTO_TCP) &&
	    k->dport == 53;
}

static const struct policy_rule *
rule_of(const struct engine *e, int32_t rule)
{
	size_t i = (size_t)(rule & ~RULE_INBOUND);

	if (rule < 0)
		return NULL;
	if (rule & RULE_INBOUND)
		return i < e->pol->ninbound ? &e->pol->inbound[i] : NULL;
	return i < e->pol->negress ? &e->pol->egress[i] : NULL;
}

/*
 * An accepted flow whose packets must keep coming: DNS (above), and ICMP
 * whose rule has a check, which runs on every echo request.
 */
static bool
keeps_inspecting(const struct engine *e, const struct flow *f)
{
	const struct policy_rule *r;

	if (f->would != VERDICT_ACCEPT)
		return false;
	if (wants_inspection(&f->key))
		return true;
	return is_icmp(f->key.proto) && (r = rule_of(e, f->rule)) != NULL &&
	    r->check != NULL;
}

static void
key_from_pkt(struct flow_key *k, const struct pkt *p)
{
	memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->proto = p->proto;
	if (p->has_l4) {
		k->sport = p->sport;
		k->dport = p->dport;
	}
}

/* Direction of a packet that has no flow yet. */
static enum engine_dir
dir_new(const struct engine *e, const struct pkt *p, enum engine_hint hint)
{
	if (hint == ENGINE_HINT_OUT)
		return ENGINE_DIR_OUT;
	if (hint == ENGINE_HINT_IN)
		return ENGINE_DIR_IN;
	if (e->pol->nlocal == 0)
		return ENGINE_DIR_OUT;	/* captured on the inside host */
	if (policy_is_local(e->pol, &p->src))
		return ENGINE_DIR_OUT;
	return ENGINE_DIR_IN;
}

static enum engine_dir
dir_in_flow(const struct flow *f, int fdir)
{
	bool from_initiator = fdir == FLOW_DIR_ORIG;
	bool inside_started = f->origin == FLOW_ORIGIN_INSIDE;

	return from_initiator == inside_started ? ENGINE_DIR_OUT : ENGINE_DIR_IN;
}

/* A decided flow: its verdict sticks; accepted flows report `established`. */
static void
decide_known(const struct engine *e, struct flow *f, int fdir,
    struct decision *d)
{
	d->would = f->would;
	d->verdict = f->verdict;
	/* a flow whose check has not run is allowed, not yet established */
	d->reason = f->pending ? REASON_ALLOWED : f->would == VERDICT_ACCEPT ?
	    REASON_ESTABLISHED : f->reason;
	d->rule = rule_name(e, f->rule);
	d->rule_ref = f->rule;
	d->dir = (uint8_t)dir_in_flow(f, fdir);
	d->flow_id = f->id;
	d->flow = f;
	d->pending = f->pending != 0;
	d->inspect = f->pending || f->watch || keeps_inspecting(e, f);
}

/* An ICMP error: related when it quotes a packet of an accepted flow sent to it. */
static void
decide_icmp_error(struct engine *e, const struct pkt *p, enum engine_hint hint,
    uint64_t now_us, struct decision *d)
{
	struct flow_key k;
	struct flow *f;
	int fdir;

	d->dir = (uint8_t)dir_new(e, p, hint);
	if (!p->has_quote) {
		set_verdict(e, d, VERDICT_DROP, REASON_UNRELATED_ICMP);
		d->detail = "icmp error quotes too little";
		return;
	}
	memset(&k, 0, sizeof(k));
	k.src = p->quote.src;
	k.dst = p->quote.dst;
	k.proto = p->quote.proto;
	k.sport = p->quote.sport;
	k.dport = p->quote.dport;
	if (is_icmp(k.proto))
		k.dport = k.sport;	/* echo id in both */
	/* the error goes back to whoever sent the quoted packet */
	if (!addr_eq(&p->dst, &k.src) ||
	    (f = flow_lookup(e->flows, &k, now_us, &fdir)) == NULL) {
		set_verdict(e, d, VERDICT_DROP, REASON_UNRELATED_ICMP);
		return;
	}
	d->flow_id = f->id;
	d->rule = rule_name(e, f->rule);
	d->rule_ref = f->rule;
	d->dir = (uint8_t)dir_in_flow(f, !fdir);
	if (f->would != VERDICT_ACCEPT) {
		/* the quoted packet was (or in enforce would have been) dropped */
		set_verdict(e, d, VERDICT_DROP, REASON_UNRELATED_ICMP);
		return;
	}
	set_verdict(e, d, VERDICT_ACCEPT, REASON_RELATED);
}

/* Copy the owner kept in f's slot (the slot is about to go) for d->subject. */
static void
hold_subject(struct engine *e, const struct flow *f, struct decision *d)
{
	const struct inspect_info *fi = inspector_info(e->insp, f);

	if (fi == NULL)
		return;
	policy_subject_copy(&e->subj, &fi->subject, &e->subj_store);
	d->subject = &e->subj;
}

/* The flow's final verdict, from its check or its inspection. */
static void
settle(struct engine *e, struct flow *f, struct decision *d, int verdict, int reason)
{
	hold_subject(e, f, d);
	/* this packet's record is the flow's: the name its owner resolved, again */
	if (f->origin == FLOW_ORIGIN_INSIDE && dnscache_lookup(e->dns, f->skey,
	    &f->key.dst, e->now, NULL, NULL, &d->dst_name) == DNSCACHE_NONE)
		d->dst_name = NULL;
	set_verdict(e, d, verdict, reason);
	f->verdict = d->verdict;
	f->would = d->would;
	f->reason = d->reason;
	f->pending = 0;
	f->watch = 0;
	if (d->would != VERDICT_ACCEPT) {
		flow_set_class(e->flows, f, FLOW_CLASS_DENIED);
		if (f->byname) {	/* a refused flow keeps no name in grace */
			dnscache_release(e->dns, f->skey, &f->key.dst);
			f->byname = 0;
		}
	}
	d->pending = false;
	d->checked = true;
	d->inspect = keeps_inspecting(e, f);
	if (d->would == VERDICT_ACCEPT && f->key.proto == IPPROTO_TCP &&
	    f->insp != 0) {
		/*
		 * Accepted: the client's bytes are still compared until the
		 * server answers, so that a decoy the server never gets (a
		 * low TTL) cannot pass the check for a different real one.
		 */
		f->watch = 1;
		d->inspect = true;
		return;
	}
	inspector_close(e->insp, f);
	f->insp = 0;
}

/* The server answered (or the flow ends): the kernel may take the flow. */
static void
unwatch(struct engine *e, struct flow *f, struct decision *d)
{
	f->watch = 0;
	inspector_close(e->insp, f);
	f->insp = 0;
	d->inspect = wants_inspection(&f->key);
}

/* The check could not run or failed: the policy's on_check_error. */
static void
fail_check(struct engine *e, struct flow *f, struct decision *d, const char *why)
{
	e->st.check_errors++;
	snprintf(e->detail, sizeof(e->detail), "%s", why);
	settle(e, f, d, e->pol->on_check_error, REASON_CHECK_ERROR);
	d->detail = e->detail;
}

/*
 * A TCP flow whose check has not run yet.  A reset ends it: its slot goes
 * back now, or a burst of connections reset before any data would hold
 * every slot for the closed state's timeout (and every check meanwhile
 * would fail for want of one).  Client bytes that still come after it
 * have no slot to be read in: the check cannot run (check_error).
 * Returns whether the packet is decided here.
 */
static bool
tcp_reset_before_check(struct engine *e, struct flow *f, int fdir, const struct pkt *p,
    struct decision *d)
{
	if (f->insp != 0 && (p->tcp_flags & PKT_TCP_RST)) {
		inspector_close(e->insp, f);
		f->insp = 0;
		return false;
	}
	if (f->insp == 0 && fdir == FLOW_DIR_ORIG && p->payload_len > 0) {
		fail_check(e, f, d, "client bytes after a reset, with no check to read them");
		return true;
	}
	return false;
}

struct exact_arg {
	const char			*name;
	const struct policy_rule	*rule;
};

static bool
is_exact(void *arg, const char *name)
{
	const struct exact_arg *x = arg;

	return strcmp(name, x->name) == 0 && policy_host_match(x->rule, name);
}

/*
 * A flow allowed by name says which name it wants: over TLS the SNI, over
 * HTTP the Host must be a name its owner resolved to this address (and one
 * the rule names).  Otherwise another tenant of a CDN address could be
 * reached with an allowed tenant's lookup.  true: settled as a mismatch.
 */
static bool
name_mismatch(struct engine *e, struct flow *f, struct decision *d,
    const struct inspect_info *fi)
{
	struct exact_arg x;
	int reason;
	size_t i = (size_t)(f->rule & ~RULE_INBOUND);

	if (fi == NULL || (f->rule & RULE_INBOUND) || i >= e->pol->negress)
		return false;
	if (fi->tls) {
		x.name = fi->sni;
		reason = REASON_SNI_MISMATCH;
	} else if (fi->http) {
		x.name = fi->host;
		reason = REASON_HOST_MISMATCH;
	} else if (fi->tls_error != NULL) {
		x.name = "";	/* TLS whose name cannot be read: not the name */
		reason = REASON_SNI_MISMATCH;
	} else {
		return false;	/* neither TLS nor HTTP: no name to hold it to */
	}
	x.rule = &e->pol->egress[i];
	if (x.name[0] != '\0' && dnscache_lookup(e->dns, f->skey, &f->key.dst,
	    e->now, is_exact, &x, NULL) >= DNSCACHE_GRACE)
		return false;
	snprintf(e->detail, sizeof(e->detail), "%s %s is not a name this address "
	    "was resolved for", reason == REASON_SNI_MISMATCH ? "sni" : "host",
	    x.name[0] != '\0' ? x.name : "(none)");
	settle(e, f, d, VERDICT_DROP, reason);
	d->detail = e->detail;
	return true;
}

static void
run_check(struct engine *e, struct flow *f, struct decision *d,
    const struct inspect_info *fi)
{
	struct check_result cr;
	bool inbound = (f->rule & RULE_INBOUND) != 0;
	size_t idx;

	if (f->rule < 0) {
		fail_check(e, f, d, "the flow's rule is gone (reload)");
		return;
	}
	idx = (size_t)(f->rule & ~RULE_INBOUND);
	if (f->byname && name_mismatch(e, f, d, fi))
		return;
	if (inbound ? idx >= e->pol->ninbound || e->pol->inbound[idx].check == NULL :
	    idx >= e->pol->negress || e->pol->egress[idx].check == NULL) {
		settle(e, f, d, VERDICT_ACCEPT, REASON_ALLOWED);	/* no Lua check */
		return;
	}
	e->st.checks++;
	if (check_run(e->pol, inbound, idx, f, fi, f->origin == FLOW_ORIGIN_INSIDE ?
	    "out" : "in", &cr) == -1) {
		/* told once per rule and policy; every one is counted */
		if (e->warned_pol != e->pol) {
			memset(e->warned, 0, sizeof(e->warned));
			e->warned_pol = e->pol;
		}
		if (idx >= sizeof(e->warned) || !e->warned[idx]) {
			diag_warnx("check of rule %s: %s (the flow gets on_check_error; "
			    "told once)", rule_name(e, f->rule), cr.error);
			if (idx < sizeof(e->warned))
				e->warned[idx] = 1;
		}
		fail_check(e, f, d, cr.error);
		return;
	}
	if (cr.verdict == VERDICT_ACCEPT) {
		settle(e, f, d, VERDICT_ACCEPT, REASON_ALLOWED);
		d->reason = REASON_ALLOWED;
	} else {
		settle(e, f, d, cr.verdict, REASON_CHECK);
	}
	if (cr.reason[0] != '\0') {
		snprintf(e->detail, sizeof(e->detail), "%s", cr.reason);
		d->detail = e->detail;
	}
}

/*
 * A DNS message on a flow the inside started to port 53.  An answer (the
 * reply way, on an accepted flow) teaches the DNS table, for the flow's
 * owner, before its packet goes on: the client's first connection never
 * races it.  A query is policed when the policy uses names or has a `dns`
 * table: its type must be A, AAAA or one of dns.qtypes, and its name one
 * that a host rule names (unless dns.any_name).  -1: a query denied, with
 * d's verdict and e->detail set.
 */
static int
dns_packet(struct engine *e, struct flow *f, int fdir, const struct dns_msg *m,
    uint64_t now_us, struct decision *d)
{
	const struct policy *pol = e->pol;
	const char *why = NULL;
	char name[DNS_NAME_BUF];
	int n;

	if (f->origin != FLOW_ORIGIN_INSIDE || f->key.dport != 53)
		return 0;
	if (m->response) {
		/* what passed (monitor mode too) teaches the table */
		if (fdir != FLOW_DIR_REPLY || f->verdict != VERDICT_ACCEPT)
			return 0;
		if ((n = dnscache_learn(e->dns, f->skey, m, now_us, &why)) > 0)
			e->st.dns_learnt += (uint64_t)n;
		else if (n < 0)
			e->st.dns_ignored++;
		return 0;
	}
	if (fdir != FLOW_DIR_ORIG || !m->has_question ||
	    (pol->nhostrules == 0 && !pol->dns.given))
		return 0;
	dns_name_lower(name, sizeof(name), m->qname);
	if (!policy_qtype_ok(pol, m->qtype)) {
		snprintf(e->detail, sizeof(e->detail), "query type %u is not A, AAAA "
		    "or one of dns.qtypes", m->qtype);
	} else if (!pol->dns.any_name && pol->nhostrules > 0 &&
	    (m->qname_lossy || !policy_names_host(pol, name))) {
		snprintf(e->detail, sizeof(e->detail), "no host rule names %.256s",
		    m->qname_lossy ? "a name with odd bytes" : name);
	} else {
		return 0;
	}
	set_verdict(e, d, VERDICT_DROP, REASON_DNS_DENIED);
	d->detail = e->detail;
	d->checked = true;	/* a decision about this query: a log record */
	return -1;
}

/*
 * Feed p to f's inspection.  What it completed goes to d; a flow whose check
 * was waiting gets its verdict once the handshake is read (or an evasion is
 * seen); a flow read only to be shown (replay) gives its slot back.
 */
static void
inspect(struct engine *e, struct flow *f, int fdir, const struct pkt *p,
    uint64_t now_us, struct decision *d)
{
	struct inspect_result ir;
	int reason;

	/*
	 * IP is not reassembled here: a client's first fragment holds only
	 * part of the bytes the check reads (TCP, DNS, ICMP), and the rest
	 * would pass unread in the fragments after it.  The check cannot run.
	 */
	if (p->frag && fdir == FLOW_DIR_ORIG && (f->pending || f->watch) &&
	    (p->proto == IPPROTO_TCP || is_icmp(p->proto) ||
	    wants_inspection(&f->key))) {
		fail_check(e, f, d, "the client's bytes came in ip fragments, "
		    "which are not reassembled");
		return;
	}
	if (f->watch) {
		if (fdir == FLOW_DIR_ORIG && inspector_recheck(e->insp, f, p)) {
			settle(e, f, d, VERDICT_DROP, REASON_TCP_OVERLAP);
			d->detail = "a segment rewrites bytes the check read";
		} else if ((fdir == FLOW_DIR_REPLY && p->payload_len > 0) ||
		    (p->tcp_flags & (PKT_TCP_FIN | PKT_TCP_RST))) {
			unwatch(e, f, d);
		}
		return;
	}
	inspector_packet(e->insp, f->insp != 0 ? f : NULL, fdir, p, &ir);
	d->dns_qname = ir.dns_qname;
	d->tls_sni = ir.tls_sni;
	d->tls_alpn = ir.tls_alpn;
	d->http_host = ir.http_host;
	d->http_method = ir.http_method;
	if ((ir.dns_split || p->frag) && fdir == FLOW_DIR_ORIG &&
	    f->origin == FLOW_ORIGIN_INSIDE && f->key.dport == 53 &&
	    (e->pol->nhostrules > 0 || e->pol->dns.given)) {
		/* a query this gateway cannot read is a query it cannot police */
		snprintf(e->detail, sizeof(e->detail), "a dns query %s",
		    p->frag ? "in ip fragments" : "split over tcp segments");
		set_verdict(e, d, VERDICT_DROP, REASON_DNS_DENIED);
		d->detail = e->detail;
		d->checked = true;
		return;
	}
	if (ir.dns != NULL && dns_packet(e, f, fdir, ir.dns, now_us, d) == -1) {
		/* a query the policy does not let out: this packet is dropped */
		if (f->pending) {
			settle(e, f, d, VERDICT_DROP, REASON_DNS_DENIED);
			d->detail = e->detail;
		}
		return;
	}
	if (ir.state == INSPECT_MORE || f->insp == 0)
		return;
	if (!f->pending) {
		inspector_close(e->insp, f);
		f->insp = 0;
		return;
	}
	if (ir.state == INSPECT_EVASION) {
		reason = engine_reason_parse(ir.evasion);
		settle(e, f, d, VERDICT_DROP, reason >= 0 ? reason : REASON_CHECK_ERROR);
		d->detail = ir.detail;
		return;
	}
	run_check(e, f, d, inspector_info(e->insp, f));
	/* decided on the server's answer: what the watch waits for is here */
	if (f->watch && fdir == FLOW_DIR_REPLY && p->payload_len > 0)
		unwatch(e, f, d);
}

/* Private (RFC 1918, ULA, CGNAT), loopback, link-local, unspecified. */
static bool
is_private(const struct engine *e, const struct addr *a)
{
	size_t i;

	for (i = 0; i < NPRIVATE; i++)
		if (cidr_contains(&e->private_nets[i], a))
			return true;
	return false;
}

static bool
in_cidrs(const struct cidr *c, size_t n, const struct addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_contains(&c[i], a))
			return true;
	return false;
}

/*
 * The owner a DNS answer is learnt for and a flow is checked against: its
 * cgroup (a container), else its program, else its uid; 0, the host, when
 * nothing is known.
 */
static uint64_t
subject_key(const struct policy_subject *s)
{
	uint64_t h = 1469598103934665603ULL;
	char buf[24];
	const char *id;
	char tag;

	if (s == NULL || !s->known)
		return 0;
	if (s->cgroup != NULL && strcmp(s->cgroup, "/") != 0)
		id = s->cgroup, tag = 'c';
	else if (s->exe != NULL)
		id = s->exe, tag = 'e';
	else if (s->uid != POLICY_ID_NONE) {
		snprintf(buf, sizeof(buf), "%u", s->uid);
		id = buf, tag = 'u';
	} else
		return 0;
	h = (h ^ (uint8_t)tag) * 1099511628211ULL;
	for (; *id != '\0'; id++)
		h = (h ^ (uint8_t)*id) * 1099511628211ULL;
	return h | 1;	/* never 0 */
}

struct names_arg {
	struct engine	*e;
	uint64_t	skey;
	uint64_t	now;
};

static bool
name_in_rule(void *arg, const char *name)
{
	return policy_host_match(arg, name);
}

/* policy_names_fn: where r's names stand for the flow k in the DNS table. */
static int
rule_names(void *arg, const struct policy_rule *r, const struct flow_key *k)
{
	struct names_arg *na = arg;

	return (int)dnscache_lookup(na->e->dns, na->skey, &k->dst, na->now,
	    name_in_rule, (void *)(uintptr_t)r, NULL);
}

/*
 * A socket asks again: a flow whose rule has a check runs it on every DNS
 * query (a flow to port 53) and every ICMP echo request, not only its
 * first, or a socket that asked one harmless question (or sent one plain
 * ping) could tunnel the rest.  The owner is what the flow kept of it.
 */
static bool
recheck(struct engine *e, struct flow *f, int fdir, const struct pkt *p)
{
	const struct policy_rule *r;
	struct policy_subject s;
	bool query = p->proto == IPPROTO_UDP && p->payload_len > 0 &&
	    wants_inspection(&f->key);

	if (f->would != VERDICT_ACCEPT || fdir != FLOW_DIR_ORIG ||
	    !(query || is_echo_request(p)))
		return false;
	r = rule_of(e, f->rule);
	if (r == NULL || r->check == NULL)
		return false;
	memset(&s, 0, sizeof(s));
	s.known = f->uid != POLICY_ID_NONE || f->pid != 0;
	s.uid = f->uid;
	s.gid = f->gid;
	s.pid = f->pid;
	s.how = "kept with the flow";
	if (inspector_open(e->insp, f, p, &s) == -1) {
		e->st.inspect_no_slot++;
		return false;	/* the query goes on the flow's verdict, as before */
	}
	f->pending = 1;
	return true;
}

/* The first packet of a flow: the rules decide, and the flow remembers. */
static void
decide_new(struct engine *e, const struct pkt *p, const struct flow_key *k,
    enum engine_hint hint, uint64_t now_us, struct decision *d)
{
	const struct policy *pol = e->pol;
	const struct policy_rule *r = NULL;
	enum engine_dir dir = dir_new(e, p, hint);
	enum flow_class cls;
	struct flow *f;
	uint64_t skey;
	int idx, verdict, reason, host_state = -1;
	bool store, byname = false;

	d->dir = (uint8_t)dir;
	if (p->proto == IPPROTO_TCP && p->has_l4 &&
	    (p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK | PKT_TCP_RST)) != PKT_TCP_SYN &&
	    !pol->tcp_midstream) {
		/* no mid-stream pickup, and no table entry for junk */
		set_verdict(e, d, VERDICT_DROP, dir == ENGINE_DIR_OUT ?
		    REASON_MIDSTREAM : REASON_UNSOLICITED_INBOUND);
		d->detail = "tcp packet without a flow is not a syn";
		return;
	}
	if (is_echo_reply(p)) {
		set_verdict(e, d, VERDICT_DROP, dir == ENGINE_DIR_OUT ?
		    REASON_UNKNOWN_EGRESS : REASON_UNSOLICITED_INBOUND);
		d->detail = "echo reply without a request";
		return;
	}

	if (e->owner != NULL)
		d->subject = e->owner(e->owner_arg, k, now_us);
	skey = subject_key(d->subject);
	if (dir == ENGINE_DIR_OUT && pol->nhostrules > 0) {
		struct names_arg na = { e, skey, now_us };

		idx = policy_match_names(pol, k, d->subject, rule_names, &na,
		    &host_state);
	} else {
		idx = policy_match(pol, dir == ENGINE_DIR_IN, k, d->subject);
	}
	if (idx >= 0) {
		r = dir == ENGINE_DIR_IN ? &pol->inbound[idx] : &pol->egress[idx];
		d->rule = r->name;
		d->rule_ref = dir == ENGINE_DIR_IN ? idx | RULE_INBOUND : idx;
		byname = dir == ENGINE_DIR_OUT && r->nhosts > 0 && r->nto == 0;
	}
	if (r == NULL) {
		if (dir == ENGINE_DIR_OUT) {
			verdict = pol->unknown_egress == VERDICT_REJECT ?
			    VERDICT_REJECT : VERDICT_DROP;
			reason = host_state == 0 ? REASON_NO_DNS_PROVENANCE :
			    host_state == 1 ? REASON_DNS_EXPIRED : REASON_UNKNOWN_EGRESS;
		} else {
			verdict = VERDICT_DROP;
			reason = REASON_UNSOLICITED_INBOUND;
		}
		cls = FLOW_CLASS_DENIED;
	} else if (byname && is_private(e, &k->dst) && !r->private_ok) {
		/* a name anyone can point at 127.0.0.1 or 10.0.0.1 */
		verdict = VERDICT_DROP;
		reason = REASON_PRIVATE_ADDRESS;
		d->detail = "a name led to a private, loopback or link-local address";
		cls = FLOW_CLASS_DENIED;
	} else if (dir == ENGINE_DIR_OUT && pol->dns.nresolvers > 0 &&
	    (k->dport == 53 || k->dport == 853) && (k->proto == IPPROTO_UDP ||
	    k->proto == IPPROTO_TCP) &&
	    !in_cidrs(pol->dns.resolvers, pol->dns.nresolvers, &k->dst)) {
		verdict = VERDICT_DROP;
		reason = REASON_DNS_DENIED;
		d->detail = "not a resolver the policy names";
		cls = FLOW_CLASS_DENIED;
	} else {
		verdict = VERDICT_ACCEPT;
		reason = REASON_ALLOWED;
		cls = dir == ENGINE_DIR_IN ? FLOW_CLASS_INBOUND : FLOW_CLASS_OUTBOUND;
	}
	set_verdict(e, d, verdict, reason);

	/*
	 * Unsolicited inbound takes no table entry in enforce mode, so a flood
	 * from outside costs nothing; monitor mode keeps it to follow the flow.
	 */
	store = !(dir == ENGINE_DIR_IN && cls == FLOW_CLASS_DENIED &&
	    e->mode == POLICY_ENFORCE);
	if (!store)
		return;
	f = flow_create(e->flows, k, dir == ENGINE_DIR_IN ? FLOW_ORIGIN_OUTSIDE :
	    FLOW_ORIGIN_INSIDE, cls, now_us);
	if (f == NULL) {
		if (cls != FLOW_CLASS_DENIED) {
			set_verdict(e, d, VERDICT_DROP, REASON_FLOW_TABLE_FULL);
			d->rule = NULL;
			d->rule_ref = -1;
		}
		return;
	}
	f->verdict = d->verdict;
	f->would = d->would;
	f->reason = d->reason;
	f->rule = d->rule_ref;
	f->uid = f->gid = POLICY_ID_NONE;
	f->pid = 0;
	if (d->subject != NULL && d->subject->known) {
		f->uid = d->subject->uid;
		f->gid = d->subject->gid;
		f->pid = d->subject->pid;
	}
	f->skey = skey;
	if (dir == ENGINE_DIR_OUT && dnscache_lookup(e->dns, skey, &k->dst, now_us,
	    NULL, NULL, &d->dst_name) == DNSCACHE_NONE)
		d->dst_name = NULL;	/* for the log: what a name rule could say */
	if (byname && d->would == VERDICT_ACCEPT) {
		f->byname = 1;	/* held in the DNS table while it lives */
		dnscache_hold(e->dns, skey, &k->dst);
	}
	flow_update(e->flows, f, FLOW_DIR_ORIG, p->tcp_flags, p->l3_len, now_us);
	d->flow_id = f->id;
	d->flow = f;
	d->new_flow = true;
	if (r != NULL && d->would == VERDICT_ACCEPT &&
	    (r->check != NULL || (f->byname && k->proto == IPPROTO_TCP))) {
		/*
		 * Accepted for now: the check runs once the handshake it needs
		 * is read, and its verdict then sticks (a flow allowed by name
		 * has one built in: its SNI or Host must be that name).
		 * Without a slot to read it in, the check cannot run: the
		 * policy's on_check_error.
		 */
		if (inspector_open(e->insp, f, p, d->subject) == -1) {
			e->st.inspect_no_slot++;
			fail_check(e, f, d, "no inspection slot free");
			return;
		}
		f->pending = 1;
	} else if (e->inspect_all && (k->proto == IPPROTO_TCP ||
	    k->proto == IPPROTO_UDP) && !wants_inspection(k)) {
		(void)inspector_open_watch(e->insp, f, p);	/* replay: to show it */
	}
	inspect(e, f, FLOW_DIR_ORIG, p, now_us, d);
	d->pending = f->pending != 0;
	d->inspect = f->pending || f->watch || keeps_inspecting(e, f);
}

static void
frag_key_of(struct frag_key *fk, const struct pkt *p)
{
	memset(fk, 0, sizeof(*fk));
	fk->src = p->src;
	fk->dst = p->dst;
	fk->id = p->frag_id;
	fk->proto = p->proto;
}

/* A later fragment follows its first; one that has none is dropped. */
static void
decide_later_fragment(struct engine *e, const struct pkt *p, enum engine_hint hint,
    uint64_t now_us, struct decision *d)
{
	struct frag_key fk;
	struct frag_decision fd;

	frag_key_of(&fk, p);
	if (!frag_recall(e->frags, &fk, now_us, &fd)) {
		d->dir = (uint8_t)dir_new(e, p, hint);
		set_verdict(e, d, VERDICT_DROP, REASON_ORPHAN_FRAGMENT);
		return;
	}
	d->would = fd.would;
	d->verdict = fd.verdict;
	d->reason = fd.would == VERDICT_ACCEPT ? REASON_ESTABLISHED : fd.reason;
	d->dir = fd.dir;
	d->flow_id = fd.flow_id;
	d->rule = rule_name(e, fd.rule);
	d->rule_ref = fd.rule;
}

static void
remember_first_fragment(struct engine *e, const struct pkt *p,
    const struct decision *d, uint64_t now_us)
{
	struct frag_key fk;
	struct frag_decision fd;

	frag_key_of(&fk, p);
	memset(&fd, 0, sizeof(fd));
	fd.verdict = d->verdict;
	fd.would = d->would;
	fd.dir = d->dir;
	fd.reason = d->reason;
	fd.rule = d->rule_ref;
	fd.flow_id = d->flow_id;
	frag_remember(e->frags, &fk, &fd, now_us);
}

static void
decide(struct engine *e, const struct pkt *p, enum engine_hint hint,
    uint64_t now_us, struct decision *d)
{
	struct flow_key k;
	struct flow *f;
	int fdir;

	if (p->status != PKT_OK) {
		if (p->status == PKT_UNSUPPORTED && p->family == 0) {
			d->verdict = d->would = VERDICT_ACCEPT;
			d->reason = REASON_NOT_IP;
			return;
		}
		if (p->family != 0)
			d->dir = (uint8_t)dir_new(e, p, hint);
		set_verdict(e, d, VERDICT_DROP, REASON_MALFORMED);
		d->detail = p->why;
		return;
	}
	if (p->frag && p->frag_off != 0) {
		decide_later_fragment(e, p, hint, now_us, d);
		return;
	}
	if (is_icmp(p->proto) && p->icmp_error) {
		decide_icmp_error(e, p, hint, now_us, d);
		return;
	}
	if (is_ndp(p)) {
		d->dir = (uint8_t)dir_new(e, p, hint);
		d->verdict = d->would = VERDICT_ACCEPT;
		d->reason = REASON_NDP;
		return;
	}

	key_from_pkt(&k, p);
	f = flow_lookup(e->flows, &k, now_us, &fdir);
	/* a fresh SYN on a closed TCP flow is a new connection on a reused port */
	if (f != NULL && p->proto == IPPROTO_TCP && fdir == FLOW_DIR_ORIG &&
	    f->tcp_state == FLOW_TCP_CLOSED &&
	    (p->tcp_flags & (PKT_TCP_SYN | PKT_TCP_ACK)) == PKT_TCP_SYN) {
		flow_delete(e->flows, f);
		f = NULL;
	}
	if (f != NULL) {
		decide_known(e, f, fdir, d);
		flow_update(e->flows, f, fdir, p->tcp_flags, p->l3_len, now_us);
		if (f->pending && p->proto == IPPROTO_TCP && tcp_reset_before_check(e, f, fdir, p, d))
			return;
		if (f->insp == 0 && recheck(e, f, fdir, p))
			d->pending = true;
		if (f->insp != 0 || (wants_inspection(&f->key) &&
		    (e->inspect_all || e->pol->nhostrules > 0 || e->pol->dns.given)))
			inspect(e, f, fdir, p, now_us, d);
	} else {
		decide_new(e, p, &k, hint, now_us, d);
	}
}

void
engine_prefetch(struct engine *e, const struct pkt *p)
{
	struct flow_key k;

	/* the packets decide() looks up by their own 5-tuple */
	if (p->status != PKT_OK || (p->frag && p->frag_off != 0) ||
	    (is_icmp(p->proto) && p->icmp_error))
		return;
	key_from_pkt(&k, p);
	flow_prefetch(e->flows, &k);
}

void
engine_decide(struct engine *e, const struct pkt *p, enum engine_hint hint,
    uint64_t now_us, struct decision *d)
{
	static const struct decision zero;

	/* a copy of zeros, not memset: a few vector stores, no rep stos */
	*d = zero;
	d->rule_ref = -1;
	e->now = now_us;
	/* first, so that a flow past its time holds nothing for this decision */
	flow_expire(e->flows, now_us, ENGINE_EXPIRE_BUDGET);
	decide(e, p, hint, now_us, d);
	if (p->status == PKT_OK && p->frag && p->frag_off == 0)
		remember_first_fragment(e, p, d, now_us);
	e->st.packets++;
	e->st.by_verdict[d->verdict]++;
	e->st.by_reason[d->reason]++;
	e->st.by_verdict_reason[d->verdict][d->reason]++;
}
