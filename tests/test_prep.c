/* SPDX-License-Identifier: BSD-2-Clause */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/decode/dns.h"
#include "lib/base/err.h"
#include "lib/prepare/prep.h"
#include "tests/testutil.h"

static const psl_ctx_t *psl;
static const dx_hash_key_t key = {5, 7};
static dx_apex_t *ref; /* the apex resolver expect() asks (its answers equal libpsl's: test_apex) */

static int setup(void)
{
	psl = psl_latest(NULL);
	ref = psl ? dx_apex_new(psl, true, 1024, key) : NULL;
	return ref ? 0 : 1;
}

static int teardown(void)
{
	dx_apex_free(ref);
	psl_free((psl_ctx_t *) psl);
	return 0;
}

static void query_of(const char *dotted, bool response, dx_query_t *q)
{
	tu_buf_t m = {.len = 0};
	tu_dns_query(&m, 1, response ? 0x8180 : 0x0100, dotted, 16);
	memset(q, 0, sizeof(*q));
	enum dx_reason why;
	CU_ASSERT_EQUAL_FATAL(dx_dns_parse(m.b, m.len, &q->dns, &why), DX_OK);
	q->af = 4;
	q->src[0] = 10;
	q->src[3] = 7;
	q->dst[0] = 10;
	q->dst[3] = 2;
}

/* What dx_query_prepare() must give, computed from scratch with the pieces it stands on. */
static void expect(const dx_query_t *q, dx_prep_t *want)
{
	memset(want, 0, sizeof(*want));
	const dx_name_t *n = &q->dns.qname;
	unsigned off;
	want->name_hash = dx_hash(&key, n->text, n->len);
	want->apex_cls = (uint8_t) dx_apex_find(ref, n, &off);
	want->apex_off = (uint8_t) off;
	want->apex_hash = dx_hash(&key, n->text + off, n->len - off);
	want->client_hash =
	    dx_client_hash(&key, q->dns.is_response ? q->dst : q->src, q->af, q->vni);
	dx_features_compute(n, off, 0, &want->f);
	unsigned start = 0, li = 0;
	for (unsigned i = 0; off >= 2 && i <= off - 1 && li < 64; i++) {
		if (i != off - 1 && !dx_name_is_sep(n, i))
			continue;
		if (i - start >= 8 && want->n_lab++ < DX_PREP_LABELS) {
			want->lab_hash[want->n_lab - 1] =
			    dx_label_hash(&key, n->text + start, i - start);
			want->lab_idx[want->n_lab - 1] = (uint8_t) li;
		}
		start = i + 1;
		li++;
	}
	if (want->n_lab > DX_PREP_LABELS)
		want->n_lab = DX_PREP_LABELS + 1;
}

static void same(const dx_prep_t *got, const dx_prep_t *want, const char *name)
{
	bool ok = got->ready && got->name_hash == want->name_hash &&
		  got->apex_hash == want->apex_hash && got->client_hash == want->client_hash &&
		  got->apex_off == want->apex_off && got->apex_cls == want->apex_cls &&
		  got->n_lab == want->n_lab && got->f.sub_len == want->f.sub_len &&
		  got->f.bits == want->f.bits && got->f.entropy == want->f.entropy &&
		  got->f.encoding == want->f.encoding && got->f.random == want->f.random &&
		  got->f.encoded == want->f.encoded && got->f.max_label == want->f.max_label;
	unsigned n = want->n_lab < DX_PREP_LABELS ? want->n_lab : DX_PREP_LABELS;
	for (unsigned j = 0; ok && j < n; j++)
		ok = got->lab_hash[j] == want->lab_hash[j] && got->lab_idx[j] == want->lab_idx[j];
	if (!ok)
		fprintf(stderr, "prep differs for %s\n", name);
	CU_ASSERT_TRUE(ok);
}

static const char *names[] = {
    "www.example.com",
    "example.com",
    "com",
    "localhost",
    "_.example.com",
    "1.2.0.192.in-addr.arpa",
    "x.y.cloudfront.net",
    "mail.example.co.uk",
    "aGVsbG8gd29ybGQ.Zm9vYmFyYmF6cXV4.t.example.com",
    "aaaaaaaa.bbbbbbbbbbb.cccccccccc.dddddddddd.eeeeeeeeee.ffffffffff.t.example.com",
    "zen.spamhaus.org",
    "2.0.0.127.abcdefghijklmnop.dbl.dq.spamhaus.net",
    "printer.local",
};

/* Every name, prepared fresh (a miss) and again (a hit), as a query and as a response,
 * equals what the pieces give from scratch. */
