/*
 * engine.c - the path of one packet: decode result -> flow -> policy -> verdict.
 * Must never call back into a source (nfq, replay), allocate per packet, or run
 * Lua for a flow that names no check.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "flow.h"
#include "frag.h"

#define ENGINE_FRAG_SLOTS	4096
#define ENGINE_EXPIRE_BUDGET	4	/* expired flows reaped per packet */

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
	struct engine_stats	st;
};

static const char *const verdict_names[] = { "accept", "drop", "reject" };

static const char *const reason_names[REASON_COUNT] = {
	[REASON_ALLOWED] = "allowed",
	[REASON_ESTABLISHED] = "established",
	[REASON_RELATED] = "related",
	[REASON_NDP] = "ndp",
	[REASON_NOT_IP] = "not_ip",
	[REASON_UNKNOWN_EGRESS] = "unknown_egress",
	[REASON_UNSOLICITED_INBOUND] = "unsolicited_inbound",
	[REASON_MIDSTREAM] = "midstream",
	[REASON_UNRELATED_ICMP] = "unrelated_icmp",
	[REASON_ORPHAN_FRAGMENT] = "orphan_fragment",
	[REASON_MALFORMED] = "malformed",
	[REASON_FLOW_TABLE_FULL] = "flow_table_full",
	[REASON_CHECK_ERROR] = "check_error",
};

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
	if (r < 0 || r >= REASON_COUNT)
		return "?";
	return reason_names[r];
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
	int i;

	for (i = 0; i < REASON_COUNT; i++)
		if (strcmp(s, reason_names[i]) == 0)
			return i;
	return -1;
}

struct engine *
engine_new(const struct policy *pol, const struct engine_opts *opts)
{
	struct engine *e;
	size_t cap = ENGINE_DEFAULT_FLOWS;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (opts != NULL && opts->flow_capacity > 0)
		cap = opts->flow_capacity;
	e->pol = pol;
	e->mode_override = opts != NULL ? opts->mode : -1;
	if (opts != NULL) {
		e->owner = opts->owner;
		e->owner_arg = opts->owner_arg;
	}
	e->mode = e->mode_override >= 0 ? (enum policy_mode)e->mode_override :
	    pol->mode;
	if ((e->flows = flow_table_new(cap)) == NULL)
		goto fail;
	if ((e->frags = frag_table_new(ENGINE_FRAG_SLOTS)) == NULL)
		goto fail;
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
	flow_table_free(e->flows);
	frag_table_free(e->frags);
	free(e);
}

void
engine_get_stats(const struct engine *e, struct engine_stats *st)
{
	*st = e->st;
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

/* Set what enforce would do; monitor mode applies accept instead. */
static void
set_verdict(const struct engine *e, struct decision *d, int verdict, int reason)
{
	d->would = (uint8_t)verdict;
	d->verdict = e->mode == POLICY_MONITOR ? VERDICT_ACCEPT : (uint8_t)verdict;
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
	d->reason = f->would == VERDICT_ACCEPT ? REASON_ESTABLISHED : f->reason;
	d->rule = rule_name(e, f->rule);
	d->rule_ref = f->rule;
	d->dir = (uint8_t)dir_in_flow(f, fdir);
	d->flow_id = f->id;
	d->flow = f;
	d->inspect = f->would == VERDICT_ACCEPT && wants_inspection(&f->key);
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
	int idx, verdict, reason;
	bool store;

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
	idx = policy_match(pol, dir == ENGINE_DIR_IN, k, d->subject);
	if (idx >= 0) {
		r = dir == ENGINE_DIR_IN ? &pol->inbound[idx] : &pol->egress[idx];
		d->rule = r->name;
		d->rule_ref = dir == ENGINE_DIR_IN ? idx | RULE_INBOUND : idx;
	}
	if (r == NULL) {
		if (dir == ENGINE_DIR_OUT) {
			verdict = pol->unknown_egress == VERDICT_REJECT ?
			    VERDICT_REJECT : VERDICT_DROP;
			reason = REASON_UNKNOWN_EGRESS;
		} else {
			verdict = VERDICT_DROP;
			reason = REASON_UNSOLICITED_INBOUND;
		}
		cls = FLOW_CLASS_DENIED;
	} else if (r->check != NULL) {
		/* the dissectors that feed checks come later: fail closed */
		verdict = VERDICT_DROP;
		reason = REASON_CHECK_ERROR;
		d->detail = "checks cannot run yet";
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
	flow_update(e->flows, f, FLOW_DIR_ORIG, p->tcp_flags, p->l3_len, now_us);
	d->flow_id = f->id;
	d->flow = f;
	d->new_flow = true;
	d->inspect = f->would == VERDICT_ACCEPT && wants_inspection(&f->key);
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
	} else {
		decide_new(e, p, &k, hint, now_us, d);
	}
}

void
engine_decide(struct engine *e, const struct pkt *p, enum engine_hint hint,
    uint64_t now_us, struct decision *d)
{
	memset(d, 0, sizeof(*d));
	d->rule_ref = -1;
	decide(e, p, hint, now_us, d);
	if (p->status == PKT_OK && p->frag && p->frag_off == 0)
		remember_first_fragment(e, p, d, now_us);
	flow_expire(e->flows, now_us, ENGINE_EXPIRE_BUDGET);
	e->st.packets++;
	e->st.by_verdict[d->verdict]++;
	e->st.by_reason[d->reason]++;
}
