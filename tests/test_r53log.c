/* SPDX-License-Identifier: BSD-2-Clause */
/* Route 53 query-log records: fields, names, limits, and the packets made from them, read
 * back by the packet decoders. */
#include <CUnit/CUnit.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "lib/decode/dns.h"
#include "lib/decode/pkt.h"
#include "lib/decode/r53log.h"
#include "lib/prepare/srcids.h"

static const char base[] =
    "{\"version\":\"1.100000\",\"account_id\":\"123456789012\",\"region\":\"eu-west-1\","
    "\"vpc_id\":\"vpc-0a1b2c3d4e5f60718\",\"query_timestamp\":\"2026-11-23T04:20:02.250Z\","
    "\"query_name\":\"%s\",\"query_type\":\"%s\",\"query_class\":\"IN\",\"rcode\":\"%s\","
    "\"answers\":[%s],\"srcaddr\":\"%s\",\"srcport\":\"%s\",\"transport\":\"UDP\","
    "\"srcids\":{\"instance\":\"i-0123456789abcdef0\"}}";

static enum dx_reason parse(dx_r53_rec_t *r, const char *name, const char *type, const char *rcode,
			    const char *answers, const char *src, const char *port)
{
	static char j[DX_R53_RECORD_MAX + 1024];
	int n = snprintf(j, sizeof(j), base, name, type, rcode, answers, src, port);
	return dx_r53_parse(j, (size_t) n, r);
}

static void test_r53_fields(void)
{
	dx_r53_rec_t r;
	CU_ASSERT_EQUAL_FATAL(
	    parse(&r, "aGVsbG8.t1.Lab.Example.", "TXT", "NXDOMAIN", "", "10.53.0.2", "42750"),
	    DX_R_COUNT);
	CU_ASSERT_EQUAL(r.ts_us, 1795407602250000LL);
	CU_ASSERT_EQUAL(r.qtype, 16);
	CU_ASSERT_EQUAL(r.qclass, 1);
	CU_ASSERT_EQUAL(r.rcode, 3);
	CU_ASSERT_EQUAL(r.af, 4);
	CU_ASSERT_EQUAL(r.sport, 42750);
	CU_ASSERT_STRING_EQUAL(r.vpc_id, "vpc-0a1b2c3d4e5f60718");
	CU_ASSERT_STRING_EQUAL(r.instance, "i-0123456789abcdef0");
	static const uint8_t wire[] = "\x07"
				      "aGVsbG8"
				      "\x02"
				      "t1"
				      "\x03"
				      "Lab"
				      "\x07"
				      "Example";
	CU_ASSERT_EQUAL(r.name_len, sizeof(wire));
	CU_ASSERT_EQUAL(memcmp(r.name, wire, sizeof(wire)), 0);
	/* IPv6, TYPE65280, no trailing dot, a numeric port */
	CU_ASSERT_EQUAL(parse(&r, "x.example.com", "TYPE65280", "NOERROR", "", "fd00::7", "53"),
			DX_R_COUNT);
	CU_ASSERT_EQUAL(r.af, 6);
	CU_ASSERT_EQUAL(r.qtype, 65280);
	CU_ASSERT_EQUAL(r.name_len, 15);
	/* ids that are not AWS ids (a quote, a newline, a shell character, too long) are dropped:
	 * they would reach JSON, the log and the hooks' environment */
	const char *bad[] = {"i-0\\\"x", "i-0\\nx", "i-0;rm", "i-0 x",
			     "i-0123456789abcdef0123456789abcdef"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char j[1024];
		int n =
		    snprintf(j, sizeof(j),
			     "{\"query_timestamp\":\"2026-11-23T04:20:02Z\",\"query_name\":\"a.\","
			     "\"query_type\":\"A\",\"srcaddr\":\"10.0.0.1\",\"vpc_id\":\"%s\","
			     "\"srcids\":{\"instance\":\"%s\"}}",
			     bad[i], bad[i]);
		CU_ASSERT_EQUAL_FATAL(dx_r53_parse(j, (size_t) n, &r), DX_R_COUNT);
		CU_ASSERT_STRING_EQUAL(r.instance, "");
		CU_ASSERT_STRING_EQUAL(r.vpc_id, "");
	}
}

