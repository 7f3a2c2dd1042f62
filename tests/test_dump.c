/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/prepare/dump.h"
#include "lib/base/out.h"
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

/* dx_out_fixed3() must write what printf's "%.3f" writes: the alert details JSON was written
 * with snprintf before, and rows must not change. Every fraction a/b of small counts (the
 * detector prints rates of counts), the exact ties (k/16: 0.0625 prints 0.062, to even), the
 * decimal ties that are not exact (0.0005 is stored a little above), random values. */
static void check_fixed3(double x)
{
	char want[64], got[64];
	snprintf(want, sizeof(want), "%.3f", x);
	dx_out_t o = {got, got + sizeof(got) - 1};
	CU_ASSERT_TRUE_FATAL(dx_out_fixed3(&o, x));
	dx_out_end(&o);
	if (strcmp(want, got) != 0) {
		fprintf(stderr, "%.17g: printf %s, dx_out_fixed3 %s\n", x, want, got);
		CU_FAIL("dx_out_fixed3 differs from %.3f");
	}
}

static void test_out_fixed3(void)
{
	for (unsigned b = 1; b <= 300; b++)
		for (unsigned a = 0; a <= b; a++)
			check_fixed3((double) a / (double) b);
	for (unsigned k = 0; k < 16 * 64; k++)
		check_fixed3(k / 16.0);
	for (unsigned k = 0; k < 20000; k++) {
		check_fixed3((2.0 * k + 1) / 2000.0); /* decimal ties */
		check_fixed3((double) (k * 7919u % 1000003u) / 1000003.0);
	}
	uint64_t r = 0x9E3779B97F4A7C15ull;
	for (int i = 0; i < 20000; i++) {
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		check_fixed3((double) (r >> 11) / (double) (1ull << 53) * 1e6);
	}
	check_fixed3(999999999999.0);
	char buf[8];
	dx_out_t o = {buf, buf + sizeof(buf) - 1};
	CU_ASSERT_FALSE(dx_out_fixed3(&o, -0.5));
	CU_ASSERT_FALSE(dx_out_fixed3(&o, 1e12));
	CU_ASSERT_FALSE(dx_out_fixed3(&o, NAN));
	CU_ASSERT_PTR_EQUAL(o.p, buf); /* nothing written */
}

/* Appends stop at end and the result stays a string, as snprintf truncates. */
static void test_out_bounded(void)
{
	char buf[9];
	memset(buf, 'X', sizeof(buf));
	dx_out_t o = {buf, buf + 5};
	dx_out_str(&o, "ab");
	dx_out_u64(&o, 123456789);
	dx_out_u64_pad(&o, 7, 3);
	dx_out_end(&o);
	CU_ASSERT_STRING_EQUAL(buf, "ab123");
	CU_ASSERT_EQUAL(buf[6], 'X');
	o = (dx_out_t){buf, buf + 8};
	dx_out_u64(&o, 0);
	dx_out_u64_pad(&o, 42, 4);
	dx_out_u64(&o, UINT64_MAX);
	dx_out_end(&o);
	CU_ASSERT_STRING_EQUAL(buf, "00042184");
}

static CU_TestInfo dump_tests[] = {
    {"time", test_dump_time},
    {"line", test_dump_line},
    {"worst_case_fits", test_dump_worst_case_fits},
    {"out_fixed3", test_out_fixed3},
    {"out_bounded", test_out_bounded},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"dump", NULL, NULL, NULL, NULL, dump_tests},
    CU_SUITE_INFO_NULL,
};
