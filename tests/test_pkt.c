/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <pcap/dlt.h>
#include <string.h>

#include "lib/decode/pkt.h"
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

static CU_TestInfo pkt_tests[] = {
    {"eth_udp", test_pkt_eth_udp},
    {"eth_padding_ignored", test_pkt_eth_padding_ignored},
    {"truncated_flagged", test_pkt_truncated_flagged},
    {"every_prefix", test_pkt_every_prefix},
    {"vxlan_inner_addresses", test_pkt_vxlan_inner_addresses},
    {"vxlan_limits", test_pkt_vxlan_limits},
    {"geneve_ip_inner", test_pkt_geneve_ip_inner},
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
