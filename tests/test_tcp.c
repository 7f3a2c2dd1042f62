/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <string.h>

#include "lib/decode/tcp.h"

struct got {
	int n;
	size_t len[16];
	uint8_t first[16];
	bool partial[16];
};

static void on_msg(void *ctx, const dx_pkt_t *pkt, const uint8_t *msg, size_t len, bool partial)
{
	(void) pkt;
	struct got *g = ctx;
	if (g->n < 16) {
		g->len[g->n] = len;
		g->first[g->n] = len ? msg[0] : 0;
		g->partial[g->n] = partial;
	}
	g->n++;
}

static const dx_hash_key_t key = {1, 2};

static dx_pkt_t seg(uint16_t sport, uint32_t seq, uint8_t flags, const uint8_t *p, size_t n)
{
	dx_pkt_t k;
	memset(&k, 0, sizeof(k));
	k.af = 4;
	k.src[0] = 10;
	k.dst[0] = 10;
	k.dst[3] = 2;
	k.sport = sport;
	k.dport = 53;
	k.proto = DX_PROTO_TCP;
	k.tcp_seq = seq;
	k.tcp_flags = flags;
	k.payload = p;
	k.payload_len = n;
	return k;
}

/* Build "len-prefix + n bytes of value v" into out. */
static size_t framed(uint8_t *out, size_t n, uint8_t v)
{
	out[0] = (uint8_t) (n >> 8);
	out[1] = (uint8_t) n;
	memset(out + 2, v, n);
	return n + 2;
}

static void test_tcp_one_two_and_split(void)
{
	dx_tcp_t *t = dx_tcp_new(16, 4096, 30, key);
	dx_counters_t cnt;
	memset(&cnt, 0, sizeof(cnt));
	struct got g = {0};
	uint8_t b[600];
	dx_pkt_t s = seg(1000, 99, DX_TCP_SYN, NULL, 0);
	dx_tcp_add(t, &s, 1, &cnt, on_msg, &g);
	size_t n = framed(b, 30, 'a');
	s = seg(1000, 100, DX_TCP_ACK, b, n);
	dx_tcp_add(t, &s, 2, &cnt, on_msg, &g);
	CU_ASSERT_EQUAL(g.n, 1);
	uint32_t seq = 100 + (uint32_t) n;
	/* two in one segment */
	size_t n2 = framed(b, 20, 'b');
	n2 += framed(b + n2, 25, 'c');
	s = seg(1000, seq, DX_TCP_ACK, b, n2);
	dx_tcp_add(t, &s, 3, &cnt, on_msg, &g);
	seq += (uint32_t) n2;
	CU_ASSERT_EQUAL(g.n, 3);
	CU_ASSERT_EQUAL(g.first[1], 'b');
	CU_ASSERT_EQUAL(g.len[2], 25);
	/* one over three segments, the length prefix itself split */
	size_t n3 = framed(b, 500, 'd');
	size_t cuts[] = {0, 1, 200, n3};
	for (int i = 0; i < 3; i++) {
		s = seg(1000, seq + (uint32_t) cuts[i], DX_TCP_ACK, b + cuts[i],
			cuts[i + 1] - cuts[i]);
		dx_tcp_add(t, &s, 4 + i, &cnt, on_msg, &g);
	}
	CU_ASSERT_EQUAL(g.n, 4);
	CU_ASSERT_EQUAL(g.len[3], 500);
	CU_ASSERT_EQUAL(g.first[3], 'd');
	CU_ASSERT_FALSE(g.partial[3]);
	CU_ASSERT_EQUAL(dx_tcp_active(t), 1);
	s = seg(1000, seq + (uint32_t) n3, DX_TCP_FIN | DX_TCP_ACK, NULL, 0);
	dx_tcp_add(t, &s, 9, &cnt, on_msg, &g);
	CU_ASSERT_EQUAL(dx_tcp_active(t), 0);
	CU_ASSERT_EQUAL(cnt.reason[DX_R_tcp_gap], 0);
	dx_tcp_free(t);
}

