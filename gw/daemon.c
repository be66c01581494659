/*
 * daemon.c - `outgate run`: queues, workers and rules around the engine.
 * The shape: the main thread loads, installs and then only waits for
 * signals; each worker owns one queue and one engine (both directions of a
 * flow reach the same queue), so the packet path takes no lock.  Must never
 * accept a packet it has not decided, nor leave its rules behind on a clean stop.
 */
#include <netinet/in.h>		/* before linux/netfilter.h, which wants it first */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attrib.h"
#include "check.h"
#include "control.h"
#include "ctevents.h"
#include "ctseed.h"
#include "daemon.h"
#include "diag.h"
#include "engine.h"
#include "log.h"
#include "lua_rt.h"
#include "nfq.h"
#include "pkt.h"
#include "policy.h"
#include "privdrop.h"
#include "sandbox.h"
#include "sdnotify.h"

#define WORKER_POLL_MS	200	/* how soon a worker sees a reload or a stop */
#define RELOAD_WAIT_MS	5000
#define MAX_LOCAL_ADDRS	256
#define CT_TCP_TIME_WAIT	7	/* TCP_CONNTRACK_TIME_WAIT; CLOSE is 8 */
#define ATTRIB_HIST_US	1000	/* lookup times kept to the µs up to this */
#define SNAP_US		100000	/* how often a worker publishes its counters */
#define NLAT		11	/* verdict-latency buckets (µs), +Inf after them */
static const unsigned lat_le[NLAT] = { 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
	5000, 10000 };

#define NRECENT		16	/* latest decisions a worker keeps for `outgate top` */
#define NFLOWSNAP	16	/* flows seen last a worker publishes for `outgate top` */

/* One decision as `outgate top` shows it. */
struct recent {
	uint64_t	ts_us;		/* 0: empty */
	uint8_t		verdict, would, proto;
	uint16_t	reason;
	uint16_t	sport, dport;
	struct addr	src, dst;
	char		rule[32];
	char		who[64];	/* exe, else uid */
};

/* A flow as `outgate top` lists it: the worker's flows seen last. */
struct flowsnap {
	uint8_t		proto, verdict, would, kernel;	/* kernel: offloaded */
	uint16_t	reason;
	uint16_t	sport, dport;
	struct addr	src, dst;
	uint32_t	uid, pid;
	uint32_t	pkts[2];
	uint64_t	bytes[2];
	uint64_t	age_us, idle_us;
};

/* What a worker publishes for the control thread, every SNAP_US. */
struct worker_snap {
	struct engine_stats	es;
	struct nfqueue_stats	qs;
	struct attrib_stats	as;
	uint64_t		lat[NLAT + 1];	/* per bucket, not cumulative */
	uint64_t		lat_sum_us;
	struct ctevents_stats	cs;
	uint64_t		ct_ended;
};

struct daemon;

struct worker {
	pthread_t		th;
	bool			started;
	uint16_t		queue;
	struct nfqueue		*q;
	struct engine		*e;
	struct daemon		*d;
	const struct policy	*pol;	/* the policy this engine runs */
	atomic_uint		seen;	/* its generation, for the main thread */
	atomic_bool		alive;	/* false once the worker has ended */

	/* attribution: asked by the engine once per new flow */
	struct attrib		*at;	/* NULL: --no-attrib */
	const struct nfqueue_pkt *cur;	/* the packet being decided */
	struct attrib_owner	own;
	struct policy_subject	subj;
	char			mac[24];
	uint32_t		hist[ATTRIB_HIST_US + 1];	/* lookup µs; last: more */
	uint64_t		nlookups;

	/* metrics: counted here, published to snap for the control thread */
	uint64_t		lat[NLAT + 1];
	uint64_t		lat_sum_us;
	uint64_t		snap_at;
	pthread_mutex_t		snap_mu;
	struct worker_snap	snap;
	struct recent		recent[NRECENT];	/* a ring, under snap_mu */
	struct ctevents		*ev;	/* conntrack destroy events; NULL: none */
	uint64_t		ct_ended;	/* offloaded flows ended by them */
	struct flowsnap		flows[NFLOWSNAP];	/* under snap_mu */
	size_t			nflows;
	unsigned		recent_next;
};

struct daemon {
	const struct daemon_opts *o;
	struct worker		*w;
	size_t			nw;
	const struct policy	*_Atomic pol;
	atomic_uint		gen;
	atomic_bool		stop;
	atomic_bool		stopping;	/* the rules are being removed */
	atomic_bool		worker_failed;
	atomic_bool		running;	/* every worker started */
	struct dlog		*log;
	uint32_t		mask, mark_accept, mark_drop, mark_reject;
	struct addr		local[MAX_LOCAL_ADDRS];	/* host mode: our own addresses */
	size_t			nlocal;
	atomic_uint_fast64_t	reloads_ok, reloads_failed;
	struct control		*ctl;
};

static uint64_t
clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static enum engine_hint
hint_of(uint8_t hook)
{
	switch (hook) {
	case NF_INET_LOCAL_OUT:
		return ENGINE_HINT_OUT;
	case NF_INET_LOCAL_IN:
		return ENGINE_HINT_IN;
	default:
		return ENGINE_HINT_NONE;	/* forwarded: local_nets decides */
	}
}

/*
 * The verdict the kernel gets.  A decided flow goes back with NF_REPEAT and
 * our mark on the packet: our chain saves it into the connection's mark, and
 * from then on the kernel handles the flow (accept, drop or reject) without
 * us.  Only the flow's own packet does that: an ICMP error or a later
 * fragment about a flow must not set the flow's kernel verdict.  A flow
 * under inspection (DNS) gets plain verdicts, so that its next packets come
 * back; so does everything while stopping, when our chain is going away.  A packet that already carries our mark came back
 * without a connection to keep it (untracked); it gets a plain verdict so it
 * cannot loop.
 */
