/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <string.h>

#include "lib/base/ring.h"

static void test_ring_fifo_and_full(void)
{
	dx_ring_t *r = dx_ring_new(4096, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	size_t len;
	CU_ASSERT_PTR_NULL(dx_ring_peek(r, &len));
	int pushed = 0;
	for (;;) {
		uint8_t *p = dx_ring_reserve(r, 100);
		if (p == NULL)
			break;
		memset(p, pushed, 100);
		dx_ring_commit(r);
		pushed++;
	}
	/* 100 bytes + 8 header, aligned to 16 = 112 per record: 36 fit in 4096 */
	CU_ASSERT_EQUAL(pushed, 4096 / 112);
	for (int i = 0; i < pushed; i++) {
		const uint8_t *p = dx_ring_peek(r, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(len, 100);
		CU_ASSERT_EQUAL(p[0], i);
		CU_ASSERT_EQUAL(p[99], i);
		dx_ring_release(r);
	}
	CU_ASSERT_TRUE(dx_ring_empty(r));
	dx_ring_free(r);
}

/* Records that do not fit before the end wrap to the start behind a pad record. */
static void test_ring_wraps_with_pad(void)
{
	dx_ring_t *r = dx_ring_new(4096, 2000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	size_t len;
	for (int round = 0; round < 50; round++) {
		size_t n = 100 + (size_t) (round * 37) % 1500;
		uint8_t *p = dx_ring_reserve(r, n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(p, round, n);
		dx_ring_commit(r);
		const uint8_t *q = dx_ring_peek(r, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(q);
		CU_ASSERT_EQUAL(len, n);
		CU_ASSERT_EQUAL(q[0], (uint8_t) round);
		CU_ASSERT_EQUAL(q[n - 1], (uint8_t) round);
		dx_ring_release(r);
	}
	dx_ring_free(r);
}

/* Looking ahead: dx_ring_peek_at walks the records after the current one in order, across
 * the pad at the wrap, stops at what is published, and consumes nothing. */
static void test_ring_peek_ahead(void)
{
	dx_ring_t *r = dx_ring_new(4096, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	size_t len;
	/* move the indices so that the fourth record below wraps behind a pad */
	for (int i = 0; i < 23; i++) { /* 23 × 128 bytes: the 4th 320-byte record wraps */
		CU_ASSERT_PTR_NOT_NULL_FATAL(dx_ring_reserve(r, 120));
		dx_ring_commit(r);
		CU_ASSERT_PTR_NOT_NULL_FATAL(dx_ring_peek(r, &len));
		dx_ring_release(r);
	}
	for (int i = 0; i < 8; i++) {
		uint8_t *p = dx_ring_reserve(r, 300);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		memset(p, 'a' + i, 300);
		dx_ring_commit(r);
	}
	const uint8_t *cur = dx_ring_peek(r, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cur);
	CU_ASSERT_EQUAL(cur[0], 'a');
	size_t pos = dx_ring_next_pos(r);
	for (int i = 1; i < 8; i++) {
		const uint8_t *a = dx_ring_peek_at(r, &pos, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_EQUAL(len, 300);
		CU_ASSERT_EQUAL(a[0], 'a' + i);
		CU_ASSERT_EQUAL(a[299], 'a' + i);
	}
	CU_ASSERT_PTR_NULL(dx_ring_peek_at(r, &pos, &len));
	/* nothing consumed: the consumer still reads every record */
	for (int i = 0; i < 8; i++) {
		const uint8_t *p = dx_ring_peek(r, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(p[0], 'a' + i);
		dx_ring_release(r);
	}
	CU_ASSERT_TRUE(dx_ring_empty(r));
	dx_ring_free(r);
}

static void test_ring_commit_len_shrinks(void)
{
	dx_ring_t *r = dx_ring_new(4096, 1000);
	uint8_t *p = dx_ring_reserve(r, 1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[0] = 42;
	dx_ring_commit_len(r, p, 10);
	size_t len;
	const uint8_t *q = dx_ring_peek(r, &len);
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT_EQUAL(q[0], 42);
	dx_ring_release(r);
	CU_ASSERT_TRUE(dx_ring_empty(r));
	dx_ring_free(r);
}

static void test_ring_rejects_oversize_record(void)
{
	CU_ASSERT_PTR_NULL(dx_ring_new(4096, 4000)); /* must fit twice */
}

/* A producer and a consumer thread: every record arrives once, in order, intact. */
#define N_MSGS 200000
static void *producer(void *arg)
{
	dx_ring_t *r = arg;
	for (uint32_t i = 0; i < N_MSGS; i++) {
		size_t n = 4 + i % 300;
		uint8_t *p;
		while ((p = dx_ring_reserve(r, n)) == NULL)
			;
		memcpy(p, &i, 4);
		memset(p + 4, (int) (i & 0xFF), n - 4);
		dx_ring_commit(r);
	}
	return NULL;
}

static void test_ring_two_threads(void)
{
	dx_ring_t *r = dx_ring_new(8192, 400);
	pthread_t t;
	pthread_create(&t, NULL, producer, r);
	uint32_t bad = 0;
	for (uint32_t i = 0; i < N_MSGS; i++) {
		size_t len;
		const uint8_t *p;
		while ((p = dx_ring_peek(r, &len)) == NULL)
			;
		uint32_t v;
		memcpy(&v, p, 4);
		if (v != i || len != 4 + i % 300 || (len > 4 && p[len - 1] != (i & 0xFF)))
			bad++;
		dx_ring_release(r);
	}
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(bad, 0);
	dx_ring_free(r);
}

static CU_TestInfo ring_tests[] = {
    {"fifo_and_full", test_ring_fifo_and_full},
    {"wraps_with_pad", test_ring_wraps_with_pad},
    {"peek_ahead", test_ring_peek_ahead},
    {"commit_len_shrinks", test_ring_commit_len_shrinks},
    {"rejects_oversize_record", test_ring_rejects_oversize_record},
    {"two_threads", test_ring_two_threads},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"ring", NULL, NULL, NULL, NULL, ring_tests},
    CU_SUITE_INFO_NULL,
};
