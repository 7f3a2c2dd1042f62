/* SPDX-License-Identifier: BSD-2-Clause */
/* The bucket ring behind every sliding window of the engine (apex, horizon, client). */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "lib/detect/window.h"

#define N 5

struct cnt {
	uint32_t a, b;
};

static void cnt_leaves(void *sum, const void *x)
{
	struct cnt *s = sum;
	const struct cnt *c = x;
	s->a -= c->a;
	s->b -= c->b;
}

/* What the window holds at epoch now, from the history of (epoch, a, b) additions. */
static struct cnt brute(const uint32_t *ep, const uint32_t *va, int n, uint32_t now)
{
	struct cnt s = {0, 0};
	for (int i = 0; i < n; i++)
		if (ep[i] + N > now) {
			s.a += va[i];
			s.b += 2 * va[i];
		}
	return s;
}

/* The sum always equals the last N epochs' additions: steps of one, gaps shorter and longer
 * than the ring, the same epoch again, and time that goes backwards (folded into the current
 * bucket, as the engine does). */
static void test_window_sum_is_the_window(void)
{
	struct cnt b[N], sum;
	memset(b, 0, sizeof(b));
	memset(&sum, 0, sizeof(sum));
	dx_window_t w = {0, 0};
	static uint32_t ep[20000], va[20000];
	int n = 0;
	uint32_t now = 0;
	srand(7);
	for (int i = 0; i < 20000; i++) {
		int r = rand() % 100;
		uint32_t t = r < 50   ? now
			     : r < 80 ? now + 1
			     : r < 90 ? now + 1 + (uint32_t) (rand() % 4)
			     : r < 95 ? now + N + (uint32_t) (rand() % 10)
				      : (now > 3 ? now - 3 : 0); /* backwards */
		dx_window_advance(&w, t, N, b, sizeof(b[0]), &sum, sizeof(sum), cnt_leaves);
		if (t > now)
			now = t;
		CU_ASSERT_EQUAL_FATAL(w.epoch, now);
		uint32_t v = (uint32_t) (rand() % 7);
		b[w.cur].a += v;
		b[w.cur].b += 2 * v;
		sum.a += v;
		sum.b += 2 * v;
		ep[n] = now; /* folded into the current bucket */
		va[n++] = v;
		struct cnt want = brute(ep, va, n, now);
		CU_ASSERT_EQUAL_FATAL(sum.a, want.a);
		CU_ASSERT_EQUAL_FATAL(sum.b, want.b);
	}
}

/* A gap of the ring's length or more clears buckets and sum at once. */
static void test_window_long_gap_clears(void)
{
	struct cnt b[N], sum = {0, 0};
	memset(b, 0, sizeof(b));
	dx_window_t w = {10, 2};
	b[2].a = sum.a = 9;
	dx_window_advance(&w, 10 + N - 1, N, b, sizeof(b[0]), &sum, sizeof(sum), cnt_leaves);
	CU_ASSERT_EQUAL(sum.a, 9); /* epochs 10 .. 10 + N - 1: still in the window */
	CU_ASSERT_EQUAL(w.cur, (2 + N - 1) % N);
	dx_window_advance(&w, 10 + N, N, b, sizeof(b[0]), &sum, sizeof(sum), cnt_leaves);
	CU_ASSERT_EQUAL(sum.a, 0); /* ... and out one step later */
	CU_ASSERT_EQUAL(w.cur, 2);
	b[w.cur].a = sum.a = 4;
	dx_window_advance(&w, 10 + 2 * N, N, b, sizeof(b[0]), &sum, sizeof(sum), cnt_leaves);
	CU_ASSERT_EQUAL(sum.a, 0);
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(b[i].a, 0);
	CU_ASSERT_EQUAL(w.epoch, 10 + 2 * N);
}

static CU_TestInfo window_tests[] = {
    {"sum_is_the_window", test_window_sum_is_the_window},
    {"long_gap_clears", test_window_long_gap_clears},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"window", NULL, NULL, NULL, NULL, window_tests},
    CU_SUITE_INFO_NULL,
};
