/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frame decoder, run by the parser thread on each frame the capture thread copied into ring A.
 *
 * One loop walks the layers: a link header gives an ethertype, the ethertype an IP header, IP
 * a UDP or TCP header, and a UDP header on a tunnel port starts the loop again on the inner
 * frame (the tunnel headers themselves: tunnel.c). Every length field in the packet can only narrow the view (R4): the IP total length,
 * the IPv6 payload length and the UDP length each become a sub-cursor of min(field, captured),
 * and a field claiming more than was captured marks the packet truncated instead of dropping
 * it (R2): a question usually fits even when a mirror session cut the rest. Each layer kind
 * has a cap (R8) so a crafted stack of VLAN tags, extension headers or tunnels costs bounded
 * work.
 */
#include <pcap/dlt.h>
#include <string.h>

#include "lib/decode/cursor.h"
#include "lib/decode/pkt.h"
#include "lib/decode/tunnel.h"

#define ETH_IPV4 DX_ETH_IPV4
#define ETH_IPV6 DX_ETH_IPV6
#define ETH_VLAN 0x8100 /* IEEE 802.1Q */
#define ETH_QINQ 0x88A8 /* IEEE 802.1ad */
#define ETH_QINQ_OLD 0x9100

void dx_decode_cfg_defaults(dx_decode_cfg_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vxlan_ports[0] = DX_VXLAN_PORT;
	cfg->n_vxlan = 1;
	cfg->geneve_ports[0] = DX_GENEVE_PORT;
	cfg->n_geneve = 1;
	cfg->max_encap = 2;
}

bool dx_pkt_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
#if defined(DLT_RAW) && DLT_RAW != 12
	case 12:
#endif
	case 101: /* LINKTYPE_RAW as some writers leave it */
		return true;
	default:
		return false;
	}
}

/* BSD loopback: the address family in the capturing host's byte order. Values: AF_INET is 2
 * everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS). */
static int null_family_to_etype(uint32_t fam)
{
	if (fam > 0xFFFF) /* written on a host of the other byte order */
		fam = (fam >> 24) | ((fam >> 8) & 0xFF00);
	switch (fam) {
	case 2:
		return ETH_IPV4;
	case 10:
	case 24:
	case 28:
	case 30:
		return ETH_IPV6;
	default:
		return -1;
	}
}

/* The link header: returns the ethertype of what follows (or L_IP for raw), or -1 with *why. */
static int decode_link(int dlt, dx_cur_t *c, enum dx_reason *why)
{
	int et;
	switch (dlt) {
	case DLT_EN10MB: /* destination and source MAC, ethertype */
		et = dx_hdr_be16(dx_cur_take(c, 14), 12);
		break;
	case DLT_LINUX_SLL: /* 16 bytes: type, ARPHRD, addr len, 8 addr bytes, protocol */
		dx_cur_skip(c, 14);
		et = dx_cur_be16(c);
		break;
	case DLT_LINUX_SLL2: /* 20 bytes: protocol first */
		et = dx_cur_be16(c);
		dx_cur_skip(c, 18);
		break;
	case DLT_NULL:
		et = null_family_to_etype(dx_cur_le32(c));
		break;
	case DLT_LOOP:
		et = null_family_to_etype(dx_cur_be32(c));
		break;
	case DLT_IPV4:
		return ETH_IPV4;
	case DLT_IPV6:
		return ETH_IPV6;
	default:
		if (dx_pkt_dlt_supported(dlt)) /* the raw IP variants */
			return 0;
		*why = DX_R_unknown_linktype;
		return -1;
	}
	if (c->err != DX_OK) {
		*why = DX_R_trunc_l2;
		return -1;
	}
	if (et < 0) {
		*why = DX_R_not_ip;
		return -1;
	}
	return et;
}

/* 802.1Q / QinQ tags, then the ethertype of the payload. */
static int skip_vlans(dx_cur_t *c, int et, enum dx_reason *why)
{
	unsigned tags = 0;
	while (et == ETH_VLAN || et == ETH_QINQ || et == ETH_QINQ_OLD) {
		if (++tags > DX_MAX_LAYERS) {
			*why = DX_R_too_many_layers;
			return -1;
		}
		dx_cur_skip(c, 2); /* TCI */
		et = dx_cur_be16(c);
		if (c->err != DX_OK) {
			*why = DX_R_trunc_l2;
			return -1;
		}
	}
	return et;
}

