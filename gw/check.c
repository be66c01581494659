/*
 * check.c - a rule's Lua check on one flow: ctx from the flow, its
 * inspection and its rule; the call under the sandbox's budgets; the answer.
 * Must never let a check's failure pass as an accept, nor touch the Lua
 * state outside a protected call (where an allocation failure would panic).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "check.h"
#include "engine.h"
#include "lua_rt.h"
#include "tls.h"

static pthread_mutex_t lua_lock = PTHREAD_MUTEX_INITIALIZER;
static char rules_key;		/* registry: rule key -> its ctx.rule table */

struct call {
	const struct policy	*pol;
	const struct policy_rule *rule;
	int			rule_key;	/* egress i: i + 1, inbound i: -(i + 1) */
	const struct flow	*f;
	const struct inspect_info *fi;
	const char		*dir;
};

static void
set_str(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

static void
set_int(lua_State *L, const char *k, lua_Integer v)
{
	lua_pushinteger(L, v);
	lua_setfield(L, -2, k);
}

static void
set_bool(lua_State *L, const char *k, bool v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

/* ctx.rule: one table per rule, made once, so checks may cache by it. */
static void
push_rule(lua_State *L, const struct call *c)
{
	size_t i;

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &rules_key) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &rules_key);
	}
	if (lua_rawgeti(L, -1, c->rule_key) == LUA_TTABLE) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	lua_createtable(L, 0, 2);
	set_str(L, "name", c->rule->name);
	if (c->rule->nhosts > 0) {
		lua_createtable(L, (int)c->rule->nhosts, 0);
		for (i = 0; i < c->rule->nhosts; i++) {
			lua_pushstring(L, c->rule->hosts[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lua_setfield(L, -2, "host");
	}
	lua_pushvalue(L, -1);
	lua_rawseti(L, -3, c->rule_key);
	lua_remove(L, -2);
}

static void
push_flow(lua_State *L, const struct call *c)
{
	const struct flow *f = c->f;
	const char *proto = pkt_proto_name(f->key.proto);
	char buf[64];

	lua_createtable(L, 0, 7);
	if (proto != NULL)
		set_str(L, "proto", proto);
	else
		set_int(L, "proto", f->key.proto);
	set_str(L, "src", addr_format(&f->key.src, buf, sizeof(buf)));
	set_int(L, "sport", f->key.sport);
	set_str(L, "dst", addr_format(&f->key.dst, buf, sizeof(buf)));
	set_int(L, "dport", f->key.dport);
	set_str(L, "dir", c->dir);
	set_int(L, "id", (lua_Integer)f->id);
}

static void
push_subject(lua_State *L, const struct policy_subject *s)
{
	lua_createtable(L, 0, 6);
	set_bool(L, "known", s != NULL && s->known);
	if (s == NULL || !s->known)
		return;
	if (s->uid != POLICY_ID_NONE)
		set_int(L, "uid", s->uid);
	if (s->gid != POLICY_ID_NONE)
		set_int(L, "gid", s->gid);
	if (s->pid != 0)
		set_int(L, "pid", s->pid);
	if (s->exe != NULL)
		set_str(L, "exe", s->exe);
	if (s->cgroup != NULL)
		set_str(L, "cgroup", s->cgroup);
}

/* A copy of s lower-cased, without a trailing dot. */
static void
push_lower_name(lua_State *L, const char *s)
{
	char buf[DNS_NAME_BUF];

	lua_pushlstring(L, buf, dns_name_lower(buf, sizeof(buf), s));
}

static void
push_type(lua_State *L, uint16_t t)
{
	const char *name = dns_type_name(t);

	if (name != NULL)
		lua_pushstring(L, name);
	else
		lua_pushfstring(L, "TYPE%d", (int)t);
}

static void
push_dns(lua_State *L, const struct dns_msg *m)
{
	char buf[64];
	size_t i;

	lua_createtable(L, 0, 5);
	if (m->has_question) {
		push_lower_name(L, m->qname);
		lua_setfield(L, -2, "qname");
		push_type(L, m->qtype);
		lua_setfield(L, -2, "qtype");
		set_int(L, "qtype_num", m->qtype);
	}
	set_bool(L, "response", m->response);
	lua_createtable(L, (int)m->nanswers, 0);
	for (i = 0; i < m->nanswers; i++) {
		const struct dns_answer *a = &m->an[i];
		struct addr ad;

		lua_createtable(L, 0, 4);
		push_lower_name(L, a->name);
		lua_setfield(L, -2, "name");
		push_type(L, a->type);
		lua_setfield(L, -2, "type");
		set_int(L, "ttl", a->ttl);
		if (a->type == DNS_T_A || a->type == DNS_T_AAAA) {
			if (a->type == DNS_T_A)
				addr_set4(&ad, a->addr);
			else
				addr_set6(&ad, a->addr);
			set_str(L, "data", addr_format(&ad, buf, sizeof(buf)));
		} else {
			push_lower_name(L, a->cname);
			lua_setfield(L, -2, "data");
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "answers");
}

static void
push_alpn(lua_State *L, const struct inspect_info *fi)
{
	const char *p, *comma;
	int n = 0;

	lua_newtable(L);
	for (p = fi->alpn; *p != '\0'; p = *comma != '\0' ? comma + 1 : comma) {
		if ((comma = strchr(p, ',')) == NULL)
			comma = p + strlen(p);
		lua_pushlstring(L, p, (size_t)(comma - p));
		lua_rawseti(L, -2, ++n);
	}
}

static void
push_versions(lua_State *L, const struct inspect_info *fi)
{
	const char *v;
	size_t i;
	int n = 0;

	lua_newtable(L);
	for (i = 0; i < fi->nversions; i++)
		if ((v = tls_version_name(fi->versions[i])) != NULL) {
			lua_pushstring(L, v);
			lua_rawseti(L, -2, ++n);
		}
}

/*
 * The call being made; ctx's fields are built from it on first use.  Only
 * read under lua_lock, and NULL outside a call, so a ctx that a check kept
 * somewhere reads as empty afterwards instead of pointing at a gone flow.
 */
static const struct call *current;

/* ctx.tls's __index: its lists, built when a check first reads them. */
static int
tls_index(lua_State *L)
{
	const char *k = lua_tostring(L, 2);

	if (current == NULL || current->fi == NULL || k == NULL)
		return 0;
	if (strcmp(k, "alpn") == 0)
		push_alpn(L, current->fi);
	else if (strcmp(k, "versions") == 0)
		push_versions(L, current->fi);
	else
		return 0;
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -2);
	lua_rawset(L, 1);
	return 1;
}

static char tls_meta_key;

static void
push_tls(lua_State *L, const struct inspect_info *fi)
{
	const char *v;

	lua_createtable(L, 0, 5);
	if (fi->sni[0] != '\0')
		set_str(L, "sni", fi->sni);
	if ((v = tls_version_name(fi->max_version)) != NULL)
		set_str(L, "version", v);
	set_bool(L, "ech", fi->ech);
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &tls_meta_key) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_createtable(L, 0, 2);
		lua_pushcfunction(L, tls_index);
		lua_setfield(L, -2, "__index");
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");	/* as ctx's */
		lua_pushvalue(L, -1);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &tls_meta_key);
	}
	lua_setmetatable(L, -2);
}

