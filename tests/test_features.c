/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <math.h>
#include <string.h>

#include "lib/prepare/features.h"
#include "tests/testutil.h"

/* Decode a dotted name (wire case kept) and compute features with the apex being the last
 * apex_labels labels. */
static void feat(const char *dotted, int apex_labels, dx_features_t *f)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 1, 0x0100, dotted, 1);
	dx_cur_t c = dx_cur_init(m.b, m.len);
	c.off = 12;
	dx_name_t n;
	CU_ASSERT_EQUAL_FATAL(dx_dname_decode(&c, &n), DX_OK);
	unsigned off = n.len;
	for (int k = 0; k < apex_labels; k++)
		while (off > 0 && n.text[--off] != '.')
			;
	dx_features_compute(&n, apex_labels >= n.n_labels ? 0 : off + 1, 0, f);
}

static void test_features_hostnames_not_random(void)
{
	const char *names[] = {"www.example.com",
			       "ip-10-0-1-5.ec2.internal",
			       "rr4---sn-22z40pjr.googlevideo.com",
			       "4.3.2.1.zen.spamhaus.org",
			       "mail.example.com",
			       "teams.events.data.microsoft.com",
			       "nginx-7c5ddbdf54-x2k4l.example.com"};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		dx_features_t f;
		feat(names[i], 2, &f);
		if (f.random)
			fprintf(stderr, "\n  %s looked random\n", names[i]);
		CU_ASSERT_FALSE(f.random);
		CU_ASSERT_EQUAL(f.encoding, DX_ENC_NONE);
	}
}

static void test_features_tunnel_alphabets(void)
{
	static const struct {
		const char *name;
		enum dx_encoding enc;
		bool encoded;
	} cases[] = {
	    {"62aa01fdf538524195bf4d8b024923aaf85c42eb.skullseclabs.org", DX_ENC_HEX, true},
	    {"bxv2d7rqpuj272ffq6xivuv6auka.t.example.com", DX_ENC_BASE32, true},
	    {"r747Clg-tK5pUdkH0R12a7gJ9sFPi9Aackw0kGtq_DnFd7vNX5Cb3l1JQQJQmh3.hsc.fr",
	     DX_ENC_BASE64, true},
	    {"q+Z8E3wrCHRfPIO+sx7dwZGeSXqTVf8alEaBuKwUsdJej.hidemyself.org", DX_ENC_BASE64, true},
	    {"GQ5vK29ABA.www.ggy666.tk", DX_ENC_BASE64, false}, /* random, but short */
	    {"3fd69e.dnsdemo.t4.lab.example", DX_ENC_HEX, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		dx_features_t f;
		feat(cases[i].name, 2, &f);
		CU_ASSERT_TRUE(f.random);
		CU_ASSERT_EQUAL(f.encoding, cases[i].enc);
		CU_ASSERT_EQUAL(f.encoded, cases[i].encoded);
		if (f.encoding != cases[i].enc || f.encoded != cases[i].encoded)
			fprintf(stderr, "\n  %s: enc %d encoded %d\n", cases[i].name, f.encoding,
				f.encoded);
	}
}

/* iodine's raw mode: 8-bit bytes in labels are base128; control bytes are binary. */
static void test_features_8bit(void)
{
	static const uint8_t msg[] = {0,    0,	  0,   0,    0,	  1, 0,	  0,   0,   0, 0, 0, 6, 'a',
				      0xE9, 0xF0, 'b', 0xC1, 'x', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1};
	dx_cur_t c = dx_cur_init(msg, sizeof(msg));
	c.off = 12;
	dx_name_t n;
	CU_ASSERT_EQUAL_FATAL(dx_dname_decode(&c, &n), DX_OK);
	dx_features_t f;
	dx_features_compute(&n, 7, 0, &f);
	CU_ASSERT_EQUAL(f.encoding, DX_ENC_BASE128);
	CU_ASSERT_TRUE(f.random);
	CU_ASSERT_EQUAL(f.sub_len, 6);
	CU_ASSERT_EQUAL(f.bits, 42); /* 6 characters × 7 bits */
}

/* The information estimate: length × bits per character of the alphabet. */
static void test_features_bits_and_skip(void)
{
	dx_features_t f;
	feat("0123456789abcdef0123456789abcdef.x.com", 2, &f);
	CU_ASSERT_EQUAL(f.encoding, DX_ENC_HEX);
	CU_ASSERT_EQUAL(f.bits, 32 * 4);
	CU_ASSERT_TRUE(f.entropy > 3.9f && f.entropy < 4.1f);
	/* a skipped label (seen before under the apex) carries nothing */
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 1, 0x0100, "104.189.190.140.h6w2y3rjq4s7bnxa5kfme9tcdv.zen.dq.x.net", 1);
	dx_cur_t c = dx_cur_init(m.b, m.len);
	c.off = 12;
	dx_name_t n;
	CU_ASSERT_EQUAL_FATAL(dx_dname_decode(&c, &n), DX_OK);
	dx_features_compute(&n, (unsigned) (strstr(n.text, "x.net") - n.text), 0, &f);
	CU_ASSERT_TRUE(f.random);
	dx_features_compute(&n, (unsigned) (strstr(n.text, "x.net") - n.text), 1u << 4, &f);
	CU_ASSERT_FALSE(f.random); /* digits-only reversed address is what is left */
	CU_ASSERT_EQUAL(f.encoding, DX_ENC_NONE);
}

