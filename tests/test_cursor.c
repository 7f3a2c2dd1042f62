/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <stdint.h>

#include "lib/decode/cursor.h"

static void test_cursor_reads_be(void)
{
	static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7};
	dx_cur_t c = dx_cur_init(b, sizeof(b));
	CU_ASSERT_EQUAL(dx_cur_u8(&c), 1);
	CU_ASSERT_EQUAL(dx_cur_be16(&c), 0x0203);
	CU_ASSERT_EQUAL(dx_cur_be32(&c), 0x04050607u);
	CU_ASSERT_EQUAL(c.err, DX_OK);
	CU_ASSERT_EQUAL(dx_cur_left(&c), 0);
}

/* The first failure sticks: later reads return 0 even if bytes would be there. */
static void test_cursor_error_sticks(void)
{
	static const uint8_t b[] = {0xAA, 0xBB, 0xCC};
	dx_cur_t c = dx_cur_init(b, sizeof(b));
	CU_ASSERT_EQUAL(dx_cur_be32(&c), 0);
	CU_ASSERT_EQUAL(c.err, DX_ETRUNC);
	CU_ASSERT_EQUAL(c.off, 0);
	CU_ASSERT_EQUAL(dx_cur_u8(&c), 0);
	CU_ASSERT_EQUAL(dx_cur_left(&c), 0);
}

/* A huge length from a packet must not wrap the bounds check. */
static void test_cursor_huge_skip(void)
{
	static const uint8_t b[] = {1, 2, 3, 4};
	dx_cur_t c = dx_cur_init(b, sizeof(b));
	dx_cur_skip(&c, 2);
	dx_cur_skip(&c, SIZE_MAX - 1);
	CU_ASSERT_EQUAL(c.err, DX_ETRUNC);
	CU_ASSERT_EQUAL(c.off, 2);
}

static void test_cursor_sub_narrows(void)
{
	static const uint8_t b[] = {1, 2, 3, 4, 5, 6};
	dx_cur_t c = dx_cur_init(b, sizeof(b));
	dx_cur_skip(&c, 1);
	dx_cur_t s = dx_cur_sub(&c, 3);
	CU_ASSERT_EQUAL(c.off, 4);
	CU_ASSERT_EQUAL(dx_cur_be16(&s), 0x0203);
	CU_ASSERT_EQUAL(dx_cur_be16(&s), 0); /* only one byte left in the child */
	CU_ASSERT_EQUAL(s.err, DX_ETRUNC);
	CU_ASSERT_EQUAL(c.err, DX_OK); /* the parent is unaffected */
	bool short_;
	dx_cur_t u = dx_cur_sub_upto(&c, 100, &short_);
	CU_ASSERT_TRUE(short_);
	CU_ASSERT_EQUAL(u.len, 2);
	u = dx_cur_sub_upto(&c, 0, &short_);
	CU_ASSERT_FALSE(short_);
}

static void test_cursor_le32_copy(void)
{
	/* 6 bytes of message in an 8-byte array: at -Os and -O3 gcc inlines the copy and warns
	 * (array-bounds) about the path the length check never takes, if the array ends at 6 */
	static const uint8_t b[8] = {2, 0, 0, 0, 9, 8};
	dx_cur_t c = dx_cur_init(b, 6);
	CU_ASSERT_EQUAL(dx_cur_le32(&c), 2);
	uint8_t out[4] = {7, 7, 7, 7};
	dx_cur_copy(&c, out, 4); /* only 2 left: dst untouched */
	CU_ASSERT_EQUAL(out[0], 7);
	CU_ASSERT_EQUAL(c.err, DX_ETRUNC);
}

/* A header is taken whole or not at all; reads inside it see the bytes, reads past its n see
 * 0, whatever the buffer holds beyond; a failed take leaves the error and an empty header. */
static void test_cursor_take_header(void)
{
	const uint8_t b[] = {0x45, 0x00, 0x01, 0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE};
	dx_cur_t c = dx_cur_init(b, sizeof(b));
	dx_hdr_t h = dx_cur_take(&c, 6);
	CU_ASSERT_EQUAL(c.err, DX_OK);
	CU_ASSERT_EQUAL(c.off, 6);
	CU_ASSERT_EQUAL(dx_hdr_u8(h, 0), 0x45);
	CU_ASSERT_EQUAL(dx_hdr_be16(h, 2), 0x0102);
	CU_ASSERT_EQUAL(dx_hdr_be32(h, 2), 0x0102AABBu);
	CU_ASSERT_EQUAL(dx_hdr_u8(h, 6), 0);	      /* past n, though the buffer goes on */
	CU_ASSERT_EQUAL(dx_hdr_be16(h, 5), 0);	      /* straddles n */
	CU_ASSERT_EQUAL(dx_hdr_be32(h, 3), 0);	      /* straddles n */
	CU_ASSERT_EQUAL(dx_hdr_be16(h, SIZE_MAX), 0); /* an offset that would wrap */
	uint8_t dst[4] = {1, 2, 3, 4};
	dx_hdr_copy(h, 4, dst, 4); /* straddles n: untouched */
	CU_ASSERT_EQUAL(dst[0], 1);
	dx_hdr_copy(h, 2, dst, 4);
	CU_ASSERT_EQUAL(dst[0], 0x01);
	CU_ASSERT_EQUAL(dst[3], 0xBB);
	h = dx_cur_take(&c, 4); /* 3 bytes left */
	CU_ASSERT_EQUAL(c.err, DX_ETRUNC);
	CU_ASSERT_EQUAL(c.off, 6);
	CU_ASSERT_PTR_NULL(h.p);
	CU_ASSERT_EQUAL(dx_hdr_be16(h, 0), 0);
	h = dx_cur_take(&c, 1); /* the error sticks */
	CU_ASSERT_PTR_NULL(h.p);
	CU_ASSERT_EQUAL(dx_hdr_u8(h, 0), 0);
}

static CU_TestInfo cursor_tests[] = {
    {"reads_be", test_cursor_reads_be},
    {"error_sticks", test_cursor_error_sticks},
    {"huge_skip", test_cursor_huge_skip},
    {"sub_narrows", test_cursor_sub_narrows},
    {"le32_copy", test_cursor_le32_copy},
    {"take_header", test_cursor_take_header},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"cursor", NULL, NULL, NULL, NULL, cursor_tests},
    CU_SUITE_INFO_NULL,
};