static void
push_http(lua_State *L, const struct inspect_info *fi)
{
	lua_createtable(L, 0, 4);
	set_str(L, "method", fi->method);
	set_str(L, "target", fi->target);
	if (fi->host[0] != '\0')
		set_str(L, "host", fi->host);
	lua_pushfstring(L, "HTTP/%d.%d", (int)fi->http_major, (int)fi->http_minor);
	lua_setfield(L, -2, "version");
}

static void
push_icmp(lua_State *L, const struct inspect_info *fi, bool v6)
{
	bool echo = v6 ? fi->icmp_type == 128 || fi->icmp_type == 129 :
	    fi->icmp_type == 8 || fi->icmp_type == 0;

	lua_createtable(L, 0, 5);
	set_int(L, "type", fi->icmp_type);
	set_int(L, "code", fi->icmp_code);
	if (echo) {
		set_int(L, "id", fi->icmp_id);
		set_int(L, "seq", fi->icmp_seq);
	}
	set_int(L, "len", fi->icmp_len);
}

enum ctx_field {
	CTX_NONE, CTX_FLOW, CTX_SUBJECT, CTX_RULE, CTX_DNS, CTX_TLS, CTX_HTTP,
	CTX_QUIC, CTX_ICMP, CTX_PAYLOAD,
};