/* Labels are walked by their separators, not by '.' bytes: a literal dot inside a label is a
 * character (and an odd one); skipped labels leave nothing behind, wherever they are; the
 * wire case of a letter counts only where it was upper case. */
static void test_features_label_walk(void)
{
	tu_buf_t m = {.len = 0};
	tu_put(&m, "\003a.b\013XYZabc12345\004host\001x\003com", 27); /* octal: 3 digits at most */
	tu_u8(&m, 0);
	dx_cur_t c = dx_cur_init(m.b, m.len);
	dx_name_t n;
	CU_ASSERT_EQUAL_FATAL(dx_dname_decode(&c, &n), DX_OK);
	CU_ASSERT_EQUAL_FATAL(n.n_labels, 5);
	unsigned apex = (unsigned) (strstr(n.text, "x.com") - n.text);
	dx_features_t f;
	dx_features_compute(&n, apex, 0, &f);
	CU_ASSERT_EQUAL(f.sub_labels, 3);
	CU_ASSERT_EQUAL(f.sub_len, 3 + 11 + 4);
	CU_ASSERT_EQUAL(f.encoding, DX_ENC_BINARY); /* the literal dot */
	dx_features_compute(&n, apex, 1u << 1, &f);
	CU_ASSERT_EQUAL(f.sub_labels, 2);
	CU_ASSERT_EQUAL(f.sub_len, 3 + 4);
	dx_features_compute(&n, apex, 1u << 0 | 1u << 2, &f);
	CU_ASSERT_EQUAL(f.sub_labels, 1);
	CU_ASSERT_EQUAL(f.sub_len, 11);
	CU_ASSERT_EQUAL(f.encoding, DX_ENC_BASE64); /* mixed case, from the wire */
	CU_ASSERT_TRUE(f.random);
	CU_ASSERT_DOUBLE_EQUAL(f.entropy, log2(11), 1e-5); /* X Y Z a b c 1-5: case kept */
	dx_features_compute(&n, apex, 1u << 0 | 1u << 1, &f);
	CU_ASSERT_EQUAL(f.sub_len, 4);
	CU_ASSERT_FALSE(f.random);
	CU_ASSERT_EQUAL(f.encoding, DX_ENC_NONE);
	dx_features_compute(&n, apex, 7, &f);
	CU_ASSERT_EQUAL(f.sub_len, 0);
	CU_ASSERT_EQUAL(f.sub_labels, 0);
}

static void test_features_no_subdomain(void)
{
	dx_features_t f;
	feat("example.com", 2, &f);
	CU_ASSERT_EQUAL(f.sub_len, 0);
	CU_ASSERT_FALSE(f.random);
	CU_ASSERT_EQUAL(f.bits, 0);
}

/* A label that spells a host's IP address (Consul's hex, EC2's dashed) carries no data: it
 * adds nothing to the subdomain's length, labels, randomness or bits; the same name with a
 * public or non-address hex label still counts. */
static void test_features_address_labels(void)
{
	dx_features_t f, g;
	feat("0a000001.addr.dc1.consul", 2, &f); /* 10.0.0.1 */
	CU_ASSERT_EQUAL(f.sub_len, 4);		 /* "addr" alone */
	CU_ASSERT_EQUAL(f.sub_labels, 1);
	CU_ASSERT_FALSE(f.random);
	feat("fd000000000000000000000000000001.addr.dc1.consul", 2, &f); /* fd00::1 */
	CU_ASSERT_EQUAL(f.sub_len, 4);
	CU_ASSERT_FALSE(f.encoded);
	feat("0a000001.addr.dc1.consul", 2, &f);
	feat("0a0000zz.addr.dc1.consul", 2, &g); /* not hex: counted (dots are not) */
	CU_ASSERT_EQUAL(g.sub_len, 12);
	feat("08080808.addr.dc1.consul", 2, &g); /* 8.8.8.8 is no site's own */
	CU_ASSERT_EQUAL(g.sub_len, 12);
	feat("2001486000000000000000000000888.addr.dc1.consul", 2, &g); /* 31 digits: not one */
	CU_ASSERT_EQUAL(g.sub_len, 35);
	feat("ip-10-0-1-5.ec2.internal", 2, &f);
	CU_ASSERT_EQUAL(f.sub_len, 0);
	CU_ASSERT_EQUAL(f.bits, 0);
	feat("ec2-54-12-3-4.compute-1.amazonaws.com", 2, &f);
	CU_ASSERT_EQUAL(f.sub_len, 9); /* compute-1 */
	feat("10-0-0-1.web.example.com", 2, &f);
	CU_ASSERT_EQUAL(f.sub_len, 3);
	feat("ip-10-0-256-5.ec2.internal", 2, &g); /* 256 is no octet */
	CU_ASSERT_EQUAL(g.sub_len, 13);
	/* a hex tunnel's data labels are not addresses */
	feat("62aa01fdf538524195bf4d8b024923aaf85c42eb.skullseclabs.org", 2, &f);
	CU_ASSERT_TRUE(f.encoded);
}

static CU_TestInfo features_tests[] = {
    {"hostnames_not_random", test_features_hostnames_not_random},
    {"tunnel_alphabets", test_features_tunnel_alphabets},
    {"8bit", test_features_8bit},
    {"bits_and_skip", test_features_bits_and_skip},
    {"no_subdomain", test_features_no_subdomain},
    {"label_walk", test_features_label_walk},
    {"address_labels", test_features_address_labels},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"features", NULL, NULL, NULL, NULL, features_tests},
    CU_SUITE_INFO_NULL,
};