static void test_r53_names(void)
{
	dx_r53_rec_t r;
	/* escapes: \\DDD, \\. inside a label, \\\\ (JSON doubles the backslash) */
	CU_ASSERT_EQUAL_FATAL(
	    parse(&r, "a\\\\.b\\\\255\\\\\\\\.example.", "A", "NOERROR", "", "10.0.0.1", "1"),
	    DX_R_COUNT);
	static const uint8_t wire[] = "\x05"
				      "a.b\xff\\"
				      "\x07"
				      "example";
	CU_ASSERT_EQUAL(r.name_len, sizeof(wire));
	CU_ASSERT_EQUAL(memcmp(r.name, wire, sizeof(wire)), 0);
	CU_ASSERT_EQUAL(parse(&r, ".", "NS", "NOERROR", "", "10.0.0.1", "1"), DX_R_COUNT);
	CU_ASSERT_EQUAL(r.name_len, 1);
	const char *bad[] = {"a..b.", ".a.", "", "x\\\\256.example.", "x\\\\2", "x\\\\"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_EQUAL(parse(&r, bad[i], "A", "NOERROR", "", "10.0.0.1", "1"),
				DX_R_log_bad_name);
	/* 63 bytes a label, 255 a name (root included): at the limit and one past it */
	char n[600];
	memset(n, 'a', 63);
	strcpy(n + 63, ".example.");
	CU_ASSERT_EQUAL(parse(&r, n, "A", "NOERROR", "", "10.0.0.1", "1"), DX_R_COUNT);
	memset(n, 'a', 64);
	strcpy(n + 64, ".example.");
	CU_ASSERT_EQUAL(parse(&r, n, "A", "NOERROR", "", "10.0.0.1", "1"), DX_R_log_bad_name);
	size_t o = 0;
	for (int i = 0; i < 4; i++) { /* 4 × (1 + 62) = 252, + "x." = 254, + root = 255 */
		memset(n + o, 'b', 62);
		o += 62;
		n[o++] = '.';
	}
	strcpy(n + o, "x.");
	CU_ASSERT_EQUAL(parse(&r, n, "A", "NOERROR", "", "10.0.0.1", "1"), DX_R_COUNT);
	CU_ASSERT_EQUAL(r.name_len, 255);
	strcpy(n + o, "xy.");
	CU_ASSERT_EQUAL(parse(&r, n, "A", "NOERROR", "", "10.0.0.1", "1"), DX_R_log_bad_name);
}

static void test_r53_bad_records(void)
{
	dx_r53_rec_t r;
	CU_ASSERT_EQUAL(parse(&r, "a.example.", "A", "NOERROR", "", "10.0.0.999", "1"),
			DX_R_log_bad_field);
	CU_ASSERT_EQUAL(parse(&r, "a.example.", "BOGUS", "NOERROR", "", "10.0.0.1", "1"),
			DX_R_log_bad_field);
	CU_ASSERT_EQUAL(parse(&r, "a.example.", "A", "WHATEVER", "", "10.0.0.1", "1"),
			DX_R_log_bad_field);
	CU_ASSERT_EQUAL(parse(&r, "a.example.", "A", "NOERROR", "", "10.0.0.1", "70000"),
			DX_R_log_bad_field);
	CU_ASSERT_EQUAL(parse(&r, "a.example.", "A", "NOERROR", "", "10.0.0.1", "-1"),
			DX_R_log_bad_field);
	CU_ASSERT_EQUAL(dx_r53_parse("{\"query_name\":\"a.\"}", 19, &r), DX_R_log_missing_field);
	CU_ASSERT_EQUAL(dx_r53_parse("[1,2]", 5, &r), DX_R_log_bad_json);
	CU_ASSERT_EQUAL(dx_r53_parse("{\"a\":", 5, &r), DX_R_log_bad_json);
	const char *num = "{\"query_timestamp\":\"2026-11-23T04:20:02Z\",\"query_name\":7,"
			  "\"query_type\":\"A\",\"srcaddr\":\"10.0.0.1\"}";
	CU_ASSERT_EQUAL(dx_r53_parse(num, strlen(num), &r), DX_R_log_bad_field);
	const char *t[] = {"2026-13-01T00:00:00Z", "2026-11-23 04:20:02Z", "2026-11-23T04:20:02",
			   "2026-11-23T04:20:02.Z", "2026-11-23T04:20:02+01:00"};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char j[256];
		int n = snprintf(j, sizeof(j),
				 "{\"query_timestamp\":\"%s\",\"query_name\":\"a.\","
				 "\"query_type\":\"A\",\"srcaddr\":\"10.0.0.1\"}",
				 t[i]);
		CU_ASSERT_EQUAL(dx_r53_parse(j, (size_t) n, &r), DX_R_log_bad_field);
	}
	static char big[DX_R53_RECORD_MAX + 2];
	memset(big, ' ', sizeof(big));
	CU_ASSERT_EQUAL(dx_r53_parse(big, sizeof(big), &r), DX_R_log_too_long);
}

