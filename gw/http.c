/*
 * http.c - the first HTTP/1.x request head of a stream: request line, Host, anomalies.
 * Must never read past len, allocate, do I/O, keep state between calls, or write a global.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cursor.h"
#include "http.h"

enum step {
	STEP_OK,
	STEP_END,		/* the bytes ran out first */
	STEP_FAIL,		/* a verdict: h->st and r->why are set */
};

/* One parse: the caller's bytes, the result, and how far it got. */
struct hp {
	struct cursor	c;
	const uint8_t	*start;
	struct http_req	*r;
	enum http_status st;	/* when STEP_FAIL */
	bool		in_http;	/* "method SP" read: a cut is INVALID */
};

/* One line of the header section; pointers into the caller's bytes. */
struct field {
	const uint8_t	*name;
	const uint8_t	*value;
	size_t		name_len;
	size_t		value_len;	/* OWS trimmed at both ends */
	bool		empty;		/* the empty line that ends the head */
	bool		fold;		/* starts with SP/HTAB */
	bool		space_before_colon;
	bool		bare_lf;
};

static enum step fail(struct hp *, enum http_status, const char *);
static enum http_status stop(struct hp *, enum http_status, const char *);
static void	anomaly(struct http_req *, enum http_anomaly);
static int	cur_peek(const struct cursor *, uint8_t *);
static bool	is_tchar(uint8_t);
static bool	is_alpha(uint8_t);
static bool	is_digit(uint8_t);
static bool	is_xdigit(uint8_t);
static bool	is_ctl(uint8_t);
static uint8_t	ascii_lower(uint8_t);
static enum step skip_spaces(struct hp *, bool *);
static enum step line_end(struct hp *, bool *);
static enum step request_line(struct hp *);
static enum step version(struct hp *);
static enum step field_line(struct hp *, struct field *);
static enum step field_value(struct hp *, struct field *);
static void	field_commit(struct hp *, const struct field *);
static void	host_field(struct http_req *, const struct field *);
static bool	host_valid(const uint8_t *, size_t);
static bool	reg_name_char(uint8_t);
static bool	target_authority(const struct http_req *, const char **,
		    size_t *);
static bool	same_host(const char *, size_t, const char *, size_t);

enum http_status
http_request_head(const uint8_t *p, size_t len, bool final,
    struct http_req *r)
{
	static const uint8_t none[1];
	struct hp h;
	struct field f;
	size_t nlines;
	enum step rv;

	memset(r, 0, sizeof(*r));
	if (p == NULL) {
		p = none;
		len = 0;
	}
	memset(&h, 0, sizeof(h));
	cur_init(&h.c, p, len);
	h.start = p;
	h.r = r;

	rv = request_line(&h);
	if (rv == STEP_FAIL)
		return h.st;
	if (rv == STEP_END) {
		if (!final) {
			memset(r, 0, sizeof(*r));
			return HTTP_MORE;
		}
		if (h.in_http)
			return stop(&h, HTTP_INVALID,
			    "data ended inside the request line");
		return stop(&h, HTTP_NOT_HTTP,
		    "data ended before a method and SP");
	}

	/* Bounded by HTTP_MAX_LINES + 1 lines, each bounded by len. */
	for (nlines = 0;; nlines++) {
		rv = field_line(&h, &f);
		if (rv == STEP_FAIL)
			return h.st;
		if (rv == STEP_END)
			break;
		if (f.empty) {
			if (f.bare_lf)
				anomaly(r, HTTP_ANOM_BARE_LF);
			r->complete = true;
			r->head_len = (size_t)(h.c.pos - h.start);
			return HTTP_OK;
		}
		if (nlines == HTTP_MAX_LINES)
			return stop(&h, HTTP_INVALID,
			    "more than 100 header lines");
		field_commit(&h, &f);
	}
	/* The last line did not end: only the full lines before it count. */
	return final ? HTTP_OK : HTTP_MORE;
}

const char *
http_anomaly_name(enum http_anomaly a)
{
	switch (a) {
	case HTTP_ANOM_NONE:
		return "http_none";
	case HTTP_ANOM_DUP_HOST:
		return "http_duplicate_host";
	case HTTP_ANOM_OBS_FOLD:
		return "http_obs_fold";
	case HTTP_ANOM_BAD_HOST:
		return "http_bad_host";
	case HTTP_ANOM_SPACE_BEFORE_COLON:
		return "http_space_before_colon";
	case HTTP_ANOM_BARE_LF:
		return "http_bare_lf";
	case HTTP_ANOM_LOOSE_REQUEST_LINE:
		return "http_loose_request_line";
	case HTTP_ANOM_HOST_MISMATCH:
		return "http_host_mismatch";
	case HTTP_ANOM_COUNT:
		break;
	}
	return "http_unknown";
}