/* IPv4 (RFC 791). On success *c is narrowed to the IP payload. */
static int decode_ipv4(dx_cur_t *c, dx_pkt_t *out, uint8_t *proto, enum dx_reason *why)
{
	size_t start = c->off;
	dx_hdr_t h = dx_cur_take(c, 20);
	uint8_t vihl = dx_hdr_u8(h, 0);
	uint16_t total = dx_hdr_be16(h, 2);
	uint16_t frag = dx_hdr_be16(h, 6);
	*proto = dx_hdr_u8(h, 9);
	/* the checksum (10) is not checked: mirrored and offloaded packets often carry a bad one */
	dx_hdr_copy(h, 12, out->src, 4);
	dx_hdr_copy(h, 16, out->dst, 4);
	if (c->err != DX_OK) {
		*why = DX_R_trunc_ip;
		return -1;
	}
	if ((vihl >> 4) != 4) {
		*why = DX_R_bad_ip_version;
		return -1;
	}
	size_t ihl = (size_t) (vihl & 0x0F) * 4;
	if (ihl < 20) {
		*why = DX_R_bad_ihl;
		return -1;
	}
	/* A zero total length is what TSO-offloaded captures show: trust the capture then. */
	size_t left_from_start = c->len - start;
	size_t total_len = total == 0 ? left_from_start : total;
	if (total_len < ihl) {
		*why = DX_R_bad_ip_len;
		return -1;
	}
	out->l4_len = (uint32_t) (total_len - ihl);
	dx_cur_skip(c, ihl - 20); /* options */
	if (c->err != DX_OK) {
		*why = DX_R_trunc_ip;
		return -1;
	}
	bool short_;
	dx_cur_t pay = dx_cur_sub_upto(c, total_len - ihl, &short_);
	if (short_)
		out->truncated = true;
	if ((frag & 0x1FFF) != 0) { /* non-first fragment: no L4 header here */
		*why = DX_R_ip_frag_skipped;
		return -1;
	}
	if (frag & 0x2000) /* more fragments: the payload continues elsewhere */
		out->truncated = true;
	out->af = 4;
	*c = pay;
	return 0;
}

/* IPv6 (RFC 8200) and its extension headers, each bounded. */
/* One IPv6 extension header at pay, whose type is *nh: skipped, *nh its next header. 1 if
 * *nh is no extension header (the upper layer starts here), 0 after one, -1 with *why. */
static int ipv6_ext(dx_cur_t *pay, uint8_t *nh, dx_pkt_t *out, enum dx_reason *why)
{
	uint8_t next = 0;
	switch (*nh) {
	case 0:	 /* hop-by-hop options */
	case 43: /* routing */
	case 60: /* destination options */
	{
		next = dx_cur_u8(pay);
		uint8_t len8 = dx_cur_u8(pay);
		dx_cur_skip(pay, (size_t) len8 * 8 + 6);
		break;
	}
	case 51: /* AH (RFC 4302): length in 4-octet units minus 2 */
	{
		next = dx_cur_u8(pay);
		uint8_t len4 = dx_cur_u8(pay);
		dx_cur_skip(pay, ((size_t) len4 + 2) * 4 - 2);
		break;
	}
	case 44: /* fragment */
	{
		next = dx_cur_u8(pay);
		dx_cur_skip(pay, 1);
		uint16_t offm = dx_cur_be16(pay);
		dx_cur_skip(pay, 4);
		if (pay->err != DX_OK)
			break;
		if ((offm & 0xFFF8) != 0) {
			*why = DX_R_ip_frag_skipped;
			return -1;
		}
		if (offm & 1)
			out->truncated = true;
		break;
	}
	default:
		return 1;
	}
	if (pay->err != DX_OK) {
		*why = DX_R_trunc_ipv6_ext;
		return -1;
	}
	*nh = next;
	return 0;
}

