/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file pkt.h
 * @brief Frame decoding: link layer -> (VLAN) -> IPv4/IPv6 -> UDP/TCP, through VXLAN and
 * GENEVE tunnels, down to the DNS payload.
 *
 * Link types: Ethernet (802.1Q, 802.1ad/QinQ), Linux cooked SLL and SLL2, raw IPv4/IPv6,
 * BSD null and loopback. Tunnels (AWS VPC Traffic Mirroring sends VXLAN, a Gateway Load
 * Balancer sends GENEVE) are recognised by UDP destination port and decapsulated; the VNI of
 * the outermost tunnel (the mirror session) is kept, and the addresses reported are those of
 * the innermost packet, i.e. the DNS client and server, not the mirror source and target.
 *
 * With icmp set, ICMP (RFC 792) and ICMPv6 (RFC 4443) echo requests and replies are decoded
 * too, on the same path and inside the same tunnels, for the ICMP tunnel detector; other ICMP
 * types are skipped and counted (not_icmp_echo).
 *
 * What this does not do: reassemble IP fragments (non-first fragments are skipped and counted;
 * a first fragment is decoded as a truncated packet) or reassemble TCP (see tcp.h).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/common.h"
#include "lib/decode/counters.h"
#include "lib/base/err.h"

#define DX_MAX_LAYERS 8	    /* R8: VLAN tags, IPv6 extension headers, tunnels: each capped */
#define DX_MAX_PORTS 8	    /* tunnel ports per kind */
#define DX_DNS_PORT 53	    /* RFC 1035 4.2 */
#define DX_VXLAN_PORT 4789  /* RFC 7348 5 (IANA) */
#define DX_GENEVE_PORT 6081 /* RFC 8926 3.3 (IANA) */

/** What to decapsulate. Value type, filled from config. */
typedef struct dx_decode_cfg {
	uint16_t vxlan_ports[DX_MAX_PORTS];
	uint16_t geneve_ports[DX_MAX_PORTS];
	uint8_t n_vxlan, n_geneve;
	uint8_t max_encap; /* tunnels inside tunnels, 1..DX_MAX_LAYERS */
	bool icmp;	   /* decode ICMP and ICMPv6 echo requests and replies too */
} dx_decode_cfg_t;

/** Defaults: VXLAN on 4789, GENEVE on 6081, two nested tunnels, no ICMP. */
void dx_decode_cfg_defaults(dx_decode_cfg_t *cfg);

enum { DX_PROTO_ICMP = 1, DX_PROTO_TCP = 6, DX_PROTO_UDP = 17, DX_PROTO_ICMP6 = 58 };

/** A decoded packet; payload points into the caller's frame bytes (borrowed). */
typedef struct dx_pkt {
	const uint8_t *payload; /* L4 payload as captured (ICMP: after the 8-byte header) */
	size_t payload_len;
	uint32_t l4_len; /* the L4 length the IP header claims (at least payload_len + header) */
	uint8_t src[16], dst[16]; /* IPv4 uses the first 4 bytes */
	uint16_t sport, dport;
	uint32_t vni;	   /* outermost tunnel's VNI when has_vni */
	uint32_t tcp_seq;  /* TCP only */
	uint8_t af;	   /* 4 or 6 */
	uint8_t proto;	   /* DX_PROTO_UDP, DX_PROTO_TCP, DX_PROTO_ICMP or DX_PROTO_ICMP6 */
	uint8_t icmp_type; /* ICMP only: 8 or 0 (ICMPv6: 128 or 129); sport, dport: id, seq */
	uint8_t tcp_flags;
	uint8_t n_encap; /* tunnels removed */
	bool has_vni;
	bool truncated; /* some layer claimed more bytes than were captured */
} dx_pkt_t;

#define DX_TCP_FIN 0x01
#define DX_TCP_SYN 0x02
#define DX_TCP_RST 0x04
#define DX_TCP_ACK 0x10

/**
 * Decode one frame of link type dlt (a pcap DLT_ value) down to a UDP or TCP payload on the
 * DNS port, or (cfg->icmp) an ICMP echo payload. Reads only the caplen bytes at p. On DX_OK, *out is written. Otherwise returns a
 * negative dx_err and sets *why to the counter to bump (a skip, such as not_dns_port, or a
 * malformed reason). Never allocates.
 */
int dx_pkt_decode(const dx_decode_cfg_t *cfg, int dlt, const uint8_t *p, size_t caplen,
		  size_t wirelen, dx_pkt_t *out, enum dx_reason *why) DX_MUSTCHECK;

/** True if pcap link type dlt is one dx_pkt_decode() understands. */
bool dx_pkt_dlt_supported(int dlt);