static void test_prep_equals_scratch(void)
{
	dx_qprep_t *qp = dx_qprep_new(psl, true, 1024, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (int round = 0; round < 2; round++)
			for (int resp = 0; resp < 2; resp++) {
				dx_query_t q;
				dx_prep_t want;
				query_of(names[i], resp, &q);
				expect(&q, &want);
				dx_query_prepare(qp, &q);
				same(&q.prep, &want, names[i]);
			}
	/* each distinct name missed once; the repeats hit */
	CU_ASSERT_EQUAL(dx_qprep_misses(qp), ARRAY_SIZE(names));
	dx_qprep_free(qp);
}

/* 5,000 names through 1,024 slots: entries replaced by conflicts never answer for another
 * name; names with more long labels than are carried are marked so. */
static void test_prep_conflicts(void)
{
	dx_qprep_t *qp = dx_qprep_new(psl, true, 1024, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	unsigned bad = 0, over = 0;
	for (int round = 0; round < 2; round++)
		for (unsigned i = 0; i < 5000; i++) {
			char name[128];
			snprintf(name, sizeof(name), "%s%u.host%u.zone%u.example%u.org",
				 i % 7 == 0 ? "longlabel-" : "", i, i % 13, i % 3, i % 50);
			dx_query_t q;
			dx_prep_t want;
			query_of(name, false, &q);
			expect(&q, &want);
			dx_query_prepare(qp, &q);
			if (memcmp(&q.prep.f, &want.f, sizeof(want.f)) != 0 ||
			    q.prep.apex_hash != want.apex_hash || q.prep.apex_off != want.apex_off)
				bad++;
			over += q.prep.n_lab > DX_PREP_LABELS;
		}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(over, 0);
	dx_query_t q;
	query_of("aaaaaaaa.bbbbbbbbbbb.cccccccccc.dddddddddd.eeeeeeeeee.t.example.com", false, &q);
	dx_query_prepare(qp, &q);
	CU_ASSERT_EQUAL(q.prep.n_lab, DX_PREP_LABELS + 1);
	dx_qprep_free(qp);
}

/* Clients through the 4,096-slot client cache: 20,000 twice (IPv4 and IPv6, addresses that
 * differ in a byte), then addresses in many mirror sessions and both families; every client
 * hash equals the keyed hash, whatever the cache held. */
static void test_prep_clients(void)
{
	dx_qprep_t *qp = dx_qprep_new(psl, true, 1024, key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(qp);
	dx_query_t q;
	query_of("www.example.com", false, &q);
	unsigned bad = 0;
	for (int round = 0; round < 2; round++)
		for (uint32_t i = 0; i < 20000; i++) {
			memset(q.src, 0, sizeof(q.src));
			q.af = i % 3 == 0 ? 6 : 4;
			q.vni = i % 5 == 0 ? 77 : 0;
			q.src[i % 16] = (uint8_t) (i >> 4);
			q.src[(i + 5) % 16] ^= (uint8_t) (i >> 12);
			q.src[15] ^= (uint8_t) i;
			dx_query_prepare(qp, &q);
			bad += q.prep.client_hash != dx_client_hash(&key, q.src, q.af, q.vni);
		}
	/* 64 addresses, each in 200 sessions, as IPv4 and then as IPv6: the same address lands
	 * in the slot of itself in another session, or from the other pass, now and then */
	for (uint8_t af = 4; af <= 6; af += 2)
		for (uint32_t a = 0; a < 64; a++)
			for (uint32_t v = 0; v < 200; v++) {
				memset(q.src, 0, sizeof(q.src));
				q.src[0] = 10;
				q.src[3] = (uint8_t) a;
				q.vni = (v * 2654435761u) & 0xFFFFFF; /* 24 bits, spread */
				q.af = af;
				dx_query_prepare(qp, &q);
				bad +=
				    q.prep.client_hash != dx_client_hash(&key, q.src, q.af, q.vni);
			}
	CU_ASSERT_EQUAL(bad, 0);
	/* one address, one slot: the family and the session still tell clients apart */
	uint64_t h[4];
	for (int v = 0; v < 4; v++) {
		memset(q.src, 0, sizeof(q.src));
		q.src[0] = 10;
		q.af = v & 2 ? 6 : 4; /* each variant right after one that differs in one field */
		q.vni = v & 1 ? 9 : 0;
		dx_query_prepare(qp, &q);
		h[v] = q.prep.client_hash;
		CU_ASSERT_EQUAL(h[v], dx_client_hash(&key, q.src, q.af, q.vni));
	}
	CU_ASSERT_TRUE(h[0] != h[1] && h[1] != h[2] && h[2] != h[3] && h[0] != h[3]);
	dx_qprep_free(qp);
}

static CU_TestInfo prep_tests[] = {
    {"equals_scratch", test_prep_equals_scratch},
    {"conflicts", test_prep_conflicts},
    {"clients", test_prep_clients},
    CU_TEST_INFO_NULL,
};

CU_SuiteInfo dx_suites[] = {
    {"prep", setup, teardown, NULL, NULL, prep_tests},
    CU_SUITE_INFO_NULL,
};
