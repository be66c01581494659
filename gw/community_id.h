/*
 * community_id.h - the Community ID v1 of a flow, the flow hash Zeek and Suricata log.
 * Pure functions on caller-owned values: no state, no allocation, no library beyond libc.
 */
#ifndef OUTGATE_COMMUNITY_ID_H
#define OUTGATE_COMMUNITY_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

/* "1:" + 28 characters of base64 (a 20-byte SHA-1) + NUL */
#define COMMUNITY_ID_LEN	31

/*
 * Write the Community ID v1 (github.com/corelight/community-id-spec) of the
 * flow whose initiator sent k to out, which must hold COMMUNITY_ID_LEN bytes.
 * seed is the spec's seed; 0 is its default, the one Zeek and Suricata use.
 *
 *   TCP, UDP, SCTP:  the addresses and k's ports.
 *   ICMP (proto 1), ICMPv6 (58):  the addresses, icmp_type and icmp_code;
 *       k's ports (the echo id) are not used.  A request and its reply give
 *       the same ID; a message without a reply type (an error, say) is
 *       hashed as sent, so the caller gives the initiator's type and code.
 *       With icmp_known false there is nothing to hash: -1.
 *   any other protocol:  the addresses alone.
 *
 * Both directions of a flow give the same ID.  Returns 0, or -1 (out set to
 * "" when outlen > 0) for a NULL argument, addresses that are not both IPv4
 * or both IPv6, ICMP without its type, or outlen < COMMUNITY_ID_LEN.
 */
int	community_id(const struct flow_key *k, uint16_t seed, bool icmp_known,
    uint8_t icmp_type, uint8_t icmp_code, char *out, size_t outlen);

/* The pure parts, exposed for the tests. */

#define COMMUNITY_ID_SHA1_LEN	20

/* SHA-1 (FIPS 180-4) of len bytes at data; data may be NULL when len is 0. */
void	community_id_sha1(const void *data, size_t len,
    uint8_t digest[COMMUNITY_ID_SHA1_LEN]);

#endif