static int decode_ipv6(dx_cur_t *c, dx_pkt_t *out, uint8_t *proto, enum dx_reason *why)
{
	dx_hdr_t h = dx_cur_take(c, 40);
	uint8_t ver = dx_hdr_u8(h, 0) >> 4;
	uint16_t plen = dx_hdr_be16(h, 4);
	uint8_t nh = dx_hdr_u8(h, 6);
	dx_hdr_copy(h, 8, out->src, 16);
	dx_hdr_copy(h, 24, out->dst, 16);
	if (c->err != DX_OK) {
		*why = DX_R_trunc_ip;
		return -1;
	}
	if (ver != 6) {
		*why = DX_R_bad_ip_version;
		return -1;
	}
	bool short_;
	/* Payload length 0 is a jumbogram (RFC 2675) or TSO: take what was captured. */
	dx_cur_t pay = dx_cur_sub_upto(c, plen == 0 ? dx_cur_left(c) : plen, &short_);
	if (short_)
		out->truncated = true;
	size_t ext_start = pay.off;
	for (unsigned n = 0;; n++) {
		if (n > DX_MAX_LAYERS) {
			*why = DX_R_too_many_layers;
			return -1;
		}
		int rc = ipv6_ext(&pay, &nh, out, why);
		if (rc < 0)
			return -1;
		if (rc > 0)
			break;
	}
	size_t claimed = plen == 0 ? pay.len - ext_start : plen;
	size_t ext = pay.off - ext_start;
	out->l4_len = (uint32_t) (claimed > ext ? claimed - ext : 0);
	out->af = 6;
	*proto = nh;
	*c = pay;
	return 0;
}

/* An ICMP echo request or reply (RFC 792; ICMPv6: RFC 4443 4.1, 4.2): type, code, checksum,
 * identifier, sequence number, then the payload. Other types are skipped (counted). */
static int decode_icmp(dx_cur_t *c, dx_pkt_t *pk, dx_pkt_t *out, enum dx_reason *why)
{
	dx_hdr_t h = dx_cur_take(c, 8);
	uint8_t type = dx_hdr_u8(h, 0);
	pk->sport = dx_hdr_be16(h, 4);
	pk->dport = dx_hdr_be16(h, 6);
	if (c->err != DX_OK) {
		*why = DX_R_trunc_icmp;
		return DX_ETRUNC;
	}
	bool echo = pk->af == 4 ? type == 8 || type == 0 : type == 128 || type == 129;
	if (!echo) {
		*why = DX_R_not_icmp_echo;
		return DX_EUNSUP;
	}
	pk->proto = pk->af == 4 ? DX_PROTO_ICMP : DX_PROTO_ICMP6;
	pk->icmp_type = type;
	pk->payload = c->base + c->off;
	pk->payload_len = dx_cur_left(c);
	if (pk->l4_len < 8 + pk->payload_len) /* a zero IP length: the capture's */
		pk->l4_len = (uint32_t) (8 + pk->payload_len);
	*out = *pk;
	return DX_OK;
}

