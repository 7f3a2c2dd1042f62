/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <string.h>

#include "lib/decode/dname.h"

#define HDR 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 /* 12 bytes standing in for the DNS header */

static int decode_at(const uint8_t *msg, size_t len, size_t off, dx_name_t *n, size_t *end)
{
	dx_cur_t c = dx_cur_init(msg, len);
	c.off = off;
	int rc = dx_dname_decode(&c, n);
	*end = c.off;
	return rc;
}

static void test_dname_plain_lowercases(void)
{
	static const uint8_t msg[] = {HDR, 3,	'W', 'w', 'W', 7,   'E', 'x', 'a',
				      'm', 'p', 'l', 'e', 3,   'c', 'o', 'm', 0};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL_FATAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_OK);
	CU_ASSERT_STRING_EQUAL(n.text, "www.example.com");
	CU_ASSERT_EQUAL(n.len, 15);
	CU_ASSERT_EQUAL(n.n_labels, 3);
	CU_ASSERT_EQUAL(n.max_label, 7);
	CU_ASSERT_FALSE(n.odd_bytes);
	CU_ASSERT_EQUAL(end, sizeof(msg));
	char esc[DX_DNAME_ESCMAX];
	dx_dname_escape(&n, true, esc);
	CU_ASSERT_STRING_EQUAL(esc, "WwW.Example.com"); /* the wire's case comes back */
	dx_dname_escape(&n, false, esc);
	CU_ASSERT_STRING_EQUAL(esc, "www.example.com");
}

static void test_dname_root(void)
{
	static const uint8_t msg[] = {HDR, 0};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL_FATAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_OK);
	CU_ASSERT_EQUAL(n.len, 0);
	char esc[DX_DNAME_ESCMAX];
	dx_dname_escape(&n, true, esc);
	CU_ASSERT_STRING_EQUAL(esc, ".");
}

static void test_dname_ptr_to_self(void)
{
	static const uint8_t msg[] = {HDR, 0xC0, 12};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_EPTR);
}

static void test_dname_ptr_backward(void)
{
	static const uint8_t msg[] = {HDR, 3, 'c', 'o', 'm', 0, 1, 'a', 0xC0, 12};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL_FATAL(decode_at(msg, sizeof(msg), 17, &n, &end), DX_OK);
	CU_ASSERT_STRING_EQUAL(n.text, "a.com");
	CU_ASSERT_EQUAL(end, sizeof(msg)); /* resumes after the pointer */
}

/* Two names pointing at each other: 12 -> 14, and 14's label ends in a pointer to 12. */
static void test_dname_ptr_mutual(void)
{
	static const uint8_t msg[] = {HDR, 0xC0, 14, 1, 'a', 0xC0, 12};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_EPTR);
	CU_ASSERT_EQUAL(decode_at(msg, sizeof(msg), 14, &n, &end), DX_EPTR);
}

static void test_dname_ptr_forward_and_header(void)
{
	static const uint8_t fwd[] = {HDR, 0xC0, 14, 1, 'a', 0};
	static const uint8_t hdr[] = {HDR, 0xC0, 3};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL(decode_at(fwd, sizeof(fwd), 12, &n, &end), DX_EPTR);
	CU_ASSERT_EQUAL(decode_at(hdr, sizeof(hdr), 12, &n, &end), DX_EPTR);
}

/* A chain a -> b -> c each strictly backwards is fine; the walk cannot revisit. */
static void test_dname_ptr_chain(void)
{
	static const uint8_t msg[] = {HDR, 3,	'c',  'o', 'm', 0, /* 12: com */
				      1,   'b', 0xC0, 12,	   /* 17: b.com */
				      1,   'a', 0xC0, 17};	   /* 21: a.b.com */
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL_FATAL(decode_at(msg, sizeof(msg), 21, &n, &end), DX_OK);
	CU_ASSERT_STRING_EQUAL(n.text, "a.b.com");
	CU_ASSERT_EQUAL(end, 25);
}

static void test_dname_label_types(void)
{
	uint8_t msg[12 + 66] = {HDR, 0x40};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_ELABEL);
	msg[12] = 0x80;
	CU_ASSERT_EQUAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_ELABEL);
}