static void
set_verdict(const struct daemon *d, const struct nfqueue_pkt *np,
    const struct decision *dec, struct nfqueue_verdict *v)
{
	uint32_t ours;

	memset(v, 0, sizeof(*v));
	if (dec->flow != NULL && !dec->inspect && !atomic_load(&d->stopping) &&
	    (np->mark & d->mask) == 0) {
		ours = dec->verdict == VERDICT_ACCEPT ? d->mark_accept :
		    dec->verdict == VERDICT_REJECT ? d->mark_reject : d->mark_drop;
		v->verdict = NF_REPEAT;
		v->set_mark = true;
		v->mark = (np->mark & ~d->mask) | ours;
		return;
	}
	v->verdict = dec->verdict == VERDICT_ACCEPT ? NF_ACCEPT : NF_DROP;
}

static const char *
mode_name(const struct daemon *d, const struct policy *p)
{
	int m = d->o->mode >= 0 ? d->o->mode : (int)p->mode;

	return m == POLICY_MONITOR ? "monitor" : "enforce";
}

/*
 * The owner of a new flow.  uid and gid come with the packet (the kernel's
 * socket credentials); the process from sock_diag and /proc.  When the
 * process cannot be found the subject is known by its uid alone, and attr
 * says why: a rule naming exe or cgroup does not match it.  Forwarded
 * packets belong to their source host: its address is in the key, its MAC
 * in the subject.
 */
