/*
 * luasrc.c - source positions of a Lua table constructor, read from its tokens.
 * It must never run the code, nor fail a load over what it cannot read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "luasrc.h"

#define PT_MAX_DEPTH	200

/*
 * Lua keeps no source lines for table fields, so the tokens of the chunk
 * are read once and, for the table constructor the chunk returns, the line
 * of every key and item is recorded, nested constructors included.  Node 0
 * holds the chunk's top-level definitions, for `return NAME`.
 */

enum { TK_NAME, TK_STRING, TK_NUMBER, TK_SYM };

struct tok {
	const char	*s;	/* NAME, SYM, NUMBER: text; STRING: contents */
	size_t		len;
	int		line;
	uint8_t		type;
	uint8_t		esc;	/* STRING: contents are not its value */
};

struct pent {
	const char	*key;	/* a string key, or NULL */
	size_t		klen;
	long long	idx;	/* when key == NULL: item number or [N] */
	int		line;
	int		child;	/* node of a constructor value, or -1 */
	int		next;	/* next entry of the same node, or -1 */
};

struct pnode {
	int		line;
	int		first, last;	/* entries, -1 none */
	int		cursor;		/* the last item found, -1 none */
};

struct luasrc {
	struct tok	*toks;
	size_t		ntoks, captoks;
	struct pnode	*nodes;
	size_t		nnodes, capnodes;
	struct pent	*ents;
	size_t		nents, capents;
	int		root;		/* node of the returned table, or -1 */
	int		ret_line;	/* line of the top-level return, or 0 */
	size_t		i;		/* the parser's token */
};

struct lexer {
	const char	*p;
	size_t		len, i;
	int		line;
};

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 64;
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static int
is_nl(char c)
{
	return c == '\n' || c == '\r';
}

static int
lx_at(const struct lexer *lx, size_t k, char c)
{
	return lx->i + k < lx->len && lx->p[lx->i + k] == c;
}

/* Lua counts "\n", "\r", "\r\n" and "\n\r" as one line break each. */
static void
lx_newline(struct lexer *lx)
{
	char c = lx->p[lx->i++];

	if (lx->i < lx->len && is_nl(lx->p[lx->i]) && lx->p[lx->i] != c)
		lx->i++;
	lx->line++;
}

/* At '[': whether "[==[" opens a long bracket; its level, and where it ends. */
static int
lx_long_open(const struct lexer *lx, size_t *level, size_t *body)
{
	size_t j = lx->i + 1;

	while (j < lx->len && lx->p[j] == '=')
		j++;
	if (j >= lx->len || lx->p[j] != '[')
		return 0;
	*level = j - lx->i - 1;
	*body = j + 1;
	return 1;
}

/* From the body of a long string or comment to after its close. */
static int
lx_long_close(struct lexer *lx, size_t level)
{
	size_t j, n;

	while (lx->i < lx->len) {
		if (is_nl(lx->p[lx->i])) {
			lx_newline(lx);
			continue;
		}
		if (lx->p[lx->i++] != ']')
			continue;
		for (j = lx->i, n = 0; j < lx->len && lx->p[j] == '='; j++)
			n++;
		if (n == level && j < lx->len && lx->p[j] == ']') {
			lx->i = j + 1;
			return 0;
		}
	}
	return -2;
}

static int
add_tok(struct luasrc *pt, int type, const char *s, size_t len, int line,
    int esc)
{
	struct tok *t;

	if (grow((void **)&pt->toks, &pt->captoks, pt->ntoks, sizeof(*t)) == -1)
		return -1;
	t = &pt->toks[pt->ntoks++];
	t->s = s;
	t->len = len;
	t->line = line;
	t->type = (uint8_t)type;
	t->esc = (uint8_t)esc;
	return 0;
}

/* A quoted string, escapes and all: an escaped line break is a line too. */
static int
lx_short_string(struct lexer *lx, struct luasrc *pt)
{
	char q = lx->p[lx->i++];
	size_t start = lx->i;
	int line = lx->line, esc = 0;

	for (;;) {
		if (lx->i >= lx->len || is_nl(lx->p[lx->i]))
			return -2;
		if (lx->p[lx->i] == q)
			break;
		if (lx->p[lx->i++] != '\\')
			continue;
		esc = 1;
		if (lx->i >= lx->len)
			return -2;
		if (is_nl(lx->p[lx->i]))
			lx_newline(lx);
		else if (lx->p[lx->i++] == 'z') {
			while (lx->i < lx->len && (is_space(lx->p[lx->i]) ||
			    is_nl(lx->p[lx->i]))) {
				if (is_nl(lx->p[lx->i]))
					lx_newline(lx);
				else
					lx->i++;
			}
		}
	}
	lx->i++;
	return add_tok(pt, TK_STRING, lx->p + start, lx->i - 1 - start, line,
	    esc);
}

