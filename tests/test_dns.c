/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <string.h>

#include "lib/decode/dns.h"
#include "tests/testutil.h"

static void test_dns_query(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 0xBEEF, 0x0100, "Tunnel.Example.com", 16);
	dx_dns_msg_t d;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &d, &why), DX_OK);
	CU_ASSERT_EQUAL(d.id, 0xBEEF);
	CU_ASSERT_FALSE(d.is_response);
	CU_ASSERT_EQUAL(d.opcode, 0);
	CU_ASSERT_EQUAL(d.qtype, 16);
	CU_ASSERT_EQUAL(d.qclass, 1);
	CU_ASSERT_STRING_EQUAL(d.qname.text, "tunnel.example.com");
	CU_ASSERT_FALSE(d.truncated);
	CU_ASSERT_FALSE(d.has_edns);
}

static void test_dns_response_answers_and_edns(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 7, 0x8183, "nx.example.com", 1); /* NXDOMAIN */
	tu_set16(&m, 6, 2);				  /* ANCOUNT */
	tu_set16(&m, 10, 1);				  /* ARCOUNT */
	static const uint8_t a[4] = {192, 0, 2, 1};
	tu_rr_ptr12(&m, 1, 300, a, 4);
	tu_rr_ptr12(&m, 1, 60, a, 4);
	/* OPT: root owner, type 41, class = UDP size 1232, TTL: extended rcode 1 (-> 16+3) */
	tu_u8(&m, 0);
	tu_be16(&m, 41);
	tu_be16(&m, 1232);
	tu_be32(&m, 0x01000000);
	tu_be16(&m, 0);
	dx_dns_msg_t d;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &d, &why), DX_OK);
	CU_ASSERT_TRUE(d.is_response);
	CU_ASSERT_EQUAL(d.ancount, 2);
	CU_ASSERT_EQUAL(d.an_seen, 2);
	CU_ASSERT_EQUAL(d.answer_bytes, 8);
	CU_ASSERT_EQUAL(d.min_ttl, 60);
	CU_ASSERT_TRUE(d.has_edns);
	CU_ASSERT_EQUAL(d.edns_size, 1232);
	CU_ASSERT_EQUAL(d.rcode, 16 + 3);
	CU_ASSERT_FALSE(d.truncated);
}

/* Answer addresses counted, the idle ones (0.0.0.0, 127/8, ::, ::1: a C2 server with nothing
 * to say) apart; the counts start from zero whatever the struct held (a reused ring slot). */
static void test_dns_idle_answers(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 9, 0x8180, "a1.c2.example.net", 1);
	tu_set16(&m, 6, 4); /* ANCOUNT */
	static const uint8_t zero[4] = {0}, loop[4] = {127, 0, 0, 1}, pub[4] = {192, 0, 2, 7};
	static const uint8_t v6loop[16] = {[15] = 1};
	tu_rr_ptr12(&m, 1, 30, zero, 4);
	tu_rr_ptr12(&m, 1, 30, loop, 4);
	tu_rr_ptr12(&m, 28, 30, v6loop, 16);
	tu_rr_ptr12(&m, 1, 30, pub, 4);
	dx_dns_msg_t d;
	memset(&d, 0xA5, sizeof(d));
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &d, &why), DX_OK);
	CU_ASSERT_EQUAL(d.an_addr, 4);
	CU_ASSERT_EQUAL(d.an_idle, 3);
	tu_buf_t q = {.len = 0};
	tu_dns_query(&q, 9, 0x0100, "a1.c2.example.net", 1);
	memset(&d, 0xA5, sizeof(d));
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(q.b, q.len, &d, &why), DX_OK);
	CU_ASSERT_EQUAL(d.an_addr, 0);
	CU_ASSERT_EQUAL(d.an_idle, 0);
}

/* RDLENGTH claiming more than is there: decoded, flagged truncated, no read past the end. */
static void test_dns_rdlen_past_end(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 7, 0x8180, "a.example.com", 16);
	tu_set16(&m, 6, 1);
	tu_rr_ptr12(&m, 16, 60, "abc", 3);
	tu_set16(&m, m.len - 5, 60000);
	dx_dns_msg_t d;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &d, &why), DX_OK);
	CU_ASSERT_TRUE(d.truncated);
	CU_ASSERT_EQUAL(d.answer_bytes, 60000);
}

