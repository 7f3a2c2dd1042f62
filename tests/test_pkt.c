/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <pcap/dlt.h>
#include <string.h>

#include "lib/decode/pkt.h"
#include "lib/decode/tunnel.h"
#include "tests/testutil.h"

static dx_decode_cfg_t cfg;

static int setup(void)
{
	dx_decode_cfg_defaults(&cfg);
	return 0;
}

static void test_pkt_eth_udp(void)
{
	tu_buf_t f = {.len = 0};
	tu_eth_ip4_udp(&f, "10.0.0.1", "10.0.0.2", 5555, 53, "hello", 5);
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.af, 4);
	CU_ASSERT_EQUAL(p.proto, DX_PROTO_UDP);
	CU_ASSERT_EQUAL(p.sport, 5555);
	CU_ASSERT_EQUAL(p.dport, 53);
	CU_ASSERT_EQUAL(p.src[3], 1);
	CU_ASSERT_EQUAL(p.payload_len, 5);
	CU_ASSERT_EQUAL(memcmp(p.payload, "hello", 5), 0);
	CU_ASSERT_FALSE(p.truncated);
	CU_ASSERT_FALSE(p.has_vni);
}

/* Ethernet padding after a short IP packet is not payload: the IP length narrows the view. */
static void test_pkt_eth_padding_ignored(void)
{
	tu_buf_t f = {.len = 0};
	tu_eth_ip4_udp(&f, "10.0.0.1", "10.0.0.2", 5555, 53, "hi", 2);
	static const uint8_t pad[16] = {0};
	tu_put(&f, pad, sizeof(pad));
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.payload_len, 2);
}

/* caplen shorter than the frame: decoded as far as it goes, flagged, not dropped (R2). */
static void test_pkt_truncated_flagged(void)
{
	tu_buf_t f = {.len = 0};
	uint8_t big[300];
	memset(big, 'd', sizeof(big));
	tu_eth_ip4_udp(&f, "10.0.0.1", "10.0.0.2", 53, 4444, big, sizeof(big));
	dx_pkt_t p;
	enum dx_reason why;
	size_t cap = 14 + 20 + 8 + 50;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, cap, f.len, &p, &why), DX_OK);
	CU_ASSERT_TRUE(p.truncated);
	CU_ASSERT_EQUAL(p.payload_len, 50);
}

/* Every prefix of a frame: a reason, never a crash, never a payload past the prefix. */
static void test_pkt_every_prefix(void)
{
	tu_buf_t f = {.len = 0};
	tu_eth_ip4_udp(&f, "10.0.0.1", "10.0.0.2", 5555, 53, "0123456789", 10);
	for (size_t n = 0; n <= f.len; n++) {
		uint8_t copy[128];
		memcpy(copy, f.b, n);
		dx_pkt_t p;
		enum dx_reason why = DX_R_COUNT;
		int rc = dx_pkt_decode(&cfg, DLT_EN10MB, copy, n, f.len, &p, &why);
		if (rc == DX_OK) {
			CU_ASSERT_TRUE(p.payload + p.payload_len <= copy + n);
			CU_ASSERT_EQUAL(p.truncated, n < f.len);
		} else {
			CU_ASSERT_TRUE(why < DX_R_COUNT);
		}
	}
}

static void wrap_vxlan(tu_buf_t *out, const tu_buf_t *inner, uint32_t vni, uint8_t flags)
{
	tu_buf_t v = {.len = 0};
	tu_u8(&v, flags);
	tu_u8(&v, 0);
	tu_be16(&v, 0);
	tu_be32(&v, vni << 8);
	tu_put(&v, inner->b, inner->len);
	tu_eth_ip4_udp(out, "172.31.0.10", "172.31.0.20", 40000, 4789, v.b, v.len);
}

/* The inner addresses are the DNS client's; the VNI of the mirror session is kept. */
static void test_pkt_vxlan_inner_addresses(void)
{
	tu_buf_t in = {.len = 0}, f = {.len = 0};
	tu_eth_ip4_udp(&in, "10.0.1.5", "10.0.0.2", 33333, 53, "dns", 3);
	wrap_vxlan(&f, &in, 123, 0x08);
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_TRUE(p.has_vni);
	CU_ASSERT_EQUAL(p.vni, 123);
	CU_ASSERT_EQUAL(p.n_encap, 1);
	CU_ASSERT_EQUAL(p.src[0], 10);
	CU_ASSERT_EQUAL(p.src[3], 5);
	CU_ASSERT_EQUAL(p.sport, 33333);
	CU_ASSERT_EQUAL(p.payload_len, 3);
}