/* 255 octets is the limit (RFC 1035 3.1): 4 labels of 63 = 256 with the root: too long;
 * 3 × 63 + 61 + root = 255: fine, and its text is 253 characters. */
static void test_dname_length_limits(void)
{
	uint8_t msg[12 + 300];
	memset(msg, 'x', sizeof(msg));
	memset(msg, 0, 12);
	size_t o = 12;
	for (int i = 0; i < 4; i++) {
		msg[o] = 63;
		o += 64;
	}
	msg[o] = 0;
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL(decode_at(msg, o + 1, 12, &n, &end), DX_ELONG);
	msg[12 + 3 * 64] = 61;
	msg[12 + 3 * 64 + 62] = 0;
	CU_ASSERT_EQUAL_FATAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_OK);
	CU_ASSERT_EQUAL(n.len, 253);
	CU_ASSERT_EQUAL(strlen(n.text), 253);
}

/* Every prefix of a valid name is DX_ETRUNC, never a crash or a read past the end. */
static void test_dname_every_prefix(void)
{
	static const uint8_t msg[] = {HDR, 3, 'c', 'o', 'm', 0, 3, 'w', 'w', 'w', 0xC0, 12};
	dx_name_t n;
	size_t end;
	for (size_t len = 17; len < sizeof(msg); len++)
		CU_ASSERT_EQUAL(decode_at(msg, len, 17, &n, &end), DX_ETRUNC);
	CU_ASSERT_EQUAL(decode_at(msg, sizeof(msg), 17, &n, &end), DX_OK);
}

static void test_dname_odd_bytes_escaped(void)
{
	static const uint8_t msg[] = {HDR, 5, 'a', '.', ' ', '"', 0xFF, 2, '\\', 0, 0};
	dx_name_t n;
	size_t end;
	CU_ASSERT_EQUAL_FATAL(decode_at(msg, sizeof(msg), 12, &n, &end), DX_OK);
	CU_ASSERT_TRUE(n.odd_bytes);
	CU_ASSERT_EQUAL(n.n_labels, 2);
	char esc[DX_DNAME_ESCMAX];
	dx_dname_escape(&n, true, esc);
	CU_ASSERT_STRING_EQUAL(esc, "a\\046\\032\\034\\255.\\092\\000");
}

static void test_dname_skip(void)
{
	static const uint8_t msg[] = {HDR, 3, 'c', 'o', 'm', 0, 1, 'a', 0xC0, 12, 0xC0, 30};
	dx_cur_t c = dx_cur_init(msg, sizeof(msg));
	c.off = 17;
	CU_ASSERT_EQUAL(dx_dname_skip(&c), DX_OK);
	CU_ASSERT_EQUAL(c.off, 21);
	CU_ASSERT_EQUAL(dx_dname_skip(&c), DX_EPTR); /* forward pointer */
}

/* Labels are decoded 16 bytes at a time where the message has 16 bytes to read past them
 * and byte by byte at its end: the same name must decode the same both ways, whatever its
 * bytes (every byte value, each at every position of a label of every length 1-63). */