static int
lx_number(struct lexer *lx, struct luasrc *pt)
{
	const char *p = lx->p, *ex = "Ee";
	size_t start = lx->i, i = lx->i;

	if (lx_at(lx, 0, '0') && (lx_at(lx, 1, 'x') || lx_at(lx, 1, 'X')))
		ex = "Pp";
	while (i < lx->len && (is_alpha(p[i]) || is_digit(p[i]) ||
	    p[i] == '.' || ((p[i] == '+' || p[i] == '-') &&
	    strchr(ex, p[i - 1]) != NULL)))
		i++;
	lx->i = i;
	return add_tok(pt, TK_NUMBER, p + start, i - start, lx->line, 0);
}

static int
lx_symbol(struct lexer *lx, struct luasrc *pt)
{
	static const char *const two[] = { "..", "==", "~=", "<=", ">=", "//",
		"::", "<<", ">>", NULL };
	static const char one[] = "+-*/%^#&~|<>=(){}[];:,.";
	const char *s = lx->p + lx->i;
	size_t n = 0, left = lx->len - lx->i;
	int k;

	if (left >= 3 && memcmp(s, "...", 3) == 0)
		n = 3;
	for (k = 0; two[k] != NULL && n == 0; k++)
		if (left >= 2 && memcmp(s, two[k], 2) == 0)
			n = 2;
	if (n == 0 && (*s == '\0' || strchr(one, *s) == NULL))
		return -2;
	if (n == 0)
		n = 1;
	lx->i += n;
	return add_tok(pt, TK_SYM, s, n, lx->line, 0);
}

/* Split Lua source into tokens.  0, -1 out of memory, -2 not understood. */
static int
lex(struct luasrc *pt, const char *p, size_t len)
{
	struct lexer lx = { p, len, 0, 1 };
	size_t level, body, start;
	int rc = 0, line;

	while (rc == 0 && lx.i < len) {
		char c = p[lx.i];

		if (is_nl(c))
			lx_newline(&lx);
		else if (is_space(c))
			lx.i++;
		else if (c == '-' && lx_at(&lx, 1, '-')) {
			lx.i += 2;
			if (lx_at(&lx, 0, '[') &&
			    lx_long_open(&lx, &level, &body)) {
				lx.i = body;
				rc = lx_long_close(&lx, level);
			} else
				while (lx.i < len && !is_nl(p[lx.i]))
					lx.i++;
		} else if (c == '[' && lx_long_open(&lx, &level, &body)) {
			/* a long string as a key is too rare to decode */
			line = lx.line;
			lx.i = body;
			if ((rc = lx_long_close(&lx, level)) == 0)
				rc = add_tok(pt, TK_STRING, p + body, 0, line,
				    1);
		} else if (c == '"' || c == '\'')
			rc = lx_short_string(&lx, pt);
		else if (is_digit(c) || (c == '.' && lx.i + 1 < len &&
		    is_digit(p[lx.i + 1])))
			rc = lx_number(&lx, pt);
		else if (is_alpha(c)) {
			for (start = lx.i; lx.i < len && (is_alpha(p[lx.i]) ||
			    is_digit(p[lx.i])); lx.i++)
				;
			rc = add_tok(pt, TK_NAME, p + start, lx.i - start,
			    lx.line, 0);
		} else
			rc = lx_symbol(&lx, pt);
	}
	return rc;
}

static int
tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->type != TK_STRING && t->len == n && memcmp(t->s, s, n) == 0;
}

static int
tok_keyword(const struct tok *t)
{
	static const char *const kw[] = { "and", "break", "do", "else",
		"elseif", "end", "false", "for", "function", "goto", "if", "in",
		"local", "nil", "not", "or", "repeat", "return", "then", "true",
		"until", "while", NULL };
	int k;

	if (t->type != TK_NAME)
		return 0;
	for (k = 0; kw[k] != NULL; k++)
		if (tok_is(t, kw[k]))
			return 1;
	return 0;
}