const char *
http_status_name(enum http_status s)
{
	switch (s) {
	case HTTP_OK:
		return "ok";
	case HTTP_MORE:
		return "more";
	case HTTP_NOT_HTTP:
		return "not_http";
	case HTTP_INVALID:
		return "invalid";
	}
	return "unknown";
}

static enum step
fail(struct hp *h, enum http_status st, const char *why)
{
	h->st = st;
	h->r->why = why;
	return STEP_FAIL;
}

/* The same, for the top level, which returns the status itself. */
static enum http_status
stop(struct hp *h, enum http_status st, const char *why)
{
	(void)fail(h, st, why);
	return st;
}

static void
anomaly(struct http_req *r, enum http_anomaly a)
{
	if (r->anomaly == HTTP_ANOM_NONE)
		r->anomaly = a;
	r->anomalies |= 1u << a;
}

static int
cur_peek(const struct cursor *c, uint8_t *v)
{
	if (cur_left(c) < 1)
		return -1;
	*v = c->pos[0];
	return 0;
}

/* RFC 9110 5.6.2 tchar. */
static bool
is_tchar(uint8_t ch)
{
	if (is_alpha(ch) || is_digit(ch))
		return true;
	switch (ch) {
	case '!': case '#': case '$': case '%': case '&': case '\'':
	case '*': case '+': case '-': case '.': case '^': case '_':
	case '`': case '|': case '~':
		return true;
	default:
		return false;
	}
}