static void test_dname_wide_and_narrow_agree(void)
{
	uint8_t wide[12 + 256 + 64], narrow[12 + 256];
	unsigned seed = 1;
	for (unsigned len = 1; len <= 63; len++)
		for (unsigned v = 0; v < 256; v++) {
			size_t w = 12;
			uint8_t *m = wide;
			memset(m, 0, 12);
			m[w++] = (uint8_t) len;
			for (unsigned i = 0; i < len;
			     i++) { /* v at position v % len, the rest mixed */
				seed = seed * 1103515245u + 12345u;
				static const char mix[] = "aZ9-_.Q+/=zA";
				m[w++] =
				    i == v % len ? (uint8_t) v : (uint8_t) mix[(seed >> 16) % 12];
			}
			m[w++] = 3, m[w++] = 'c', m[w++] = 'O', m[w++] = 'm', m[w++] = 0;
			memcpy(narrow, wide, w);
			for (size_t i = w; i < sizeof(wide); i++) /* read past the name, not used */
				wide[i] = (uint8_t) ".Q\x05"[i % 3];
			dx_name_t a, b;
			size_t ea, eb;
			memset(&a, 0x11, sizeof(a));
			memset(&b, 0x22, sizeof(b));
			CU_ASSERT_EQUAL_FATAL(decode_at(wide, sizeof(wide), 12, &a, &ea), DX_OK);
			CU_ASSERT_EQUAL_FATAL(decode_at(narrow, w, 12, &b, &eb), DX_OK);
			CU_ASSERT_EQUAL(ea, eb);
			CU_ASSERT_EQUAL(a.len, len + 4);
			CU_ASSERT_EQUAL(a.len, b.len);
			CU_ASSERT_EQUAL(a.odd_bytes, b.odd_bytes);
			CU_ASSERT_EQUAL(a.max_label, b.max_label);
			CU_ASSERT(memcmp(a.text, b.text, (size_t) a.len + 1) == 0);
			CU_ASSERT(memcmp(a.case_mask, b.case_mask, sizeof(a.case_mask)) == 0);
			CU_ASSERT(memcmp(a.dot_lit, b.dot_lit, sizeof(a.dot_lit)) == 0);
			/* and what it should be: the byte lower-cased, its bits where they belong */
			unsigned at = v % len;
			uint8_t want = v >= 'A' && v <= 'Z' ? (uint8_t) (v | 0x20) : (uint8_t) v;
			CU_ASSERT_EQUAL((uint8_t) a.text[at], want);
			CU_ASSERT_EQUAL(a.case_mask[at >> 3] >> (at & 7) & 1, v >= 'A' && v <= 'Z');
			CU_ASSERT_EQUAL(a.dot_lit[at >> 3] >> (at & 7) & 1, v == '.');
			if (v <= 0x20 || v >= 0x7F || v == '.')
				CU_ASSERT_TRUE(a.odd_bytes);
		}
}

/* A log line's cut of an escaped name: whole if it fits, else never inside a \DDD escape and
 * ending with "...", at every length. */
static void test_dname_cut_keeps_escapes(void)
{
	char out[96];
	CU_ASSERT_EQUAL(dx_dname_cut("abc.example", 80, out, sizeof(out)), 11);
	CU_ASSERT_STRING_EQUAL(out, "abc.example");
	const char *esc = "rdeadZi\\234\\228Zz\\202\\228Zz\\202\\228Zz\\202\\228Zz\\202\\228Zz\\202"
			  "\\228Zz\\202\\228Zz\\202\\228Zz.pirate.sea";
	for (size_t max = 3; max <= 90; max++) {
		size_t n = dx_dname_cut(esc, max, out, sizeof(out));
		CU_ASSERT_TRUE(n <= max);
		CU_ASSERT_EQUAL(strlen(out), n);
		if (n == strlen(esc)) {
			CU_ASSERT_STRING_EQUAL(out, esc);
			continue;
		}
		CU_ASSERT_STRING_EQUAL(out + n - 3, "...");
		CU_ASSERT_EQUAL(memcmp(out, esc, n - 3), 0);
		/* the kept part ends on an escape's boundary: no backslash in its last three */
		for (size_t i = n - 3 >= 3 ? n - 6 : 0; i < n - 3; i++)
			CU_ASSERT_TRUE(out[i] != '\\' || i + 3 < n - 3);
		CU_ASSERT_TRUE(n + 4 > max); /* and as long as it could be */
	}
}

static CU_TestInfo dname_tests[] = {
    {"cut_keeps_escapes", test_dname_cut_keeps_escapes},
    {"plain_lowercases", test_dname_plain_lowercases},
    {"root", test_dname_root},
    {"ptr_to_self", test_dname_ptr_to_self},
    {"ptr_backward", test_dname_ptr_backward},
    {"ptr_mutual", test_dname_ptr_mutual},
    {"ptr_forward_and_header", test_dname_ptr_forward_and_header},
    {"ptr_chain", test_dname_ptr_chain},
    {"label_types", test_dname_label_types},
    {"length_limits", test_dname_length_limits},
    {"every_prefix", test_dname_every_prefix},
    {"odd_bytes_escaped", test_dname_odd_bytes_escaped},
    {"skip", test_dname_skip},
    {"wide_and_narrow_agree", test_dname_wide_and_narrow_agree},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"dname", NULL, NULL, NULL, NULL, dname_tests},
    CU_SUITE_INFO_NULL,
};
