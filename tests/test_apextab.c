/* SPDX-License-Identifier: BSD-2-Clause */
/* The apex table: lookups, the segmented LRU with its frequency filter, and eviction through
 * the owner's callback. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "lib/detect/apextab.h"
#include "lib/detect/state.h"

struct owner {
	dx_apextab_t *t;
	uint32_t evicted[64];
	char names[64][DX_DNAME_MAXTEXT + 1];
	unsigned n;
};

/* The record is still whole when its owner hears of it. */
static void on_evict(void *ctx, uint32_t i)
{
	struct owner *o = ctx;
	CU_ASSERT_FATAL(o->n < 64);
	o->evicted[o->n] = i;
	snprintf(o->names[o->n], sizeof(o->names[0]), "%s", o->t->recs[i].apex);
	o->n++;
}

static uint32_t get(dx_apextab_t *t, const char *name, bool *created)
{
	dx_hash_key_t k = DX_REPLAY_KEY;
	return dx_apextab_get(t, name, strlen(name), dx_hash(&k, name, strlen(name)), created);
}

static void test_apextab_get_and_evict(void)
{
	static struct owner o;

	memset(&o, 0, sizeof(o));
	dx_apextab_t t;
	CU_ASSERT_TRUE_FATAL(dx_apextab_init(&t, 10, on_evict, &o));
	o.t = &t;
	bool created;
	char name[32];
	uint32_t idx[10];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "a%d.example", i);
		idx[i] = get(&t, name, &created);
		CU_ASSERT_TRUE(created);
		CU_ASSERT_STRING_EQUAL(t.recs[idx[i]].apex, name);
	}
	CU_ASSERT_EQUAL(t.n, 10);
	/* found again: the same record, not created, and now protected */
	CU_ASSERT_EQUAL(get(&t, "a0.example", &created), idx[0]);
	CU_ASSERT_FALSE(created);
	CU_ASSERT_EQUAL(t.recs[idx[0]].seg, SEG_PROTECTED);
	/* full: a new apex takes the place of probation's least recently active (a1), whose
	 * owner is told while the record still holds it */
	CU_ASSERT_EQUAL(o.n, 0);
	uint32_t i = get(&t, "new.example", &created);
	CU_ASSERT_TRUE(created);
	CU_ASSERT_EQUAL(o.n, 1);
	CU_ASSERT_EQUAL(o.evicted[0], idx[1]);
	CU_ASSERT_STRING_EQUAL(o.names[0], "a1.example");
	CU_ASSERT_EQUAL(i, idx[1]);
	CU_ASSERT_STRING_EQUAL(t.recs[i].apex, "new.example");
	CU_ASSERT_EQUAL(t.evictions, 1);
	/* a1 is gone: asking for it again creates it (evicting the next oldest, a2) */
	get(&t, "a1.example", &created);
	CU_ASSERT_TRUE(created);
	CU_ASSERT_STRING_EQUAL(o.names[1], "a2.example");
	/* ... and, having entered the table twice, it is admitted straight to protected */
	CU_ASSERT_EQUAL(t.recs[idx[2]].seg, SEG_PROTECTED);
	/* the protected apex outlives probation's churn */
	for (int k = 0; k < 50; k++) {
		snprintf(name, sizeof(name), "flood%d.example", k);
		get(&t, name, &created);
	}
	CU_ASSERT_EQUAL(get(&t, "a0.example", &created), idx[0]);
	CU_ASSERT_FALSE(created);
	/* the walk visits every record once */
	unsigned n = 0;
	for (uint32_t w = dx_apextab_first(&t); w != DX_APEXTAB_NIL; w = dx_apextab_next(&t, w))
		n++;
	CU_ASSERT_EQUAL(n, t.n);
	CU_ASSERT_EQUAL(t.evictions, o.n);
	dx_apextab_free(&t);
}

/* Names that differ only after a NUL or in length are different apexes. */
static void test_apextab_exact_names(void)
{
	static struct owner o;

	memset(&o, 0, sizeof(o));
	dx_apextab_t t;
	CU_ASSERT_TRUE_FATAL(dx_apextab_init(&t, 64, on_evict, &o));
	o.t = &t;
	bool created;
	dx_hash_key_t k = DX_REPLAY_KEY;
	const char a[] = "ab\0cd.example", b[] = "ab\0ce.example";
	uint32_t ia = dx_apextab_get(&t, a, sizeof(a) - 1, dx_hash(&k, a, sizeof(a) - 1), &created);
	uint32_t ib = dx_apextab_get(&t, b, sizeof(b) - 1, dx_hash(&k, b, sizeof(b) - 1), &created);
	CU_ASSERT_TRUE(created);
	CU_ASSERT_NOT_EQUAL(ia, ib);
	CU_ASSERT_EQUAL(t.recs[ia].apex_len, sizeof(a) - 1);
	CU_ASSERT_EQUAL(get(&t, "ab", &created), get(&t, "ab", &created));
	CU_ASSERT_EQUAL(t.n, 3);
	dx_apextab_free(&t);
}

static CU_TestInfo apextab_tests[] = {
    {"get_and_evict", test_apextab_get_and_evict},
    {"exact_names", test_apextab_exact_names},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"apextab", NULL, NULL, NULL, NULL, apextab_tests},
    CU_SUITE_INFO_NULL,
};