static void test_pkt_vxlan_limits(void)
{
	tu_buf_t in = {.len = 0}, f1 = {.len = 0}, f2 = {.len = 0}, f3 = {.len = 0};
	tu_eth_ip4_udp(&in, "10.0.1.5", "10.0.0.2", 33333, 53, "dns", 3);
	wrap_vxlan(&f1, &in, 1, 0x08);
	wrap_vxlan(&f2, &f1, 2, 0x08);
	wrap_vxlan(&f3, &f2, 3, 0x08);
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f2.b, f2.len, f2.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.vni, 2); /* the outermost */
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f3.b, f3.len, f3.len, &p, &why), DX_EDEPTH);
	CU_ASSERT_EQUAL(why, DX_R_too_many_layers);
	tu_buf_t bad = {.len = 0};
	wrap_vxlan(&bad, &in, 1, 0x00);
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, bad.b, bad.len, bad.len, &p, &why),
			DX_EMALF);
	CU_ASSERT_EQUAL(why, DX_R_vxlan_bad_flags);
	/* Another port configured: 4789 is then ordinary UDP, not DNS. */
	dx_decode_cfg_t other = cfg;
	other.vxlan_ports[0] = 8472;
	CU_ASSERT_EQUAL(dx_pkt_decode(&other, DLT_EN10MB, f1.b, f1.len, f1.len, &p, &why),
			DX_EUNSUP);
	CU_ASSERT_EQUAL(why, DX_R_not_dns_port);
}

/* GENEVE as a Gateway Load Balancer sends it: IPv4 inside directly, with an option. */
static void test_pkt_geneve_ip_inner(void)
{
	tu_buf_t g = {.len = 0}, f = {.len = 0};
	tu_u8(&g, 2); /* version 0, 2 × 4 bytes of options */
	tu_u8(&g, 0);
	tu_be16(&g, 0x0800);
	tu_be32(&g, 77u << 8);
	tu_be32(&g, 0x01080101); /* option class 0x0108, type 1, length 1 word */
	tu_be32(&g, 0xDEADBEEF);
	tu_buf_t eth = {.len = 0};
	tu_eth_ip4_udp(&eth, "10.0.2.9", "10.0.0.2", 35000, 53, "q", 1);
	tu_put(&g, eth.b + 14, eth.len - 14); /* the IP packet without its Ethernet header */
	tu_eth_ip4_udp(&f, "10.0.8.1", "10.0.8.2", 50000, 6081, g.b, g.len);
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.vni, 77);
	CU_ASSERT_EQUAL(p.src[3], 9);
	CU_ASSERT_EQUAL(p.payload_len, 1);
}

/* Traffic Mirroring behind a Gateway Load Balancer: GENEVE (the GWLB's VNI, IPv4 inside)
 * around the mirror session's VXLAN around the client's frame. The addresses are the
 * client's and the VNI is the mirror session's, not the GWLB's. */
static void test_pkt_geneve_around_vxlan(void)
{
	tu_buf_t in = {.len = 0}, vx = {.len = 0}, g = {.len = 0}, f = {.len = 0};
	tu_eth_ip4_udp(&in, "10.0.1.5", "10.0.0.2", 33333, 53, "dns", 3);
	wrap_vxlan(&vx, &in, 123, 0x08); /* source ENI -> GWLB endpoint */
	tu_u8(&g, 2);
	tu_u8(&g, 0);
	tu_be16(&g, 0x0800);
	tu_be32(&g, 4242u << 8);
	tu_be32(&g, 0x01080101); /* the GWLB's flow cookie option */
	tu_be32(&g, 0xC0FFEE00);
	tu_put(&g, vx.b + 14, vx.len - 14);
	tu_eth_ip4_udp(&f, "10.0.8.1", "10.0.8.2", 50000, 6081, g.b, g.len);
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.n_encap, 2);
	CU_ASSERT_EQUAL(p.vni, 123);
	CU_ASSERT_EQUAL(p.src[3], 5);
	CU_ASSERT_EQUAL(p.sport, 33333);
	CU_ASSERT_EQUAL(p.payload_len, 3);
	/* one more layer is over max_encap (2): counted, not decoded */
	dx_decode_cfg_t one = cfg;
	one.max_encap = 1;
	CU_ASSERT_EQUAL(dx_pkt_decode(&one, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EDEPTH);
	CU_ASSERT_EQUAL(why, DX_R_too_many_layers);
}