/* Counts that lie: 65535 answers claimed, none present, and a walk capped at DX_MAX_RR. */
static void test_dns_counts_lie(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 7, 0x8180, "a.example.com", 1);
	tu_set16(&m, 6, 0xFFFF);
	for (int i = 0; i < 100; i++)
		tu_rr_ptr12(&m, 1, 60, "abcd", 4);
	dx_dns_msg_t d;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &d, &why), DX_OK);
	CU_ASSERT_EQUAL(d.an_seen, DX_MAX_RR);
	CU_ASSERT_EQUAL(d.ancount, 0xFFFF);
}

static void test_dns_errors_by_reason(void)
{
	dx_dns_msg_t d;
	enum dx_reason why;
	static const uint8_t shorthdr[11] = {0};
	CU_ASSERT_EQUAL(dx_dns_parse(shorthdr, sizeof(shorthdr), &d, &why), DX_ETRUNC);
	CU_ASSERT_EQUAL(why, DX_R_dns_trunc);
	static const uint8_t noq[12] = {0};
	CU_ASSERT_EQUAL(dx_dns_parse(noq, sizeof(noq), &d, &why), DX_EUNSUP);
	CU_ASSERT_EQUAL(why, DX_R_dns_no_question);
	static const uint8_t loop[] = {0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
	CU_ASSERT_EQUAL(dx_dns_parse(loop, sizeof(loop), &d, &why), DX_EPTR);
	CU_ASSERT_EQUAL(why, DX_R_dname_bad_ptr);
}

/* Every prefix of a valid response: DX_ETRUNC until the question is whole, then a decoded,
 * truncated message; never a crash (ASan checks the reads). */
static void test_dns_every_prefix(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 7, 0x8180, "p.example.com", 1);
	size_t qend = m.len;
	tu_set16(&m, 6, 1);
	tu_rr_ptr12(&m, 1, 60, "abcd", 4);
	for (size_t n = 0; n <= m.len; n++) {
		uint8_t copy[512];
		memcpy(copy, m.b, n);
		dx_dns_msg_t d;
		enum dx_reason why;
		int rc = dx_dns_parse(copy, n, &d, &why);
		if (n < qend) {
			CU_ASSERT_EQUAL(rc, DX_ETRUNC);
		} else {
			CU_ASSERT_EQUAL(rc, DX_OK);
			CU_ASSERT_EQUAL(d.truncated, n < m.len);
		}
	}
}

/* RFC 2181 8: a TTL with the top bit set counts as zero, as resolvers treat it (noticed
 * while writing the ldns differential target: ldns keeps the raw value). The OPT
 * pseudo-RR's TTL field holds flags, not a TTL, and is left alone. */
static void test_dns_ttl_top_bit(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 7, 0x8180, "a.example.com", 1);
	tu_set16(&m, 6, 2);
	tu_set16(&m, 10, 1);
	static const uint8_t a[4] = {192, 0, 2, 1};
	tu_rr_ptr12(&m, 1, 0x87000000u, a, 4);
	tu_rr_ptr12(&m, 1, 3600, a, 4);
	tu_u8(&m, 0);
	tu_be16(&m, 41);
	tu_be16(&m, 4096);
	tu_be32(&m, 0x80000000u); /* extended rcode 128 */
	tu_be16(&m, 0);
	dx_dns_msg_t d;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &d, &why), DX_OK);
	CU_ASSERT_EQUAL(d.min_ttl, 0);
	CU_ASSERT_EQUAL(d.rcode, 128 << 4);
}

static void test_dns_names(void)
{
	CU_ASSERT_STRING_EQUAL(dx_dns_type_name(65), "HTTPS");
	CU_ASSERT_PTR_NULL(dx_dns_type_name(65399));
	CU_ASSERT_STRING_EQUAL(dx_dns_rcode_name(3), "NXDOMAIN");
	CU_ASSERT_PTR_NULL(dx_dns_rcode_name(15));
	CU_ASSERT_STRING_EQUAL(dx_dns_opcode_name(5), "UPDATE");
	CU_ASSERT_PTR_NULL(dx_dns_opcode_name(3));
}

static CU_TestInfo dns_tests[] = {
    {"query", test_dns_query},
    {"response_answers_and_edns", test_dns_response_answers_and_edns},
    {"rdlen_past_end", test_dns_rdlen_past_end},
    {"idle_answers", test_dns_idle_answers},
    {"counts_lie", test_dns_counts_lie},
    {"errors_by_reason", test_dns_errors_by_reason},
    {"every_prefix", test_dns_every_prefix},
    {"ttl_top_bit", test_dns_ttl_top_bit},
    {"names", test_dns_names},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"dns", NULL, NULL, NULL, NULL, dns_tests},
    CU_SUITE_INFO_NULL,
};