/* Which field k names: its first letter, then one comparison. */
static enum ctx_field
ctx_field(const char *k)
{
	static const struct {
		const char	*name;
		enum ctx_field	 field;
	} by_letter[] = {
		{ "dns", CTX_DNS }, { "flow", CTX_FLOW }, { "http", CTX_HTTP },
		{ "icmp", CTX_ICMP }, { "payload", CTX_PAYLOAD },
		{ "quic", CTX_QUIC }, { "rule", CTX_RULE },
		{ "subject", CTX_SUBJECT }, { "tls", CTX_TLS },
	};
	size_t i;

	for (i = 0; i < sizeof(by_letter) / sizeof(by_letter[0]); i++)
		if (by_letter[i].name[0] == k[0])
			return strcmp(by_letter[i].name, k) == 0 ?
			    by_letter[i].field : CTX_NONE;
	return CTX_NONE;
}

/* ctx's __index: build the field k once, keep it in ctx, return it. */
static int
ctx_index(lua_State *L)
{
	const struct call *c = current;
	const struct inspect_info *fi;
	const char *k = lua_tostring(L, 2);

	if (c == NULL || k == NULL)
		return 0;
	fi = c->fi;
	switch (ctx_field(k)) {
	case CTX_FLOW:
		push_flow(L, c);
		break;
	case CTX_SUBJECT:
		push_subject(L, fi != NULL ? &fi->subject : NULL);
		break;
	case CTX_RULE:
		push_rule(L, c);
		break;
	case CTX_DNS:
		if (fi == NULL || fi->dns == NULL || fi->proto != INSPECT_DNS)
			return 0;
		push_dns(L, fi->dns);
		break;
	case CTX_TLS:
		if (fi != NULL && fi->tls)
			push_tls(L, fi);
		else if (fi != NULL && fi->tls_error != NULL) {
			lua_createtable(L, 0, 1);
			set_str(L, "error", fi->tls_error);
		} else
			return 0;
		break;
	case CTX_HTTP:
		if (fi == NULL || !fi->http)
			return 0;
		push_http(L, fi);
		break;
	case CTX_QUIC:
		if (fi == NULL || fi->proto != INSPECT_QUIC)
			return 0;
		lua_pushboolean(L, 1);
		break;
	case CTX_ICMP:
		if (fi == NULL || fi->proto != INSPECT_ICMP)
			return 0;
		push_icmp(L, fi, c->f->key.proto == IPPROTO_ICMPV6);
		break;
	case CTX_PAYLOAD:
		if (fi == NULL || fi->payload_len == 0)
			return 0;
		lua_pushlstring(L, (const char *)fi->payload, fi->payload_len);
		break;
	default:
		return 0;
	}
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -2);
	lua_rawset(L, 1);
	return 1;
}

/*
 * One ctx table a state, kept in the registry and emptied after each call:
 * a check that only reads a field or two then allocates nothing, and leaves
 * no garbage to collect.  Its metatable is set again before each call.  The
 * registry holds { ctx, its metatable } at ctx_key: one hashed look-up.
 */
static char ctx_key;

/* In protected mode: 1 the check; makes the ctx, calls it, returns 2 values. */
static int
build_and_call(lua_State *L)
{
	lua_createtable(L, 2, 0);		/* 2: { ctx, metatable } */
	lua_createtable(L, 0, 0);		/* 3: ctx */
	lua_createtable(L, 0, 2);		/* 4: its metatable */
	lua_pushcfunction(L, ctx_index);
	lua_setfield(L, 4, "__index");
	/* a check may neither read nor change it (a __gc put in it would run
	 * outside any check's budget) */
	lua_pushboolean(L, 0);
	lua_setfield(L, 4, "__metatable");
	lua_pushvalue(L, 4);
	lua_setmetatable(L, 3);
	lua_rawseti(L, 2, 2);
	lua_pushvalue(L, 3);
	lua_rawseti(L, 2, 1);
	lua_insert(L, 2);			/* 1 check, 2 ctx, 3 kit */
	lua_rawsetp(L, LUA_REGISTRYINDEX, &ctx_key);
	lua_call(L, 1, 2);
	return 2;
}

/*
 * Push the kept ctx, its metatable set again, without allocating (outside a
 * protected call): 0, or -1 when there is none yet (nothing pushed).
 */
static int
push_kept_ctx(lua_State *L)
{
	int t = lua_gettop(L);

	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ctx_key) != LUA_TTABLE ||
	    lua_rawgeti(L, t + 1, 1) != LUA_TTABLE ||
	    lua_rawgeti(L, t + 1, 2) != LUA_TTABLE) {
		lua_settop(L, t);
		return -1;
	}
	lua_setmetatable(L, t + 2);
	lua_replace(L, t + 1);
	return 0;
}