static bool
is_alpha(uint8_t ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_digit(uint8_t ch)
{
	return ch >= '0' && ch <= '9';
}

static bool
is_xdigit(uint8_t ch)
{
	return is_digit(ch) || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

static bool
is_ctl(uint8_t ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* Not tolower(): the locale must not change what a name matches. */
static uint8_t
ascii_lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + ('a' - 'A')) : ch;
}

/* Skip SPs; any at all set *seen. */
static enum step
skip_spaces(struct hp *h, bool *seen)
{
	uint8_t ch;

	for (;;) {
		if (cur_peek(&h->c, &ch) < 0)
			return STEP_END;
		if (ch != ' ')
			return STEP_OK;
		*seen = true;
		(void)cur_skip(&h->c, 1);
	}
}

/* At a CR or LF: step over CRLF or a bare LF (noted); a lone CR is invalid. */
static enum step
line_end(struct hp *h, bool *bare_lf)
{
	uint8_t ch;

	if (cur_u8(&h->c, &ch) < 0)
		return STEP_END;
	if (ch == '\n') {
		*bare_lf = true;
		return STEP_OK;
	}
	if (cur_u8(&h->c, &ch) < 0)
		return STEP_END;
	if (ch != '\n')
		return fail(h, HTTP_INVALID, "CR not followed by LF");
	*bare_lf = false;
	return STEP_OK;
}

/*
 * method SP target SP "HTTP/" DIGIT "." DIGIT CRLF.  Every byte that cannot
 * continue such a line is NOT_HTTP at once, up to the "HTTP/".
 */
static enum step
request_line(struct hp *h)
{
	static const char proto[] = "HTTP/";
	struct http_req *r = h->r;
	size_t n, i;
	uint8_t ch;
	bool loose = false, bare_lf = false;
	enum step rv;

	for (n = 0;; n++) {
		if (cur_u8(&h->c, &ch) < 0)
			return STEP_END;
		if (ch == ' ' && n > 0)
			break;
		if (!is_tchar(ch))
			return fail(h, HTTP_NOT_HTTP, n == 0 ?
			    "first byte is not a token character" :
			    "method is not a token followed by SP");
		if (n == HTTP_METHOD_MAX)
			return fail(h, HTTP_NOT_HTTP, "method too long");
		r->method[n] = (char)ch;
	}
	h->in_http = true;

	if ((rv = skip_spaces(h, &loose)) != STEP_OK)
		return rv;
	for (n = 0;; n++) {
		if (cur_u8(&h->c, &ch) < 0)
			return STEP_END;
		if (ch == ' ')
			break;
		if (ch == '\r' || ch == '\n')
			return fail(h, HTTP_NOT_HTTP, "request line without "
			    "a version (HTTP/0.9 or not HTTP)");
		if (is_ctl(ch))
			return fail(h, HTTP_NOT_HTTP,
			    "control byte in the request target");
		if (n < HTTP_TARGET_BUF - 1)
			r->target[n] = (char)ch;
		else
			r->target_cut = true;
	}

	if ((rv = skip_spaces(h, &loose)) != STEP_OK)
		return rv;
	for (i = 0; i < sizeof(proto) - 1; i++) {
		if (cur_u8(&h->c, &ch) < 0)
			return STEP_END;
		if (ch != (uint8_t)proto[i])
			return fail(h, HTTP_NOT_HTTP,
			    "no \"HTTP/\" after the request target");
	}
	if ((rv = version(h)) != STEP_OK)
		return rv;
	if ((rv = skip_spaces(h, &loose)) != STEP_OK)
		return rv;
	if (cur_peek(&h->c, &ch) < 0)
		return STEP_END;
	if (ch != '\r' && ch != '\n')
		return fail(h, HTTP_INVALID, "junk after the HTTP version");
	if ((rv = line_end(h, &bare_lf)) != STEP_OK)
		return rv;
	if (loose)
		anomaly(r, HTTP_ANOM_LOOSE_REQUEST_LINE);
	if (bare_lf)
		anomaly(r, HTTP_ANOM_BARE_LF);
	return STEP_OK;
}

/* DIGIT "." DIGIT */
static enum step
version(struct hp *h)
{
	uint8_t d1, dot, d2;

	if (cur_u8(&h->c, &d1) < 0)
		return STEP_END;
	if (!is_digit(d1))
		return fail(h, HTTP_INVALID, "malformed HTTP version");
	if (cur_u8(&h->c, &dot) < 0)
		return STEP_END;
	if (dot != '.')
		return fail(h, HTTP_INVALID, "malformed HTTP version");
	if (cur_u8(&h->c, &d2) < 0)
		return STEP_END;
	if (!is_digit(d2))
		return fail(h, HTTP_INVALID, "malformed HTTP version");
	h->r->version_major = (uint8_t)(d1 - '0');
	h->r->version_minor = (uint8_t)(d2 - '0');
	return STEP_OK;
}

/*
 * One line of the header section into f, line end included.  Nothing is
 * written to the result here: a line counts only once it ended.
 */
static enum step
field_line(struct hp *h, struct field *f)
{
	uint8_t ch;

	memset(f, 0, sizeof(*f));
	if (cur_peek(&h->c, &ch) < 0)
		return STEP_END;
	if (ch == '\r' || ch == '\n') {
		f->empty = true;
		return line_end(h, &f->bare_lf);
	}
	if (ch == ' ' || ch == '\t') {
		f->fold = true;
		return field_value(h, f);
	}

	f->name = h->c.pos;
	for (;;) {
		if (cur_peek(&h->c, &ch) < 0)
			return STEP_END;
		if (!is_tchar(ch))
			break;
		(void)cur_skip(&h->c, 1);
		f->name_len++;
	}
	if (f->name_len == 0)
		return fail(h, HTTP_INVALID, "field name is not a token");
	for (;;) {
		if (cur_peek(&h->c, &ch) < 0)
			return STEP_END;
		if (ch != ' ' && ch != '\t')
			break;
		(void)cur_skip(&h->c, 1);
		f->space_before_colon = true;
	}
	if (ch != ':')
		return fail(h, HTTP_INVALID, f->space_before_colon ||
		    ch == '\r' || ch == '\n' ? "field line without a colon" :
		    "field name is not a token");
	(void)cur_skip(&h->c, 1);
	return field_value(h, f);
}

/* OWS value OWS line-end; no CTL but HTAB in the value. */
static enum step
field_value(struct hp *h, struct field *f)
{
	const uint8_t *last;
	uint8_t ch;

	for (;;) {
		if (cur_peek(&h->c, &ch) < 0)
			return STEP_END;
		if (ch != ' ' && ch != '\t')
			break;
		(void)cur_skip(&h->c, 1);
	}
	f->value = last = h->c.pos;
	for (;;) {
		if (cur_peek(&h->c, &ch) < 0)
			return STEP_END;
		if (ch == '\r' || ch == '\n')
			break;
		if (is_ctl(ch) && ch != '\t')
			return fail(h, HTTP_INVALID,
			    "control byte in a field value");
		(void)cur_skip(&h->c, 1);
		if (ch != ' ' && ch != '\t')
			last = h->c.pos;
	}
	f->value_len = (size_t)(last - f->value);
	return line_end(h, &f->bare_lf);
}

/* A line that ended: count it, keep Host, note anomalies in byte order. */
static void
field_commit(struct hp *h, const struct field *f)
{
	static const char host[] = "host";
	struct http_req *r = h->r;
	size_t i;

	if (f->fold) {
		/* Ignored, not unfolded: a strict server refuses it. */
		anomaly(r, HTTP_ANOM_OBS_FOLD);
	} else {
		if (f->space_before_colon)
			anomaly(r, HTTP_ANOM_SPACE_BEFORE_COLON);
		r->nheaders++;
		if (f->name_len == sizeof(host) - 1) {
			for (i = 0; i < f->name_len; i++)
				if (ascii_lower(f->name[i]) != (uint8_t)host[i])
					break;
			if (i == f->name_len)
				host_field(r, f);
		}
	}
	if (f->bare_lf)
		anomaly(r, HTTP_ANOM_BARE_LF);
}

static void
host_field(struct http_req *r, const struct field *f)
{
	const char *auth;
	size_t alen;

	if (r->has_host) {
		anomaly(r, HTTP_ANOM_DUP_HOST);
		return;
	}
	r->has_host = true;
	if (f->value_len > HTTP_HOST_BUF - 1) {
		/* A cut name could match a policy the whole one does not. */
		anomaly(r, HTTP_ANOM_BAD_HOST);
		return;
	}
	memcpy(r->host, f->value, f->value_len);
	r->host[f->value_len] = '\0';
	if (!host_valid(f->value, f->value_len))
		anomaly(r, HTTP_ANOM_BAD_HOST);
	if (target_authority(r, &auth, &alen) &&
	    !same_host(auth, alen, r->host, f->value_len))
		anomaly(r, HTTP_ANOM_HOST_MISMATCH);
}

/*
 * RFC 9110 7.2 / RFC 3986 3.2.2: uri-host [ ":" port ].  An empty value is
 * valid (a target without authority); a port alone is not.  IP-literals must
 * be IPv6 (no IPvFuture, no zone); a port must be at most 65535.
 */
static bool
host_valid(const uint8_t *s, size_t n)
{
	struct cursor c;
	uint8_t ch, h1, h2;
	size_t hl = 0;
	uint32_t port = 0;

	if (n == 0)
		return true;
	cur_init(&c, s, n);
	if (s[0] == '[') {
		char buf[INET6_ADDRSTRLEN];
		struct in6_addr a6;
		size_t i = 0;

		(void)cur_skip(&c, 1);
		for (;;) {
			if (cur_u8(&c, &ch) < 0)
				return false;
			if (ch == ']')
				break;
			if (i == sizeof(buf) - 1)
				return false;
			buf[i++] = (char)ch;
		}
		buf[i] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return false;
	} else {
		while (cur_peek(&c, &ch) == 0 && ch != ':') {
			(void)cur_skip(&c, 1);
			if (ch == '%') {
				if (cur_u8(&c, &h1) < 0 ||
				    cur_u8(&c, &h2) < 0 ||
				    !is_xdigit(h1) || !is_xdigit(h2))
					return false;
			} else if (!reg_name_char(ch))
				return false;
			hl++;
		}
		if (hl == 0)
			return false;
	}
	if (cur_left(&c) == 0)
		return true;
	if (cur_u8(&c, &ch) < 0 || ch != ':')
		return false;
	if (cur_left(&c) > 5)
		return false;
	while (cur_u8(&c, &ch) == 0) {
		if (!is_digit(ch))
			return false;
		port = port * 10 + (uint32_t)(ch - '0');
	}
	return port <= 65535;
}

/* RFC 3986 unreserved / sub-delims; pct-encoded is checked by the caller. */
static bool
reg_name_char(uint8_t ch)
{
	if (is_alpha(ch) || is_digit(ch))
		return true;
	switch (ch) {
	case '-': case '.': case '_': case '~':
	case '!': case '$': case '&': case '\'': case '(': case ')':
	case '*': case '+': case ',': case ';': case '=':
		return true;
	default:
		return false;
	}
}

/*
 * The authority a server takes from the target instead of Host: all of a
 * CONNECT target, or what follows "scheme://" up to "/", "?" or "#" (userinfo
 * dropped).  False when the target has none, or was cut before it ended.
 */
static bool
target_authority(const struct http_req *r, const char **a, size_t *n)
{
	const char *t = r->target;
	size_t i, start, end;

	if (strcmp(r->method, "CONNECT") == 0) {
		if (r->target_cut)
			return false;
		*a = t;
		*n = strlen(t);
		return true;
	}
	if (!is_alpha((uint8_t)t[0]))
		return false;
	for (i = 1; is_alpha((uint8_t)t[i]) || is_digit((uint8_t)t[i]) ||
	    t[i] == '+' || t[i] == '-' || t[i] == '.'; i++)
		continue;
	if (strncmp(t + i, "://", 3) != 0)
		return false;
	start = end = i + 3;
	for (; t[end] != '\0' && t[end] != '/' && t[end] != '?' &&
	    t[end] != '#'; end++)
		if (t[end] == '@')
			start = end + 1;
	if (t[end] == '\0' && r->target_cut)
		return false;
	*a = t + start;
	*n = end - start;
	return true;
}

static bool
same_host(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)
		if (ascii_lower((uint8_t)a[i]) != ascii_lower((uint8_t)b[i]))
			return false;
	return true;
}