static void test_pkt_fragments(void)
{
	tu_buf_t f = {.len = 0};
	tu_eth_ip4_udp(&f, "10.0.0.1", "10.0.0.2", 5555, 53, "hello", 5);
	dx_pkt_t p;
	enum dx_reason why;
	tu_set16(&f, 14 + 6, 0x0010); /* fragment offset 16 × 8 */
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EUNSUP);
	CU_ASSERT_EQUAL(why, DX_R_ip_frag_skipped);
	tu_set16(&f, 14 + 6, 0x2000); /* more fragments, offset 0: decoded, truncated */
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_TRUE(p.truncated);
}

static void test_pkt_bad_headers(void)
{
	tu_buf_t f = {.len = 0};
	tu_eth_ip4_udp(&f, "10.0.0.1", "10.0.0.2", 5555, 53, "hello", 5);
	dx_pkt_t p;
	enum dx_reason why;
	f.b[14] = 0x44; /* IHL 4 */
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EMALF);
	CU_ASSERT_EQUAL(why, DX_R_bad_ihl);
	f.b[14] = 0x45;
	tu_set16(&f, 14 + 20 + 4, 7); /* UDP length below its header */
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EMALF);
	CU_ASSERT_EQUAL(why, DX_R_bad_udp_len);
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, 9999, f.b, f.len, f.len, &p, &why), DX_EUNSUP);
	CU_ASSERT_EQUAL(why, DX_R_unknown_linktype);
}

/* A stack of nine 802.1Q tags is over the cap. */
static void test_pkt_vlan_cap(void)
{
	tu_buf_t f = {.len = 0};
	static const uint8_t macs[12] = {0};
	tu_put(&f, macs, 12);
	for (int i = 0; i < 9; i++) {
		tu_be16(&f, 0x8100);
		tu_be16(&f, (unsigned) i);
	}
	tu_be16(&f, 0x0800);
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EMALF);
	CU_ASSERT_EQUAL(why, DX_R_too_many_layers);
}

static void test_pkt_tcp(void)
{
	tu_buf_t f = {.len = 0};
	tu_eth_ip4_tcp(&f, "10.0.0.1", "10.0.0.2", 40000, 53, 12345, 0x18,
		       "\x00\x03"
		       "abc",
		       5);
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.proto, DX_PROTO_TCP);
	CU_ASSERT_EQUAL(p.tcp_seq, 12345);
	CU_ASSERT_EQUAL(p.tcp_flags, 0x18);
	CU_ASSERT_EQUAL(p.payload_len, 5);
	f.b[14 + 20 + 12] = 4 << 4; /* data offset 4 */
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EMALF);
	CU_ASSERT_EQUAL(why, DX_R_bad_tcp_off);
}