/* The packets made from a record are what the decoders read: the query from the client to
 * the VPC resolver, the response back with its rcode and answers. */
static void test_r53_packets(void)
{
	dx_r53_rec_t r;
	CU_ASSERT_EQUAL_FATAL(
	    parse(
		&r, "x.tun.example.", "TXT", "NOERROR",
		"{\"Rdata\":\"\\\"aGVsbG8\\\" \\\"d29ybGQ\\\"\",\"Type\":\"TXT\",\"Class\":\"IN\"},"
		"{\"Rdata\":\"0.0.0.243\",\"Type\":\"A\",\"Class\":\"IN\"},"
		"{\"Rdata\":\"2001:db8::1\",\"Type\":\"AAAA\",\"Class\":\"IN\"},"
		"{\"Rdata\":\"10 mx.example.\",\"Type\":\"MX\",\"Class\":\"IN\"},"
		"{\"Rdata\":\"c.example.\",\"Type\":\"CNAME\",\"Class\":\"IN\"},"
		"{\"Rdata\":\"whatever\",\"Type\":\"SOA\",\"Class\":\"IN\"}",
		"10.53.0.2", "42750"),
	    DX_R_COUNT);
	CU_ASSERT_EQUAL(r.n_answers, 5); /* SOA's text is not rebuilt */
	CU_ASSERT_EQUAL(r.an[0].len, 16);
	CU_ASSERT_EQUAL(memcmp(r.an[0].rdata,
			       "\x07"
			       "aGVsbG8"
			       "\x07"
			       "d29ybGQ",
			       16),
			0);
	dx_decode_cfg_t cfg;
	dx_decode_cfg_defaults(&cfg);
	uint8_t buf[DX_R53_FRAME_MAX];
	for (int resp = 0; resp < 2; resp++) {
		size_t n = dx_r53_packet(&r, resp, buf, sizeof(buf));
		CU_ASSERT_FATAL(n > 0);
		dx_pkt_t p;
		enum dx_reason why;
		CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_RAW, buf, n, n, &p, &why), DX_OK);
		CU_ASSERT_EQUAL(p.proto, DX_PROTO_UDP);
		CU_ASSERT_EQUAL(resp ? p.dport : p.sport, 42750);
		CU_ASSERT_EQUAL(resp ? p.sport : p.dport, 53);
		CU_ASSERT_EQUAL(memcmp(resp ? p.dst : p.src, "\x0a\x35\x00\x02", 4), 0);
		dx_dns_msg_t d;
		CU_ASSERT_EQUAL_FATAL(dx_dns_parse(p.payload, p.payload_len, &d, &why), DX_OK);
		CU_ASSERT_EQUAL(d.is_response, resp);
		CU_ASSERT_EQUAL(d.qtype, 16);
		CU_ASSERT_STRING_EQUAL(d.qname.text, "x.tun.example");
		CU_ASSERT_FALSE(d.truncated);
		if (resp) {
			CU_ASSERT_EQUAL(d.ancount, 5);
			CU_ASSERT_EQUAL(d.an_seen, 5);
			CU_ASSERT_EQUAL(d.an_addr, 2);
			CU_ASSERT_EQUAL(d.an_idle, 0);
		}
	}
	CU_ASSERT_EQUAL(dx_r53_packet(&r, true, buf, 40), 0); /* too small: nothing */
	/* IPv6: to fd00:ec2::253 */
	CU_ASSERT_EQUAL_FATAL(parse(&r, "a.example.", "A", "NOERROR", "", "fd00::7", "9"),
			      DX_R_COUNT);
	size_t n = dx_r53_packet(&r, false, buf, sizeof(buf));
	dx_pkt_t p;
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_pkt_decode(&cfg, DLT_RAW, buf, n, n, &p, &why), DX_OK);
	CU_ASSERT_EQUAL(p.af, 6);
	CU_ASSERT_EQUAL(memcmp(p.dst, "\xfd\x00\x0e\xc2\0\0\0\0\0\0\0\0\0\0\x02\x53", 16), 0);
}