/*
 * Empty the kept ctx at index i: what the call built or wrote in it goes,
 * so the next call starts as from a fresh table, and a ctx kept past its
 * call reads as empty.  Setting present keys to nil does not allocate.  A
 * ctx that grew large (a check filled it) is let go: the next call makes a
 * new one.
 */
static void
empty_kept_ctx(lua_State *L, int i)
{
	int n = 0;

	lua_pushnil(L);
	while (lua_next(L, i) != 0) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, i);
		n++;
	}
	if (n > 16) {
		lua_pushnil(L);
		lua_rawsetp(L, LUA_REGISTRYINDEX, &ctx_key);
	}
}

static int
read_answer(lua_State *L, struct check_result *out)
{
	const char *v, *why;
	size_t n, i;

	out->verdict = VERDICT_ACCEPT;
	out->reason[0] = '\0';
	if (lua_isnil(L, -2))
		return 0;
	if (lua_type(L, -2) != LUA_TSTRING) {
		snprintf(out->error, sizeof(out->error),
		    "the check returned a %s, not \"accept\", \"drop\" or \"reject\"",
		    luaL_typename(L, -2));
		return -1;
	}
	v = lua_tostring(L, -2);
	if (strcmp(v, "accept") == 0)
		out->verdict = VERDICT_ACCEPT;
	else if (strcmp(v, "drop") == 0)
		out->verdict = VERDICT_DROP;
	else if (strcmp(v, "reject") == 0)
		out->verdict = VERDICT_REJECT;
	else {
		snprintf(out->error, sizeof(out->error),
		    "the check returned \"%.40s\", not \"accept\", \"drop\" or \"reject\"", v);
		return -1;
	}
	if (lua_type(L, -1) == LUA_TSTRING) {
		why = lua_tolstring(L, -1, &n);
		/* a reason is a log field: printable ASCII, bounded */
		for (i = 0; i < n && i < sizeof(out->reason) - 1; i++)
			out->reason[i] = why[i] >= 0x20 && why[i] < 0x7f ? why[i] : '?';
		out->reason[i] = '\0';
	}
	return 0;
}

int
check_run(const struct policy *pol, bool inbound, size_t idx,
    const struct flow *f, const struct inspect_info *fi, const char *dir,
    struct check_result *out)
{
	struct call c;
	lua_State *L;
	int rc = -1, top, called;
	bool kept;

	memset(out, 0, sizeof(*out));
	out->verdict = VERDICT_DROP;
	if (pol->lua == NULL || idx >= (inbound ? pol->ninbound : pol->negress)) {
		snprintf(out->error, sizeof(out->error), "no check for this rule");
		return -1;
	}
	c.pol = pol;
	c.rule = inbound ? &pol->inbound[idx] : &pol->egress[idx];
	c.rule_key = inbound ? -(int)idx - 1 : (int)idx + 1;
	c.f = f;
	c.fi = fi;
	c.dir = dir;

	pthread_mutex_lock(&lua_lock);
	L = luart_state(pol->lua);
	top = lua_gettop(L);
	if (!lua_checkstack(L, 6)) {
		snprintf(out->error, sizeof(out->error), "lua stack exhausted");
		goto out;
	}
	kept = push_kept_ctx(L) == 0;
	if (!kept)
		lua_pushnil(L);		/* the ctx's place: build_and_call makes it */
	if (policy_push_check(pol, inbound, idx) == -1) {
		snprintf(out->error, sizeof(out->error), "%s: the rule names no check",
		    c.rule->name);
		goto out;
	}
	if (kept)
		lua_pushvalue(L, top + 1);
	else {
		lua_pushcfunction(L, build_and_call);
		lua_insert(L, -2);
	}
	luart_set_budget(pol->lua, CHECK_INSTR_BUDGET);
	luart_set_time_budget(pol->lua, CHECK_TIME_BUDGET_MS);
	current = &c;
	called = luart_pcall(pol->lua, 1, 2, out->error, sizeof(out->error));
	current = NULL;
	if (called == 0)
		rc = read_answer(L, out);
	if (kept)
		empty_kept_ctx(L, top + 1);
	else if (push_kept_ctx(L) == 0)
		empty_kept_ctx(L, lua_gettop(L));
out:
	lua_settop(L, top);
	pthread_mutex_unlock(&lua_lock);
	if (rc == -1)
		out->verdict = VERDICT_DROP;
	return rc;
}

void
check_lua_stats(const struct policy *pol, struct luart_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (pol == NULL || pol->lua == NULL)
		return;
	pthread_mutex_lock(&lua_lock);
	luart_get_stats(pol->lua, st);
	pthread_mutex_unlock(&lua_lock);
}