/* The tunnel headers alone (decode/tunnel.c): each reason, the VNI, the inner ethertype. */
static void test_pkt_tunnel_decap(void)
{
	dx_decode_cfg_t dc;
	dx_decode_cfg_defaults(&dc);
	CU_ASSERT_EQUAL(dx_tunnel_of(&dc, 4789), DX_TUN_VXLAN);
	CU_ASSERT_EQUAL(dx_tunnel_of(&dc, 6081), DX_TUN_GENEVE);
	CU_ASSERT_EQUAL(dx_tunnel_of(&dc, 4790), DX_TUN_NONE);
	/* VXLAN, VNI 123, then an Ethernet header carrying IPv4 */
	static const uint8_t vx[] = {0x08, 0, 0, 0, 0, 0,  123, 0,  1,	  2,	3,   4,
				     5,	   6, 7, 8, 9, 10, 11,	12, 0x08, 0x00, 0x45};
	dx_cur_t pay = dx_cur_init(vx, sizeof(vx)), in;
	int et = 0;
	uint32_t vni = 0;
	enum dx_reason why = DX_R_COUNT;
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_VXLAN, &pay, &in, &et, &vni, &why), DX_OK);
	CU_ASSERT_EQUAL(vni, 123);
	CU_ASSERT_EQUAL(et, DX_ETH_IPV4);
	CU_ASSERT_EQUAL(dx_cur_left(&in), 1);
	uint8_t bad[sizeof(vx)];
	memcpy(bad, vx, sizeof(vx));
	bad[0] = 0; /* I flag clear */
	pay = dx_cur_init(bad, sizeof(bad));
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_VXLAN, &pay, &in, &et, &vni, &why), DX_EMALF);
	CU_ASSERT_EQUAL(why, DX_R_vxlan_bad_flags);
	pay = dx_cur_init(vx, 7);
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_VXLAN, &pay, &in, &et, &vni, &why), DX_ETRUNC);
	CU_ASSERT_EQUAL(why, DX_R_trunc_vxlan);
	pay = dx_cur_init(vx, 8 + 13); /* the inner Ethernet header cut */
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_VXLAN, &pay, &in, &et, &vni, &why), DX_ETRUNC);
	CU_ASSERT_EQUAL(why, DX_R_trunc_l2);
	/* GENEVE: one 4-byte option, IPv6 straight inside; version 1; options past the end;
	 * an unknown protocol */
	static const uint8_t gn[] = {0x01, 0, 0x86, 0xDD, 0, 0, 7, 0, 9, 9, 9, 9, 0x60};
	pay = dx_cur_init(gn, sizeof(gn));
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_GENEVE, &pay, &in, &et, &vni, &why), DX_OK);
	CU_ASSERT_EQUAL(vni, 7);
	CU_ASSERT_EQUAL(et, DX_ETH_IPV6);
	CU_ASSERT_EQUAL(dx_cur_left(&in), 1);
	uint8_t g2[sizeof(gn)];
	memcpy(g2, gn, sizeof(gn));
	g2[0] = 0x41;
	pay = dx_cur_init(g2, sizeof(g2));
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_GENEVE, &pay, &in, &et, &vni, &why), DX_EMALF);
	CU_ASSERT_EQUAL(why, DX_R_geneve_bad_version);
	g2[0] = 0x05; /* 20 bytes of options in a 13-byte header */
	pay = dx_cur_init(g2, sizeof(g2));
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_GENEVE, &pay, &in, &et, &vni, &why), DX_ETRUNC);
	CU_ASSERT_EQUAL(why, DX_R_trunc_geneve);
	memcpy(g2, gn, sizeof(gn));
	g2[2] = 0x12;
	pay = dx_cur_init(g2, sizeof(g2));
	CU_ASSERT_EQUAL(dx_tunnel_decap(DX_TUN_GENEVE, &pay, &in, &et, &vni, &why), DX_EUNSUP);
	CU_ASSERT_EQUAL(why, DX_R_geneve_unknown_proto);
}

/* ICMP echo ([capture] icmp): off by default (counted as not UDP or TCP); on, requests and
 * replies of both families decoded (identifier, sequence, payload, the length the IP header
 * claims), inside VXLAN too; other types skipped by their own reason; a cut header is
 * malformed, a cut payload flagged; fragments as for UDP. */
