/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <string.h>

#include "lib/dump.h"
#include "tests/testutil.h"

static void test_dump_time(void)
{
	char buf[32];
	dx_dump_time(1709251200123456LL, buf);
	CU_ASSERT_STRING_EQUAL(buf, "2024-03-01T00:00:00.123456Z");
	dx_dump_time(0, buf);
	CU_ASSERT_STRING_EQUAL(buf, "1970-01-01T00:00:00.000000Z");
}

static void test_dump_line(void)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 4660, 0x8183, "A.b", 65399);
	dx_query_t q;
	memset(&q, 0, sizeof(q));
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &q.dns, &why), DX_OK);
	q.ts_us = 1709251200000001LL;
	q.af = 6;
	inet_pton(AF_INET6, "2001:db8::1", q.src);
	inet_pton(AF_INET6, "2001:db8::53", q.dst);
	q.sport = 53;
	q.dport = 1234;
	q.vni = 123;
	q.flags = DX_Q_HAS_VNI | DX_Q_TCP | DX_Q_TRUNCATED;
	char line[DX_DUMP_LINEMAX];
	size_t n = dx_dump_format(&q, line);
	CU_ASSERT_STRING_EQUAL(line,
			       "2024-03-01T00:00:00.000001Z 2001:db8::1.53 > 2001:db8::53.1234 "
			       "vni 123 tcp id 4660 r QUERY NXDOMAIN TYPE65399 A.b an 0 trunc\n");
	CU_ASSERT_EQUAL(n, strlen(line));
}

/* The longest possible line fits: a 253-octet name of bytes that all need escaping. */
static void test_dump_worst_case_fits(void)
{
	dx_query_t q;
	memset(&q, 0, sizeof(q));
	q.af = 6;
	memset(q.src, 0xFF, 16);
	memset(q.dst, 0xFF, 16);
	q.sport = q.dport = 65535;
	q.vni = 0xFFFFFF;
	q.flags = 0xFF;
	q.dns.is_response = true;
	q.dns.ancount = 65535;
	q.dns.opcode = 15;
	q.dns.rcode = 4095;
	q.dns.qtype = 65535;
	q.dns.id = 65535;
	q.dns.qname.n_labels = 4;
	q.dns.qname.len = 253;
	memset(q.dns.qname.text, 0xFF, 253);
	for (int i = 1; i < 4; i++)
		q.dns.qname.text[i * 64 - 1] = '.';
	char line[DX_DUMP_LINEMAX + 64];
	memset(line, 0, sizeof(line));
	size_t n = dx_dump_format(&q, line);
	CU_ASSERT_TRUE(n < DX_DUMP_LINEMAX);
}

static CU_TestInfo dump_tests[] = {
    {"time", test_dump_time},
    {"line", test_dump_line},
    {"worst_case_fits", test_dump_worst_case_fits},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"dump", NULL, NULL, NULL, NULL, dump_tests},
    CU_SUITE_INFO_NULL,
};