int dx_pkt_decode(const dx_decode_cfg_t *cfg, int dlt, const uint8_t *p, size_t caplen,
		  size_t wirelen, dx_pkt_t *out, enum dx_reason *why)
{
	dx_cur_t c = dx_cur_init(p, caplen);
	dx_pkt_t pk;
	memset(&pk, 0, sizeof(pk));
	pk.truncated = caplen < wirelen;
	bool vni_vxlan = false; /* pk.vni is a VXLAN header's */

	int et = decode_link(dlt, &c, why);
	if (et < 0)
		return DX_EUNSUP;
	for (;;) {
		if (et != 0) { /* 0: raw IP, the version nibble decides */
			et = skip_vlans(&c, et, why);
			if (et < 0)
				return DX_EMALF;
			if (et != ETH_IPV4 && et != ETH_IPV6) {
				*why = DX_R_not_ip;
				return DX_EUNSUP;
			}
		} else {
			if (dx_cur_left(&c) < 1) {
				*why = DX_R_trunc_ip;
				return DX_ETRUNC;
			}
			et = (c.base[c.off] >> 4) == 6 ? ETH_IPV6 : ETH_IPV4;
		}

		uint8_t proto = 0;
		int rc = et == ETH_IPV4 ? decode_ipv4(&c, &pk, &proto, why)
					: decode_ipv6(&c, &pk, &proto, why);
		if (rc < 0)
			return *why == DX_R_ip_frag_skipped ? DX_EUNSUP : DX_EMALF;

		if (proto == DX_PROTO_UDP) {
			dx_hdr_t h = dx_cur_take(&c, 8); /* ports, length, checksum */
			pk.sport = dx_hdr_be16(h, 0);
			pk.dport = dx_hdr_be16(h, 2);
			uint16_t ulen = dx_hdr_be16(h, 4);
			if (c.err != DX_OK) {
				*why = DX_R_trunc_udp;
				return DX_ETRUNC;
			}
			/* Length 0 over IPv6 is a jumbogram (RFC 2675): use the IP payload. */
			if (ulen != 0 && ulen < 8) {
				*why = DX_R_bad_udp_len;
				return DX_EMALF;
			}
			bool short_;
			dx_cur_t pay =
			    dx_cur_sub_upto(&c, ulen == 0 ? dx_cur_left(&c) : ulen - 8u, &short_);
			if (short_)
				pk.truncated = true;

			/* DNS on either port is never a tunnel: the tunnel ports are looked up
			 * only for the rest */
			bool dns = pk.sport == DX_DNS_PORT || pk.dport == DX_DNS_PORT;
			enum dx_tunnel tun = dns ? DX_TUN_NONE : dx_tunnel_of(cfg, pk.dport);
			if (tun != DX_TUN_NONE) {
				if (pk.n_encap >= cfg->max_encap) {
					*why = DX_R_too_many_layers;
					return DX_EDEPTH;
				}
				uint32_t vni;
				int trc = dx_tunnel_decap(tun, &pay, &c, &et, &vni, why);
				if (trc != DX_OK)
					return trc;
				/* The mirror session is the outermost VXLAN: behind a Gateway Load
				 * Balancer it arrives inside GENEVE, whose VNI is the GWLB's. A GENEVE
				 * VNI is kept only when no VXLAN follows. */
				if (!pk.has_vni || (tun == DX_TUN_VXLAN && !vni_vxlan)) {
					pk.has_vni = true;
					pk.vni = vni;
					vni_vxlan = tun == DX_TUN_VXLAN;
				}
				pk.n_encap++;
				continue;
			}
			if (!dns) {
				*why = DX_R_not_dns_port;
				return DX_EUNSUP;
			}
			pk.proto = DX_PROTO_UDP;
			pk.payload = pay.base + pay.off;
			pk.payload_len = dx_cur_left(&pay);
			*out = pk;
			return DX_OK;
		}
		if (proto == DX_PROTO_TCP) { /* RFC 9293 3.1 */
			pk.sport = dx_cur_be16(&c);
			pk.dport = dx_cur_be16(&c);
			pk.tcp_seq = dx_cur_be32(&c);
			dx_cur_skip(&c, 4); /* ack */
			uint8_t off = dx_cur_u8(&c) >> 4;
			pk.tcp_flags = dx_cur_u8(&c);
			dx_cur_skip(&c, 6); /* window, checksum, urgent */
			if (c.err != DX_OK) {
				*why = DX_R_trunc_tcp;
				return DX_ETRUNC;
			}
			if (off < 5) {
				*why = DX_R_bad_tcp_off;
				return DX_EMALF;
			}
			dx_cur_skip(&c, (size_t) (off - 5) * 4);
			if (c.err != DX_OK) {
				*why = DX_R_trunc_tcp;
				return DX_ETRUNC;
			}
			if (pk.sport != DX_DNS_PORT && pk.dport != DX_DNS_PORT) {
				*why = DX_R_not_dns_port;
				return DX_EUNSUP;
			}
			pk.proto = DX_PROTO_TCP;
			pk.payload = c.base + c.off;
			pk.payload_len = dx_cur_left(&c);
			*out = pk;
			return DX_OK;
		}
		/* last: the DNS path does not pay for the test */
		if (cfg->icmp && (pk.af == 4 ? proto == DX_PROTO_ICMP : proto == DX_PROTO_ICMP6))
			return decode_icmp(&c, &pk, out, why);
		*why = DX_R_not_udp_tcp;
		return DX_EUNSUP;
	}
}