static void test_tcp_gap_and_retransmit(void)
{
	dx_tcp_t *t = dx_tcp_new(16, 4096, 30, key);
	dx_counters_t cnt;
	memset(&cnt, 0, sizeof(cnt));
	struct got g = {0};
	uint8_t b[200];
	framed(b, 100, 'x'); /* a 100-byte message; only its first 40 bytes are sent */
	dx_pkt_t s = seg(2000, 5000, DX_TCP_ACK, b, 40); /* joined mid-stream: half a message */
	dx_tcp_add(t, &s, 1, &cnt, on_msg, &g);
	s = seg(2000, 5000, DX_TCP_ACK, b, 40); /* the same bytes again */
	dx_tcp_add(t, &s, 2, &cnt, on_msg, &g);
	CU_ASSERT_EQUAL(cnt.reason[DX_R_tcp_retransmit], 1);
	size_t m = framed(b, 10, 'y');
	s = seg(2000, 5000 + 80, DX_TCP_ACK, b, m); /* 40 bytes missing before this */
	dx_tcp_add(t, &s, 3, &cnt, on_msg, &g);
	CU_ASSERT_EQUAL(cnt.reason[DX_R_tcp_gap], 1);
	CU_ASSERT_EQUAL(g.n, 1);
	CU_ASSERT_EQUAL(g.first[0], 'y');
	dx_tcp_free(t);
}

/* A message longer than the flow buffer: its beginning is delivered, marked partial. */
static void test_tcp_oversize_partial(void)
{
	dx_tcp_t *t = dx_tcp_new(16, 512, 30, key);
	dx_counters_t cnt;
	memset(&cnt, 0, sizeof(cnt));
	struct got g = {0};
	static uint8_t b[3000];
	size_t n = framed(b, 2000, 'z');
	for (size_t off = 0; off < n; off += 700) {
		size_t k = n - off < 700 ? n - off : 700;
		dx_pkt_t s = seg(3000, 1 + (uint32_t) off, DX_TCP_ACK, b + off, k);
		dx_tcp_add(t, &s, 1, &cnt, on_msg, &g);
	}
	CU_ASSERT_EQUAL_FATAL(g.n, 1);
	CU_ASSERT_EQUAL(g.len[0], 512);
	CU_ASSERT_TRUE(g.partial[0]);
	CU_ASSERT_EQUAL(cnt.reason[DX_R_tcp_msg_oversize], 1);
	dx_tcp_free(t);
}

/* The table never grows: 1000 flows into 8 slots evict the least recently active. */
static void test_tcp_bounded_eviction(void)
{
	dx_tcp_t *t = dx_tcp_new(8, 512, 30, key);
	dx_counters_t cnt;
	memset(&cnt, 0, sizeof(cnt));
	struct got g = {0};
	uint8_t b[4] = {0, 10, 'p', 'q'}; /* half of a 10-byte message: keeps each flow open */
	for (uint16_t port = 1; port <= 1000; port++) {
		dx_pkt_t s = seg(port, 1, DX_TCP_ACK, b, sizeof(b));
		dx_tcp_add(t, &s, port, &cnt, on_msg, &g);
		CU_ASSERT_TRUE(dx_tcp_active(t) <= 8);
	}
	CU_ASSERT_TRUE(cnt.reason[DX_R_tcp_flow_evicted] >= 1000 - 8);
	CU_ASSERT_EQUAL(g.n, 0);
	dx_tcp_free(t);
}

static CU_TestInfo tcp_tests[] = {
    {"one_two_and_split", test_tcp_one_two_and_split},
    {"gap_and_retransmit", test_tcp_gap_and_retransmit},
    {"oversize_partial", test_tcp_oversize_partial},
    {"bounded_eviction", test_tcp_bounded_eviction},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"tcp", NULL, NULL, NULL, NULL, tcp_tests},
    CU_SUITE_INFO_NULL,
};