/* A plain name: an identifier that is no keyword. */
static int
tok_name(const struct tok *t)
{
	return t->type == TK_NAME && !tok_keyword(t);
}

/* +1 for what opens a block or a bracket, -1 for what closes one. */
static int
tok_depth(const struct tok *t)
{
	if (tok_is(t, "(") || tok_is(t, "[") || tok_is(t, "{") ||
	    tok_is(t, "function") || tok_is(t, "if") || tok_is(t, "do") ||
	    tok_is(t, "repeat"))
		return 1;
	if (tok_is(t, ")") || tok_is(t, "]") || tok_is(t, "}") ||
	    tok_is(t, "end") || tok_is(t, "until"))
		return -1;
	return 0;
}

static int
add_node(struct luasrc *pt, int line)
{
	struct pnode *n;

	if (grow((void **)&pt->nodes, &pt->capnodes, pt->nnodes,
	    sizeof(*n)) == -1)
		return -1;
	n = &pt->nodes[pt->nnodes];
	n->line = line;
	n->first = n->last = n->cursor = -1;
	return (int)pt->nnodes++;
}

static int
add_ent(struct luasrc *pt, int node, const char *key, size_t klen,
    long long idx, int line)
{
	struct pnode *n = &pt->nodes[node];
	struct pent *e;
	int ei;

	if (grow((void **)&pt->ents, &pt->capents, pt->nents, sizeof(*e)) == -1)
		return -1;
	ei = (int)pt->nents++;
	e = &pt->ents[ei];
	e->key = key;
	e->klen = klen;
	e->idx = idx;
	e->line = line;
	e->child = -1;
	e->next = -1;
	if (n->last >= 0)
		pt->ents[n->last].next = ei;
	else
		n->first = ei;
	n->last = ei;
	return ei;
}

/* The last entry of node with that key (Lua keeps the last of duplicates). */
static int
find_ent(const struct luasrc *pt, int node, const char *key, size_t klen,
    long long idx)
{
	const struct pent *pe;
	int e, found = -1;

	if (node < 0)
		return -1;
	for (e = pt->nodes[node].first; e >= 0; e = pe->next) {
		pe = &pt->ents[e];
		if (key != NULL && pe->key != NULL && pe->klen == klen &&
		    memcmp(pe->key, key, klen) == 0)
			found = e;
		else if (key == NULL && pe->key == NULL && pe->idx == idx)
			found = e;
	}
	return found;
}

/* Token k ahead of the parser, or NULL past the end. */
static const struct tok *
peek(const struct luasrc *pt, size_t k)
{
	return pt->i + k < pt->ntoks ? &pt->toks[pt->i + k] : NULL;
}

static int
peek_is(const struct luasrc *pt, size_t k, const char *s)
{
	const struct tok *t = peek(pt, k);

	return t != NULL && tok_is(t, s);
}

/* At the end of a field: , ; or }. */
static int
at_field_end(const struct luasrc *pt)
{
	return peek_is(pt, 0, ",") || peek_is(pt, 0, ";") ||
	    peek_is(pt, 0, "}");
}

/* Skip one expression inside a constructor: stop at , ; or } at depth 0. */
static int
skip_expr(struct luasrc *pt)
{
	int depth = 0, d;

	for (; pt->i < pt->ntoks; pt->i++) {
		if (depth == 0 && at_field_end(pt))
			return 0;
		d = tok_depth(&pt->toks[pt->i]);
		if (d < 0 && depth == 0)
			return -2;
		depth += d;
	}
	return -2;
}

/* Skip "[ exp ] =", a key computed by code. */
static int
skip_key(struct luasrc *pt)
{
	int depth = 0;

	for (; pt->i < pt->ntoks; pt->i++)
		if ((depth += tok_depth(&pt->toks[pt->i])) == 0)
			break;
	if (!peek_is(pt, 1, "="))
		return -2;
	pt->i += 2;
	return 0;
}

static int parse_ctor(struct luasrc *, int *, int);