static const struct policy_subject *
worker_owner(void *arg, const struct flow_key *k, uint64_t now_us)
{
	struct worker *w = arg;
	const struct nfqueue_pkt *np = w->cur;
	struct policy_subject *s = &w->subj;
	uint64_t t0, us;

	(void)now_us;
	memset(s, 0, sizeof(*s));
	s->uid = np->has_uid ? np->uid : POLICY_ID_NONE;
	s->gid = np->has_gid ? np->gid : POLICY_ID_NONE;
	if (np->hook == NF_INET_FORWARD) {
		if (np->hwaddr_len == 6) {
			snprintf(w->mac, sizeof(w->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			    np->hwaddr[0], np->hwaddr[1], np->hwaddr[2],
			    np->hwaddr[3], np->hwaddr[4], np->hwaddr[5]);
			s->mac = w->mac;
		}
		s->how = "forwarded: source host";
		return s;
	}
	s->known = np->has_uid;
	if (w->at == NULL) {
		s->how = np->has_uid ? "uid from the packet" : "attribution off";
		return s;
	}
	t0 = clock_us(CLOCK_MONOTONIC);
	if (attrib_lookup(w->at, k, np->hook == NF_INET_LOCAL_OUT, &w->own) == 0) {
		s->known = true;
		s->pid = w->own.pid;
		s->exe = w->own.exe[0] != '\0' ? w->own.exe : NULL;
		s->cgroup = w->own.cgroup[0] != '\0' ? w->own.cgroup : NULL;
		s->container = w->own.container[0] != '\0' ? w->own.container : NULL;
		if (!np->has_uid && w->own.has_uid) {
			s->uid = w->own.uid;	/* the socket's, from sock_diag */
			s->known = true;
		}
		s->how = attrib_how_name(w->own.how);
	} else {
		s->how = w->own.why;
	}
	us = clock_us(CLOCK_MONOTONIC) - t0;
	w->hist[us < ATTRIB_HIST_US ? us : ATTRIB_HIST_US]++;
	w->nlookups++;
	return s;
}

/* A decision into the worker's ring for `outgate top` (once a flow, not a packet). */
static void
keep_recent(struct worker *w, const struct pkt *p, const struct decision *dec,
    const struct nfqueue_pkt *np)
{
	struct recent *r;

	pthread_mutex_lock(&w->snap_mu);
	r = &w->recent[w->recent_next];
	w->recent_next = (w->recent_next + 1) % NRECENT;
	memset(r, 0, sizeof(*r));
	r->ts_us = clock_us(CLOCK_REALTIME);
	r->verdict = dec->verdict;
	r->would = dec->would;
	r->reason = dec->reason;
	r->proto = p->proto;
	r->src = p->src;
	r->dst = p->dst;
	r->sport = p->sport;
	r->dport = p->dport;
	snprintf(r->rule, sizeof(r->rule), "%s", dec->rule != NULL ? dec->rule : "-");
	if (dec->subject != NULL && dec->subject->exe != NULL)
		snprintf(r->who, sizeof(r->who), "%s", dec->subject->exe);
	else if (np->has_uid)
		snprintf(r->who, sizeof(r->who), "uid %u", np->uid);
	else
		snprintf(r->who, sizeof(r->who), "-");
	pthread_mutex_unlock(&w->snap_mu);
}

static void
decide_cb(void *arg, const struct nfqueue_pkt *np, struct nfqueue_verdict *v)
{
	struct worker *w = arg;
	struct decision dec;
	struct dlog_ctx lc;
	struct pkt p;
	uint64_t t0 = clock_us(CLOCK_MONOTONIC), us;
	size_t b;

	pkt_decode(&p, PKT_LINK_IP, np->data, np->caplen, np->wirelen);
	w->cur = np;
	engine_decide(w->e, &p, hint_of(np->hook), clock_us(CLOCK_MONOTONIC), &dec);
	set_verdict(w->d, np, &dec, v);
	if (v->verdict == NF_REPEAT)
		engine_offload(w->e, &dec);
	if (w->d->log != NULL && !dec.pending &&
	    (dec.new_flow || dec.checked || dec.flow_id == 0)) {
		memset(&lc, 0, sizeof(lc));
		lc.ts_us = clock_us(CLOCK_REALTIME);
		lc.has_uid = np->has_uid;
		lc.uid = np->uid;
		lc.has_gid = np->has_gid;
		lc.gid = np->gid;
		lc.mode = mode_name(w->d, w->pol);
		lc.policy_hash = w->pol->hash;
		dlog_decision(w->d->log, &p, &dec, &lc);
	}
	if (!dec.pending && dec.reason != REASON_NOT_IP &&
	    (dec.new_flow || dec.checked || dec.flow_id == 0))
		keep_recent(w, &p, &dec, np);
	us = clock_us(CLOCK_MONOTONIC) - t0;
	for (b = 0; b < NLAT && us > lat_le[b]; b++)
		;
	w->lat[b]++;
	w->lat_sum_us += us;
}

/* The flows seen last into w->flows (under snap_mu); now is the engine's clock. */
static void
snap_flows(struct worker *w, uint64_t now)
{
	const struct flow *fl[NFLOWSNAP];
	struct flowsnap *s;
	size_t i;

	w->nflows = flow_recent(engine_flows(w->e), fl, NFLOWSNAP);
	for (i = 0; i < w->nflows; i++) {
		s = &w->flows[i];
		memset(s, 0, sizeof(*s));
		s->proto = fl[i]->key.proto;
		s->verdict = fl[i]->verdict;
		s->would = fl[i]->would;
		s->kernel = fl[i]->cls == FLOW_CLASS_OFFLOADED;
		s->reason = fl[i]->reason;
		s->src = fl[i]->key.src;
		s->dst = fl[i]->key.dst;
		s->sport = fl[i]->key.sport;
		s->dport = fl[i]->key.dport;
		s->uid = fl[i]->uid;
		s->pid = fl[i]->pid;
		memcpy(s->pkts, fl[i]->pkts, sizeof(s->pkts));
		memcpy(s->bytes, fl[i]->bytes, sizeof(s->bytes));
		s->age_us = now > fl[i]->first_us ? now - fl[i]->first_us : 0;
		s->idle_us = now > fl[i]->last_us ? now - fl[i]->last_us : 0;
	}
}

/* Publish the worker's counters for the control thread (at most every SNAP_US). */
static void
publish(struct worker *w, bool now)
{
	uint64_t t = clock_us(CLOCK_MONOTONIC);

	if (!now && t - w->snap_at < SNAP_US)
		return;
	w->snap_at = t;
	pthread_mutex_lock(&w->snap_mu);
	engine_get_stats(w->e, &w->snap.es);
	nfqueue_get_stats(w->q, &w->snap.qs);
	if (w->at != NULL)
		attrib_get_stats(w->at, &w->snap.as);
	memcpy(w->snap.lat, w->lat, sizeof(w->lat));
	w->snap.lat_sum_us = w->lat_sum_us;
	if (w->ev != NULL)
		ctevents_get_stats(w->ev, &w->snap.cs);
	w->snap.ct_ended = w->ct_ended;
	snap_flows(w, t);
	pthread_mutex_unlock(&w->snap_mu);
}

/* engine_opts.flow_end: a flow_end record, at the wall clock. */
static void
daemon_flow_end(void *arg, const struct flow *f, uint64_t now_us)
{
	(void)now_us;	/* the engine's clock is monotonic here */
	dlog_flow_end(arg, f, clock_us(CLOCK_REALTIME), f->cls == FLOW_CLASS_OFFLOADED);
}

/*
 * ctseed_fn for a conntrack destroy event: a flow of ours the kernel
 * carried on has ended; it ends here too, now, with the kernel's counts
 * each way when it keeps them (its flow_end record then says so).
 */
static int
ct_gone(void *arg, const struct ctseed_entry *e)
{
	struct worker *w = arg;
	struct flow_table *t = engine_flows(w->e);
	struct flow *f;
	int dir, i;

	f = flow_lookup(t, &e->orig, clock_us(CLOCK_MONOTONIC), &dir);
	if (f == NULL || dir != FLOW_DIR_ORIG || f->cls != FLOW_CLASS_OFFLOADED)
		return 0;
	if (e->has_counters) {
		for (i = 0; i < 2; i++) {
			f->pkts[i] = e->pkts[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)e->pkts[i];
			f->bytes[i] = e->bytes[i];
		}
		f->kcounts = 1;
	}
	flow_delete(t, f);
	w->ct_ended++;
	return 0;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct daemon *d = w->d;
	struct pollfd pfd[2];
	char err[256];
	unsigned gen;

	if (sandbox_enter(err, sizeof(err)) == -1) {
		diag_warnx("queue=%u: %s", w->queue, err);
		atomic_store(&w->alive, false);
		atomic_store(&d->worker_failed, true);
		kill(getpid(), SIGTERM);
		return NULL;
	}
	pfd[0].fd = nfqueue_fd(w->q);
	pfd[0].events = POLLIN;
	if (w->ev != NULL) {
		pfd[1].fd = ctevents_fd(w->ev);
		pfd[1].events = POLLIN;
	}
	while (!atomic_load(&d->stop)) {
		gen = atomic_load(&d->gen);
		if (gen != atomic_load(&w->seen)) {
			/* d->pol was stored before d->gen: this is gen's policy or newer */
			w->pol = atomic_load(&d->pol);
			engine_set_policy(w->e, w->pol);
			atomic_store(&w->seen, gen);
		}
		/* on a timeout too: the counters and the log go on being published */
		if (poll(pfd, w->ev != NULL ? 2 : 1, WORKER_POLL_MS) <= 0)
			pfd[0].revents = pfd[1].revents = 0;
		if (w->ev != NULL && (pfd[1].revents & POLLIN))
			(void)ctevents_read(w->ev, ct_gone, w);
		if ((pfd[0].revents & POLLIN) &&
		    nfqueue_process(w->q, decide_cb, w, err, sizeof(err)) == -1) {
			/* the main thread decides what happens to the rules */
			diag_warnx("queue=%u: %s", w->queue, err);
			atomic_store(&w->alive, false);
			atomic_store(&d->worker_failed, true);
			kill(getpid(), SIGTERM);
			break;
		}
		dlog_tick(d->log, clock_us(CLOCK_REALTIME));
		dlog_flush(d->log);
		publish(w, false);
	}
	publish(w, true);
	return NULL;
}

/* Host mode: the addresses of this namespace tell who started a conntrack entry. */
static void
load_local_addrs(struct daemon *d)
{
	struct ifaddrs *ifa, *i;

	d->nlocal = 0;
	if (getifaddrs(&ifa) == -1) {
		diag_warn("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL && d->nlocal < MAX_LOCAL_ADDRS; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			addr_set4(&d->local[d->nlocal++], (const uint8_t *)
			    &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr);
		else if (i->ifa_addr->sa_family == AF_INET6)
			addr_set6(&d->local[d->nlocal++], (const uint8_t *)
			    &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
}

static bool
started_inside(const struct daemon *d, const struct addr *src)
{
	size_t i;

	if (d->o->rules.forward)
		return policy_is_local(atomic_load(&d->pol), src);
	for (i = 0; i < d->nlocal; i++)
		if (addr_eq(&d->local[i], src))
			return true;
	return false;
}

struct seed_count {
	struct daemon	*d;
	uint64_t	now;
	long		seeded;
};

/*
 * One conntrack entry: a flow we decided before (our mark) keeps its
 * decision; an unmarked flow the inside started is accepted, so a restart
 * cuts nothing; an unmarked inbound flow is left to the rules.
 */
static int
seed_one(void *arg, const struct ctseed_entry *ce)
{
	struct seed_count *sc = arg;
	struct daemon *d = sc->d;
	uint32_t ours = ce->mark & d->mask;
	bool inside = started_inside(d, &ce->orig.src);
	int verdict;
	size_t i;

	/* a TCP connection that is closing or closed needs no seed */
	if (ce->orig.proto == IPPROTO_TCP && ce->tcp_state >= CT_TCP_TIME_WAIT)
		return 0;
	if (ours == d->mark_accept)
		verdict = VERDICT_ACCEPT;
	else if (ours == d->mark_drop || ours == d->mark_reject)
		verdict = ours == d->mark_drop ? VERDICT_DROP : VERDICT_REJECT;
	else if (inside)
		verdict = VERDICT_ACCEPT;
	else
		return 0;
	for (i = 0; i < d->nw; i++)
		engine_seed(d->w[i].e, &ce->orig, inside ? FLOW_ORIGIN_INSIDE :
		    FLOW_ORIGIN_OUTSIDE, verdict, ours != 0, sc->now);
	sc->seeded++;
	return 0;
}


static bool
all_seen(struct daemon *d, unsigned target)
{
	size_t i;

	for (i = 0; i < d->nw; i++)
		if (d->w[i].started && atomic_load(&d->w[i].alive) &&
		    atomic_load(&d->w[i].seen) != target)
			return false;
	return true;
}

static void
reload(struct daemon *d)
{
	struct policy *next = NULL, *old;
	char err[1024];
	unsigned target;
	int waited;

	if (policy_load(&next, d->o->policy_path, d->o->lua_dir, err, sizeof(err)) == -1) {
		diag_warnx("reload failed, the old policy stays: %s", err);
		atomic_fetch_add(&d->reloads_failed, 1);
		return;
	}
	if (d->o->rules.forward && next->nlocal == 0) {
		diag_warnx("reload failed, the old policy stays: %s: --forward needs "
		    "local_nets", d->o->policy_path);
		atomic_fetch_add(&d->reloads_failed, 1);
		policy_free(next);
		return;
	}
	old = (struct policy *)atomic_load(&d->pol);
	atomic_store(&d->pol, next);
	target = atomic_fetch_add(&d->gen, 1) + 1;
	/*
	 * The old policy is freed only once every live worker runs this
	 * generation (so none can hold the old one, nor an older one).  A
	 * worker too slow to answer costs the old policy's memory, never a
	 * use after free.
	 */
	for (waited = 0; !all_seen(d, target); waited += 10) {
		if (waited >= RELOAD_WAIT_MS) {
			diag_warnx("reload: a worker did not take the new policy in %d ms; "
			    "the old one is kept in memory", RELOAD_WAIT_MS);
			old = NULL;
			break;
		}
		nanosleep(&(struct timespec){ 0, 10 * 1000000 }, NULL);
	}
	atomic_fetch_add(&d->reloads_ok, 1);
	diag_warnx("reload ok: policy=%s policy_hash=%s egress_rules=%zu inbound_rules=%zu",
	    d->o->policy_path, next->hash, next->negress, next->ninbound);
	policy_free(old);
}

static void
stop_workers(struct daemon *d)
{
	size_t i;

	atomic_store(&d->stop, true);
	for (i = 0; i < d->nw && d->w != NULL; i++)
		if (d->w[i].started)
			pthread_join(d->w[i].th, NULL);
}

/* The p-th percentile of a worker's attribution times, in µs. */
static unsigned
attrib_percentile(const struct worker *w, unsigned p)
{
	uint64_t want = (w->nlookups * p + 99) / 100, seen = 0;
	unsigned i;

	for (i = 0; i <= ATTRIB_HIST_US; i++)
		if ((seen += w->hist[i]) >= want && want > 0)
			return i;
	return 0;
}

static void
print_attrib_stats(const struct worker *w)
{
	struct attrib_stats as;

	attrib_get_stats(w->at, &as);
	diag_warnx("stopped: queue=%u attrib lookups=%llu found=%llu no_socket=%llu "
	    "no_process=%llu quick_hits=%llu rescans=%llu rescans_skipped=%llu "
	    "p50_us=%u p99_us=%u%s", w->queue, (unsigned long long)as.lookups,
	    (unsigned long long)as.found, (unsigned long long)as.no_socket,
	    (unsigned long long)as.no_process, (unsigned long long)as.quick_hits,
	    (unsigned long long)as.rescans, (unsigned long long)as.rescans_skipped,
	    attrib_percentile(w, 50), attrib_percentile(w, 99),
	    attrib_percentile(w, 99) >= ATTRIB_HIST_US ? "+" : "");
}

static void
print_stats(const struct daemon *d)
{
	struct nfqueue_stats qs;
	struct engine_stats es;
	size_t i;

	for (i = 0; i < d->nw; i++) {
		if (d->w[i].q == NULL)
			continue;
		nfqueue_get_stats(d->w[i].q, &qs);
		engine_get_stats(d->w[i].e, &es);
		diag_warnx("stopped: queue=%u packets=%llu accepted=%llu dropped=%llu "
		    "rejected=%llu enobufs=%llu", d->w[i].queue,
		    (unsigned long long)es.packets,
		    (unsigned long long)es.by_verdict[VERDICT_ACCEPT],
		    (unsigned long long)es.by_verdict[VERDICT_DROP],
		    (unsigned long long)es.by_verdict[VERDICT_REJECT],
		    (unsigned long long)qs.enobufs);
		if (es.checks > 0 || es.dns_learnt > 0 || es.inspect_no_slot > 0)
			diag_warnx("stopped: queue=%u checks=%llu check_errors=%llu "
			    "inspect_no_slot=%llu dns_learnt=%llu dns_ignored=%llu",
			    d->w[i].queue, (unsigned long long)es.checks,
			    (unsigned long long)es.check_errors,
			    (unsigned long long)es.inspect_no_slot,
			    (unsigned long long)es.dns_learnt,
			    (unsigned long long)es.dns_ignored);
		if (d->w[i].at != NULL)
			print_attrib_stats(&d->w[i]);
	}
}

/* The kernel's drop counters of queue q (nfnetlink_queue: queue_dropped + user_dropped). */
static uint64_t
kernel_queue_drops(uint16_t q)
{
	unsigned long num, pid, total, mode, range, qdrop, udrop, seq;
	uint64_t drops = 0;
	char line[256];
	FILE *fp;

	if ((fp = fopen("/proc/net/netfilter/nfnetlink_queue", "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "%lu %lu %lu %lu %lu %lu %lu %lu", &num, &pid, &total,
		    &mode, &range, &qdrop, &udrop, &seq) == 8 && num == q)
			drops = (uint64_t)qdrop + udrop;
	fclose(fp);
	return drops;
}

static int
cmp_recent(const void *a, const void *b)
{
	const struct recent *x = a, *y = b;

	return x->ts_us < y->ts_us ? 1 : x->ts_us > y->ts_us ? -1 : 0;
}

/*
 * control_write_fn for "recent": the latest decisions of every worker,
 * newest first, one a line, tab-separated: time, verdict, would, reason,
 * rule, proto, source, destination, owner.
 */
static void
write_recent(void *arg, FILE *out)
{
	struct daemon *d = arg;
	struct recent *all;
	char src[ADDR_STRLEN], dst[ADDR_STRLEN], when[32];
	const char *pn;
	size_t i, n = 0;
	time_t t;

	if ((all = calloc(d->nw * NRECENT, sizeof(*all))) == NULL)
		return;
	for (i = 0; i < d->nw; i++) {
		pthread_mutex_lock(&d->w[i].snap_mu);
		memcpy(all + n, d->w[i].recent, sizeof(d->w[i].recent));
		pthread_mutex_unlock(&d->w[i].snap_mu);
		n += NRECENT;
	}
	qsort(all, n, sizeof(*all), cmp_recent);
	for (i = 0; i < n && all[i].ts_us != 0; i++) {
		t = (time_t)(all[i].ts_us / 1000000);
		strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
		pn = pkt_proto_name(all[i].proto);
		fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s:%u\t%s:%u\t%s\n", when,
		    engine_verdict_name(all[i].verdict), engine_verdict_name(all[i].would),
		    engine_reason_name(all[i].reason), all[i].rule, pn != NULL ? pn : "?",
		    addr_format(&all[i].src, src, sizeof(src)), all[i].sport,
		    addr_format(&all[i].dst, dst, sizeof(dst)), all[i].dport, all[i].who);
	}
	free(all);
}

/*
 * control_write_fn for "health": one line, "ok ..." once every queue is
 * bound and its worker runs, else "starting" or "failing: why".
 */
static void
write_health(void *arg, FILE *out)
{
	struct daemon *d = arg;
	const struct policy *pol = atomic_load(&d->pol);
	size_t i;

	if (!atomic_load(&d->running)) {
		fprintf(out, "starting: the workers are not running yet\n");
		return;
	}
	for (i = 0; i < d->nw; i++) {
		if (!atomic_load(&d->w[i].alive)) {
			fprintf(out, "failing: the worker of queue %u has stopped\n",
			    d->w[i].queue);
			return;
		}
	}
	fprintf(out, "ok queues=%u:%u policy_hash=%s\n", d->o->queue_lo, d->o->queue_hi,
	    pol->hash);
}

/*
 * control_write_fn for "flows": the flows each worker saw last, one a line,
 * tab-separated: proto, source, destination, verdict, would, reason,
 * owner (pid, else uid, else -), packets out/in, bytes out/in, age and
 * idle seconds, and "kernel" when the kernel carries the rest of it.
 */
static void
write_flows(void *arg, FILE *out)
{
	struct daemon *d = arg;
	struct flowsnap *all, *s;
	char src[ADDR_STRLEN], dst[ADDR_STRLEN], who[32];
	const char *pn;
	size_t i, n = 0;

	if ((all = calloc(d->nw * NFLOWSNAP, sizeof(*all))) == NULL)
		return;
	for (i = 0; i < d->nw; i++) {
		pthread_mutex_lock(&d->w[i].snap_mu);
		memcpy(all + n, d->w[i].flows, d->w[i].nflows * sizeof(*all));
		n += d->w[i].nflows;
		pthread_mutex_unlock(&d->w[i].snap_mu);
	}
	for (i = 0; i < n; i++) {
		s = &all[i];
		pn = pkt_proto_name(s->proto);
		if (s->pid != 0)
			snprintf(who, sizeof(who), "pid %u", s->pid);
		else if (s->uid != POLICY_ID_NONE)
			snprintf(who, sizeof(who), "uid %u", s->uid);
		else
			snprintf(who, sizeof(who), "-");
		fprintf(out, "%s\t%s:%u\t%s:%u\t%s\t%s\t%s\t%s\t%u\t%u\t%llu\t%llu\t%.1f\t%.1f\t%s\n",
		    pn != NULL ? pn : "?", addr_format(&s->src, src, sizeof(src)), s->sport,
		    addr_format(&s->dst, dst, sizeof(dst)), s->dport,
		    engine_verdict_name(s->verdict), engine_verdict_name(s->would),
		    engine_reason_name(s->reason), who, s->pkts[0], s->pkts[1],
		    (unsigned long long)s->bytes[0], (unsigned long long)s->bytes[1],
		    s->age_us / 1e6, s->idle_us / 1e6, s->kernel ? "kernel" : "-");
	}
	free(all);
}

#define METRIC(out, name, type, help) \
	fprintf(out, "# HELP " name " " help "\n# TYPE " name " " type "\n")

/* control_write_fn: every counter and gauge, Prometheus text format 0.0.4. */
static void
write_metrics(void *arg, FILE *out)
{
	struct daemon *d = arg;
	struct worker_snap *s;
	struct luart_stats ls;
	size_t i, n = d->nw;
	uint64_t cum;
	int v, r, b;

	if ((s = calloc(n, sizeof(*s))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&d->w[i].snap_mu);
		s[i] = d->w[i].snap;
		pthread_mutex_unlock(&d->w[i].snap_mu);
	}
	METRIC(out, "outgate_decisions_total", "counter", "Packets decided, by verdict and reason.");
	for (v = 0; v <= VERDICT_REJECT; v++)
		for (r = 0; r < REASON_COUNT; r++) {
			uint64_t c = 0;

			for (i = 0; i < n; i++)
				c += s[i].es.by_verdict_reason[v][r];
			if (c > 0)
				fprintf(out, "outgate_decisions_total{verdict=\"%s\",reason=\"%s\"} %llu\n",
				    engine_verdict_name(v), engine_reason_name(r),
				    (unsigned long long)c);
		}
	METRIC(out, "outgate_queue_packets_total", "counter", "Packets received from the queue.");
	for (i = 0; i < n; i++)
		fprintf(out, "outgate_queue_packets_total{queue=\"%u\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].qs.packets);
	METRIC(out, "outgate_queue_drops_total", "counter", "Packets the kernel dropped on the queue (full, or no reader).");
	for (i = 0; i < n; i++)
		fprintf(out, "outgate_queue_drops_total{queue=\"%u\"} %llu\n",
		    d->w[i].queue, (unsigned long long)kernel_queue_drops(d->w[i].queue));
	METRIC(out, "outgate_queue_enobufs_total", "counter", "Receive overruns (ENOBUFS) on the queue socket.");
	for (i = 0; i < n; i++)
		fprintf(out, "outgate_queue_enobufs_total{queue=\"%u\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].qs.enobufs);
	METRIC(out, "outgate_conntrack_events_total", "counter", "Conntrack destroy events, by what came of them: an offloaded flow ended, another connection, lost (the kernel dropped them).");
	for (i = 0; i < n; i++) {
		fprintf(out, "outgate_conntrack_events_total{queue=\"%u\",result=\"flow_ended\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].ct_ended);
		fprintf(out, "outgate_conntrack_events_total{queue=\"%u\",result=\"other\"} %llu\n",
		    d->w[i].queue, (unsigned long long)(s[i].cs.events - s[i].ct_ended));
		fprintf(out, "outgate_conntrack_events_total{queue=\"%u\",result=\"lost\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].cs.lost);
	}
	METRIC(out, "outgate_flows", "gauge", "Flows in the table.");
	for (i = 0; i < n; i++)
		fprintf(out, "outgate_flows{queue=\"%u\"} %zu\n", d->w[i].queue, s[i].es.flows);
	METRIC(out, "outgate_dns_entries", "gauge", "Entries of the DNS provenance table.");
	for (i = 0; i < n; i++)
		fprintf(out, "outgate_dns_entries{queue=\"%u\"} %zu\n", d->w[i].queue,
		    s[i].es.dns_entries);
	METRIC(out, "outgate_attrib_lookups_total", "counter", "Process lookups, by result.");
	for (i = 0; i < n; i++) {
		fprintf(out, "outgate_attrib_lookups_total{queue=\"%u\",result=\"found\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].as.found);
		fprintf(out, "outgate_attrib_lookups_total{queue=\"%u\",result=\"no_socket\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].as.no_socket);
		fprintf(out, "outgate_attrib_lookups_total{queue=\"%u\",result=\"no_process\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].as.no_process);
	}
	METRIC(out, "outgate_attrib_cgroup_by_id_total", "counter",
	    "Owners whose cgroup came from the socket's cgroup id, not /proc.");
	for (i = 0; i < n; i++)
		fprintf(out, "outgate_attrib_cgroup_by_id_total{queue=\"%u\"} %llu\n",
		    d->w[i].queue, (unsigned long long)s[i].as.cgroup_by_id);
	check_lua_stats(atomic_load(&d->pol), &ls);
	METRIC(out, "outgate_lua_checks_total", "counter", "Lua checks run, and those that failed.");
	for (i = 0, cum = 0; i < n; i++)
		cum += s[i].es.checks;
	fprintf(out, "outgate_lua_checks_total{result=\"run\"} %llu\n", (unsigned long long)cum);
	for (i = 0, cum = 0; i < n; i++)
		cum += s[i].es.check_errors;
	fprintf(out, "outgate_lua_checks_total{result=\"error\"} %llu\n", (unsigned long long)cum);
	METRIC(out, "outgate_lua_stops_total", "counter", "Lua calls of the running policy stopped, by cause.");
	fprintf(out, "outgate_lua_stops_total{cause=\"budget\"} %llu\n", (unsigned long long)ls.budget);
	fprintf(out, "outgate_lua_stops_total{cause=\"memory\"} %llu\n", (unsigned long long)ls.oom);
	fprintf(out, "outgate_lua_stops_total{cause=\"error\"} %llu\n", (unsigned long long)ls.runtime);
	METRIC(out, "outgate_reloads_total", "counter", "Policy reloads (SIGHUP), by result.");
	fprintf(out, "outgate_reloads_total{result=\"ok\"} %llu\n",
	    (unsigned long long)atomic_load(&d->reloads_ok));
	fprintf(out, "outgate_reloads_total{result=\"failed\"} %llu\n",
	    (unsigned long long)atomic_load(&d->reloads_failed));
	if (d->log != NULL) {
		METRIC(out, "outgate_log_records_left_out_total", "counter", "Decision records left out by --log-rate.");
		fprintf(out, "outgate_log_records_left_out_total %llu\n",
		    (unsigned long long)dlog_suppressed(d->log));
		METRIC(out, "outgate_log_write_errors_total", "counter", "Decision records that could not be written.");
		fprintf(out, "outgate_log_write_errors_total %llu\n",
		    (unsigned long long)dlog_errors(d->log));
	}
	METRIC(out, "outgate_verdict_latency_seconds", "histogram", "Time from a packet's arrival to its verdict, in userspace.");
	for (i = 0; i < n; i++) {
		for (b = 0, cum = 0; b < NLAT; b++) {
			cum += s[i].lat[b];
			fprintf(out, "outgate_verdict_latency_seconds_bucket{queue=\"%u\",le=\"%g\"} %llu\n",
			    d->w[i].queue, lat_le[b] / 1e6, (unsigned long long)cum);
		}
		cum += s[i].lat[NLAT];
		fprintf(out, "outgate_verdict_latency_seconds_bucket{queue=\"%u\",le=\"+Inf\"} %llu\n",
		    d->w[i].queue, (unsigned long long)cum);
		fprintf(out, "outgate_verdict_latency_seconds_sum{queue=\"%u\"} %g\n",
		    d->w[i].queue, s[i].lat_sum_us / 1e6);
		fprintf(out, "outgate_verdict_latency_seconds_count{queue=\"%u\"} %llu\n",
		    d->w[i].queue, (unsigned long long)cum);
	}
	free(s);
}

/*
 * Least privilege once the queues are bound and the rules are in, before
 * any thread starts: CAP_NET_ADMIN (verdicts, and removing the rules at
 * exit), and for attribution whatever
 * we have of CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (other users' /proc).
 * With --user the rules' removal runs iptables-restore as that user, so
 * CAP_NET_ADMIN is then also an ambient capability.
 */
static int
drop_privileges(struct daemon *d, bool rules_in, char *err, size_t errlen)
{
	const struct daemon_opts *o = d->o;
	uint64_t keep = PRIVDROP_CAP(CAP_NET_ADMIN), eff, prm, bnd, amb;
	uint64_t more = PRIVDROP_CAP(CAP_SYS_PTRACE) | PRIVDROP_CAP(CAP_DAC_READ_SEARCH);

	if (!o->no_attrib && privdrop_read_caps(0, &eff, &prm, &bnd, &amb) == 0)
		keep |= prm & more;
	return privdrop_apply(o->has_user ? &o->user : NULL, keep,
	    o->has_user && rules_in, err, errlen);
}

int
daemon_run(const struct daemon_opts *o)
{
	struct daemon d;
	struct policy *pol = NULL;
	struct engine_opts eo;
	struct nfqueue_opts qo;
	struct seed_count sc;
	struct ctseed_stats cs;
	struct control_answers answers = { write_metrics, write_recent, write_health,
	    write_flows, NULL };
	sigset_t sigs;
	char err[1024];
	bool rules_in = false, ct_counts = o->log_path != NULL || o->syslog != NULL;
	uint64_t wd;
	size_t i;
	int sig, ret = 2;

	memset(&d, 0, sizeof(d));
	memset(&sc, 0, sizeof(sc));
	d.o = o;
	answers.arg = &d;
	if (policy_load(&pol, o->policy_path, o->lua_dir, err, sizeof(err)) == -1) {
		diag_warnx("%s", err);
		return 2;
	}
	atomic_store(&d.pol, pol);
	if (o->rules.forward && pol->nlocal == 0) {
		/* without an inside, every forwarded packet would look outbound */
		diag_warnx("run: %s: --forward needs local_nets (the inside) in the policy",
		    o->policy_path);
		goto out;
	}
	d.mask = o->rules.mark_mask;
	if (fwrules_marks(d.mask, &d.mark_accept, &d.mark_drop, &d.mark_reject) == -1) {
		diag_warnx("run: --mark-mask 0x%08x: needs two or more contiguous bits",
		    d.mask);
		goto out;
	}

	/* signals are taken by the main thread alone, with sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	d.nw = (size_t)(o->queue_hi - o->queue_lo) + 1;
	if ((d.w = calloc(d.nw, sizeof(*d.w))) == NULL) {
		diag_warnx("run: out of memory");
		goto out;
	}
	/* what needs root: the queues, attribution's first look, the rules */
	if (ct_counts && ctevents_enable_counters(err, sizeof(err)) == -1)
		diag_warnx("run: conntrack counters not turned on (%s): flow_end "
		    "records count what the gateway saw", err);
	memset(&qo, 0, sizeof(qo));
	qo.fail_open = o->rules.fail_open;
	for (i = 0; i < d.nw; i++) {
		d.w[i].d = &d;
		d.w[i].pol = pol;
		pthread_mutex_init(&d.w[i].snap_mu, NULL);
		atomic_store(&d.w[i].alive, true);
		d.w[i].queue = (uint16_t)(o->queue_lo + i);
		if (!o->no_attrib &&
		    (d.w[i].at = attrib_new("/proc", err, sizeof(err))) == NULL) {
			diag_warnx("run: attribution: %s (or --no-attrib)", err);
			goto out;
		}
		if (d.w[i].at != NULL) {
			attrib_set_cmdline(d.w[i].at, false);	/* nothing uses it yet */
			attrib_prime(d.w[i].at);
		}
		qo.queue = d.w[i].queue;
		if ((d.w[i].q = nfqueue_open(&qo, err, sizeof(err))) == NULL) {
			diag_warnx("%s", err);
			goto out;
		}
		/* with a log: offloaded flows end when the kernel's connection does */
		if (ct_counts && (d.w[i].ev = ctevents_open(err, sizeof(err))) == NULL) {
			diag_warnx("run: %s: offloaded flows end by their timeouts", err);
			ct_counts = false;
		}
	}
	if (o->rules.backend != FWRULES_NONE) {
		if (fwrules_install(&o->rules, err, sizeof(err)) == -1) {
			diag_warnx("%s", err);
			goto out;
		}
		rules_in = true;
	}
	if (drop_privileges(&d, rules_in, err, sizeof(err)) == -1 ||
	    (!o->no_seccomp && sandbox_prepare(err, sizeof(err)) == -1)) {
		diag_warnx("run: %s", err);
		goto out;
	}

	/* the rest as the user we run as: its log file is its own */
	if (o->syslog != NULL && (d.log = dlog_open_syslog(o->syslog,
	    mode_name(&d, pol), pol->hash, err, sizeof(err))) == NULL) {
		diag_warnx("%s", err);
		goto out;
	}
	if (o->syslog == NULL && o->log_path != NULL && (d.log = dlog_open(o->log_path,
	    mode_name(&d, pol), pol->hash, err, sizeof(err))) == NULL) {
		diag_warnx("%s", err);
		goto out;
	}
	memset(&eo, 0, sizeof(eo));
	eo.flow_capacity = o->flows;
	eo.mode = o->mode;
	eo.owner = worker_owner;
	if (d.log != NULL) {
		dlog_set_rate(d.log, o->log_rate);
		eo.flow_end = daemon_flow_end;
		eo.flow_end_arg = d.log;
	}
	for (i = 0; i < d.nw; i++) {
		eo.owner_arg = &d.w[i];
		if ((d.w[i].e = engine_new(pol, &eo)) == NULL) {
			diag_warnx("run: out of memory for the flow table");
			goto out;
		}
	}
	/*
	 * The seed comes after the rules: a connection that starts while they
	 * go in is then either in the dump or waiting in the queue with its SYN.
	 */
	if (!o->no_seed) {
		sc.d = &d;
		sc.now = clock_us(CLOCK_MONOTONIC);
		load_local_addrs(&d);
		if (ctseed_dump(seed_one, &sc, &cs, err, sizeof(err)) == -1)
			diag_warnx("run: conntrack not read, nothing seeded: %s", err);
		else if (cs.malformed > 0 || cs.interrupted > 0)
			diag_warnx("run: conntrack read with gaps: malformed=%llu "
			    "interrupted=%llu (entries that changed meanwhile may be missing)",
			    (unsigned long long)cs.malformed,
			    (unsigned long long)cs.interrupted);
	}
	if ((o->control_path != NULL || o->metrics_addr != NULL) &&
	    (d.ctl = control_start(o->control_path, o->metrics_addr, &answers,
	    err, sizeof(err))) == NULL) {
		diag_warnx("%s", err);
		goto out;
	}
	for (i = 0; i < d.nw; i++) {
		if (pthread_create(&d.w[i].th, NULL, worker_main, &d.w[i]) != 0) {
			diag_warnx("run: cannot start a worker thread");
			goto out;
		}
		d.w[i].started = true;
	}
	atomic_store(&d.running, true);
	diag_warnx("ready: queues=%u:%u rules=%s mode=%s policy_hash=%s seeded=%ld%s",
	    o->queue_lo, o->queue_hi, o->rules.backend == FWRULES_NONE ? "none" :
	    "installed", mode_name(&d, pol), pol->hash, o->no_seed ? 0L : sc.seeded,
	    o->rules.fail_open ? " fail_open" : "");

	snprintf(err, sizeof(err), "READY=1\nSTATUS=queues %u:%u, policy_hash %s",
	    o->queue_lo, o->queue_hi, pol->hash);
	(void)sdnotify(err);
	wd = sdnotify_watchdog_us();
	for (;;) {
		if (wd == 0) {
			if (sigwait(&sigs, &sig) != 0)
				continue;
		} else {
			/* alive: twice a watchdog period, while every worker lives */
			struct timespec ts = { (time_t)(wd / 2000000),
			    (long)(wd / 2 % 1000000) * 1000 };

			if ((sig = sigtimedwait(&sigs, NULL, &ts)) == -1) {
				if (!atomic_load(&d.worker_failed))
					(void)sdnotify("WATCHDOG=1");
				continue;
			}
		}
		if (sig == SIGUSR1) {
			if (dlog_reopen(d.log, err, sizeof(err)) == -1)
				diag_warnx("%s", err);
			else if (d.log != NULL)
				diag_warnx("log reopened: %s", o->log_path);
			continue;
		}
		if (sig == SIGHUP) {
			(void)sdnotify("RELOADING=1");
			reload(&d);
			(void)sdnotify("READY=1");
			continue;
		}
		if (atomic_load(&d.worker_failed))
			break;
		diag_warnx("stopping on %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
		break;
	}
	(void)sdnotify("STOPPING=1");
	ret = 0;
	if (atomic_load(&d.worker_failed)) {
		ret = 1;
		/*
		 * A queue no one reads drops what it holds: that is fail-closed,
		 * so the rules stay unless the user chose fail-open.
		 */
		if (!o->rules.fail_open) {
			diag_warnx("a worker failed: rules left in place (fail-closed); "
			    "restart with --replace, or outgate rules remove");
			rules_in = false;
		} else {
			diag_warnx("a worker failed: removing the rules (fail-open)");
		}
	}
out:
	/* rules first, so that nothing new waits for a queue that is going away */
	atomic_store(&d.stopping, true);
	if (rules_in && fwrules_remove(&o->rules, err, sizeof(err)) == -1) {
		diag_warnx("%s", err);
		ret = 2;
	}
	control_stop(d.ctl);	/* before the workers it reads */
	stop_workers(&d);
	if (ret == 0)
		print_stats(&d);
	for (i = 0; i < d.nw && d.w != NULL; i++) {
		nfqueue_close(d.w[i].q);
		ctevents_close(d.w[i].ev);
		engine_free(d.w[i].e);
		attrib_free(d.w[i].at);
	}
	free(d.w);
	dlog_close(d.log);
	policy_free((struct policy *)atomic_load(&d.pol));
	return ret;
}
