/*
 * tls.h - decode the TLS ClientHello that starts a client's TCP stream.
 * The parser only reads the caller's bytes: it allocates nothing, does no I/O.
 */
#ifndef OUTGATE_TLS_H
#define OUTGATE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Longest ClientHello body accepted (the handshake length field); a record
 * carries at most TLS_RECORD_MAX bytes, so a hello may span records.
 */
#define TLS_HELLO_MAX		16384
#define TLS_RECORD_MAX		16384

/*
 * Names are kept as text: bytes 0x20..0x7e are copied as they are (no
 * lower-casing; a backslash stays a backslash, so the text does not always
 * tell "\x80" typed from the byte 0x80), any other byte becomes the four
 * characters \xHH in lower-case hex.  Example: ALPN bytes ba ad 68 32 give
 * "\xba\xadh2".  The text is NUL-terminated and holds no NUL byte.
 */
#define TLS_SNI_BUF		256	/* SNI text too long: TLS_INVALID */
#define TLS_ALPN_MAX		8	/* ids kept; the rest dropped */
#define TLS_ALPN_BUF		64	/* a longer id is cut, see alpn_cut */
#define TLS_VERSIONS_MAX	16	/* supported_versions entries kept */

enum tls_status {
	TLS_OK = 0,
	TLS_MORE,	/* a ClientHello so far: call again with more bytes */
	TLS_NOT_TLS,	/* the stream does not start with a ClientHello */
	TLS_INVALID,	/* starts like one but breaks the rules; why says how */
	TLS_TOOBIG,	/* handshake length over TLS_HELLO_MAX */
};

struct tls_hello {
	const char	*why;		/* static text when not TLS_OK */
	size_t		consumed;	/* bytes of p to the end of the record
					   holding the hello's last byte */
	uint16_t	record_version;	/* of the first record, e.g. 0x0301 */
	uint16_t	legacy_version;	/* ClientHello.legacy_version: 0x0303 */
	uint16_t	max_version;	/* highest non-GREASE supported_versions
					   entry, else legacy_version */
	bool		has_sni;	/* a host_name (type 0) was offered */
	bool		has_alpn;	/* the ALPN extension was present */
	bool		alpn_cut;	/* an id was cut, or ids were dropped */
	bool		has_supported_versions;
	bool		ech;		/* encrypted_client_hello (0xfe0d) */
	size_t		nciphers;	/* cipher suites, GREASE included */
	size_t		nextensions;	/* extensions, GREASE included */
	char		sni[TLS_SNI_BUF];	/* first host_name, as text */
	size_t		nalpn;		/* ids in alpn[], <= TLS_ALPN_MAX */
	char		alpn[TLS_ALPN_MAX][TLS_ALPN_BUF];
	size_t		nversions;	/* entries in versions[] */
	uint16_t	versions[TLS_VERSIONS_MAX];	/* no GREASE */
	/* where a hello that spans records is put together; not for callers */
	uint8_t		scratch[4 + TLS_HELLO_MAX];
};

/*
 * Decode the ClientHello at the start of p[0..len), the client's stream bytes
 * in order from the first.  TLS_NOT_TLS is decided from the first bytes (the
 * record type, the record version's major byte, the handshake type: "GET " is
 * refused after one byte); TLS_MORE means every byte so far is consistent
 * with a ClientHello that is not complete yet.  On TLS_OK every field is set;
 * otherwise only why (and record_version, once seen) mean anything.
 * Beyond the RFC 8446 syntax these are TLS_INVALID: a repeated extension
 * type, bytes after the extensions, a zero-length or over-long record,
 * another record type before the hello ends, an SNI host_name that is empty
 * or over 255 bytes.  An SSLv2-style hello is TLS_NOT_TLS.  Bytes after the
 * hello are not looked at.  h holds no pointer into p.
 */
enum tls_status	tls_client_hello(const uint8_t *p, size_t len,
		    struct tls_hello *h);

/* "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" (Wireshark's), or NULL. */
const char	*tls_version_name(uint16_t v);

/* "ok", "more", "not-tls", "invalid", "toobig". */
const char	*tls_status_name(enum tls_status s);

/* GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
bool		tls_is_grease(uint16_t v);

#endif