/* The key of one field, if the source spells it; the parser moves past it. */
static int
parse_key(struct luasrc *pt, long long *pos, const char **key, size_t *klen,
    long long *idx)
{
	const struct tok *k = peek(pt, 1);
	char num[24];

	*key = NULL;
	*idx = 0;
	if (peek_is(pt, 0, "[")) {
		if (k == NULL || !peek_is(pt, 2, "]") || !peek_is(pt, 3, "="))
			return skip_key(pt) == 0 ? 1 : -2;
		if (k->type == TK_STRING && !k->esc) {
			*key = k->s;
			*klen = k->len;
		} else if (k->type == TK_NUMBER && k->len < sizeof(num) &&
		    strspn(k->s, "0123456789") >= k->len) {
			memcpy(num, k->s, k->len);
			num[k->len] = '\0';
			*idx = strtoll(num, NULL, 10);
		} else
			return skip_key(pt) == 0 ? 1 : -2;
		pt->i += 4;
	} else if (tok_name(peek(pt, 0)) && peek_is(pt, 1, "=")) {
		*key = peek(pt, 0)->s;
		*klen = peek(pt, 0)->len;
		pt->i += 2;
	} else
		*idx = ++*pos;
	return 0;
}

/* One field's value: a constructor (its node into entry e) or anything. */
static int
parse_field_value(struct luasrc *pt, int e, int depth)
{
	int rc, child;

	if (!peek_is(pt, 0, "{"))
		return skip_expr(pt);
	if ((rc = parse_ctor(pt, &child, depth + 1)) != 0)
		return rc;
	if (!at_field_end(pt))		/* { ... } is part of a larger value */
		return skip_expr(pt);
	if (e >= 0)
		pt->ents[e].child = child;
	return 0;
}

static int
parse_ctor(struct luasrc *pt, int *nodep, int depth)
{
	long long pos = 0, idx;
	const char *key;
	size_t klen = 0;
	int node, e, rc, line;

	if (depth > PT_MAX_DEPTH)
		return -2;
	if ((node = add_node(pt, peek(pt, 0)->line)) == -1)
		return -1;
	*nodep = node;
	pt->i++;
	for (;;) {
		if (peek(pt, 0) == NULL)
			return -2;
		if (peek_is(pt, 0, "}")) {
			pt->i++;
			return 0;
		}
		line = peek(pt, 0)->line;
		if ((rc = parse_key(pt, &pos, &key, &klen, &idx)) < 0)
			return rc;
		e = -1;
		if (rc == 0 &&
		    (e = add_ent(pt, node, key, klen, idx, line)) == -1)
			return -1;
		if ((rc = parse_field_value(pt, e, depth)) != 0)
			return rc;
		if (peek_is(pt, 0, ",") || peek_is(pt, 0, ";"))
			pt->i++;
	}
}

/*
 * The value of a top-level assignment: the node of a constructor that is the
 * whole expression, or -1.  Leaves the parser after the constructor, or at
 * the value for the scan to go on.
 */
static int
parse_value(struct luasrc *pt, int *nodep)
{
	const struct tok *t;
	size_t at = pt->i;
	int rc, node;

	*nodep = -1;
	if (!peek_is(pt, 0, "{"))
		return 0;
	if ((rc = parse_ctor(pt, &node, 0)) != 0)
		return rc;
	t = peek(pt, 0);
	if (t == NULL || tok_is(t, ";") ||
	    (t->type == TK_NAME && !tok_is(t, "and") && !tok_is(t, "or")))
		*nodep = node;
	else
		pt->i = at;	/* rescan it as part of a larger expression */
	return 0;
}

/* Record in defs (or in a table's node) `name = value` at the parser. */
static int
scan_assign(struct luasrc *pt, int owner, const struct tok *name)
{
	int e, node, rc;

	if ((e = add_ent(pt, owner, name->s, name->len, 0, name->line)) == -1)
		return -1;
	if ((rc = parse_value(pt, &node)) != 0)
		return rc;
	pt->ents[e].child = node;
	return 0;
}

/* `return {...}` or `return NAME`: the root. */
static int
scan_return(struct luasrc *pt, int defs)
{
	const struct tok *t;
	int e, rc, node;

	pt->ret_line = peek(pt, 0)->line;
	pt->i++;
	if (peek_is(pt, 0, "{")) {
		if ((rc = parse_ctor(pt, &node, 0)) != 0)
			return rc;
		pt->root = node;
	} else if ((t = peek(pt, 0)) != NULL && tok_name(t) &&
	    (peek(pt, 1) == NULL || peek_is(pt, 1, ";"))) {
		e = find_ent(pt, defs, t->s, t->len, 0);
		pt->root = e >= 0 ? pt->ents[e].child : -1;
	}
	return 0;
}

/*
 * One statement at the top level that matters here; 1 when the parser moved.
 * `local NAME = {...}`, `NAME = {...}`, `NAME.key = value`.
 */