static void test_r53_objects(void)
{
	const char s[] = "  {\"a\":\"}{\\\"\"}{\"b\":[{}]}\n{\"c\":1,\n\"d\":2}{\"e\":";
	size_t start = 0, n = sizeof(s) - 1;
	bool broken;
	size_t end = dx_r53_next_object(s, n, &start, &broken);
	CU_ASSERT_EQUAL(start, 2);
	CU_ASSERT_FALSE(broken);
	CU_ASSERT_EQUAL(end, 14); /* the brace and quote inside the string do not count */
	start = end;
	end = dx_r53_next_object(s, n, &start, &broken);
	CU_ASSERT_EQUAL(start, 14);
	CU_ASSERT_EQUAL(end, 24);
	start = end;
	end = dx_r53_next_object(s, n, &start, &broken); /* reaches a newline inside */
	CU_ASSERT_EQUAL(start, 25);
	CU_ASSERT_TRUE(broken);
	CU_ASSERT_EQUAL(end, 33);
	start = end;
	CU_ASSERT_EQUAL(dx_r53_next_object(s, n, &start, &broken), 0); /* not whole yet */
	CU_ASSERT_FALSE(broken);
	CU_ASSERT_EQUAL(start, 39);
}

/* Interned instances and VPCs: one id per pair, 0 for none, for a name too long, and when full
 * (counted). */
static void test_r53_srcids(void)
{
	dx_srcids_t *t = dx_srcids_new(2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	uint32_t a = dx_srcids_intern(t, "i-0123456789abcdef0", "vpc-1");
	CU_ASSERT_NOT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(dx_srcids_intern(t, "i-0123456789abcdef0", "vpc-1"), a);
	uint32_t b = dx_srcids_intern(t, "i-0123456789abcdef0", "");
	CU_ASSERT_NOT_EQUAL(b, 0);
	CU_ASSERT_NOT_EQUAL(b, a);
	CU_ASSERT_EQUAL(dx_srcids_intern(t, "", ""), 0);
	CU_ASSERT_EQUAL(dx_srcids_intern(t, "i-2", "vpc-2"), 0); /* full */
	CU_ASSERT_EQUAL(dx_srcids_full(t), 1);
	char longid[64];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	CU_ASSERT_EQUAL(dx_srcids_intern(t, longid, ""), 0);
	CU_ASSERT_STRING_EQUAL(dx_srcids_source(t, a), "i-0123456789abcdef0");
	CU_ASSERT_STRING_EQUAL(dx_srcids_vpc(t, a), "vpc-1");
	CU_ASSERT_STRING_EQUAL(dx_srcids_vpc(t, b), "");
	CU_ASSERT_STRING_EQUAL(dx_srcids_source(t, 0), "");
	dx_srcids_free(t);
}

static CU_TestInfo r53_tests[] = {
    {"srcids", test_r53_srcids},
    {"fields", test_r53_fields},
    {"names", test_r53_names},
    {"bad_records", test_r53_bad_records},
    {"packets", test_r53_packets},
    {"objects", test_r53_objects},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"r53log", NULL, NULL, NULL, NULL, r53_tests},
    CU_SUITE_INFO_NULL,
};
