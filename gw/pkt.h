/*
 * pkt.h - decode one captured or queued frame into the fields the engine needs.
 * The decoder only reads: every pointer in struct pkt points into the caller's buffer.
 */
#ifndef OUTGATE_PKT_H
#define OUTGATE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/*
 * Link types, numbered as the pcap LINKTYPE_ registry numbers them (the values
 * stored in capture files), plus PKT_LINK_IP for buffers that start at the IP
 * header with no link layer (NFQUEUE).  replay maps libpcap's DLT_ values to
 * these with pkt_link_from_dlt().
 */
#define PKT_LINK_NULL		0	/* BSD loopback, host-order family */
#define PKT_LINK_ETHERNET	1
#define PKT_LINK_RAW		101	/* raw IPv4 or IPv6 */
#define PKT_LINK_LOOP		108	/* OpenBSD loopback, network-order family */
#define PKT_LINK_SLL		113	/* Linux cooked v1 */
#define PKT_LINK_IPV4		228
#define PKT_LINK_IPV6		229
#define PKT_LINK_SLL2		276	/* Linux cooked v2 */
#define PKT_LINK_IP		65536	/* ours: starts at the IP header */

enum pkt_status {
	PKT_OK = 0,
	PKT_TRUNCATED,		/* a header or a declared length runs past the data */
	PKT_INVALID,		/* a field holds a value no valid packet has */
	PKT_UNSUPPORTED,	/* well formed, but not something we decode (e.g. ARP) */
};

/* The inner packet quoted by an ICMP/ICMPv6 error: enough to find its flow. */
struct pkt_quote {
	struct addr	src, dst;
	uint8_t		proto;
	uint16_t	sport, dport;	/* ports, or the echo id in sport for ICMP echo */
};

struct pkt {
	enum pkt_status	status;
	const char	*why;		/* static text naming the defect when status != PKT_OK */

	/* link layer */
	uint8_t		nvlan;		/* 802.1Q / 802.1ad tags seen (up to 2 kept) */
	uint16_t	vlan[2];	/* VLAN ids, outer first */

	/* network layer */
	uint8_t		family;		/* 4 or 6; 0 when not IP */
	struct addr	src, dst;
	uint8_t		proto;		/* transport protocol (IPPROTO_*) after extension headers */
	uint8_t		ttl;		/* TTL or hop limit */
	uint16_t	ip_len;		/* length of the IP packet as declared (IPv6: 40 + payload;
					   saturates at 65535, see l3_len) */
	bool		frag;		/* this is a fragment (first or later) */
	bool		frag_more;	/* MF set */
	uint16_t	frag_off;	/* fragment offset in bytes */
	uint32_t	frag_id;	/* IPv4 id or IPv6 fragment identification */
	uint8_t		ip6_ext;	/* bitmask of PKT_EXT_* seen in the IPv6 chain */
	bool		jumbo;		/* IPv6 jumbogram (RFC 2675); ip_len is then 65535 */

	/* transport layer; valid when status == PKT_OK and !frag || frag_off == 0 */
	bool		has_l4;		/* the transport header was present and decoded */
	uint16_t	sport, dport;	/* TCP/UDP ports; ICMP echo: id in both */
	uint8_t		tcp_flags;	/* PKT_TCP_* */
	uint32_t	tcp_seq, tcp_ack;
	uint8_t		icmp_type, icmp_code;
	uint16_t	icmp_id;	/* echo request/reply identifier */
	uint16_t	icmp_seq;	/* and sequence number */
	uint16_t	icmp_len;	/* data after the 8-byte header as declared (not an
					   error's quote); payload holds what was captured */
	bool		icmp_error;	/* unreachable, too big, time exceeded, parameter problem */
	bool		has_quote;	/* icmp_error and the quoted header decoded */
	struct pkt_quote quote;

	/* views into the caller's buffer */
	const uint8_t	*l3;		/* IP header */
	size_t		l3_len;		/* captured bytes from l3, clipped to ip_len */
	const uint8_t	*payload;	/* transport payload (TCP/UDP data; ICMP data
					   after the header, but for an error) */
	size_t		payload_len;	/* captured payload bytes */
	bool		snapped;	/* the capture cut the frame short of its wire length */
};

#define PKT_TCP_FIN	0x01
#define PKT_TCP_SYN	0x02
#define PKT_TCP_RST	0x04
#define PKT_TCP_PSH	0x08
#define PKT_TCP_ACK	0x10
#define PKT_TCP_URG	0x20
#define PKT_TCP_ECE	0x40
#define PKT_TCP_CWR	0x80

#define PKT_EXT_HOPOPTS	0x01
#define PKT_EXT_ROUTING	0x02
#define PKT_EXT_FRAG	0x04
#define PKT_EXT_DSTOPTS	0x08
#define PKT_EXT_AH	0x10
#define PKT_EXT_NONEXT	0x20

/* Map a libpcap DLT_ value to a PKT_LINK_ value; -1 when unsupported. */
int	pkt_link_from_dlt(int dlt);
/* A short name for a PKT_LINK_ value, for messages. */
const char *pkt_link_name(int link);

/*
 * Decode caplen bytes of one frame of the given link type whose length on the
 * wire was wirelen (>= caplen; a capture's snaplen or a queue's copy range may
 * cut it).  Always fills p (status, why and whatever was decoded before a
 * defect); returns p->status.
 * - A length field that claims more than the wire carried is PKT_TRUNCATED.
 * - Bytes the capture cut (caplen < wirelen) are not a defect: p->snapped is
 *   set, headers that are present are decoded, and payload_len is what was
 *   captured.  A header that itself was cut is PKT_TRUNCATED.
 * - A non-IP frame (ARP, LLDP, ...) is PKT_UNSUPPORTED with family 0.
 */
enum pkt_status pkt_decode(struct pkt *p, int link, const uint8_t *data,
    size_t caplen, size_t wirelen);

const char *pkt_status_name(enum pkt_status s);
/* "tcp", "udp", "icmp", "icmpv6", or NULL for other protocol numbers. */
const char *pkt_proto_name(uint8_t proto);

#endif