static int
scan_statement(struct luasrc *pt, int defs)
{
	const struct tok *t = peek(pt, 0), *n = peek(pt, 1), *k = peek(pt, 2);
	size_t j;
	int d, rc;

	if (tok_is(t, "local") && n != NULL && tok_name(n)) {
		j = peek_is(pt, 2, "<") ? 5 : 2;	/* <const>, <close> */
		if (!peek_is(pt, j, "="))	/* a local without a table */
			return add_ent(pt, defs, n->s, n->len, 0, n->line) ==
			    -1 ? -1 : 0;
		pt->i += j + 1;
		return (rc = scan_assign(pt, defs, n)) != 0 ? rc : 1;
	}
	if (!tok_name(t))
		return 0;
	if (peek_is(pt, 1, "=")) {
		pt->i += 2;
		return (rc = scan_assign(pt, defs, t)) != 0 ? rc : 1;
	}
	if (peek_is(pt, 1, ".") && k != NULL && tok_name(k) &&
	    peek_is(pt, 3, "=")) {
		d = find_ent(pt, defs, t->s, t->len, 0);
		pt->i += 4;
		if (d < 0 || pt->ents[d].child < 0)
			return 1;
		return (rc = scan_assign(pt, pt->ents[d].child, k)) != 0 ?
		    rc : 1;
	}
	return 0;
}

/* The top level of the chunk, up to its return.  Node 0 holds definitions. */
static int
scan_chunk(struct luasrc *pt)
{
	const struct tok *prev;
	int depth = 0, rc, defs;

	if ((defs = add_node(pt, 0)) == -1)
		return -1;
	for (pt->i = 0; pt->i < pt->ntoks; ) {
		prev = pt->i > 0 ? &pt->toks[pt->i - 1] : NULL;
		/* a statement starts here, not a field or a second target */
		if (depth == 0 && (prev == NULL || (!tok_is(prev, ".") &&
		    !tok_is(prev, ":") && !tok_is(prev, ",")))) {
			if (peek_is(pt, 0, "return"))
				return scan_return(pt, defs);
			if ((rc = scan_statement(pt, defs)) < 0)
				return rc;
			if (rc == 1)
				continue;
		}
		if ((depth += tok_depth(&pt->toks[pt->i])) < 0)
			return -2;
		pt->i++;
	}
	return 0;
}

/*
 * Item i of a node.  Lists are walked in order, so the search starts after
 * the item found last: a long list costs linear time, not quadratic.
 */
static int
find_item(struct luasrc *pt, int node, long long i)
{
	struct pnode *n;
	int e, from;

	if (node < 0)
		return -1;
	n = &pt->nodes[node];
	from = n->cursor >= 0 && pt->ents[n->cursor].idx < i ?
	    pt->ents[n->cursor].next : n->first;
	for (e = from; e >= 0; e = pt->ents[e].next)
		if (pt->ents[e].key == NULL && pt->ents[e].idx == i) {
			n->cursor = e;
			return e;
		}
	return find_ent(pt, node, NULL, 0, i);
}

static int
node_ok(const struct luasrc *pt, int node)
{
	return node >= 0 && (size_t)node < pt->nnodes;
}

/* The line of entry e and the node of its constructor value, 0 unknown. */
static int
ent_line(const struct luasrc *pt, int e, int *child)
{
	if (e < 0) {
		*child = -1;
		return 0;
	}
	*child = pt->ents[e].child;
	return pt->ents[e].line;
}

enum luasrc_status
luasrc_new(const char *src, size_t len, struct luasrc **out)
{
	struct luasrc *pt;
	int rc;

	*out = NULL;
	if ((pt = calloc(1, sizeof(*pt))) == NULL)
		return LUASRC_NOMEM;
	pt->root = -1;
	if ((rc = lex(pt, src, len)) == 0)
		rc = scan_chunk(pt);
	/* the tokens stay, for luasrc_global_line; they point into src */
	if (rc == -1) {
		luasrc_free(pt);
		return LUASRC_NOMEM;
	}
	*out = pt;
	if (rc == 0)
		return LUASRC_OK;
	/* not understood: no positions but the return's, if it was reached */
	pt->root = -1;
	free(pt->nodes);
	free(pt->ents);
	pt->nodes = NULL;
	pt->ents = NULL;
	pt->nnodes = pt->capnodes = pt->nents = pt->capents = 0;
	return LUASRC_INVALID;
}