static void test_pkt_icmp_echo(void)
{
	uint8_t data[64];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t) i;
	tu_buf_t f = {.len = 0};
	tu_eth_icmp(&f, "10.0.0.1", "10.0.0.2", 8, 0x1234, 7, data, sizeof(data));
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL(dx_pkt_decode(&cfg, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EUNSUP);
	CU_ASSERT_EQUAL(why, DX_R_not_udp_tcp);
	dx_decode_cfg_t on = cfg;
	on.icmp = true;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&on, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.proto, DX_PROTO_ICMP);
	CU_ASSERT_EQUAL(p.icmp_type, 8);
	CU_ASSERT_EQUAL(p.sport, 0x1234);
	CU_ASSERT_EQUAL(p.dport, 7);
	CU_ASSERT_EQUAL(p.payload_len, sizeof(data));
	CU_ASSERT_EQUAL(p.l4_len, 8 + sizeof(data));
	CU_ASSERT_EQUAL(memcmp(p.payload, data, sizeof(data)), 0);
	CU_ASSERT_FALSE(p.truncated);
	/* cut by the snaplen: the payload as captured, the length as sent */
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&on, DLT_EN10MB, f.b, f.len - 40, f.len, &p, &why),
			      DX_OK);
	CU_ASSERT_TRUE(p.truncated);
	CU_ASSERT_EQUAL(p.payload_len, sizeof(data) - 40);
	CU_ASSERT_EQUAL(p.l4_len, 8 + sizeof(data));
	CU_ASSERT_EQUAL(dx_pkt_decode(&on, DLT_EN10MB, f.b, 14 + 20 + 5, f.len, &p, &why),
			DX_ETRUNC);
	CU_ASSERT_EQUAL(why, DX_R_trunc_icmp);
	/* every prefix: a reason or a payload inside it */
	for (size_t n = 0; n <= f.len; n++) {
		int rc = dx_pkt_decode(&on, DLT_EN10MB, f.b, n, f.len, &p, &why);
		if (rc == DX_OK)
			CU_ASSERT_TRUE(p.payload + p.payload_len <= f.b + n);
	}
	/* fragments of a large ping: a later one skipped, the first decoded and flagged */
	tu_set16(&f, 14 + 6, 0x00B9);
	CU_ASSERT_EQUAL(dx_pkt_decode(&on, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_EUNSUP);
	CU_ASSERT_EQUAL(why, DX_R_ip_frag_skipped);
	tu_set16(&f, 14 + 6, 0x2000);
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&on, DLT_EN10MB, f.b, f.len, f.len, &p, &why), DX_OK);
	CU_ASSERT_TRUE(p.truncated);

	tu_buf_t r = {.len = 0};
	tu_eth_icmp(&r, "fd00::2", "fd00::1", 129, 9, 1, data, 10);
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&on, DLT_EN10MB, r.b, r.len, r.len, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.af, 6);
	CU_ASSERT_EQUAL(p.proto, DX_PROTO_ICMP6);
	CU_ASSERT_EQUAL(p.icmp_type, 129);
	CU_ASSERT_EQUAL(p.payload_len, 10);

	/* not echoes: unreachable, a neighbour solicitation, the other family's echo number */
	static const struct {
		const char *src, *dst;
		unsigned type;
	} other[] = {{"10.0.0.1", "10.0.0.2", 3},
		     {"10.0.0.1", "10.0.0.2", 11},
		     {"10.0.0.1", "10.0.0.2", 128},
		     {"fd00::2", "fd00::1", 135},
		     {"fd00::2", "fd00::1", 8}};
	for (unsigned i = 0; i < ARRAY_SIZE(other); i++) {
		tu_buf_t o = {.len = 0};
		tu_eth_icmp(&o, other[i].src, other[i].dst, other[i].type, 1, 1, data, 8);
		CU_ASSERT_EQUAL(dx_pkt_decode(&on, DLT_EN10MB, o.b, o.len, o.len, &p, &why),
				DX_EUNSUP);
		CU_ASSERT_EQUAL(why, DX_R_not_icmp_echo);
	}

	/* mirrored: the echo inside the session's VXLAN, its VNI kept */
	tu_buf_t in = {.len = 0}, vx = {.len = 0};
	tu_eth_icmp(&in, "10.0.1.5", "10.0.0.9", 0, 3, 4, data, 32);
	wrap_vxlan(&vx, &in, 55, 0x08);
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&on, DLT_EN10MB, vx.b, vx.len, vx.len, &p, &why),
			      DX_OK);
	CU_ASSERT_EQUAL(p.proto, DX_PROTO_ICMP);
	CU_ASSERT_EQUAL(p.vni, 55);
	CU_ASSERT_EQUAL(p.src[3], 5);
	CU_ASSERT_EQUAL(p.icmp_type, 0);
	CU_ASSERT_EQUAL(p.payload_len, 32);
}

static CU_TestInfo pkt_tests[] = {
    {"icmp_echo", test_pkt_icmp_echo},
    {"eth_udp", test_pkt_eth_udp},
    {"tunnel_decap", test_pkt_tunnel_decap},
    {"eth_padding_ignored", test_pkt_eth_padding_ignored},
    {"truncated_flagged", test_pkt_truncated_flagged},
    {"every_prefix", test_pkt_every_prefix},
    {"vxlan_inner_addresses", test_pkt_vxlan_inner_addresses},
    {"vxlan_limits", test_pkt_vxlan_limits},
    {"geneve_ip_inner", test_pkt_geneve_ip_inner},
    {"geneve_around_vxlan", test_pkt_geneve_around_vxlan},
    {"fragments", test_pkt_fragments},
    {"bad_headers", test_pkt_bad_headers},
    {"vlan_cap", test_pkt_vlan_cap},
    {"tcp", test_pkt_tcp},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"pkt", setup, NULL, NULL, NULL, pkt_tests},
    CU_SUITE_INFO_NULL,
};
