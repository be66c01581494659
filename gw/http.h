/*
 * http.h - parse the first HTTP/1.x request head a client sent on a TCP stream.
 * Reads only the caller's bytes: no allocation, no I/O, no state kept between calls.
 */
#ifndef OUTGATE_HTTP_H
#define OUTGATE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_METHOD_MAX		20	/* a longer first word is not an HTTP method */
#define HTTP_METHOD_BUF		24
#define HTTP_TARGET_BUF		512	/* cut when longer: target_cut = true */
#define HTTP_HOST_BUF		256
#define HTTP_MAX_LINES		100	/* header lines, folds included; more: INVALID */

/*
 * Things a lenient server accepts and a strict one refuses: each is a place
 * where two parsers on the path can disagree, so the policy sees it as a reason
 * code (http_anomaly_name()).  The request still parses.
 */
enum http_anomaly {
	HTTP_ANOM_NONE = 0,
	HTTP_ANOM_DUP_HOST,		/* a second Host field; host keeps the first */
	HTTP_ANOM_OBS_FOLD,		/* a line starting with SP/HTAB (folded, or
					   whitespace before the first field) */
	HTTP_ANOM_BAD_HOST,		/* the kept Host is not uri-host [":" port]
					   (RFC 3986; IP-literal: IPv6 only), or its
					   port > 65535, or it is longer than
					   HTTP_HOST_BUF - 1 (host then left empty) */
	HTTP_ANOM_SPACE_BEFORE_COLON,	/* "Host : x"; still read as the named field */
	HTTP_ANOM_BARE_LF,		/* a line ended by LF without CR */
	HTTP_ANOM_LOOSE_REQUEST_LINE,	/* more than one SP between the request line's
					   parts, or SP after the version */
	HTTP_ANOM_HOST_MISMATCH,	/* a CONNECT or absolute-form target whose
					   authority differs from Host (ASCII case
					   ignored; a server uses the target's) */
	HTTP_ANOM_COUNT
};

enum http_status {
	HTTP_OK = 0,		/* a request head: complete, or all of it there will be */
	HTTP_MORE,		/* a valid prefix of a request head; call again with more */
	HTTP_NOT_HTTP,		/* the bytes do not start an HTTP/1.x request line */
	HTTP_INVALID,		/* an HTTP request line, but the head is malformed */
};

struct http_req {
	char		method[HTTP_METHOD_BUF];
	char		target[HTTP_TARGET_BUF];	/* as sent, NUL-terminated */
	bool		target_cut;	/* target was longer than HTTP_TARGET_BUF - 1 */
	uint8_t		version_major, version_minor;

	bool		has_host;
	char		host[HTTP_HOST_BUF];	/* the first Host value, OWS trimmed, as
						   sent (case and port kept) */

	enum http_anomaly anomaly;	/* the first one seen, in byte order */
	uint32_t	anomalies;	/* 1u << a for every anomaly a seen */

	bool		complete;	/* the empty line ending the head was seen */
	size_t		head_len;	/* bytes up to and including that empty line;
					   0 when !complete */
	size_t		nheaders;	/* field lines (folds not counted) */
	const char	*why;		/* static text when NOT_HTTP or INVALID, else NULL */
};

/*
 * Parse p[0..len), the in-order bytes the client sent from the start of its
 * stream; final says no more will come (buffer full, or the stream ended).
 * Each call parses from the start, so it costs O(len): a caller should call
 * again only when new bytes arrived.
 *
 * The request line must be  token SP target SP "HTTP/" DIGIT "." DIGIT  CRLF,
 * with a token of at most HTTP_METHOD_MAX tchars.  It is HTTP_NOT_HTTP as soon
 * as a byte cannot continue such a line (the first byte of a TLS record, an
 * SSH banner, SMTP's "EHLO host" CRLF): a line with no version, HTTP/0.9 style,
 * is NOT_HTTP too, since it carries no Host and other protocols look the same;
 * so are empty lines before the request line (the first request of a stream
 * has none, and the first byte must decide).
 * Extra SPs between the parts and bare LF line ends are accepted, as nginx
 * does, and reported as anomalies.  Once "HTTP/" was matched, any later defect
 * is HTTP_INVALID (bad version, bare CR, CTL other than HTAB in a field value,
 * a field name that is not a token, a line without a colon, more than
 * HTTP_MAX_LINES header lines).  The HTTP/2 preface parses as method "PRI",
 * target "*", version 2.0, complete with no fields.
 *
 * Only full lines count: a field line cut by the end of the data is ignored.
 *   HTTP_OK: complete, or final with at least the request line read
 *	(complete = false: the fields from the lines that ended are set).
 *   HTTP_MORE: !final and the head has not ended; r holds what the full
 *	lines so far gave (all zero while the request line is unfinished).
 *   HTTP_NOT_HTTP, HTTP_INVALID: r->why names the defect; the other fields
 *	hold what was read before it.  final with an unfinished request line is
 *	INVALID once "method SP" was read, NOT_HTTP before.
 * For a CONNECT or absolute-form target, the authority in target is what a
 * server acts on; host is still the Host field (see HTTP_ANOM_HOST_MISMATCH).
 */
enum http_status http_request_head(const uint8_t *p, size_t len, bool final,
    struct http_req *r);

/* A stable reason code ("http_duplicate_host"); "http_none" for NONE. */
const char *http_anomaly_name(enum http_anomaly a);
const char *http_status_name(enum http_status s);

#endif