void
luasrc_free(struct luasrc *pt)
{
	if (pt == NULL)
		return;
	free(pt->toks);
	free(pt->nodes);
	free(pt->ents);
	free(pt);
}

int
luasrc_root(const struct luasrc *pt)
{
	return pt->root;
}

int
luasrc_return_line(const struct luasrc *pt)
{
	return pt->ret_line;
}

int
luasrc_node_line(const struct luasrc *pt, int node)
{
	return node_ok(pt, node) ? pt->nodes[node].line : 0;
}

int
luasrc_key(const struct luasrc *pt, int node, const char *key, size_t klen,
    int *child)
{
	return ent_line(pt, node_ok(pt, node) ?
	    find_ent(pt, node, key, klen, 0) : -1, child);
}

int
luasrc_index(struct luasrc *pt, int node, long long i, int *child)
{
	return ent_line(pt, node_ok(pt, node) ? find_item(pt, node, i) : -1,
	    child);
}

/* tok_is, and of that token type */
static int
tok_of(const struct tok *t, int type, const char *text)
{
	return t->type == type && tok_is(t, text);
}

/* Whether tok k names name made local (or a parameter) somewhere in the chunk. */
static int
declared(const struct luasrc *ls, const struct tok *k)
{
	size_t i, j;
	int params;

	for (i = 0; i < ls->ntoks; i++) {
		const struct tok *t = &ls->toks[i];

		if (tok_of(t, TK_NAME, "local")) {
			/* local a, b, c   or   local function a */
			for (j = i + 1; j < ls->ntoks; j++) {
				const struct tok *u = &ls->toks[j];

				if (tok_of(u, TK_NAME, "function"))
					continue;
				if (u->type != TK_NAME)
					break;
				if (u->len == k->len && memcmp(u->s, k->s, k->len) == 0)
					return 1;
				if (j + 1 >= ls->ntoks || !tok_of(&ls->toks[j + 1], TK_SYM, ","))
					break;
				j++;
			}
		}
		if (tok_of(t, TK_NAME, "function")) {
			/* its parameter list */
			for (j = i + 1, params = 0; j < ls->ntoks; j++) {
				const struct tok *u = &ls->toks[j];

				if (tok_of(u, TK_SYM, "("))
					params = 1;
				else if (tok_of(u, TK_SYM, ")"))
					break;
				else if (params && u->type == TK_NAME && u->len == k->len &&
				    memcmp(u->s, k->s, k->len) == 0)
					return 1;
			}
		}
		if (tok_of(t, TK_NAME, "for")) {
			for (j = i + 1; j < ls->ntoks && !tok_of(&ls->toks[j], TK_NAME, "in") &&
			    !tok_of(&ls->toks[j], TK_SYM, "="); j++) {
				const struct tok *u = &ls->toks[j];

				if (u->type == TK_NAME && u->len == k->len &&
				    memcmp(u->s, k->s, k->len) == 0)
					return 1;
			}
		}
	}
	return 0;
}

int
luasrc_global_line(const struct luasrc *ls, const char *const *names,
    const char **which)
{
	const struct tok *t, *prev, *next;
	size_t i, n;

	for (i = 0; i < ls->ntoks; i++) {
		t = &ls->toks[i];
		if (t->type != TK_NAME)
			continue;
		prev = i > 0 ? &ls->toks[i - 1] : NULL;
		next = i + 1 < ls->ntoks ? &ls->toks[i + 1] : NULL;
		if (prev != NULL && (tok_of(prev, TK_SYM, ".") || tok_of(prev, TK_SYM, ":")))
			continue;	/* a field */
		if (tok_of(t, TK_NAME, "string") && next != NULL &&
		    (tok_of(next, TK_SYM, ".") || tok_of(next, TK_SYM, ":")) &&
		    i + 2 < ls->ntoks && tok_of(&ls->toks[i + 2], TK_NAME, "dump")) {
			*which = "string.dump";
			return t->line;
		}
		for (n = 0; names[n] != NULL; n++)
			if (tok_of(t, TK_NAME, names[n]))
				break;
		if (names[n] == NULL)
			continue;
		if (prev != NULL && next != NULL && tok_of(next, TK_SYM, "=") &&
		    (tok_of(prev, TK_SYM, "{") || tok_of(prev, TK_SYM, ",") ||
		    tok_of(prev, TK_SYM, ";")))
			continue;	/* a table key */
		if (declared(ls, t))
			continue;
		*which = names[n];
		return t->line;
	}
	return 0;
}
